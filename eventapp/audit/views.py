import re
from datetime import date, datetime

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.i18n import format_datetime, format_day, format_list, format_number
from ..core.web import arg_int
from . import services

bp = Blueprint("audit", __name__, url_prefix="/organiser/audit")


ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@bp.app_template_filter("audit_field")
def audit_field(field: str) -> str:
    return services.field_label(field)


@bp.app_template_filter("audit_value")
def audit_value(value, field: str = "") -> str:
    """A recorded value as people read it: moments (fields named *_at) and days in the page's calendar, yes
    and no in words, states by their labels, lists one by one."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return format_list(audit_value(item, field) for item in value) if value else "—"
    if isinstance(value, str):
        if (label := services.value_label(field, value)) is not None:
            return label
        try:
            if field.endswith("_at"):
                return format_datetime(datetime.fromisoformat(value))
            if ISO_DAY.fullmatch(value):
                return format_day(date.fromisoformat(value))
        except ValueError:
            return value
    return format_number(value) if isinstance(value, (int, float)) else str(value)


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
