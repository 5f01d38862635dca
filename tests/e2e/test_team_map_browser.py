"""In Chromium on a phone: register a team, invite a member, write and submit a map with two
indicators and one attachment."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.core.mail import message_sent
from eventapp.teams import services
from eventapp.teams.models import ProgressMap, Team

from ..helpers import sign_in_page

pytestmark = pytest.mark.e2e


@pytest.fixture
def open_event(make):
    """Registration and submission both open now (they may overlap)."""
    now = utcnow()
    return make.event(slug="browser-event", min_team_size=2, schedule={
        "registration": (now - timedelta(days=5), now + timedelta(days=5)),
        "submission": (now - timedelta(days=1), now + timedelta(days=10)),
        "judging": (now + timedelta(days=11), now + timedelta(days=20)),
        "results": (now + timedelta(days=21), now + timedelta(days=30)),
    })


@pytest.fixture
def mails(app):
    sent = []
    receiver = lambda sender, message: sent.append(message)  # noqa: E731
    message_sent.connect(receiver)
    yield sent
    message_sent.disconnect(receiver)


def test_register_invite_write_and_submit_a_map(app, live_server, new_page, make, organiser, open_event, mails):
    leader = make.user(name="مریم حسینی", email="leader@example.com")
    invitee = make.user(name="رضا کریمی", email="reza@example.com")
    page = new_page()
    sign_in_page(page, live_server, leader.email)

    # Register the team.
    page.goto(f"{live_server}/events/{open_event.slug}")
    page.click("text=ثبت‌نام گروه")
    page.fill("#name", "گروه جهادي شهيد باكري")  # Arabic yeh and kaf
    page.select_option("#organisation_type", "jihadi")
    page.fill("#organisation_name", "بسیج دانشجویی")
    page.select_option("#province", label="یزد")
    page.select_option("#county", label="بافق")
    page.fill("#introduction", "گروهی از دانشجویان که از ۱۴۰۲ در روستاهای بافق کار می‌کنند.")
    with page.expect_navigation():
        page.click("form.form button[type=submit]")
    assert "گروه جهادی شهید باکری" in page.locator("h1").inner_text()

    # Invite a member, who signs in on their own phone and joins.
    page.fill("#email", invitee.email)
    with page.expect_navigation():
        page.click("text=ارسال دعوت‌نامه")
    link = next(word for word in mails[-1].get_content().split() if "/invitations/" in word)
    other = new_page()
    sign_in_page(other, live_server, invitee.email)
    other.goto(link)
    with other.expect_navigation():
        other.click("main form button[type=submit]")
    assert invitee.name in other.locator("table").inner_text(timeout=5000)

    with app.app_context():
        team = db.session.scalar(select(Team).where(Team.event_id == open_event.id))
        services.decide_team(db.session.get(type(organiser), organiser.id), team, "approved", "", utcnow())
        db.session.commit()
        team_id = team.id

    # Write the map: region, sections, two indicators, one action.
    page.goto(f"{live_server}/teams/{team_id}/map")
    page.fill("#title", "احیای قنات‌های بافق")
    page.select_option("#province", label="یزد")
    page.select_option("#county", label="بافق")
    page.fill("#district", "روستای همت‌آباد")
    for editor in page.locator(".editor__area").all():
        editor.click()
        editor.type("قنات‌ها خشک شده‌اند و جوانان روستا را ترک می‌کنند.")
    page.fill("#indicators-0-name", "آبدهی قنات")
    page.fill("#indicators-0-unit", "لیتر بر ثانیه")
    page.fill("#indicators-0-baseline", "۱۲")
    page.fill("#indicators-0-target", "۳۰")
    page.click("text=افزودن شاخص")
    page.fill("#indicators-1-name", "خانوارهای ساکن")
    page.fill("#indicators-1-target", "۱۵۰")
    page.fill("#actions-0-what", "لایروبی مادرچاه")
    page.fill("#actions-0-responsible", "گروه و شورای روستا")
    with page.expect_navigation():
        page.click("text=ذخیره پیش‌نویس")
    assert page.locator(".flash--success").is_visible()

    # Attach a PDF, then submit.
    page.set_input_files("#file", files=[{"name": "طرح.pdf", "mimeType": "application/pdf",
                                          "buffer": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"}])
    with page.expect_navigation():
        page.click("#attachments button[type=submit]")
    assert "طرح.pdf" in page.locator("#attachments").inner_text()
    with page.expect_navigation():
        page.click("section.panel--accent button[type=submit]")
    assert page.locator(".flash--success").is_visible(), page.locator(".flash").all_inner_texts()

    with app.app_context():
        progress_map = db.session.scalar(select(ProgressMap).where(ProgressMap.team_id == team_id))
        assert progress_map.is_locked
        assert [i.name for i in progress_map.indicators] == ["آبدهی قنات", "خانوارهای ساکن"]
        assert progress_map.indicators[0].baseline == 12 and progress_map.indicators[1].target == 150
        assert len(progress_map.attachments) == 1
        assert "<p>" in progress_map.knowledge or "قنات" in progress_map.knowledge
