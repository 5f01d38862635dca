"""flask commands: create-user, places sync and the demo."""
import re

from sqlalchemy import func, select

from eventapp.audit.models import AuditEntry
from eventapp.auth.models import User
from eventapp.database import utcnow
from eventapp.events.models import County, Event
from eventapp.extensions import db
from eventapp.teams.models import (MAP_SECTIONS, Indicator, Invitation, MapAction, MapRevision, ProgressMap, Team,
                                   TeamMember, TeamStatusChange)
from eventapp.teams.richtext import clean_html, plain_text
from eventapp.text import valid_national_id
from eventapp.training.models import TrainingSession, TrainingSignup

DEMO_TABLES = (User, Event, Team, TeamMember, TeamStatusChange, Invitation, ProgressMap, Indicator, MapAction,
               MapRevision, TrainingSession, TrainingSignup, AuditEntry)


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


def test_demo_is_a_living_event_and_a_second_run_adds_nothing(app, client):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    counts = {model.__name__: count(app, model) for model in DEMO_TABLES}
    with app.app_context():
        now = utcnow()
        national = db.session.scalar(select(Event).where(Event.slug == "dawn-of-progress-1405"))
        assert national.phase_open("submission", now) and not national.phase_open("registration", now)
        yazd = db.session.scalar(select(Event).where(Event.slug == "dawn-of-progress-yazd-1405"))
        assert yazd.scope == "provincial" and yazd.phase_open("registration", now)

        teams = db.session.scalars(select(Team).where(Team.event_id == national.id)).all()
        statuses = [team.status for team in teams]
        assert len(teams) >= 34 and len({team.province_id for team in teams}) >= 10
        assert {team.organisation_type for team in teams} == {"jihadi", "student", "ngo", "other"}
        assert (statuses.count("pending"), statuses.count("rejected"), statuses.count("withdrawn")) == (3, 2, 1)
        assert all(team.status_reason for team in teams if team.status == "rejected")
        assert all(3 <= len(team.members) <= 7 for team in teams)
        without_account = [member for team in teams for member in team.members if member.user_id is None]
        assert without_account and all(re.fullmatch(r"09\d{9}", member.mobile) for member in without_account)
        assert all(valid_national_id(member.national_id) for member in without_account if member.national_id)

        maps = db.session.scalars(select(ProgressMap).join(Team).where(Team.event_id == national.id)).all()
        submitted = [progress_map for progress_map in maps if progress_map.status == "submitted"]
        assert len(submitted) >= 24 and len(maps) - len(submitted) >= 3
        assert all(progress_map.team.status == "approved" for progress_map in maps)
        assert len({progress_map.title for progress_map in maps}) == len(maps)
        for progress_map in submitted:
            assert progress_map.province_id and progress_map.county_id and progress_map.district
            assert 2 <= len(progress_map.indicators) <= 4 and 2 <= len(progress_map.actions) <= 4
            national_submission = national.phase("submission")
            assert national_submission.starts_at <= progress_map.submitted_at <= now
            for section in MAP_SECTIONS:
                value = getattr(progress_map, section)
                assert value.startswith("<") and clean_html(value) == value, (progress_map.title, section)
                words = plain_text(value)
                assert words and re.search("[\u0600-\u06ff]", words)
                assert not re.search("[\u064a\u0643]", words + progress_map.title)  # Persian ی and ک only

        leader = db.session.scalar(select(User).where(User.email == "leader@demo.example.org"))
        [own] = [team for team in teams if team.member_for(leader)]
        assert own.is_led_by(leader) and own.status == "approved"
        assert [m.status for m in maps if m.team_id == own.id] == ["draft"]
        judge = db.session.scalar(select(User).where(User.email == "judge@demo.example.org"))
        assert db.session.scalar(select(func.count()).select_from(TeamMember)
                                 .where(TeamMember.user_id == judge.id)) == 0
        own_id = own.id

    client.post("/signin", data={"email": "leader@demo.example.org", "password": "demo-password"})
    assert client.get(f"/teams/{own_id}/map").status_code == 200

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert second.output == first.output
    assert {model.__name__: count(app, model) for model in DEMO_TABLES} == counts
