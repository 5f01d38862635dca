"""Bulk issuing: every document of a kind for an event, in a background job that several workers share.

A job's run is planned by ``run_job``: it claims the job, finds who still needs a document and splits them
into chunks (CertificateJobChunk, CHUNK_SIZE subjects each, with the facts their documents state). With a
queue (Redis), each chunk is a queue job of its own, so that every ``flask jobs worker`` takes chunks of it;
in-process, the planner makes the chunks itself, in order, with one Issuer.

A chunk is claimed by the worker that makes it (``owner``, in one conditional UPDATE: a chunk handed out twice
runs once), beats while its documents are drawn, and then writes them in one transaction: their rows and audit
entries in one INSERT each, the job's progress, and (the last chunk) the job's end. Its files are staged
before that commit and published after it; a chunk that lost its claim keeps nothing. So an interruption loses
at most the chunks being made, which a resume makes again, and nothing is issued twice (a unique index holds
one valid document per subject; one issued by hand meanwhile is skipped).

A chunk whose worker went silent is put back on the queue by the workers' sweep, once per run a person started
(as a job is); a job none of whose chunks moves for JOB_STALE_SECONDS, and none waits, is interrupted.
"""
import os
import secrets
import socket
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from ...audit import services as audit
from ...core import jobs, storage
from ...core.database import utcnow
from ...core.errors import Conflict as ConflictError
from ...core.errors import Invalid, NotFound
from ...core.extensions import db
from ...events.models import Event
from .. import documents, sandbox
from ..enums import DocumentKind, JobStatus
from ..models import Certificate, CertificateJob, CertificateJobChunk
from ._shared import document_kind, require_certificate_organiser, site_address
from .issuing import Issuer, Made, certificates_of_event
from .templates import describe

CHUNK_SIZE = 50  # documents per chunk (CERTIFICATE_CHUNK_SIZE): a queue job, and one transaction
QUEUED, RUNNING, DONE, FAILED = JobStatus.QUEUED, JobStatus.RUNNING, JobStatus.DONE, JobStatus.FAILED


def chunk_size() -> int:
    return current_app.config.get("CERTIFICATE_CHUNK_SIZE") or CHUNK_SIZE


# --- starting, resuming and recovering a bulk issue -------------------------------------------------------------


def unfinished_job(event: Event, kind: str) -> CertificateJob | None:
    return db.session.scalar(select(CertificateJob).where(
        CertificateJob.event_id == event.id, CertificateJob.kind == kind,
        CertificateJob.status.in_((QUEUED, RUNNING))).order_by(CertificateJob.id.desc()))


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
    subjects = documents.subjects_of(event, kind)
    issued = _issued_subjects(event.id, kind, [subject.key for subject in subjects])
    job = CertificateJob(event_id=event.id, kind=kind, status=QUEUED, created_by_id=actor.id, created_at=now,
                         base_url=base_url, failures=[], total=len(subjects), done=len(issued), skipped=len(issued))
    try:
        with db.session.begin_nested():
            db.session.add(job)
    except IntegrityError:  # another server started it a moment ago
        return JobStart(unfinished_job(event, kind), created=False)
    audit.record(actor, "certificate.job_started", job, {"kind": kind}, label=f"{event.slug} · {kind}", now=now)
    return JobStart(job, created=True)


def _issued_subjects(event_id: int, kind: str, keys: list[str]) -> set[str]:
    """Which of these subjects have a valid document of the kind."""
    issued = set()
    for start in range(0, len(keys), 500):
        issued.update(db.session.scalars(select(Certificate.subject).where(
            Certificate.event_id == event_id, Certificate.kind == kind, Certificate.revoked_at.is_(None),
            Certificate.subject.in_(keys[start:start + 500]))))
    return issued


def _queue_key(job_id: int) -> str:
    return f"certificate-job-{job_id}"


def _chunk_key(chunk_id: int) -> str:
    return f"certificate-chunk-{chunk_id}"


def enqueue(job: CertificateJob) -> bool:
    """Hand the job to the background, after the transaction that queued it has committed. False when
    the queue is unavailable: the job waits, and is queued by the next sweep (recover_jobs)."""
    return jobs.enqueue(run_job, job.id, key=_queue_key(job.id))


def _enqueue_chunk(chunk_id: int) -> bool:
    return jobs.enqueue(run_chunk, chunk_id, key=_chunk_key(chunk_id))


def stale_after() -> timedelta:
    """A running job silent for this long was interrupted (its worker was killed, or its server stopped)."""
    return timedelta(seconds=current_app.config["JOB_STALE_SECONDS"])


