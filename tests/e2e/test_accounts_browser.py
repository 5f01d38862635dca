"""In Chromium, as a person on a phone: sign up, sign out, sign in, switch the language."""
import pytest

pytestmark = pytest.mark.e2e


def test_sign_up_sign_in_and_switch_language(live_server, page):
    page.goto(f"{live_server}/signup")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "fa"

    page.fill("#name", "فاطمه كريمي")  # typed with Arabic kaf and yeh
    page.fill("#email", "fatemeh@example.com")
    page.fill("#mobile", "۰۹۱۲۳۴۵۶۷۸۹")
    page.fill("#password", "a long password")
    page.fill("#confirm", "a long password")
    page.click("form.form button[type=submit]")
    page.wait_for_url("**/account/mobile/verify**")  # the new number is sent a code; verifying can wait
    page.click(".actions a")
    page.wait_for_url(f"{live_server}/")
    assert "فاطمه کریمی" in page.locator(".account__name").inner_text()

    page.click("text=خروج")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/signin")
    page.fill("#email", "fatemeh@example.com")
    page.fill("#password", "a long password")
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    assert page.locator(".account__name").is_visible()

    page.click("[data-testid=switch-language]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").first.inner_text() == "Dawn of Progress"

    page.reload()  # the choice is remembered
    assert page.locator("html").get_attribute("dir") == "ltr"

    page.click("[data-testid=switch-language]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("h1").first.inner_text() == "طلوع پیشرفت"


def test_pages_load_nothing_from_another_host(live_server, page):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{live_server}/signup")
    page.wait_for_load_state("networkidle")
    assert requested and all(url.startswith(live_server) for url in requested)
    fonts = page.evaluate("document.fonts.check('16px Vazirmatn')")
    assert fonts
