"""Sending the outbox: a batch of deliveries per job, email through one SMTP connection per batch.

A batch is claimed in one conditional update (``pending`` → ``sending``, by this run), so a job handed out twice,
two workers or a sweep that queues it again send each message once; each message is marked ``sent`` in the
commit right after the server accepted it. A failure is recorded as an attempt and the delivery waits
``NOTIFY_RETRY_SECONDS`` × 2ⁿ for its next one; after ``NOTIFY_MAX_ATTEMPTS`` it is ``failed``. A refusal for
good (an SMTP 5xx for the address) fails it at once. What a killed sender had claimed is put back after
``NOTIFY_STALE_SECONDS`` (``requeue``): at most the message it was sending then can go out twice, and it carries
the same Message-ID both times, so mail servers can tell.
"""
import logging
import secrets
import smtplib
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import insert, select, update

from ..auth.models import User
from ..core import jobs, mail, sms
from ..core.database import utcnow
from ..core.extensions import db
from . import messages
from .enums import Channel, DeliveryStatus, Kind
from .models import Delivery, DeliveryAttempt, Notification
from .outbox import queue_grace, site_address

log = logging.getLogger(__name__)
PENDING, SENDING, SENT, FAILED = DeliveryStatus
# A kind a person may turn off carries a List-Unsubscribe header to their preferences.
PREFERENCES_PATH = "/account/notifications"


def dispatch(delivery_ids: list[int]) -> bool:
    """Queue the sending of these deliveries, in batches; call it after the commit that stored them. False when
    the queue could not be reached (a sweep queues them once it is back: nothing is lost)."""
    size = current_app.config["NOTIFY_BATCH_SIZE"]
    queued = True
    for start in range(0, len(delivery_ids), size):
        queued &= jobs.enqueue(deliver_batch, list(delivery_ids[start:start + size]))
    return queued


@dataclass(frozen=True)
class Outgoing:
    """A claimed delivery and what its message is made of, as plain values (they outlive each commit)."""

    delivery_id: int
    channel: Channel
    address: str
    attempts: int
    kind: Kind
    params: dict
    link: str
    language: str
    extra: dict | None


def deliver_batch(delivery_ids: list[int]) -> dict:
    """The job: send what of these deliveries is waiting and not claimed by another run."""
    now = utcnow()
    run = f"{socket.gethostname()[:40]}:{secrets.token_hex(6)}"
    db.session.execute(update(Delivery).where(Delivery.id.in_(delivery_ids), Delivery.status == PENDING)
                       .values(status=SENDING, claimed_by=run, claimed_at=now))
    db.session.commit()
    # Columns, not ORM objects: the commit after each message then has nothing of the batch to expire.
    rows = db.session.execute(
        select(Delivery.id, Delivery.channel, Delivery.address, Delivery.attempts, Notification.id.label("note_id"),
               Notification.kind, Notification.params, Notification.link, Notification.announcement_id, User.locale)
        .join(Notification, Delivery.notification_id == Notification.id)
        .join(User, Notification.recipient_id == User.id)
        .where(Delivery.claimed_by == run, Delivery.status == SENDING).order_by(Delivery.id)).all()
    extras = messages.extras_for(rows, id_of=lambda row: row.note_id)
    claimed = [Outgoing(row.id, row.channel, row.address, row.attempts, Kind(row.kind), dict(row.params or {}),
                        row.link, messages.language_for(row.locale), extras.get(row.note_id)) for row in rows]
    counts = {"sent": 0, "failed": 0, "retry": 0}
    emails = [item for item in claimed if item.channel == Channel.EMAIL]
    if emails:
        _send_emails(emails, counts)
    texts = [item for item in claimed if item.channel == Channel.SMS]
    if texts:
        with sms.connection() as gateway:  # one HTTP connection, kept alive, for the batch's texts
            for item in texts:
                _send_one(item, lambda item: _send_sms(gateway, item), counts)
    return counts


def _message(item: Outgoing) -> messages.Message:
    return messages.render(item.kind, item.params, item.link, item.language, item.extra)


def _email(item: Outgoing) -> "mail.EmailMessage":
    message = _message(item)
    html = current_app.jinja_env.get_template("notifications/email.html").render(
        message=message, lang=item.language, rtl=item.language == "fa")
    headers = {"Auto-Submitted": "auto-generated"}
    if not item.kind.essential:
        headers["List-Unsubscribe"] = f"<{_site_of(item.link)}{PREFERENCES_PATH}>"
    return mail.build(item.address, message.subject, message.text, html, headers,
                      message_id=f"<notification-{item.delivery_id}@{mail.sender_domain()}>")


