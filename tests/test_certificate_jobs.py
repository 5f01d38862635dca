"""Bulk issuing across servers, workers and faults: a job runs once at a time, a job started while the queue
is down starts when it is back, a killed worker's chunk is resumed once by another, and the job's page follows
it to the end. The tests marked ``redis`` run real ``flask jobs worker`` processes (set TEST_REDIS_URL)."""
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, update

from eventapp.audit.models import AuditEntry
from eventapp.auth.models import User
from eventapp.certificates import services
from eventapp.certificates.enums import DocumentKind, JobStatus
from eventapp.certificates.models import Certificate, CertificateJob, CertificateJobChunk
from eventapp.core import storage
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.events.models import Event

from . import factories
from .helpers import count, get, visible

REPO_ROOT = Path(__file__).resolve().parent.parent
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"  # nothing listens there: the queue is down
STALE_SECONDS = 4  # the workers of these tests call a job interrupted after this silence


def start(app, organiser, event) -> CertificateJob:
    """Queue the group certificates of the event (without running them); the job, detached."""
    with app.app_context():
        job = services.start_job(get(User, organiser.id), get(Event, event.id), DocumentKind.GROUP, utcnow()).job
        db.session.commit()
        db.session.refresh(job)
        db.session.expunge(job)
        return job


def job_row(app, job_id) -> CertificateJob:
    with app.app_context():
        job = get(CertificateJob, job_id)
        db.session.expunge(job)
        return job


def stored_files(upload_dir: Path) -> set[str]:
    """The hashes of the files kept in the upload folder (outside the staging folders)."""
    return {path.name for path in upload_dir.rglob("*") if path.is_file() and ".staging" not in path.parts}


def staged_files(upload_dir: Path) -> list[Path]:
    return [path for path in (upload_dir / ".staging").rglob("*") if path.is_file()]


def assert_issued_once(app, job_id, upload_dir, expected):
    """The job made exactly ``expected`` documents, one per subject, and the upload folder holds exactly
    their files: nothing rendered for nothing is left."""
    job = job_row(app, job_id)
    assert (job.status, job.done, job.total, job.failed) == (JobStatus.DONE, expected, expected, 0)
    with app.app_context():
        certificates = db.session.scalars(select(Certificate)).all()
    assert len(certificates) == len({certificate.subject for certificate in certificates}) == expected
    assert stored_files(upload_dir) == {certificate.sha256 for certificate in certificates}
    assert staged_files(upload_dir) == []


# --- one run at a time ------------------------------------------------------------------------------


def test_a_second_start_finds_the_unfinished_job_and_says_so(app, make, organiser, client, login, upload_dir):
    event, team_ids = factories.many_teams(app, make, organiser, 3)
    job = start(app, organiser, event)
    assert (job.status, job.total, job.done) == (JobStatus.QUEUED, 3, 0)  # the real total, from the start
    login(organiser)
    client.set_cookie("lang", "en")
    response = client.post(f"/organiser/events/{event.id}/certificates/group/issue")
    assert urlsplit(response.headers["Location"]).path == f"/organiser/certificate-jobs/{job.id}"
    with client.session_transaction() as session:
        assert ("info", "These documents are already being issued: here is the bulk issue under way.") in \
            session["_flashes"]
    assert count(app, CertificateJob) == 1


def test_two_servers_starting_the_same_job_at_once_make_one_job(app, make, organiser, upload_dir, monkeypatch):
    """The other server inserts its job between this one's look-up and its insert: the unique index refuses
    the second, and this server answers with the other's job."""
    event, _team_ids = factories.many_teams(app, make, organiser, 2)
    other = {}
    look_up = services.bulk.unfinished_job

    def other_server_starts_first(found_event, kind):
        if not other:
            other["job"] = None  # the other server's own look-up finds nothing either
            other["job"] = start(app, organiser, event)  # in an app context of its own: another session
            return None
        return look_up(found_event, kind)

    monkeypatch.setattr(services.bulk, "unfinished_job", other_server_starts_first)
    with app.app_context():
        started = services.start_job(get(User, organiser.id), get(Event, event.id), DocumentKind.GROUP, utcnow())
        db.session.commit()
        assert (started.created, started.job.id) == (False, other["job"].id)
    assert count(app, CertificateJob) == 1


