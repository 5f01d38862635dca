"""In Chromium: the top bar's menu on a phone, the map editor without JavaScript, chart text on a phone."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from eventapp.core.extensions import db
from eventapp.teams.models import DRAFT, ProgressMap

from .. import factories
from ..helpers import sign_in_page
from .test_accessibility import serious_findings

pytestmark = pytest.mark.e2e

PHONE = {"width": 360, "height": 780}
SECTION_HTML = "<p>قنات‌ها خشک شده‌اند &amp; جوانان می‌روند.</p><p>یک <strong>راه</strong> مانده است.</p>"


@pytest.fixture
def draft_team(app, make):
    """A leader's approved team, in the submission phase, whose draft map has formatted knowledge."""
    leader = make.user(name="مریم حسینی", email="leader@example.com")
    event = make.event(open_kind="submission")
    team_id = factories.team_with_map(app, event.id, leader=leader, status=DRAFT)
    with app.app_context():
        progress_map = db.session.scalar(select(ProgressMap).where(ProgressMap.team_id == team_id))
        progress_map.knowledge = SECTION_HTML
        db.session.commit()
    return leader, team_id


def test_without_javascript_the_map_editor_shows_words_and_no_dead_buttons_and_saves_them(
        app, browser, live_server, draft_team):
    leader, team_id = draft_team
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    sign_in_page(page, live_server, leader.email)
    page.goto(f"{live_server}/teams/{team_id}/map")

    knowledge = page.locator("#knowledge")
    expect(knowledge).to_be_visible()
    assert knowledge.input_value() == "قنات‌ها خشک شده‌اند & جوانان می‌روند.\n\nیک راه مانده است."
    for button in page.locator("[data-add-row], [data-remove-row]").all():
        expect(button).to_be_hidden()

    with page.expect_navigation():
        page.locator(".sticky-actions button[type=submit]").click()
    expect(page.locator(".flash--success")).to_be_visible()
    with app.app_context():
        saved = db.session.scalar(select(ProgressMap.knowledge).where(ProgressMap.team_id == team_id))
    assert saved == "<p>قنات‌ها خشک شده‌اند &amp; جوانان می‌روند.</p><p>یک راه مانده است.</p>"
    context.close()


def test_with_javascript_the_editor_has_the_formatted_text_and_the_row_buttons(browser, live_server, draft_team):
    leader, team_id = draft_team
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    sign_in_page(page, live_server, leader.email)
    page.goto(f"{live_server}/teams/{team_id}/map")

    editor = page.locator("[data-editor]").first
    expect(editor.locator("textarea")).to_be_hidden()
    expect(editor.locator(".editor__area strong")).to_have_text("راه")
    expect(page.locator("[data-add-row=indicators]")).to_be_visible()
    expect(page.locator("[data-remove-row]").first).to_be_visible()
    context.close()


@pytest.mark.parametrize("language, with_script", [("fa", True), ("en", False)])
def test_on_a_phone_the_menu_shows_every_link_of_an_organiser_and_admin_unclipped(make, browser, live_server,
                                                                                 language, with_script):
    everyone = make.user(name="زهرا احمدی", email="all@example.com", roles=["organiser", "admin", "judge"])
    context = browser.new_context(viewport=PHONE, java_script_enabled=with_script, bypass_csp=True)  # axe is inline
    context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    page = context.new_page()
    sign_in_page(page, live_server, everyone.email)
    links = page.locator("nav.nav a")
    assert links.count() == 9  # events, observatory, teams, judging, 4 of the organisers', accounts
    for link in links.all():
        expect(link).to_be_hidden()

    page.locator(".menu__toggle").click()
    for link in links.all():
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"], (link.inner_text(), box)
        assert link.evaluate("a => a.scrollWidth <= a.clientWidth && a.scrollHeight <= a.clientHeight + 1")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    if with_script:  # axe-core needs JavaScript
        assert not serious_findings(page)  # the open menu too: contrast, names
    context.close()


def test_on_a_wide_screen_the_links_stand_in_the_bar_without_a_menu_button(make, browser, live_server):
    organiser = make.user(name="زهرا احمدی", email="all@example.com", roles=["organiser", "admin"])
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    sign_in_page(page, live_server, organiser.email)
    expect(page.locator(".menu__toggle")).to_be_hidden()
    for link in page.locator("nav.nav a").all():
        expect(link).to_be_visible()
    context.close()
