"""Sign-in with a mobile number and a code sent by SMS, and verifying the number after sign-up.

The SMS go through the HTTP backend to a real local server standing in for the provider (``sms_server``); the
codes are read from what it received, Persian digits and all.
"""
import hashlib
import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from eventapp.auth import services
from eventapp.auth.models import OneTimeCode, User
from eventapp.core.database import utcnow
from eventapp.core.errors import Conflict, Invalid, TooManyAttempts
from eventapp.core.extensions import db
from eventapp.core.text import latin_digits, persian_digits

from .helpers import TEST_PASSWORD, audit_entries, count, get, page_text, sign_in

NUMBER = "09121234567"
ADDRESS = "203.0.113.9"
WRONG_CODE = "The code is wrong or has expired. Ask for a new code."
PERSIAN_OR_LATIN_CODE = re.compile(r"(?<![0-9۰-۹])[0-9۰-۹]{6}(?![0-9۰-۹])")


def code_of(text: str) -> str:
    """The code in a text message, in Latin digits (the message writes it in the reader's digits)."""
    return latin_digits(PERSIAN_OR_LATIN_CODE.search(text).group(0))


def last_code(sms_server, number=NUMBER) -> str:
    return code_of(sms_server.texts_to(number)[-1])


def english(client):
    client.set_cookie("lang", "en")
    return client


def ask_code(mobile=NUMBER, now=None, address=ADDRESS, purpose="signin", user=None):
    """request_code as a view runs it: then committed."""
    result = services.request_code(mobile, purpose, address, now or utcnow(), user=user)
    db.session.commit()
    return result


def try_code(code, now, mobile=NUMBER, address=ADDRESS, purpose="signin", user=None):
    """verify_code as a view runs it: committed on success, rolled back on a refusal."""
    try:
        account = services.verify_code(mobile, code, purpose, address, now, user=user)
    except Exception:
        db.session.rollback()
        raise
    db.session.commit()
    return account


# --- signing in through the pages ------------------------------------------------------------------------------

