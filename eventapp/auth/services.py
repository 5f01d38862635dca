"""Accounts: registration, sign-in with throttling (by password, or by a code sent by SMS), verifying a
mobile number, password reset, and roles."""
import hashlib
import hmac
import logging
import re
import secrets
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app, request
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer, joinedload

from ..audit import services as audit
from ..core import mail, page_cache, sms
from ..core.database import contains
from ..core.errors import Conflict, Invalid, NotAllowed, NotFound, TooManyAttempts
from ..core.extensions import db
from ..core.i18n import current_language, localize_digits
from ..core.roles import GRANTED_ROLES, MANAGED_ROLES, MEMBER, require_admin
from ..core.text import latin_digits, normalize_mobile, normalize_text
from . import passwords
from .models import OneTimeCode, PasswordResetToken, RoleGrant, SignInFailure, User

log = logging.getLogger("eventapp.auth")

audit.register_actions({
    "role.granted": _l("Role granted"),
    "role.removed": _l("Role removed"),
    "user.created": _l("Account created from the command line"),
    "password.reset": _l("Password reset"),
    "user.signed_in_by_mobile": _l("Signed in with a code sent by SMS"),
    "user.mobile_verified": _l("Mobile number verified"),
})


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email.strip().lower()))


def _require_uncommon(password: str) -> None:
    if passwords.is_common(password):
        raise Invalid(str(passwords.TOO_COMMON), fields={"password": str(passwords.TOO_COMMON)})


def register(name: str, email: str, mobile: str, password: str, locale: str | None = None) -> User:
    """Create a member account with an email that the sign-in form accepts and nobody uses yet, and a password
    that is not a common one."""
    _require_uncommon(password)
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise Invalid(_("Enter a valid email address.")) from error
    if find_by_email(email) is not None:
        raise Invalid(_("An account with this email already exists. Sign in or reset your password."),
                      fields={"email": _("This email already has an account.")})
    user = User(
        name=normalize_text(name), email=email, mobile=mobile,
        password_hash=passwords.hash_password(password), locale=locale,
    )
    db.session.add(user)
    db.session.flush()
    return user


def create_user(email: str, name: str, role: str, password: str, mobile: str, now: datetime) -> User:
    """The command line's way in: the first admin, or any account with one role."""
    if role != MEMBER and role not in GRANTED_ROLES:
        raise Invalid(_("Unknown role: %(role)s", role=role))
    if len(password) < 8:
        raise Invalid(_("The password must be 8 to 128 characters long."))
    user = register(name, email, mobile, password)
    if role != MEMBER:
        user.role_grants.append(RoleGrant(role=role, granted_at=now))
    audit.record(None, "user.created", user, {"role": role}, now=now)
    return user


# --- sign-in -------------------------------------------------------------------------------

def _window_start(now: datetime) -> datetime:
    return now - timedelta(seconds=current_app.config["SIGNIN_WINDOW_SECONDS"])


