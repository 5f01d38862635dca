"""Rubrics, rounds, judges, conflicts, assignments and scores."""
from datetime import datetime

from flask import current_app
from sqlalchemy import JSON, Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.database import EnumText, UTCDateTime, utcnow
from ..core.extensions import db
from ..core.i18n import current_language
from . import codes
from .enums import CombiningMethod, RoundKind
from .results import PublishedResult

SCREENING, FINAL = RoundKind.SCREENING, RoundKind.FINAL
ROUND_KINDS = tuple(RoundKind)


def entry_code(round_id: int, team_id: int) -> str:
    """The opaque code that stands for a team in a round (see ``codes``)."""
    return codes.entry_code(current_app.config["SECRET_KEY"], round_id, team_id)


def conflict_token(judge_id: int, team_id: int) -> str:
    """What the judge's conflict form sends for a team (see ``codes``)."""
    return codes.conflict_token(current_app.config["SECRET_KEY"], judge_id, team_id)


class Rubric(db.Model):
    """Weighted criteria of an event's round. Frozen once any judge has scored with it."""

    __tablename__ = "rubrics"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    title_fa: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event = relationship("Event", lazy="joined")
    criteria: Mapped[list["Criterion"]] = relationship(
        back_populates="rubric", cascade="all, delete-orphan", order_by="Criterion.position", lazy="selectin"
    )

    def __str__(self) -> str:
        return self.title_fa

    @property
    def title(self) -> str:
        return self.title_en if current_language() == "en" and self.title_en else self.title_fa


class Criterion(db.Model):
    __tablename__ = "criteria"

    id: Mapped[int] = mapped_column(primary_key=True)
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    title_fa: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    description_fa: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    weight: Mapped[float] = mapped_column(Float)
    scale_min: Mapped[int] = mapped_column(default=0)
    scale_max: Mapped[int] = mapped_column(default=10)
    # One descriptor per level: [{"value": 0, "fa": "...", "en": "..."}, ...]
    levels: Mapped[list] = mapped_column(JSON, default=list)

    rubric: Mapped[Rubric] = relationship(back_populates="criteria")

    @property
    def title(self) -> str:
        return self.title_en if current_language() == "en" and self.title_en else self.title_fa

    @property
    def description(self) -> str:
        return self.description_en if current_language() == "en" and self.description_en else self.description_fa

    def level_text(self, level: dict) -> str:
        return level.get("en") if current_language() == "en" and level.get("en") else level.get("fa", "")


class Round(db.Model):
    """A round of judging: screening (of the teams) or final (of the maps)."""

    __tablename__ = "rounds"
    __table_args__ = (UniqueConstraint("event_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[RoundKind] = mapped_column(EnumText(RoundKind, length=20))
    rubric_id: Mapped[int] = mapped_column(ForeignKey("rubrics.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    judges_per_entry: Mapped[int] = mapped_column(default=3)
    blind: Mapped[bool] = mapped_column(default=True)
    method: Mapped[CombiningMethod] = mapped_column(EnumText(CombiningMethod, length=20),
                                                    default=CombiningMethod.JUDGE_EFFECT)
    # Entries whose judges' totals spread more than this (0-100 points) are flagged.
    disagreement_threshold: Mapped[float] = mapped_column(Float, default=25.0)
    # A judge whose total is this far from the others' asks for a comment before submitting.
    outlier_threshold: Mapped[float] = mapped_column(Float, default=30.0)
    # Whether judges see the other judges' scores of an entry, once they submitted their own.
    show_others_after_submit: Mapped[bool] = mapped_column(default=False)
    # Criterion ids, in the order that breaks ties.
    tie_breakers: Mapped[list] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event = relationship("Event", lazy="joined")
    rubric: Mapped[Rubric] = relationship(lazy="joined")
    entries: Mapped[list["RoundEntry"]] = relationship(back_populates="round", cascade="all, delete-orphan")

    def is_open(self, now: datetime) -> bool:
        return self.starts_at <= now <= self.ends_at


class RoundEntry(db.Model):
    """A team taking part in a round (in the final round, with its submitted map)."""

    __tablename__ = "round_entries"
    __table_args__ = (UniqueConstraint("round_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    round: Mapped[Round] = relationship(back_populates="entries")
    team = relationship("Team", lazy="joined")


class JudgeProfile(db.Model):
    """What a judge tells about themself: expertise and home province."""

    __tablename__ = "judge_profiles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    expertise: Mapped[str] = mapped_column(Text, default="")
    province_id: Mapped[int | None] = mapped_column(ForeignKey("provinces.id"))

    user = relationship("User", lazy="joined")
    province = relationship("Province", lazy="joined")


class RoundJudge(db.Model):
    __tablename__ = "round_judges"
    __table_args__ = (UniqueConstraint("round_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    user = relationship("User", lazy="joined")


class EventJudge(db.Model):
    """A judge of an event: someone who accepted an invitation to judge it. "Add all judges" adds these (and
    only these) to a round of the event."""

    __tablename__ = "event_judges"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConflictOfInterest(db.Model):
    """A judge must not judge a team: declared by the judge or added by an organiser."""

    __tablename__ = "conflicts"
    __table_args__ = (UniqueConstraint("event_id", "user_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text, default="")
    declared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assignment(db.Model):
    """A judge and an entry in a round; its scores are drafts until the judge submits."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("round_id", "user_id", "team_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set at the first submission: later changes (after an organiser reopens) are audited.
    ever_submitted: Mapped[bool] = mapped_column(default=False)
    # A judge far from the others explains their total here before submitting.
    outlier_comment: Mapped[str] = mapped_column(Text, default="")

    round: Mapped[Round] = relationship(lazy="joined")
    user = relationship("User", lazy="joined")
    team = relationship("Team", lazy="joined")
    scores: Mapped[list["Score"]] = relationship(back_populates="assignment", cascade="all, delete-orphan",
                                                 lazy="selectin")

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def entry_code(self) -> str:
        """What the judge of a blind round reads in place of the team."""
        return entry_code(self.round_id, self.team_id)


class Score(db.Model):
    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("assignment_id", "criterion_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="CASCADE"), index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id", ondelete="CASCADE"))
    value: Mapped[float | None] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    assignment: Mapped[Assignment] = relationship(back_populates="scores")


class Publication(db.Model):
    """Published results of a round: a frozen snapshot that later score changes never alter."""

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id", ondelete="CASCADE"), index=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The JSON of a PublishedResult (see results.py); read it through ``result``.
    snapshot: Mapped[dict] = mapped_column(JSON)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship(lazy="joined")

    @property
    def result(self) -> PublishedResult:
        return PublishedResult.from_snapshot(self.snapshot)
