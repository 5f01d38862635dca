"""Storing what is to be told: notifications and their deliveries, each at most once.

``notify`` is the one way in. It writes an inbox row per (kind, subject, recipient) and an outbox row per
channel the recipient receives it by (their choices, and an address to send to), skipping what exists; it
returns the new deliveries for the caller to hand to ``delivery.dispatch`` after its commit.
"""
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app, has_request_context, request
from sqlalchemy import select

from ..auth.models import User
from ..core.database import dialect_insert
from ..core.extensions import db
from ..core.text import normalize_mobile
from ..teams.models import TeamMember
from .enums import Channel, Kind
from .models import Delivery, Notification, Preference

DEVELOPMENT_ADDRESS = "http://127.0.0.1:5000"
CHUNK = 900  # rows per statement: under SQLite's limit of bound parameters


@dataclass(frozen=True)
class Entry:
    """One notification to store: who, about what, with what the template needs and where it links to."""

    recipient_id: int
    subject: str
    params: dict = field(default_factory=dict)
    link: str = ""
    event_id: int | None = None
    announcement_id: int | None = None


def site_address() -> str:
    """The address links in messages start with: BASE_URL, else the address of the request being served."""
    if current_app.config["BASE_URL"]:
        return current_app.config["BASE_URL"]
    return request.host_url.rstrip("/") if has_request_context() else DEVELOPMENT_ADDRESS


def absolute(path: str) -> str:
    return f"{site_address()}{path}" if path.startswith("/") else path


def default_on(kind: Kind, channel: Channel) -> bool:
    return channel == Channel.EMAIL or kind.sms_by_default


def channels_for(user_ids: Iterable[int], kind: Kind) -> dict[int, set[Channel]]:
    """The channels each person receives the kind by: their choice, else the default; all for essential kinds."""
    user_ids = list(user_ids)
    chosen = {channel: default_on(kind, channel) for channel in Channel}
    result = {user_id: {channel for channel, on in chosen.items() if on or kind.essential} for user_id in user_ids}
    if kind.essential:
        return result
    for start in range(0, len(user_ids), CHUNK):
        for user_id, channel, enabled in db.session.execute(select(
                Preference.user_id, Preference.channel, Preference.enabled).where(
                Preference.kind == kind, Preference.user_id.in_(user_ids[start:start + CHUNK]))):
            (result[user_id].add if enabled else result[user_id].discard)(channel)
    return result


def queue_grace(now: datetime) -> datetime:
    """Until when a queued delivery may wait for a sender before the sweep queues it again."""
    return now + timedelta(seconds=current_app.config["NOTIFY_STALE_SECONDS"])


def notify(kind: Kind, entries: Iterable[Entry], now: datetime) -> list[int]:
    """Store the entries (those already stored are left as they are); the ids of the new deliveries."""
    entries = {(entry.subject, entry.recipient_id): entry for entry in entries}
    if not entries:
        return []
    recipients = {}
    user_ids = sorted({recipient_id for _, recipient_id in entries})
    for start in range(0, len(user_ids), CHUNK):
        recipients.update({row.id: row for row in db.session.execute(
            select(User.id, User.email, User.mobile).where(User.id.in_(user_ids[start:start + CHUNK]), User.active))})
    entries = {key: entry for key, entry in entries.items() if key[1] in recipients}
    rows = [{"kind": kind, "subject": entry.subject, "recipient_id": entry.recipient_id, "event_id": entry.event_id,
             "announcement_id": entry.announcement_id, "params": entry.params, "link": absolute(entry.link),
             "created_at": now} for entry in entries.values()]
    # One statement for all the rows (SQLAlchemy sends it in batches, compiled once), skipping what is stored.
    statement = dialect_insert(Notification).on_conflict_do_nothing(
        index_elements=["kind", "subject", "recipient_id"]).returning(
        Notification.id, Notification.subject, Notification.recipient_id)
    new = {(subject, recipient_id): notification_id
           for notification_id, subject, recipient_id in db.session.execute(statement, rows)}
    if not new:
        return []
    channels = channels_for({recipient_id for _, recipient_id in new}, kind)
    deliveries = []
    for (_, recipient_id), notification_id in new.items():
        recipient = recipients[recipient_id]
        addresses = {Channel.EMAIL: recipient.email, Channel.SMS: normalize_mobile(recipient.mobile or "")}
        deliveries += [{"notification_id": notification_id, "channel": channel, "address": addresses[channel],
                        "next_attempt_at": queue_grace(now)} for channel in sorted(channels[recipient_id]) if addresses[channel]]
    if not deliveries:
        return []
    statement = dialect_insert(Delivery).on_conflict_do_nothing(index_elements=["notification_id", "channel"]).returning(
        Delivery.id)
    return list(db.session.scalars(statement, deliveries))


def members_of(team_ids: Iterable[int]) -> dict[int, list[int]]:
    """The accounts of each team's members, by team."""
    team_ids = list(team_ids)
    members: dict[int, list[int]] = {team_id: [] for team_id in team_ids}
    for start in range(0, len(team_ids), CHUNK):
        for team_id, user_id in db.session.execute(select(TeamMember.team_id, TeamMember.user_id).where(
                TeamMember.team_id.in_(team_ids[start:start + CHUNK]), TeamMember.user_id.is_not(None))
                .order_by(TeamMember.id)):
            members[team_id].append(user_id)
    return members