def _site_of(link: str) -> str:
    parts = urlsplit(link)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else site_address()


def _send_emails(items: list[Outgoing], counts: dict) -> None:
    built = []
    for item in items:
        try:
            built.append((item, _email(item)))
        except Exception as error:  # a message that cannot be made (a template's error) fails alone, for good
            log.exception("Notification delivery %s could not be rendered", item.delivery_id)
            _failed(item, f"the message could not be made: {error!r}", counts, permanent=True)
    done = 0
    try:
        with mail.connection() as outgoing:
            for item, message in built:
                _send_one(item, lambda _: outgoing.send(message), counts)
                done += 1
    except (smtplib.SMTPException, OSError) as error:  # the connection failed: the rest wait for a retry
        log.warning("The mail server failed (%s): %d messages wait for a retry", error, len(built) - done)
        for item, _ in built[done:]:
            _failed(item, f"the mail server: {error!r}", counts, permanent=False)


def _send_sms(gateway, item: Outgoing) -> None:
    try:
        text = _message(item).sms
    except Exception as error:  # as for mail: fails alone, for good
        log.exception("Notification delivery %s could not be rendered", item.delivery_id)
        raise Unrenderable(repr(error)) from error
    gateway.send(item.address, text)


class Unrenderable(Exception):
    """The message of a delivery could not be made from its template and params."""


def _send_one(row, send, counts: dict) -> None:
    """Send one delivery with ``send(row)`` and record the attempt. What concerns this message alone is recorded
    here; an error of the mail connection is raised for the batch to handle."""
    try:
        send(row)
    except smtplib.SMTPRecipientsRefused as error:
        code = next(iter(error.recipients.values()))[0] if error.recipients else 550
        _failed(row, f"the mail server refused the address: {error.recipients}", counts, permanent=code >= 500)
        return
    except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as error:
        _failed(row, f"the mail server refused the message: {error}", counts, permanent=error.smtp_code >= 500)
        return
    except sms.SmsError as error:
        _failed(row, str(error), counts, permanent=False)
        return
    except Unrenderable as error:
        _failed(row, f"the message could not be made: {error}", counts, permanent=True)
        return
    now = utcnow()
    db.session.execute(update(Delivery).where(Delivery.id == row.delivery_id).values(
        status=SENT, sent_at=now, attempts=Delivery.attempts + 1, last_error=""))
    db.session.execute(insert(DeliveryAttempt).values(delivery_id=row.delivery_id, at=now, ok=True, error=""))
    db.session.commit()
    counts["sent"] += 1


def _failed(row, error: str, counts: dict, permanent: bool) -> None:
    now = utcnow()
    config = current_app.config
    attempts = row.attempts + 1
    final = permanent or attempts >= config["NOTIFY_MAX_ATTEMPTS"]
    wait = timedelta(seconds=config["NOTIFY_RETRY_SECONDS"] * 2 ** (attempts - 1))
    db.session.execute(update(Delivery).where(Delivery.id == row.delivery_id).values(
        status=FAILED if final else PENDING, attempts=attempts, last_error=error[:2000], claimed_by="",
        next_attempt_at=now if final else now + wait))
    db.session.execute(insert(DeliveryAttempt).values(delivery_id=row.delivery_id, at=now, ok=False,
                                                      error=error[:2000]))
    db.session.commit()
    counts["failed" if final else "retry"] += 1


def requeue(now: datetime) -> int:
    """Queue again what is due and waits (a retry, a job the queue lost) and put back what a silent sender
    claimed; the number of deliveries queued."""
    stale = now - timedelta(seconds=current_app.config["NOTIFY_STALE_SECONDS"])
    db.session.execute(update(Delivery).where(Delivery.status == SENDING, Delivery.claimed_at < stale)
                       .values(status=PENDING, claimed_by="", next_attempt_at=now))
    due = db.session.scalars(select(Delivery.id).where(Delivery.status == PENDING, Delivery.next_attempt_at <= now)
                             .order_by(Delivery.id)).all()
    if due:
        db.session.execute(update(Delivery).where(Delivery.id.in_(due)).values(next_attempt_at=queue_grace(now)))
    db.session.commit()
    if due:
        dispatch(list(due))
    return len(due)
