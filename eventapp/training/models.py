from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.database import EnumText, UTCDateTime, utcnow
from ..core.extensions import db
from .enums import Audience, SignupStatus

# The names other areas import: the members of the enums.
APPROVED_TEAMS, SELECTED_TEAMS = Audience
AUDIENCES = tuple(Audience)
CONFIRMED, WAITLISTED = SignupStatus


class TrainingSession(db.Model):
    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    place: Mapped[str] = mapped_column(String(300), default="")
    online_link: Mapped[str] = mapped_column(String(500), default="")
    capacity: Mapped[int]
    audience: Mapped[Audience] = mapped_column(EnumText(Audience, length=20), default=APPROVED_TEAMS)
    # Attending every required session is what the training certificate asks for.
    required: Mapped[bool] = mapped_column(default=False)
    # A cancelled session keeps its sign-ups, so that the people who signed up see what happened.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Loaded on purpose (services.get_session), never by accident in a list.
    event = relationship("Event", lazy="raise")
    signups: Mapped[list["TrainingSignup"]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="TrainingSignup.id", lazy="raise",
    )

    def __str__(self) -> str:
        return self.title

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def has_started(self, now: datetime) -> bool:
        return now >= self.starts_at


class TrainingSignup(db.Model):
    """A person's place at a session, confirmed or on the waiting list (first come, first served)."""

    __tablename__ = "training_signups"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique constraint's index, which starts with session_id, serves the look-ups by session.
    session_id: Mapped[int] = mapped_column(ForeignKey("training_sessions.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[SignupStatus] = mapped_column(EnumText(SignupStatus, length=20), default=CONFIRMED)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None until an organiser records attendance; then whether the person came.
    attended: Mapped[bool | None]
    attendance_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    attendance_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    session: Mapped[TrainingSession] = relationship(back_populates="signups", lazy="raise")
    team = relationship("Team", lazy="raise")
    user = relationship("User", foreign_keys=[user_id], lazy="raise")

    @property
    def is_confirmed(self) -> bool:
        return self.status == CONFIRMED
