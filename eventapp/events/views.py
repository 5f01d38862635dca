from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..core.database import utcnow
from ..core.errors import Invalid
from ..core.extensions import db
from ..core.i18n import current_language
from . import services
from .enums import PhaseKind
from .forms import EventForm
from .phases import PHASES, REQUIRED_PHASES
from .places import province_choices

bp = Blueprint("events", __name__)


@bp.get("/")
def index():
    pagination = services.events_page(request.args.get("page", 1, type=int), current_app.config["PAGE_SIZE"])
    now = utcnow()
    overviews = {event.id: services.overview(event, now) for event in pagination.items}
    return render_template("events/index.html", pagination=pagination, overviews=overviews, now=now)


@bp.get("/organiser/events")
@login_required
def manage():
    pagination = services.organiser_events_page(
        current_user, request.args.get("page", 1, type=int), current_app.config["PAGE_SIZE"])
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


def _show_errors(form: EventForm, error: Invalid) -> None:
    """Put a service's field errors next to the fields; a phase's error goes under its end."""
    for name, message in error.fields.items():
        if name in PHASES:
            getattr(form, name).ends_at.errors = [*getattr(form, name).ends_at.errors, message]
        elif name in form:
            form[name].errors = [*form[name].errors, message]
    flash(str(error), "error")


def _save(form: EventForm, operation):
    try:
        event = operation(_details(form))
        db.session.commit()
        return event
    except Invalid as error:
        db.session.rollback()
        _show_errors(form, error)
        return None


@bp.route("/organiser/events/new", methods=["GET", "POST"])
@login_required
def create():
    services.ensure_can_manage(current_user)
    form = _form()
    if form.validate_on_submit():
        event = _save(form, lambda details: services.create_event(current_user, details))
        if event is not None:
            flash(_("The event was created."), "success")
            return redirect(url_for("portal.event", slug=event.slug))
    return render_template("events/form.html", form=form, event=None, phases=PhaseKind,
                           required=REQUIRED_PHASES), 422 if form.is_submitted() else 200


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
    if form.validate_on_submit():
        if _save(form, lambda details: services.update_event(current_user, event, details)) is not None:
            flash(_("The event was saved."), "success")
            return redirect(url_for("portal.event", slug=event.slug))
    return render_template("events/form.html", form=form, event=event, phases=PhaseKind,
                           required=REQUIRED_PHASES), 422 if form.is_submitted() else 200
