"""Fixtures: one app and schema per test session; after each test every table but the places is emptied,
or what it wrote rolled back (the tests marked ``rolled_back``).

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
"""
import os
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import event

from eventapp.core.extensions import db, limiter
from eventapp.events.places import sync_places

from . import factories
from .helpers import client_of, make_app, process_settings, signed_in
from .servers import redis_url, silent_smtp_server, sms_server, smtp_server  # noqa: F401 (fixtures)

# The machine the suite runs on is shared: a draw or an example that waited for the processor is not slow code.
settings.register_profile("shared-machine", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("shared-machine")

# The processes the tests start (queue workers, commands) sign with the same test keys as the test app, and tell
# the same page cache of their changes.
os.environ.update(process_settings())

REFERENCE_TABLES = {"provinces", "counties"}
# What serves requests (the test client, the live server): a test that uses it is not rolled back.
NOT_ROLLED_BACK_WITH = {"client", "login", "client_for", "live_server"}


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url):
    app = make_app(database_url)
    with app.app_context():
        db.drop_all()
        db.create_all()
        sync_places()
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def pytest_configure(config):
    config.addinivalue_line("markers", "rolled_back(on=True): the test's writes are rolled back after it instead of "
                                       "every table emptied (see rolled_back_transaction); rolled_back(False) opts out")


@pytest.fixture(autouse=True)
def _leave_the_database_as_found(request):
    """Each test leaves the database as it found it (but the places): what it wrote is rolled back if it is
    marked ``rolled_back``, else every table is emptied after it."""
    if "app" not in request.fixturenames:
        yield
        return
    app = request.getfixturevalue("app")
    marker = request.node.get_closest_marker("rolled_back")
    if marker is not None and marker.args != (False,):
        if NOT_ROLLED_BACK_WITH & set(request.fixturenames):
            pytest.fail(f"a test marked rolled_back cannot use {sorted(NOT_ROLLED_BACK_WITH & set(request.fixturenames))}")
        with rolled_back_transaction(app):
            yield
    else:
        yield
        with app.app_context():
            db.session.rollback()
            for table in reversed(db.metadata.sorted_tables):
                if table.name not in REFERENCE_TABLES:
                    db.session.execute(table.delete())
            db.session.commit()
    limiter.reset()


@contextmanager
def rolled_back_transaction(app):
    """Everything written inside, commits included, is rolled back at the end: faster than emptying every
    table. A module asks for it with ``pytestmark = pytest.mark.rolled_back``, a test with the decorator.

    SQLAlchemy's "joining a session into an external transaction": every session of the app (one per app
    context) is bound to one connection inside an outer transaction and turns its commits into savepoints
    (``join_transaction_mode="create_savepoint"``); what a commit runs after it (signals) still runs.

    Only for tests that stay in this thread with the app's own sessions: not with the test client, a live
    server, other threads or processes, or sessions of their own. Nor where a session rolls back after
    another app context committed while it was in a transaction: that commit was a savepoint inside the
    first session's, so it is rolled back too (such a test is marked ``rolled_back(False)``).
    """
    with app.app_context():
        engines = db.engines
        engine = engines[None]
        connection = engine.connect()
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _emit_begin_ourselves(connection)
        outer = connection.begin()
        engines[None] = connection
        sessions = db.session.session_factory
        sessions.configure(join_transaction_mode="create_savepoint")
    try:
        yield
    finally:
        sessions.configure(join_transaction_mode="conditional_savepoint")  # SQLAlchemy's default
        engines[None] = engine
        outer.rollback()
        if sqlite:
            connection.invalidate()  # the driver connection changed by _emit_begin_ourselves goes, not to the pool
        connection.close()


def _emit_begin_ourselves(connection) -> None:
    """pysqlite (before Python 3.12's ``autocommit``) begins no transaction before a SAVEPOINT, so a released
    savepoint would stay: SQLAlchemy's recipe for the SQLite driver ("Enabling Non-Legacy SQLite Transactional
    Modes") turns the driver's own BEGIN off and emits BEGIN when the connection begins."""
    connection.connection.driver_connection.isolation_level = None
    event.listen(connection, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))


@pytest.fixture
def ctx(app):
    """An app context for tests that call services directly (not for test-client requests)."""
    with app.app_context():
        yield
        db.session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make(app):
    """Create and commit rows through the factories, outside any request: make.user(...)."""
    return factories.Maker(app)


@pytest.fixture
def outbox(app):
    """The messages the app sends (to the log or through SMTP) during the test."""
    from eventapp.core.mail import message_sent

    messages = []

    def collect(sender, message):
        messages.append(message)

    message_sent.connect(collect, app)
    yield messages
    message_sent.disconnect(collect, app)


@pytest.fixture
def member(make):
    return make.user(name="مریم حسینی", email="member@example.com")


@pytest.fixture
def organiser(make):
    return make.user(name="Zahra Organiser", email="organiser@example.com", roles=["organiser"])


@pytest.fixture
def admin(make):
    return make.user(name="Admin", email="admin@example.com", roles=["admin"])


@pytest.fixture
def judge(make):
    return make.user(name="Judge", email="judge@example.com", roles=["judge"])


@pytest.fixture
def login(client):
    """``login(user)``: the test's client, signed in as ``user``."""
    return lambda user: signed_in(client, user)


@pytest.fixture
def count_queries(app):
    """``with count_queries() as queries: ...`` then ``len(queries)``: the SQL statements run."""
    from contextlib import contextmanager

    from sqlalchemy import event

    @contextmanager
    def counting():
        statements = []

        def record(conn, cursor, statement, parameters, context, executemany):
            statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)

    return counting


@pytest.fixture
def upload_dir(app, tmp_path, monkeypatch):
    """Attachments saved during the test go to a temporary UPLOAD_DIR, never under instance/."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(folder))
    return folder


@pytest.fixture
def client_for(app):
    """``client_for(user)``: a new test client signed in as ``user``, for tests where several people act at once."""
    return lambda user: client_of(app, user)
