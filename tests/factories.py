"""Test data. Rows are committed in their own app context so that test-client requests see them."""
from datetime import date, timedelta

import factory
from sqlalchemy import select

from eventapp.auth.models import RoleGrant, User
from eventapp.auth.passwords import hash_password
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.core.i18n import to_tehran
from eventapp.core.text import persian_digits
from eventapp.events.models import Event, Phase
from eventapp.judging import services as judging
from eventapp.judging.models import Assignment, Round
from eventapp.pipeline import services as pipeline
from eventapp.teams import services as teams
from eventapp.teams.models import MAP_SECTIONS, SUBMITTED, Indicator, MapAction, ProgressMap, Team

from .helpers import TEST_PASSWORD, first_county, get

_TEST_HASH = hash_password(TEST_PASSWORD)  # hashed once: Argon2 is slow on purpose


class UserFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        model = User
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    name = factory.Sequence(lambda n: f"کاربر {n}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    mobile = factory.Sequence(lambda n: f"0912{n:07d}")
    password_hash = _TEST_HASH


class EventFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        model = Event
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"

    slug = factory.Sequence(lambda n: f"event-{n}")
    title_fa = factory.Sequence(lambda n: f"رویداد {n}")
    title_en = factory.Sequence(lambda n: f"Event {n}")


def phases_around(now, open_kind="registration", days=10):
    """A schedule of the required phases, back to back, with ``open_kind`` open at ``now``."""
    kinds = ["registration", "screening", "training", "submission", "judging", "results"]
    start = now - timedelta(days=days // 2) - timedelta(days=days) * kinds.index(open_kind)
    return {
        kind: (start + timedelta(days=days) * i, start + timedelta(days=days) * (i + 1) - timedelta(seconds=1))
        for i, kind in enumerate(kinds)
    }


class Maker:
    """``make.user(...)`` and ``make.event(...)`` create committed rows and return them detached but loaded."""

    def __init__(self, app):
        self.app = app

    def _commit(self, build):
        with self.app.app_context():
            obj = build()
            db.session.commit()
            db.session.refresh(obj)
            for name in ("role_grants", "phases"):
                getattr(obj, name, None)
            db.session.expunge(obj)
            return obj

    def user(self, roles=(), **fields):
        def build():
            user = UserFactory(**fields)
            for role in roles:
                user.role_grants.append(RoleGrant(role=role))
            return user
        return self._commit(build)

    def event(self, schedule=None, open_kind="registration", **fields):
        def build():
            event = EventFactory(**fields)
            windows = schedule or phases_around(utcnow(), open_kind)
            for kind, (start, end) in windows.items():
                event.phases.append(Phase(kind=kind, starts_at=start, ends_at=end))
            return event
        return self._commit(build)


def team_in(app, event_id: int, leader_user=None, status="approved", members=(), **fields):
    """A committed team of ``event_id`` led by ``leader_user`` (a User), with extra member users."""
    from eventapp.events.models import County
    from eventapp.teams.models import Team, TeamMember

    with app.app_context():
        county = db.session.scalars(db.select(County).order_by(County.id)).first()
        team = Team(
            event_id=event_id, name=fields.pop("name", f"گروه {utcnow().timestamp()}"),
            organisation_type=fields.pop("organisation_type", "jihadi"),
            organisation_name=fields.pop("organisation_name", "گروه جهادی نمونه"),
            province_id=county.province_id, county_id=county.id, contact_email="team@example.com",
            contact_phone="09120000000", status=status, **fields,
        )
        for user, is_leader in ([(leader_user, True)] if leader_user else []) + [(m, False) for m in members]:
            team.members.append(TeamMember(event_id=event_id, user_id=user.id, name=user.name,
                                           mobile=user.mobile, is_leader=is_leader))
        db.session.add(team)
        db.session.commit()
        return team.id


# --- progress maps and pipeline projects -----------------------------------------------------------


def today() -> date:
    """Today in Tehran."""
    return to_tehran(utcnow()).date()


def complete_draft(place, **overrides) -> teams.MapDraft:
    """A map draft with every field filled in, in ``place`` (as helpers.places gives it)."""
    values = {
        "title": "نقشه پیشرفت روستای نمونه", "province_id": place.province, "county_id": place.county, "district": "دهستان",
        "sections": {section: f"<p>متن {section}</p>" for section in MAP_SECTIONS},
        "indicators": [teams.IndicatorRow(name="اشتغال جوانان", unit="نفر", baseline=10, target=40)],
        "actions": [teams.ActionRow(what="کارگاه آموزش", responsible="گروه")],
    }
    return teams.MapDraft(**{**values, **overrides})


def default_indicators():
    return [("آبدهی قنات", "لیتر بر ثانیه", 40.0, 100.0, date(today().year + 2, 3, 20)),
            ("روزهای همراه با گرد و غبار", "روز در سال", 60.0, 20.0, None)]


def default_actions():
    return [("لایروبی و کول‌گذاری قنات", today() + timedelta(days=10), today() + timedelta(days=90)),
            ("لوله‌کشی جوی اصلی", today() + timedelta(days=60), today() + timedelta(days=240))]


def team_with_map(app, event_id, leader=None, name=None, status=SUBMITTED, province=None, members=(),
                  indicators=None, actions=None, title=None) -> int:
    """A committed approved team with a progress map (``status`` submitted or draft; None: no map)."""
    name = name or f"گروه {utcnow().timestamp()}"
    team_id = team_in(app, event_id, leader, members=members, name=name)
    if status is None:
        return team_id
    with app.app_context():
        team = get(Team, team_id)
        county_id = team.county_id
        if province is not None:
            county_id = first_county(province).id
        progress_map = ProgressMap(
            team_id=team_id, title=title or f"نقشه پیشرفت {name}", province_id=province or team.province_id,
            county_id=county_id, district="روستای نمونه", goals="<p>آب برای همه</p>", status=status,
            submitted_at=utcnow() if status == SUBMITTED else None)
        progress_map.indicators = [
            Indicator(position=i, name=n, unit=unit, baseline=baseline, target=target, target_date=target_date)
            for i, (n, unit, baseline, target, target_date) in enumerate(
                default_indicators() if indicators is None else indicators)]
        progress_map.actions = [
            MapAction(position=i, what=what, starts_on=starts_on, ends_on=ends_on)
            for i, (what, starts_on, ends_on) in enumerate(default_actions() if actions is None else actions)]
        db.session.add(progress_map)
        db.session.commit()
    return team_id


def project_for(app, organiser, team_id, now=None, award="") -> int:
    """The team's pipeline project, created by ``organiser``."""
    with app.app_context():
        project = pipeline.create_project(get(User, organiser.id), get(Team, team_id), now or utcnow(), award)
        db.session.commit()
        return project.id


# --- judged rounds with published results (certificates need them) ---------------------------------


def assigned_round(app, organiser, event_id, team_ids, judge_ids, kind="final", judges_per_entry=1) -> int:
    """A round of the event (open since yesterday) with the default rubric, its entries and judges, every
    entry assigned automatically."""
    now = utcnow()
    with app.app_context():
        actor, event = db.session.get(User, organiser.id), db.session.get(Event, event_id)
        rubric = judging.save_rubric(actor, event, "شاخص‌ها", "Rubric", judging.default_criteria())
        round_ = judging.save_round(actor, event, judging.RoundDetails(
            kind=kind, rubric_id=rubric.id, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=5),
            judges_per_entry=judges_per_entry))
        judging.add_entries(actor, round_, team_ids)
        judging.add_judges(actor, round_, judge_ids)
        assert not judging.assign_automatically(actor, round_, now).uncovered
        db.session.commit()
        return round_.id


def final_round(app, organiser, event_id, team_ids, judge_ids, judges_per_entry=1) -> int:
    """A final round of the event with the default rubric, its entries and judges, assigned."""
    return assigned_round(app, organiser, event_id, team_ids, judge_ids, "final", judges_per_entry)


def submit_scores(app, round_id, team_ids, score_of=lambda index: 9 - index % 9, keep_open=()):
    """Every judge submits (but the assignments of ``keep_open`` judges stay drafts): each entry gets
    ``score_of(its index)`` on every criterion, and a comment on the first."""
    with app.app_context():
        for assignment in db.session.scalars(select(Assignment).where(Assignment.round_id == round_id)).all():
            judge, criteria = db.session.get(User, assignment.user_id), assignment.round.rubric.criteria
            value = score_of(team_ids.index(assignment.team_id))
            judging.save_scores(judge, assignment, {criterion.id: value for criterion in criteria},
                                {criteria[0].id: "برنامهٔ زمانی روشن است."}, utcnow())
            if assignment.user_id not in keep_open:
                judging.submit_scores(judge, assignment, "", utcnow())
        db.session.commit()


def publish(app, organiser, round_id):
    """Publish the round's results as they stand."""
    with app.app_context():
        judging.publish(db.session.get(User, organiser.id), db.session.get(Round, round_id), {}, utcnow())
        db.session.commit()


def many_teams(app, make, organiser, count, names=None):
    """An event whose final round of ``count`` teams without members is published."""
    event = make.event(open_kind="judging", title_fa="جشنواره بزرگ", title_en="Big Festival")
    judge = make.user(name="داور تنها", roles=["judge"])
    names = names or [f"گروه شماره {persian_digits(str(index))}" for index in range(count)]
    team_ids = [team_in(app, event.id, name=name) for name in names]
    round_id = final_round(app, organiser, event.id, team_ids, [judge.id])
    submit_scores(app, round_id, team_ids)
    publish(app, organiser, round_id)
    return event, team_ids
