from flask import current_app, render_template, request
from flask_login import current_user, login_required

from . import bp, services


@bp.get("/")
@login_required
def index():
    action = request.args.get("action") or None
    if action not in services.ACTION_LABELS:
        action = None
    pagination = services.entries_page(
        current_user, request.args.get("page", 1, type=int), current_app.config["PAGE_SIZE"], action
    )
    return render_template(
        "audit/index.html", pagination=pagination, labels=services.ACTION_LABELS, action=action
    )
