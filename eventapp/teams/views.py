"""Routes of the team side and the organisers' team and map pages. Rules live in services."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.database import utcnow
from ..core.exports import csv_bytes, download, xlsx_bytes
from ..core.forms import EmailForm
from ..core.i18n import current_language
from ..core.page_cache import cached_page
from ..core.web import arg_int, bounded_int, flash_form_errors, perform, safe_next_url
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
    if not perform(services.check_registration_open, event, utcnow()).ok:
        return redirect(url_for("portal.event", slug=slug))
    form = TeamForm()
    fill_place_choices(form, current_language(), event.province_id)
    if request.method == "GET":
        form.contact_email.data = current_user.email
        form.contact_phone.data = current_user.mobile
    status = 200
    if form.validate_on_submit():
        outcome = perform(services.register_team, current_user, event, _team_details(form), utcnow(), form=form,
                          success=_("Your team is registered. The organisers will review it soon; once they "
                                            "approve it, your team can write its progress map."))
        if outcome.ok:
            return redirect(url_for("portal.team_dashboard", team_id=outcome.result.id))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("teams/register.html", form=form, event=event), status


@bp.get("/teams")
@login_required
def mine():
    return render_template("teams/mine.html", teams=services.teams_of(current_user))


@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
@login_required
def edit(team_id):
    team = services.get_team_for(current_user, team_id)
    form = TeamForm(obj=team if request.method == "GET" else None)
    fill_place_choices(form, current_language(), team.event.province_id)
    if request.method == "GET":
        form.province.data, form.county.data = team.province_id, team.county_id
    status = 200
    if form.validate_on_submit():
        outcome = perform(services.update_team, current_user, team, _team_details(form), utcnow(), form=form,
                          success=_("The team's details were saved."))
        if outcome.ok:
            return redirect(url_for("portal.team_dashboard", team_id=team.id))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("teams/edit.html", form=form, team=team), status


def _on_team(team_id, operation, *args, success: str, form=None):
    """A POST from the team's dashboard: run ``operation(current_user, team, *args)`` once ``form`` (if any)
    is valid, say how it went, and go back to the dashboard."""
    team = services.get_team_for(current_user, team_id)
    if form is not None and not form.validate():
        flash_form_errors(form)
    else:
        perform(operation, current_user, team, *args, success=success)
    return redirect(url_for("portal.team_dashboard", team_id=team_id))


def _invitation_link(token: str) -> str:
    return url_for("teams.invitation", token=token, _external=True)


@bp.post("/teams/<int:team_id>/invitations")
@login_required
def invite(team_id):
    form = EmailForm()
    return _on_team(team_id, services.invite_member, form.email.data, utcnow(), _invitation_link,
                    success=_("The invitation was sent."), form=form)


@bp.post("/teams/<int:team_id>/invitations/<int:invitation_id>/cancel")
@login_required
def cancel_invitation(team_id, invitation_id):
    return _on_team(team_id, services.cancel_invitation, invitation_id, utcnow(),
                    success=_("The invitation was cancelled."))


@bp.post("/teams/<int:team_id>/members")
@login_required
def add_member(team_id):
    form = MemberForm()
    return _on_team(team_id, services.add_member_without_account, form.name.data, form.mobile.data,
                    form.national_id.data or "", utcnow(), success=_("The member was added."), form=form)


@bp.post("/teams/<int:team_id>/members/<int:member_id>/remove")
@login_required
def remove_member(team_id, member_id):
    return _on_team(team_id, services.remove_member, member_id, utcnow(), success=_("The member was removed."))


@bp.post("/teams/<int:team_id>/members/<int:member_id>/lead")
@login_required
def make_leader(team_id, member_id):
    return _on_team(team_id, services.transfer_leadership, member_id, utcnow(), success=_("The team has a new leader."))


@bp.post("/teams/<int:team_id>/leave")
@login_required
def leave(team_id):
    team = services.get_team_for(current_user, team_id)
    if perform(services.leave_team, current_user, team, utcnow(), success=_("You left the team.")).ok:
        return redirect(url_for("teams.mine"))
    return redirect(url_for("portal.team_dashboard", team_id=team_id))


@bp.post("/teams/<int:team_id>/withdraw")
@login_required
def withdraw(team_id):
    form = ReasonForm()
    return _on_team(team_id, services.withdraw_team, form.reason.data or "", utcnow(),
                    success=_("The team was withdrawn from the event."), form=form)


@bp.route("/invitations/<token>", methods=["GET", "POST"])
@login_required
def invitation(token):
    found = perform(services.invitation_by_token, token, utcnow())
    if not found.ok:
        return redirect(url_for("teams.mine"))
    invitation = found.result
    form = ReasonForm()  # carries only the CSRF token
    if form.validate_on_submit():
        if perform(services.accept_invitation, current_user, token, utcnow(),
                   success=_("Welcome to %(team)s!", team=invitation.team.name)).ok:
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
            form.province.data, form.county.data = progress_map.province_id, progress_map.county_id
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


def _expected_version(form: MapForm) -> int | None:
    """The version of the map the editor started from (none for a map not saved yet)."""
    return bounded_int(form.version.data)


@bp.route("/teams/<int:team_id>/map", methods=["GET", "POST"])
@login_required
def edit_map(team_id):
    team = services.get_team_for(current_user, team_id)
    form = _map_form(services.map_of(team))
    status = 200
    if form.validate_on_submit():
        outcome = perform(services.save_draft, current_user, team, _draft(form), _expected_version(form), utcnow(),
                          form=form, success=_("The draft was saved."))
        if outcome.ok:
            return redirect(url_for("teams.edit_map", team_id=team.id))
        status = outcome.status
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
    perform(services.submit_map, current_user, team, utcnow(), success=_("Your progress map was submitted."))
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
        perform(services.add_attachment, current_user, team, file.filename, content, utcnow(),
                success=_("The file was attached."))
    return redirect(url_for("teams.edit_map", team_id=team_id) + "#attachments")


@bp.post("/teams/<int:team_id>/map/attachments/<int:attachment_id>/delete")
@login_required
def delete_attachment(team_id, attachment_id):
    team = services.get_team_for(current_user, team_id)
    perform(services.remove_attachment, current_user, team, attachment_id, utcnow(),
            success=_("The file was removed."))
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


FILTER_ARGS = ("status", "type", "province", "q")


def _filter_args() -> dict:
    """The list's own filters from the query, for its links (never the page, nor anything else sent along)."""
    return {key: value for key, value in request.args.items() if key in FILTER_ARGS and value}


