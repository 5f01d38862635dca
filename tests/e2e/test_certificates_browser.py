"""In Chromium, in Persian: an organiser issues the group certificates in bulk and follows the progress
bar (through a reload); a team leader downloads the team's certificate, and their own Open Badges badge with the
credential baked in; the public check finds the PDF genuine, byte for byte, and names who signed it."""
import hashlib
import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from eventapp.certificates.models import Certificate, Credential
from eventapp.core.extensions import db
from eventapp.teams.models import Team, TeamMember

from .. import factories
from ..helpers import sign_in_page

pytestmark = pytest.mark.e2e


@pytest.fixture
def live_server_config():
    return {"JOBS_BACKEND": "thread"}  # the embedded default: the bulk issue runs beside the web server


def test_an_organiser_issues_certificates_in_bulk_and_a_team_checks_its_own(app, make, organiser, new_page,
                                                                              live_server):
    event, team_ids = factories.many_teams(app, make, organiser, 12)
    leader = make.user(name="نرگس نیک‌نام", email="narges@example.com")
    with app.app_context():
        team = db.session.get(Team, team_ids[0])
        team.members.append(TeamMember(event_id=event.id, user_id=leader.id, name=leader.name, is_leader=True))
        db.session.commit()

    page = new_page()
    sign_in_page(page, live_server, organiser.email)
    page.goto(f"{live_server}/organiser/events/{event.id}/certificates")
    with page.expect_navigation():
        page.locator("form[action$='/group/issue'] button").click()
    progress = page.locator(".job")
    expect(progress.locator("progress")).to_be_visible()
    page.reload()  # the job's state lives in the database: the page shows it again after a reload
    expect(page.locator(".job")).to_have_attribute("data-status", "done", timeout=90_000)
    expect(page.locator("[data-field=done]")).to_have_text("۱۲")
    expect(page.locator("[data-field=failed]")).to_have_text("۰")

    team_page = new_page()
    sign_in_page(team_page, live_server, leader.email)
    team_page.goto(f"{live_server}/teams/{team_ids[0]}")
    with team_page.expect_download() as download:
        team_page.locator("#certificates a.button").first.click()
    pdf = open(download.value.path(), "rb").read()
    with app.app_context():
        stored = db.session.scalar(db.select(Certificate).where(Certificate.team_id == team_ids[0]))
        assert hashlib.sha256(pdf).hexdigest() == stored.sha256

    own = team_page.locator("[data-testid=credential]", has_text="اعتبارنامهٔ Open Badges شما")
    with team_page.expect_download() as badge_download:
        own.locator("[data-testid=badge-link]").click()
    with Image.open(io.BytesIO(open(badge_download.value.path(), "rb").read())) as badge, app.app_context():
        mine = db.session.scalar(db.select(Credential).where(Credential.user_id == leader.id))
        assert badge.format == "PNG" and badge.text["openbadgecredential"] == mine.token

    team_page.goto(f"{live_server}/verify")
    team_page.set_input_files("input[name=document]", download.value.path())
    with team_page.expect_navigation():
        team_page.locator("form[enctype] button[type=submit]").click()
    expect(team_page.locator(".verdict--valid")).to_be_visible()
    expect(team_page.locator("[data-testid=file-signer]")).to_contain_text("Dawn of Progress (tests)")