def _silent(column, now: datetime):
    return or_(column.is_(None), column < now - stale_after())


def _chunks_wait_in_queue() -> bool:
    """Whether a job's queued chunks wait for a worker (Redis): else in-process, its planner makes them."""
    return jobs.backend() == "redis"


def is_stale(job: CertificateJob, now: datetime) -> bool:
    """Whether a running job was interrupted: nothing of it moved for JOB_STALE_SECONDS, and no chunk of it
    waits in the queue for a free worker."""
    if job.status != RUNNING or (job.heartbeat_at is not None and now - job.heartbeat_at <= stale_after()):
        return False
    return not (_chunks_wait_in_queue() and db.session.scalar(select(func.count()).where(
        CertificateJobChunk.job_id == job.id, CertificateJobChunk.status == QUEUED)))


def _requeue(job_id: int, now: datetime, automatic: bool) -> bool:
    """Put a job back in the queued state, unless it runs (its worker beat lately); True if it was put back.
    One UPDATE, so two people (or a sweep and a person) resuming at once resume it once; the chunks of its run
    that are not done stop (their workers find them taken). An automatic resume happens once per run a person
    started: a job interrupted twice waits for a person."""
    conditions = [CertificateJob.id == job_id,
                  or_(CertificateJob.status != RUNNING, _silent(CertificateJob.heartbeat_at, now))]
    if automatic:
        conditions += [CertificateJob.status == RUNNING, CertificateJob.auto_resumes == 0]
    try:
        with db.session.begin_nested():
            result = db.session.execute(update(CertificateJob).where(*conditions).values(
                status=QUEUED, owner="", message="", finished_at=None,
                auto_resumes=CertificateJob.auto_resumes + 1 if automatic else 0)
                .execution_options(synchronize_session=False))
            if result.rowcount == 1:
                _stop_chunks(job_id)
    except IntegrityError as error:  # a newer job of the kind is unfinished: at most one at a time
        raise ConflictError(_("Another bulk issue of these documents is waiting or running: follow that one.")) \
            from error
    finally:
        db.session.expire_all()
    return result.rowcount == 1


def _stop_chunks(job_id: int) -> None:
    """The unfinished chunks of the job's run stop: none is claimed again, and their workers lose them."""
    db.session.execute(update(CertificateJobChunk).where(
        CertificateJobChunk.job_id == job_id, CertificateJobChunk.status.in_((QUEUED, RUNNING)))
        .values(status=FAILED, owner="").execution_options(synchronize_session=False))


def resume_job(actor, job: CertificateJob, now: datetime) -> CertificateJob:
    """Start again an interrupted, unqueued or finished-with-failures job: it skips what it already issued."""
    require_certificate_organiser(actor)
    if not _requeue(job.id, now, automatic=False):
        raise ConflictError(_("This job is still running."))
    audit.record(actor, "certificate.job_resumed", job, {"kind": job.kind}, label=f"{job.event_id} · {job.kind}",
                 now=now)
    return job


def _audit_automatic_resume(job: CertificateJob, now: datetime) -> None:
    audit.record(None, "certificate.job_resumed", job, {"kind": job.kind, "automatic": True},
                 label=f"{job.event_id} · {job.kind}", now=now)


def recover_job(job: CertificateJob, now: datetime) -> bool:
    """Put the job, or its chunks, back on the queue if they should be there and are not: queued while the
    queue was down (or lost with it), or running in a worker that went silent (once, see _requeue and
    _requeue_silent_chunks). Commits what it changes. False when the queue cannot be reached (the job waits for it)."""
    if is_stale(job, now) and _requeue(job.id, now, automatic=True):
        _audit_automatic_resume(job, now)
        db.session.commit()
    if job.status == RUNNING and _chunks_wait_in_queue():
        return _recover_chunks(job, now)
    if job.status != QUEUED:
        return True
    waiting = jobs.is_waiting(_queue_key(job.id))
    if waiting is None:
        return False
    return waiting or enqueue(job)


def _recover_chunks(job: CertificateJob, now: datetime) -> bool:
    """Queue again the chunks of a running job that silent workers held, and those the queue lost."""
    _requeue_silent_chunks(job, now)
    for chunk_id in db.session.scalars(select(CertificateJobChunk.id).where(
            CertificateJobChunk.job_id == job.id, CertificateJobChunk.status == QUEUED)).all():
        waiting = jobs.is_waiting(_chunk_key(chunk_id))
        if waiting is None or not (waiting or _enqueue_chunk(chunk_id)):
            return False
    return True


