"""The demo 'Dawn of Progress' series, loaded by ``flask demo``. Idempotent: found, not re-added.

Three events: the national one in its map-submission phase, with about forty teams from all over Iran
(most approved, a few pending, rejected or withdrawn) and their progress maps in Persian, judged in a
screening round whose results are published and chose the teams of the workshop; a provincial one of
Yazd taking registrations; and a finished one of Sarakhs, whose final round was published months ago:
its winners' maps (and two more) are being carried out in the collaboration pipeline, at every stage,
with owners, partners, notes, milestones and readings of their indicators. Every team, member, decision,
draft, submission, training sign-up, score and pipeline step goes through the services at a plausible
moment of the right phase (``now``), so the rules hold and the records tell a believable story. Only
the many accounts are made directly, all sharing one hash of the demo password: Argon2 is slow on purpose.

What the teams and maps say is in ``demo_content``.
"""
import logging
import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import func, select

from ..auth import passwords
from ..auth import services as accounts
from ..auth.models import RoleGrant, User
from ..core.database import utcnow
from ..core.extensions import db
from ..core.text import normalize_text
from ..events import services as events
from ..events.models import County, Event, Province
from ..judging import scoring
from ..judging import services as judging
from ..judging.models import FINAL, SCREENING, JudgeProfile, Round, Rubric
from ..pipeline import services as pipeline
from ..pipeline import tracking
from ..pipeline.models import Project
from ..teams import services as teams
from ..teams.models import APPROVED, MAP_SECTIONS, PENDING, REJECTED, WITHDRAWN, Team, TeamMember
from ..training import services as training
from ..training.models import APPROVED_TEAMS, CONFIRMED, SELECTED_TEAMS, TrainingSession, TrainingSignup
from . import content

DEMO_PASSWORD = "demo-password"
DEMO_ACCOUNTS = {
    "admin": ("admin@demo.example.org", "مدیر سامانه", "09120000001"),
    "organiser": ("organiser@demo.example.org", "زهرا احمدی", "09120000002"),
    "judge": ("judge@demo.example.org", "علی رضایی", "09120000003"),
    "team leader": ("leader@demo.example.org", "مریم حسینی", "09120000004"),
}
ROLE_OF = {"admin": "admin", "organiser": "organiser", "judge": "judge", "team leader": None}
# Iran has kept no daylight saving time since 2022: Tehran is always UTC+03:30.
TEHRAN = timezone(timedelta(hours=3, minutes=30))

# Phases, in days from today (first day from 08:00, last day until 23:59, Tehran time).
NATIONAL_PHASES = {
    "registration": (-38, -12), "screening": (-11, -9), "training": (-8, -6),
    "submission": (-5, 25), "judging": (26, 40), "results": (41, 50),
}
YAZD_PHASES = {
    "registration": (-6, 18), "screening": (19, 22), "training": (23, 28),
    "submission": (29, 55), "judging": (56, 66), "results": (67, 72),
}
SARAKHS_PHASES = {"registration": (-200, -180), "submission": (-170, -140), "judging": (-139, -125),
                  "results": (-124, -110)}


@dataclass(frozen=True)
class Timeline:
    """The days (from today) on which an event's teams did things."""

    registration: tuple[int, int]
    late_registration: tuple[int, int]  # the teams still pending registered last
    decisions: tuple[int, int]
    withdrawal: int = -6
    first_drafts: tuple[int, int] = (-9, -7)
    submissions: tuple[int, int] = (-5, 0)
    later_drafts: tuple[int, int] = (-4, 0)
    maps_written: int = 0  # the day the maps' plans start from (their actions and targets follow it)


# The national event's screening round, inside its screening phase: (day, hour, minute) from today.
# It opens once the last team was approved (decisions end by 15:59 of day -10); the judges score that
# evening and the next morning; the results are published in the afternoon, and the teams selected
# by them sign up for the in-person workshop from that evening on.
NATIONAL_SCREENING = {
    "opens": (-10, 16, 0), "assigned": (-10, 16, 20), "closes": (-9, 15, 0), "published": (-9, 16, 0),
    "scoring": (((-10, 18, 30), (-10, 23, 30)), ((-9, 7, 30), (-9, 14, 30))),
}
SCREENING_CONFLICTS_AT = ((-10, 17, 10), (-10, 17, 45))

NATIONAL_TIMELINE = Timeline(registration=(-37, -15), late_registration=(-14, -12), decisions=(-11, -10))
YAZD_TIMELINE = Timeline(registration=(-5, -2), late_registration=(-3, -1), decisions=(-1, -1))
SARAKHS_TIMELINE = Timeline(registration=(-199, -186), late_registration=(-185, -182), decisions=(-179, -178),
                            withdrawal=-175, first_drafts=(-176, -171), submissions=(-160, -141),
                            later_drafts=(-160, -141), maps_written=-176)
