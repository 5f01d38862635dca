"""Pages cached with the tables they read, per language and address, and per person for a signed-in page
(Flask-Caching: Redis when ``REDIS_URL`` is set, files of ``PAGE_CACHE_DIR`` shared by the machine's workers
otherwise).

**Never stale after a change.** While a page is rendered, every SQL statement it runs is watched, and the page
is stored with the *generation* of each table it read. Each commit that wrote a table moves that table's
generation (the session's flushes and its INSERT/UPDATE/DELETE statements, caught by the SQLAlchemy session
events below). A stored page is served only while every table it read is at the generation it was read at:
nothing has to know which page shows what, and a new query in a template is followed by itself. The
generations live where every app server and worker sees them: in Redis, or in a file of ``PAGE_CACHE_DIR`` for
the embedded default (several gunicorn workers on one machine).

Time alone changes a page too (a phase opens, a countdown moves): an entry lives ``PAGE_CACHE_SECONDS`` at
most, and no longer than the next phase boundary the page shows (``expire_by``).

A page is kept compressed once (gzip at its best level), so that serving it costs neither compression nor a
pass over its text. What differs from one request to the next stays out of the stored copy: the page is split
where the CSRF token of its forms goes, and the token is put in per request (core/gzip_splice.py: nothing is
compressed again); a request with a flash message waiting is rendered afresh;
a signed-in person's page is theirs alone (the key holds the account, its session version and its roles) and
counts the accounts' tables as read (the person was loaded before the page). Persian digits are put in once,
when the page is stored (``g.page_localised`` tells ``i18n.localise_page`` so).
"""
import fcntl
import functools
import json
import logging
import os
import pickle
import re
import secrets
import threading
import time
import zlib
from collections import OrderedDict
from datetime import UTC, datetime
from pathlib import Path

from flask import current_app, g, has_request_context, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.engine import Engine

from ..config import REDIS_TIMEOUTS
from .extensions import Session, cache, db
from .gzip_splice import SplicedPage
from .i18n import current_language
from .text import persian_digits_in_html

log = logging.getLogger(__name__)

_CHANGED = "page_cache_changed_tables"
# Loaded for a signed-in person before the page is: counted as read by every page of theirs.
_ACCOUNT_TABLES = ("users", "role_grants")
# Entries each process keeps as objects, besides the shared cache (_Recent).
RECENT_ENTRIES = 256


def cached_page(view):
    """Serve the view's page from the cache while nothing it read has changed (GET and HEAD)."""
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not _cacheable_request():
            return view(*args, **kwargs)
        key = _key()
        stored = _entry(key)
        page = stored["page"] if stored and _still_current(stored["tables"]) else None
        if page is None:
            # The generations as they were before anything was read: a change committed while the page is made
            # leaves the stored copy out of date, never a stale page marked current.
            before = readable_generations(db.metadata.tables)
            with _reading() as tables:
                response = current_app.make_response(view(*args, **kwargs))
            if response.status_code != 200 or response.mimetype != "text/html" or "_flashes" in session:
                return response
            page = _stored_page(response)
            if current_user.is_authenticated:
                tables.update(_ACCOUNT_TABLES)
            if before is not None:
                _keep_entry(key, {"page": page, "tables": {table: before[table] for table in tables}}, _timeout())
        return _sent_page(page)
    return wrapper


def through_cache(key: str, tables, load):
    """The ORM object ``load()`` gives (or None), kept with the generations of ``tables`` and, while none of them
    changed, merged back into the session from the cache without a query (``PAGE_CACHE_SECONDS`` at most)."""
    stored = _entry(key)
    if stored and _still_current(stored["tables"]):
        return db.session.merge(stored["object"], load=False)
    before = readable_generations(tables)  # before the load, as for a page
    instance = load()
    if instance is not None and before is not None:
        _keep_entry(key, {"object": instance, "tables": before}, current_app.config["PAGE_CACHE_SECONDS"])
    return instance


def expire_by(moment: datetime) -> None:
    """The page being rendered changes by itself at ``moment`` (aware): its cached copy must not outlive it."""
    if not has_request_context():
        return
    if "page_cache_expires" not in g or moment < g.page_cache_expires:
        g.page_cache_expires = moment


def generations(tables) -> dict[str, str]:
    """The current generation of each table (a table never written has "")."""
    return _store().current(sorted(tables))


def bump(tables) -> None:
    """These tables changed: every cached page that read one of them is out of date."""
    _store().bump(sorted(tables))


