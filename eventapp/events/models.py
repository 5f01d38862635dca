from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.database import EnumText, UTCDateTime, utcnow
from ..core.extensions import db
from ..core.i18n import current_language
from .enums import PhaseKind, Scope
from .phases import Window, in_order


class Bilingual:
    """Models with ``name_fa`` and ``name_en`` show the name of the current language."""

    @property
    def name(self) -> str:
        return self.name_en if current_language() == "en" and self.name_en else self.name_fa


class Province(Bilingual, db.Model):
    __tablename__ = "provinces"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[int] = mapped_column(unique=True)
    name_fa: Mapped[str] = mapped_column(String(100), unique=True)
    name_en: Mapped[str] = mapped_column(String(100), unique=True)

    counties: Mapped[list["County"]] = relationship(back_populates="province", lazy="raise")


class County(Bilingual, db.Model):
    __tablename__ = "counties"
    __table_args__ = (UniqueConstraint("province_id", "name_fa"), UniqueConstraint("province_id", "name_en"))

    id: Mapped[int] = mapped_column(primary_key=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"), index=True)
    name_fa: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))

    province: Mapped[Province] = relationship(back_populates="counties")


class Event(db.Model):
    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    title_fa: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    scope: Mapped[Scope] = mapped_column(EnumText(Scope, length=20), default=Scope.NATIONAL)
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))
    description_fa: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    min_team_size: Mapped[int] = mapped_column(default=3)
    max_team_size: Mapped[int] = mapped_column(default=10)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    province: Mapped[Province | None] = relationship(lazy="joined")
    phases: Mapped[list["Phase"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", lazy="selectin"
    )

    def __str__(self) -> str:
        return self.title_fa

    @property
    def title(self) -> str:
        return self.title_en if current_language() == "en" and self.title_en else self.title_fa

    @property
    def description(self) -> str:
        return self.description_en if current_language() == "en" and self.description_en else self.description_fa

    @property
    def windows(self) -> list[Window]:
        return in_order(phase.window for phase in self.phases)

    def phase(self, kind: str) -> "Phase | None":
        return next((phase for phase in self.phases if phase.kind == kind), None)

    def phase_open(self, kind: str, now: datetime) -> bool:
        phase = self.phase(kind)
        return phase is not None and phase.window.is_open(now)

    def phase_end(self, kind: str) -> datetime | None:
        phase = self.phase(kind)
        return phase.ends_at if phase else None


class Phase(db.Model):
    __tablename__ = "phases"
    __table_args__ = (UniqueConstraint("event_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[PhaseKind] = mapped_column(EnumText(PhaseKind, length=20))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship(back_populates="phases")

    @property
    def window(self) -> Window:
        return Window(self.kind, self.starts_at, self.ends_at)
