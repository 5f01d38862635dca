"""Public pages cached per language and address for visitors who are not signed in (Flask-Caching: Redis when
``REDIS_URL`` is set, in the process otherwise).

A cached page is never stale after a change: every key carries the **generation**, which moves when a
transaction that wrote a row a public page may show commits (the session's own writes and its statements,
caught by the SQLAlchemy session events below; the tables of ``PRIVATE_TABLES`` never show on a public page
and move nothing). The generation lives where every app server and worker sees it: in Redis, or in a file of
the instance folder for the embedded default (several gunicorn workers on one machine). Time alone changes a
page too (a phase opens, a countdown moves): an entry lives ``PAGE_CACHE_SECONDS`` at most, and no longer than
the next phase boundary the page shows (``expire_by``).

What differs from one visitor to the next stays out of the stored copy: the CSRF token of the page's forms is
stored as a placeholder and put back per request; a visitor with a flash message waiting, or signed in, gets a
freshly rendered page. Persian digits are put in once, when the page is stored (``g.page_localised`` tells
``i18n.localise_page`` so).
"""
import functools
import logging
import os
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app, g, has_request_context, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import event

from ..config import REDIS_TIMEOUTS
from .extensions import Session, cache
from .i18n import current_language
from .text import persian_digits_in_html

log = logging.getLogger(__name__)

# Written often and shown on no public page: their writes leave cached pages as they are.
PRIVATE_TABLES = frozenset({
    "sign_in_failures", "one_time_codes", "password_reset_tokens", "audit_entries", "api_tokens",
    "notifications", "deliveries", "delivery_attempts", "notification_preferences", "certificate_jobs",
    "scores", "assignments", "conflicts", "judge_profiles", "map_revisions", "invitations",
})
_CSRF_PLACEHOLDER = "\x00csrf-token\x00"
_CHANGED = "page_cache_changed_tables"


def cached_page(view):
    """Serve the view's page from the cache to visitors who are not signed in (GET and HEAD)."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not _cacheable_request():
            return view(*args, **kwargs)
        key = _key()
        if key is None:
            return view(*args, **kwargs)
        stored = _cache_call(cache.get, key)
        if stored is None:
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code != 200 or response.mimetype != "text/html" or "_flashes" in session:
                return response
            page = response.get_data(as_text=True)
            if current_language() == "fa":
                page = persian_digits_in_html(page)
            token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
            stored = page.replace(token, _CSRF_PLACEHOLDER) if token else page
            _cache_call(cache.set, key, stored, timeout=_timeout())
        g.page_localised = True
        if _CSRF_PLACEHOLDER in stored:
            stored = stored.replace(_CSRF_PLACEHOLDER, generate_csrf())
        return current_app.response_class(stored, mimetype="text/html")
    return wrapper


def expire_by(moment: datetime) -> None:
    """The page being rendered changes by itself at ``moment`` (aware): its cached copy must not outlive it."""
    if not has_request_context():
        return
    if "page_cache_expires" not in g or moment < g.page_cache_expires:
        g.page_cache_expires = moment


def generation() -> str:
    return _store().current()


def bump() -> None:
    """Every cached public page is out of date (called after a commit that changed what they show)."""
    _store().bump()


def init_app(app) -> None:
    """Bind Flask-Caching to Redis or to the process, and the generation to where every server sees it."""
    redis_url = app.config.get("REDIS_URL")
    # One name per database, so that two installations (or test runs) sharing a Redis or a folder never mix.
    database = f"{zlib.crc32(app.config['SQLALCHEMY_DATABASE_URI'].encode()):08x}"
    config = {"CACHE_DEFAULT_TIMEOUT": app.config["PAGE_CACHE_SECONDS"], "CACHE_KEY_PREFIX": f"eventapp:{database}:"}
    if not app.config["PAGE_CACHE_SECONDS"]:
        config["CACHE_TYPE"] = "NullCache"
    elif redis_url:
        config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_url, CACHE_OPTIONS=dict(REDIS_TIMEOUTS))
    else:
        config.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=app.config["PAGE_CACHE_ENTRIES"])
    cache.init_app(app, config=config)
    if redis_url:
        store = _RedisGeneration(Redis.from_url(redis_url, **REDIS_TIMEOUTS),
                                 config["CACHE_KEY_PREFIX"] + "generation")
    else:
        store = _FileGeneration(Path(app.instance_path) / f"page-cache-{database}.generation")
    app.extensions["page_cache_generation"] = store


class _RedisGeneration:
    def __init__(self, client: Redis, key: str):
        self.client, self.key = client, key

    def current(self) -> str:
        return (self.client.get(self.key) or b"0").decode()

    def bump(self) -> None:
        self.client.incr(self.key)


class _FileGeneration:
    """The generation as the content of a file of the instance folder, read by every worker of the machine."""

    def __init__(self, path: Path):
        self.path = path

    def current(self) -> str:
        try:
            return self.path.read_text()
        except FileNotFoundError:
            return ""

    def bump(self) -> None:
        # Written aside, then moved in place: a reader sees the old generation or the new one, never half of one.
        unique = f"{time.time_ns()}-{os.getpid()}-{time.monotonic_ns()}"
        temporary = self.path.with_name(f"{self.path.name}.{unique}")
        temporary.write_text(unique)
        os.replace(temporary, self.path)


def _store():
    return current_app.extensions["page_cache_generation"]


def _cacheable_request() -> bool:
    return (request.method in ("GET", "HEAD") and current_app.config["PAGE_CACHE_SECONDS"] > 0
            and "_flashes" not in session and not current_user.is_authenticated)


def _key() -> str | None:
    try:
        current = generation()
    except (RedisError, OSError):
        log.warning("The page cache's generation could not be read: the page is rendered afresh.")
        return None
    return f"page:{current}:{current_language()}:{request.full_path}"


def _timeout() -> int:
    seconds = current_app.config["PAGE_CACHE_SECONDS"]
    expires = g.get("page_cache_expires")
    if expires is not None:
        seconds = min(seconds, int((expires - datetime.now(UTC)).total_seconds()))
    return max(seconds, 1)


def _cache_call(function, *args, **kwargs):
    """The cache's answer, or None (nothing cached) when its server does not answer: never a failed page."""
    try:
        return function(*args, **kwargs)
    except (RedisError, OSError):
        log.warning("The page cache does not answer: the page is rendered afresh.")
        return None


# --- what a commit changed ----------------------------------------------------------------------------------

@event.listens_for(Session, "after_flush")
def _note_flushed(session, flush_context) -> None:
    tables = session.info.setdefault(_CHANGED, set())
    for instance in (*session.new, *session.dirty, *session.deleted):
        table = getattr(instance, "__table__", None)
        if table is not None:
            tables.add(table.name)


@event.listens_for(Session, "do_orm_execute")
def _note_statement(execute_state) -> None:
    if execute_state.is_insert or execute_state.is_update or execute_state.is_delete:
        table = getattr(execute_state.statement, "table", None)
        name = getattr(table, "name", None)
        execute_state.session.info.setdefault(_CHANGED, set()).add(name or "")


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session) -> None:
    changed = session.info.pop(_CHANGED, None)
    if changed and changed - PRIVATE_TABLES:
        try:
            bump()
        except (RedisError, OSError, RuntimeError):  # RuntimeError: outside an app (a script's own session)
            log.exception("The page cache could not be told of a change: cached pages expire by themselves.")


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session) -> None:
    session.info.pop(_CHANGED, None)
