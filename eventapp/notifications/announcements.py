"""Organisers' announcements: composed in Persian and English, sent to an audience of an event now or at a time.

An announcement goes to every member with an account of the audience's teams (or to the event's judges), into
their inbox and by email and SMS as each chose. Its text may name the reader: the placeholders are {name} (the
recipient's name), {team} (their team's name) and {event} (the event's title).
"""
import string
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import func, select, update

from ..audit import services as audit
from ..auth.models import User
from ..core import jobs
from ..core.database import utcnow
from ..core.errors import Conflict, Invalid, NotFound
from ..core.extensions import db
from ..core.i18n import format_list
from ..core.roles import require_organiser
from ..events.models import Event, Province
from ..judging.enums import RoundKind
from ..judging.models import EventJudge, Publication, Round, RoundEntry, RoundJudge
from ..teams import richtext
from ..teams.models import APPROVED, PENDING, SUBMITTED, ProgressMap, Team, TeamMember
from . import delivery
from .enums import AnnouncementAudience, AnnouncementStatus, Channel, Kind
from .messages import PLACEHOLDERS, fill
from .models import Announcement
from .outbox import CHUNK, Entry, channels_for, notify

DRAFT, SCHEDULED, SENT = AnnouncementStatus
Audience = AnnouncementAudience

audit.register_actions({
    "announcement.created": _l("Announcement written"),
    "announcement.sent": _l("Announcement sent"),
    "announcement.scheduled": _l("Announcement scheduled"),
    "announcement.unscheduled": _l("Announcement schedule cancelled"),
})


def _require(actor) -> None:
    require_organiser(actor, _l("Only organisers can send announcements."))


@dataclass
class Draft:
    title_fa: str
    title_en: str
    body_fa: str
    body_en: str
    audience: str
    province_id: int | None = None


def check_placeholders(text: str) -> None:
    """Refuse a placeholder the recipients' texts cannot fill, or braces that are not one."""
    try:
        names = [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]
    except ValueError as error:
        raise Invalid(_("A brace in the text is not closed. Write placeholders like {name}; "
                        "write {{ and }} for a brace itself.")) from error
    unknown = sorted({name for name in names if name not in PLACEHOLDERS})
    if unknown:
        raise Invalid(_("Unknown placeholder: %(names)s. You can use: %(known)s.",
                        names=format_list("{" + name + "}" for name in unknown),
                        known=format_list("{" + name + "}" for name in PLACEHOLDERS)))


def _checked(event: Event, draft: Draft) -> dict:
    try:
        audience = Audience(draft.audience)
    except ValueError as error:
        raise Invalid(_("Choose who receives the announcement."), fields={"audience": _("Choose an audience.")}) \
            from error
    if audience == Audience.PROVINCE and (not draft.province_id or db.session.get(Province, draft.province_id) is None):
        raise Invalid(_("Choose the province whose teams receive it."), fields={"province_id": _("Choose a province.")})
    values = {"title_fa": (draft.title_fa or "").strip(), "title_en": (draft.title_en or "").strip(),
              "body_fa": richtext.clean_html(draft.body_fa), "body_en": richtext.clean_html(draft.body_en)}
    if not values["title_fa"] or not values["body_fa"]:
        raise Invalid(_("An announcement needs a Persian title and text."))
    for text in values.values():
        check_placeholders(text)
    return {**values, "audience": audience, "province_id": draft.province_id if audience == Audience.PROVINCE else None}


def create(actor, event: Event, draft: Draft, now: datetime) -> Announcement:
    _require(actor)
    announcement = Announcement(event_id=event.id, created_by_id=actor.id, created_at=now, status=DRAFT,
                                **_checked(event, draft))
    db.session.add(announcement)
    db.session.flush()
    if not recipients(announcement):
        raise Invalid(_("Nobody is in this audience yet: there is no one to send the announcement to."))
    audit.record(actor, "announcement.created", announcement, {"audience": announcement.audience.value},
                 label=announcement.title_fa, now=now)
    return announcement


