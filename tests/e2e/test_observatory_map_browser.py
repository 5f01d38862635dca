"""In Chromium, at 360 px and 1280 px, in Persian and in English: the observatory's map of the provinces, its
form without JavaScript, a province's page and need against support; axe-core and the Nu HTML checker on them.
Screenshots go to SHOTS (/tmp/shots-15/ unless OBSERVATORY_SHOTS says otherwise), to be looked at."""
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from eventapp.core.extensions import db
from eventapp.judging.models import FINAL
from eventapp.teams.models import SUBMITTED

from ..observatory_figures import import_figures
from ..test_html_validity import checker  # noqa: F401 (the fixture)
from ..test_observatory import TEHRAN, YAZD, add_indicator, add_project, add_publication, add_team
from .test_accessibility import serious_findings

pytestmark = pytest.mark.e2e

SHOTS = Path(os.environ.get("OBSERVATORY_SHOTS", "/tmp/shots-15"))
WIDTHS = (360, 1280)
LANGUAGES = ("fa", "en")
# Teams per province code: Razavi Khorasan and Tehran most, a few elsewhere, most provinces none.
TEAMS = {9: 9, TEHRAN: 7, 10: 4, YAZD: 3, 7: 2, 3: 2, 11: 1, 16: 1, 2: 1}


@pytest.fixture
def world(app, make, organiser):
    """An event with teams in nine provinces, a published final round (two winners, one in the pipeline with
    indicators), the population and a need index imported."""
    event = make.event(open_kind="judging", slug="national", title_fa="رویداد ملی پیشرفت",
                       title_en="National progress event")
    import_figures(app, organiser)
    with app.app_context():
        teams = {code: [add_team(event.id, code, map_status=SUBMITTED) for _ in range(count)]
                 for code, count in TEAMS.items()}
        add_publication(event.id, FINAL, {teams[TEHRAN][0]: "first", teams[YAZD][0]: "second"})
        project = add_project(event.id, teams[TEHRAN][0], TEHRAN, "implementation")
        add_indicator(project, [(30, 2.0, True), (2, 9.0, True)])
        add_indicator(project, [(4, 1.0, False)])
        db.session.commit()
    return event


def _context(browser, live_server, width: int, language: str, **options):
    context = browser.new_context(viewport={"width": width, "height": 900}, **options)
    context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    return context


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_map_reads_and_works_without_javascript(browser, live_server, world, language, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context = _context(browser, live_server, width, language, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server}/observatory")

    the_map = page.locator("svg.choropleth__map")
    expect(the_map).to_be_visible()
    assert page.locator("a.choropleth__area").count() == 31
    box = the_map.bounding_box()
    assert box["width"] >= min(width - 80, 600) and box["height"] > box["width"] * 0.7  # drawn at its size
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider than the screen
    legend = page.locator(".choropleth__legend li")
    assert legend.count() >= 3
    sizes = page.eval_on_selector_all(".choropleth__legend li", "items => items.map(item => "
                                      "parseFloat(getComputedStyle(item).fontSize))")
    assert min(sizes) >= 12
    page.screenshot(path=str(SHOTS / f"observatory-{language}-{width}.png"), full_page=True)
    the_map.screenshot(path=str(SHOTS / f"map-{language}-{width}.png"))

    # Choose another figure with the plain form: the page comes back with it chosen and the map recoloured.
    before = [area.get_attribute("fill") for area in page.locator("a.choropleth__area path").all()]
    page.select_option("#map-measure", "ref-deprivation")
    with page.expect_navigation():
        page.locator(".choropleth__form button[type=submit]").click()
    assert "map=ref-deprivation" in page.url
    expect(page.locator("#map-measure")).to_have_value("ref-deprivation")
    after = [area.get_attribute("fill") for area in page.locator("a.choropleth__area path").all()]
    assert after != before
    page.locator("#need").screenshot(path=str(SHOTS / f"need-{language}-{width}.png"))
    expect(page.locator(".need-marked li").first).to_be_visible()
    expect(page.locator("#need .method li")).to_have_count(5)

    # A province on the map leads to its page, from the keyboard too (the shape's box is not the shape: a
    # click at its middle may land on a neighbour).
    page.locator(f'a.choropleth__area[href="/observatory/{TEHRAN}"]').focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("تهران" if language == "fa" else "Tehran")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    expect(page.locator('a.choropleth__area[aria-current="page"]')).to_have_count(1)
    page.screenshot(path=str(SHOTS / f"province-{language}-{width}.png"), full_page=True)
    context.close()


PAGES = ("/observatory", "/observatory?map=ref-deprivation&need=population", f"/observatory/{TEHRAN}",
         "/events/national/observatory", f"/observatory/{YAZD}?event=national")


def test_the_pages_have_no_serious_accessibility_findings_in_either_language(browser, live_server, world):
    findings = []
    for language in LANGUAGES:
        for width in WIDTHS:
            context = _context(browser, live_server, width, language, bypass_csp=True)  # axe is injected
            page = context.new_page()
            for path in PAGES:
                response = page.goto(live_server + path)
                assert response.ok, path
                findings += [f"{language} {width} {path}: {finding}" for finding in serious_findings(page)]
            context.close()
    assert not findings, "\n".join(findings)


def test_the_pages_are_valid_html_in_either_language(app, client, world, checker, tmp_path):  # noqa: F811
    files = {}
    for language in LANGUAGES:
        client.set_cookie("lang", language)
        for path in PAGES:
            response = client.get(path)
            assert response.status_code == 200, path
            saved = tmp_path / f"page-{len(files):02d}.html"
            saved.write_bytes(response.get_data())
            files[saved] = f"{language} {path}"
    errors = [f"{files[Path(message['url'].removeprefix('file:'))]}: line {message.get('lastLine')}: "
              f"{message['message']} {message.get('extract', '')!r}"
              for message in checker(list(files)) if message["type"] == "error"]
    assert not errors, "\n".join(errors)
