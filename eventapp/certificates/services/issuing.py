"""Certificates: issuing documents (one, or all of a kind in a background job), revoking and reissuing
them, the mails that say a document is ready, and the downloads (one PDF, or a kind's ZIP)."""
import os
import re
import secrets
import socket
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from ... import signals
from ...audit import services as audit
from ...core import jobs, storage
from ...core.database import utcnow
from ...core.errors import Conflict as ConflictError
from ...core.errors import Invalid, NotFound
from ...core.extensions import db
from ...core.text import persian_sort_key
from ...events.models import Event
from ...teams.models import Team, TeamMember
from .. import documents, sandbox
from ..enums import DocumentKind, JobStatus
from ..models import Certificate, CertificateJob
from ..rendering import Renderer
from ._shared import document_kind, event_titles, require_certificate_organiser, site_address, verify_url
from .templates import describe, image_files, settings_of, template_of

audit.register_actions({
    "certificate.issued": _l("Document issued"),
    "certificate.revoked": _l("Document revoked"),
    "certificate.reissued": _l("Document reissued"),
    "certificate.job_started": _l("Bulk issue started"),
    "certificate.job_resumed": _l("Bulk issue resumed"),
})

SERIAL_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U


# --- issuing ------------------------------------------------------------------------------------------------


def new_serial() -> str:
    """DP-XXXX-XXXX-XXXX: 60 random bits, so serials can be neither guessed nor counted through."""
    characters = "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(12))
    return f"DP-{characters[:4]}-{characters[4:8]}-{characters[8:]}"


class Issuer:
    """Issues documents of one kind for one event, preparing once what every document shares:
    the checked template, the parsed CSS, the fonts, the images, the settings."""

    def __init__(self, event: Event, kind: str, base_url: str):
        kind = document_kind(kind)
        if kind in (DocumentKind.GROUP, DocumentKind.REPORT) and not documents.has_published_results(event):
            raise ConflictError(_("Publish the results before issuing group certificates or report cards."))
        self.event, self.kind, self.base_url = event, kind, base_url
        self.settings = settings_of(event)
        self.images = image_files(event)
        html, css, _default = template_of(event, kind)
        try:
            self.template = sandbox.compile_strict(html)
            # Refuse a template that names an unknown value before making any document with it.
            sandbox.render_strict(self.template, self._context(documents.sample_subject(kind), "DP-0000-0000-0000",
                                                               "sample", utcnow()))
        except sandbox.TemplateRefused as error:
            raise Invalid(_("This template cannot be used yet: %(problem)s Correct it in the template editor.",
                            problem=describe(error.problem))) from error
        self.renderer = Renderer(css, self.images)

    def _context(self, subject: documents.Subject, serial: str, code: str, issued_at: datetime) -> dict:
        return documents.context(self.kind, subject, event=event_titles(self.event), language=self.settings.language,
                                 signatories=self.settings.signatories, images=self.images, serial=serial,
                                 verify_url=verify_url(self.base_url, code), issued_at=issued_at)

    def issue(self, actor, subject: documents.Subject, now: datetime,
              job: CertificateJob | None = None) -> tuple[Certificate, bytes]:
        """Render and record one document; the caller stores the PDF returned. The row is flushed first, so
        that a valid document made meanwhile is refused (IntegrityError) before any file is written.
        Raises sandbox.TemplateRefused if the subject's values break the template."""
        serial, code = new_serial(), secrets.token_urlsafe(18)
        html = sandbox.render_strict(self.template, self._context(subject, serial, code, now))
        pdf = self.renderer.pdf(html)
        certificate = Certificate(
            event_id=self.event.id, kind=self.kind, subject=subject.key, team_id=subject.team_id,
            user_id=subject.user_id, serial=serial, verification_code=code, language=self.settings.language,
            holder=subject.holder, achievement=subject.achievement, award_group=subject.group,
            sha256=storage.digest(pdf), size=len(pdf), issued_at=now,
            issued_by_id=actor.id if actor else None, job_id=job.id if job else None)
        db.session.add(certificate)
        db.session.flush()
        audit.record(actor, "certificate.issued", certificate, {"kind": self.kind, "holder": subject.holder},
                     label=f"{certificate.serial} · {subject.holder}", now=now)
        signals.send_after_commit(signals.certificate_issued, certificate, actor=actor, now=now)
        return certificate, pdf


