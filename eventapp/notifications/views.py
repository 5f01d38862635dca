from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..core.database import utcnow
from ..core.i18n import current_language, localize_digits
from ..core.web import arg_int, perform
from ..events import services as events
from ..events.places import province_choices
from . import announcements, messages, services
from .enums import Channel, Kind
from .forms import AnnouncementForm, RemindersForm, ScheduleForm

bp = Blueprint("notifications", __name__)


# --- everyone's inbox and choices ---------------------------------------------------------------------------

@bp.get("/inbox")
@login_required
def inbox():
    page = max(1, arg_int("page", 1))
    unread_only = request.args.get("unread") == "1"
    return render_template("notifications/inbox.html", unread_only=unread_only,
                           inbox=services.inbox(current_user, page, current_language(), unread_only=unread_only))


@bp.post("/inbox/<int:notification_id>/open")
@login_required
def open_notification(notification_id):
    outcome = perform(services.open_notification, current_user, notification_id, utcnow())
    return redirect(outcome.result if outcome.ok else url_for("notifications.inbox"))


@bp.post("/inbox/<int:notification_id>/read")
@login_required
def mark_read(notification_id):
    perform(services.mark_read, current_user, notification_id, request.form.get("read") != "0", utcnow())
    return redirect(url_for("notifications.inbox", page=arg_int("page", 1, request.form)))


@bp.post("/inbox/read-all")
@login_required
def mark_all_read():
    perform(services.mark_all_read, current_user, utcnow(), success=_("Every notification is marked read."))
    return redirect(url_for("notifications.inbox"))


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def preferences():
    if request.method == "POST":
        chosen = {tuple(value.split(":", 1)) for value in request.form.getlist("on") if ":" in value}
        perform(services.set_preferences, current_user, chosen, utcnow(), success=_("Your choices are saved."))
        return redirect(url_for("notifications.preferences"))
    return render_template("notifications/preferences.html", choices=services.preferences(current_user),
                           channels=list(Channel))


# --- organisers ---------------------------------------------------------------------------------------------

@bp.get("/organiser/events/<int:event_id>/notifications")
@login_required
def organiser_event(event_id):
    event = events.get_event_for_organiser(current_user, event_id)
    return _organiser_page(event, RemindersForm(hours=", ".join(map(str, services.event_reminder_hours(event)))))


def _organiser_page(event, reminders_form):
    by_kind, by_announcement = services.statistics(current_user, event)
    return render_template("notifications/organiser_event.html", event=event, kinds=list(Kind), by_kind=by_kind,
                           by_announcement=by_announcement, channels=list(Channel), reminders_form=reminders_form,
                           announcements=announcements.for_organiser(current_user, event),
                           failures=services.failures(current_user, event))


@bp.post("/organiser/events/<int:event_id>/notifications/reminders")
@login_required
def set_reminders(event_id):
    event = events.get_event_for_organiser(current_user, event_id)
    form = RemindersForm()
    if form.validate_on_submit():
        outcome = perform(services.set_reminder_hours, current_user, event, form.hours.data, utcnow(), form=form,
                          success=_("The reminder times are saved."))
        if outcome.ok:
            return redirect(url_for("notifications.organiser_event", event_id=event.id))
    return _organiser_page(event, form), 400


def _announcement_form() -> AnnouncementForm:
    form = AnnouncementForm()
    form.province_id.choices = [SelectChoice(0, "—")] + province_choices(current_language())
    return form


@bp.route("/organiser/events/<int:event_id>/announcements/new", methods=["GET", "POST"])
@login_required
def new_announcement(event_id):
    event = events.get_event_for_organiser(current_user, event_id)
    form = _announcement_form()
    if form.validate_on_submit():
        draft = announcements.Draft(form.title_fa.data, form.title_en.data or "", form.body_fa.data,
                                    form.body_en.data or "", form.audience.data, form.province_id.data or None)
        outcome = perform(announcements.create, current_user, event, draft, utcnow(), form=form)
        if outcome.ok:
            return redirect(url_for("notifications.announcement", announcement_id=outcome.result.id))
    status = 400 if request.method == "POST" else 200
    return render_template("notifications/announcement_form.html", event=event, form=form), status


@bp.get("/organiser/announcements/<int:announcement_id>")
@login_required
def announcement(announcement_id):
    item = announcements.get_for_organiser(current_user, announcement_id)
    return _announcement_page(item, ScheduleForm())


def _announcement_page(item, schedule_form):
    language = current_language()
    texts = messages.AnnouncementText(item.title_fa, item.title_en, item.body_fa, item.body_en, item.event.title_fa,
                                      item.event.title_en or item.event.title_fa)
    rendered = {}
    for code in ("fa", "en"):
        with force_locale(code):
            sample = {"name": current_user.name, "team": _("Your team")}  # what a reader's own values stand in for
        rendered[code] = messages.render(Kind.ANNOUNCEMENT, sample, "", code, {"announcement": texts})
    by_announcement = services.statistics(current_user, item.event)[1]
    return render_template("notifications/announcement.html", item=item, event=item.event,
                           preview=announcements.preview(current_user, item, language), rendered=rendered,
                           tally=by_announcement.get(item.id), channels=list(Channel), schedule_form=schedule_form)


@bp.post("/organiser/announcements/<int:announcement_id>/send")
@login_required
def send_announcement(announcement_id):
    item = announcements.get_for_organiser(current_user, announcement_id)
    outcome = perform(announcements.send, current_user, item, utcnow())
    if outcome.ok:
        flash(localize_digits(ngettext("The announcement is on its way to %(num)d person.",
                                       "The announcement is on its way to %(num)d people.", outcome.result)), "success")
    return redirect(url_for("notifications.announcement", announcement_id=announcement_id))


@bp.post("/organiser/announcements/<int:announcement_id>/schedule")
@login_required
def schedule_announcement(announcement_id):
    item = announcements.get_for_organiser(current_user, announcement_id)
    form = ScheduleForm()
    if form.validate_on_submit():
        outcome = perform(announcements.schedule, current_user, item, form.send_at.data, utcnow(), form=form,
                          success=_("The announcement will be sent at the time you chose."))
        if outcome.ok:
            return redirect(url_for("notifications.announcement", announcement_id=announcement_id))
    return _announcement_page(item, form), 400


@bp.post("/organiser/announcements/<int:announcement_id>/unschedule")
@login_required
def unschedule_announcement(announcement_id):
    item = announcements.get_for_organiser(current_user, announcement_id)
    perform(announcements.unschedule, current_user, item, utcnow(), success=_("The schedule is cancelled."))
    return redirect(url_for("notifications.announcement", announcement_id=announcement_id))
