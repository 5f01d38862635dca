"""The pipeline's pages: the organisers' board and list with their filters, the stages, a project's page
(moves, plan, milestones, readings and their verification, updates with files) and who may see what."""
import html
import io
import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from eventapp.auth.models import User
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.core.i18n import format_input_date
from eventapp.core.text import persian_digits
from eventapp.events.models import County
from eventapp.pipeline import services
from eventapp.pipeline.models import Milestone, Note, Project, Reading, Stage, StageMove
from eventapp.teams.models import SUBMITTED, Indicator, MapAction, ProgressMap, Team

from .factories import team_in
from .helpers import visible

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def submitted_team(app, event_id, leader, title, county_index=0, **fields):
    """A team led by ``leader`` with a submitted map: one indicator and one action (overdue)."""
    team_id = team_in(app, event_id, leader, **fields)
    with app.app_context():
        county = db.session.scalars(select(County).order_by(County.id)).all()[county_index]
        team = db.session.get(Team, team_id)
        team.province_id, team.county_id = county.province_id, county.id
        progress_map = ProgressMap(team_id=team_id, title=title, province_id=county.province_id, status=SUBMITTED,
                                   submitted_at=utcnow())
        progress_map.indicators = [Indicator(position=0, name="طول کوره لایروبی‌شده", unit="متر", baseline=0,
                                             target=900, target_date=date(2035, 3, 20))]
        progress_map.actions = [MapAction(position=0, what="لایروبی سیصد متر نخست", ends_on=date(2020, 1, 31))]
        db.session.add(progress_map)
        db.session.commit()
    return team_id


def into_pipeline(app, organiser, team_id) -> int:
    with app.app_context():
        project = services.create_project(db.session.get(User, organiser.id), db.session.get(Team, team_id),
                                          utcnow())
        db.session.commit()
        return project.id


@pytest.fixture
def setup(app, make, organiser, member):
    """An event with two projects: the member's team's (in one province) and another team's (in another)."""
    event = make.event(open_kind="results")
    other_event = make.event(open_kind="results")
    stranger = make.user(name="عضو گروه دیگر", email="stranger@example.com")
    team_id = submitted_team(app, event.id, member, "احیای قنات روستای خرانق", name="گروه آبادانی")
    other_team_id = submitted_team(app, other_event.id, stranger, "باغ‌های پسته کشکوئیه", county_index=-1,
                                   name="گروه دیگر")
    project_id = into_pipeline(app, organiser, team_id)
    other_project_id = into_pipeline(app, organiser, other_team_id)
    with app.app_context():
        project = db.session.get(Project, project_id)
        stages = {stage.key: stage.id for stage in db.session.scalars(select(Stage))}
        indicator_id, milestone_id = project.indicators[0].id, project.milestones[0].id
        province_id = project.province_id
    return SimpleNamespace(event=event, other_event=other_event, stranger=stranger, team_id=team_id,
                           other_team_id=other_team_id, project_id=project_id, other_project_id=other_project_id,
                           stages=stages, indicator_id=indicator_id, milestone_id=milestone_id,
                           province_id=province_id)


def stored(app, project_id) -> Project:
    with app.app_context():
        project = db.session.get(Project, project_id)
        for name in ("stage", "milestones", "partners"):
            getattr(project, name)
        for indicator in project.indicators:
            list(indicator.readings)
        db.session.expunge_all()
        return project


def error_next_to(response, field_id: str) -> bool:
    """Whether the page shows an error message right after the field (the form macro's help block)."""
    pattern = rf'id="{re.escape(field_id)}-help">(?:(?!</div>).)*class="field__error"'
    return re.search(pattern, response.get_data(as_text=True), re.DOTALL) is not None


def jalali(day: date) -> str:
    """A day as a person types it in the Persian form: Jalali, Persian digits."""
    return persian_digits(format_input_date(day, "fa"))


# --- the board and the list ----------------------------------------------------------------------------


def test_the_board_shows_every_stage_and_the_projects(client_for, organiser, setup):
    response = client_for(organiser).get("/organiser/pipeline")
    assert response.status_code == 200
    page = visible(response)
    assert "احیای قنات روستای خرانق" in page and "باغ‌های پسته کشکوئیه" in page
    assert "برگزیده" in page and "کنار گذاشته" in page  # the default stages, first to last
    assert f"/pipeline/projects/{setup.project_id}" in response.get_data(as_text=True)


