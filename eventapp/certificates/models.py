"""Certificates: per-event templates, images and settings; the issued documents; bulk issuing jobs."""
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.database import EnumText, UTCDateTime, utcnow
from ..core.extensions import db
from .enums import Achievement, DocumentKind, DocumentLanguage, JobStatus, achievement_text

MAX_SIGNATORIES = 3


class _NoAchievementAsBlank(EnumText):
    """An Achievement stored as its value, and no achievement (None) as "" (the column is never NULL)."""

    cache_ok = True

    def __init__(self):
        super().__init__(Achievement, length=20)

    def process_bind_param(self, value, dialect):
        return "" if not value else super().process_bind_param(value, dialect)

    def process_result_value(self, value, dialect):
        return None if not value else super().process_result_value(value, dialect)


class CertificateSettings(db.Model):
    """An event's choices for all its documents: the language and who signs."""
    __tablename__ = "certificate_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), unique=True)
    language: Mapped[DocumentLanguage] = mapped_column(EnumText(DocumentLanguage, length=10),
                                                       default=DocumentLanguage.FA)
    # [{"name_fa", "name_en", "position_fa", "position_en", "image"}]: image is a TemplateImage name or ""
    signatories: Mapped[list] = mapped_column(JSON, default=list)


class TemplateImage(db.Model):
    """An image an event's templates may show (logo, background, signatures), kept by its SHA-256."""
    __tablename__ = "template_images"
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CertificateTemplate(db.Model):
    """An event's own HTML and CSS for one kind (without one, the default template is used)."""
    __tablename__ = "certificate_templates"
    __table_args__ = (UniqueConstraint("event_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    kind: Mapped[DocumentKind] = mapped_column(EnumText(DocumentKind, length=20))
    html: Mapped[str] = mapped_column(Text)
    css: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Certificate(db.Model):
    """One issued document. ``subject`` says whom it is for ("team:12", "judge:7"); at most one
    document per event, kind and subject is valid at a time (a partial unique index holds it)."""
    __tablename__ = "certificates"
    __table_args__ = (
        Index("uq_certificates_valid_subject", "event_id", "kind", "subject", unique=True,
              sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(EnumText(DocumentKind, length=20))
    subject: Mapped[str] = mapped_column(String(40))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    serial: Mapped[str] = mapped_column(String(20), unique=True)
    verification_code: Mapped[str] = mapped_column(String(40), unique=True)
    language: Mapped[DocumentLanguage] = mapped_column(EnumText(DocumentLanguage, length=10))
    holder: Mapped[str] = mapped_column(String(200))  # the team's or judge's name, as printed
    achievement: Mapped[Achievement | None] = mapped_column(_NoAchievementAsBlank(), nullable=False, default="")
    # The group of the final round the award was given in, when its results were published by group.
    award_group: Mapped[int | None] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("certificate_jobs.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    replaced_by_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id", ondelete="SET NULL"))
    # The key whose PAdES signature the file carries (None: issued before documents were signed).
    signing_key_id: Mapped[int | None] = mapped_column(ForeignKey("signing_keys.id", ondelete="RESTRICT"))

    event = relationship("Event")
    team = relationship("Team")
    replaced_by = relationship("Certificate", remote_side=[id])

    @property
    def valid(self) -> bool:
        return self.revoked_at is None

    def __str__(self) -> str:
        return self.serial

    @property
    def achievement_text(self) -> str:
        """The achievement as the document prints it: with its group in a round published by group."""
        return achievement_text(self.achievement, self.award_group)


UNFINISHED = "status IN ('queued', 'running')"


class CertificateJob(db.Model):
    """A bulk issue of one kind for one event. Progress is written as it goes, so any page (or a
    reload) shows it, and a job run again skips every subject that already has a valid document.
    At most one job of a kind is unfinished per event (a partial unique index holds it), and a run claims
    its job (``owner``) before it makes anything, so that a job handed out twice runs once."""
    __tablename__ = "certificate_jobs"
    __table_args__ = (
        Index("uq_certificate_jobs_unfinished", "event_id", "kind", unique=True,
              sqlite_where=text(UNFINISHED), postgresql_where=text(UNFINISHED)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DocumentKind] = mapped_column(EnumText(DocumentKind, length=20))
    status: Mapped[JobStatus] = mapped_column(EnumText(JobStatus, length=20), default=JobStatus.QUEUED)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    # [{"subject": "team:12", "holder": "…", "error": "…"}] of the documents that could not be made
    failures: Mapped[list] = mapped_column(JSON, default=list)
    message: Mapped[str] = mapped_column(Text, default="")  # why the whole job stopped, if it did
    base_url: Mapped[str] = mapped_column(String(200), default="")  # the site's address, for the QR codes
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # How many documents this run found already issued (they count as done, not as work).
    skipped: Mapped[int] = mapped_column(default=0)
    owner: Mapped[str] = mapped_column(String(80), default="")  # the run that claimed it: host, process, token
    # How often it was resumed without a person since a person started it (once at most).
    auto_resumes: Mapped[int] = mapped_column(default=0)

    event = relationship("Event")
    created_by = relationship("User")

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    def __str__(self) -> str:
        return f"{self.kind} #{self.id}"


class CertificateJobChunk(db.Model):
    """A part of a bulk issue's run: the subjects it issues (with the facts their documents state), run as a
    job of its own so that several workers share a bulk issue. A worker claims it (``owner``) before it makes
    anything, beats while it works, and writes its documents in one transaction; a run of its job that starts
    again (a resume) replaces the chunks of the run before."""
    __tablename__ = "certificate_job_chunks"
    __table_args__ = (UniqueConstraint("job_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("certificate_jobs.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]  # its place in the run: in-process, chunks run in this order
    # [documents.Subject as a dict]: whom its documents are for, and what they state
    subjects: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[JobStatus] = mapped_column(EnumText(JobStatus, length=20), default=JobStatus.QUEUED)
    owner: Mapped[str] = mapped_column(String(80), default="")  # the run that claimed it (and, done, made it)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    job = relationship("CertificateJob")

    def __str__(self) -> str:
        return f"{self.job_id}/{self.number}"


class SigningKey(db.Model):
    """A public key the site signs with, kept for good: a document or credential signed by a key that was
    replaced still verifies (key rotation). ``kind``: "pdf" (an X.509 certificate, PEM; ``key_id`` its SHA-256
    fingerprint) or "credential" (an Ed25519 public JWK; ``key_id`` its thumbprint, the JWTs' ``kid``)."""
    __tablename__ = "signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    key_id: Mapped[str] = mapped_column(String(100), unique=True)
    public: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(300), default="")
    not_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Credential(db.Model):
    """An Open Badges 3.0 credential of a group certificate: the team's (``member_id`` None) or a named
    member's. ``id`` is its place in the revocation list (``badges.STATUS_LIST_BITS`` to a list)."""
    __tablename__ = "credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("team_members.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    recipient: Mapped[str] = mapped_column(String(200))
    token: Mapped[str] = mapped_column(Text, default="")  # the VC-JWT
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    certificate = relationship("Certificate")
