"""In Chromium, as people would: an organiser at a desk (1280 px) approves a team and sends an announcement to
every team of the event; the team's leader, on a phone (360 px) and in Persian, finds both in the inbox and
opens one; both emails reach a real SMTP server, in Persian, right to left."""
import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from eventapp.core.text import persian_digits

from .. import factories
from ..helpers import sign_in_page
from .test_accessibility import AXE, serious_findings

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/notif-shots")
DESK = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}

EVENT_FA = "جشنواره طلوع پیشرفت 1405"
TEAM = "گروه جهادی 12"
REASON = "مدارک گروه کامل است؛ خوش آمدید."
TITLE_FA = "جلسه آموزشی {team}"
BODY_FA = "سلام {name}، جلسه آموزشی ساعت 10 صبح روز 5 مهر برگزار می‌شود."
TITLE_EN = "Training session for {team}"
BODY_EN = "Hello {name}, the training session is at 10 a.m. on 27 September."

LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’]*(?:[ \t]+[A-Za-z][A-Za-z'’]*)*")


def latin_words(text: str) -> list[str]:
    """The runs of English words in a text that should be all Persian."""
    return LATIN_WORD.findall(text)


@pytest.fixture
def live_server_config(smtp_server):
    """The live app (a separate app from the suite's) sends its mail to the test SMTP server, jobs inline."""
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "MAIL_USE_TLS": False, "MAIL_USE_SSL": False,
            "MAIL_USERNAME": None, "JOBS_BACKEND": "inline"}


@pytest.fixture
def desk_page(browser):
    """A page of a browser of its own on a desktop screen."""
    context = browser.new_context(viewport=DESK)
    yield context.new_page()
    context.close()


@pytest.fixture
def world(app, make, organiser):
    """An event in registration with a pending team led by a Persian reader, and an approved team led by an
    English reader."""
    event = make.event(slug="notifications-browser", title_fa=EVENT_FA, title_en="Dawn of Progress 1405")
    leader = make.user(name="لیلا احمدی", email="leila@example.com", locale="fa")
    other = make.user(name="Omid Rahimi", email="omid@example.com", locale="en")
    team_id = factories.team_in(app, event.id, leader, status="pending", name=TEAM)
    factories.team_in(app, event.id, other, name="Team Two")
    return type("World", (), {"event": event, "leader": leader, "other": other, "team_id": team_id})


def mail_to(smtp_server, address: str, count: int, timeout: float = 10) -> list:
    """The messages the SMTP server received for ``address``, once there are ``count`` of them."""
    deadline = time.monotonic() + timeout
    while len(smtp_server.to(address)) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return smtp_server.to(address)


def unread_badge(page):
    return page.locator("[data-testid=unread-count] [aria-hidden=true]")


def test_an_approval_and_an_announcement_reach_the_leaders_inbox_and_mailbox(app, live_server, desk_page, new_page,
                                                                            browser, smtp_server, organiser, world):
    SHOTS.mkdir(parents=True, exist_ok=True)
    not_persian = []  # (where, English words): what a Persian reader reads in English

    # 1. The organiser, at a desk: approves the pending team from the event's team list...
    desk = desk_page
    sign_in_page(desk, live_server, organiser.email)
    desk.goto(f"{live_server}/organiser/events/{world.event.id}/teams")
    row = desk.locator("table.table tbody tr").filter(
        has=desk.locator(f"form[action$='/organiser/teams/{world.team_id}/decision']"))
    expect(row).to_have_count(1)
    assert persian_digits(TEAM) in row.inner_text()
    row.locator("select[name=status]").select_option("approved")
    row.locator("input[name=reason]").fill(REASON)
    with desk.expect_navigation():
        row.locator("button[type=submit]").first.click()
    assert desk.url.startswith(f"{live_server}/organiser/events/{world.event.id}/teams")
    expect(desk.locator(".flash--success")).to_contain_text(persian_digits(TEAM))
    row = desk.locator("table.table tbody tr").filter(
        has=desk.locator(f"form[action$='/organiser/teams/{world.team_id}/decision']"))
    expect(row.locator(".badge--approved")).to_have_count(1)

    # ...then, from the event's page, writes an announcement to every team of the event, in both languages.
    desk.goto(f"{live_server}/events/{world.event.slug}")
    with desk.expect_navigation():
        desk.locator(f"a[href$='/organiser/events/{world.event.id}/notifications']").first.click()
    with desk.expect_navigation():
        desk.locator(f"a[href$='/organiser/events/{world.event.id}/announcements/new']").click()
    desk.select_option("#audience", "all_teams")
    desk.fill("#title_fa", TITLE_FA)
    persian_text, english_text = desk.locator(".editor__area").all()  # the rich text editors app.js adds
    persian_text.click()
    persian_text.type(BODY_FA)
    desk.fill("#title_en", TITLE_EN)
    english_text.click()
    english_text.type(BODY_EN)
    with desk.expect_navigation():
        desk.locator("form.form button[type=submit]").click()
    assert re.fullmatch(rf"{re.escape(live_server)}/organiser/announcements/\d+", desk.url), desk.url

    # The preview: who receives it (the two leaders, one reading Persian, one English) and what they read.
    recipients = desk.locator("[data-testid=recipient-count]")
    expect(recipients).to_contain_text(persian_digits("2"))
    assert recipients.inner_text().count(persian_digits("1")) == 2  # in Persian: 1, in English: 1
    persian_card = desk.locator("article[lang=fa]")
    expect(persian_card).to_contain_text("جلسه آموزشی")
    expect(desk.locator("article[lang=en]")).to_contain_text("Training session for")
    desk.screenshot(path=str(SHOTS / "announcement-preview-1280.png"), full_page=True)
    with desk.expect_navigation():
        desk.locator("[data-testid=send-now]").click()
    expect(desk.locator(".flash--success")).to_contain_text(persian_digits("2"))
    expect(desk.locator("[data-testid=send-now]")).to_have_count(0)
    not_persian += [("the flash after sending", words) for words in latin_words(
        desk.locator(".flash--success").inner_text())]

    # 3. The emails, as the SMTP server received them.
    leader_mail = mail_to(smtp_server, world.leader.email, 2)
    assert len(leader_mail) == 2, [(message["To"], message["Subject"]) for message in smtp_server.messages]
    announced = [message for message in leader_mail if "جلسه آموزشی" in message["Subject"]]
    approved = [message for message in leader_mail if message not in announced]
    assert len(announced) == 1 and len(approved) == 1, [message["Subject"] for message in leader_mail]
    announced, approved = announced[0], approved[0]
    assert announced["Subject"] == f"جلسه آموزشی {persian_digits(TEAM)}"
    assert persian_digits(TEAM) in approved["Subject"]
    for message in (approved, announced):
        assert message["To"] == world.leader.email
        html = message.get_body(("html",)).get_content()
        assert 'dir="rtl"' in html and 'lang="fa"' in html
        not_persian += [(f"the email {message['Subject']!r}: subject", words)
                        for words in latin_words(message["Subject"])]
    approval_text = approved.get_body(("plain",)).get_content()
    assert REASON in approval_text
    assert persian_digits("1405") in approval_text and "1405" not in approval_text
    announcement_text = announced.get_body(("plain",)).get_content()
    assert "سلام لیلا احمدی" in announcement_text
    assert persian_digits("10") in announcement_text and persian_digits("5") + " مهر" in announcement_text
    # An announcement may be turned off (a link to the choices); a decision about the team may not.
    assert announced["List-Unsubscribe"] and "/account/notifications" in announced["List-Unsubscribe"]
    assert approved["List-Unsubscribe"] is None
    # The English reader got the announcement in English.
    other_mail = mail_to(smtp_server, world.other.email, 1)
    assert [message["Subject"] for message in other_mail] == ["Training session for Team Two"]
    assert 'dir="ltr"' in other_mail[0].get_body(("html",)).get_content()

    # 2. The leader, on a phone, in Persian: two unread in the top bar.
    phone = new_page()
    sign_in_page(phone, live_server, world.leader.email)
    assert phone.locator("html").get_attribute("dir") == "rtl"
    expect(unread_badge(phone)).to_have_text(persian_digits("2"))
    badge, link = (phone.locator(selector).bounding_box()
                   for selector in ("[data-testid=unread-count]", "[data-testid=inbox-link]"))
    assert 0 <= badge["x"] and badge["x"] + badge["width"] <= PHONE["width"], badge  # on the screen
    assert link["x"] <= badge["x"] and badge["x"] + badge["width"] <= link["x"] + link["width"] + 1, (badge, link)

    with phone.expect_navigation():
        phone.locator("[data-testid=inbox-link]").click()
    assert phone.url == f"{live_server}/inbox"
    items = phone.locator("[data-testid=inbox] > li")
    expect(items).to_have_count(2)
    expect(phone.locator(".inbox__item--unread")).to_have_count(2)
    approval = items.filter(has_text=REASON)
    announcement = items.filter(has_text="سلام لیلا احمدی")
    expect(approval).to_have_count(1)
    expect(announcement).to_have_count(1)
    expect(approval).to_contain_text(persian_digits(TEAM))
    expect(approval).to_contain_text(persian_digits("1405"))
    expect(announcement.locator(".inbox__title")).to_contain_text(f"جلسه آموزشی {persian_digits(TEAM)}")
    expect(announcement).to_contain_text(f"ساعت {persian_digits('10')} صبح روز {persian_digits('5')} مهر")
    for item in (approval, announcement):
        assert not re.search("[0-9]", item.inner_text()), item.inner_text()  # every digit Persian, the dates too
    for where, locator in (("the inbox's heading", phone.locator(".page-head")),
                           ("the inbox's tabs", phone.locator("nav.tabs")),
                           ("the approval in the inbox", approval), ("the announcement in the inbox", announcement)):
        not_persian += [(where, words) for words in latin_words(locator.inner_text())]
    phone.screenshot(path=str(SHOTS / "inbox-fa-360.png"), full_page=True)
    phone.screenshot(path=str(SHOTS / "inbox-fa-360-top.png"))
    overflow = phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the inbox is {overflow} px wider than the phone"

    # 4. axe-core on the inbox, in the leader's session (a context that lets the inline script in).
    assert AXE.exists(), "axe-core is installed by `make test` (npm ci)"
    checking = browser.new_context(viewport=PHONE, bypass_csp=True, storage_state=phone.context.storage_state())
    try:
        checked = checking.new_page()
        checked.goto(f"{live_server}/inbox")
        expect(checked.locator("[data-testid=inbox] > li")).to_have_count(2)
        findings = serious_findings(checked)
    finally:
        checking.close()
    assert not findings, "\n".join(findings)

    # Opening the approval goes to the team's page, and the count drops to one.
    with phone.expect_navigation():
        approval.locator("form[action$='/open'] button").click()
    assert phone.url == f"{live_server}/teams/{world.team_id}"
    expect(unread_badge(phone)).to_have_text(persian_digits("1"))
    phone.goto(f"{live_server}/inbox")
    expect(phone.locator(".inbox__item--unread")).to_have_count(1)
    expect(phone.locator(".inbox__item--unread")).to_contain_text("سلام لیلا احمدی")

    assert not not_persian, "English words a Persian reader reads:\n" + "\n".join(
        f"{where}: {words!r}" for where, words in not_persian)