def init_app(app) -> None:
    """Bind Flask-Caching to Redis or to files of the machine, and the generations to where every server sees
    them."""
    redis_url = app.config.get("REDIS_URL")
    # One name per database, so that two installations (or test runs) sharing a Redis or a folder never mix.
    database = f"{zlib.crc32(app.config['SQLALCHEMY_DATABASE_URI'].encode()):08x}"
    config = {"CACHE_DEFAULT_TIMEOUT": app.config["PAGE_CACHE_SECONDS"], "CACHE_KEY_PREFIX": f"eventapp:{database}:"}
    folder = Path(app.config["PAGE_CACHE_DIR"]) / database
    if not app.config["PAGE_CACHE_SECONDS"]:
        config.update(CACHE_TYPE="NullCache", CACHE_NO_NULL_WARNING=True)
    elif redis_url:
        config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_url, CACHE_OPTIONS=dict(REDIS_TIMEOUTS))
    else:
        # Files every worker of the machine reads: a worker restarted after max_requests finds the pages warm.
        config.update(CACHE_TYPE="FileSystemCache", CACHE_DIR=str(folder / "pages"),
                      CACHE_THRESHOLD=app.config["PAGE_CACHE_ENTRIES"])
    cache.init_app(app, config=config)
    # Keys of this start (the workers forked from the app share it): in files that outlive the process, what was
    # stored before a restart, when the database may have been replaced, is never taken. Redis keeps its keys
    # across restarts and servers: the generations there are moved by every server.
    app.extensions["page_cache_start"] = "" if redis_url else f"{secrets.token_hex(6)}:"
    app.extensions["page_cache_recent"] = _Recent(RECENT_ENTRIES)
    if redis_url:
        store = _RedisGenerations(Redis.from_url(redis_url, **REDIS_TIMEOUTS), config["CACHE_KEY_PREFIX"] + "tables")
    else:
        folder.mkdir(parents=True, exist_ok=True)
        store = _FileGenerations(folder / "generations.json")
    app.extensions["page_cache_generations"] = store
    with app.app_context():
        _watch_reads(db.engine)


class _RedisGenerations:
    """A hash of table → generation: one round trip to read those of a page, one to move those of a commit."""

    def __init__(self, client: Redis, key: str):
        self.client, self.key = client, key

    def current(self, tables: list[str]) -> dict[str, str]:
        values = self.client.hmget(self.key, tables) if tables else []
        return {table: (value or b"").decode() for table, value in zip(tables, values)}

    def bump(self, tables: list[str]) -> None:
        with self.client.pipeline(transaction=False) as pipe:
            for table in tables:
                pipe.hincrby(self.key, table, 1)
            pipe.execute()


class _FileGenerations:
    """Table → generation as a JSON file, read by every worker of the machine. Writers
    take a lock; the new content is written aside and moved in place, so a reader never sees half of it."""

    def __init__(self, path: Path):
        self.path = path
        self._held: tuple | None = None  # (the file last read, its inode and device, its content)
        self._lock = threading.Lock()

    def current(self, tables: list[str]) -> dict[str, str]:
        known = self._read()
        return {table: known.get(table, "") for table in tables}

    def bump(self, tables: list[str]) -> None:
        unique = f"{time.time_ns()}-{os.getpid()}"
        with open(self.path.with_suffix(".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            known = dict(self._read())
            known.update(dict.fromkeys(tables, unique))
            temporary = self.path.with_name(f"{self.path.name}.{unique}")
            temporary.write_text(json.dumps(known))
            os.replace(temporary, self.path)

    def _read(self) -> dict[str, str]:
        """The file's content, parsed again only when the file was replaced. The file last read is held open, so
        that its inode cannot be given to a new file: the same inode at the path is the same content."""
        try:
            status = os.stat(self.path)
        except FileNotFoundError:
            return {}
        held = self._held
        if held is not None and (status.st_ino, status.st_dev) == held[1]:
            return held[2]
        with self._lock:
            try:
                file = open(self.path, "rb")
            except FileNotFoundError:
                return {}
            opened = os.fstat(file.fileno())
            self._held = (file, (opened.st_ino, opened.st_dev), json.loads(file.read() or b"{}"))
            if held is not None:
                held[0].close()
            return self._held[2]


def _store():
    return current_app.extensions["page_cache_generations"]


def _cacheable_request() -> bool:
    return (request.method in ("GET", "HEAD") and current_app.config["PAGE_CACHE_SECONDS"] > 0
            and "_flashes" not in session)


def _key() -> str:
    person = "-"
    if current_user.is_authenticated:
        roles = ",".join(sorted(str(role) for role in current_user.roles))
        person = f"{current_user.id}.{current_user.session_version}.{roles}"
    return f"page:{person}:{current_language()}:{request.full_path}"


def _stored_page(response) -> SplicedPage:
    """The page as it is kept: Persian digits in, compressed once, split where its forms' CSRF token goes."""
    page = response.get_data(as_text=True)
    if current_language() == "fa":
        page = persian_digits_in_html(page)
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    pieces = page.split(token) if token else [page]
    return SplicedPage.compress([piece.encode() for piece in pieces], len(token.encode()) if token else 0)


def _sent_page(page: SplicedPage):
    """The stored page with this request's CSRF token put in: as gzip when the client takes it (the page is
    not compressed again), as it is otherwise."""
    g.page_localised = True
    token = generate_csrf().encode() if page.places else b""
    if request.accept_encodings["gzip"]:
        response = current_app.response_class(page.gzip(token), mimetype="text/html")
        response.headers["Content-Encoding"] = "gzip"
        return response
    return current_app.response_class(page.plain(token), mimetype="text/html")


def _still_current(read: dict[str, str]) -> bool:
    now = readable_generations(read)
    return now is not None and now == read


def readable_generations(tables) -> dict[str, str] | None:
    """``generations(tables)``, or None when they cannot be read (nothing may then be taken from the cache)."""
    try:
        return generations(tables)
    except (RedisError, OSError, ValueError):
        log.warning("The page cache's generations could not be read: the page is rendered afresh.")
        return None


def _timeout() -> int:
    seconds = current_app.config["PAGE_CACHE_SECONDS"]
    expires = g.get("page_cache_expires")
    if expires is not None:
        seconds = min(seconds, int((expires - datetime.now(UTC)).total_seconds()))
    return max(seconds, 1)


def cached(key: str):
    """What the cache holds under ``key``, or None: nothing cached, or a cache server that does not answer."""
    return _answer(cache.get, _start_key(key))


def keep(key: str, value, timeout: int) -> None:
    """Store ``value`` under ``key`` for ``timeout`` seconds, if the cache answers."""
    _answer(cache.set, _start_key(key), value, timeout=timeout)


def clear() -> None:
    """Forget every stored page and object: the shared cache and this process's recent entries."""
    _answer(cache.clear)
    current_app.extensions["page_cache_recent"].clear()


def _entry(key: str) -> dict | None:
    """A page's or an object's entry: from those this process read or stored last, else from the cache."""
    recent = current_app.extensions["page_cache_recent"]
    entry = recent.get(key)
    if entry is None:
        entry = cached(key)
        if entry is not None:
            recent.put(key, entry)
    return entry


def _keep_entry(key: str, entry: dict, timeout: int) -> None:
    entry["expires"] = time.time() + timeout
    keep(key, entry, timeout)
    current_app.extensions["page_cache_recent"].put(key, pickle.loads(pickle.dumps(entry)))  # a copy of its own


class _Recent:
    """The entries this process read or stored last, as objects: a hit costs neither a read of the cache nor
    unpickling. Each is still checked against the generations like one from the cache, and dropped at its expiry."""

    def __init__(self, size: int):
        self.size, self.entries, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key: str) -> dict | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None:
                return None
            if entry.get("expires", 0) <= time.time():
                del self.entries[key]
                return None
            self.entries.move_to_end(key)
            return entry

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()

    def put(self, key: str, entry: dict) -> None:
        with self.lock:
            self.entries[key] = entry
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)


