"""The organisers' page of API tokens: issue one (shown once), see them all, revoke one.

An ordinary HTML page with CSRF-protected forms, on its own blueprint so that the API's CSRF exemption
does not reach it.
"""
from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from ..core.database import utcnow
from ..core.forms import BaseForm
from ..core.web import perform
from . import services
from .enums import ApiScope

bp = Blueprint("api_admin", __name__, url_prefix="/organiser/api-tokens")


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TokenForm(BaseForm):
    name = StringField(_l("Partner organisation"), validators=[
        DataRequired(message=_l("Name the partner organisation.")), Length(max=200)])
    scopes = CheckboxesField(_l("Permissions"), validators=[
        DataRequired(message=_l("Choose at least one permission from the list."))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scopes.choices = ApiScope.choices()


def _page(form, issued=None, plaintext=None, status=200):
    response = render_template("api/tokens.html", form=form, tokens=services.tokens(current_user),
                               issued=issued, plaintext=plaintext)
    headers = {"Cache-Control": "no-store"} if plaintext else {}  # the token must not stay in any cache
    return response, status, headers


@bp.get("")
@login_required
def tokens():
    return _page(TokenForm(formdata=None))


@bp.post("")
@login_required
def issue():
    form = TokenForm()
    if form.validate_on_submit():
        outcome = perform(services.issue_token, current_user, form.name.data, form.scopes.data, utcnow(), form=form)
        if outcome.ok:
            token, plaintext = outcome.result
            # Shown on this page only, never flashed: the session cookie is signed, not encrypted.
            return _page(TokenForm(formdata=None), issued=token, plaintext=plaintext)
        return _page(form, status=outcome.status)
    return _page(form, status=422)


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id):  # CSRFProtect checks the form's token, as on every POST of the site
    perform(services.revoke_token, current_user, token_id, utcnow(),
            success=_("The token was revoked: requests that send it are refused from now on."))
    return redirect(url_for("api_admin.tokens"))
