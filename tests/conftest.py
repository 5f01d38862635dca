"""Fixtures: one app and schema per test session, every table but the places emptied after each test.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
"""
import os

import pytest

from eventapp.core.extensions import db, limiter
from eventapp.events.places import sync_places

from . import factories
from .helpers import client_of, make_app, signed_in

REFERENCE_TABLES = {"provinces", "counties"}


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


@pytest.fixture(autouse=True)
def _clean_database(request):
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    with app.app_context():
        db.session.rollback()
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in REFERENCE_TABLES:
                db.session.execute(table.delete())
        db.session.commit()
    limiter.reset()


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
