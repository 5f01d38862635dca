"""Background work: on a Redis queue served by worker processes when one is configured, in-process otherwise.

The same task function runs either way, inside an app context:

- ``redis``: RQ's queue; ``flask jobs worker`` serves it (as many worker processes as you start);
- ``thread``: a daemon thread of the web process (the embedded default: nothing more to run);
- ``inline``: at once, in the caller (tests and the command line).

A task must be a module-level function taking plain arguments (ids), and must be safe to run twice.
"""
import threading

from flask import current_app
from redis import Redis
from rq import Queue, SimpleWorker

QUEUE_NAME = "eventapp"


def backend() -> str:
    return current_app.config["JOBS_BACKEND"]


def _queue() -> Queue:
    return Queue(QUEUE_NAME, connection=Redis.from_url(current_app.config["REDIS_URL"]))


def enqueue(task, *args) -> None:
    """Run ``task(*args)`` in the background (see the module's description for where)."""
    mode = backend()
    if mode == "redis":
        _queue().enqueue(task, *args, job_timeout=current_app.config["JOB_TIMEOUT_SECONDS"])
    elif mode == "thread":
        app = current_app._get_current_object()
        threading.Thread(target=_run_in_app, args=(app, task, args), daemon=True).start()
    else:
        task(*args)


def _run_in_app(app, task, args) -> None:
    with app.app_context():
        task(*args)


def work(burst: bool = False) -> None:
    """Serve the Redis queue in this process (inside the app context that the CLI pushed).

    A SimpleWorker runs each task in this process rather than in a fork, so the task shares the
    app, its database pool and its warm caches."""
    if backend() != "redis":
        raise RuntimeError("Set REDIS_URL to use a queue worker.")
    queue = _queue()
    SimpleWorker([queue], connection=queue.connection).work(burst=burst)