def valid_certificate(event: Event, kind: str, subject_key: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(
        Certificate.event_id == event.id, Certificate.kind == kind, Certificate.subject == subject_key,
        Certificate.revoked_at.is_(None)))


def _subject(event: Event, kind: str, subject_key: str) -> documents.Subject:
    subject = next((found for found in documents.subjects_of(event, kind) if found.key == subject_key), None)
    if subject is None:
        raise ConflictError(_("This team or judge does not qualify for this document."))
    return subject


def issue_one(actor, event: Event, kind: str, subject_key: str, now: datetime, base_url: str = "") -> Certificate:
    """Issue one document (refused if a valid one exists: revoke it or reissue it instead).
    ``base_url``: the site's address for the QR code (see site_address)."""
    require_certificate_organiser(actor)
    kind = document_kind(kind)
    if valid_certificate(event, kind, subject_key) is not None:
        raise ConflictError(_("A valid document of this kind was already issued. Reissue it to replace it."))
    issuer = Issuer(event, kind, base_url.rstrip("/") or site_address())
    certificate = _issue_checked(issuer, actor, _subject(event, kind, subject_key), now)
    return certificate


def _issue_checked(issuer: Issuer, actor, subject, now) -> Certificate:
    try:
        certificate, pdf = issuer.issue(actor, subject, now)
    except sandbox.TemplateRefused as error:
        raise Invalid(_("The document for %(holder)s could not be made: %(problem)s",
                        holder=subject.holder, problem=describe(error.problem))) from error
    storage.store(current_app.config["UPLOAD_DIR"], pdf)
    return certificate


def revoke(actor, certificate: Certificate, reason: str, now: datetime) -> Certificate:
    require_certificate_organiser(actor)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Say why the document is revoked."), {"reason": _("Say why the document is revoked.")})
    if certificate.revoked_at is not None:
        raise ConflictError(_("This document was already revoked."))
    certificate.revoked_at, certificate.revoked_reason, certificate.revoked_by_id = now, reason, actor.id
    db.session.flush()
    audit.record(actor, "certificate.revoked", certificate, {"reason": reason},
                 label=f"{certificate.serial} · {certificate.holder}", now=now)
    signals.send_after_commit(signals.certificate_revoked, certificate, actor=actor, now=now, reason=reason)
    return certificate


def reissue(actor, certificate: Certificate, reason: str, now: datetime, base_url: str = "") -> Certificate:
    """Revoke the document and issue a new one from today's facts (after a correction); the old one
    points to the new one. ``base_url``: the site's address for the QR code (see site_address)."""
    require_certificate_organiser(actor)
    revoke(actor, certificate, reason, now)
    issuer = Issuer(certificate.event, certificate.kind, base_url.rstrip("/") or site_address())
    replacement = _issue_checked(issuer, actor, _subject(certificate.event, certificate.kind, certificate.subject), now)
    certificate.replaced_by_id = replacement.id
    audit.record(actor, "certificate.reissued", certificate, {"replaced_by": replacement.serial},
                 label=f"{certificate.serial} · {certificate.holder}", now=now)
    return replacement


# --- bulk issuing ---------------------------------------------------------------------------------------------


def unfinished_job(event: Event, kind: str) -> CertificateJob | None:
    return db.session.scalar(select(CertificateJob).where(
        CertificateJob.event_id == event.id, CertificateJob.kind == kind,
        CertificateJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING))).order_by(CertificateJob.id.desc()))


@dataclass
class JobStart:
    job: CertificateJob
    created: bool  # False: the kind's unfinished job was found (pressed twice, or on two servers at once)


