"""Background work: on a Redis queue served by worker processes when one is configured, in-process otherwise.

The same task function runs either way, inside an app context:

- ``redis``: RQ's queue; ``flask jobs worker`` serves it (as many worker processes as you start);
- ``thread``: a daemon thread of the web process (the embedded default: nothing more to run);
- ``inline``: at once, in the caller (tests and the command line).

A task must be a module-level function taking plain arguments (ids), and must be safe to run twice: the
queue may hand it out twice (two servers, a recovery sweep), so a task claims its work in the database.

A task given a ``key`` can be found in the queue again (``is_waiting``). An area registers a ``sweep``
(``register_sweep``) that puts back what was never queued or lost with a killed worker: every worker runs
the sweeps when it starts and then every JOB_SWEEP_SECONDS.
"""
import logging
import secrets
import threading

from flask import current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker

from .database import utcnow

QUEUE_NAME = "eventapp"
CONNECT_TIMEOUT_SECONDS = 3  # a Redis that is down is told at once, not after the operating system's minutes

log = logging.getLogger(__name__)
_sweeps = []
_on_worker_start = []


def backend() -> str:
    return current_app.config["JOBS_BACKEND"]


def _queue() -> Queue:
    connection = Redis.from_url(current_app.config["REDIS_URL"], socket_connect_timeout=CONNECT_TIMEOUT_SECONDS,
                                socket_timeout=CONNECT_TIMEOUT_SECONDS * 10)
    return Queue(QUEUE_NAME, connection=connection)


def enqueue(task, *args, key: str | None = None) -> bool:
    """Run ``task(*args)`` in the background (see the module's description for where).

    Returns False, and logs why, when the queue cannot be reached: the caller tells the person, and a
    sweep queues the work once the queue is back. Call it after the commit that stored the work."""
    mode = backend()
    if mode == "redis":
        job_id = f"{key}_{secrets.token_hex(6)}" if key else None
        try:
            _queue().enqueue(task, *args, job_id=job_id, job_timeout=current_app.config["JOB_TIMEOUT_SECONDS"])
        except RedisError as error:
            log.warning("The job queue is unavailable (%s): %s%r waits for the next sweep", error, task.__name__, args)
            return False
    elif mode == "thread":
        app = current_app._get_current_object()
        threading.Thread(target=_run_in_app, args=(app, task, args), daemon=True).start()
    else:
        task(*args)
    return True


def enqueue_in(delay, task, *args, key: str) -> bool:
    """Have RQ's scheduler (run by every ``flask jobs worker``) queue ``task(*args)`` after ``delay``, under the
    fixed job id ``key``: scheduling it again replaces the one waiting. Only with the Redis backend."""
    try:
        _queue().enqueue_in(delay, task, *args, job_id=key, job_timeout=current_app.config["JOB_TIMEOUT_SECONDS"])
    except RedisError as error:
        log.warning("The job queue is unavailable (%s): %s is not scheduled", error, task.__name__)
        return False
    return True


def enqueue_at(moment, task, *args) -> bool:
    """Have RQ's scheduler queue ``task(*args)`` at ``moment`` (Redis backend only; False if it is down)."""
    try:
        _queue().enqueue_at(moment, task, *args, job_timeout=current_app.config["JOB_TIMEOUT_SECONDS"])
    except RedisError as error:
        log.warning("The job queue is unavailable (%s): %s is not scheduled", error, task.__name__)
        return False
    return True


def is_waiting(key: str) -> bool | None:
    """Whether a task queued with ``key`` still waits in the queue; None when the queue cannot be reached.
    Without a queue (thread, inline) nothing waits: a task runs as soon as it is handed over."""
    if backend() != "redis":
        return False
    try:
        return any(job_id.startswith(f"{key}_") for job_id in _queue().get_job_ids())
    except RedisError:
        return None


def _run_in_app(app, task, args) -> None:
    with app.app_context():
        task(*args)


def register_sweep(sweep) -> None:
    """``sweep(now)`` puts back the area's lost work (it runs in an app context and commits itself)."""
    if sweep not in _sweeps:
        _sweeps.append(sweep)


def on_worker_start(function) -> None:
    """``function()`` runs in each worker as it starts (in its app context): e.g. scheduling a periodic job."""
    if function not in _on_worker_start:
        _on_worker_start.append(function)


def run_sweeps() -> None:
    for sweep in _sweeps:
        try:
            sweep(utcnow())
        except Exception:  # a failing sweep must not stop the worker, nor the other sweeps
            log.exception("Job sweep %r failed", sweep)


def _sweep_every(app, seconds: float, stopped: threading.Event) -> None:
    while not stopped.wait(seconds):
        with app.app_context():
            run_sweeps()


def work(burst: bool = False) -> None:
    """Serve the Redis queue in this process (inside the app context that the CLI pushed).

    A SimpleWorker runs each task in this process rather than in a fork, so the task shares the
    app, its database pool and its warm caches. The sweeps run first, then beside it on a timer."""
    if backend() != "redis":
        raise RuntimeError("Set REDIS_URL to use a queue worker.")
    run_sweeps()
    for start in _on_worker_start:
        start()
    stopped = threading.Event()
    app = current_app._get_current_object()
    threading.Thread(target=_sweep_every, args=(app, current_app.config["JOB_SWEEP_SECONDS"], stopped),
                     daemon=True).start()
    queue = _queue()
    try:
        SimpleWorker([queue], connection=queue.connection).work(burst=burst, with_scheduler=True)
    finally:
        stopped.set()