def _requeue_silent_chunks(job: CertificateJob, now: datetime) -> None:
    """Put every chunk that silent workers held back in the queued state (for the queue's next workers), if the
    job may still be resumed without a person (see _requeue): all in one transaction, counted as one resume of
    the job (a server that died holding two chunks is one interruption)."""
    resumed = db.session.execute(update(CertificateJob).where(
        CertificateJob.id == job.id, CertificateJob.status == RUNNING, CertificateJob.auto_resumes == 0)
        .values(auto_resumes=CertificateJob.auto_resumes + 1).execution_options(synchronize_session=False))
    taken = resumed.rowcount == 1 and db.session.execute(update(CertificateJobChunk).where(
        CertificateJobChunk.job_id == job.id, CertificateJobChunk.status == RUNNING,
        _silent(CertificateJobChunk.heartbeat_at, now)).values(status=QUEUED, owner="")
        .execution_options(synchronize_session=False)).rowcount > 0
    if not taken:
        db.session.rollback()
        return
    _audit_automatic_resume(job, now)
    db.session.commit()


def recover_jobs(now: datetime) -> None:
    """Every unfinished job: recover_job (the workers' sweep)."""
    for job in db.session.scalars(select(CertificateJob).where(
            CertificateJob.status.in_((QUEUED, RUNNING)))).all():
        if not recover_job(job, now):
            return  # the queue is down: the next sweep tries again


jobs.register_sweep(recover_jobs)


# --- a run: the plan, then the chunks ------------------------------------------------------------------------------


def _run_token() -> str:
    """Who claims: this host and process (a test or an operator finds the worker by it), and a token of this run."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"[-80:]


def _claim(model, row_id: int, now: datetime) -> str | None:
    """Take a queued job or chunk for this run, in one UPDATE: of two workers handed the same one, one claims
    it. Returns the run's owner token (its beats are guarded by it), or None if it is not queued."""
    owner = _run_token()
    db.session.commit()  # start afresh: what the caller queued is stored, no read lock held (SQLite), no stale state
    result = db.session.execute(update(model).where(model.id == row_id, model.status == QUEUED).values(
        status=RUNNING, owner=owner, heartbeat_at=now).execution_options(synchronize_session=False))
    db.session.commit()
    return owner if result.rowcount == 1 else None


def _staging_folder(chunk_id: int) -> str:
    return f"certificate-chunk-{chunk_id}"


def _settle_files(chunk_id: int) -> None:
    """Publish the files a killed run of the chunk staged and committed; remove those it staged but never recorded."""
    upload_dir = current_app.config["UPLOAD_DIR"]
    waiting = storage.staged(upload_dir, _staging_folder(chunk_id))
    recorded = set(db.session.scalars(select(Certificate.sha256).where(Certificate.sha256.in_(waiting)))) \
        if waiting else set()
    storage.settle(upload_dir, _staging_folder(chunk_id), recorded)


def run_job(job_id: int, on_progress=None) -> None:
    """The job: claim it, then plan its run, every missing document of its kind in chunks; queued for the
    workers with a queue, else made here in order (``on_progress(job)`` after each). A job handed out twice
    runs once: the second run finds it claimed and returns."""
    if _claim(CertificateJob, job_id, utcnow()) is None:
        return
    job = db.session.get(CertificateJob, job_id)
    job.started_at = job.started_at or utcnow()
    try:
        issuer = Issuer(job.event, job.kind, job.base_url or site_address())
    except (Invalid, ConflictError) as error:
        _finish(job.id, FAILED, str(error))
        db.session.commit()
        return
    chunk_ids = _plan(job)
    if on_progress:
        on_progress(job)
    if _chunks_wait_in_queue():
        for chunk_id in chunk_ids:
            _enqueue_chunk(chunk_id)  # one the queue refuses waits for the sweep
        return
    for chunk_id in chunk_ids:
        _run_chunk(chunk_id, issuer, on_progress)


