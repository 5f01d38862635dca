"""Routes of the team side and the organisers' team and map pages. Rules live in services."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.database import utcnow
from ..core.errors import DomainError
from ..core.exports import csv_bytes, download, xlsx_bytes
from ..core.forms import EmailForm
from ..core.i18n import current_language
from ..core.web import commit_or_flash, safe_next_url, save_or_show
from ..events import services as events
from ..events.models import Event
from ..events.places import fill_place_choices, province_choices
from . import exports, services
from .enums import MapStatus, OrganisationType, TeamStatus
from .forms import DecisionForm, MapForm, MemberForm, ReasonForm, TeamForm
from .models import MAP_SECTIONS

bp = Blueprint("teams", __name__)


def _team_details(form: TeamForm) -> services.TeamDetails:
    return services.TeamDetails(
        name=form.name.data, organisation_type=form.organisation_type.data,
        organisation_name=form.organisation_name.data, province_id=form.province.data, county_id=form.county.data,
        introduction=form.introduction.data or "", contact_email=form.contact_email.data,
        contact_phone=form.contact_phone.data,
    )


# --- registration and the team's own pages ---------------------------------------------------------

@bp.route("/events/<slug>/register", methods=["GET", "POST"])
@login_required
def register(slug):
    event = events.get_event(slug)
    existing = services.team_in_event(current_user, event)
    if existing is not None:
        return redirect(url_for("portal.team_dashboard", team_id=existing.id))
    if not event.phase_open("registration", utcnow()):
        flash(_("Registration for this event is closed."), "error")
        return redirect(url_for("portal.event", slug=slug))
    form = TeamForm()
    fill_place_choices(form, current_language())
    if request.method == "GET":
        form.contact_email.data = current_user.email
        form.contact_phone.data = current_user.mobile
    if form.validate_on_submit():
        team, _error = save_or_show(form, lambda: services.register_team(current_user, event, _team_details(form), utcnow()))
        if team is not None:
            flash(_("Your team is registered. The organisers will review it soon."), "success")
            return redirect(url_for("portal.team_dashboard", team_id=team.id))
    return render_template("teams/register.html", form=form, event=event), 422 if form.is_submitted() else 200


@bp.get("/teams")
@login_required
def mine():
    return render_template("teams/mine.html", teams=services.teams_of(current_user))


@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
@login_required
def edit(team_id):
    team = services.get_team_for(current_user, team_id)
    form = TeamForm(obj=team if request.method == "GET" else None)
    fill_place_choices(form, current_language())
    if request.method == "GET":
        form.province.data, form.county.data = team.province_id, team.county_id
    if form.validate_on_submit():
        if save_or_show(form, lambda: services.update_team(current_user, team, _team_details(form)))[0] is not None:
            flash(_("The team's details were saved."), "success")
            return redirect(url_for("portal.team_dashboard", team_id=team.id))
    return render_template("teams/edit.html", form=form, team=team), 422 if form.is_submitted() else 200


def _member_action(team_id, operation, success: str, form=None):
    """A POST from the dashboard: run the operation, say how it went, go back to the dashboard."""
    team = services.get_team_for(current_user, team_id)
    if form is not None and not form.validate():
        flash(" ".join(error for errors in form.errors.values() for error in errors), "error")
    elif commit_or_flash(lambda: operation(team)):
        flash(success, "success")
    return redirect(url_for("portal.team_dashboard", team_id=team_id))


@bp.post("/teams/<int:team_id>/invitations")
@login_required
def invite(team_id):
    form = EmailForm()
    link_for = lambda token: url_for("teams.invitation", token=token, _external=True)  # noqa: E731
    return _member_action(team_id, lambda team: services.invite_member(current_user, team, form.email.data,
                                                                       utcnow(), link_for),
                          _("The invitation was sent."), form)


@bp.post("/teams/<int:team_id>/invitations/<int:invitation_id>/cancel")
@login_required
def cancel_invitation(team_id, invitation_id):
    return _member_action(team_id, lambda team: services.cancel_invitation(current_user, team, invitation_id, utcnow()),
                          _("The invitation was cancelled."))


@bp.post("/teams/<int:team_id>/members")
@login_required
def add_member(team_id):
    form = MemberForm()
    return _member_action(team_id, lambda team: services.add_member_without_account(
        current_user, team, form.name.data, form.mobile.data, form.national_id.data or "", utcnow()),
        _("The member was added."), form)


@bp.post("/teams/<int:team_id>/members/<int:member_id>/remove")
@login_required
def remove_member(team_id, member_id):
    return _member_action(team_id, lambda team: services.remove_member(current_user, team, member_id, utcnow()),
                          _("The member was removed."))


@bp.post("/teams/<int:team_id>/members/<int:member_id>/lead")
@login_required
def make_leader(team_id, member_id):
    return _member_action(team_id, lambda team: services.transfer_leadership(current_user, team, member_id),
                          _("The team has a new leader."))


@bp.post("/teams/<int:team_id>/leave")
@login_required
def leave(team_id):
    team = services.get_team_for(current_user, team_id)
    if commit_or_flash(lambda: services.leave_team(current_user, team, utcnow())):
        flash(_("You left the team."), "success")
        return redirect(url_for("teams.mine"))
    return redirect(url_for("portal.team_dashboard", team_id=team_id))


@bp.post("/teams/<int:team_id>/withdraw")
@login_required
def withdraw(team_id):
    form = ReasonForm()
    return _member_action(team_id, lambda team: services.withdraw_team(current_user, team, form.reason.data or "",
                                                                       utcnow()),
                          _("The team was withdrawn from the event."), form)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@login_required
def invitation(token):
    try:
        invitation = services.invitation_by_token(token, utcnow())
    except DomainError as error:
        flash(str(error), "error")
        return redirect(url_for("teams.mine"))
    form = ReasonForm()  # carries only the CSRF token
    if form.validate_on_submit():
        if commit_or_flash(lambda: services.accept_invitation(current_user, token, utcnow())):
            flash(_("Welcome to %(team)s!", team=invitation.team.name), "success")
            return redirect(url_for("portal.team_dashboard", team_id=invitation.team_id))
    return render_template("teams/invitation.html", invitation=invitation, form=form)


# --- the progress map --------------------------------------------------------------------------------

def _map_form(progress_map) -> MapForm:
    """The editor's form: what was posted, or the saved map with one blank indicator and action row."""
    if request.method == "POST":
        form = MapForm()
    else:
        form = MapForm(obj=progress_map)
        if progress_map is not None:
            form.province.data, form.county.data = progress_map.province_id or 0, progress_map.county_id or 0
            form.version.data = progress_map.version
            form.indicators.append_entry()
            form.actions.append_entry()
    fill_place_choices(form, current_language())
    return form