@pytest.fixture
def made(monkeypatch):
    """The subjects of every document rendered, in order."""
    subjects = []
    make = services.Issuer.make
    monkeypatch.setattr(services.Issuer, "make", lambda self, subject, now: subjects.append(subject.key) or
                        make(self, subject, now))
    return subjects


def test_a_job_handed_to_two_workers_at_once_runs_once(app, make, organiser, upload_dir, made):
    event, _team_ids = factories.many_teams(app, make, organiser, 4)
    job = start(app, organiser, event)
    ready, errors = threading.Barrier(2), []

    def worker():
        try:
            with app.app_context():
                ready.wait()
                services.run_job(job.id)
        except Exception as error:  # noqa: BLE001 (the test reports it)
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert len(made) == 4  # not eight: the second worker found the job claimed
    assert_issued_once(app, job.id, upload_dir, 4)


def test_a_chunk_handed_to_two_workers_at_once_runs_once(app, make, organiser, upload_dir, monkeypatch):
    monkeypatch.setitem(app.config, "CERTIFICATE_CHUNK_SIZE", 2)
    event, _team_ids = factories.many_teams(app, make, organiser, 4)
    job = start(app, organiser, event)
    handed = []
    with monkeypatch.context() as patch, app.app_context():
        patch.setattr(services.bulk, "_run_chunk", lambda chunk_id, issuer, on_progress: handed.append(chunk_id))
        services.run_job(job.id)  # plans the job's two chunks (and hands them to no one)
    ready, errors = threading.Barrier(4), []

    def worker(chunk_id):
        try:
            with app.app_context():
                ready.wait()
                services.run_chunk(chunk_id)
        except Exception as error:  # noqa: BLE001 (the test reports it)
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(chunk_id,)) for chunk_id in handed * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == [] and len(handed) == 2
    assert_issued_once(app, job.id, upload_dir, 4)


def test_a_run_that_lost_its_chunk_stops_and_keeps_no_file(app, make, organiser, upload_dir, monkeypatch):
    """A run silent for long (a stopped virtual machine) was taken over: when it wakes it writes nothing more."""
    monkeypatch.setitem(app.config, "CERTIFICATE_CHUNK_SIZE", 2)
    event, _team_ids = factories.many_teams(app, make, organiser, 4)
    job = start(app, organiser, event)
    make_document = services.Issuer.make
    rendered = []

    def taken_over_in_the_second_chunk(self, subject, now):
        rendered.append(subject.key)
        if len(rendered) == 3:
            with app.app_context():
                db.session.execute(update(CertificateJobChunk).where(CertificateJobChunk.job_id == job.id,
                                                                     CertificateJobChunk.number == 1)
                                   .values(owner="another run"))
                db.session.commit()
        return make_document(self, subject, now)

    monkeypatch.setattr(services.Issuer, "make", taken_over_in_the_second_chunk)
    with app.app_context():
        services.run_job(job.id)
        certificates = db.session.scalars(select(Certificate)).all()
    assert len(rendered) == 4 and len(certificates) == 2 and job_row(app, job.id).done == 2
    assert stored_files(upload_dir) == {certificate.sha256 for certificate in certificates}
    assert staged_files(upload_dir) == []


class Killed(BaseException):
    """The process was killed (between a chunk's commit and the publishing of its files)."""


