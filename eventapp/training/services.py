"""Training sessions: organisers schedule them and record attendance; members of eligible teams sign up.

Capacity is kept here, not in the pages: every change to a session's places first locks the session's
row (SELECT ... FOR UPDATE on PostgreSQL), so concurrent sign-ups are counted one after the other.
The waiting list is served first come, first served, in the order the sign-ups were written.
"""
import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased, joinedload, load_only, raiseload

from ..audit import services as audit
from ..auth.models import User
from ..core.errors import Conflict, DeadlinePassed, DomainError, Invalid, NotAllowed, NotFound
from ..core.extensions import db
from ..core.i18n import format_datetime
from ..core.roles import require_organiser
from ..core.text import normalize_text, persian_sort_key
from ..events import services as events
from ..events.models import Event
from ..teams.models import APPROVED, Team, TeamMember
from .enums import Audience
from .models import APPROVED_TEAMS, AUDIENCES, CONFIRMED, SELECTED_TEAMS, WAITLISTED, TrainingSession, TrainingSignup

audit.register_actions({
    "training.created": _l("Training session created"),
    "training.updated": _l("Training session updated"),
    "training.cancelled": _l("Training session cancelled"),
    "training.attendance": _l("Training attendance recorded"),
})
audit.register_fields(values={"audience": Audience.label_of})


MAX_CAPACITY = 10000
# An online link must be a plain web address: no other scheme (javascript:, data:) reaches an href.
LINK_PATTERN = r"^https?://[^\s<>\"']+$"


# --- organisers: scheduling ----------------------------------------------------------------

@dataclass
class SessionDetails:
    """What an organiser sets on a training session."""

    title: str
    starts_at: datetime | None
    ends_at: datetime | None
    capacity: int | None
    description: str = ""
    place: str = ""
    online_link: str = ""
    audience: str = APPROVED_TEAMS
    required: bool = False

    def columns(self) -> dict:
        """The session's columns, text normalised as every form stores it."""
        return {
            "title": normalize_text(self.title or ""), "description": normalize_text(self.description or ""),
            "starts_at": self.starts_at, "ends_at": self.ends_at, "capacity": self.capacity,
            "place": normalize_text(self.place or ""), "online_link": (self.online_link or "").strip(),
            "audience": self.audience, "required": bool(self.required),
        }


def _validate(columns: dict) -> None:
    errors = {}
    if not columns["title"]:
        errors["title"] = _("Enter the title of the session.")
    if columns["starts_at"] is None:
        errors["starts_at"] = _("Enter when the session starts.")
    if columns["ends_at"] is None:
        errors["ends_at"] = _("Enter when the session ends.")
    elif columns["starts_at"] is not None and columns["ends_at"] <= columns["starts_at"]:
        errors["ends_at"] = _("The end must come after the start.")
    capacity = columns["capacity"]
    if capacity is None or not 1 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = _("Enter a number from %(min)s to %(max)s.", min=1, max=MAX_CAPACITY)
    if columns["audience"] not in AUDIENCES:
        errors["audience"] = _("Choose who the session is open to.")
    if not columns["place"] and not columns["online_link"]:
        errors["place"] = _("Give the place, the online link, or both.")
    if columns["online_link"] and not re.fullmatch(LINK_PATTERN, columns["online_link"]):
        errors["online_link"] = _("Enter a web address starting with https://.")
    if errors:
        raise Invalid(_("The session was not saved: correct the marked fields."), fields=errors)


def _snapshot(session: TrainingSession) -> dict:
    return {name: getattr(session, name) for name in SessionDetails.__dataclass_fields__}


def ensure_can_manage(actor) -> None:
    require_organiser(actor, _l("Only organisers can manage training sessions."))


def create_session(actor, event: Event, details: SessionDetails, now: datetime) -> TrainingSession:
    ensure_can_manage(actor)
    columns = details.columns()
    _validate(columns)
    session = TrainingSession(event_id=event.id, created_by_id=actor.id, created_at=now, **columns)
    db.session.add(session)
    db.session.flush()
    audit.record(actor, "training.created", session, audit.diff({}, _snapshot(session)), now=now)
    return session