def test_signing_in_with_a_mobile_number_and_the_code_it_was_sent(app, client, make, sms_server):
    sara = make.user(name="سارا رضایی", mobile=NUMBER)
    assert "/signin/mobile" in client.get("/signin").get_data(as_text=True)  # the password page links to it

    response = client.post("/signin/mobile?next=/teams", data={"mobile": "+98 912 123 4567"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/signin/mobile/code?next=/teams")
    page = client.get(response.headers["Location"])
    assert page.status_code == 200 and persian_digits(NUMBER) in page_text(page)  # a Persian page: Persian digits

    [sent] = sms_server.requests
    assert (sent["receptor"], sent["apikey"], sent["sender"]) == (NUMBER, "test-key", "10004346")
    assert re.search("[۰-۹]{6}", sent["message"]) and not re.search("[0-9]", sent["message"])  # Persian digits only
    assert len(sent["message"]) <= 70  # one SMS in Persian (UCS-2)

    typed = persian_digits(code_of(sent["message"]))  # typed on a Persian phone keyboard
    response = client.post("/signin/mobile/code?next=/teams", data={"code": typed})
    assert response.status_code == 302 and response.headers["Location"].endswith("/teams")
    assert sara.name in page_text(client.get("/"))
    with app.app_context():
        assert get(User, sara.id).mobile_verified_at is not None  # receiving the code proved the number
    [entry] = audit_entries(app, "user.signed_in_by_mobile")
    assert entry.actor_id == sara.id and NUMBER not in str(entry.changes)


def test_the_code_step_never_sends_you_to_another_site(client, make, sms_server):
    make.user(mobile=NUMBER)
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        client.post("/signout")
        client.post(f"/signin/mobile?next={evil}", data={"mobile": NUMBER})
        response = client.post(f"/signin/mobile/code?next={evil}", data={"code": last_code(sms_server)})
        assert response.status_code == 302 and "evil" not in response.headers["Location"]


def test_the_number_is_kept_by_the_session_not_by_the_form(app, client, make, sms_server):
    """The code step takes the number the code was asked for, whatever number the form posts along."""
    make.user(mobile=NUMBER)
    other = make.user(mobile="09350000000")
    client.post("/signin/mobile", data={"mobile": NUMBER})
    assert client.get("/signin/mobile/code").status_code == 200
    response = client.post("/signin/mobile/code", data={"code": last_code(sms_server), "mobile": other.mobile})
    assert response.status_code == 302
    assert other.name not in page_text(client.get("/"))


def test_the_code_step_without_a_number_goes_back_to_the_number(client):
    response = client.get("/signin/mobile/code?next=/teams")
    assert response.status_code == 302 and response.headers["Location"].endswith("/signin/mobile?next=/teams")
    assert client.post("/signin/mobile/code", data={"code": "123456"}).status_code == 302


@pytest.mark.parametrize("typed", ["۰۹۱۲۱۲۳۴۵۶۷", "٠٩١٢١٢٣٤٥٦٧", "0098 912 123 4567", "98-912-123-4567", "9121234567"])
def test_a_number_typed_in_persian_or_arabic_digits_or_with_the_country_code_is_accepted(client, make, sms_server,
                                                                                      typed):
    make.user(mobile=NUMBER)
    assert client.post("/signin/mobile", data={"mobile": typed}).status_code == 302
    assert len(sms_server.texts_to(NUMBER)) == 1
    code = last_code(sms_server)
    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    assert client.post("/signin/mobile/code", data={"code": f" {arabic[:3]} {arabic[3:]} "}).status_code == 302


@pytest.mark.parametrize("typed", ["02188776655", "+44 7700 900123", "0912123456", "not a number", ""])
def test_a_number_that_is_not_an_iranian_mobile_is_refused_next_to_the_field(app, client, sms_server, typed):
    response = english(client).post("/signin/mobile", data={"mobile": typed})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'<p class="field__error">(Enter an Iranian mobile number of 11 digits starting with 09\.'
                     r'|Enter your mobile number\.)</p>', html)
    assert sms_server.requests == [] and count(app, OneTimeCode) == 0


def test_the_service_refuses_a_number_that_is_not_an_iranian_mobile(ctx, sms_server):
    with force_locale("en"), pytest.raises(Invalid) as refused:
        services.request_code("+44 7700 900123", "signin", ADDRESS, utcnow())
    assert str(refused.value) == "Enter an Iranian mobile number of 11 digits starting with 09."
    assert "mobile" in refused.value.fields and sms_server.requests == []


@pytest.mark.parametrize("code, status, message", [
    ("12345", 422, "The code has 6 digits."),
    ("abcdef", 422, "The code has 6 digits."),
    ("", 422, "Enter the code from the text message."),
    ("1" * 5000, 422, "The code has 6 digits."),
])
def test_a_malformed_code_is_a_form_error_not_a_500(client, make, sms_server, code, status, message):
    make.user(mobile=NUMBER)
    english(client).post("/signin/mobile", data={"mobile": NUMBER})
    response = client.post("/signin/mobile/code", data={"code": code})
    assert response.status_code == status
    assert f'<p class="field__error">{message}</p>' in response.get_data(as_text=True)


def test_a_wrong_code_is_refused_with_a_clear_message_and_signs_nobody_in(client, make, sms_server):
    user = make.user(name="Wrong Code", mobile=NUMBER)
    english(client).post("/signin/mobile", data={"mobile": NUMBER})
    wrong = f"{(int(last_code(sms_server)) + 1) % 1_000_000:06d}"
    response = client.post("/signin/mobile/code", data={"code": wrong})
    assert response.status_code == 422 and WRONG_CODE in page_text(response)
    assert user.name not in page_text(client.get("/"))


# --- no enumeration --------------------------------------------------------------------------------------------

def _without_tokens(html: str) -> str:
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]*"|name="csrf_token" value="[^"]*"', "", html)


def _token_of(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]*)"', html).group(1)