def _start_key(key: str) -> str:
    return current_app.extensions["page_cache_start"] + key


def _answer(function, *args, **kwargs):
    """The cache's answer, or None (nothing cached) when its server does not answer: never a failed page."""
    try:
        return function(*args, **kwargs)
    except (RedisError, OSError):
        log.warning("The page cache does not answer: the page is rendered afresh.")
        return None


# --- what a page read -----------------------------------------------------------------------------------------

class _reading:
    """Collects the tables named by the SQL statements run inside (``with _reading() as tables``)."""

    def __enter__(self) -> set[str]:
        self.outer = g.get("page_cache_reads")
        g.page_cache_reads = set()
        return g.page_cache_reads

    def __exit__(self, *exc) -> None:
        tables = g.page_cache_reads
        g.page_cache_reads = self.outer
        if self.outer is not None:
            self.outer.update(tables)


def _watch_reads(engine: Engine) -> None:
    if event.contains(engine, "before_cursor_execute", _note_read):
        return
    event.listen(engine, "before_cursor_execute", _note_read)


@functools.cache
def _table_names(names: tuple[str, ...]) -> re.Pattern:
    return re.compile(r"\b(" + "|".join(sorted(map(re.escape, names), key=len, reverse=True)) + r")\b")


def _note_read(conn, cursor, statement, parameters, context, executemany) -> None:
    if not has_request_context():
        return
    reads = g.get("page_cache_reads")
    if reads is not None:
        # Every table named in the statement: a column that shares a table's name only counts one table more.
        reads.update(_table_names(tuple(db.metadata.tables)).findall(statement))


# --- what a commit changed ------------------------------------------------------------------------------------

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
        session_tables = execute_state.session.info.setdefault(_CHANGED, set())
        session_tables.add(getattr(table, "name", None) or "*")


@event.listens_for(Session, "after_commit")
def _bump_after_commit(session) -> None:
    changed = session.info.pop(_CHANGED, None)
    if not changed:
        return
    if "*" in changed:  # a statement on something that is not one table: everything may have changed
        changed = set(db.metadata.tables)
    try:
        bump(changed)
    except (RedisError, OSError, RuntimeError):  # RuntimeError: outside an app (a script's own session)
        log.exception("The page cache could not be told of a change: cached pages expire by themselves.")


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session) -> None:
    session.info.pop(_CHANGED, None)