def test_the_board_flags_what_needs_attention(app, client_for, organiser, setup):
    # The map's action was due in 2020: an overdue milestone; and an overdue next step.
    with app.app_context():
        project = db.session.get(Project, setup.project_id)
        services.update_plan(db.session.get(User, organiser.id), project, services.Plan(
            owner_id=organiser.id, next_step="جلسه با فرمانداری", next_step_due=services.today() - timedelta(days=3)), utcnow())
        db.session.commit()
    response = client_for(organiser).get("/organiser/pipeline")
    body = response.get_data(as_text=True)
    assert 'id="attention-title"' in body
    assert "لایروبی سیصد متر نخست" in visible(response)  # the overdue milestone, linked to its project
    assert f"/pipeline/projects/{setup.project_id}#milestones" in body
    assert f"/pipeline/projects/{setup.project_id}#plan" in body
    assert "board__card--overdue" in body


def test_the_list_pages_the_projects(client_for, organiser, setup):
    response = client_for(organiser).get("/organiser/pipeline/list")
    assert response.status_code == 200
    assert "احیای قنات روستای خرانق" in visible(response) and "باغ‌های پسته کشکوئیه" in visible(response)
    assert 'href="/organiser/pipeline"' in response.get_data(as_text=True)  # the link to the board


@pytest.mark.parametrize("path", ["/organiser/pipeline", "/organiser/pipeline/list", "/organiser/pipeline/stages"])
def test_only_organisers_see_the_board_list_and_stages(client_for, member, setup, path):
    assert client_for(member).get(path).status_code == 403


def projects_shown(response) -> str:
    """The text of the board's columns or the list's table (the attention panel lists every project)."""
    body = response.get_data(as_text=True)
    start = body.index('class="board"') if 'class="board"' in body else body.index("<table")
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body[start:])))


def test_the_filters_narrow_the_board_and_the_list(app, client_for, organiser, setup):
    client = client_for(organiser)
    for path in ("/organiser/pipeline", "/organiser/pipeline/list"):
        page = projects_shown(client.get(f"{path}?event={setup.event.id}"))
        assert "احیای قنات روستای خرانق" in page and "باغ‌های پسته کشکوئیه" not in page
        page = projects_shown(client.get(f"{path}?province={setup.province_id}"))
        assert "احیای قنات روستای خرانق" in page and "باغ‌های پسته کشکوئیه" not in page
        # Both projects have an overdue milestone (from 2020) until the one of the first is done.
        with app.app_context():
            db.session.get(Milestone, setup.milestone_id).done_on = date(2020, 1, 30)
            db.session.commit()
        page = projects_shown(client.get(f"{path}?overdue=1"))
        assert "احیای قنات روستای خرانق" not in page and "باغ‌های پسته کشکوئیه" in page
        page = projects_shown(client.get(f"{path}?stage={setup.stages['agreement']}"))
        assert "احیای قنات روستای خرانق" not in page and "باغ‌های پسته کشکوئیه" not in page
        page = projects_shown(client.get(f"{path}?owner={organiser.id}"))
        assert "احیای قنات روستای خرانق" not in page and "باغ‌های پسته کشکوئیه" not in page
        with app.app_context():
            db.session.get(Milestone, setup.milestone_id).done_on = None
            db.session.commit()


def test_an_organiser_adds_a_submitted_map_by_hand(app, client_for, organiser, member, setup, make):
    leader = make.user(name="سرگروه سوم")
    team_id = submitted_team(app, setup.event.id, leader, "کارگاه فرش روستای نائین", name="گروه سوم")
    client = client_for(organiser)
    board = client.get(f"/organiser/pipeline?event={setup.event.id}").get_data(as_text=True)
    assert f'<option value="{team_id}">' in board  # ready, unlike the teams already in the pipeline
    assert f'<option value="{setup.team_id}">' not in board
    response = client.post("/organiser/pipeline/projects", data={"event": setup.event.id, "team": team_id})
    assert response.status_code == 302
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.team_id == team_id))
        assert project.title == "کارگاه فرش روستای نائین"
        assert response.headers["Location"].endswith(f"/pipeline/projects/{project.id}")


def test_organisers_rename_and_reorder_the_stages(app, client_for, organiser, setup):
    client = client_for(organiser)
    assert client.get("/organiser/pipeline/stages").status_code == 200
    with app.app_context():
        stages = db.session.scalars(select(Stage).order_by(Stage.position)).all()
        data = {}
        for position, stage in enumerate(stages, start=1):
            data[f"name_fa-{stage.id}"], data[f"name_en-{stage.id}"] = stage.name_fa, stage.name_en
            data[f"position-{stage.id}"] = persian_digits(str(position))
        first, second = stages[0].id, stages[1].id
    data[f"position-{first}"], data[f"position-{second}"] = "۲", "۱"
    data[f"name_fa-{first}"] = "منتخب"
    assert client.post("/organiser/pipeline/stages", data=data).status_code == 302
    with app.app_context():
        ordered = db.session.scalars(select(Stage).order_by(Stage.position)).all()
        assert [ordered[0].id, ordered[1].id] == [second, first]
        assert ordered[1].name_fa == "منتخب"
    data[f"name_fa-{first}"] = ""
    response = client.post("/organiser/pipeline/stages", data=data)
    assert response.status_code == 422
    assert f'id="name_fa-{first}"' in response.get_data(as_text=True)
    assert 'class="bare-field field--error"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Stage, first).name_fa == "منتخب"


