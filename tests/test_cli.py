"""flask commands: create-user, places sync and the demo."""
from sqlalchemy import func, select

from eventapp.auth.models import User
from eventapp.events.models import County, Event
from eventapp.extensions import db


def count(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_create_user_asks_for_the_password_when_not_given(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "--email", "Boss@Example.com", "--name", "Boss", "--role", "admin"],
                           input="a secret password\na secret password\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "boss@example.com"))
        assert user.is_admin and user.is_organiser


def test_create_user_refuses_a_taken_email_and_a_bad_mobile(app, member):
    runner = app.test_cli_runner()
    taken = runner.invoke(args=["create-user", "--email", member.email, "--name", "X", "--password", "long enough"])
    assert taken.exit_code != 0 and "ایمیل" in taken.output  # services speak the default language, Persian
    bad = runner.invoke(args=["create-user", "--email", "new@example.com", "--name", "X", "--password", "long enough",
                              "--mobile", "12345"])
    assert bad.exit_code != 0 and "mobile" in bad.output
    assert count(app, User) == 1


def test_demo_accounts_can_sign_in(app, client):
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    for email in ("admin@demo.example.org", "organiser@demo.example.org", "judge@demo.example.org",
                  "leader@demo.example.org"):
        response = client.post("/signin", data={"email": email, "password": "demo-password"})
        assert response.status_code == 302, email
        client.post("/signout")


def test_create_user_refuses_an_email_the_sign_in_form_would_refuse(app):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--email", "someone@server.local", "--name", "X", "--password", "long enough"])
    assert result.exit_code != 0
    assert count(app, User) == 0


def test_demo_loads_once_however_often_it_runs(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "organiser@demo.example.org" in first.output and "leader@demo.example.org" in first.output
    users, events = count(app, User), count(app, Event)
    assert users >= 4 and events >= 2
    assert runner.invoke(args=["demo"]).exit_code == 0
    assert (count(app, User), count(app, Event)) == (users, events)


def test_places_sync_is_idempotent(app):
    before = count(app, County)
    result = app.test_cli_runner().invoke(args=["places", "sync"])
    assert result.exit_code == 0 and "counties added: 0" in result.output
    assert count(app, County) == before == 448