def _filters() -> services.TeamFilters:
    return services.TeamFilters(
        status=request.args.get("status", ""), organisation_type=request.args.get("type", ""),
        province_id=arg_int("province"), search=request.args.get("q", ""),
    )


@bp.get("/organiser/events/<int:event_id>/teams")
@login_required
@cached_page
def organiser_teams(event_id):
    event = _event_for_organiser(event_id)
    filters = _filters()
    pagination, members = services.teams_page(current_user, event, filters, arg_int("page", 1),
                                              current_app.config["PAGE_SIZE"])
    return render_template(
        "teams/organiser_teams.html", event=event, pagination=pagination, members=members, filters=filters,
        statuses=TeamStatus, organisation_types=OrganisationType,
        provinces=province_choices(current_language()), args=_filter_args(),
        decision_choices=[(choice.value, str(choice.label)) for choice in DecisionForm().status.choices],
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


def _back_to_teams(team):
    return redirect(safe_next_url(request.form.get("next")) or url_for("teams.organiser_teams", event_id=team.event_id))


@bp.post("/organiser/teams/<int:team_id>/decision")
@login_required
def decide(team_id):
    team = services.get_team_for(current_user, team_id)
    form = DecisionForm()
    if form.validate():
        perform(services.decide_team, current_user, team, form.status.data, form.reason.data or "", utcnow(),
                success=_("%(team)s: %(status)s.", team=team.name, status=TeamStatus(form.status.data).label))
    return _back_to_teams(team)


@bp.post("/organiser/teams/<int:team_id>/screening")
@login_required
def select_in_screening(team_id):
    team = services.get_team_for(current_user, team_id)
    selected = request.form.get("selected") == "1"
    if ReasonForm().validate():
        perform(services.set_screening_selected, current_user, [team], selected, utcnow(),
                success=_("%(team)s is selected in screening.", team=team.name) if selected
                else _("%(team)s is no longer selected in screening.", team=team.name))
    return _back_to_teams(team)


@bp.get("/organiser/events/<int:event_id>/maps")
@login_required
def organiser_maps(event_id):
    event = _event_for_organiser(event_id)
    status = request.args.get("status", "")
    pagination = services.maps_page(current_user, event, status, arg_int("page", 1),
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
    perform(services.reopen_map, current_user, team, utcnow(), success=_("The map is open for changes again."))
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
