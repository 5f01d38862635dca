"""flask commands: create-user, places sync and the demo."""
import re

from sqlalchemy import func, select

from eventapp.audit.models import AuditEntry
from eventapp.auth.models import User
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.core.text import valid_national_id
from eventapp.events.models import County, Event
from eventapp.judging import services as judging
from eventapp.judging.models import (
    Assignment,
    ConflictOfInterest,
    JudgeProfile,
    Publication,
    Round,
    RoundEntry,
    RoundJudge,
    Rubric,
    Score,
)
from eventapp.pipeline import services as pipeline
from eventapp.pipeline.models import Milestone, Note, Partner, Project, ProjectIndicator, Reading, Stage, StageMove
from eventapp.teams.models import (
    MAP_SECTIONS,
    Indicator,
    Invitation,
    MapAction,
    MapRevision,
    ProgressMap,
    Team,
    TeamMember,
    TeamStatusChange,
)
from eventapp.teams.richtext import clean_html, plain_text
from eventapp.training.models import TrainingSession, TrainingSignup

from .helpers import count

DEMO_TABLES = (User, Event, Team, TeamMember, TeamStatusChange, Invitation, ProgressMap, Indicator, MapAction,
               MapRevision, TrainingSession, TrainingSignup, AuditEntry, JudgeProfile, Rubric, Round, RoundEntry,
               RoundJudge, ConflictOfInterest, Assignment, Score, Publication, Stage, Project, Partner, StageMove,
               Milestone, Note, ProjectIndicator, Reading)


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
        screening_id = check_demo_screening(national, teams, judge)
        check_demo_pipeline(now)
        top_team = judging.current_publication(db.session.get(Round, screening_id)).snapshot["rows"][0]["team"]

    assert top_team in client.get("/events/dawn-of-progress-1405/results").get_data(as_text=True)
    client.post("/signin", data={"email": "organiser@demo.example.org", "password": "demo-password"})
    assert client.get(f"/organiser/rounds/{screening_id}/results").status_code == 200
    client.post("/signout")
    client.post("/signin", data={"email": "leader@demo.example.org", "password": "demo-password"})
    assert client.get(f"/teams/{own_id}/map").status_code == 200

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert second.output == first.output
    assert {model.__name__: count(app, model) for model in DEMO_TABLES} == counts


def check_demo_screening(national, teams, demo_judge) -> int:
    """The national event's screening round: judged by nine judges, fully submitted, published; its top
    teams selected, and the selected-only training signed up by selected teams only."""
    [screening] = db.session.scalars(select(Round).where(Round.event_id == national.id)).all()
    phase = national.phase("screening")
    assert screening.kind == "screening" and screening.blind and screening.judges_per_entry == 3
    assert phase.starts_at <= screening.starts_at < screening.ends_at <= phase.ends_at
    judges = judging.judges_of(screening)
    assert len(judges) >= 9 and demo_judge.id in {judge.id for judge in judges}
    profiles = db.session.scalars(select(JudgeProfile).where(JudgeProfile.user_id.in_([j.id for j in judges]))).all()
    assert len(profiles) == len(judges) and all(p.expertise and p.province_id for p in profiles)

    entries = set(judging.entry_team_ids(screening))
    assert entries == {team.id for team in teams if team.status == "approved"}
    assignments = judging.round_assignments(screening)
    assert all(sum(1 for a in assignments if a.team_id == team_id) == 3 for team_id in entries)
    assert all(a.is_submitted and screening.starts_at <= a.submitted_at <= screening.ends_at for a in assignments)
    assert all(len(a.scores) == len(screening.rubric.criteria) for a in assignments)
    assert all(s.value == int(s.value) and 0 <= s.value <= 10 for a in assignments for s in a.scores)
    assert any(s.comment for a in assignments for s in a.scores)
    conflicts = db.session.scalars(select(ConflictOfInterest).where(ConflictOfInterest.event_id == national.id)).all()
    assert 1 <= len(conflicts) <= 2 and all(c.reason for c in conflicts)
    assert not {(c.user_id, c.team_id) for c in conflicts} & {(a.user_id, a.team_id) for a in assignments}
    mine = [a for a in assignments if a.user_id == demo_judge.id]
    assert mine and all(a.is_submitted for a in mine)

    board = judging.compute_leaderboard(screening)
    assert board.pending == 0 and {row.team.id for row in board.rows} == entries
    publication = judging.current_publication(screening)
    rows = publication.snapshot["rows"]
    assert publication.published_at >= screening.ends_at and {row["team_id"] for row in rows} == entries
    assert [row["team_id"] for row in rows] == [row.team.id for row in board.rows]
    selected = {team.id for team in teams if team.screening_selected}
    assert 15 <= len(selected) <= 25
    cut = max(row["rank"] for row in rows if row["team_id"] in selected)
    assert selected == {row["team_id"] for row in rows if row["rank"] <= cut}
    for session in db.session.scalars(select(TrainingSession).where(TrainingSession.event_id == national.id,
                                                                     TrainingSession.audience == "selected")):
        signups = db.session.scalars(select(TrainingSignup).where(TrainingSignup.session_id == session.id)).all()
        assert signups and all(s.team_id in selected and s.created_at > publication.published_at for s in signups)
    return screening.id