def _walk_through(app, number: str, language: str) -> list:
    """A fresh browser (CSRF on) asks a code for ``number`` and types a wrong one: each answer's status,
    location and page, with the tokens and the number taken out."""
    browser = app.test_client()
    browser.set_cookie("lang", language)
    answers = []
    form = browser.get("/signin/mobile")
    sent = browser.post("/signin/mobile", data={"mobile": number, "csrf_token": _token_of(form.get_data(as_text=True))})
    code_page = browser.get(sent.headers["Location"])
    refused = browser.post("/signin/mobile/code", data={"code": "000000",
                                                        "csrf_token": _token_of(code_page.get_data(as_text=True))})
    resent = browser.post("/signin/mobile/resend", data={"csrf_token": _token_of(code_page.get_data(as_text=True))})
    after_resend = browser.get(resent.headers["Location"])
    for response in (form, sent, code_page, refused, resent, after_resend):
        html = _without_tokens(response.get_data(as_text=True))
        html = html.replace(number, "NUMBER").replace(persian_digits(number), "NUMBER")
        answers.append((response.status_code, response.headers.get("Location"), html))
    return answers


@pytest.mark.parametrize("language", ["fa", "en"])
def test_a_known_and_an_unknown_number_get_the_same_answers_and_only_the_known_one_an_sms(app, make, sms_server,
                                                                                        monkeypatch, language):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # the forms carry their tokens, as in production
    known, unknown = "09351112233", "09359876543"  # neither is the form's example number
    make.user(mobile=known)
    known_answers = _walk_through(app, known, language)
    unknown_answers = _walk_through(app, unknown, language)
    assert [answer[:2] for answer in known_answers] == [answer[:2] for answer in unknown_answers]
    for known_page, unknown_page in zip(known_answers, unknown_answers):
        assert known_page[2] == unknown_page[2]
    assert len(sms_server.texts_to(known)) == 2  # the code, and the new one
    assert sms_server.texts_to(unknown) == []
    # The unknown number's requests are recorded all the same (for the throttles).
    assert count(app, OneTimeCode, mobile=unknown) == count(app, OneTimeCode, mobile=known) == 2


def test_an_unknown_number_is_throttled_exactly_as_a_known_one(app, make, sms_server):
    make.user(mobile=NUMBER)
    limit = app.config["OTP_MAX_CODES_PER_NUMBER"]
    statuses = {}
    for number in (NUMBER, "09359876543"):
        browser = english(app.test_client())
        statuses[number] = [browser.post("/signin/mobile", data={"mobile": number}).status_code
                            for _ in range(limit + 1)]
    assert statuses[NUMBER] == statuses["09359876543"] == [302] * limit + [429]


def test_numbers_shared_by_several_unverified_accounts_or_only_by_a_closed_one_get_no_sms(ctx, make, sms_server):
    make.user(mobile="09121111111")
    make.user(mobile="09121111111")  # a family's number, given by two accounts: which one would it sign in?
    make.user(mobile="09122222222", active=False)
    for number in ("09121111111", "09122222222"):
        assert ask_code(number) == number
    assert sms_server.requests == []


def test_a_verified_account_wins_the_number_over_unverified_ones(app, ctx, make, sms_server):
    make.user(mobile=NUMBER)
    owner = make.user(mobile=NUMBER, mobile_verified_at=utcnow())
    now = utcnow()
    ask_code(now=now)
    assert try_code(last_code(sms_server), now).id == owner.id


# --- codes: life, single use, storage ------------------------------------------------------------------------

def test_a_code_expires_after_two_minutes(app, ctx, make, sms_server):
    make.user(mobile=NUMBER)
    assert app.config["OTP_TTL_SECONDS"] == 120
    now = utcnow()
    ask_code(now=now)
    with force_locale("en"), pytest.raises(Invalid) as refused:
        try_code(last_code(sms_server), now + timedelta(seconds=120))
    assert str(refused.value) == WRONG_CODE
    ask_code(now=now + timedelta(seconds=121))
    assert try_code(last_code(sms_server), now + timedelta(seconds=240)) is not None  # 119 seconds later: fine


def test_a_code_works_once(ctx, make, sms_server):
    user = make.user(mobile=NUMBER)
    now = utcnow()
    ask_code(now=now)
    code = last_code(sms_server)
    assert try_code(code, now).id == user.id
    with force_locale("en"), pytest.raises(Invalid) as refused:
        try_code(code, now + timedelta(seconds=1))
    assert str(refused.value) == WRONG_CODE