def get_for_organiser(actor, announcement_id: int) -> Announcement:
    _require(actor)
    announcement = db.session.get(Announcement, announcement_id)
    if announcement is None:
        raise NotFound(_("There is no such announcement."))
    return announcement


def _team_audience(announcement: Announcement):
    event_id = announcement.event_id
    active = [Team.event_id == event_id, Team.status.in_((PENDING, APPROVED))]
    audience = announcement.audience
    if audience == Audience.ALL_TEAMS:
        return select(Team.id).where(*active)
    if audience == Audience.APPROVED:
        return select(Team.id).where(Team.event_id == event_id, Team.status == APPROVED)
    if audience == Audience.SCREENING_SELECTED:
        return select(Team.id).where(Team.event_id == event_id, Team.status == APPROVED, Team.screening_selected)
    if audience == Audience.PROVINCE:
        return select(Team.id).where(*active, Team.province_id == announcement.province_id)
    if audience == Audience.NOT_SUBMITTED:
        return select(Team.id).where(*active, Team.id.not_in(
            select(ProgressMap.team_id).where(ProgressMap.status == SUBMITTED)))
    if audience == Audience.FINALISTS:
        return select(RoundEntry.team_id).join(Round).where(Round.event_id == event_id, Round.kind == RoundKind.FINAL)
    if audience == Audience.WINNERS:
        return _winners(event_id)
    return None


def _winners(event_id: int) -> list[int]:
    snapshots = db.session.scalars(select(Publication.snapshot).join(Round).where(
        Round.event_id == event_id, Round.kind == RoundKind.FINAL, Publication.superseded_at.is_(None)))
    return sorted({row["team_id"] for snapshot in snapshots for row in snapshot.get("rows") or () if row.get("award")})


def recipients(announcement: Announcement) -> list[tuple[int, str, str | None, str]]:
    """(user id, name, locale, team name) of everyone the announcement goes to, by name."""
    if announcement.audience == Audience.JUDGES:
        judges = select(EventJudge.user_id).where(EventJudge.event_id == announcement.event_id).union(
            select(RoundJudge.user_id).join(Round).where(Round.event_id == announcement.event_id))
        rows = db.session.execute(select(User.id, User.name, User.locale).where(User.id.in_(judges), User.active)
                                  .order_by(User.name, User.id)).all()
        return [(user_id, name, locale, "") for user_id, name, locale in rows]
    teams = _team_audience(announcement)
    condition = TeamMember.team_id.in_(teams) if teams is not None else TeamMember.team_id.is_(None)
    rows = db.session.execute(select(User.id, User.name, User.locale, Team.name).join(
        TeamMember, TeamMember.user_id == User.id).join(Team, Team.id == TeamMember.team_id).where(
        condition, User.active, Team.event_id == announcement.event_id).order_by(User.name, User.id)).all()
    return [tuple(row) for row in rows]


@dataclass
class Preview:
    total: int
    languages: dict  # "fa"/"en" -> how many read it in that language
    channels: dict  # Channel -> how many receive it that way (the inbox: everyone)
    sample: list  # (name, language, team) of the first recipients


def preview(actor, announcement: Announcement, default_language: str = "fa", sample_size: int = 20) -> Preview:
    """Who receives the announcement and in which language, and by which channels, before it is sent."""
    _require(actor)
    people = recipients(announcement)
    language = {user_id: locale if locale in ("fa", "en") else default_language for user_id, _, locale, _ in people}
    channels = channels_for(language, Kind.ANNOUNCEMENT)
    with_mobile = set()
    ids = list(language)
    for start in range(0, len(ids), CHUNK):
        with_mobile.update(db.session.scalars(select(User.id).where(
            User.id.in_(ids[start:start + CHUNK]), func.length(User.mobile) == 11)))
    counts = Counter(channel for user_id in language for channel in channels[user_id]
                     if channel != Channel.SMS or user_id in with_mobile)
    return Preview(total=len(people), languages=dict(Counter(language.values())), channels=dict(counts),
                   sample=[(name, language[user_id], team) for user_id, name, _, team in people[:sample_size]])


