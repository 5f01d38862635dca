from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.database import EnumText, UTCDateTime, utcnow
from ..core.extensions import db
from ..core.i18n import current_language
from .enums import AnnouncementAudience, AnnouncementStatus, Channel, DeliveryStatus, Kind


class Notification(db.Model):
    """One thing told to one person: a row of their inbox, and the source of its email and SMS.

    ``subject`` names what it is about and the occurrence (``team:12@<status change>``, ``phase:5:24``): with the
    kind and the recipient it is unique, so telling the same thing twice stores (and sends) nothing more.
    ``params`` are what the kind's template needs, kept as plain values so the text is rendered in the
    reader's language whenever it is read or sent."""

    __tablename__ = "notifications"
    __table_args__ = (UniqueConstraint("kind", "subject", "recipient_id"),
                      Index("ix_notifications_recipient_id_id", "recipient_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[Kind] = mapped_column(EnumText(Kind, length=30))
    subject: Mapped[str] = mapped_column(String(120))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    announcement_id: Mapped[int | None] = mapped_column(ForeignKey("announcements.id", ondelete="CASCADE"),
                                                        index=True)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    recipient = relationship("User", lazy="raise")
    deliveries: Mapped[list["Delivery"]] = relationship(back_populates="notification", lazy="raise",
                                                        cascade="all, delete-orphan", passive_deletes=True)


class Delivery(db.Model):
    """The outbox: a notification to send by one channel, and where its sending stands.

    A sender claims a row (``pending`` → ``sending``, with its name) in one conditional update before it sends,
    and marks it ``sent`` in the commit right after the message is accepted; a failure puts it back to
    ``pending`` with a later ``next_attempt_at`` until ``NOTIFY_MAX_ATTEMPTS``, then ``failed``."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("notification_id", "channel"),
                      Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"))
    channel: Mapped[Channel] = mapped_column(EnumText(Channel, length=10))
    address: Mapped[str] = mapped_column(String(254))  # the email or the mobile number, when it was queued
    status: Mapped[DeliveryStatus] = mapped_column(EnumText(DeliveryStatus, length=10), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_by: Mapped[str] = mapped_column(String(80), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")

    notification: Mapped[Notification] = relationship(back_populates="deliveries", lazy="raise")


class DeliveryAttempt(db.Model):
    """Every attempt to send a delivery, with what the server answered when it failed."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ok: Mapped[bool]
    error: Mapped[str] = mapped_column(Text, default="")


class Preference(db.Model):
    """A person's choice for one kind and channel, where it differs from the default (kinds.default_on)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "kind", "channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[Kind] = mapped_column(EnumText(Kind, length=30))
    channel: Mapped[Channel] = mapped_column(EnumText(Channel, length=10))
    enabled: Mapped[bool]


class Announcement(db.Model):
    """An organiser's message to an audience of an event, in Persian and English (sanitised rich text)."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    title_fa: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    body_fa: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[AnnouncementAudience] = mapped_column(EnumText(AnnouncementAudience, length=20))
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))
    status: Mapped[AnnouncementStatus] = mapped_column(EnumText(AnnouncementStatus, length=10),
                                                       default=AnnouncementStatus.DRAFT)
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recipients: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event = relationship("Event", lazy="joined")
    province = relationship("Province", lazy="joined")

    def title_in(self, language: str) -> str:
        return self.title_en if language == "en" and self.title_en else self.title_fa

    def body_in(self, language: str) -> str:
        return self.body_en if language == "en" and self.body_en else self.body_fa

    @property
    def title(self) -> str:
        return self.title_in(current_language())

    @property
    def body(self) -> str:
        return self.body_in(current_language())


class ReminderSchedule(db.Model):
    """When an event's deadline reminders go out: hours before each deadline (72 and 24 unless changed)."""

    __tablename__ = "reminder_schedules"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    hours_before: Mapped[list] = mapped_column(JSON, default=list)