# Sarakhs' final round, in its judging phase, scored by three judges of the series; published as its
# results phase opened, which took the winners into the pipeline.
SARAKHS_FINAL = {"opens": (-139, 9, 0), "assigned": (-139, 9, 30), "closes": (-126, 20, 0),
                 "published": (-124, 11, 0), "scoring": (-137, -128)}
SARAKHS_JUDGES = ("judge02@demo.example.org", "judge06@demo.example.org", "judge09@demo.example.org")


class Clock:
    """Moments relative to today in Tehran; ``past`` keeps a planned moment out of the future."""

    def __init__(self, now: datetime):
        self.now = now
        self.midnight = now.astimezone(TEHRAN).replace(hour=0, minute=0, second=0, microsecond=0)

    def at(self, day: int, hour: int = 8, minute: int = 0) -> datetime:
        return self.midnight + timedelta(days=day, hours=hour, minutes=minute)

    def past(self, moment: datetime) -> datetime:
        return min(moment, self.now - timedelta(minutes=5))

    def some_time(self, rng: random.Random, days: tuple[int, int], hours: tuple[int, int] = (8, 22)) -> datetime:
        return self.past(self.at(rng.randint(*days), rng.randint(*hours), rng.randint(0, 59)))

    def windows(self, phases: dict[str, tuple[int, int]]) -> dict[str, tuple[datetime, datetime]]:
        return {kind: (self.at(first, 8), self.at(last, 23, 59)) for kind, (first, last) in phases.items()}


class SharedHash:
    """The demo password, hashed once, when the first new account needs it."""

    def __init__(self):
        self._hash = None

    def __call__(self) -> str:
        if self._hash is None:
            self._hash = passwords.hash_password(DEMO_PASSWORD)
        return self._hash


def _demo_account(email: str, name: str, mobile: str, password_hash: SharedHash,
                  created_at: datetime | None = None, role: str | None = None) -> User:
    """What ``accounts.register`` makes, with the shared hash and, for a team's people, a believable date."""
    user = accounts.find_by_email(email)
    if user is None:
        user = User(name=name, email=email, mobile=mobile, password_hash=password_hash(), locale="fa",
                    **({"created_at": created_at} if created_at else {}))
        if role:
            user.role_grants.append(RoleGrant(role=role))
        db.session.add(user)
        db.session.flush()
    return user


def _member_account(email: str, person: content.Person, password_hash: SharedHash, created_at: datetime) -> User:
    return _demo_account(email, person.name, person.mobile, password_hash, created_at)


def _event(organiser, clock: Clock, slug: str, open_phase: str | None = None, **details) -> Event:
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        return events.create_event(organiser, events.EventDetails(slug=slug, **details), clock.now)
    # An older demo's event that no team has joined yet moves to today's schedule.
    moved = (not event.phase_open(open_phase, clock.now) if open_phase
             else not _on_schedule(event, details["windows"]))
    if moved and not db.session.scalar(select(func.count(Team.id)).where(Team.event_id == event.id)):
        events.update_event(organiser, event, events.EventDetails(slug=slug, **details), clock.now)
    return event


@contextmanager
def _mail_kept_back():
    """The demo's addresses are made up: its invitations are neither sent nor written to the log."""
    config, log = current_app.config, logging.getLogger("eventapp.mail")
    server, disabled = config["MAIL_SERVER"], log.disabled
    config["MAIL_SERVER"], log.disabled = None, True
    try:
        yield
    finally:
        config["MAIL_SERVER"], log.disabled = server, disabled


