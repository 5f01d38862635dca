"""In Chromium: the bulk issue's page shows the real total at once and follows the job to its end without a
reload (its state, its counts, the link to the documents), then stops asking."""
import pytest
from playwright.sync_api import expect

from .. import factories
from ..helpers import sign_in_page

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_server_config():
    return {"JOBS_BACKEND": "thread"}


def test_the_job_page_follows_the_bulk_issue_to_its_end_without_a_reload(app, make, organiser, new_page,
                                                                          live_server):
    event, _team_ids = factories.many_teams(app, make, organiser, 4)
    page = new_page()
    page.context.add_cookies([{"name": "lang", "value": "en", "url": live_server}])
    sign_in_page(page, live_server, organiser.email)
    page.goto(f"{live_server}/organiser/events/{event.id}/certificates")
    with page.expect_navigation():
        page.locator("form[action$='/group/issue'] button").click()
    expect(page.locator("[data-field=total]")).to_have_text("4")  # never "0 of 0"
    expect(page.locator("[data-status-label]")).to_have_text("Finished", timeout=90_000)
    expect(page.locator(".job")).to_have_attribute("data-status", "done")
    expect(page.locator("[data-field=done]")).to_have_text("4")
    expect(page.locator("[data-when-done] a")).to_be_visible()
    expect(page.locator("[data-when-may-run-again]")).to_be_hidden()
    asked = []
    page.on("request", lambda request: asked.append(request.url) if "/progress" in request.url else None)
    page.wait_for_timeout(6000)
    assert asked == []  # finished: the page stopped asking
