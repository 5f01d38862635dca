from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..core.database import utcnow
from ..core.extensions import limiter
from ..core.i18n import LANGUAGE_COOKIE, current_language
from ..core.roles import MANAGED_ROLES, Role
from ..core.web import arg_int, perform, safe_next_url
from . import services
from .forms import (
    CodeForm,
    ForgotPasswordForm,
    LanguageForm,
    MobileNumberForm,
    NewPasswordForm,
    RoleChangeForm,
    SignInCodeForm,
    SignInForm,
    SignUpForm,
)

bp = Blueprint("auth", __name__)


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _next_page():
    return redirect(safe_next_url(request.args.get("next")) or url_for("events.index"))


def _next_arg() -> str | None:
    """The page to go to afterwards, carried from step to step (only a path on this site)."""
    return safe_next_url(request.args.get("next"))


def _mobile_rate_limit() -> str:
    return current_app.config["MOBILE_SIGNIN_RATE_LIMIT"]


# The session keeps the number a sign-in code was asked for (the code step never takes it from the form), and
# the account and number a verification code was sent to.
SIGNIN_MOBILE = "signin_mobile"
VERIFY_SENT = "mobile_verify_sent"


def _verification_sent_to(user) -> str:
    return f"{user.id}:{user.mobile}"


def _send_verification_code(user):
    """Send ``user`` a code to verify their number; the verification page then asks for it."""
    outcome = perform(services.request_code, user.mobile, services.VERIFY, _client_address(), utcnow(), user=user)
    if outcome.ok:
        session[VERIFY_SENT] = _verification_sent_to(user)
    return outcome


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["SIGNUP_RATE_LIMIT"], methods=["POST"])
def signup():
    if current_user.is_authenticated:
        return redirect(url_for("events.index"))
    form = SignUpForm()
    status = 200
    if form.validate_on_submit():
        outcome = perform(services.register, form.name.data, form.email.data, form.mobile.data, form.password.data,
                          locale=current_language(), form=form)
        if outcome.ok:
            user = outcome.result
            login_user(user)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.name), "success")
            _send_verification_code(user)  # the account is made whether or not the SMS goes out
            return redirect(url_for("auth.verify_mobile", next=_next_arg()))
        status = outcome.status
    elif form.errors:
        status = 422
    return render_template("auth/signup.html", form=form), status


