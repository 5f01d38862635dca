"""The load balancer's health check, and the app while Redis does not answer."""
import os
import socket

import pytest

from eventapp.core.extensions import limiter

from .helpers import make_app


def _closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_down(app, database_url):
    """An app whose REDIS_URL points at a closed port. The rate limiter is one object shared by every app of the
    test session: afterwards it is bound to the session's app again, its storage alive."""
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    try:
        yield make_app(database_url, REDIS_URL=url, RATELIMIT_STORAGE_URI=url)
    finally:
        limiter.init_app(app)
        limiter._storage_dead = False  # Flask-Limiter has no public way to say so


def test_health_is_ok_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_health_is_503_when_the_database_does_not_answer(tmp_path):
    app = make_app(f"sqlite:///{tmp_path}/missing-folder/nothing.db")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "unreachable"}


def test_health_sets_no_session_cookie(client):
    assert "Set-Cookie" not in client.get("/healthz").headers


def test_health_reports_redis_when_one_is_configured(database_url):
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    response = make_app(database_url, REDIS_URL=url).test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_health_says_degraded_when_redis_does_not_answer(redis_down, caplog):
    response = redis_down.test_client().get("/healthz")
    assert response.status_code == 200  # the server still serves; every server shares the one Redis
    assert response.get_json() == {"status": "degraded", "database": "ok", "redis": "unreachable"}
    assert "Redis does not answer" in caplog.text


def test_without_redis_pages_and_the_api_answer_and_limits_hold_per_process(redis_down, make, caplog):
    event = make.event(slug="open-event")
    client = redis_down.test_client()
    client.set_cookie("lang", "en")
    assert client.get("/verify").status_code == 200
    assert client.get("/verify/NO-SUCH-CODE").status_code == 404
    assert client.get("/api/v1/events").status_code == 401  # asks for a token, as with Redis
    assert client.get(f"/events/{event.slug}").status_code == 200
    assert "Rate limit storage unreachable - falling back to in-memory storage" in caplog.text
    redis_down.config["PASSWORD_RESET_RATE_LIMIT"] = "2 per hour"
    statuses = [client.post("/password/forgot", data={"email": "someone@example.com"}).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
