"""CSRF, headers, cookies, configuration and the friendly error pages."""
import os

import pytest

from eventapp import create_app
from eventapp.config import ConfigurationError

from .helpers import make_app, page_text, sign_in


@pytest.fixture
def csrf_client(database_url):
    """A client of an app with CSRF protection on, as in production."""
    return make_app(database_url, WTF_CSRF_ENABLED=True).test_client()


def test_a_form_without_a_csrf_token_is_rejected(csrf_client, member):
    csrf_client.set_cookie("lang", "en")
    response = sign_in(csrf_client, member)
    assert response.status_code == 400
    assert "The form expired or did not come from this site." in page_text(response)
    assert member.name not in page_text(csrf_client.get("/"))


def test_a_form_with_the_csrf_token_of_the_page_is_accepted(csrf_client, member):
    html = csrf_client.get("/signin").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    response = csrf_client.post("/signin", data={"email": member.email, "password": "correct horse battery",
                                                 "csrf_token": token})
    assert response.status_code == 302


def test_sign_out_and_language_switch_need_the_token_too(csrf_client):
    assert csrf_client.post("/signout").status_code == 400
    assert csrf_client.post("/language", data={"language": "en"}).status_code == 400


def test_security_headers_are_on_every_page(client):
    for path in ("/", "/signin", "/no-such-page"):
        headers = client.get(path).headers
        policy = headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
        assert "frame-ancestors 'none'" in policy
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_production_sends_strict_transport_security_on_every_response(database_url, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "a real secret from the environment")
    client = make_app(database_url).test_client()
    for path in ("/signin", "/healthz", "/no-such-page"):
        assert client.get(path).headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_strict_transport_security_follows_its_settings(database_url, client):
    assert "Strict-Transport-Security" not in client.get("/signin").headers  # development and tests: plain HTTP
    own = make_app(database_url, HSTS_MAX_AGE=600, HSTS_INCLUDE_SUBDOMAINS=False).test_client()
    assert own.get("/signin").headers["Strict-Transport-Security"] == "max-age=600"


def test_session_cookies_are_httponly_and_samesite(client, member):
    response = sign_in(client, member)
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_the_default_secret_key(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "a real secret from the environment")
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_postgres_urls_use_psycopg_3(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://user@db.internal/events")
    assert create_app().config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://user@db.internal/events"


@pytest.mark.parametrize("language, text", [("en", "We could not find this page."), ("fa", "این صفحه پیدا نشد.")])
def test_the_404_page_is_friendly_and_in_the_users_language(client, language, text):
    client.set_cookie("lang", language)
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert text in page_text(response)
    assert f'lang="{language}"' in response.get_data(as_text=True)


def test_the_403_page_is_friendly(client, login, member):
    login(member)
    client.set_cookie("lang", "en")
    response = client.get("/organiser/events")
    assert response.status_code == 403
    assert "Only organisers can manage events." in page_text(response)


def test_the_500_page_is_friendly_and_the_error_is_logged(app, client, caplog, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("eventapp.events.services.events_page", broken)
    client.set_cookie("lang", "en")
    response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong on our side." in page_text(response)
    assert "boom" in caplog.text


def test_rate_limits_live_in_redis_when_redis_is_configured(database_url):
    """Several app servers behind a load balancer share the limits through Redis, not memory."""
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    connection = redis.Redis.from_url(url)
    connection.flushdb()
    app = make_app(database_url, REDIS_URL=url, RATELIMIT_STORAGE_URI=url, PASSWORD_RESET_RATE_LIMIT="5 per hour")
    client = app.test_client()
    for _ in range(5):
        assert client.post("/password/forgot", data={"email": "someone@example.com"}).status_code == 302
    assert client.post("/password/forgot", data={"email": "someone@example.com"}).status_code == 429
    assert any(b"password" in key for key in connection.keys("*")), "the counter is not in Redis"
    connection.flushdb()
