"""What people do with their notifications: read the inbox, choose channels; and what organisers see and set:
the reminders' hours, and how many were sent, failed and read."""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, func, or_, select, update

from ..audit import services as audit
from ..core.errors import Invalid, NotFound
from ..core.extensions import db
from ..core.roles import require_organiser
from ..core.text import latin_digits
from ..events.models import Event
from . import messages
from .enums import Channel, DeliveryStatus, Kind
from .models import Delivery, Notification, Preference, ReminderSchedule
from .outbox import channels_for, default_on
from .scheduling import DEFAULT_REMINDER_HOURS, reminder_hours

MAX_REMINDER_HOUR = 24 * 30
audit.register_actions({"notifications.reminders": _l("Reminder times changed")})


# --- the inbox ----------------------------------------------------------------------------------------------

def unread_count(user) -> int:
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.recipient_id == user.id, Notification.read_at.is_(None))) or 0


@dataclass
class InboxItem:
    notification: Notification
    message: messages.Message


@dataclass
class InboxPage:
    items: list[InboxItem]
    page: int
    has_next: bool
    unread: int


def inbox(user, page: int, language: str, per_page: int = 20, unread_only: bool = False) -> InboxPage:
    query = select(Notification).where(Notification.recipient_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    rows = db.session.scalars(query.order_by(Notification.id.desc()).offset((page - 1) * per_page)
                              .limit(per_page + 1)).all()
    extras = messages.extras_for(rows)
    items = [InboxItem(row, messages.render(row.kind, row.params, row.link, language, extras.get(row.id)))
             for row in rows[:per_page]]
    return InboxPage(items, page, len(rows) > per_page, unread_count(user))


def _own(user, notification_id: int) -> Notification:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.recipient_id != user.id:
        raise NotFound(_("There is no such notification."))
    return notification


def open_notification(user, notification_id: int, now: datetime) -> str:
    """Mark it read; the path of what it is about (on this site)."""
    notification = _own(user, notification_id)
    if notification.read_at is None:
        notification.read_at = now
    return local_path(notification.link)


def local_path(link: str) -> str:
    """The path of a stored link, so opening a notification never leaves the site."""
    if "://" in link:
        link = "/" + link.split("://", 1)[1].partition("/")[2]
    return link if link.startswith("/") and not link.startswith("//") else "/inbox"


def mark_read(user, notification_id: int, read: bool, now: datetime) -> None:
    notification = _own(user, notification_id)
    notification.read_at = now if read else None


def mark_all_read(user, now: datetime) -> int:
    return db.session.execute(update(Notification).where(
        Notification.recipient_id == user.id, Notification.read_at.is_(None)).values(read_at=now)).rowcount


# --- preferences ------------------------------------------------------------------------------------------

@dataclass
class Choice:
    kind: Kind
    channels: dict  # Channel -> on
    essential: bool


def preferences(user) -> list[Choice]:
    choices = []
    for kind in Kind:
        on = channels_for([user.id], kind)[user.id]
        choices.append(Choice(kind, {channel: channel in on for channel in Channel}, kind.essential))
    return choices


def set_preferences(user, chosen: set[tuple[str, str]], now: datetime) -> None:
    """Keep ``chosen`` — the (kind, channel) pairs the person wants — as their choices; essential kinds stay on."""
    db.session.execute(delete(Preference).where(Preference.user_id == user.id))
    for kind in Kind:
        if kind.essential:
            continue
        for channel in Channel:
            wanted = (kind.value, channel.value) in chosen
            if wanted != default_on(kind, channel):
                db.session.add(Preference(user_id=user.id, kind=kind, channel=channel, enabled=wanted))


# --- what organisers set and see ----------------------------------------------------------------------------

def _require(actor) -> None:
    require_organiser(actor, _l("Only organisers can see and set an event's notifications."))


def parse_hours(text: str) -> list[int]:
    parts = [part.strip() for part in latin_digits(text or "").replace("،", ",").split(",") if part.strip()]
    try:
        hours = sorted({int(part) for part in parts}, reverse=True)
    except ValueError as error:
        raise Invalid(_("Write whole hours separated by commas, like 72, 24."),
                      fields={"hours": _("Whole hours, like 72, 24.")}) from error
    if not hours or any(hour < 1 or hour > MAX_REMINDER_HOUR for hour in hours) or len(hours) > 6:
        raise Invalid(_("Give one to six reminder times, each from 1 to %(max)s hours before the deadline.",
                        max=MAX_REMINDER_HOUR), fields={"hours": _("From 1 to %(max)s hours.", max=MAX_REMINDER_HOUR)})
    return hours


def set_reminder_hours(actor, event: Event, text: str, now: datetime) -> list[int]:
    _require(actor)
    hours = parse_hours(text)
    schedule = db.session.get(ReminderSchedule, event.id) or ReminderSchedule(event_id=event.id)
    old = list(schedule.hours_before or DEFAULT_REMINDER_HOURS)
    schedule.hours_before = hours
    db.session.add(schedule)
    audit.record(actor, "notifications.reminders", event, {"hours": [old, hours]}, label=event.title_fa, now=now)
    return hours


def event_reminder_hours(event: Event) -> tuple[int, ...]:
    return reminder_hours(event.id)


@dataclass
class Tally:
    """How many of a kind (or of an announcement) were stored, read, and sent or failed per channel."""

    notifications: int = 0
    read: int = 0
    sent: dict = field(default_factory=lambda: defaultdict(int))
    failed: dict = field(default_factory=lambda: defaultdict(int))
    waiting: dict = field(default_factory=lambda: defaultdict(int))


def _tallies(group_column, *where) -> dict:
    tallies: dict = defaultdict(Tally)
    for key, total, read in db.session.execute(select(
            group_column, func.count(), func.count(Notification.read_at)).where(*where).group_by(group_column)):
        tallies[key].notifications, tallies[key].read = total, read
    status_of = {DeliveryStatus.SENT: "sent", DeliveryStatus.FAILED: "failed"}
    for key, channel, status, number in db.session.execute(
            select(group_column, Delivery.channel, Delivery.status, func.count())
            .join(Notification, Delivery.notification_id == Notification.id).where(*where)
            .group_by(group_column, Delivery.channel, Delivery.status)):
        getattr(tallies[key], status_of.get(status, "waiting"))[channel] += number
    return dict(tallies)


def statistics(actor, event: Event) -> tuple[dict, dict]:
    """Per kind and per announcement of the event: stored, read, sent, failed and waiting per channel."""
    _require(actor)
    by_kind = _tallies(Notification.kind, Notification.event_id == event.id)
    by_announcement = _tallies(Notification.announcement_id, Notification.event_id == event.id,
                               Notification.announcement_id.is_not(None))
    return by_kind, by_announcement


def failures(actor, event: Event, limit: int = 50) -> list:
    """The latest deliveries of the event that failed for good or wait for a retry, with the server's answer."""
    _require(actor)
    return db.session.execute(select(Delivery, Notification).join(
        Notification, Delivery.notification_id == Notification.id).where(
        Notification.event_id == event.id, or_(Delivery.status == DeliveryStatus.FAILED, and_(
            Delivery.status == DeliveryStatus.PENDING, Delivery.last_error != "")))
        .order_by(Delivery.id.desc()).limit(limit)).all()


