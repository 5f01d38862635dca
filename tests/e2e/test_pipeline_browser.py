"""In Chromium, in Persian: an organiser moves a project from planning to implementation, and a team
member on a phone posts a reading that then shows on the indicator's chart."""
import jdatetime
import pytest
from playwright.sync_api import expect

from eventapp.auth.models import User
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.core.i18n import to_tehran
from eventapp.core.text import persian_digits
from eventapp.pipeline import services
from eventapp.pipeline.models import Project, Stage

from ..factories import project_for, team_with_map
from ..helpers import sign_in_page

pytestmark = pytest.mark.e2e


def test_an_organiser_moves_a_project_and_a_member_posts_a_reading_that_shows_on_the_chart(
        app, make, organiser, new_page, live_server):
    event = make.event(open_kind="judging")
    leader = make.user(name="نرگس نیک‌نام", email="narges@example.com")
    team_id = team_with_map(app, event.id, leader, name="گروه جهادی امید")
    project_id = project_for(app, organiser, team_id)
    with app.app_context():
        project = db.session.get(Project, project_id)
        planning = db.session.scalar(db.select(Stage).where(Stage.key == "planning"))
        implementation = db.session.scalar(db.select(Stage).where(Stage.key == "implementation"))
        services.move(db.session.get(User, organiser.id), project, planning.id, "", utcnow())
        db.session.commit()
        implementation_id, implementation_name = implementation.id, implementation.name_fa
        indicator_id = project.indicators[0].id

    page = new_page()
    sign_in_page(page, live_server, organiser.email)
    page.goto(f"{live_server}/pipeline/projects/{project_id}")
    page.select_option("form.move-form select[name=stage]", str(implementation_id))
    with page.expect_navigation():
        page.locator("form.move-form button[type=submit]").click()
    expect(page.locator("#moves")).to_contain_text(implementation_name)
    with app.app_context():
        assert db.session.get(Project, project_id).stage.key == "implementation"

    member = new_page()
    sign_in_page(member, live_server, leader.email)
    member.goto(f"{live_server}/pipeline/projects/{project_id}")
    box = member.locator(f"#indicator-{indicator_id}")
    expect(box.locator(".chart__dot")).to_have_count(0)
    box.locator("summary").click()
    today = jdatetime.date.fromgregorian(date=to_tehran(utcnow()).date())
    box.locator("input[name$=taken_on]").fill(persian_digits(today.strftime("%Y/%m/%d")))
    box.locator("input[name$=value]").fill("۴۲")
    with member.expect_navigation():
        box.locator("form button[type=submit]").click()
    dots = member.locator(f"#indicator-{indicator_id} .chart__dot")
    expect(dots).to_have_count(1)
    expect(dots.first.locator("title")).to_contain_text("۴۲")
