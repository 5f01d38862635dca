"""Fixtures: one app and schema per test session, every table but the places emptied after each test.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL is set.
"""
import os
import re

import pytest

from eventapp import create_app
from eventapp.core.extensions import db, limiter
from eventapp.events.places import sync_places

from . import factories

REFERENCE_TABLES = {"provinces", "counties"}
TEST_PASSWORD = factories.TEST_PASSWORD


def test_database_url(tmp_path_factory) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def make_app(database_url: str, **overrides):
    return create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "localhost",
        "JOBS_BACKEND": "inline",
        **overrides,
    })


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    return test_database_url(tmp_path_factory)


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


def sign_in(client, user_or_email, password=TEST_PASSWORD):
    email = getattr(user_or_email, "email", user_or_email)
    return client.post("/signin", data={"email": email, "password": password})


@pytest.fixture
def login(client):
    def _login(user):
        response = sign_in(client, user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return _login


def page_text(response) -> str:
    """The visible text of a page, without tags, for assertions on what a user reads."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


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
    """A new test client signed in as ``user``: for tests where several people act at once."""
    def _client_for(user):
        client = app.test_client()
        response = sign_in(client, user)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return _client_for
