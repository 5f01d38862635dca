"""Test data: factory_boy factories of the rows, and builders that commit them in their own app context
(so that test-client requests see them) and return ids.

The factories add their rows to the session of the current app context and flush them; the caller commits.
"""
from dataclasses import asdict
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
from eventapp.judging.models import Assignment, Criterion, Round, Rubric
from eventapp.pipeline import services as pipeline
from eventapp.teams import services as teams
from eventapp.teams.models import MAP_SECTIONS, SUBMITTED, Indicator, MapAction, ProgressMap, Team, TeamMember

from .helpers import TEST_PASSWORD, first_county, get

_TEST_HASH = hash_password(TEST_PASSWORD)  # hashed once: Argon2 is slow on purpose


def today() -> date:
    """Today in Tehran."""
    return to_tehran(utcnow()).date()


# --- factories ---------------------------------------------------------------------------------------------


class ModelFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class UserFactory(ModelFactory):
    class Meta:
        model = User

    name = factory.Sequence(lambda n: f"کاربر {n}")
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    mobile = factory.Sequence(lambda n: f"0912{n:07d}")
    password_hash = _TEST_HASH


class EventFactory(ModelFactory):
    class Meta:
        model = Event

    slug = factory.Sequence(lambda n: f"event-{n}")
    title_fa = factory.Sequence(lambda n: f"رویداد {n}")
    title_en = factory.Sequence(lambda n: f"Event {n}")


class TeamMemberFactory(ModelFactory):
    """A member of a team; ``user=`` an account (detached is fine) gives the member's name and mobile."""

    class Meta:
        model = TeamMember

    class Params:
        user = None

    team = factory.SubFactory("tests.factories.TeamFactory")
    event_id = factory.SelfAttribute("team.event_id")
    user_id = factory.LazyAttribute(lambda member: member.user.id if member.user else None)
    name = factory.LazyAttribute(lambda member: member.user.name if member.user else "عضو بی‌حساب")
    mobile = factory.LazyAttribute(lambda member: member.user.mobile if member.user else "")


class TeamFactory(ModelFactory):
    """An approved team in the first county; ``leader=user`` and ``members=[user, ...]`` give its members."""

    class Meta:
        model = Team

    event = factory.SubFactory(EventFactory)
    name = factory.Sequence(lambda n: f"گروه نمونه {n:04d}")
    organisation_type = "jihadi"
    organisation_name = "گروه جهادی نمونه"
    county = factory.LazyFunction(first_county)
    province_id = factory.SelfAttribute("county.province_id")
    contact_email = "team@example.com"
    contact_phone = "09120000000"
    status = "approved"

    @factory.post_generation
    def leader(team, create, user, **kwargs):
        if user is not None:
            (TeamMemberFactory.create if create else TeamMemberFactory.build)(team=team, user=user, is_leader=True)

    @factory.post_generation
    def members(team, create, users, **kwargs):
        for user in users or ():
            (TeamMemberFactory.create if create else TeamMemberFactory.build)(team=team, user=user)


def indicators_of(rows) -> list[Indicator]:
    """A map's indicators, in order, from (name, unit, baseline, target, target date) rows."""
    return [Indicator(position=position, name=name, unit=unit, baseline=baseline, target=target,
                      target_date=target_date)
            for position, (name, unit, baseline, target, target_date) in enumerate(rows)]


def actions_of(rows) -> list[MapAction]:
    """A map's actions, in order, from (what, starts on, ends on) rows."""
    return [MapAction(position=position, what=what, starts_on=starts_on, ends_on=ends_on)
            for position, (what, starts_on, ends_on) in enumerate(rows)]


def default_indicators():
    return [("آبدهی قنات", "لیتر بر ثانیه", 40.0, 100.0, date(today().year + 2, 3, 20)),
            ("روزهای همراه با گرد و غبار", "روز در سال", 60.0, 20.0, None)]


def default_actions():
    return [("لایروبی و کول‌گذاری قنات", today() + timedelta(days=10), today() + timedelta(days=90)),
            ("لوله‌کشی جوی اصلی", today() + timedelta(days=60), today() + timedelta(days=240))]


class ProgressMapFactory(ModelFactory):
    """A team's map draft about the team's place, with two indicators and two actions;
    ``submitted=True``: submitted now."""

    class Meta:
        model = ProgressMap

    class Params:
        submitted = factory.Trait(status=SUBMITTED, submitted_at=factory.LazyFunction(utcnow))

    team = factory.SubFactory(TeamFactory)
    title = factory.LazyAttribute(lambda progress_map: f"نقشه پیشرفت {progress_map.team.name}")
    province_id = factory.SelfAttribute("team.province_id")
    county_id = factory.SelfAttribute("team.county_id")
    district = "روستای نمونه"
    goals = "<p>آب برای همه</p>"
    indicators = factory.LazyFunction(lambda: indicators_of(default_indicators()))
    actions = factory.LazyFunction(lambda: actions_of(default_actions()))