def _draft(form: MapForm) -> services.MapDraft:
    return services.MapDraft(
        title=form.title.data or "", province_id=form.province.data or None, county_id=form.county.data or None,
        district=form.district.data or "", latitude=form.latitude.data, longitude=form.longitude.data,
        sections={section: form[section].data or "" for section in MAP_SECTIONS},
        indicators=[services.IndicatorRow(**row.data) for row in form.indicators],
        actions=[services.ActionRow(**row.data) for row in form.actions],
    )


@bp.route("/teams/<int:team_id>/map", methods=["GET", "POST"])
@login_required
def edit_map(team_id):
    team = services.get_team_for(current_user, team_id)
    progress_map = services.map_of(team)
    form = _map_form(progress_map)
    status = 200
    if form.validate_on_submit():
        version = int(form.version.data) if (form.version.data or "").isdigit() else None
        saved, error = save_or_show(form, lambda: services.save_draft(current_user, team, _draft(form), version, utcnow()))
        if saved is not None:
            flash(_("The draft was saved."), "success")
            return redirect(url_for("teams.edit_map", team_id=team.id))
        status = error.status_code
    elif form.is_submitted():
        status = 422
    return render_template(
        "teams/map_edit.html", team=team, form=form, progress_map=services.map_of(team),
        labels=services.section_labels(), sections=MAP_SECTIONS, now=utcnow(),
        is_leader=team.is_led_by(current_user),
    ), status


@bp.post("/teams/<int:team_id>/map/submit")
@login_required
def submit_map(team_id):
    team = services.get_team_for(current_user, team_id)
    if commit_or_flash(lambda: services.submit_map(current_user, team, utcnow())):
        flash(_("Your progress map was submitted."), "success")
    return redirect(url_for("teams.edit_map", team_id=team_id))


@bp.post("/teams/<int:team_id>/map/attachments")
@login_required
def upload(team_id):
    team = services.get_team_for(current_user, team_id)
    file = request.files.get("file")
    if file is None or not file.filename:
        flash(_("Choose a file to attach."), "error")
    else:
        content = file.read(current_app.config["MAX_ATTACHMENT_BYTES"] + 1)
        if commit_or_flash(lambda: services.add_attachment(current_user, team, file.filename, content, utcnow())):
            flash(_("The file was attached."), "success")
    return redirect(url_for("teams.edit_map", team_id=team_id) + "#attachments")


@bp.post("/teams/<int:team_id>/map/attachments/<int:attachment_id>/delete")
@login_required
def delete_attachment(team_id, attachment_id):
    team = services.get_team_for(current_user, team_id)
    if commit_or_flash(lambda: services.remove_attachment(current_user, team, attachment_id)):
        flash(_("The file was removed."), "success")
    return redirect(url_for("teams.edit_map", team_id=team_id) + "#attachments")