def _plan(job: CertificateJob) -> list[int]:
    """Replace the chunks of the job's previous run (settling their files) by chunks of the subjects without
    a valid document; the job counts those with one as done. The ids of the chunks, committed."""
    for chunk_id in db.session.scalars(select(CertificateJobChunk.id).where(CertificateJobChunk.job_id == job.id)):
        _settle_files(chunk_id)
    db.session.execute(delete(CertificateJobChunk).where(CertificateJobChunk.job_id == job.id))
    subjects = documents.subjects_of(job.event, job.kind)
    issued = _issued_subjects(job.event_id, job.kind, [subject.key for subject in subjects])
    missing = [subject for subject in subjects if subject.key not in issued]
    job.total, job.done, job.skipped, job.failed, job.failures = len(subjects), len(issued), len(issued), 0, []
    size = chunk_size()
    chunks = [CertificateJobChunk(job_id=job.id, number=number, status=QUEUED,
                                  subjects=[_facts(subject) for subject in missing[start:start + size]])
              for number, start in enumerate(range(0, len(missing), size))]
    db.session.add_all(chunks)
    if not chunks:
        _finish(job.id, DONE, "")
    db.session.commit()
    return [chunk.id for chunk in chunks]


def _facts(subject: documents.Subject) -> dict:
    facts = asdict(subject)
    facts["achievement"] = subject.achievement.value if subject.achievement else None
    return facts


def run_chunk(chunk_id: int) -> None:
    """The job of one chunk (see the module's description)."""
    _run_chunk(chunk_id, None, None)


def _run_chunk(chunk_id: int, issuer: Issuer | None, on_progress) -> None:
    owner = _claim(CertificateJobChunk, chunk_id, utcnow())
    if owner is None:  # made by another worker, or stopped by a resume of its job
        return
    _settle_files(chunk_id)
    chunk = db.session.get(CertificateJobChunk, chunk_id)
    job = chunk.job
    subjects = [documents.Subject(**facts) for facts in chunk.subjects]
    issued = _issued_subjects(job.event_id, job.kind, [subject.key for subject in subjects])  # by hand meanwhile
    made, failures = [], []
    try:
        issuer = issuer or Issuer(job.event, job.kind, job.base_url or site_address())
    except (Invalid, ConflictError) as error:  # the template or the results changed since the plan
        failures = [_failure(subject, str(error)) for subject in subjects if subject.key not in issued]
    else:
        beat_every, last_beat = stale_after().total_seconds() / 4, time.monotonic()
        for subject in subjects:
            if subject.key in issued:
                continue
            try:
                made.append(issuer.make(subject, utcnow()))
            except Exception as error:  # one bad document must not lose the others
                problem = describe(error.problem) if isinstance(error, sandbox.TemplateRefused) else str(error)
                current_app.logger.warning("Certificate for %s failed in job %s: %s", subject.key, job.id, problem)
                failures.append(_failure(subject, problem))
            if time.monotonic() - last_beat > beat_every:
                if not _beat(job.id, chunk_id, owner, utcnow()):
                    return _lost(chunk_id)
                db.session.commit()
                last_beat = time.monotonic()
    if not _write(issuer, chunk, owner, made, failures, skipped=len(issued)):
        return _lost(chunk_id)
    if on_progress:
        db.session.refresh(job)
        on_progress(job)


def _failure(subject: documents.Subject, problem: str) -> dict:
    return {"subject": subject.key, "holder": subject.holder, "error": problem}


def _lost(chunk_id: int) -> None:
    db.session.rollback()
    current_app.logger.warning("Chunk %s was taken over by another run: this one stops", chunk_id)


def _beat(job_id: int, chunk_id: int, owner: str, now: datetime) -> bool:
    """The chunk is still this run's (not taken over after a silence, not stopped by a resume): its heartbeat,
    and its job's. False if it is not, and the run must stop. Locks the job's row, then the chunk's, until the
    commit (every transaction of a job locks them in this order)."""
    db.session.execute(update(CertificateJob).where(CertificateJob.id == job_id).values(heartbeat_at=now)
                       .execution_options(synchronize_session=False))
    return db.session.execute(update(CertificateJobChunk).where(
        CertificateJobChunk.id == chunk_id, CertificateJobChunk.owner == owner, CertificateJobChunk.status == RUNNING)
        .values(heartbeat_at=now).execution_options(synchronize_session=False)).rowcount == 1