def check_demo_pipeline(now) -> None:
    """The finished Sarakhs event: its published final round took the winners into the pipeline, where they
    and two maps added by hand stand at every stage, with owners, next steps, notes and readings."""
    sarakhs = db.session.scalar(select(Event).where(Event.slug == "dawn-of-progress-sarakhs-1404"))
    [final] = db.session.scalars(select(Round).where(Round.event_id == sarakhs.id)).all()
    publication = judging.current_publication(final)
    assert final.kind == "final" and sarakhs.phase("results").starts_at <= publication.published_at < now
    winners = {row["team_id"]: row["award"] for row in publication.snapshot["rows"] if row["award"]}
    projects = db.session.scalars(select(Project).where(Project.event_id == sarakhs.id)).all()
    assert len(projects) == 8 and set(winners) < {project.team_id for project in projects}
    assert all(project.award == winners.get(project.team_id, "") for project in projects)
    assert all(project.created_at == publication.published_at for project in projects if project.award)
    stages = [project.stage.key for project in projects]
    assert sorted(stages) == sorted(["selected", "agreement", "planning", "implementation", "implementation",
                                     "monitoring", "on_hold", "completed"])
    organiser = db.session.scalar(select(User).where(User.email == "organiser@demo.example.org"))
    assert {project.owner_id for project in projects} == {organiser.id}
    assert all(project.stage_reason for project in projects if project.stage.key == "on_hold")
    for project in projects:
        history = pipeline.stage_history(project)
        assert history[0].from_stage_id is None and history[-1].to_stage_id == project.stage_id
        assert all(a.to_stage_id == b.from_stage_id for a, b in zip(history, history[1:]))
        assert all(project.created_at <= move.moved_at < now for move in history)
    day = pipeline.today()
    assert [project.stage.key for project in projects if project.next_step_due and project.next_step_due < day] \
        == ["implementation"]
    readings = [reading for project in projects for indicator in project.indicators for reading in indicator.readings]
    assert len(readings) >= 40 and all(reading.taken_on <= day for reading in readings)
    assert any(reading.verified_at for reading in readings) and not all(reading.verified_at for reading in readings)
    assert all(reading.posted_at <= reading.verified_at < now for reading in readings if reading.verified_at)
    statuses = {pipeline.indicator_status(indicator, day) for project in projects for indicator in project.indicators}
    assert statuses == {"met", "on_track", "behind", "no_data"}
    assert db.session.scalar(select(func.count()).select_from(Note).join(Project)
                             .where(Project.event_id == sarakhs.id)) >= 8
    flagged = pipeline.attention(organiser, now)
    assert flagged.overdue_steps and flagged.silent and flagged.overdue_milestones
    assert all(project.stage.kind == "active" for project in flagged.overdue_steps + flagged.silent)
