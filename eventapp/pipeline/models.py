"""The collaboration pipeline: winning maps carried out with the headquarters, and the observatory's data."""
from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.database import EnumText, UTCDateTime, utcnow
from ..core.extensions import db
from ..core.i18n import current_language
from .enums import StageKind


class Stage(db.Model):
    """A column of the board. The series shares one pipeline; organisers rename and reorder stages."""
    __tablename__ = "pipeline_stages"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(30), unique=True)  # stable, for the API and the defaults
    name_fa: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    position: Mapped[int]
    kind: Mapped[StageKind] = mapped_column(EnumText(StageKind, length=20), default=StageKind.ACTIVE)

    @property
    def name(self) -> str:
        return self.name_en if current_language() == "en" and self.name_en else self.name_fa

    def __str__(self) -> str:
        return self.name_fa


class Project(db.Model):
    """A map on its way to being carried out: its team, stage, owner at the headquarters and next step."""
    __tablename__ = "pipeline_projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), unique=True)
    map_id: Mapped[int | None] = mapped_column(ForeignKey("progress_maps.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(200))
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"), index=True)
    award: Mapped[str] = mapped_column(String(20), default="")  # from the published results, if any
    stage_id: Mapped[int] = mapped_column(ForeignKey("pipeline_stages.id"), index=True)
    stage_reason: Mapped[str] = mapped_column(Text, default="")  # why it is on hold or dropped
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    next_step: Mapped[str] = mapped_column(String(300), default="")
    next_step_due: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The last sign of life (a note, a reading, a move); projects silent too long are flagged.
    last_update_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    event = relationship("Event")
    team = relationship("Team")
    province = relationship("Province")
    stage = relationship("Stage")
    owner = relationship("User")
    partners: Mapped[list["Partner"]] = relationship(back_populates="project", cascade="all, delete-orphan",
                                                     order_by="Partner.id")
    milestones: Mapped[list["Milestone"]] = relationship(back_populates="project", cascade="all, delete-orphan",
                                                         order_by="Milestone.id")
    indicators: Mapped[list["ProjectIndicator"]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectIndicator.id")

    def __str__(self) -> str:
        return self.title


class Partner(db.Model):
    """An organisation working on the project with the team (a ministry office, a foundation, ...)."""
    __tablename__ = "pipeline_partners"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("pipeline_projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")

    project = relationship("Project", back_populates="partners")


class StageMove(db.Model):
    """Every move between stages: who, when, from where to where, and why."""
    __tablename__ = "pipeline_stage_moves"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("pipeline_projects.id", ondelete="CASCADE"), index=True)
    from_stage_id: Mapped[int | None] = mapped_column(ForeignKey("pipeline_stages.id"))
    to_stage_id: Mapped[int] = mapped_column(ForeignKey("pipeline_stages.id"))
    reason: Mapped[str] = mapped_column(Text, default="")
    moved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    from_stage = relationship("Stage", foreign_keys=[from_stage_id])
    to_stage = relationship("Stage", foreign_keys=[to_stage_id])
    moved_by = relationship("User")


class Milestone(db.Model):
    __tablename__ = "pipeline_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("pipeline_projects.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    done_on: Mapped[date | None] = mapped_column(Date)

    project = relationship("Project", back_populates="milestones")


class Note(db.Model):
    """An update on the project's timeline, by a team member or an organiser, with files."""
    __tablename__ = "pipeline_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("pipeline_projects.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author = relationship("User")
    attachments: Mapped[list["NoteAttachment"]] = relationship(back_populates="note", cascade="all, delete-orphan",
                                                                 order_by="NoteAttachment.id")


class NoteAttachment(db.Model):
    """A file on a note: the same kinds and limits as a map's attachments, kept by its SHA-256."""
    __tablename__ = "pipeline_note_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("pipeline_notes.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))

    note = relationship("Note", back_populates="attachments")


class ProjectIndicator(db.Model):
    """One of the map's indicators, now measured over time."""
    __tablename__ = "pipeline_indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("pipeline_projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(60), default="")
    baseline: Mapped[float | None] = mapped_column(Float)
    target: Mapped[float | None] = mapped_column(Float)
    target_date: Mapped[date | None] = mapped_column(Date)

    project = relationship("Project", back_populates="indicators")
    readings: Mapped[list["Reading"]] = relationship(back_populates="indicator", cascade="all, delete-orphan",
                                                     order_by="Reading.taken_on")


class Reading(db.Model):
    """A measured value of an indicator. Only readings an organiser verified count in the observatory."""
    __tablename__ = "pipeline_readings"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("pipeline_indicators.id", ondelete="CASCADE"), index=True)
    taken_on: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(300), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    posted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    indicator = relationship("ProjectIndicator", back_populates="readings")
    posted_by = relationship("User", foreign_keys=[posted_by_id])


class ReferenceIndicator(db.Model):
    """A per-province reference figure organisers import (population, a deprivation index, ...)."""
    __tablename__ = "reference_indicators"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    name_fa: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    unit: Mapped[str] = mapped_column(String(60), default="")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def name(self) -> str:
        return self.name_en if current_language() == "en" and self.name_en else self.name_fa


class ReferenceValue(db.Model):
    __tablename__ = "reference_values"
    __table_args__ = (UniqueConstraint("indicator_id", "province_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("reference_indicators.id", ondelete="CASCADE"), index=True)
    province_id: Mapped[int] = mapped_column(ForeignKey("provinces.id"))
    value: Mapped[float] = mapped_column(Float)