def start_job(actor, event: Event, kind: str, now: datetime, base_url: str = "") -> JobStart:
    """Queue the issue of every document of the kind for the event, or find its unfinished job: at most
    one job of a kind is queued or running (a partial unique index holds it, even across servers).

    ``base_url`` is the site's address for the QR codes (BASE_URL, or the development server's, when not given).
    Checks the template and the results first, so a job that cannot work is refused at once."""
    require_certificate_organiser(actor)
    base_url = base_url.rstrip("/") or site_address()
    kind = Issuer(event, kind, base_url).kind
    job = unfinished_job(event, kind)
    if job is not None:
        return JobStart(job, created=False)
    total, issued = _subjects_to_issue(event, kind)
    job = CertificateJob(event_id=event.id, kind=kind, status=JobStatus.QUEUED, created_by_id=actor.id,
                         created_at=now, base_url=base_url, failures=[], total=total, done=issued, skipped=issued)
    try:
        with db.session.begin_nested():
            db.session.add(job)
    except IntegrityError:  # another server started it a moment ago
        return JobStart(unfinished_job(event, kind), created=False)
    audit.record(actor, "certificate.job_started", job, {"kind": kind}, label=f"{event.slug} · {kind}", now=now)
    return JobStart(job, created=True)


def _subjects_to_issue(event: Event, kind: str) -> tuple[int, int]:
    """(how many qualify, how many of them have a valid document already)."""
    subjects = documents.subjects_of(event, kind)
    issued = _issued_subjects(event.id, kind)
    return len(subjects), sum(1 for subject in subjects if subject.key in issued)


def _issued_subjects(event_id: int, kind: str) -> set[str]:
    return set(db.session.scalars(select(Certificate.subject).where(
        Certificate.event_id == event_id, Certificate.kind == kind, Certificate.revoked_at.is_(None))))


def _queue_key(job_id: int) -> str:
    return f"certificate-job-{job_id}"


def enqueue(job: CertificateJob) -> bool:
    """Hand the job to the background, after the transaction that queued it has committed. False when
    the queue is unavailable: the job waits, and is queued by the next sweep (recover_jobs)."""
    return jobs.enqueue(run_job, job.id, key=_queue_key(job.id))


def stale_after() -> timedelta:
    """A running job silent for this long was interrupted (its worker was killed, or its server stopped)."""
    return timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])


def is_stale(job: CertificateJob, now: datetime) -> bool:
    return job.status == JobStatus.RUNNING and (job.heartbeat_at is None or now - job.heartbeat_at > stale_after())


def _requeue(job_id: int, now: datetime, automatic: bool) -> bool:
    """Put a job back in the queued state, unless it runs (its worker beat lately); True if it was put back.
    One UPDATE, so two people (or a sweep and a person) resuming at once resume it once. An automatic resume
    happens once per run a person started: a job interrupted twice waits for a person."""
    silent = or_(CertificateJob.heartbeat_at.is_(None), CertificateJob.heartbeat_at < now - stale_after())
    conditions = [CertificateJob.id == job_id, or_(CertificateJob.status != JobStatus.RUNNING, silent)]
    if automatic:
        conditions += [CertificateJob.status == JobStatus.RUNNING, CertificateJob.auto_resumes == 0]
    try:
        with db.session.begin_nested():
            result = db.session.execute(update(CertificateJob).where(*conditions).values(
                status=JobStatus.QUEUED, owner="", message="", finished_at=None,
                auto_resumes=CertificateJob.auto_resumes + 1 if automatic else 0)
                .execution_options(synchronize_session=False))
    except IntegrityError as error:  # a newer job of the kind is unfinished: at most one at a time
        raise ConflictError(_("Another bulk issue of these documents is waiting or running: follow that one.")) \
            from error
    finally:
        db.session.expire_all()
    return result.rowcount == 1


def resume_job(actor, job: CertificateJob, now: datetime) -> CertificateJob:
    """Start again an interrupted, unqueued or finished-with-failures job: it skips what it already issued."""
    require_certificate_organiser(actor)
    if not _requeue(job.id, now, automatic=False):
        raise ConflictError(_("This job is still running."))
    audit.record(actor, "certificate.job_resumed", job, {"kind": job.kind}, label=f"{job.event_id} · {job.kind}",
                 now=now)
    return job


