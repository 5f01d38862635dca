from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.database import utcnow
from ..core.exports import download, xlsx_bytes
from ..core.i18n import is_rtl, localize_digits
from ..core.web import arg_int, form_ints, perform
from ..events import services as events
from . import services
from .forms import SessionForm

bp = Blueprint("training", __name__)


# --- members -------------------------------------------------------------------------------

@bp.get("/events/<slug>/training")
def sessions(slug):
    event = events.get_event(slug)
    now = utcnow()
    return render_template("training/sessions.html", event=event, now=now,
                           sessions=services.sessions_for(event, current_user, now))


@bp.post("/training/<int:session_id>/signup")
@login_required
def sign_up(session_id):
    session = services.get_session(session_id)
    slug = session.event.slug
    outcome = perform(services.sign_up, current_user, session, utcnow())
    if outcome.ok:
        position = services.waitlist_position(outcome.result)
        if position is None:
            flash(_("You have a place at this session."), "success")
        else:
            flash(_("The session is full: you are on the waiting list, in position %(position)s.",
                    position=localize_digits(position)), "success")
    return redirect(url_for("training.sessions", slug=slug))


@bp.post("/training/<int:session_id>/cancel-signup")
@login_required
def cancel_signup(session_id):
    session = services.get_session(session_id)
    slug = session.event.slug
    perform(services.cancel_signup, current_user, session, utcnow(), success=_("Your sign-up was cancelled."))
    return redirect(url_for("training.sessions", slug=slug))


# --- organisers ----------------------------------------------------------------------------

@bp.get("/organiser/events/<int:event_id>/training")
@login_required
def manage(event_id):
    event = services.get_event_for_organiser(current_user, event_id)
    return render_template("training/manage.html", event=event, now=utcnow(),
                           sessions=services.organiser_sessions(current_user, event))


def _details(form: SessionForm) -> services.SessionDetails:
    return services.SessionDetails(
        title=form.title.data or "", description=form.description.data or "",
        starts_at=form.starts_at.data, ends_at=form.ends_at.data, capacity=form.capacity.data,
        place=form.place.data or "", online_link=form.online_link.data or "",
        audience=form.audience.data, required=form.required.data,
    )


def _render_form(form, event, session, status: int):
    return render_template("training/form.html", form=form, event=event, training_session=session), status


@bp.route("/organiser/training/new", methods=["GET", "POST"])
@login_required
def create():
    services.ensure_can_manage(current_user)
    event_id = arg_int("event")
    if event_id is None:
        abort(404)
    event = services.get_event_for_organiser(current_user, event_id)
    form = SessionForm()
    status = 200
    if form.validate_on_submit():
        outcome = perform(services.create_session, current_user, event, _details(form), utcnow(), form=form,
                          success=_("The training session was created."))
        if outcome.ok:
            return redirect(url_for("training.manage", event_id=event_id))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return _render_form(form, event, None, status)


@bp.route("/organiser/training/<int:session_id>/edit", methods=["GET", "POST"])
@login_required
def edit(session_id):
    session = services.get_session_for_organiser(current_user, session_id)
    event = session.event
    form = SessionForm(obj=None if request.method == "POST" else session)
    status = 200
    if form.validate_on_submit():
        outcome = perform(services.update_session, current_user, session, _details(form), utcnow(), form=form,
                          success=_("The training session was saved."))
        if outcome.ok:
            return redirect(url_for("training.manage", event_id=event.id))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return _render_form(form, event, session, status)


@bp.post("/organiser/training/<int:session_id>/cancel")
@login_required
def cancel(session_id):
    session = services.get_session_for_organiser(current_user, session_id)
    event_id = session.event_id
    perform(services.cancel_session, current_user, session, utcnow(), success=_("The training session was cancelled."))
    return redirect(url_for("training.manage", event_id=event_id))


@bp.route("/organiser/training/<int:session_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(session_id):
    session = services.get_session_for_organiser(current_user, session_id)
    if request.method == "POST":
        # Every person listed on the page comes back as "signup"; the ticked ones also as "attended".
        attended = set(form_ints("attended"))
        marks = {signup_id: signup_id in attended for signup_id in form_ints("signup")}
        perform(services.record_attendance, current_user, session, marks, utcnow(), success=_("Attendance was saved."))
        return redirect(url_for("training.attendance", session_id=session_id))
    return render_template("training/attendance.html", training_session=session, event=session.event, now=utcnow(),
                           signups=services.signups_for_attendance(current_user, session))


@bp.get("/organiser/events/<int:event_id>/training/attendance.xlsx")
@login_required
def export_attendance(event_id):
    event = services.get_event_for_organiser(current_user, event_id)
    headers, rows = services.attendance_sheet(current_user, event)
    content = xlsx_bytes({_("Attendance"): (headers, rows)}, right_to_left=is_rtl())
    return download(content, f"training-attendance-{event.slug}.xlsx")