@bp.route("/signin", methods=["GET", "POST"])
def signin():
    if current_user.is_authenticated:
        return redirect(url_for("events.index"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        outcome = perform(services.authenticate, form.email.data, form.password.data, _client_address(), utcnow())
        if outcome.ok:
            login_user(outcome.result, remember=form.remember.data)
            return _next_page()
        status = outcome.status
    elif form.errors:
        status = 422
    return render_template("auth/signin.html", form=form), status


@bp.route("/signin/mobile", methods=["GET", "POST"])
@limiter.limit(_mobile_rate_limit, methods=["POST"])
def signin_mobile():
    """Sign-in by SMS, step one: the number. Whether it has an account or not, the next step is the same."""
    if current_user.is_authenticated:
        return redirect(url_for("events.index"))
    form = MobileNumberForm()
    status = 200
    if form.validate_on_submit():
        outcome = perform(services.request_code, form.mobile.data, services.SIGNIN, _client_address(), utcnow(),
                          form=form)
        if outcome.ok:
            session[SIGNIN_MOBILE] = outcome.result
            return redirect(url_for("auth.signin_mobile_code", next=_next_arg()))
        status = outcome.status
    elif form.errors:
        status = 422
    return render_template("auth/signin_mobile.html", form=form, step="number"), status


@bp.route("/signin/mobile/code", methods=["GET", "POST"])
@limiter.limit(_mobile_rate_limit, methods=["POST"])
def signin_mobile_code():
    """Step two: the code sent to the number kept in the session; right, it signs in as a password does."""
    if current_user.is_authenticated:
        return redirect(url_for("events.index"))
    mobile = session.get(SIGNIN_MOBILE)
    if not mobile:
        return redirect(url_for("auth.signin_mobile", next=_next_arg()))
    form = SignInCodeForm()
    status = 200
    if form.validate_on_submit():
        outcome = perform(services.verify_code, mobile, form.code.data, services.SIGNIN, _client_address(),
                          utcnow())
        if outcome.ok:
            session.pop(SIGNIN_MOBILE, None)
            login_user(outcome.result, remember=form.remember.data)
            return _next_page()
        status = outcome.status
    elif form.errors:
        status = 422
    return render_template("auth/signin_mobile.html", form=form, step="code", mobile=mobile,
                           minutes=services.code_minutes()), status


@bp.post("/signin/mobile/resend")
@limiter.limit(_mobile_rate_limit)
def signin_mobile_resend():
    """A new code to the number of the session (a new number starts again at step one)."""
    mobile = session.get(SIGNIN_MOBILE)
    if current_user.is_authenticated or not mobile:
        return redirect(url_for("auth.signin_mobile", next=_next_arg()))
    perform(services.request_code, mobile, services.SIGNIN, _client_address(), utcnow(),
            success=_("If an account uses this number, a new code is on its way."))
    return redirect(url_for("auth.signin_mobile_code", next=_next_arg()))


@bp.route("/account/mobile/verify", methods=["GET", "POST"])
@login_required
@limiter.limit(_mobile_rate_limit, methods=["POST"])
def verify_mobile():
    """Prove the account's number with a code sent to it (after sign-up, or any time it is unverified)."""
    later = _next_arg() or url_for("events.index")
    if current_user.mobile_verified_at is not None:
        return render_template("auth/verify_mobile.html", verified=True, later=later)
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        outcome = perform(services.verify_code, current_user.mobile, form.code.data, services.VERIFY,
                          _client_address(), utcnow(), user=current_user._get_current_object(),
                          success=_("Your mobile number is verified."))
        if outcome.ok:
            session.pop(VERIFY_SENT, None)
            return redirect(later)
        status = outcome.status
    elif form.errors:
        status = 422
    sent = session.get(VERIFY_SENT) == _verification_sent_to(current_user)
    return render_template("auth/verify_mobile.html", verified=False, form=form, sent=sent, later=later,
                           minutes=services.code_minutes()), status


@bp.post("/account/mobile/verify/send")
@login_required
@limiter.limit(_mobile_rate_limit)
def send_mobile_code():
    if current_user.mobile_verified_at is None:
        _send_verification_code(current_user._get_current_object())
    return redirect(url_for("auth.verify_mobile", next=_next_arg()))


@bp.post("/signout")
def signout():
    if current_user.is_authenticated:
        perform(services.end_sessions, current_user)
    logout_user()
    flash(_("You are signed out."), "success")
    return redirect(url_for("events.index"))


def _reset_link(token: str) -> str:
    return url_for("auth.reset_password", token=token, _external=True)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["PASSWORD_RESET_RATE_LIMIT"], methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        perform(services.request_password_reset, form.email.data, utcnow(), _reset_link,
                success=_("If an account uses this email, a link to reset its password is on its way."))
        return redirect(url_for("auth.signin"))
    return render_template("auth/forgot.html", form=form), 422 if form.errors else 200


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    if not perform(services.check_reset_token, token, utcnow()).ok:
        return redirect(url_for("auth.forgot_password"))
    form = NewPasswordForm()
    if form.validate_on_submit():
        if perform(services.reset_password, token, form.password.data, utcnow(),
                   success=_("Your password was changed. Sign in with the new one.")).ok:
            logout_user()
            return redirect(url_for("auth.signin"))
        return redirect(url_for("auth.forgot_password"))
    return render_template("auth/reset.html", form=form), 422 if form.errors else 200


@bp.post("/language")
def set_language():
    form = LanguageForm()
    target = safe_next_url(request.form.get("next")) or url_for("events.index")
    response = redirect(target)
    if form.validate():
        language = form.language.data
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600,
                            httponly=True, samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
        if current_user.is_authenticated:
            perform(services.set_locale, current_user, language)
    return response


@bp.get("/admin/users")
@login_required
def users():
    pagination = services.users_page(
        current_user, arg_int("page", 1), current_app.config["PAGE_SIZE"],
        request.args.get("q", ""),
    )
    return render_template("admin/users.html", pagination=pagination, managed_roles=MANAGED_ROLES,
                           member_role=Role.MEMBER, q=request.args.get("q", ""),
                           role_form=RoleChangeForm())


@bp.post("/admin/users/<int:user_id>/roles")
@login_required
def change_role(user_id):
    form = RoleChangeForm()
    if not form.validate():
        flash(_("Choose a role and whether to grant or remove it."), "error")
    else:
        user = services.get_user(user_id)
        granted = form.grant.data == "1"
        message = _("%(role)s role granted to %(name)s.") if granted else _("%(role)s role removed from %(name)s.")
        perform(services.set_role, current_user, user, form.role.data, granted, utcnow(),
                success=message % {"role": Role(form.role.data).label, "name": user.name})
    return redirect(safe_next_url(request.form.get("next")) or url_for("auth.users"))