# --- a project's page ------------------------------------------------------------------------------------


def test_organisers_and_the_team_see_the_project_others_do_not(client_for, organiser, member, setup):
    assert client_for(organiser).get(f"/pipeline/projects/{setup.project_id}").status_code == 200
    response = client_for(member).get(f"/pipeline/projects/{setup.project_id}")
    assert response.status_code == 200
    assert "احیای قنات روستای خرانق" in visible(response)
    assert f"/pipeline/projects/{setup.project_id}/move" not in response.get_data(as_text=True)  # organisers only
    stranger = client_for(setup.stranger)
    assert stranger.get(f"/pipeline/projects/{setup.project_id}").status_code == 404
    response = stranger.post(f"/pipeline/projects/{setup.project_id}/indicators/{setup.indicator_id}/readings",
                             data={f"indicator-{setup.indicator_id}-taken_on": jalali(date.today()),
                                   f"indicator-{setup.indicator_id}-value": "5"})
    assert response.status_code == 404


def test_the_team_dashboard_links_to_the_project(client_for, member, setup):
    page = client_for(member).get(f"/teams/{setup.team_id}").get_data(as_text=True)
    assert f"/pipeline/projects/{setup.project_id}" in page


def test_on_hold_needs_a_reason_and_nothing_changes_without_one(app, client_for, organiser, setup):
    client = client_for(organiser)
    url = f"/pipeline/projects/{setup.project_id}/move"
    response = client.post(url, data={"stage": setup.stages["on_hold"], "reason": "  "})
    assert response.status_code == 422
    assert error_next_to(response, "reason")
    project = stored(app, setup.project_id)
    assert project.stage.key == "selected"
    with app.app_context():
        assert db.session.scalar(select(StageMove).where(StageMove.project_id == setup.project_id,
                                                         StageMove.from_stage_id.is_not(None))) is None

    response = client.post(url, data={"stage": setup.stages["on_hold"], "reason": "منتظر بودجهٔ استانداری"})
    assert response.status_code == 302
    assert stored(app, setup.project_id).stage.key == "on_hold"
    page = visible(client.get(f"/pipeline/projects/{setup.project_id}"))
    assert "منتظر بودجهٔ استانداری" in page


def test_a_member_cannot_move_the_project(app, client_for, member, setup):
    response = client_for(member).post(f"/pipeline/projects/{setup.project_id}/move",
                                       data={"stage": setup.stages["agreement"], "reason": ""})
    assert response.status_code == 403
    assert stored(app, setup.project_id).stage.key == "selected"


def test_organisers_set_the_plan_and_partners(app, client_for, organiser, setup):
    client = client_for(organiser)
    due = services.today() + timedelta(days=10)
    response = client.post(f"/pipeline/projects/{setup.project_id}/plan", data={
        "owner": organiser.id, "next_step": "امضای تفاهم‌نامه", "next_step_due": jalali(due)})
    assert response.status_code == 302
    project = stored(app, setup.project_id)
    assert (project.owner_id, project.next_step, project.next_step_due) == (organiser.id, "امضای تفاهم‌نامه", due)
    # A due date without a next step is refused, next to the field.
    response = client.post(f"/pipeline/projects/{setup.project_id}/plan", data={
        "owner": 0, "next_step": "", "next_step_due": jalali(due)})
    assert response.status_code == 422
    assert stored(app, setup.project_id).owner_id == organiser.id

    assert client.post(f"/pipeline/projects/{setup.project_id}/partners",
                       data={"name": "بنیاد برکت", "role": "تأمین مالی"}).status_code == 302
    partner = stored(app, setup.project_id).partners[0]
    assert partner.name == "بنیاد برکت"
    assert client.post(f"/pipeline/projects/{setup.project_id}/partners",
                       data={"name": "", "role": ""}).status_code == 422
    client.post(f"/pipeline/projects/{setup.project_id}/partners/{partner.id}/remove")
    assert stored(app, setup.project_id).partners == []