def load_demo() -> dict[str, str]:
    password_hash = SharedHash()
    users = {kind: _demo_account(email, name, mobile, password_hash, role=ROLE_OF[kind])
             for kind, (email, name, mobile) in DEMO_ACCOUNTS.items()}
    organiser = users["organiser"]
    clock = Clock(utcnow())
    national = _event(
        organiser, clock, "dawn-of-progress-1405", open_phase="submission",
        title_fa="رویداد ملی طلوع پیشرفت ۱۴۰۵",
        title_en="Dawn of Progress national event 1405",
        description_fa=(
            "گروه‌های جهادی، تشکل‌های دانشجویی و مؤسسات مردم‌پایه برای نقاط جغرافیایی هدف خود "
            "نقشه پیشرفت جامع طراحی می‌کنند؛ با ظرفیت‌های خود منطقه و با نقش‌آفرینی مردم.\n"
            "برگزیدگان برای اجرای نقشه‌های خود با ستاد پیشرفت جامع منطقه‌ای همکاری می‌کنند."
        ),
        description_en=(
            "Jihadi groups, student associations and people-based institutes design the comprehensive "
            "progress map of the places they care about, using the region's own capacities and with the "
            "people in the lead.\nThe winners work with the headquarters to carry their maps out."
        ),
        windows=clock.windows(NATIONAL_PHASES),
    )
    razavi = db.session.scalar(select(Province).where(Province.name_en == "Razavi Khorasan"))
    sarakhs = _event(
        organiser, clock, "dawn-of-progress-sarakhs-1404",
        title_fa="طلوع پیشرفت سرخس ۱۴۰۴",
        title_en="Dawn of Progress Sarakhs 1404",
        scope="provincial", province_id=razavi.id,
        description_fa="نخستین دوره استانی برای رصد و پایش برنامه‌های پیشرفت سرخس.",
        description_en="The first provincial edition, for monitoring and tracking Sarakhs' progress programmes.",
        windows=clock.windows(SARAKHS_PHASES),
    )
    yazd_province = db.session.scalar(select(Province).where(Province.name_en == "Yazd"))
    yazd = _event(
        organiser, clock, "dawn-of-progress-yazd-1405", open_phase="registration",
        title_fa="طلوع پیشرفت استان یزد ۱۴۰۵",
        title_en="Dawn of Progress Yazd province 1405",
        scope="provincial", province_id=yazd_province.id,
        description_fa=(
            "دوره استانی یزد برای گروه‌های جهادی، تشکل‌های دانشجویی، مؤسسات مردم‌نهاد و هیئت‌های مردمی "
            "استان؛ با تمرکز بر آب و قنات، صنایع دستی و اشتغال جوانان در شهرستان‌های کویری.\n"
            "ثبت‌نام تیم‌ها باز است؛ هر تیم دست‌کم سه عضو دارد."
        ),
        description_en=(
            "The provincial edition of Yazd, for the province's jihadi groups, student associations, NGOs "
            "and local associations, with a focus on water and qanats, handicrafts and jobs for the young "
            "in its desert counties.\nRegistration is open; a team has at least three members."
        ),
        windows=clock.windows(YAZD_PHASES),
    )
    # Teams act on days counted from today, so they join an event only while it keeps the schedule the
    # demo gives it today: an event made on an earlier day (or by hand) is left as it is.
    with _mail_kept_back():
        judges = _seed_judges(clock, password_hash)
        if _on_schedule(national, clock.windows(NATIONAL_PHASES)):
            _seed_teams(national, content.NATIONAL_TEAMS, NATIONAL_TIMELINE, organiser, clock, password_hash)
            _seed_screening(national, content.NATIONAL_TEAMS, judges, organiser, clock)
            _seed_training(national, organiser, clock)
        if _on_schedule(yazd, clock.windows(YAZD_PHASES)):
            _seed_teams(yazd, content.YAZD_TEAMS, YAZD_TIMELINE, organiser, clock, password_hash)
        if _on_schedule(sarakhs, clock.windows(SARAKHS_PHASES)):
            _seed_teams(sarakhs, content.SARAKHS_TEAMS, SARAKHS_TIMELINE, organiser, clock, password_hash)
            if _seed_final(sarakhs, content.SARAKHS_TEAMS, judges, organiser, clock):
                _seed_pipeline(sarakhs, content.SARAKHS_TEAMS, organiser, clock)
    return {kind: DEMO_ACCOUNTS[kind][0] for kind in DEMO_ACCOUNTS}


def _on_schedule(event: Event, windows: dict[str, tuple[datetime, datetime]]) -> bool:
    return {phase.kind: (phase.starts_at, phase.ends_at) for phase in event.phases} == windows


# --- teams ---------------------------------------------------------------------------------------------

def _place(province: str, county: str) -> tuple[int, int]:
    row = db.session.execute(
        select(County.province_id, County.id).join(Province, Province.id == County.province_id)
        .where(Province.name_fa == province, County.name_fa == county)
    ).one()
    return row[0], row[1]


def _seed_teams(event: Event, plans: list[content.TeamPlan], timeline: Timeline, organiser, clock: Clock,
                password_hash: SharedHash) -> None:
    people = content.people_of(plans)
    existing = set(db.session.scalars(select(Team.name).where(Team.event_id == event.id)))
    for plan in plans:
        if normalize_text(plan.name) not in existing:
            _seed_team(event, plan, people[plan.key], timeline, organiser, clock, password_hash)