def _write(issuer: Issuer | None, chunk: CertificateJobChunk, owner: str, made: list[Made], failures: list[dict],
           skipped: int) -> bool:
    """Write the chunk's documents in one transaction (see the module's description); False (nothing written)
    if the chunk is no longer this run's."""
    job_id, chunk_id = chunk.job_id, chunk.id
    actor = chunk.job.created_by
    while True:
        now = utcnow()
        if not _beat(job_id, chunk_id, owner, now):
            return False
        try:
            with db.session.begin_nested():
                if made:
                    issuer.record(actor, made, now, chunk.job)
            break
        except IntegrityError:  # one of them was issued meanwhile (by hand): nothing twice
            issued = _issued_subjects(chunk.job.event_id, chunk.job.kind, [item.subject.key for item in made])
            if not issued:
                raise
            skipped += len(issued)
            made = [item for item in made if item.subject.key not in issued]
    db.session.execute(update(CertificateJob).where(CertificateJob.id == job_id).values(
        heartbeat_at=now, done=CertificateJob.done + len(made) + skipped, failed=CertificateJob.failed + len(failures))
        .execution_options(synchronize_session=False))
    if failures:  # the job's row is locked by the update: no other chunk writes its failures meanwhile
        recorded = db.session.scalar(select(CertificateJob.failures).where(CertificateJob.id == job_id))
        db.session.execute(update(CertificateJob).where(CertificateJob.id == job_id).values(
            failures=[*recorded, *failures]).execution_options(synchronize_session=False))
    db.session.execute(update(CertificateJobChunk).where(CertificateJobChunk.id == chunk_id).values(status=DONE)
                       .execution_options(synchronize_session=False))  # its owner stays: who made it
    _commit_with_files(chunk_id, made)
    # Once its files are in place, the job is done if every chunk is: whichever chunk commits last sees it.
    db.session.execute(update(CertificateJob).where(
        CertificateJob.id == job_id, CertificateJob.status == RUNNING,
        ~select(CertificateJobChunk.id).where(CertificateJobChunk.job_id == job_id,
                                              CertificateJobChunk.status != DONE).exists())
        .values(status=DONE, message="", finished_at=utcnow(), owner="").execution_options(synchronize_session=False))
    db.session.commit()
    return True


def _commit_with_files(chunk_id: int, made: list[Made]) -> None:
    """Commit, the documents' files staged before and published after (removed if the commit fails)."""
    upload_dir, folder = current_app.config["UPLOAD_DIR"], _staging_folder(chunk_id)
    staged = [storage.stage(upload_dir, folder, item.pdf) for item in made]
    try:
        db.session.commit()
    except Exception:
        db.session.rollback()
        for sha256 in staged:
            storage.discard(upload_dir, folder, sha256)
        raise
    for sha256 in staged:
        storage.publish(upload_dir, folder, sha256)


def _finish(job_id: int, status: JobStatus, message: str) -> None:
    db.session.execute(update(CertificateJob).where(CertificateJob.id == job_id).values(
        status=status, message=message, finished_at=utcnow(), owner="").execution_options(synchronize_session=False))


# --- where a job stands ------------------------------------------------------------------------------------------


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
        return self.status in (DONE, FAILED)

    @property
    def may_run_again(self) -> bool:
        return self.status in (JobStatus.INTERRUPTED, FAILED) or self.queue_unavailable or (
            self.status == DONE and self.failed > 0)

    def as_json(self) -> dict:
        return {**self.__dict__, "status_label": self.status.label, "finished": self.finished,
                "may_run_again": self.may_run_again}


def progress(job: CertificateJob, now: datetime, queue_available: bool = True) -> Progress:
    """Where a job stands, with an estimate of the time left from this run's pace."""
    status = JobStatus.INTERRUPTED if is_stale(job, now) else job.status
    seconds_left = None
    made = job.done - job.skipped + job.failed
    remaining = job.total - job.done - job.failed
    if job.status == RUNNING and made > 0 and job.started_at and job.heartbeat_at and remaining > 0:
        pace = (job.heartbeat_at - job.started_at).total_seconds() / made
        seconds_left = max(1, round(pace * remaining))
    return Progress(status, job.done, job.total, job.failed, seconds_left, job.message, job.failures,
                    queue_unavailable=status == QUEUED and not queue_available)


def jobs_of(event: Event) -> list[CertificateJob]:
    return list(db.session.scalars(select(CertificateJob).where(CertificateJob.event_id == event.id)
                                   .order_by(CertificateJob.id.desc()).limit(20)))


def get_job_for_organiser(actor, job_id: int) -> CertificateJob:
    require_certificate_organiser(actor)
    job = db.session.get(CertificateJob, job_id)
    if job is None:
        raise NotFound(_("There is no such job."))
    return job


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
        issued = certificates_of_event(actor, event, document_kind(kind))
        valid = sum(1 for found in issued if found.valid)
        summaries.append(KindSummary(kind, valid, len(issued) - valid, len(documents.subjects_of(event, kind)),
                                     unfinished_job(event, kind)))
    return summaries
