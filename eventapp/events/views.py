from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..core.database import utcnow
from ..core.i18n import current_language
from ..core.page_cache import cached_page
from ..core.web import arg_int, perform
from . import services
from .enums import PhaseKind
from .forms import EventForm
from .phases import PHASES, REQUIRED_PHASES
from .places import province_choices

bp = Blueprint("events", __name__)


@bp.get("/")
@cached_page
def index():
    pagination = services.events_page(arg_int("page", 1), current_app.config["PAGE_SIZE"])
    now = utcnow()
    overviews = {event.id: services.overview(event, now) for event in pagination.items}
    return render_template("events/index.html", pagination=pagination, overviews=overviews, now=now)


@bp.get("/organiser/events")
@login_required
def manage():
    pagination = services.organiser_events_page(
        current_user, arg_int("page", 1), current_app.config["PAGE_SIZE"])
    now = utcnow()
    return render_template("events/manage.html", pagination=pagination,
                           overviews={event.id: services.overview(event, now) for event in pagination.items})


def _form(**kwargs) -> EventForm:
    form = EventForm(**kwargs)
    form.province.choices = [SelectChoice(0, "—")] + province_choices(current_language())
    return form


def _details(form: EventForm) -> services.EventDetails:
    windows = {}
    for kind in PHASES:
        subform = getattr(form, kind)
        if subform.starts_at.data or subform.ends_at.data or kind in REQUIRED_PHASES:
            windows[kind] = (subform.starts_at.data, subform.ends_at.data)
    return services.EventDetails(
        title_fa=form.title_fa.data, title_en=form.title_en.data, slug=form.slug.data,
        scope=form.scope.data, province_id=form.province.data or None,
        description_fa=form.description_fa.data or "", description_en=form.description_en.data or "",
        min_team_size=form.min_team_size.data, max_team_size=form.max_team_size.data, windows=windows,
    )


@bp.route("/organiser/events/new", methods=["GET", "POST"])
@login_required
def create():
    services.ensure_can_manage(current_user)
    form = _form()
    status = 200
    if form.validate_on_submit():
        outcome = perform(services.create_event, current_user, _details(form), utcnow(), form=form,
                          success=_("The event was created."))
        if outcome.ok:
            return redirect(url_for("portal.event", slug=outcome.result.slug))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("events/form.html", form=form, event=None, phases=PhaseKind,
                           required=REQUIRED_PHASES), status


@bp.route("/organiser/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id):
    event = services.get_event_for_organiser(current_user, event_id)
    form = _form(obj=None if request.method == "POST" else event)
    if request.method == "GET":
        form.province.data = event.province_id or 0
        for phase in event.phases:
            getattr(form, phase.kind).starts_at.data = phase.starts_at
            getattr(form, phase.kind).ends_at.data = phase.ends_at
    status = 200
    if form.validate_on_submit():
        outcome = perform(services.update_event, current_user, event, _details(form), utcnow(), form=form,
                          success=_("The event was saved."))
        if outcome.ok:
            return redirect(url_for("portal.event", slug=event.slug))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("events/form.html", form=form, event=event, phases=PhaseKind,
                           required=REQUIRED_PHASES), status
