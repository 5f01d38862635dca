from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..core.database import utcnow
from ..core.extensions import limiter
from ..core.i18n import LANGUAGE_COOKIE, current_language
from ..core.roles import MANAGED_ROLES, Role
from ..core.web import arg_int, perform, safe_next_url
from . import services
from .forms import ForgotPasswordForm, LanguageForm, NewPasswordForm, RoleChangeForm, SignInForm, SignUpForm

bp = Blueprint("auth", __name__)


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _next_page():
    return redirect(safe_next_url(request.args.get("next")) or url_for("events.index"))


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
            login_user(outcome.result)
            flash(_("Welcome, %(name)s! Your account is ready.", name=outcome.result.name), "success")
            return _next_page()
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
