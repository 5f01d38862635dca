"""Test data. Rows are committed in their own app context so that test-client requests see them."""
from datetime import timedelta

import factory

from eventapp.auth.models import RoleGrant, User
from eventapp.auth.passwords import hash_password
from eventapp.database import utcnow
from eventapp.events.models import Event, Phase
from eventapp.extensions import db

TEST_PASSWORD = "correct horse battery"
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