def recover_job(job: CertificateJob, now: datetime) -> bool:
    """Put the job back on the queue if it should be there and is not: queued while the queue was down
    (or lost with it), or running in a worker that went silent (once, see _requeue). Commits what it changes.
    False when the queue cannot be reached (the job waits for it)."""
    if is_stale(job, now) and _requeue(job.id, now, automatic=True):
        audit.record(None, "certificate.job_resumed", job, {"kind": job.kind, "automatic": True},
                     label=f"{job.event_id} · {job.kind}", now=now)
        db.session.commit()
    if job.status != JobStatus.QUEUED:
        return True
    waiting = jobs.is_waiting(_queue_key(job.id))
    if waiting is None:
        return False
    return waiting or enqueue(job)


def recover_jobs(now: datetime) -> None:
    """Every unfinished job: recover_job (the workers' sweep)."""
    for job in db.session.scalars(select(CertificateJob).where(
            CertificateJob.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))).all():
        if not recover_job(job, now):
            return  # the queue is down: the next sweep tries again


jobs.register_sweep(recover_jobs)


def _claim(job_id: int, now: datetime) -> str | None:
    """Take a queued job for this run, in one UPDATE: of two workers handed the same job, one claims it.
    Returns the run's owner token (its beats are guarded by it), or None if the job is not queued."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[-80:]
    db.session.commit()  # start afresh: what the caller queued is stored, no read lock held (SQLite), no stale state
    result = db.session.execute(update(CertificateJob).where(
        CertificateJob.id == job_id, CertificateJob.status == JobStatus.QUEUED).values(
        status=JobStatus.RUNNING, owner=owner, heartbeat_at=now).execution_options(synchronize_session=False))
    db.session.commit()
    return owner if result.rowcount == 1 else None


def _beat(job: CertificateJob, owner: str, now: datetime, done: int = 0, failed: int = 0) -> bool:
    """Count progress if the job is still this run's (not taken over after a silence, not resumed by a
    person); False if it is not, and the run must stop. Locks the job's row until the commit."""
    result = db.session.execute(update(CertificateJob).where(
        CertificateJob.id == job.id, CertificateJob.owner == owner, CertificateJob.status == JobStatus.RUNNING).values(
        heartbeat_at=now, done=CertificateJob.done + done, failed=CertificateJob.failed + failed)
        .execution_options(synchronize_session=False))
    db.session.expire(job)
    return result.rowcount == 1


def _staging_folder(job: CertificateJob) -> str:
    return f"certificate-job-{job.id}"


def _settle_files(job: CertificateJob) -> None:
    """Publish the files a killed run staged and committed; remove those it staged but never recorded."""
    upload_dir = current_app.config["UPLOAD_DIR"]
    waiting = storage.staged(upload_dir, _staging_folder(job))
    recorded = set(db.session.scalars(select(Certificate.sha256).where(Certificate.sha256.in_(waiting)))) \
        if waiting else set()
    storage.settle(upload_dir, _staging_folder(job), recorded)


def run_job(job_id: int, on_progress=None) -> None:
    """Claim the job, then issue every missing document of its kind, one commit per document, so that an
    interruption loses at most the document being made, and running the job again issues nothing twice.
    A job handed out twice runs once: the second run finds it claimed and returns."""
    owner = _claim(job_id, utcnow())
    if owner is None:
        return
    job = db.session.get(CertificateJob, job_id)
    _settle_files(job)
    job.started_at = job.started_at or utcnow()
    try:
        issuer = Issuer(job.event, job.kind, job.base_url or site_address())
    except (Invalid, ConflictError) as error:
        _finish(job, owner, JobStatus.FAILED, str(error))
        return
    actor = job.created_by
    subjects = documents.subjects_of(job.event, job.kind)
    issued = _issued_subjects(job.event_id, job.kind)
    job.total = len(subjects)
    job.done = job.skipped = sum(1 for subject in subjects if subject.key in issued)
    job.failed, job.failures = 0, []
    db.session.commit()
    if on_progress:
        on_progress(job)
    for subject in subjects:
        if subject.key in issued:
            continue
        if not _issue_in_job(issuer, actor, subject, job, owner):
            current_app.logger.warning("Job %s was taken over by another run: this one stops", job_id)
            return
        if on_progress:
            on_progress(job)
    _finish(job, owner, JobStatus.DONE, "")