class RubricFactory(ModelFactory):
    """A rubric of the default criteria (the articles')."""

    class Meta:
        model = Rubric

    event = factory.SubFactory(EventFactory)
    title_fa = "شاخص‌ها"
    title_en = "Rubric"
    criteria = factory.LazyFunction(lambda: [Criterion(position=position, **asdict(criterion))
                                             for position, criterion in enumerate(judging.default_criteria())])


class RoundFactory(ModelFactory):
    """A final round with one judge per entry, open since yesterday for five more days, with its own rubric."""

    class Meta:
        model = Round

    event = factory.SubFactory(EventFactory)
    kind = "final"
    rubric = factory.SubFactory(RubricFactory, event=factory.SelfAttribute("..event"))
    starts_at = factory.LazyFunction(lambda: utcnow() - timedelta(days=1))
    ends_at = factory.LazyAttribute(lambda round_: round_.starts_at + timedelta(days=6))
    judges_per_entry = 1


# --- users and events ----------------------------------------------------------------------------------------


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


# --- teams, maps and pipeline projects ---------------------------------------------------------------------


def _given(**values) -> dict:
    """The keyword arguments a caller gave (not None): the factories' defaults stand for the others."""
    return {name: value for name, value in values.items() if value is not None}


def team_in(app, event_id: int, leader_user=None, status="approved", members=(), **fields):
    """A committed team of ``event_id`` led by ``leader_user`` (a User), with extra member users."""
    with app.app_context():
        team = TeamFactory(event=get(Event, event_id), leader=leader_user, members=members, status=status, **fields)
        db.session.commit()
        return team.id


def team_with_map(app, event_id, leader=None, name=None, status=SUBMITTED, province=None, members=(),
                  indicators=None, actions=None, title=None) -> int:
    """A committed approved team with a progress map (``status`` submitted or draft; None: no map), about
    the team's place or the first county of ``province``."""
    with app.app_context():
        team = TeamFactory(event=get(Event, event_id), leader=leader, members=members, **_given(name=name))
        if status is not None:
            place = {} if province is None else {"province_id": province, "county_id": first_county(province).id}
            ProgressMapFactory(team=team, submitted=status == SUBMITTED, **place, **_given(
                title=title, indicators=indicators and indicators_of(indicators),
                actions=actions and actions_of(actions)))
        db.session.commit()
        return team.id


def project_for(app, organiser, team_id, now=None, award="") -> int:
    """The team's pipeline project, created by ``organiser``."""
    with app.app_context():
        project = pipeline.create_project(get(User, organiser.id), get(Team, team_id), now or utcnow(), award)
        db.session.commit()
        return project.id


def complete_draft(place, **overrides) -> teams.MapDraft:
    """What a team saves when every field of its map is filled in, in ``place`` (as helpers.places gives it)."""
    values = {
        "title": "نقشه پیشرفت روستای نمونه", "province_id": place.province, "county_id": place.county, "district": "دهستان",
        "sections": {section: f"<p>متن {section}</p>" for section in MAP_SECTIONS},
        "indicators": [teams.IndicatorRow(name="اشتغال جوانان", unit="نفر", baseline=10, target=40)],
        "actions": [teams.ActionRow(what="کارگاه آموزش", responsible="گروه")],
    }
    return teams.MapDraft(**{**values, **overrides})


# --- judged rounds with published results (certificates need them) ---------------------------------


def assigned_round(app, organiser, event_id, team_ids, judge_ids, kind="final", judges_per_entry=1) -> int:
    """A round of the event with the default rubric, its entries and judges, every entry assigned automatically."""
    with app.app_context():
        actor = get(User, organiser.id)
        round_ = RoundFactory(event=get(Event, event_id), kind=kind, judges_per_entry=judges_per_entry)
        judging.add_entries(actor, round_, team_ids, utcnow())
        judging.add_judges(actor, round_, judge_ids, utcnow())
        assert not judging.assign_automatically(actor, round_, utcnow()).uncovered
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
            judge, criteria = get(User, assignment.user_id), assignment.round.rubric.criteria
            value = score_of(team_ids.index(assignment.team_id))
            judging.save_scores(judge, assignment, {criterion.id: value for criterion in criteria},
                                {criteria[0].id: "برنامهٔ زمانی روشن است."}, utcnow())
            if assignment.user_id not in keep_open:
                judging.submit_scores(judge, assignment, "", utcnow())
        db.session.commit()


def publish(app, organiser, round_id):
    """Publish the round's results as they stand."""
    with app.app_context():
        judging.publish(get(User, organiser.id), get(Round, round_id), {}, utcnow())
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
