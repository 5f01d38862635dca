from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.database import EnumText, UTCDateTime, utcnow
from ..core.extensions import db
from .enums import MapStatus, OrganisationType, TeamStatus

# The names other areas import: the members of the enums.
PENDING, APPROVED, REJECTED, WITHDRAWN = TeamStatus
TEAM_STATUSES = tuple(TeamStatus)
ORGANISATION_TYPES = tuple(OrganisationType)
DRAFT, SUBMITTED = MapStatus
# The sections of a progress map the article names, in the order the form shows them.
MAP_SECTIONS = ("knowledge", "capacities", "goals", "people_role", "sustainability")


class Team(db.Model):
    __tablename__ = "teams"
    # (event_id, id) serves the organisers' list: an event's teams, newest first, a page at a time.
    __table_args__ = (UniqueConstraint("event_id", "name"), Index("ix_teams_event_id_id", "event_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    organisation_type: Mapped[OrganisationType] = mapped_column(EnumText(OrganisationType, length=20), index=True)
    organisation_name: Mapped[str] = mapped_column(String(200))
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    county_id: Mapped[int] = mapped_column(ForeignKey("counties.id"))
    introduction: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_phone: Mapped[str] = mapped_column(String(11))
    status: Mapped[TeamStatus] = mapped_column(EnumText(TeamStatus, length=20), default=PENDING, index=True)
    status_reason: Mapped[str] = mapped_column(Text, default="")
    # Chosen in the screening round: the audience of training sessions open to selected teams only.
    screening_selected: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event = relationship("Event", lazy="joined")
    province = relationship("Province", lazy="joined")
    county = relationship("County", lazy="joined")
    members: Mapped[list["TeamMember"]] = relationship(
        back_populates="team", cascade="all, delete-orphan", order_by="TeamMember.id"
    )
    status_changes: Mapped[list["TeamStatusChange"]] = relationship(
        back_populates="team", cascade="all, delete-orphan", order_by="TeamStatusChange.id", lazy="raise"
    )
    progress_map: Mapped["ProgressMap | None"] = relationship(back_populates="team", lazy="raise")

    def __str__(self) -> str:
        return self.name

    @property
    def leader(self) -> "TeamMember | None":
        return next((member for member in self.members if member.is_leader), None)

    def member_for(self, user) -> "TeamMember | None":
        if user is None or not getattr(user, "is_authenticated", False):
            return None
        return next((member for member in self.members if member.user_id == user.id), None)

    def is_led_by(self, user) -> bool:
        member = self.member_for(user)
        return member is not None and member.is_leader

    @property
    def is_active(self) -> bool:
        return self.status in (PENDING, APPROVED)


class TeamMember(db.Model):
    """A member of a team: an account, or a person without one (name and mobile only)."""

    __tablename__ = "team_members"
    # A person is in one team per event; the event is repeated here so the database can hold that.
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    mobile: Mapped[str] = mapped_column(String(11), default="")
    national_id: Mapped[str] = mapped_column(String(10), default="")
    is_leader: Mapped[bool] = mapped_column(default=False)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    team: Mapped[Team] = relationship(back_populates="members")
    user = relationship("User")

    def __str__(self) -> str:
        return self.name


class Invitation(db.Model):
    """An emailed link that lets its holder join a team once, while signed in."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    team: Mapped[Team] = relationship(lazy="joined")

    def is_open(self, now: datetime) -> bool:
        return self.accepted_at is None and self.cancelled_at is None and now < self.expires_at


class TeamStatusChange(db.Model):
    __tablename__ = "team_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    status: Mapped[TeamStatus] = mapped_column(EnumText(TeamStatus, length=20))
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    team: Mapped[Team] = relationship(back_populates="status_changes")


class ProgressMap(db.Model):
    """A team's progress map. Drafts are saved by any member; ``version`` guards concurrent saves."""

    __tablename__ = "progress_maps"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"), index=True)
    county_id: Mapped[int | None] = mapped_column(ForeignKey("counties.id"))
    district: Mapped[str] = mapped_column(String(200), default="")
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    knowledge: Mapped[str] = mapped_column(Text, default="")
    capacities: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    people_role: Mapped[str] = mapped_column(Text, default="")
    sustainability: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[MapStatus] = mapped_column(EnumText(MapStatus, length=20), default=DRAFT, index=True)
    # Raised by SQLAlchemy on every update, which checks it is still the version it read.
    version: Mapped[int] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    team: Mapped[Team] = relationship(back_populates="progress_map", lazy="joined")
    province = relationship("Province", foreign_keys=[province_id], lazy="joined")
    county = relationship("County", foreign_keys=[county_id], lazy="joined")
    updated_by = relationship("User", foreign_keys=[updated_by_id], lazy="joined")
    indicators: Mapped[list["Indicator"]] = relationship(
        back_populates="progress_map", cascade="all, delete-orphan", order_by="Indicator.position",
        lazy="selectin",
    )
    actions: Mapped[list["MapAction"]] = relationship(
        back_populates="progress_map", cascade="all, delete-orphan", order_by="MapAction.position",
        lazy="selectin",
    )
    attachments: Mapped[list["Attachment"]] = relationship(
        back_populates="progress_map", cascade="all, delete-orphan", order_by="Attachment.id",
    )
    revisions: Mapped[list["MapRevision"]] = relationship(
        back_populates="progress_map", cascade="all, delete-orphan", order_by="MapRevision.number", lazy="raise",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_locked(self) -> bool:
        return self.status == SUBMITTED


class Indicator(db.Model):
    __tablename__ = "map_indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(ForeignKey("progress_maps.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(60), default="")
    baseline: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    target_date: Mapped[date | None] = mapped_column(Date)

    progress_map: Mapped[ProgressMap] = relationship(back_populates="indicators")


class MapAction(db.Model):
    __tablename__ = "map_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(ForeignKey("progress_maps.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    what: Mapped[str] = mapped_column(String(300))
    responsible: Mapped[str] = mapped_column(String(200), default="")
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    resources: Mapped[str] = mapped_column(String(500), default="")

    progress_map: Mapped[ProgressMap] = relationship(back_populates="actions")


class Attachment(db.Model):
    """An uploaded PDF or image, stored under UPLOAD_DIR by the SHA-256 of its content."""

    __tablename__ = "map_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(ForeignKey("progress_maps.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    progress_map: Mapped[ProgressMap] = relationship(back_populates="attachments")


class MapRevision(db.Model):
    """What the map said when it was submitted, kept for the history and the differences."""

    __tablename__ = "map_revisions"
    __table_args__ = (UniqueConstraint("map_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    map_id: Mapped[int] = mapped_column(ForeignKey("progress_maps.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    snapshot: Mapped[dict] = mapped_column(JSON)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    progress_map: Mapped[ProgressMap] = relationship(back_populates="revisions")
    submitted_by = relationship("User", lazy="joined")