def _issue_in_job(issuer: Issuer, actor, subject: documents.Subject, job: CertificateJob, owner: str) -> bool:
    """Issue one document of the job; False if the job is no longer this run's (nothing is then kept).
    Its file is staged only once the row is flushed and the claim confirmed, and published after the commit."""
    now = utcnow()
    upload_dir, folder = current_app.config["UPLOAD_DIR"], _staging_folder(job)
    try:
        certificate, pdf = issuer.issue(actor, subject, now, job)
    except IntegrityError:  # issued meanwhile (by hand): nothing twice
        db.session.rollback()
        return _commit_if(_beat(job, owner, now, done=1))
    except Exception as error:  # one bad document must not lose the others
        db.session.rollback()
        problem = describe(error.problem) if isinstance(error, sandbox.TemplateRefused) else str(error)
        current_app.logger.warning("Certificate for %s failed in job %s: %s", subject.key, job.id, problem)
        if not _beat(job, owner, now, failed=1):
            return _commit_if(False)
        job.failures = [*job.failures, {"subject": subject.key, "holder": subject.holder, "error": problem}]
        return _commit_if(True)
    if not _beat(job, owner, now, done=1):
        return _commit_if(False)
    sha256 = storage.stage(upload_dir, folder, pdf)
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        storage.discard(upload_dir, folder, sha256)
        raise
    storage.publish(upload_dir, folder, sha256)
    return True


def _commit_if(still_ours: bool) -> bool:
    """Commit the document's transaction if the job is still this run's, else roll it back."""
    if still_ours:
        db.session.commit()
    else:
        db.session.rollback()
    return still_ours


def _finish(job: CertificateJob, owner: str, status: JobStatus, message: str) -> None:
    db.session.execute(update(CertificateJob).where(CertificateJob.id == job.id, CertificateJob.owner == owner).values(
        status=status, message=message, finished_at=utcnow(), owner="").execution_options(synchronize_session=False))
    db.session.commit()
    _settle_files(job)


@dataclass
class Progress:
    status: JobStatus  # as the job's, but interrupted when a running job went silent
    done: int
    total: int
    failed: int
    seconds_left: int | None
    message: str
    failures: list[dict]
    queue_unavailable: bool  # queued, but the queue cannot be reached: it starts when the queue is back

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def may_run_again(self) -> bool:
        return self.status in (JobStatus.INTERRUPTED, JobStatus.FAILED) or self.queue_unavailable or (
            self.status == JobStatus.DONE and self.failed > 0)

    def as_json(self) -> dict:
        return {**self.__dict__, "status_label": self.status.label, "finished": self.finished,
                "may_run_again": self.may_run_again}


def progress(job: CertificateJob, now: datetime, queue_available: bool = True) -> Progress:
    """Where a job stands, with an estimate of the time left from this run's pace."""
    status = JobStatus.INTERRUPTED if is_stale(job, now) else job.status
    seconds_left = None
    made = job.done - job.skipped + job.failed
    remaining = job.total - job.done - job.failed
    if job.status == JobStatus.RUNNING and made > 0 and job.started_at and job.heartbeat_at and remaining > 0:
        pace = (job.heartbeat_at - job.started_at).total_seconds() / made
        seconds_left = max(1, round(pace * remaining))
    return Progress(status, job.done, job.total, job.failed, seconds_left, job.message, job.failures,
                    queue_unavailable=status == JobStatus.QUEUED and not queue_available)


def jobs_of(event: Event) -> list[CertificateJob]:
    return list(db.session.scalars(select(CertificateJob).where(CertificateJob.event_id == event.id)
                                   .order_by(CertificateJob.id.desc()).limit(20)))


def get_job_for_organiser(actor, job_id: int) -> CertificateJob:
    require_certificate_organiser(actor)
    job = db.session.get(CertificateJob, job_id)
    if job is None:
        raise NotFound(_("There is no such job."))
    return job