@bp.get("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id):
    item, path = services.attachment_for_download(current_user, attachment_id)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype=item.content_type, as_attachment=True, download_name=item.original_name,
                         max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/teams/<int:team_id>/map/print")
@login_required
def print_map(team_id):
    team = services.get_team_for(current_user, team_id)
    progress_map = services.map_of(team)
    if progress_map is None:
        abort(404)
    return render_template("teams/map_print.html", team=team, progress_map=progress_map,
                           labels=services.section_labels(), sections=MAP_SECTIONS)


# --- organisers ------------------------------------------------------------------------------------

def _event_for_organiser(event_id: int) -> Event:
    return events.get_event_for_organiser(current_user, event_id)


def _filters() -> services.TeamFilters:
    return services.TeamFilters(
        status=request.args.get("status", ""), organisation_type=request.args.get("type", ""),
        province_id=request.args.get("province", type=int), search=request.args.get("q", ""),
    )


@bp.get("/organiser/events/<int:event_id>/teams")
@login_required
def organiser_teams(event_id):
    event = _event_for_organiser(event_id)
    filters = _filters()
    pagination = services.teams_page(current_user, event, filters, request.args.get("page", 1, type=int),
                                     current_app.config["PAGE_SIZE"])
    return render_template(
        "teams/organiser_teams.html", event=event, pagination=pagination, filters=filters,
        statuses=TeamStatus, organisation_types=OrganisationType,
        provinces=province_choices(current_language()), decision_form=DecisionForm(), args=request.args.to_dict(),
    )


@bp.get("/organiser/events/<int:event_id>/teams.<any(csv, xlsx):kind>")
@login_required
def export_teams(event_id, kind):
    event = _event_for_organiser(event_id)
    headers, rows = exports.team_rows(services.teams_for_export(current_user, event, _filters()))
    name = f"teams-{event.slug}.{kind}"
    if kind == "csv":
        return download(csv_bytes(headers, rows), name)
    return download(xlsx_bytes({_("Teams"): (headers, rows)}, right_to_left=current_language() == "fa"), name)


@bp.post("/organiser/teams/<int:team_id>/decision")
@login_required
def decide(team_id):
    team = services.get_team_for(current_user, team_id)
    form = DecisionForm()
    if form.validate() and commit_or_flash(
            lambda: services.decide_team(current_user, team, form.status.data, form.reason.data or "", utcnow())):
        flash(_("%(team)s: %(status)s.", team=team.name, status=TeamStatus(form.status.data).label), "success")
    return redirect(safe_next_url(request.form.get("next")) or url_for("teams.organiser_teams", event_id=team.event_id))


@bp.post("/organiser/teams/<int:team_id>/screening")
@login_required
def select_in_screening(team_id):
    team = services.get_team_for(current_user, team_id)
    selected = request.form.get("selected") == "1"
    if ReasonForm().validate() and commit_or_flash(
            lambda: services.set_screening_selected(current_user, team, selected)):
        flash(_("%(team)s is selected in screening.", team=team.name) if selected
              else _("%(team)s is no longer selected in screening.", team=team.name), "success")
    return redirect(safe_next_url(request.form.get("next")) or url_for("teams.organiser_teams", event_id=team.event_id))


@bp.get("/organiser/events/<int:event_id>/maps")
@login_required
def organiser_maps(event_id):
    event = _event_for_organiser(event_id)
    status = request.args.get("status", "")
    pagination = services.maps_page(current_user, event, status, request.args.get("page", 1, type=int),
                                    current_app.config["PAGE_SIZE"])
    return render_template("teams/organiser_maps.html", event=event, pagination=pagination, status=status,
                           tabs=(MapStatus.SUBMITTED, MapStatus.DRAFT))


@bp.get("/organiser/events/<int:event_id>/maps.xlsx")
@login_required
def export_maps(event_id):
    event = _event_for_organiser(event_id)
    sheets = exports.map_sheets(services.maps_for_export(current_user, event), services.section_labels())
    return download(xlsx_bytes(sheets, right_to_left=current_language() == "fa"), f"maps-{event.slug}.xlsx")


@bp.post("/organiser/teams/<int:team_id>/map/reopen")
@login_required
def reopen_map(team_id):
    team = services.get_team_for(current_user, team_id)
    if commit_or_flash(lambda: services.reopen_map(current_user, team, utcnow())):
        flash(_("The map is open for changes again."), "success")
    return redirect(url_for("teams.map_history", team_id=team_id))


@bp.get("/organiser/teams/<int:team_id>/map/history")
@login_required
def map_history(team_id):
    team = services.get_team_for(current_user, team_id)
    revisions = services.revisions_of(current_user, team)
    changes = [(newer, services.compare_revisions(older, newer)) for older, newer in zip(revisions, revisions[1:])]
    labels = {**services.section_labels(), "indicators": _("Measurable indicators"), "actions": _("Planned actions")}
    return render_template("teams/map_history.html", team=team, revisions=revisions, changes=changes,
                           progress_map=services.map_of(team), labels=labels)