def test_milestones_added_by_organisers_marked_done_by_the_team(app, client_for, organiser, member, setup):
    response = client_for(organiser).post(f"/pipeline/projects/{setup.project_id}/milestones",
                                          data={"title": "جلسهٔ هماهنگی با دهیاری", "due_on": ""})
    assert response.status_code == 302
    assert [m.title for m in stored(app, setup.project_id).milestones][-1] == "جلسهٔ هماهنگی با دهیاری"
    team = client_for(member)
    field = f"milestone-{setup.milestone_id}-done_on"
    response = team.post(f"/pipeline/projects/{setup.project_id}/milestones/{setup.milestone_id}/done",
                         data={field: jalali(services.today() + timedelta(days=2))})
    assert response.status_code == 422  # not in the future
    assert stored(app, setup.project_id).milestones[0].done_on is None
    yesterday = services.today() - timedelta(days=1)
    response = team.post(f"/pipeline/projects/{setup.project_id}/milestones/{setup.milestone_id}/done",
                         data={field: jalali(yesterday)})
    assert response.status_code == 302
    assert stored(app, setup.project_id).milestones[0].done_on == yesterday


def test_a_member_posts_a_reading_and_an_organiser_verifies_it(app, client_for, organiser, member, setup):
    team = client_for(member)
    prefix = f"indicator-{setup.indicator_id}-"
    url = f"/pipeline/projects/{setup.project_id}/indicators/{setup.indicator_id}/readings"
    response = team.post(url, data={f"{prefix}taken_on": "", f"{prefix}value": "۱۲۰٫۵"})
    assert response.status_code == 422
    assert error_next_to(response, f"{prefix}taken_on")
    day = services.today() - timedelta(days=2)
    response = team.post(url, data={f"{prefix}taken_on": jalali(day), f"{prefix}value": "۱۲۰٫۵",
                                    f"{prefix}source": "گزارش دهیاری", f"{prefix}note": ""})
    assert response.status_code == 302
    reading = stored(app, setup.project_id).indicators[0].readings[0]
    assert (reading.taken_on, reading.value, reading.source, reading.posted_by_id) == \
        (day, 120.5, "گزارش دهیاری", member.id)
    assert reading.verified_at is None
    page = team.get(f"/pipeline/projects/{setup.project_id}")
    assert "۱۲۰٫۵" in visible(page) and "گزارش دهیاری" in visible(page)
    assert f"/readings/{reading.id}/verify" not in page.get_data(as_text=True)  # members do not verify

    assert team.post(f"/pipeline/projects/{setup.project_id}/readings/{reading.id}/verify").status_code == 403
    organiser_client = client_for(organiser)
    assert f"/readings/{reading.id}/verify" in organiser_client.get(
        f"/pipeline/projects/{setup.project_id}").get_data(as_text=True)
    response = organiser_client.post(f"/pipeline/projects/{setup.project_id}/readings/{reading.id}/verify")
    assert response.status_code == 302
    with app.app_context():
        verified = db.session.get(Reading, reading.id)
        assert verified.verified_at is not None and verified.verified_by_id == organiser.id
    assert f"/readings/{reading.id}/verify" not in organiser_client.get(
        f"/pipeline/projects/{setup.project_id}").get_data(as_text=True)


def test_an_update_with_a_pdf_and_its_download(app, client_for, organiser, member, setup, upload_dir):
    team = client_for(member)
    response = team.post(f"/pipeline/projects/{setup.project_id}/notes", data={
        "body": "جلسهٔ نخست با فرمانداری برگزار شد.",
        "files": [(io.BytesIO(PDF), "صورت‌جلسه.pdf")]}, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        note = db.session.scalar(select(Note).where(Note.project_id == setup.project_id))
        attachment_id = note.attachments[0].id
        assert note.author_id == member.id
    page = visible(team.get(f"/pipeline/projects/{setup.project_id}"))
    assert "جلسهٔ نخست با فرمانداری برگزار شد." in page and "صورت‌جلسه.pdf" in page

    for client in (team, client_for(organiser)):
        download = client.get(f"/pipeline/attachments/{attachment_id}")
        assert download.status_code == 200
        assert download.data == PDF
        assert download.mimetype == "application/pdf"
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert download.headers["Cache-Control"] == "private, no-store"
    assert client_for(setup.stranger).get(f"/pipeline/attachments/{attachment_id}").status_code == 404


def test_an_update_needs_words_and_a_file_of_an_accepted_kind(app, client_for, member, setup, upload_dir):
    team = client_for(member)
    url = f"/pipeline/projects/{setup.project_id}/notes"
    response = team.post(url, data={"body": " "})
    assert response.status_code == 422
    assert error_next_to(response, "body")
    response = team.post(url, data={"body": "گزارش", "files": [(io.BytesIO(b"MZ\x90\x00"), "setup.exe")]},
                         content_type="multipart/form-data")
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Note).where(Note.project_id == setup.project_id)) is None
