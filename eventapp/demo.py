"""The demo 'Dawn of Progress' series, loaded by ``flask demo``. Idempotent: found, not re-added.

Three events: the national one in its map-submission phase, with about forty teams from all over Iran
(most approved, a few pending, rejected or withdrawn) and their progress maps in Persian; a provincial
one of Yazd taking registrations; and a finished one of Sarakhs. Every team, member, decision, draft,
submission and training sign-up goes through the services at a plausible moment of the right phase
(``now``), so the rules hold and the records tell a believable story. Only the many accounts are made
directly, all sharing one hash of the demo password: Argon2 is slow on purpose.

What the teams and maps say is in ``demo_content``.
"""
import logging
import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import func, select

from . import demo_content as content
from .auth import passwords
from .auth import services as accounts
from .auth.models import RoleGrant, User
from .database import utcnow
from .events import services as events
from .events.models import County, Event, Province
from .extensions import db
from .teams import services as teams
from .teams.models import APPROVED, MAP_SECTIONS, PENDING, REJECTED, WITHDRAWN, Team, TeamMember
from .text import normalize_text
from .training import services as training
from .training.models import APPROVED_TEAMS, CONFIRMED, TrainingSession, TrainingSignup

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


NATIONAL_TIMELINE = Timeline(registration=(-37, -15), late_registration=(-14, -12), decisions=(-11, -10))
YAZD_TIMELINE = Timeline(registration=(-5, -2), late_registration=(-3, -1), decisions=(-1, -1))


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
        return events.create_event(organiser, events.EventDetails(slug=slug, **details))
    # An older demo's event that no team has joined yet moves to today's schedule.
    if (open_phase and not event.phase_open(open_phase, clock.now)
            and not db.session.scalar(select(func.count(Team.id)).where(Team.event_id == event.id))):
        events.update_event(organiser, event, events.EventDetails(slug=slug, **details))
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
    _event(
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
        if _on_schedule(national, clock.windows(NATIONAL_PHASES)):
            _seed_teams(national, content.NATIONAL_TEAMS, NATIONAL_TIMELINE, organiser, clock, password_hash)
            _seed_training(national, organiser, clock)
        if _on_schedule(yazd, clock.windows(YAZD_PHASES)):
            _seed_teams(yazd, content.YAZD_TEAMS, YAZD_TIMELINE, organiser, clock, password_hash)
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
        if plan.key in content.SCREENING_SELECTED:
            teams.set_screening_selected(organiser, team, True)
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
    written = content.map_content(plan, clock.midnight.date())
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
        ))
        rng = random.Random(f"dawn-of-progress-training-{index}")
        share = 0.85 if spec["required"] else 0.7
        chosen = [user_id for user_id, selected in people
                  if (selected or spec["audience"] == APPROVED_TEAMS)
                  and (user_id == demo_leader.id or rng.random() < share)]
        signed_up = session.starts_at - timedelta(hours=36)
        for user_id in chosen:
            signed_up += timedelta(minutes=rng.randint(2, 25))
            training.sign_up(db.session.get(User, user_id), session,
                             min(signed_up, session.starts_at - timedelta(hours=1)))
        signups = db.session.scalars(select(TrainingSignup).where(TrainingSignup.session_id == session.id)).all()
        marks = {signup.id: rng.random() < 0.9 for signup in signups if signup.status == CONFIRMED}
        training.record_attendance(organiser, session, marks, session.ends_at + timedelta(minutes=30))
