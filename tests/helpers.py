"""What the test modules share: the test app, reading rows back, places, signing in, and what a page says.

Test data (rows, and what tests pass to services) is built in factories.py; fixtures are in conftest.py.
"""
import functools
import html
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import func, select

from eventapp import create_app
from eventapp.audit.models import AuditEntry
from eventapp.core.extensions import db
from eventapp.events.models import County

TEST_PASSWORD = "correct horse battery"


def make_app(database_url: str, **overrides):
    """The app as the tests run it: CSRF off, jobs inline, on ``database_url``, signing with test keys."""
    return create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": "localhost",
        "JOBS_BACKEND": "inline",
        **process_settings(),
        **overrides,
    })


@functools.cache
def process_settings() -> dict:
    """Settings of the test process, for its apps and the commands it starts alike: the page cache's folder (a
    temporary one, not the project's instance folder) and the signing keys."""
    return {"PAGE_CACHE_DIR": tempfile.mkdtemp(prefix="eventapp-test-page-cache-"), **signing_key_files()}


@functools.cache
def signing_key_files() -> dict:
    """The settings of a signing key and a credential key made once per test process (as `flask certificates
    keygen` makes them)."""
    from eventapp.certificates.services.credentials import write_keys

    folder = Path(tempfile.mkdtemp(prefix="eventapp-test-keys-"))
    key_file, credential_file = folder / "signing-key.p12", folder / "credential-key.jwk"
    write_keys(key_file, credential_file, "Dawn of Progress (tests)", TEST_KEY_PASSWORD, datetime.now(UTC))
    return {"CERTIFICATE_SIGNING_KEY_FILE": str(key_file), "CERTIFICATE_SIGNING_KEY_PASSWORD": TEST_KEY_PASSWORD,
            "CREDENTIAL_KEY_FILE": str(credential_file)}


TEST_KEY_PASSWORD = "test key password"


# --- rows ----------------------------------------------------------------------------------------------


def get(model, row_id):
    """The row of ``model`` with that id, in the current app context's session."""
    return db.session.get(model, row_id)


def count(app, model, **where) -> int:
    """How many rows of ``model`` (with these column values) the database holds, read in a fresh context."""
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def audit_entries(app, action) -> list[AuditEntry]:
    with app.app_context():
        return db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)).all()


def first_county(province_id: int | None = None) -> County:
    """The first county (of the province, if given): where the factories put teams unless told otherwise."""
    query = select(County).order_by(County.id)
    if province_id is not None:
        query = query.where(County.province_id == province_id)
    return db.session.scalars(query).first()


def places(app) -> SimpleNamespace:
    """The county the factories use, its province, and a county of another province."""
    with app.app_context():
        county = first_county()
        other = db.session.scalars(
            select(County).where(County.province_id != county.province_id).order_by(County.id)).first()
        return SimpleNamespace(province=county.province_id, county=county.id,
                               other_province=other.province_id, other_county=other.id)


# --- signing in ----------------------------------------------------------------------------------------


def sign_in(client, user_or_email, password=TEST_PASSWORD):
    """Post the sign-in form with the test client; the response tells whether it worked."""
    email = getattr(user_or_email, "email", user_or_email)
    return client.post("/signin", data={"email": email, "password": password})


def signed_in(client, user):
    """``client``, signed in as ``user`` (the test stops if the sign-in is refused)."""
    response = sign_in(client, user)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def client_of(app, user, language=None):
    """A browser of its own (in ``language``, if given), signed in as ``user``."""
    client = app.test_client()
    if language:
        client.set_cookie("lang", language)
    return signed_in(client, user)


def forget_cached(app) -> None:
    """Empty the page cache (pages, the signed-in people): the next request's statements are all counted."""
    from eventapp.core import page_cache

    with app.app_context():
        page_cache.clear()


def sign_in_page(page, base_url, email, password=TEST_PASSWORD):
    """Sign in through the form in a real browser's page (Playwright)."""
    page.goto(f"{base_url}/signin")
    page.fill("#email", email)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form.form button[type=submit]")


# --- what a page says ----------------------------------------------------------------------------------


def page_text(response) -> str:
    """The visible text of a page, without tags, for assertions on what a user reads."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def visible(response) -> str:
    """The page's text as read, with its entities (``&amp;``, ``&#34;``...) turned back into characters."""
    return html.unescape(page_text(response))