def test_what_a_killed_run_staged_is_kept_if_committed_and_removed_if_not(app, make, organiser, upload_dir,
                                                                          monkeypatch):
    monkeypatch.setitem(app.config, "CERTIFICATE_CHUNK_SIZE", 1)
    event, _team_ids = factories.many_teams(app, make, organiser, 2)
    job = start(app, organiser, event)

    def killed_after_the_commit(upload_dir, folder, sha256):
        storage.stage(upload_dir, folder, b"%PDF-1.7 rendered, never recorded")
        raise Killed

    with monkeypatch.context() as patch, app.app_context(), pytest.raises(Killed):
        patch.setattr(storage, "publish", killed_after_the_commit)
        services.run_job(job.id)
    assert len(staged_files(upload_dir)) == 2 and stored_files(upload_dir) == set()  # its document, and the orphan
    with app.app_context():
        assert services.recover_job(get(CertificateJob, job.id), utcnow() + timedelta(minutes=5))  # resumed
    assert_issued_once(app, job.id, upload_dir, 2)


# --- the queue is down ----------------------------------------------------------------------------


@pytest.fixture
def queue_down(app, monkeypatch):
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "redis")
    monkeypatch.setitem(app.config, "REDIS_URL", CLOSED_PORT_REDIS)


def test_a_job_started_while_the_queue_is_down_is_kept_and_the_organiser_told(app, make, organiser, client, login,
                                                                             upload_dir, queue_down):
    event, _team_ids = factories.many_teams(app, make, organiser, 3)
    login(organiser)
    client.set_cookie("lang", "en")
    response = client.post(f"/organiser/events/{event.id}/certificates/group/issue")
    assert response.status_code == 302
    job_path = urlsplit(response.headers["Location"]).path
    job = job_row(app, int(job_path.rsplit("/", 1)[1]))
    assert (job.status, job.total, job.done) == (JobStatus.QUEUED, 3, 0)
    page = client.get(job_path)
    text = visible(page)
    assert page.status_code == 200
    assert '<strong data-field="total">3</strong>' in page.get_data(as_text=True)  # not "0 of 0" while waiting
    assert "The job queue is unavailable just now: the bulk issue is saved and starts by itself" in text
    assert "this bulk issue starts by itself when the queue is back" in text
    assert re.search(r'<form method="post" action="[^"]*/resume" data-when-may-run-again\s*>', page.get_data(as_text=True))
    assert client.get(f"{job_path}/progress").get_json()["queue_unavailable"] is True
    again = client.post(f"{job_path}/resume", follow_redirects=True)
    assert again.status_code == 200 and "The job queue is unavailable just now" in visible(again)


# --- real worker processes ------------------------------------------------------------------------


@pytest.fixture
def redis_url(redis_url, app, monkeypatch):
    monkeypatch.setitem(app.config, "JOB_STALE_SECONDS", STALE_SECONDS)
    return redis_url


@pytest.fixture
def workers(database_url, redis_url, upload_dir, tmp_path):
    """``workers.start(burst=False)``: a real ``flask jobs worker`` process; every one is killed at the end."""
    started = []
    environment = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "JOBS_BACKEND": "redis",
                   "UPLOAD_DIR": str(upload_dir), "APP_ENV": "development", "JOB_STALE_SECONDS": str(STALE_SECONDS),
                   "JOB_SWEEP_SECONDS": "1"}

    def start_worker(burst=False) -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(started)}.log", "w")  # noqa: SIM115 (closed with the process)
        process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi.py", "jobs", "worker",
                                    *(["--burst"] if burst else [])], cwd=REPO_ROOT, env=environment,
                                   stdout=log, stderr=subprocess.STDOUT)
        started.append((process, log))
        return process

    yield type("Workers", (), {"start": staticmethod(start_worker)})
    for process, log in started:
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
        process.wait(30)
        log.close()


def wait_for(app, job_id, condition, timeout=120) -> CertificateJob:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = job_row(app, job_id)
        if condition(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} never got there: {job.status} {job.done}/{job.total} owner {job.owner!r}")


