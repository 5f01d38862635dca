"""The load balancer's health check."""
from .helpers import make_app


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
