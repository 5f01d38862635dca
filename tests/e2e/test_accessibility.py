"""axe-core (WCAG 2.1 A and AA) over the main pages, in Persian and in English, as each kind of person sees
them, on the demo series (full pages, not empty ones): no serious or critical finding anywhere."""
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from eventapp.auth.models import User
from eventapp.certificates.documents import subjects_of
from eventapp.certificates.enums import DocumentKind
from eventapp.certificates.services import issuing
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.demo.loader import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo
from eventapp.events.models import Event
from eventapp.judging.models import Assignment, Round
from eventapp.pipeline.models import Project
from eventapp.teams.models import Team, TeamMember

from ..helpers import sign_in_page

pytestmark = pytest.mark.e2e

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
LANGUAGES = ("fa", "en")


@pytest.fixture
def demo(app):
    """The demo series, with one certificate issued (so that the certificate pages list something)."""
    with app.app_context():
        load_demo()
        db.session.commit()
        account = lambda kind: db.session.scalar(select(User).where(User.email == DEMO_ACCOUNTS[kind][0]))  # noqa: E731
        national = db.session.scalar(select(Event).where(Event.slug == "dawn-of-progress-1405"))
        finished = db.session.scalar(select(Event).where(Event.slug == "dawn-of-progress-sarakhs-1404"))
        subject = subjects_of(finished, DocumentKind.GROUP)[0]
        certificate = issuing.issue_one(account("organiser"), finished, "group", subject.key, utcnow())
        db.session.commit()
        leader = account("team leader")
        team_id = db.session.scalar(select(TeamMember.team_id).join(Team).where(
            TeamMember.user_id == leader.id, TeamMember.is_leader, Team.event_id == national.id))
        judge = account("judge")
        assignment_id = db.session.scalar(select(Assignment.id).where(Assignment.user_id == judge.id)
                                          .order_by(Assignment.id))
        final = db.session.scalar(select(Round).where(Round.event_id == finished.id, Round.kind == "final"))
        project_id = db.session.scalar(select(Project.id).order_by(Project.id))
        return SimpleNamespace(national=national.slug, national_id=national.id, finished=finished.slug,
                               finished_id=finished.id, final_id=final.id, team_id=team_id,
                               assignment_id=assignment_id, project_id=project_id, code=certificate.verification_code)


def pages_by_person(demo) -> dict[str | None, list[str]]:
    """The main pages, by whom they are seen as (None: someone not signed in)."""
    return {
        None: ["/", "/signin", "/signup", "/verify", f"/verify/{demo.code}", "/observatory",
               f"/events/{demo.national}", f"/events/{demo.finished}/results", f"/events/{demo.finished}/observatory"],
        "team leader": ["/teams", f"/teams/{demo.team_id}", f"/teams/{demo.team_id}/map"],
        "judge": ["/judging", f"/judging/assignments/{demo.assignment_id}", "/judging/conflicts?q=%D8%A7"],
        "organiser": ["/organiser/events", f"/organiser/events/{demo.national_id}/teams",
                      f"/organiser/events/{demo.finished_id}/judging", f"/organiser/rounds/{demo.final_id}",
                      f"/organiser/rounds/{demo.final_id}/results",
                      f"/organiser/events/{demo.finished_id}/certificates",
                      f"/organiser/events/{demo.finished_id}/certificates/group",
                      "/organiser/pipeline", f"/pipeline/projects/{demo.project_id}", "/organiser/audit/"],
        "admin": ["/admin/users"],
    }


def serious_findings(page) -> list[str]:
    """What axe-core finds serious or critical on the page: one line per rule, with its first element."""
    page.add_script_tag(path=str(AXE))
    results = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
                            WCAG_21_AA)
    return [f"{violation['id']} ({violation['impact']}, {len(violation['nodes'])}×): {violation['nodes'][0]['target']} "
            f"{violation['nodes'][0].get('failureSummary', '')[:300]!r}"
            for violation in results["violations"] if violation["impact"] in BLOCKING]


def test_main_pages_have_no_serious_accessibility_findings_in_either_language(live_server, browser, demo):
    assert AXE.exists(), "axe-core is installed by `make test` (npm ci)"
    findings = []
    for person, paths in pages_by_person(demo).items():
        context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)  # axe is inline
        page = context.new_page()
        if person is not None:
            sign_in_page(page, live_server, DEMO_ACCOUNTS[person][0], DEMO_PASSWORD)
        for language in LANGUAGES:
            context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
            for path in paths:
                response = page.goto(live_server + path)
                assert response.ok, f"{path} ({language}): {response.status}"
                findings += [f"{language} {path}: {finding}" for finding in serious_findings(page)]
        context.close()
    assert not findings, "\n".join(findings)


CHART_PAGES = ("/observatory", "/events/{finished}/observatory", "/pipeline/projects/{project}")


def test_chart_text_is_at_least_12_px_on_a_phone_in_either_language(live_server, browser, demo):
    """The server-drawn SVG charts scale to their box: on a 360 px phone their text still reads at 12 px."""
    context = browser.new_context(viewport={"width": 360, "height": 780})
    page = context.new_page()
    sign_in_page(page, live_server, DEMO_ACCOUNTS["organiser"][0], DEMO_PASSWORD)
    small = []
    for language in LANGUAGES:
        context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
        for path in (address.format(finished=demo.finished, project=demo.project_id) for address in CHART_PAGES):
            page.goto(live_server + path)
            sizes = page.eval_on_selector_all("svg.chart text", """texts => texts.map(text =>
                [text.textContent, parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a])""")
            assert sizes, f"no chart on {path}"
            small += [f"{language} {path}: {words!r} at {size:.1f} px" for words, size in sizes if size < 12]
    context.close()
    assert not small, "\n".join(small)
