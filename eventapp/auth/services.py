"""Accounts: registration, sign-in with throttling, password reset, and roles."""
import hashlib
import secrets
from datetime import datetime, timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import delete, func, insert, or_, select, update

from ..audit import services as audit
from ..core import mail
from ..core.database import contains
from ..core.errors import Invalid, NotFound, TooManyAttempts
from ..core.extensions import db
from ..core.i18n import localize_digits
from ..core.roles import GRANTED_ROLES, MANAGED_ROLES, MEMBER, require_admin
from ..core.text import normalize_text
from . import passwords
from .models import PasswordResetToken, RoleGrant, SignInFailure, User

audit.register_actions({
    "role.granted": _l("Role granted"),
    "role.removed": _l("Role removed"),
    "user.created": _l("Account created from the command line"),
    "password.reset": _l("Password reset"),
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


def _check_throttle(email: str, address: str, now: datetime) -> None:
    """Refuse before the password is even checked when an account or an address has failed too often."""
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
            wait = oldest + timedelta(seconds=config["SIGNIN_WINDOW_SECONDS"]) - now
            minutes = max(1, -(-int(wait.total_seconds()) // 60))
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
    ok = passwords.verify_password(user.password_hash if user else passwords.DUMMY_HASH, password)
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


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's loader: the id carries the session version, so old sessions stop working."""
    user_id, _sep, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


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