def owner_pid(owner: str) -> int:
    return int(owner.split(":")[-2])


def kill_the_worker_of_a_chunk(app, job_id, processes, but=None, timeout=120) -> str:
    """SIGKILL the worker process that runs a chunk of the job (but not the run ``but``) as soon as it claims it;
    the killed run's owner."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with app.app_context():
            owners = db.session.scalars(select(CertificateJobChunk.owner).where(
                CertificateJobChunk.job_id == job_id, CertificateJobChunk.status == JobStatus.RUNNING)).all()
        for owner in owners:
            process = next((process for process in processes if owner and owner != but
                            and process.pid == owner_pid(owner) and process.poll() is None), None)
            if process is not None:
                process.send_signal(signal.SIGKILL)
                process.wait(30)
                return owner
        time.sleep(0.02)
    raise AssertionError(f"no worker claimed a chunk of job {job_id}")


def test_a_job_queued_twice_runs_once_on_two_worker_processes(app, make, organiser, upload_dir, workers):
    event, _team_ids = factories.many_teams(app, make, organiser, 6)
    job = start(app, organiser, event)
    with app.app_context():
        assert services.enqueue(job) and services.enqueue(job)  # "Issue all" on two servers
    first, second = workers.start(burst=True), workers.start(burst=True)
    assert first.wait(180) == 0 and second.wait(180) == 0
    assert_issued_once(app, job.id, upload_dir, 6)


def test_a_job_started_while_the_queue_was_down_runs_when_a_worker_starts(app, make, organiser, upload_dir, workers,
                                                                          monkeypatch):
    event, _team_ids = factories.many_teams(app, make, organiser, 2)
    job = start(app, organiser, event)
    monkeypatch.setitem(app.config, "REDIS_URL", CLOSED_PORT_REDIS)
    with app.app_context():
        assert services.enqueue(job) is False
    assert workers.start(burst=True).wait(180) == 0  # its sweep finds the job that never reached the queue
    assert_issued_once(app, job.id, upload_dir, 2)


def test_a_killed_workers_chunk_is_finished_by_another_worker(app, make, organiser, upload_dir, workers):
    event, _team_ids = factories.many_teams(app, make, organiser, 30)
    job = start(app, organiser, event)
    processes = [workers.start(), workers.start()]
    with app.app_context():
        assert services.enqueue(job)
    killed = kill_the_worker_of_a_chunk(app, job.id, processes)
    finished = wait_for(app, job.id, lambda found: found.status == JobStatus.DONE)
    assert finished.auto_resumes == 1 and owner_pid(killed) != os.getpid()
    assert_issued_once(app, job.id, upload_dir, 30)


def test_a_job_interrupted_twice_waits_for_the_organiser(app, make, organiser, upload_dir, workers, client, login):
    event, _team_ids = factories.many_teams(app, make, organiser, 30)
    job = start(app, organiser, event)
    processes = [workers.start(), workers.start()]
    with app.app_context():
        assert services.enqueue(job)
    killed = kill_the_worker_of_a_chunk(app, job.id, processes)
    kill_the_worker_of_a_chunk(app, job.id, processes, but=killed)  # the other worker took it over, and is killed
    processes.append(workers.start())
    time.sleep(STALE_SECONDS + 3)  # long enough for the new worker's sweeps to see the silence
    job = job_row(app, job.id)
    assert (job.status, job.auto_resumes) == (JobStatus.RUNNING, 1) and job.done < 30
    login(organiser)
    client.set_cookie("lang", "en")
    page = client.get(f"/organiser/certificate-jobs/{job.id}")
    assert "Interrupted" in visible(page)
    assert re.search(r'<form method="post" action="[^"]*/resume" data-when-may-run-again\s*>', page.get_data(as_text=True))
    client.post(f"/organiser/certificate-jobs/{job.id}/resume")
    wait_for(app, job.id, lambda found: found.status == JobStatus.DONE)
    assert_issued_once(app, job.id, upload_dir, 30)


# --- the job's page -------------------------------------------------------------------------------


def test_the_progress_says_when_the_job_has_finished_and_what_to_show(app, make, organiser, client, login, upload_dir):
    event, _team_ids = factories.many_teams(app, make, organiser, 2)
    job = start(app, organiser, event)
    login(organiser)
    client.set_cookie("lang", "en")
    with app.app_context():
        services.run_job(job.id)
    state = client.get(f"/organiser/certificate-jobs/{job.id}/progress").get_json()
    assert {key: state[key] for key in ("status", "status_label", "finished", "may_run_again", "done", "total")} == {
        "status": "done", "status_label": "Finished", "finished": True, "may_run_again": False, "done": 2, "total": 2}
    page = client.get(f"/organiser/certificate-jobs/{job.id}").get_data(as_text=True)
    assert 'data-status="done"' in page and re.search(r"<p class=\"small muted\" data-when-done\s*>", page)


def test_a_stale_job_is_shown_interrupted_after_the_configured_silence(app, make, organiser, upload_dir):
    event, _team_ids = factories.many_teams(app, make, organiser, 1)
    job = start(app, organiser, event)
    with app.app_context():
        found = get(CertificateJob, job.id)
        found.status, found.heartbeat_at = JobStatus.RUNNING, utcnow()
        db.session.commit()
        later = utcnow() + timedelta(seconds=app.config["JOB_STALE_SECONDS"] + 1)
        assert services.progress(found, later).status == JobStatus.INTERRUPTED
        assert services.progress(found, utcnow()).status == JobStatus.RUNNING


# --- chunks: written in bulk, shared by the workers ------------------------------------------------------------


@pytest.fixture
def inserts(app):
    """The INSERT statements sent to the database, by table (an INSERT of many rows counts once)."""
    from sqlalchemy import event as sqlalchemy_event

    found = []

    def seen(connection, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO"):
            found.append(statement.split()[2].strip('"'))

    with app.app_context():
        engine = db.engine
    sqlalchemy_event.listen(engine, "before_cursor_execute", seen)
    yield found
    sqlalchemy_event.remove(engine, "before_cursor_execute", seen)


def test_a_chunks_documents_and_audit_entries_are_written_in_one_insert_each(app, make, organiser, upload_dir,
                                                                            inserts, monkeypatch):
    monkeypatch.setitem(app.config, "CERTIFICATE_CHUNK_SIZE", 6)
    event, team_ids = factories.many_teams(app, make, organiser, 12)
    job = start(app, organiser, event)
    inserts.clear()
    with app.app_context():
        services.run_job(job.id)
        certificates = db.session.scalars(select(Certificate)).all()
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "certificate.issued")).all()
    assert inserts.count("certificates") == 2 and inserts.count("audit_entries") == 2  # a chunk, one of each
    assert sorted((entry.target_id, entry.target_label, entry.actor_id) for entry in entries) == sorted(
        (certificate.id, f"{certificate.serial} · {certificate.holder}", organiser.id) for certificate in certificates)
    assert_issued_once(app, job.id, upload_dir, 12)


def test_a_document_issued_by_hand_while_its_chunk_is_drawn_is_not_issued_twice(app, make, organiser, upload_dir,
                                                                               monkeypatch):
    event, team_ids = factories.many_teams(app, make, organiser, 4)
    job = start(app, organiser, event)
    make_document, by_hand = services.Issuer.make, []

    def meanwhile_by_hand(self, subject, now):
        if subject.key == f"team:{team_ids[2]}" and not by_hand:
            by_hand.append(subject.key)
            with app.app_context():  # another organiser, on another server
                services.issue_one(get(User, organiser.id), get(Event, event.id), DocumentKind.GROUP, subject.key,
                                   now, "http://localhost")
                db.session.commit()
        return make_document(self, subject, now)

    monkeypatch.setattr(services.Issuer, "make", meanwhile_by_hand)
    with app.app_context():
        services.run_job(job.id)
        by_hand = services.valid_certificate(get(Event, event.id), DocumentKind.GROUP, f"team:{team_ids[2]}")
        assert by_hand.job_id is None  # the one issued by hand stands; the job's was not kept
    assert_issued_once(app, job.id, upload_dir, 4)


def wait_for_workers(redis_url, count, timeout=120) -> None:
    """Until ``count`` workers listen to the queue."""
    import redis
    from rq import Worker

    connection, deadline = redis.Redis.from_url(redis_url), time.monotonic() + timeout
    while len(Worker.all(connection=connection)) < count:
        assert time.monotonic() < deadline, "the workers never started"
        time.sleep(0.1)


def test_two_worker_processes_share_the_chunks_of_a_job(app, make, organiser, upload_dir, workers, redis_url):
    event, _team_ids = factories.many_teams(app, make, organiser, services.bulk.CHUNK_SIZE + 10)
    job = start(app, organiser, event)
    first, second = workers.start(), workers.start()
    wait_for_workers(redis_url, 2)
    with app.app_context():
        assert services.enqueue(job)
    wait_for(app, job.id, lambda found: found.status == JobStatus.DONE, timeout=300)
    assert_issued_once(app, job.id, upload_dir, services.bulk.CHUNK_SIZE + 10)
    with app.app_context():
        makers = {owner_pid(owner) for owner in db.session.scalars(select(CertificateJobChunk.owner).where(
            CertificateJobChunk.job_id == job.id))}
    assert makers == {first.pid, second.pid}


def test_the_holders_of_a_chunk_are_told_without_a_query_per_document(app, make, organiser, upload_dir, count_queries,
                                                                      monkeypatch):
    monkeypatch.setitem(app.config, "CERTIFICATE_CHUNK_SIZE", 12)
    event, _team_ids = factories.many_teams(app, make, organiser, 12)
    job = start(app, organiser, event)
    with app.app_context(), count_queries() as statements:
        services.run_job(job.id)
    one_by_one = [statement for statement in statements
                  if statement.startswith("SELECT") and "FROM certificates" in statement and "certificates.id = " in statement]
    assert one_by_one == []


def test_a_server_that_died_holding_two_chunks_has_both_queued_again_as_one_resume(app, make, organiser, upload_dir,
                                                                                    monkeypatch):
    event, _team_ids = factories.many_teams(app, make, organiser, 4)
    job = start(app, organiser, event)
    long_ago = utcnow() - timedelta(hours=1)
    with app.app_context():  # what a killed server leaves: the job running, two chunks claimed, no heartbeat since
        db.session.execute(update(CertificateJob).where(CertificateJob.id == job.id)
                           .values(status=JobStatus.RUNNING, heartbeat_at=utcnow()))
        db.session.add_all([CertificateJobChunk(job_id=job.id, number=number, subjects=[], status=JobStatus.RUNNING,
                                                owner="dead-server", heartbeat_at=long_ago) for number in (1, 2)])
        db.session.commit()
        monkeypatch.setattr(services.bulk, "_chunks_wait_in_queue", lambda: True)
        monkeypatch.setattr(services.bulk, "_enqueue_chunk", lambda chunk_id: True)
        monkeypatch.setattr(services.bulk.jobs, "is_waiting", lambda key: False)
        assert services.recover_job(get(CertificateJob, job.id), utcnow())
        chunks = db.session.scalars(select(CertificateJobChunk).where(CertificateJobChunk.job_id == job.id)).all()
        assert [(chunk.status, chunk.owner) for chunk in chunks] == [(JobStatus.QUEUED, "")] * 2
        assert get(CertificateJob, job.id).auto_resumes == 1