# --- reading and downloading --------------------------------------------------------------------------------


def certificates_of_event(actor, event: Event, kind: str) -> list[Certificate]:
    """The event's documents of a kind: the valid ones first, each group in Persian alphabetical order
    (the database's own order puts ک and گ after ی)."""
    require_certificate_organiser(actor)
    kind = document_kind(kind)
    found = db.session.scalars(select(Certificate).where(Certificate.event_id == event.id, Certificate.kind == kind))
    return sorted(found, key=lambda item: (item.revoked_at is not None, persian_sort_key(item.holder)))


def certificates_of_team(team: Team) -> list[Certificate]:
    """The team's valid documents (its members see them on the team's page)."""
    return list(db.session.scalars(select(Certificate).where(Certificate.team_id == team.id,
                                                             Certificate.revoked_at.is_(None))
                                   .order_by(Certificate.kind)))


def certificates_of_user(user) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id,
                                                             Certificate.revoked_at.is_(None))))


@dataclass
class KindSummary:
    """One kind of document on an event's certificates page."""
    kind: DocumentKind
    valid: int
    revoked: int
    eligible: int  # who qualifies for it
    job: CertificateJob | None  # its unfinished bulk issue, if any


def kind_summaries(actor, event: Event) -> list[KindSummary]:
    """Every kind of document: how many are valid and revoked, who qualifies, and its running bulk issue."""
    summaries = []
    for kind in DocumentKind:
        issued = certificates_of_event(actor, event, kind)
        valid = sum(1 for found in issued if found.valid)
        summaries.append(KindSummary(kind, valid, len(issued) - valid, len(documents.subjects_of(event, kind)),
                                     unfinished_job(event, kind)))
    return summaries


@dataclass
class KindDocuments:
    """An event's documents of one kind, and who qualifies for one without a valid one yet."""
    kind: DocumentKind
    certificates: list[Certificate]  # as certificates_of_event orders them
    waiting: list[documents.Subject]


def kind_documents(actor, event: Event, kind: str) -> KindDocuments:
    certificates = certificates_of_event(actor, event, kind)
    valid_subjects = {found.subject for found in certificates if found.valid}
    kind = document_kind(kind)
    return KindDocuments(kind, certificates, [subject for subject in documents.subjects_of(event, kind)
                                              if subject.key not in valid_subjects])


def get_certificate_for_organiser(actor, certificate_id: int) -> Certificate:
    require_certificate_organiser(actor)
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        raise NotFound(_("There is no such document."))
    return certificate


def _may_download(actor, certificate: Certificate) -> bool:
    if actor is None or not actor.is_authenticated:
        return False
    if actor.is_organiser or certificate.user_id == actor.id:
        return True
    return certificate.team_id is not None and db.session.scalar(select(TeamMember.id).where(
        TeamMember.team_id == certificate.team_id, TeamMember.user_id == actor.id)) is not None


def file_for_download(actor, certificate_id: int) -> tuple[Certificate, Path]:
    """The stored PDF, for the team's members, the judge it names, and organisers."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not _may_download(actor, certificate):
        raise NotFound(_("There is no such document."))
    return certificate, storage.path_for(current_app.config["UPLOAD_DIR"], certificate.sha256)


def download_name(certificate: Certificate) -> str:
    holder = re.sub(r"[^\w\u0600-\u06FF\u200c-]+", "-", certificate.holder).strip("-")[:60]
    return f"{certificate.kind}-{holder}-{certificate.serial}.pdf"


def write_zip(actor, event: Event, kind: str, target) -> int:
    """Write every valid document of the kind into a ZIP at ``target`` (a path or a file); return how many."""
    require_certificate_organiser(actor)
    kind = document_kind(kind)
    certificates = [found for found in certificates_of_event(actor, event, kind) if found.valid]
    upload_dir = current_app.config["UPLOAD_DIR"]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        for certificate in certificates:
            archive.write(storage.path_for(upload_dir, certificate.sha256), download_name(certificate))
    return len(certificates)