def test_a_new_code_cancels_the_earlier_one(ctx, make, sms_server):
    user = make.user(mobile=NUMBER)
    now = utcnow()
    ask_code(now=now)
    first = last_code(sms_server)
    ask_code(now=now + timedelta(seconds=10))
    second = last_code(sms_server)
    if first != second:
        with pytest.raises(Invalid):
            try_code(first, now + timedelta(seconds=20))
    assert try_code(second, now + timedelta(seconds=20)).id == user.id


def test_a_code_dies_after_five_wrong_tries(app, ctx, make, sms_server, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNIN_MAX_FAILURES_PER_ACCOUNT", 100)  # the code's own limit, alone
    make.user(mobile=NUMBER)
    now = utcnow()
    ask_code(now=now)
    code = last_code(sms_server)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(app.config["OTP_MAX_ATTEMPTS"]):
        with pytest.raises(Invalid):
            try_code(wrong, now)
    assert db.session.scalar(select(OneTimeCode.failed_attempts)) == 5  # counted though each refusal rolled back
    with force_locale("en"), pytest.raises(Invalid) as refused:
        try_code(code, now)  # the right code, too late
    assert str(refused.value) == WRONG_CODE


def test_wrong_codes_are_throttled_per_number_like_wrong_passwords(app, ctx, make, sms_server):
    make.user(mobile=NUMBER)
    now = utcnow()
    ask_code(now=now)
    code = last_code(sms_server)
    for attempt in range(app.config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"]):
        with pytest.raises(Invalid):
            try_code(f"{(int(code) + 1 + attempt) % 1_000_000:06d}", now, address=f"198.51.100.{attempt}")
    with pytest.raises(TooManyAttempts):  # from any address, even with the right code
        try_code(code, now, address="192.0.2.1")


def test_wrong_codes_are_throttled_per_address_across_numbers(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNIN_MAX_FAILURES_PER_ADDRESS", 4)
    now = utcnow()
    for number in range(4):
        with pytest.raises(Invalid):
            try_code("123456", now, mobile=f"0912000000{number}")
    with pytest.raises(TooManyAttempts):
        try_code("123456", now, mobile="09120000009")
    with pytest.raises(Invalid):  # another address is not affected
        try_code("123456", now, mobile="09120000009", address="198.51.100.1")


def test_only_a_keyed_hash_of_the_code_is_stored(app, ctx, make, sms_server):
    make.user(mobile=NUMBER)
    ask_code()
    code = last_code(sms_server)
    row = db.session.execute(select(OneTimeCode.__table__)).one()
    stored = " ".join(str(value) for value in row)
    assert code not in stored and persian_digits(code) not in stored
    assert row.code_hash not in (hashlib.sha256(code.encode()).hexdigest(),
                                 hashlib.sha256(f"signin:{NUMBER}:{code}".encode()).hexdigest())
    assert len(row.code_hash) == 64


# --- throttles on asking for codes ----------------------------------------------------------------------------

def test_codes_are_throttled_per_number_with_a_message_in_persian_digits(app, client, make, sms_server):
    make.user(mobile=NUMBER)
    limit = app.config["OTP_MAX_CODES_PER_NUMBER"]
    for _ in range(limit):
        assert client.post("/signin/mobile", data={"mobile": NUMBER}).status_code == 302
    response = client.post("/signin/mobile", data={"mobile": NUMBER})  # a Persian page
    assert response.status_code == 429
    [message] = re.findall(r'<div class="flash flash--error"[^>]*>(.*?)</div>', response.get_data(as_text=True))
    assert "۱۰" in message and not re.search("[0-9]", message)
    english(client)
    response = client.post("/signin/mobile", data={"mobile": NUMBER})
    assert response.status_code == 429
    assert "Too many codes were asked for. Try again in 10 minutes." in page_text(response)
    assert len(sms_server.texts_to(NUMBER)) == limit


def test_the_number_throttle_lifts_after_the_window(app, ctx, make, sms_server):
    make.user(mobile=NUMBER)
    now = utcnow()
    for _ in range(app.config["OTP_MAX_CODES_PER_NUMBER"]):
        ask_code(now=now)
    with pytest.raises(TooManyAttempts):
        ask_code(now=now + timedelta(seconds=30), address="198.51.100.1")  # another address: still the number's
    later = now + timedelta(seconds=app.config["OTP_WINDOW_SECONDS"] + 1)
    ask_code(now=later)
    assert try_code(last_code(sms_server), later).mobile == NUMBER


def test_codes_are_throttled_per_address_across_numbers(app, ctx, make, sms_server, monkeypatch):
    monkeypatch.setitem(app.config, "OTP_MAX_CODES_PER_ADDRESS", 4)
    now = utcnow()
    for number in range(4):
        ask_code(f"0912000000{number}", now=now)
    with pytest.raises(TooManyAttempts):
        ask_code("09120000009", now=now)
    assert ask_code("09120000009", now=now, address="198.51.100.1") == "09120000009"  # another address


def test_the_posts_are_rate_limited_per_address(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MOBILE_SIGNIN_RATE_LIMIT", "2 per hour")
    statuses = [client.post("/signin/mobile", data={"mobile": f"0912000000{n}"}).status_code for n in range(3)]
    assert statuses == [302, 302, 429]


# --- the provider fails ----------------------------------------------------------------------------------------

def test_when_the_provider_fails_the_person_is_told_and_nobody_is_signed_in(app, client, make, sms_server, caplog):
    user = make.user(name="No Signal", mobile=NUMBER)
    sms_server.status = 500
    response = english(client).post("/signin/mobile", data={"mobile": NUMBER})
    assert response.status_code == 409
    assert "We could not send the code just now. Try again in a minute." in page_text(response)
    assert "answered 500" in caplog.text
    assert count(app, OneTimeCode) == 0  # nothing counted against the number
    assert client.get("/signin/mobile/code").status_code == 302  # no code step without a code
    assert client.post("/signin/mobile/code", data={"code": "000000"}).status_code == 302
    assert user.name not in page_text(client.get("/"))
    sms_server.status = 200
    assert client.post("/signin/mobile", data={"mobile": NUMBER}).status_code == 302  # works again


def test_when_the_provider_cannot_be_reached_the_message_is_the_same(app, ctx, make, monkeypatch):
    make.user(mobile=NUMBER)
    monkeypatch.setitem(app.config, "SMS_BACKEND", "http")
    monkeypatch.setitem(app.config, "SMS_URL", "http://127.0.0.1:9/nothing-listens-here")
    with force_locale("en"), pytest.raises(Conflict) as refused:
        services.request_code(NUMBER, "signin", ADDRESS, utcnow())
    assert str(refused.value) == "We could not send the code just now. Try again in a minute."


# --- the text message ------------------------------------------------------------------------------------------

def test_the_text_is_in_the_accounts_language_with_its_digits(client, make, sms_server):
    make.user(mobile=NUMBER, locale="en")
    client.post("/signin/mobile", data={"mobile": NUMBER})  # from a Persian page
    [text] = sms_server.texts_to(NUMBER)
    assert re.fullmatch(r"Your Dawn of Progress sign-in code: \d{6} \(valid for 2 minutes\)", text)


# --- verifying the number after sign-up -----------------------------------------------------------------------

SIGNUP = {"name": "Narges Amini", "email": "narges@example.com", "mobile": "۰۹۱۲ ۱۲۳ ۴۵۶۷",
          "password": "a long password", "confirm": "a long password"}


def test_sign_up_sends_a_code_and_the_verification_page_takes_it(app, client, sms_server):
    response = english(client).post("/signup?next=/teams", data=SIGNUP)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account/mobile/verify?next=/teams")
    [text] = sms_server.texts_to(NUMBER)
    assert "verification code" in text
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "We sent a code to 09121234567 by SMS." in page_text(page)
    assert 'href="/teams"' in page.get_data(as_text=True)  # "later"

    assert client.post("/account/mobile/verify?next=/teams", data={"code": "000000"}).status_code == 422
    response = client.post("/account/mobile/verify?next=/teams", data={"code": code_of(text)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/teams")
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "narges@example.com"))
        assert user.mobile_verified_at is not None
    assert [entry.actor_id for entry in audit_entries(app, "user.mobile_verified")] == [user.id]
    assert "Your mobile number 09121234567 is verified." in page_text(client.get("/account/mobile/verify"))

    client.post("/signout")  # and now the number signs in
    client.post("/signin/mobile", data={"mobile": NUMBER})
    assert client.post("/signin/mobile/code", data={"code": last_code(sms_server)}).status_code == 302
    assert "Narges Amini" in page_text(client.get("/"))


def test_sign_up_still_works_when_the_sms_does_not(app, client, sms_server):
    sms_server.status = 500
    response = english(client).post("/signup", data=SIGNUP)
    assert response.status_code == 302 and "/account/mobile/verify" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    assert "We could not send the code just now. Try again in a minute." in page_text(page)
    assert count(app, User) == 1
    sms_server.status = 200
    assert client.post("/account/mobile/verify/send").status_code == 302  # "Send the code"
    code = last_code(sms_server)
    assert client.post("/account/mobile/verify", data={"code": code}).status_code == 302


def test_any_signed_in_account_with_an_unverified_number_can_verify_it(app, client, make, sms_server):
    user = make.user(mobile=NUMBER)
    sign_in(english(client), user)
    page = client.get("/account/mobile/verify")
    assert page.status_code == 200 and "Send the code" in page_text(page)
    assert sms_server.requests == []  # a page that is only looked at sends nothing
    client.post("/account/mobile/verify/send")
    assert client.post("/account/mobile/verify", data={"code": last_code(sms_server)}).status_code == 302
    with app.app_context():
        assert get(User, user.id).mobile_verified_at is not None


def test_the_verification_page_needs_a_signed_in_account(client):
    assert client.get("/account/mobile/verify").status_code == 302
    assert client.post("/account/mobile/verify/send").status_code == 302


def test_a_number_another_account_verified_cannot_be_verified_again(app, client, make, sms_server):
    make.user(mobile=NUMBER, mobile_verified_at=utcnow())
    second = make.user(mobile=NUMBER)
    sign_in(english(client), second)
    response = client.post("/account/mobile/verify/send", follow_redirects=True)
    assert "Another account has already verified this mobile number." in page_text(response)
    assert sms_server.requests == []
    with app.app_context():
        assert get(User, second.id).mobile_verified_at is None


def test_of_two_accounts_verifying_one_number_at_once_the_first_wins(app, ctx, make, sms_server):
    first, second = make.user(mobile=NUMBER), make.user(mobile=NUMBER)
    now = utcnow()
    ask_code(purpose="verify", user=get(User, first.id), now=now)
    first_code = last_code(sms_server)
    ask_code(purpose="verify", user=get(User, second.id), now=now, address="198.51.100.1")
    second_code = last_code(sms_server)
    assert try_code(first_code, now, purpose="verify", user=get(User, first.id)).id == first.id
    with pytest.raises(Conflict):
        try_code(second_code, now, purpose="verify", user=get(User, second.id))
    assert get(User, second.id).mobile_verified_at is None


def test_the_database_keeps_a_verified_number_to_one_account(app, ctx, make, sms_server, monkeypatch):
    """Should two verifications race past the checks, the unique index refuses the second: a clear refusal, not
    a 500."""
    make.user(mobile=NUMBER, mobile_verified_at=utcnow())
    second = make.user(mobile=NUMBER)
    monkeypatch.setattr(services, "_verified_holder", lambda mobile: None)  # the checks saw nothing yet
    now = utcnow()
    ask_code(purpose="verify", user=get(User, second.id), now=now)
    with pytest.raises(Conflict):
        try_code(last_code(sms_server), now, purpose="verify", user=get(User, second.id))
    assert get(User, second.id).mobile_verified_at is None


def test_a_code_sent_to_one_account_does_not_verify_another(app, ctx, make, sms_server):
    first, second = make.user(mobile=NUMBER), make.user(mobile=NUMBER)
    now = utcnow()
    ask_code(purpose="verify", user=get(User, first.id), now=now)
    with pytest.raises(Invalid):
        try_code(last_code(sms_server), now, purpose="verify", user=get(User, second.id))


def test_password_sign_in_is_unchanged(client, make):
    user = make.user(name="Ali Password", mobile=NUMBER)
    assert sign_in(client, user, TEST_PASSWORD).status_code == 302
    assert user.name in page_text(client.get("/"))
