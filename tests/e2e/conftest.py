"""A live server on a free local port and Debian's Chromium driven by Playwright."""
import threading

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from ..helpers import make_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture
def live_server_config():
    """Settings of the live server beyond the test app's (a test module overrides this fixture)."""
    return {}


@pytest.fixture
def live_server(app, database_url, tmp_path, live_server_config):
    """The real app (CSRF on) on the suite's database, served from a thread."""
    served = make_app(database_url, WTF_CSRF_ENABLED=True, SERVER_NAME=None, UPLOAD_DIR=str(tmp_path / "uploads"),
                      **live_server_config)
    server = make_server("127.0.0.1", 0, served, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser):
    """Pages of separate browsers (their own cookies), phone-sized: new_page() for each person."""
    contexts = []

    def open_page():
        context = browser.new_context(viewport={"width": 360, "height": 780})
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()