def _minutes_until_free(oldest: datetime, window_seconds: int, now: datetime) -> int:
    """Whole minutes (at least one) until the oldest counted event leaves the window."""
    wait = oldest + timedelta(seconds=window_seconds) - now
    return max(1, -(-int(wait.total_seconds()) // 60))


def _check_throttle(email: str, address: str, now: datetime) -> None:
    """Refuse before the password is even checked when an account or an address has failed too often.

    ``email`` names the account tried: its email, or the mobile number a code was typed for."""
    config = current_app.config
    since = _window_start(now)
    limits = (
        (SignInFailure.email == email, config["SIGNIN_MAX_FAILURES_PER_ACCOUNT"]),
        (SignInFailure.address == address, config["SIGNIN_MAX_FAILURES_PER_ADDRESS"]),
    )
    for condition, limit in limits:
        count, oldest = db.session.execute(
            select(func.count(), func.min(SignInFailure.at)).where(condition, SignInFailure.at > since)
        ).one()
        if count >= limit:
            minutes = _minutes_until_free(oldest, config["SIGNIN_WINDOW_SECONDS"], now)
            raise TooManyAttempts(localize_digits(ngettext(
                "Too many failed sign-in attempts. Try again in %(num)d minute.",
                "Too many failed sign-in attempts. Try again in %(num)d minutes.",
                minutes,
            )))


def authenticate(email: str, password: str, address: str, now: datetime) -> User:
    """Return the user whose email and password these are, or raise Invalid / TooManyAttempts.

    Failures are counted per account and per address in the database, so the limit holds across
    every app server; each is committed at once, whatever becomes of the request that made it.
    """
    email = email.strip().lower()
    _check_throttle(email, address, now)
    user = find_by_email(email)
    ok = passwords.verify_password(user.password_hash if user else passwords.dummy_hash(), password)
    if not ok or user is None or not user.is_active:
        _record_failure(email, address, now)
        raise Invalid(_("The email or the password is not right."))
    db.session.execute(delete(SignInFailure).where(SignInFailure.email == email))
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    return user


def _record_failure(email: str, address: str, now: datetime) -> None:
    """Count a failed sign-in in a transaction of its own: it stays counted when the refused sign-in's own
    work is rolled back."""
    with db.engine.begin() as connection:
        connection.execute(delete(SignInFailure).where(SignInFailure.at <= _window_start(now)))
        connection.execute(insert(SignInFailure).values(email=email, address=address, at=now))


def end_sessions(user: User) -> None:
    """Sign the account out everywhere: every session cookie and remember-me cookie issued so far carries the
    old session version and loads no user any more, even when a copy of it is replayed (ASVS 3.3.1)."""
    db.session.execute(update(User).where(User.id == user.id).values(session_version=User.session_version + 1))


# The person a request acts as, with their roles, in one statement; without the password's hash, which no
# copy in a cache ever holds (read from the database when a form checks it).
_WITH_ROLES = (joinedload(User.role_grants), defer(User.password_hash))
_USER_TABLES = (User.__tablename__, RoleGrant.__tablename__)


def _user_with_roles(user_id: int) -> User | None:
    return db.session.get(User, user_id, options=_WITH_ROLES)  # one statement


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: the id carries the session version, so old sessions stop working."""
    user_id, _sep, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    if request.method in ("GET", "HEAD"):
        # A page read: the person as they were when last loaded, while their rows have not changed since (one
        # statement when they have). What changes anything loads them afresh.
        user = page_cache.through_cache(f"user:{int(user_id)}", _USER_TABLES, lambda: _user_with_roles(int(user_id)))
    else:
        user = _user_with_roles(int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


# --- sign-in and verification by a code sent by SMS ---------------------------------------------

SIGNIN, VERIFY = "signin", "verify"
CODE_PURPOSES = (SIGNIN, VERIFY)
CODE_DIGITS = 6
WRONG_CODE = _l("The code is wrong or has expired. Ask for a new code.")
NOT_A_MOBILE = _l("Enter an Iranian mobile number of 11 digits starting with 09.")
SMS_FAILED = _l("We could not send the code just now. Try again in a minute.")
NUMBER_TAKEN = _l("Another account has already verified this mobile number. If it is yours, sign in to that "
                  "account with it.")


def _code_hash(mobile: str, purpose: str, code: str) -> str:
    """HMAC-SHA256 of the code, keyed with SECRET_KEY and bound to the number and purpose: a copy of the table
    does not give the codes away (a million codes are quickly tried against a plain hash)."""
    key = current_app.config["SECRET_KEY"]
    key = key.encode() if isinstance(key, str) else key
    return hmac.new(key, f"{purpose}:{mobile}:{code}".encode(), hashlib.sha256).hexdigest()


def _typed_code(code: str | None) -> str:
    """The code as typed, in Latin digits without spaces (Persian and Arabic digits accepted), or ''."""
    typed = re.sub(r"\s", "", latin_digits(code or ""))
    return typed if re.fullmatch(rf"\d{{{CODE_DIGITS}}}", typed) else ""


def _iranian_mobile(mobile: str | None) -> str:
    normalised = normalize_mobile(mobile or "")
    if not normalised:
        raise Invalid(str(NOT_A_MOBILE), fields={"mobile": str(NOT_A_MOBILE)})
    return normalised


def code_minutes() -> int:
    """How long a code lives, in whole minutes (rounded up), as the messages say it."""
    return max(1, -(-current_app.config["OTP_TTL_SECONDS"] // 60))


def _check_code_throttle(mobile: str, address: str, now: datetime) -> None:
    """Refuse a new code when this number or this address asked for too many within the window (counted on the
    recorded requests, in the database: the limit holds across app servers)."""
    config = current_app.config
    window = config["OTP_WINDOW_SECONDS"]
    since = now - timedelta(seconds=window)
    limits = (
        (OneTimeCode.mobile == mobile, config["OTP_MAX_CODES_PER_NUMBER"]),
        (OneTimeCode.address == address, config["OTP_MAX_CODES_PER_ADDRESS"]),
    )
    for condition, limit in limits:
        count, oldest = db.session.execute(
            select(func.count(), func.min(OneTimeCode.created_at)).where(condition, OneTimeCode.created_at > since)
        ).one()
        if count >= limit:
            minutes = _minutes_until_free(oldest, window, now)
            raise TooManyAttempts(localize_digits(ngettext(
                "Too many codes were asked for. Try again in %(num)d minute.",
                "Too many codes were asked for. Try again in %(num)d minutes.",
                minutes,
            )))


def _verified_holder(mobile: str) -> User | None:
    return db.session.scalar(select(User).where(User.mobile == mobile, User.mobile_verified_at.is_not(None)))


def _account_for_signin(mobile: str) -> User | None:
    """The account a sign-in code for ``mobile`` is for: the one that verified the number (if it is active);
    else the only active account that gave it, unverified; else none."""
    holder = _verified_holder(mobile)
    if holder is not None:
        return holder if holder.is_active else None
    candidates = db.session.scalars(select(User).where(User.mobile == mobile, User.active.is_(True))).all()
    return candidates[0] if len(candidates) == 1 else None


def _account_to_verify(user: User | None, mobile: str) -> User:
    """The signed-in account verifying its own number, which no other account has verified."""
    if user is None or normalize_mobile(user.mobile or "") != mobile:
        raise NotAllowed(_("You can verify only the mobile number of your own account."))
    if user.mobile_verified_at is not None:
        raise Invalid(_("Your mobile number is already verified."))
    holder = _verified_holder(mobile)
    if holder is not None and holder.id != user.id:
        raise Conflict(str(NUMBER_TAKEN))
    return user


def _code_text(account: User, purpose: str, code: str) -> str:
    """The text message, short, in the account's language (else the page's), with that language's digits."""
    language = account.locale if account.locale in current_app.config["LANGUAGES"] else current_language()
    minutes = code_minutes()
    with force_locale(language):
        if purpose == SIGNIN:
            text = ngettext("Your Dawn of Progress sign-in code: %(code)s (valid for %(num)d minute)",
                            "Your Dawn of Progress sign-in code: %(code)s (valid for %(num)d minutes)",
                            minutes, code=code)
        else:
            text = ngettext("Your Dawn of Progress verification code: %(code)s (valid for %(num)d minute)",
                            "Your Dawn of Progress verification code: %(code)s (valid for %(num)d minutes)",
                            minutes, code=code)
        return localize_digits(text)


def request_code(mobile: str, purpose: str, address: str, now: datetime, user: User | None = None) -> str:
    """Send a new code by SMS to ``mobile`` (any way it is typed: Persian digits, +98...) and return the number
    in its national form 09xxxxxxxxx.

    ``signin``: for the account that number finds (see _account_for_signin). A number that finds no account is
    recorded and answered just the same, but no SMS goes to it: the answer never tells whether a number has an
    account. ``verify``: for ``user``, the signed-in account, to its own number.

    A new code cancels the unused ones of the number and purpose. Raises Invalid (not an Iranian mobile),
    TooManyAttempts (too many codes for the number or the address), Conflict (the SMS could not be sent, or for
    ``verify`` another account verified the number).
    """
    if purpose not in CODE_PURPOSES:
        raise ValueError(f"unknown code purpose: {purpose}")
    mobile = _iranian_mobile(mobile)
    account = _account_to_verify(user, mobile) if purpose == VERIFY else _account_for_signin(mobile)
    _check_code_throttle(mobile, address, now)
    config = current_app.config
    kept = max(config["OTP_WINDOW_SECONDS"], config["OTP_TTL_SECONDS"])
    db.session.execute(delete(OneTimeCode).where(OneTimeCode.created_at <= now - timedelta(seconds=kept)))
    earlier = update(OneTimeCode).where(
        OneTimeCode.mobile == mobile, OneTimeCode.purpose == purpose, OneTimeCode.used_at.is_(None),
        OneTimeCode.expires_at > now)
    if purpose == VERIFY:  # another account that gave the same number keeps its own code
        earlier = earlier.where(OneTimeCode.user_id == account.id)
    db.session.execute(earlier.values(expires_at=now))
    code = "".join(secrets.choice("0123456789") for _digit in range(CODE_DIGITS))
    # For a number without an account, the hash of no code of six digits: nothing typed ever matches it.
    secret = code if account is not None else secrets.token_hex(16)
    db.session.add(OneTimeCode(
        mobile=mobile, purpose=purpose, user_id=account.id if account is not None else None,
        code_hash=_code_hash(mobile, purpose, secret), address=address[:45], created_at=now,
        expires_at=now + timedelta(seconds=config["OTP_TTL_SECONDS"]), failed_attempts=0,
    ))
    db.session.flush()
    if account is not None:
        try:
            sms.send(mobile, _code_text(account, purpose, code))
        except sms.SmsError as error:
            log.warning("The %s code for account %s could not be sent: %s", purpose, account.id, error)
            raise Conflict(str(SMS_FAILED)) from error
    return mobile


def _record_wrong_code(mobile: str, attempted: OneTimeCode | None, address: str, now: datetime) -> None:
    """A wrong code counts against the code it was typed for and as a failed sign-in of the number and the
    address, each in a transaction of its own: it stays counted when the refused request is rolled back."""
    if attempted is not None:
        with db.engine.begin() as connection:
            connection.execute(update(OneTimeCode).where(OneTimeCode.id == attempted.id)
                               .values(failed_attempts=OneTimeCode.failed_attempts + 1))
    _record_failure(mobile, address, now)


def _claim_number(account: User, mobile: str, now: datetime) -> None:
    """Mark the number verified for ``account``; another account that verified it first wins (the unique index
    settles a race)."""
    holder = _verified_holder(mobile)
    if holder is not None and holder.id != account.id:
        raise Conflict(str(NUMBER_TAKEN))
    try:
        with db.session.begin_nested():
            account.mobile_verified_at = now
            db.session.flush()
    except IntegrityError as error:
        raise Conflict(str(NUMBER_TAKEN)) from error


def verify_code(mobile: str, code: str, purpose: str, address: str, now: datetime, user: User | None = None) -> User:
    """Spend the code sent to ``mobile`` and return its account, now with the number verified.

    The code may be typed with Persian or Arabic digits. A wrong, expired, used, replaced or unknown code is
    refused with one message, counts as a failed sign-in (per number and per address, as a wrong password
    does), and kills the code after OTP_MAX_ATTEMPTS tries. ``verify`` takes only a code sent to ``user``.
    """
    if purpose not in CODE_PURPOSES:
        raise ValueError(f"unknown code purpose: {purpose}")
    mobile = normalize_mobile(mobile or "")
    if not mobile or (purpose == VERIFY and user is None):
        raise Invalid(str(WRONG_CODE))
    _check_throttle(mobile, address, now)
    query = select(OneTimeCode).where(
        OneTimeCode.mobile == mobile, OneTimeCode.purpose == purpose, OneTimeCode.used_at.is_(None),
        OneTimeCode.expires_at > now, OneTimeCode.failed_attempts < current_app.config["OTP_MAX_ATTEMPTS"],
    )
    if purpose == VERIFY:
        query = query.where(OneTimeCode.user_id == user.id)
    attempted = db.session.scalar(query.order_by(OneTimeCode.id.desc()).limit(1))
    typed = _typed_code(code)
    matches = (attempted is not None and bool(typed)
               and hmac.compare_digest(attempted.code_hash, _code_hash(mobile, purpose, typed)))
    if not matches:
        _record_wrong_code(mobile, attempted, address, now)
        raise Invalid(str(WRONG_CODE))
    # The guarded update makes the code work once even when two requests race with it.
    spent = db.session.execute(
        update(OneTimeCode).where(OneTimeCode.id == attempted.id, OneTimeCode.used_at.is_(None)).values(used_at=now)
    ).rowcount
    account = db.session.get(User, attempted.user_id) if attempted.user_id is not None else None
    if not spent or account is None or not account.is_active or normalize_mobile(account.mobile or "") != mobile:
        raise Invalid(str(WRONG_CODE))
    if account.mobile_verified_at is None:
        _claim_number(account, mobile, now)
        if purpose == VERIFY:
            audit.record(account, "user.mobile_verified", account, now=now)
    db.session.execute(delete(SignInFailure).where(SignInFailure.email == mobile))
    if purpose == SIGNIN:
        audit.record(account, "user.signed_in_by_mobile", account, now=now)
    return account


# --- password reset ------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _reset_mails_exhausted(user: User, now: datetime) -> bool:
    """Whether the account was already sent as many reset links this hour as it may be: someone asking again and
    again for another person's address cannot flood their inbox (the limit holds across app servers)."""
    sent = db.session.scalar(select(func.count()).where(
        PasswordResetToken.user_id == user.id, PasswordResetToken.created_at > now - timedelta(hours=1)))
    return sent >= current_app.config["PASSWORD_RESET_MAILS_PER_HOUR"]


def request_password_reset(email: str, now: datetime, link_for) -> None:
    """Mail a reset link if the account exists and has not had too many this hour. Says nothing either way, so
    accounts can't be probed.

    ``link_for(token)`` builds the absolute URL of the reset page.
    """
    user = find_by_email(email)
    if user is None or not user.is_active or _reset_mails_exhausted(user, now):
        return
    token = secrets.token_urlsafe(32)
    max_age = current_app.config["PASSWORD_RESET_MAX_AGE"]
    db.session.add(PasswordResetToken(
        user_id=user.id, token_hash=_token_hash(token), created_at=now,
        expires_at=now + timedelta(seconds=max_age),
    ))
    minutes = max_age // 60
    mail.send(
        to=user.email,
        subject=_("Reset your Dawn of Progress password"),
        body=_(
            "Hello %(name)s,\n\nTo choose a new password, open this link within %(minutes)s minutes:\n"
            "%(link)s\n\nThe link works once. If you did not ask for it, ignore this message.",
            name=user.name, minutes=localize_digits(minutes), link=link_for(token),
        ),
    )


def _usable_token(token: str, now: datetime) -> PasswordResetToken:
    reset = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == _token_hash(token))
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        raise Invalid(_("This reset link is invalid, was already used or has expired. Ask for a new one."))
    return reset