def send(actor, announcement: Announcement, now: datetime) -> int:
    """Send it now (or, by the scheduler, when its time has come): once, whoever presses or ticks first. The
    number of people it went to."""
    if actor is not None:
        _require(actor)
    claimed = db.session.execute(update(Announcement).where(
        Announcement.id == announcement.id, Announcement.status.in_((DRAFT, SCHEDULED)))
        .values(status=SENT, sent_at=now)).rowcount
    if not claimed:
        raise Conflict(_("This announcement has been sent already."))
    db.session.refresh(announcement)
    event = announcement.event
    people = recipients(announcement)
    entries = [Entry(user_id, f"announcement:{announcement.id}", {"name": name, "team": team},
                     f"/events/{event.slug}#announcement-{announcement.id}", event.id, announcement.id)
               for user_id, name, _, team in people]
    ids = notify(Kind.ANNOUNCEMENT, entries, now)
    announcement.recipients = len(people)
    audit.record(actor, "announcement.sent", announcement, {"recipients": len(people)}, label=announcement.title_fa,
                 now=now)
    db.session.commit()
    delivery.dispatch(ids)
    return len(people)


def schedule(actor, announcement: Announcement, send_at: datetime, now: datetime) -> Announcement:
    _require(actor)
    if announcement.status == SENT:
        raise Conflict(_("This announcement has been sent already."))
    if send_at <= now:
        raise Invalid(_("Choose a time in the future, or send it now."), fields={"send_at": _("Choose a later time.")})
    announcement.status, announcement.send_at = SCHEDULED, send_at
    audit.record(actor, "announcement.scheduled", announcement, {"send_at": send_at.isoformat()},
                 label=announcement.title_fa, now=now)
    db.session.flush()
    if jobs.backend() == "redis":  # RQ's scheduler sends it on time; the tick would find it too
        db.session.commit()
        jobs.enqueue_at(send_at, send_scheduled, announcement.id)
    return announcement


def unschedule(actor, announcement: Announcement, now: datetime) -> Announcement:
    _require(actor)
    if announcement.status != SCHEDULED:
        raise Conflict(_("This announcement is not scheduled."))
    announcement.status, announcement.send_at = DRAFT, None
    audit.record(actor, "announcement.unscheduled", announcement, label=announcement.title_fa, now=now)
    return announcement


def send_scheduled(announcement_id: int) -> None:
    """The job RQ's scheduler runs at the announcement's time (a no-op if it was sent, or its time moved)."""
    announcement = db.session.get(Announcement, announcement_id)
    now = utcnow()
    if announcement is not None and announcement.status == SCHEDULED and announcement.send_at <= now:
        try:
            send(None, announcement, now)
        except Conflict:
            db.session.rollback()


def of_event(event: Event, user, language: str) -> list[tuple[Announcement, Markup]]:
    """The event page's announcements and their text in ``language`` (the reader's name where it says {name}):
    those sent, newest first; one to the judges only for judges and organisers."""
    query = select(Announcement).where(Announcement.event_id == event.id, Announcement.status == SENT)
    if not (getattr(user, "is_authenticated", False) and (user.is_organiser or user.is_judge)):
        query = query.where(Announcement.audience != Audience.JUDGES)
    name = user.name if getattr(user, "is_authenticated", False) else ""
    event_title = event.title_en if language == "en" and event.title_en else event.title_fa
    return [(item, Markup(fill(item.body_in(language), name, "", event_title)))
            for item in db.session.scalars(query.order_by(Announcement.sent_at.desc(), Announcement.id.desc()).limit(20))]


def for_organiser(actor, event: Event) -> list[Announcement]:
    _require(actor)
    return list(db.session.scalars(select(Announcement).where(Announcement.event_id == event.id)
                                   .order_by(Announcement.created_at.desc(), Announcement.id.desc())))