def _seed_team(event: Event, plan: content.TeamPlan, people: content.TeamPeople, timeline: Timeline, organiser,
               clock: Clock, password_hash: SharedHash) -> None:
    rng = random.Random(f"dawn-of-progress-timing-{plan.key}")
    days = timeline.late_registration if plan.status == PENDING else timeline.registration
    registered = clock.some_time(rng, days)
    leader = _member_account(content.leader_email(plan), people.leader, password_hash,
                             registered - timedelta(days=rng.randint(1, 60), hours=rng.randint(0, 12)))
    if teams.team_in_event(leader, event) is not None:
        return
    province_id, county_id = _place(plan.province, plan.county)
    team = teams.register_team(leader, event, teams.TeamDetails(
        name=plan.name, organisation_type=plan.organisation_type, organisation_name=plan.organisation_name,
        province_id=province_id, county_id=county_id, introduction=content.introduction(plan),
        contact_email=leader.email, contact_phone=leader.mobile,
    ), registered)

    moment = registered
    for person in people.members:
        moment += timedelta(hours=rng.randint(1, 20), minutes=rng.randint(0, 59))
        teams.add_member_without_account(leader, team, person.name, person.mobile, person.national_id,
                                         clock.past(moment))
    writer = leader
    if people.invited:
        invited_at = clock.past(registered + timedelta(hours=rng.randint(2, 30)))
        writer = _join_by_invitation(leader, team, content.member_email(plan), people.invited, invited_at,
                                     clock, password_hash)

    if plan.status in (APPROVED, WITHDRAWN):
        teams.decide_team(organiser, team, APPROVED, "", clock.some_time(rng, timeline.decisions, (9, 15)))
    elif plan.status == REJECTED:
        teams.decide_team(organiser, team, REJECTED, plan.reason, clock.some_time(rng, timeline.decisions, (9, 15)))
    if plan.status == WITHDRAWN:
        teams.withdraw_team(leader, team, plan.reason, clock.some_time(rng, (timeline.withdrawal,) * 2, (18, 22)))

    if plan.status == APPROVED and plan.map_state:
        _write_map(team, plan, leader, writer, timeline, clock, rng)
    if people.pending_invitation:
        # The demo's own leader has one invitation still open, sent two days ago.
        teams.invite_member(leader, team, people.pending_invitation, clock.past(clock.at(-2, 19, 40)),
                            link_for=lambda token: "")


def _join_by_invitation(leader, team: Team, email: str, person: content.Person, invited_at: datetime, clock: Clock,
                        password_hash: SharedHash) -> User:
    tokens = []
    teams.invite_member(leader, team, email, invited_at, link_for=lambda token: tokens.append(token) or token)
    member = _member_account(email, person, password_hash, clock.past(invited_at + timedelta(hours=1)))
    teams.accept_invitation(member, tokens[0], clock.past(invited_at + timedelta(hours=3)))
    return member


def _write_map(team: Team, plan: content.TeamPlan, leader, writer, timeline: Timeline, clock: Clock,
               rng: random.Random) -> None:
    """A first draft, then the whole map; submitted by the leader in the submission phase, or kept a draft."""
    written = content.map_content(plan, (clock.midnight + timedelta(days=timeline.maps_written)).date())
    where = _place(plan.province, plan.county)
    first = clock.some_time(rng, timeline.first_drafts, (9, 23))
    begun = teams.MapDraft(
        title=written.title, province_id=where[0], county_id=where[1], district=written.district,
        sections={section: written.sections[section] for section in ("knowledge", "capacities")
                  if plan.map_state == "partial" or section == "knowledge"},
    )
    progress_map = teams.save_draft(writer, team, begun, None, first)
    if plan.map_state == "partial":
        return
    whole = teams.MapDraft(
        title=written.title, province_id=where[0], county_id=where[1], district=written.district,
        latitude=written.latitude, longitude=written.longitude,
        sections={section: written.sections[section] for section in MAP_SECTIONS if section not in plan.missing},
        indicators=[] if "indicators" in plan.missing else [
            teams.IndicatorRow(name, unit, baseline, target, target_date)
            for name, unit, baseline, target, target_date in written.indicators],
        actions=[] if "actions" in plan.missing else [
            teams.ActionRow(what, who, starts_on, ends_on, resources)
            for what, who, starts_on, ends_on, resources in written.actions],
    )
    if plan.map_state == "submitted":
        submitted = clock.some_time(rng, timeline.submissions, (9, 23))
        saved = max(first + timedelta(hours=2), submitted - timedelta(hours=rng.randint(1, 30)))
        teams.save_draft(leader, team, whole, progress_map.version, saved)
        teams.submit_map(leader, team, submitted)
    else:
        days = (-1, -1) if plan.leader_email else timeline.later_drafts
        saved = max(first + timedelta(hours=2), clock.some_time(rng, days, (9, 23)))
        teams.save_draft(leader, team, whole, progress_map.version, saved)


# --- judging -------------------------------------------------------------------------------------------

def _seed_judges(clock: Clock, password_hash: SharedHash) -> list[User]:
    """The judges' accounts (the demo judge's own among them) and their profiles."""
    judges = []
    for index, plan in enumerate(content.JUDGES):
        judge = _demo_account(plan.email, plan.name, plan.mobile, password_hash,
                              clock.past(clock.at(-24 + index, 10 + index % 8, 7 * index % 60)), role="judge")
        if db.session.scalar(select(JudgeProfile.id).where(JudgeProfile.user_id == judge.id)) is None:
            province_id = db.session.scalar(select(Province.id).where(Province.name_fa == plan.province))
            judging.save_profile(judge, plan.expertise, province_id)
        judges.append(judge)
    return judges


