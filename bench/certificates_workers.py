"""Benchmark of a bulk issue shared by queue workers: the same job with one and with two `flask jobs worker`.

    python bench/certificates_workers.py [--count 1000] [--redis-url redis://127.0.0.1:6379/11]
                                         [--database-url URL] [--json]

Loads (as bench/certificates.py does, without uploaded images) two events of --count approved teams each into a
database of its own (a temporary SQLite file, or ``<name>_bench4`` on the PostgreSQL server of --database-url,
dropped at the end). Then, for 1 and 2 workers: empties the Redis database of --redis-url (use one no one else
uses), starts that many ``flask jobs worker`` processes on it (JOBS_BACKEND=redis, the mails logged), waits until
they listen, starts the group certificates of one event (``services.start_job``, ``services.enqueue``) and
measures the wall time until the job is done, and the CPU time its workers spent (user + system, from /proc),
then stops them. The job is planned by one worker and split into chunks of CHUNK_SIZE documents that the
workers share (see certificates/services/bulk.py); the notifications of each document are sent by the same
workers, as jobs of their own.

Prints both runs and the ratio of their wall times (the goal: two workers finish 1.7x faster than one). The
machine's two cores are shared: compare runs made at a similar load (the load average is printed).
"""
import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis  # noqa: E402
from _data import signing_keys  # noqa: E402
from certificates import Loader, build_schema  # noqa: E402  (bench/ is the script's own folder)
from databases import bench_database  # noqa: E402
from rq import Worker  # noqa: E402
from sqlalchemy import select  # noqa: E402

from eventapp import create_app  # noqa: E402
from eventapp.auth.models import User  # noqa: E402
from eventapp.certificates import services  # noqa: E402
from eventapp.certificates.enums import DocumentKind, JobStatus  # noqa: E402
from eventapp.certificates.models import CertificateJob, CertificateJobChunk  # noqa: E402
from eventapp.core.database import utcnow  # noqa: E402
from eventapp.core.extensions import db  # noqa: E402
from eventapp.events.models import Event  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a live process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND


def start_workers(count: int, environment: dict, folder: Path) -> list[subprocess.Popen]:
    processes = []
    for number in range(count):
        log = open(folder / f"worker-{count}-{number}.log", "w")  # noqa: SIM115 (closed with the process)
        processes.append(subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi.py", "jobs", "worker"],
                                          cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT))
    return processes


def wait_until_listening(connection, count: int, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while len(Worker.all(connection=connection)) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"{count} workers never listened to the queue")
        time.sleep(0.1)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.send_signal(signal.SIGKILL)
        process.wait(30)


def run_with(app, workers: int, event_id: int, organiser_id: int, redis_url: str, environment: dict,
             folder: Path) -> dict:
    """The event's group certificates issued by ``workers`` worker processes: wall and CPU seconds."""
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    processes = start_workers(workers, environment, folder)
    try:
        wait_until_listening(connection, workers)
        with app.app_context():
            cpu_before = sum(cpu_seconds(process.pid) for process in processes)
            load_before = os.getloadavg()[0]
            started = time.perf_counter()
            job = services.start_job(db.session.get(User, organiser_id), db.session.get(Event, event_id),
                                     DocumentKind.GROUP, utcnow()).job
            db.session.commit()
            services.enqueue(job)
            job_id = job.id
            while True:
                db.session.expire_all()
                job = db.session.get(CertificateJob, job_id)
                if job.status in (JobStatus.DONE, JobStatus.FAILED):
                    break
                time.sleep(0.05)
            seconds = time.perf_counter() - started
            # The notifications of the last documents are sent by jobs of their own: wait for the queue to empty.
            while connection.llen("rq:queue:eventapp"):
                time.sleep(0.05)
            cpu = sum(cpu_seconds(process.pid) for process in processes) - cpu_before
            makers = {owner.split(":")[-2] for owner in db.session.scalars(select(CertificateJobChunk.owner).where(
                CertificateJobChunk.job_id == job_id))}
            return {"workers": workers, "status": str(job.status), "done": job.done, "failed": job.failed,
                    "seconds": seconds, "cpu_seconds": cpu, "chunks_made_by": len(makers),
                    "load": (load_before, os.getloadavg()[0])}
    finally:
        stop(processes)


def run(args) -> list[dict]:
    with bench_database(args.database_url, "_bench4") as (dialect, url), \
            tempfile.TemporaryDirectory(prefix="bench-certificate-workers-") as folder:
        folder = Path(folder)
        (folder / "uploads").mkdir()
        keys = signing_keys(folder)
        config = {"TESTING": True, "SECRET_KEY": "bench-secret", "SQLALCHEMY_DATABASE_URI": url,
                  "UPLOAD_DIR": str(folder / "uploads"), "JOBS_BACKEND": "redis", "REDIS_URL": args.redis_url,
                  "BASE_URL": "https://dawn.example.ir", "MAIL_SERVER": None, **keys}
        app = create_app(config)
        environment = {**os.environ, "DATABASE_URL": url, "REDIS_URL": args.redis_url, "JOBS_BACKEND": "redis",
                       "UPLOAD_DIR": config["UPLOAD_DIR"], "APP_ENV": "development", "BASE_URL": config["BASE_URL"],
                       "NOTIFY_TICKER": "0", **keys}
        environment.pop("MAIL_SERVER", None)
        try:
            with app.app_context():
                organiser_id = build_schema()
                loader = Loader(organiser_id, {})
                events = [loader.event(f"bench-workers-{workers}", args.count, "fa") for workers in (1, 2)]
            print(f"database: {dialect}; two events of {args.count} approved teams; chunks of "
                  f"{services.bulk.CHUNK_SIZE} documents", flush=True)
            return [run_with(app, workers, event_id, organiser_id, args.redis_url, environment, folder)
                    for workers, event_id in zip((1, 2), events)]
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="group certificates to issue (default 1000)")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11",
                        help="a Redis database this run may empty (default redis://127.0.0.1:6379/11)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server to use (a database <name>_bench4 is created and dropped); "
                             "default: a temporary SQLite file")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object, last")
    args = parser.parse_args(argv)
    runs = run(args)
    print(f"{'workers':>7} {'docs':>5} {'wall s':>8} {'docs/s':>7} {'worker cpu s':>12} {'cpu ms/doc':>10}  notes")
    for found in runs:
        print(f"{found['workers']:>7} {found['done']:>5} {found['seconds']:>8.1f} {found['done'] / found['seconds']:>7.1f} "
              f"{found['cpu_seconds']:>12.1f} {1000 * found['cpu_seconds'] / max(1, found['done']):>10.0f}  "
              f"{found['status']}, {found['failed']} failed; chunks made by {found['chunks_made_by']} worker(s); "
              f"load average {found['load'][0]:.1f} -> {found['load'][1]:.1f}")
    ratio = runs[0]["seconds"] / runs[1]["seconds"]
    print(f"two workers / one: {ratio:.2f}x faster in wall time (the goal is 1.7x)")
    if args.json:
        print(json.dumps({"count": args.count, "runs": runs, "ratio": round(ratio, 2)}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
