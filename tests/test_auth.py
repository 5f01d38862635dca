"""Accounts: sign-up, sign-in and its throttle, sign-out, password reset, roles."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eventapp.audit.models import AuditEntry
from eventapp.auth import services
from eventapp.auth.models import PasswordResetToken, User
from eventapp.core.database import utcnow
from eventapp.core.errors import Invalid, NotAllowed, TooManyAttempts
from eventapp.core.extensions import db

from .helpers import TEST_PASSWORD, page_text, sign_in

SIGNUP = {
    "name": "زهرا  علي‌پور",
    "email": "Zahra@Example.com",
    "mobile": "۰۹۱۲ ۳۴۵ ٦٧٨٩",
    "password": "a long password",
    "confirm": "a long password",
}


def reset_link(message) -> str:
    body = message.get_content()
    return next(word for word in body.split() if "/password/reset/" in word)


# --- sign-up -------------------------------------------------------------------------------

def test_sign_up_creates_a_member_with_normalised_input_and_signs_in(app, client):
    response = client.post("/signup", data=SIGNUP)
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User))
        assert user.email == "zahra@example.com"
        assert user.name == "زهرا علی‌پور"  # Arabic yeh made Persian, ZWNJ kept, spaces folded
        assert user.mobile == "09123456789"
        assert user.roles == set()
        assert user.password_hash.startswith("$argon2id$")
    assert "زهرا" in page_text(client.get("/"))


@pytest.mark.parametrize("field, value, message", [
    ("mobile", "0212345678", "Enter an Iranian mobile number of 11 digits starting with 09."),
    ("mobile", "۰۸۱۲۳۴۵۶۷۸۹", "Enter an Iranian mobile number of 11 digits starting with 09."),
    ("email", "not-an-email", "Enter a valid email address."),
    ("password", "short", "The password must be 8 to 128 characters long."),
    ("confirm", "another password", "The two passwords are not the same."),
    ("name", "", "Enter your name."),
])
def test_sign_up_refuses_bad_input_next_to_the_field_and_saves_nothing(app, client, field, value, message):
    client.set_cookie("lang", "en")
    response = client.post("/signup", data={**SIGNUP, field: value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<p class="field__error">{message}</p>' in html
    assert f'id="{field}-help"' in html
    with app.app_context():
        assert db.session.scalar(select(User)) is None


@pytest.mark.parametrize("password", ["password", "Password1", "12345678", "۱۲۳۴۵۶۷۸", "qwertyuiop", "حشسسصخقی"])
def test_sign_up_refuses_a_common_password(app, client, password):
    client.set_cookie("lang", "en")
    response = client.post("/signup", data={**SIGNUP, "password": password, "confirm": password})
    assert response.status_code == 422
    assert "This password is one of the most common ones" in page_text(response)
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_no_service_sets_a_common_password(app, ctx, member, outbox):
    """The rule holds for every way in (the command line's accounts too), not only the web forms."""
    with pytest.raises(Invalid) as refused:
        services.register("Someone", "someone@example.com", "09121234567", "iloveyou")
    assert "password" in refused.value.fields
    services.request_password_reset(member.email, utcnow(), link_for=lambda token: f"/password/reset/{token}")
    token = reset_link(outbox[0]).rsplit("/", 1)[1]
    with pytest.raises(Invalid):
        services.reset_password(token, "password123", utcnow())
    assert services.authenticate(member.email, TEST_PASSWORD, "203.0.113.9", utcnow()).id == member.id


def test_sign_up_with_a_taken_email_says_so(client, member):
    client.set_cookie("lang", "en")
    response = client.post("/signup", data={**SIGNUP, "email": member.email.upper()})
    assert response.status_code == 422
    assert "An account with this email already exists." in page_text(response)
    assert '<p class="field__error">This email already has an account.</p>' in response.get_data(as_text=True)


def _sign_up(app, number: int):
    """One more person signs up from the test client's (shared) address, in a browser of their own."""
    return app.test_client().post("/signup", data={**SIGNUP, "email": f"student{number}@example.com"})


def test_a_class_of_thirty_signs_up_from_one_campus_address(app):
    assert all(_sign_up(app, number).status_code == 302 for number in range(30))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 30


def test_sign_ups_from_one_address_are_still_bounded(app, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNUP_RATE_LIMIT", "3 per hour")
    assert [_sign_up(app, number).status_code for number in range(4)] == [302, 302, 302, 429]


# --- sign-in and sign-out ------------------------------------------------------------------

def test_sign_in_and_out(client, member):
    response = sign_in(client, member)
    assert response.status_code == 302
    assert member.name in page_text(client.get("/"))
    assert client.post("/signout").status_code == 302
    assert member.name not in page_text(client.get("/"))


def _browser_with(app, name, value):
    """A fresh browser that holds only the cookie ``name`` (as an attacker who copied it would)."""
    browser = app.test_client()
    browser.set_cookie(name, value)
    return browser


@pytest.mark.parametrize("cookie", ["session", "remember_token"])
def test_a_cookie_copied_before_sign_out_does_not_work_after_it(app, client, member, cookie):
    response = client.post("/signin", data={"email": member.email, "password": TEST_PASSWORD, "remember": "y"})
    assert response.status_code == 302
    copied = client.get_cookie(cookie).value
    assert member.name in page_text(_browser_with(app, cookie, copied).get("/"))  # the copy works while signed in
    client.post("/signout")
    assert member.name not in page_text(_browser_with(app, cookie, copied).get("/"))
    assert _browser_with(app, cookie, copied).get("/teams").status_code == 302  # sent to the sign-in page
    assert sign_in(client, member).status_code == 302  # signing in again works


def test_sign_in_goes_to_the_page_that_asked_for_it_but_never_to_another_site(client, organiser):
    response = client.post("/signin?next=/organiser/events", data={"email": organiser.email, "password": TEST_PASSWORD})
    assert response.headers["Location"].endswith("/organiser/events")
    client.post("/signout")
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(f"/signin?next={evil}", data={"email": organiser.email, "password": TEST_PASSWORD})
        assert "evil" not in response.headers["Location"]
        client.post("/signout")


def test_a_wrong_password_is_refused_with_a_clear_message(client, member):
    client.set_cookie("lang", "en")
    response = sign_in(client, member, "wrong password")
    assert response.status_code == 422
    assert "The email or the password is not right." in page_text(response)


def test_sign_in_is_throttled_per_account(app, client, member):
    client.set_cookie("lang", "en")
    limit = app.config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"]
    for _ in range(limit):
        assert sign_in(client, member, "wrong password").status_code == 422
    response = sign_in(client, member)  # even the right password is refused now
    assert response.status_code == 429
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in page_text(response)


def test_sign_in_is_throttled_per_address_across_accounts(app, ctx, monkeypatch):
    limit = 10  # the mechanism, with a smaller limit than the default (which a campus shares)
    monkeypatch.setitem(app.config, "SIGNIN_MAX_FAILURES_PER_ADDRESS", limit)
    now = utcnow()
    for attempt in range(limit):
        with pytest.raises(Invalid):
            services.authenticate(f"nobody{attempt}@example.com", "x" * 8, "203.0.113.9", now)
    with pytest.raises(TooManyAttempts):
        services.authenticate("someone.else@example.com", "x" * 8, "203.0.113.9", now)
    # Another address is not affected.
    with pytest.raises(Invalid):
        services.authenticate("someone.else@example.com", "x" * 8, "198.51.100.1", now)


def test_a_class_behind_one_address_can_mistype_and_still_sign_in(app, ctx, make):
    students = [make.user(email=f"student{number}@example.com") for number in range(30)]
    now = utcnow()
    for student in students:  # the whole class types at once, and everyone gets it wrong the first time
        with pytest.raises(Invalid):
            services.authenticate(student.email, "a typo in it", "203.0.113.9", now)
    for student in students:
        assert services.authenticate(student.email, TEST_PASSWORD, "203.0.113.9", now).id == student.id
        db.session.commit()


def test_the_throttle_lifts_after_the_window(app, ctx, member):
    now = utcnow()
    for _ in range(app.config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"]):
        with pytest.raises(Invalid):
            services.authenticate(member.email, "wrong password", "203.0.113.9", now)
    with pytest.raises(TooManyAttempts):
        services.authenticate(member.email, TEST_PASSWORD, "203.0.113.9", now)
    later = now + timedelta(seconds=app.config["SIGNIN_WINDOW_SECONDS"] + 1)
    assert services.authenticate(member.email, TEST_PASSWORD, "203.0.113.9", later).id == member.id


# --- password reset ------------------------------------------------------------------------

def test_password_reset_link_works_once(app, client, member, outbox):
    client.set_cookie("lang", "en")
    response = client.post("/password/forgot", data={"email": member.email})
    assert response.status_code == 302
    assert len(outbox) == 1 and outbox[0]["To"] == member.email
    link = reset_link(outbox[0])
    with app.app_context():
        assert db.session.scalar(select(PasswordResetToken.token_hash)) not in link  # only a hash is stored

    new = {"password": "a brand new password", "confirm": "a brand new password"}
    assert client.post(link, data=new).status_code == 302
    assert sign_in(client, member, "a brand new password").status_code == 302
    client.post("/signout")
    assert sign_in(client, member, TEST_PASSWORD).status_code == 422

    again = client.post(link, data={"password": "third password!", "confirm": "third password!"})
    assert again.status_code == 302 and again.headers["Location"].endswith("/password/forgot")
    assert "invalid, was already used or has expired" in page_text(client.get("/password/forgot"))
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "password.reset"))
        assert entry.actor_id == member.id


def test_a_reset_refuses_a_common_password_next_to_the_field(app, client, member, outbox):
    client.set_cookie("lang", "en")
    client.post("/password/forgot", data={"email": member.email})
    link = reset_link(outbox[0])
    response = client.post(link, data={"password": "password1", "confirm": "password1"})
    assert response.status_code == 422
    assert "This password is one of the most common ones" in page_text(response)
    assert sign_in(client, member, "password1").status_code == 422
    assert client.get(link).status_code == 200  # the link is not spent


def test_password_reset_link_expires(app, ctx, member, outbox):
    now = utcnow()
    services.request_password_reset(member.email, now, link_for=lambda token: f"/password/reset/{token}")
    token = reset_link(outbox[0]).rsplit("/", 1)[1]
    max_age = app.config["PASSWORD_RESET_MAX_AGE"]
    services.check_reset_token(token, now + timedelta(seconds=max_age - 1))
    with pytest.raises(Invalid):
        services.reset_password(token, "a brand new password", now + timedelta(seconds=max_age))


def test_a_reset_signs_out_every_other_session(app, member, outbox):
    other_device = app.test_client()
    sign_in(other_device, member)
    assert member.name in page_text(other_device.get("/"))
    client = app.test_client()
    client.post("/password/forgot", data={"email": member.email})
    client.post(reset_link(outbox[0]), data={"password": "a brand new password", "confirm": "a brand new password"})
    assert member.name not in page_text(other_device.get("/"))


def test_reset_mails_are_bounded_per_account_not_per_address(app, client, make, member, outbox):
    limit = app.config["PASSWORD_RESET_MAILS_PER_HOUR"]
    for _ in range(limit + 2):
        assert client.post("/password/forgot", data={"email": member.email}).status_code == 302
    assert len(outbox) == limit  # the inbox is not flooded, and the page said the same every time
    classmates = [make.user(email=f"student{number}@example.com") for number in range(10)]
    for classmate in classmates:  # the same address asks for ten other accounts: each gets its mail
        client.post("/password/forgot", data={"email": classmate.email})
    assert [message["To"] for message in outbox[limit:]] == [classmate.email for classmate in classmates]


def test_forgot_password_does_not_tell_whether_an_account_exists(client, member, outbox):
    known = client.post("/password/forgot", data={"email": member.email}, follow_redirects=True)
    unknown = client.post("/password/forgot", data={"email": "nobody@example.com"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert page_text(known).replace(member.email, "") == page_text(unknown).replace("nobody@example.com", "")
    assert len(outbox) == 1


def test_mail_goes_to_the_log_without_smtp_settings(client, member, caplog):
    caplog.set_level("INFO", logger="eventapp.mail")
    client.post("/password/forgot", data={"email": member.email})
    assert "/password/reset/" in caplog.text and member.email in caplog.text


def test_mail_is_sent_through_smtp_when_configured(app, ctx, member, monkeypatch):
    sent = []

    class FakeSMTP:
        def __init__(self, host, port, timeout):
            sent.append(("connect", host, port))

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def starttls(self):
            sent.append(("starttls",))

        def login(self, user, password):
            sent.append(("login", user))

        def send_message(self, message):
            sent.append(("send", message["To"]))

    monkeypatch.setattr("smtplib.SMTP", FakeSMTP)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.com")
    monkeypatch.setitem(app.config, "MAIL_USERNAME", "mailer")
    services.request_password_reset(member.email, utcnow(), link_for=lambda token: token)
    assert sent == [("connect", "smtp.example.com", 587), ("starttls",), ("login", "mailer"), ("send", member.email)]


# --- roles ---------------------------------------------------------------------------------

def test_admin_grants_and_removes_the_organiser_role_and_it_is_audited(app, client, login, admin, member):
    login(admin)
    response = client.post(f"/admin/users/{member.id}/roles", data={"role": "organiser", "grant": "1"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, member.id).is_organiser
    client.post(f"/admin/users/{member.id}/roles", data={"role": "organiser", "grant": "0"})
    with app.app_context():
        assert not db.session.get(User, member.id).is_organiser
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["role.granted", "role.removed"]


@pytest.mark.parametrize("who", ["member", "organiser", "judge"])
def test_only_an_admin_may_change_roles(app, client, login, request, who, make):
    actor = request.getfixturevalue(who)
    target = make.user(email="target@example.com")
    login(actor)
    assert client.get("/admin/users").status_code == 403
    response = client.post(f"/admin/users/{target.id}/roles", data={"role": "organiser", "grant": "1"})
    assert response.status_code == 403
    with app.app_context():
        assert not db.session.get(User, target.id).is_organiser


def test_the_admin_role_cannot_be_granted_from_the_web(app, ctx, admin, member):
    actor, target = db.session.get(User, admin.id), db.session.get(User, member.id)
    with pytest.raises(Invalid):
        services.set_role(actor, target, "admin", True, utcnow())
    with pytest.raises(NotAllowed):
        services.set_role(target, actor, "judge", True, utcnow())


def test_accounts_page_searches_persian_names_however_typed(client, login, admin, make):
    make.user(name="علی رضایی", email="ali@example.com")
    login(admin)
    text = page_text(client.get("/admin/users?q=علي رضايي"))  # typed with Arabic yeh
    assert "ali@example.com" in text


def test_sign_up_returns_to_the_page_that_asked_for_it(client):
    """An invitee without an account signs up from the invitation link and comes back to it."""
    response = client.post("/signup?next=/invitations/some-token", data=SIGNUP)
    assert response.headers["Location"].endswith("/invitations/some-token")
    client.post("/signout")
    evil = client.post("/signup?next=https://evil.example/", data={**SIGNUP, "email": "other@example.com"})
    assert "evil" not in evil.headers["Location"]