def _seed_screening(event: Event, plans: list[content.TeamPlan], judges: list[User], organiser,
                    clock: Clock) -> None:
    """The screening round of the approved teams: assigned, scored by every judge, published; its top
    teams selected. Made once: an event that has a screening round keeps it as it is (no re-scoring)."""
    if db.session.scalar(select(Round.id).where(Round.event_id == event.id, Round.kind == SCREENING)):
        return
    title_fa, title_en = content.SCREENING_RUBRIC
    rubric = db.session.scalar(select(Rubric).where(Rubric.event_id == event.id, Rubric.title_fa == title_fa))
    if rubric is None:
        rubric = judging.save_rubric(organiser, event, title_fa, title_en, judging.default_criteria(), clock.now)
    round_ = judging.save_round(organiser, event, judging.RoundDetails(
        kind=SCREENING, rubric_id=rubric.id, starts_at=clock.at(*NATIONAL_SCREENING["opens"]),
        ends_at=clock.at(*NATIONAL_SCREENING["closes"]), judges_per_entry=3, blind=True, method="judge_effect",
    ), clock.now)
    by_name = {normalize_text(plan.name): plan for plan in plans}
    entries = {team.id: team for team in db.session.scalars(
        select(Team).where(Team.event_id == event.id, Team.status == APPROVED).order_by(Team.id))}
    judging.add_entries(organiser, round_, list(entries), clock.now)
    for judge in judges:  # as if each had accepted an invitation to the event
        judging.join_event(judge, event, clock.now)
    judging.add_judges(organiser, round_, [judge.id for judge in judges], clock.now)
    judging.assign_automatically(organiser, round_, clock.at(*NATIONAL_SCREENING["assigned"]), seed=1405)

    _declare_conflicts(round_, entries, by_name, judges, clock)
    _score_screening(round_, entries, by_name, judges, clock)
    publication = judging.publish(organiser, round_, dict.fromkeys(entries),
                                  clock.at(*NATIONAL_SCREENING["published"]))
    # The top teams by the published ranks are selected (ties at the cut all go through), unless the
    # organisers (or an earlier demo) already selected some: then the trainings rely on that choice.
    if not db.session.scalar(select(func.count(Team.id)).where(Team.event_id == event.id,
                                                               Team.screening_selected.is_(True))):
        rows = publication.result.rows
        cut = rows[min(content.SCREENING_SELECTED_COUNT, len(rows)) - 1].rank
        teams.set_screening_selected(organiser, [entries[row.team_id] for row in rows if row.rank <= cut], True,
                                     publication.published_at)


def _declare_conflicts(round_: Round, entries: dict[int, Team], by_name: dict[str, content.TeamPlan],
                       judges: list[User], clock: Clock) -> None:
    """Judges who find a team of their home province among theirs (or else in the round) declare a conflict;
    the service hands their assignment of it to another judge."""
    homes = {judge.id: plan.province for judge in judges for plan in content.JUDGES if plan.email == judge.email}
    assigned = {(assignment.user_id, assignment.team_id) for assignment in judging.round_assignments(round_)}
    candidates = sorted(
        ((judge_id, team_id) not in assigned, index, team_id, judge_id)
        for index, judge_id in enumerate(homes) for team_id, team in entries.items()
        if by_name[team.name].province == homes[judge_id])
    users = {judge.id: judge for judge in judges}
    declared = []
    for _, _, team_id, judge_id in candidates:
        if len(declared) == len(content.CONFLICT_REASONS):
            break
        if any(judge_id == judge or team_id == team for judge, team in declared):
            continue
        judge, team = users[judge_id], entries[team_id]
        reason = content.CONFLICT_REASONS[len(declared)].format(county=by_name[team.name].county)
        judging.declare_conflict(judge, team, judge, reason, clock.at(*SCREENING_CONFLICTS_AT[len(declared)]))
        declared.append((judge_id, team_id))