def check_reset_token(token: str, now: datetime) -> None:
    _usable_token(token, now)


def reset_password(token: str, new_password: str, now: datetime) -> User:
    """Set the new password (not a common one), spend every open link of the account, and end its sessions."""
    _require_uncommon(new_password)
    reset = _usable_token(token, now)
    user = reset.user
    # The guarded update makes a link usable once even when two requests race with it.
    spent = db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    ).rowcount
    if spent == 0:
        raise Invalid(_("This reset link is invalid, was already used or has expired. Ask for a new one."))
    user.password_hash = passwords.hash_password(new_password)
    end_sessions(user)
    db.session.execute(delete(SignInFailure).where(SignInFailure.email == user.email))
    audit.record(user, "password.reset", user, now=now)
    return user


# --- roles ---------------------------------------------------------------------------------

def users_page(actor: User, page: int, per_page: int, search: str = ""):
    require_admin(actor, _l("Only an admin can manage accounts."))
    query = select(User).order_by(User.id)
    search = normalize_text(search)
    if search:
        query = query.where(or_(contains(User.name, search), contains(User.email, search),
                                contains(User.mobile, search)))
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("There is no such account."))
    return user


def set_role(actor: User, user: User, role: str, granted: bool, now: datetime) -> bool:
    """Grant or remove the organiser or judge role. Returns whether anything changed."""
    require_admin(actor, _l("Only an admin can grant or remove roles."))
    if role not in MANAGED_ROLES:
        raise Invalid(_("This role cannot be changed here."))
    if granted == user.has_role(role):
        return False
    if granted:
        user.role_grants.append(RoleGrant(role=role, granted_by_id=actor.id, granted_at=now))
    else:
        user.role_grants = [grant for grant in user.role_grants if grant.role != role]
    audit.record(actor, "role.granted" if granted else "role.removed", user, {"role": role}, now=now)
    return True


def set_locale(user: User, language: str) -> None:
    if language in current_app.config["LANGUAGES"]:
        user.locale = language