def update_session(actor, session: TrainingSession, details: SessionDetails, now: datetime) -> TrainingSession:
    """Save the organiser's changes. More places move people up from the waiting list; fewer places
    keep the people who already have one (newcomers wait until enough of them cancel)."""
    ensure_can_manage(actor)
    columns = details.columns()
    _validate(columns)
    _lock(session)
    if session.is_cancelled:
        raise Conflict(_("A cancelled session cannot be changed."))
    before = _snapshot(session)
    for name, value in columns.items():
        setattr(session, name, value)
    db.session.flush()
    changes = audit.diff(before, _snapshot(session))
    promoted = _fill_places(session)
    if promoted:
        changes["promoted"] = [None, len(promoted)]
    if changes:
        audit.record(actor, "training.updated", session, changes, now=now)
    return session


def cancel_session(actor, session: TrainingSession, now: datetime) -> TrainingSession:
    ensure_can_manage(actor)
    _lock(session)
    if session.is_cancelled:
        raise Conflict(_("This session is already cancelled."))
    session.cancelled_at = now
    audit.record(actor, "training.cancelled", session, audit.diff({}, {"cancelled_at": now}), now=now)
    return session


# --- members: signing up -------------------------------------------------------------------

def _lock(session: TrainingSession) -> None:
    """Lock the session's row until the transaction ends and re-read it (capacity may have changed)."""
    db.session.execute(
        select(TrainingSession).where(TrainingSession.id == session.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _require_account(actor) -> None:
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAllowed(_("Sign in to sign up for training sessions."))


def team_of(actor, event_id: int) -> Team | None:
    """The team of ``actor`` in the event, if any (a person is in at most one team per event)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return None
    return db.session.scalar(
        select(Team).join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.event_id == event_id, TeamMember.user_id == actor.id)
    )


def _check_can_sign_up(session: TrainingSession, team: Team | None, now: datetime) -> None:
    if session.is_cancelled:
        raise Conflict(_("This session was cancelled."))
    if session.has_started(now):
        raise DeadlinePassed(_("This session has started: signing up is closed."))
    if team is None or team.status != APPROVED:
        raise NotAllowed(_("Only members of an approved team of this event can sign up."))
    if session.audience == SELECTED_TEAMS and not team.screening_selected:
        raise NotAllowed(_("This session is only for the teams selected in screening."))


def _confirmed_count(session: TrainingSession) -> int:
    return db.session.scalar(
        select(func.count(TrainingSignup.id))
        .where(TrainingSignup.session_id == session.id, TrainingSignup.status == CONFIRMED)
    )


def _signup_of(actor, session: TrainingSession) -> TrainingSignup | None:
    return db.session.scalar(
        select(TrainingSignup).where(TrainingSignup.session_id == session.id, TrainingSignup.user_id == actor.id)
    )


def sign_up(actor, session: TrainingSession, now: datetime) -> TrainingSignup:
    """A place for ``actor`` if one is free, otherwise the end of the waiting list."""
    _require_account(actor)
    _lock(session)
    team = team_of(actor, session.event_id)
    _check_can_sign_up(session, team, now)
    if _signup_of(actor, session) is not None:
        raise Conflict(_("You have already signed up for this session."))
    status = CONFIRMED if _confirmed_count(session) < session.capacity else WAITLISTED
    signup = TrainingSignup(session_id=session.id, team_id=team.id, user_id=actor.id, status=status,
                            created_at=now)
    db.session.add(signup)
    db.session.flush()
    return signup


def cancel_signup(actor, session: TrainingSession, now: datetime) -> list[TrainingSignup]:
    """Give up ``actor``'s place or spot on the waiting list; return the people moved up into a place."""
    _require_account(actor)
    _lock(session)
    signup = _signup_of(actor, session)
    if signup is None:
        raise Conflict(_("You are not signed up for this session."))
    if session.has_started(now):
        raise DeadlinePassed(_("This session has started: the sign-up can no longer be cancelled."))
    db.session.delete(signup)
    db.session.flush()
    return _fill_places(session)


def _fill_places(session: TrainingSession) -> list[TrainingSignup]:
    """Move the first people of the waiting list into the free places (the row must be locked)."""
    if session.is_cancelled:
        return []
    free = session.capacity - _confirmed_count(session)
    if free <= 0:
        return []
    waiting = db.session.scalars(
        select(TrainingSignup)
        .where(TrainingSignup.session_id == session.id, TrainingSignup.status == WAITLISTED)
        .order_by(TrainingSignup.id).limit(free)
    ).all()
    for signup in waiting:
        signup.status = CONFIRMED
    db.session.flush()
    return list(waiting)


def waitlist_position(signup: TrainingSignup) -> int | None:
    """1 for the first person waiting; None for a confirmed place."""
    if signup.status != WAITLISTED:
        return None
    return db.session.scalar(
        select(func.count(TrainingSignup.id)).where(
            TrainingSignup.session_id == signup.session_id, TrainingSignup.status == WAITLISTED,
            TrainingSignup.id <= signup.id,
        )
    )


# --- what the pages show -------------------------------------------------------------------

@dataclass
class SessionView:
    """A session as one reader sees it: its places, and the reader's own sign-up."""

    session: TrainingSession
    confirmed: int = 0
    waitlisted: int = 0
    signup: TrainingSignup | None = None
    position: int | None = None
    can_sign_up: bool = False
    reason: str = ""

    @property
    def free(self) -> int:
        return max(0, self.session.capacity - self.confirmed)

    @property
    def shows_link(self) -> bool:
        """The online link is for the people with a place."""
        return bool(self.session.online_link) and self.signup is not None and self.signup.is_confirmed


def _sessions_of(event: Event) -> list[TrainingSession]:
    return db.session.scalars(
        select(TrainingSession).where(TrainingSession.event_id == event.id)
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    ).all()


def _counts(session_ids: list[int]) -> dict[int, dict[str, int]]:
    counts = {session_id: {CONFIRMED: 0, WAITLISTED: 0} for session_id in session_ids}
    if session_ids:
        rows = db.session.execute(
            select(TrainingSignup.session_id, TrainingSignup.status, func.count(TrainingSignup.id))
            .where(TrainingSignup.session_id.in_(session_ids))
            .group_by(TrainingSignup.session_id, TrainingSignup.status)
        )
        for session_id, status, number in rows:
            counts[session_id][status] = number
    return counts


def _views(sessions: list[TrainingSession]) -> list[SessionView]:
    counts = _counts([session.id for session in sessions])
    return [SessionView(session, counts[session.id][CONFIRMED], counts[session.id][WAITLISTED])
            for session in sessions]


def sessions_for(event: Event, actor, now: datetime) -> list[SessionView]:
    """The public list: every session of the event, with the reader's own sign-ups if signed in.

    Only counts are shown of the other people, never who they are.
    """
    views = _views(_sessions_of(event))
    if actor is None or not getattr(actor, "is_authenticated", False) or not views:
        return views
    ids = [view.session.id for view in views]
    mine = {signup.session_id: signup for signup in db.session.scalars(
        select(TrainingSignup).where(TrainingSignup.user_id == actor.id, TrainingSignup.session_id.in_(ids)))}
    earlier = aliased(TrainingSignup)
    positions = dict(db.session.execute(
        select(TrainingSignup.id, func.count(earlier.id))
        .join(earlier, and_(earlier.session_id == TrainingSignup.session_id, earlier.status == WAITLISTED,
                            earlier.id <= TrainingSignup.id))
        .where(TrainingSignup.user_id == actor.id, TrainingSignup.status == WAITLISTED,
               TrainingSignup.session_id.in_(ids))
        .group_by(TrainingSignup.id)
    ).all())
    team = team_of(actor, event.id)
    for view in views:
        view.signup = mine.get(view.session.id)
        if view.signup is not None:
            view.position = positions.get(view.signup.id)
            continue
        try:
            _check_can_sign_up(view.session, team, now)
            view.can_sign_up = True
        except DomainError as error:
            view.reason = str(error)
    return views


def get_session(session_id: int) -> TrainingSession:
    """One session, with its event."""
    session = db.session.get(TrainingSession, session_id, options=[joinedload(TrainingSession.event)])
    if session is None:
        raise NotFound(_("There is no such training session."))
    return session


def get_session_for_organiser(actor, session_id: int) -> TrainingSession:
    ensure_can_manage(actor)
    return get_session(session_id)


def get_event_for_organiser(actor, event_id: int) -> Event:
    ensure_can_manage(actor)
    return events.get_event_for_organiser(actor, event_id)


def organiser_sessions(actor, event: Event) -> list[SessionView]:
    ensure_can_manage(actor)
    return _views(_sessions_of(event))


def _with_people(query):
    """Load each sign-up's person and team name with it, and nothing else of the team."""
    return query.options(
        joinedload(TrainingSignup.user).load_only(User.id, User.name),
        joinedload(TrainingSignup.team).options(load_only(Team.id, Team.name), raiseload("*")),
    )


def signups_for_attendance(actor, session: TrainingSession) -> list[TrainingSignup]:
    """Everyone signed up, confirmed places first, each list in sign-up order."""
    require_organiser(actor, _l("Only organisers can record attendance."))
    return db.session.scalars(_with_people(
        select(TrainingSignup).where(TrainingSignup.session_id == session.id)
        .order_by(TrainingSignup.status, TrainingSignup.id)
    )).all()


def record_attendance(actor, session: TrainingSession, marks: dict[int, bool], now: datetime) -> int:
    """Record who came (``marks`` maps a sign-up's id to whether its person attended).

    Sign-ups not in ``marks`` (say, made after the organiser opened the page) are left as they are.
    Returns how many records changed.
    """
    require_organiser(actor, _l("Only organisers can record attendance."))
    if session.is_cancelled:
        raise Conflict(_("A cancelled session has no attendance."))
    if not session.has_started(now):
        raise Conflict(_("Attendance can be recorded once the session has started."))
    changes = {}
    for signup in signups_for_attendance(actor, session):
        if signup.id not in marks or signup.attended == marks[signup.id]:
            continue
        changes[f"{signup.user.name} #{signup.user_id}"] = [signup.attended, marks[signup.id]]
        signup.attended = marks[signup.id]
        signup.attendance_recorded_by_id = actor.id
        signup.attendance_recorded_at = now
    if changes:
        audit.record(actor, "training.attendance", session, changes, now=now)
    return len(changes)


def attendance_sheet(actor, event: Event) -> tuple[list[str], list[list]]:
    """The export: one row per sign-up of the event's sessions that were not cancelled."""
    ensure_can_manage(actor)
    signups = db.session.scalars(_with_people(
        select(TrainingSignup).join(TrainingSignup.session)
        .where(TrainingSession.event_id == event.id, TrainingSession.cancelled_at.is_(None))
        .options(joinedload(TrainingSignup.session).options(load_only(
            TrainingSession.id, TrainingSession.title, TrainingSession.starts_at), raiseload("*")))
        .order_by(TrainingSession.starts_at, TrainingSession.id, TrainingSignup.status, TrainingSignup.id)
    )).all()
    attended = {True: _("Yes"), False: _("No"), None: ""}
    headers = [_("Session"), _("Date"), _("Team"), _("Member"), _("Status"), _("Attended")]
    rows = [[signup.session.title, format_datetime(signup.session.starts_at), signup.team.name,
             signup.user.name, signup.status.label, attended[signup.attended]]
            for signup in signups]
    return headers, rows


def team_attendance(team: Team) -> list[tuple[TrainingSession, list[str]]]:
    """For the team's dashboard: the sessions open to the team (or that its members attended), each with
    the names of the team's members who attended it. Two queries, however many sessions there are."""
    sessions = db.session.scalars(
        select(TrainingSession)
        .where(TrainingSession.event_id == team.event_id, TrainingSession.cancelled_at.is_(None))
        .order_by(TrainingSession.starts_at, TrainingSession.id)
    ).all()
    names: dict[int, list[str]] = {}
    rows = db.session.execute(
        select(TrainingSignup.session_id, User.name).join(User, User.id == TrainingSignup.user_id)
        .where(TrainingSignup.team_id == team.id, TrainingSignup.attended.is_(True))
    )
    for session_id, name in rows:
        names.setdefault(session_id, []).append(name)
    return [
        (session, sorted(names.get(session.id, []), key=persian_sort_key))
        for session in sessions
        if session.id in names or session.audience != SELECTED_TEAMS or team.screening_selected
    ]