def _score_screening(round_: Round, entries: dict[int, Team], by_name: dict[str, content.TeamPlan],
                     judges: list[User], clock: Clock) -> None:
    """Every judge scores and submits each entry of theirs, in the evening and the next morning.

    A score is the team's latent quality on the criterion, plus the judge's leniency, a taste of the
    judge for the team and the judge's noise, rounded to the 0-10 scale; the weakest criteria get a
    suggestion. Scores are saved and submitted in time order, so a far-off total meets the totals the
    other judges already submitted, and its judge explains it as the service asks.
    """
    criteria = round_.rubric.criteria
    plans = {judge.id: plan for judge in judges for plan in content.JUDGES if plan.email == judge.email}
    users = {judge.id: judge for judge in judges}
    spans = [(clock.at(*first), clock.at(*last)) for first, last in NATIONAL_SCREENING["scoring"]]
    minutes = [int((last - first).total_seconds() // 60) for first, last in spans]

    def moment(rng: random.Random) -> datetime:
        offset = rng.randrange(sum(minutes))
        for (first, _), length in zip(spans, minutes):
            if offset < length:
                return first + timedelta(minutes=offset)
            offset -= length
        raise AssertionError("unreachable")

    work, submitted = [], {}
    for assignment in judging.round_assignments(round_):
        plan = by_name[entries[assignment.team_id].name]
        rng = random.Random(f"dawn-of-progress-score-{plans[assignment.user_id].email}-{plan.key}")
        work.append((moment(rng), assignment.id, assignment, plan, rng))
    for submitted_at, _, assignment, plan, rng in sorted(work, key=lambda item: item[:2]):
        judge, style = users[assignment.user_id], plans[assignment.user_id]
        quality = content.screening_quality(plan, len(criteria))
        taste = rng.gauss(0, 0.7)
        values = {criterion.id: float(min(criterion.scale_max, max(criterion.scale_min, round(
            quality[index] + style.leniency + taste + rng.gauss(0, style.noise)))))
            for index, criterion in enumerate(criteria)}
        weakest = sorted(range(len(criteria)), key=lambda index: (values[criteria[index].id], index))
        commented = [index for index in weakest[:2] if values[criteria[index].id] <= 5]
        if not commented and rng.random() < 0.4:
            commented = weakest[:1]
        comments = {criteria[index].id: rng.choice(content.IMPROVEMENTS[index % len(content.IMPROVEMENTS)])
                    for index in commented}
        judging.save_scores(judge, assignment, values, comments,
                            submitted_at - timedelta(minutes=rng.randint(8, 40)))
        # The service's own rule (it refuses the submission if the demo gets it wrong), without asking
        # the database for the totals submitted so far: the demo keeps them.
        total, others = judging.judge_total(assignment), submitted.setdefault(assignment.team_id, [])
        note = ""
        if scoring.outlier(total, others, round_.outlier_threshold):
            high = total > sum(others) / len(others)
            note = rng.choice(content.OUTLIER_COMMENTS["high" if high else "low"])
        judging.submit_scores(judge, assignment, note, submitted_at)
        others.append(total)


# --- training ------------------------------------------------------------------------------------------

def _seed_training(event: Event, organiser, clock: Clock) -> None:
    """The national event's two training sessions, with sign-ups before them and attendance after."""
    titles = set(db.session.scalars(select(TrainingSession.title).where(TrainingSession.event_id == event.id)))
    people = db.session.execute(
        select(TeamMember.user_id, Team.screening_selected).join(Team, Team.id == TeamMember.team_id)
        .where(Team.event_id == event.id, Team.status == APPROVED, TeamMember.user_id.is_not(None))
        .order_by(Team.id, TeamMember.id)
    ).all()
    demo_leader = accounts.find_by_email(DEMO_ACCOUNTS["team leader"][0])
    for index, spec in enumerate(content.TRAINING_SESSIONS):
        if spec["title"] in titles:
            continue
        session = training.create_session(organiser, event, training.SessionDetails(
            title=spec["title"], description=spec["description"], place=spec["place"],
            online_link=spec["online_link"], capacity=spec["capacity"], required=spec["required"],
            audience=spec["audience"],
            starts_at=clock.at(spec["day"], *spec["start"]), ends_at=clock.at(spec["day"], *spec["end"]),
        ), clock.now)
        rng = random.Random(f"dawn-of-progress-training-{index}")
        share = 0.85 if spec["required"] else 0.7
        chosen = [user_id for user_id, selected in people
                  if (selected or spec["audience"] == APPROVED_TEAMS)
                  and (user_id == demo_leader.id or rng.random() < share)]
        signed_up = session.starts_at - timedelta(hours=36)
        if spec["audience"] == SELECTED_TEAMS:  # once the screening results have chosen the teams
            signed_up = max(signed_up, clock.at(*NATIONAL_SCREENING["published"]) + timedelta(minutes=30))
        for user_id in chosen:
            signed_up += timedelta(minutes=rng.randint(2, 25))
            training.sign_up(db.session.get(User, user_id), session,
                             min(signed_up, session.starts_at - timedelta(hours=1)))
        signups = db.session.scalars(select(TrainingSignup).where(TrainingSignup.session_id == session.id)).all()
        marks = {signup.id: rng.random() < 0.9 for signup in signups if signup.status == CONFIRMED}
        training.record_attendance(organiser, session, marks, session.ends_at + timedelta(minutes=30))


# --- the finished event of Sarakhs: its final round and the collaboration pipeline -------------------------

def _seed_final(event: Event, plans: list[content.TeamPlan], judges: list[User], organiser, clock: Clock) -> bool:
    """Sarakhs' final round: every map scored by three judges and published, which takes the winners into
    the pipeline. Made once (False when the event already has a final round)."""
    if db.session.scalar(select(Round.id).where(Round.event_id == event.id, Round.kind == FINAL)):
        return False
    title_fa, title_en = content.SARAKHS_RUBRIC
    rubric = db.session.scalar(select(Rubric).where(Rubric.event_id == event.id, Rubric.title_fa == title_fa))
    if rubric is None:
        rubric = judging.save_rubric(organiser, event, title_fa, title_en, judging.default_criteria(), clock.now)
    panel = [judge for judge in judges if judge.email in SARAKHS_JUDGES]
    round_ = judging.save_round(organiser, event, judging.RoundDetails(
        kind=FINAL, rubric_id=rubric.id, starts_at=clock.at(*SARAKHS_FINAL["opens"]),
        ends_at=clock.at(*SARAKHS_FINAL["closes"]), judges_per_entry=len(panel), blind=True,
    ), clock.now)
    by_name = {normalize_text(plan.name): plan for plan in plans}
    entries = {team.id: team for team in db.session.scalars(
        select(Team).where(Team.event_id == event.id, Team.status == APPROVED).order_by(Team.id))}
    judging.add_entries(organiser, round_, list(entries), clock.now)
    for judge in panel:  # as if each had accepted an invitation to the event
        judging.join_event(judge, event, clock.now)
    judging.add_judges(organiser, round_, [judge.id for judge in panel], clock.now)
    judging.assign_automatically(organiser, round_, clock.at(*SARAKHS_FINAL["assigned"]), seed=1404)

    styles = {plan.email: plan for plan in content.JUDGES}
    users = {judge.id: judge for judge in panel}
    criteria = round_.rubric.criteria
    work, submitted = [], {}
    for assignment in judging.round_assignments(round_):
        plan = by_name[entries[assignment.team_id].name]
        rng = random.Random(f"dawn-of-progress-final-{users[assignment.user_id].email}-{plan.key}")
        moment = clock.at(rng.randint(*SARAKHS_FINAL["scoring"]), rng.randint(9, 21), rng.randint(0, 59))
        work.append((moment, assignment.id, assignment, plan, rng))
    for submitted_at, _, assignment, plan, rng in sorted(work, key=lambda item: item[:2]):
        judge = users[assignment.user_id]
        style = styles[judge.email]
        quality = content.final_quality(plan, len(criteria))
        values = {criterion.id: float(min(criterion.scale_max, max(criterion.scale_min, round(
            quality[index] + style.leniency / 2 + rng.gauss(0, 0.4)))))
            for index, criterion in enumerate(criteria)}
        weakest = min(range(len(criteria)), key=lambda index: (values[criteria[index].id], index))
        comments = {criteria[weakest].id: rng.choice(content.IMPROVEMENTS[weakest % len(content.IMPROVEMENTS)])}
        judging.save_scores(judge, assignment, values, comments, submitted_at - timedelta(minutes=rng.randint(8, 40)))
        total, others = judging.judge_total(assignment), submitted.setdefault(assignment.team_id, [])
        note = ""
        if scoring.outlier(total, others, round_.outlier_threshold):
            note = rng.choice(content.OUTLIER_COMMENTS["high" if total > sum(others) / len(others) else "low"])
        judging.submit_scores(judge, assignment, note, submitted_at)
        others.append(total)
    judging.publish(organiser, round_, {}, clock.at(*SARAKHS_FINAL["published"]))
    db.session.commit()  # the pipeline takes the winners in once the results are committed (results_published)
    return True


def _seed_pipeline(event: Event, plans: list[content.TeamPlan], organiser, clock: Clock) -> None:
    """What became of the Sarakhs maps in the pipeline since the results (``content.PIPELINE_STORIES``):
    maps the organisers added by hand, moves with reasons, owners and next steps, partners, the team's
    notes, milestones done, and monthly readings of the indicators, most checked by an organiser."""
    stages = {stage.key: stage.id for stage in pipeline.ensure_stages()}
    by_key = {plan.key: plan for plan in plans}
    for story in content.PIPELINE_STORIES:
        plan = by_key[story.key]
        team = db.session.scalar(select(Team).where(Team.event_id == event.id,
                                                    Team.name == normalize_text(plan.name)))
        project = db.session.scalar(select(Project).where(Project.team_id == team.id))
        if project is None:  # added by hand some days after the results (or, unlikely, no longer a winner)
            added = clock.at(story.added_on, 10, 30) if story.added_on is not None \
                else clock.at(*SARAKHS_FINAL["published"]) + timedelta(days=1)
            project = pipeline.create_project(organiser, team, clock.past(added))
        elif project.owner_id is not None:
            continue  # its story was told already
        leader = accounts.find_by_email(content.leader_email(plan))
        rng = random.Random(f"dawn-of-progress-pipeline-{story.key}")
        for name, role in story.partners:
            pipeline.add_partner(organiser, project, name, role, clock.now)
        for day, key, reason in story.moves:
            pipeline.move(organiser, project, stages[key], reason,
                          clock.past(clock.at(day, rng.randint(9, 15), rng.randint(0, 59))))
        for day, who, text in story.notes:
            pipeline.post_note(leader if who == "team" else organiser, project, text, [],
                               clock.past(clock.at(day, rng.randint(10, 21), rng.randint(0, 59))))
        _mark_milestones(project, story, leader, organiser, clock, rng)
        _post_readings(project, story, leader, organiser, clock, rng)
        due = (clock.midnight + timedelta(days=story.next_step_due)).date() if story.next_step_due is not None else None
        pipeline.update_plan(organiser, project, pipeline.Plan(organiser.id, story.next_step, due), clock.now)


def _mark_milestones(project: Project, story: content.PipelineStory, leader: User, organiser, clock: Clock,
                     rng: random.Random) -> None:
    today = clock.midnight.date()

    def mark(milestone, done_on):
        pipeline.mark_milestone(leader, project, milestone.id, done_on,
                                clock.past(clock.at((done_on - today).days, 19, rng.randint(0, 59))))

    if story.milestones != "none":
        until = today + timedelta(days=story.milestones_until)
        started = min((clock.at(day).date() for day, key, _ in story.moves if key == "implementation"),
                      default=until)
        for milestone in project.milestones:
            if milestone.due_on is not None and (story.milestones == "all" or milestone.due_on < until):
                mark(milestone, min(until, max(started, milestone.due_on - timedelta(days=rng.randint(0, 12)))))
    for title, due, done in story.added_milestones:
        milestone = pipeline.add_milestone(organiser, project, title, today + timedelta(days=due), clock.now)
        db.session.flush()
        if done is not None:
            mark(milestone, today + timedelta(days=done))


def _post_readings(project: Project, story: content.PipelineStory, leader: User, organiser, clock: Clock,
                   rng: random.Random) -> None:
    """Monthly readings of each indicator, on the path its story asks for, posted by the team's leader and
    (but the latest, when the story says so) verified by an organiser a few days later."""
    first, last = story.readings
    if first == last:
        return
    days = list(range(first, last, 30))
    if last - days[-1] >= 10:
        days.append(last)
    today = clock.midnight.date()
    for index, indicator in enumerate(project.indicators):
        wanted = story.indicators[index % len(story.indicators)]
        if wanted is None or indicator.baseline is None or indicator.target is None:
            continue
        taken = [today + timedelta(days=day) for day in days]
        values = _reading_values(indicator, wanted, taken, story.last_unverified, today, rng)
        for position, (taken_on, value) in enumerate(zip(taken, values)):
            posted = clock.past(clock.at((taken_on - today).days + rng.randint(0, 2), rng.randint(9, 21),
                                         rng.randint(0, 59)))
            reading = pipeline.post_reading(leader, project, indicator.id, pipeline.ReadingDetails(
                taken_on, value, story.source), posted)
            if not (story.last_unverified and position == len(taken) - 1):
                checked = clock.past(posted + timedelta(days=rng.randint(2, 5), hours=rng.randint(0, 6)))
                pipeline.verify_reading(organiser, project, reading.id, checked)


def _reading_values(indicator, wanted: str, taken: list, last_unverified: bool, today, rng: random.Random
                    ) -> list[float]:
    """Values from the baseline along a path that leaves the indicator ``wanted`` (met, on track or behind)
    by its verified readings today; the unverified latest one goes a little further."""
    origin, target, target_date = indicator.baseline, indicator.target, indicator.target_date
    step = 1.0 if abs(target - origin) >= 15 else 0.1
    verified = len(taken) - 1 if last_unverified else len(taken)
    elapsed = 1.0
    if target_date is not None and target_date > taken[0]:
        elapsed = (min(today, target_date) - taken[0]).days / (target_date - taken[0]).days
    if wanted == "on_track" and (elapsed > 0.6 or target_date is None or target_date <= today):
        wanted = "met"  # too little time left to be merely on track
    final = {"met": 1.1, "on_track": min(0.9, 1.5 * elapsed + 0.05), "behind": 0.3 * elapsed}[wanted]

    def value(share: float) -> float:
        return round(round((origin + share * (target - origin)) / step) * step, 1)

    shares = [final * (position / max(1, verified - 1)) ** 0.8 for position in range(verified)]
    if wanted == "behind" and verified > 2:
        shares[-2] = shares[-1] + 0.02  # a small setback at the last reading
    values = [value(share) for share in shares]
    if last_unverified:
        values.append(value(shares[-1] + rng.uniform(0.03, 0.08)))
    # Rounding may tip the latest verified value over a line: nudge it back to the story.
    readings = list(zip(taken, values))[:verified]
    rank = {"behind": 0, "on_track": 1, "met": 2}
    for _ in range(50):
        found = tracking.status(origin, target, target_date, readings, today)
        if found == wanted:
            break
        towards = (1 if rank[wanted] > rank[found] else -1) * (1 if target > origin else -1)
        values[verified - 1] = round(values[verified - 1] + towards * step, 1)
        readings = list(zip(taken, values))[:verified]
    return values
