from datetime import datetime

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required

from ..core.i18n import format_datetime
from ..core.web import arg_int
from . import services

bp = Blueprint("audit", __name__, url_prefix="/organiser/audit")


@bp.app_template_filter("audit_value")
def audit_value(value, field: str = "") -> str:
    """A recorded value as people read it: moments (fields named *_at) in the page's calendar."""
    if value is None or value == "":
        return "—"
    if field.endswith("_at") and isinstance(value, str):
        try:
            return format_datetime(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


@bp.get("/")
@login_required
def index():
    action = services.known_action(request.args.get("action"))
    pagination = services.entries_page(
        current_user, arg_int("page", 1), current_app.config["PAGE_SIZE"], action
    )
    return render_template(
        "audit/index.html", pagination=pagination, labels=services.action_labels(), action=action
    )
