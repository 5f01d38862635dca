"""Routes of the pipeline pages: the organisers' board, list and stages, and a project's page. Rules: in services."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..core.database import utcnow
from ..core.i18n import current_language
from ..core.web import arg_int, form_int, perform
from ..events.places import province_choices
from . import charts, services
from .forms import (
    AddProjectForm,
    ConfirmForm,
    DoneForm,
    MilestoneForm,
    MoveForm,
    NoteForm,
    PartnerForm,
    PlanForm,
    ReadingForm,
    stages_form,
)

bp = Blueprint("pipeline", __name__)

FILTER_ARGS = ("event", "province", "stage", "owner", "overdue")


# --- the organisers' board and list ---------------------------------------------------------------------


def _filters() -> services.Filters:
    return services.Filters(event_id=arg_int("event"), province_id=arg_int("province"),
                            stage_id=arg_int("stage"), owner_id=arg_int("owner"),
                            overdue=request.args.get("overdue") == "1")


def _filter_args() -> dict:
    return {key: value for key, value in request.args.items() if key in FILTER_ARGS and value}


def _filter_context(filters: services.Filters) -> dict:
    return {"filters": filters, "args": _filter_args(), "events": services.events_for_filters(),
            "provinces": province_choices(current_language()), "stages": services.ensure_stages(),
            "owners": services.organisers(), "today": services.today()}


def _stages():
    """The stages in board order (the first time the pipeline is opened, the defaults are made and kept)."""
    return perform(services.stages_for, current_user).result


@bp.get("/organiser/pipeline")
@login_required
def board():
    _stages()
    filters = _filters()
    add_form = AddProjectForm(formdata=None)
    add_form.team.choices = [SelectChoice(team.id, team.name) for team in
                             (services.teams_ready(current_user, filters.event_id) if filters.event_id else [])]
    return render_template("pipeline/board.html", columns=services.board(current_user, filters),
                           attention=services.attention(current_user, utcnow()), add_form=add_form,
                           stale_days=services.STALE_AFTER_DAYS, **_filter_context(filters))


@bp.get("/organiser/pipeline/list")
@login_required
def project_list():
    _stages()
    filters = _filters()
    pagination = services.projects_page(current_user, filters, arg_int("page", 1),
                                        current_app.config["PAGE_SIZE"])
    return render_template("pipeline/list.html", pagination=pagination, **_filter_context(filters))


@bp.post("/organiser/pipeline/projects")
@login_required
def create_project():
    event_id = form_int("event", 0)
    ready = services.teams_ready(current_user, event_id)
    form = AddProjectForm()
    form.team.choices = [SelectChoice(team.id, team.name) for team in ready]
    if form.validate():
        team = next(team for team in ready if team.id == form.team.data)
        outcome = perform(services.create_project, current_user, team, utcnow(), form=form,
                          success=_("%(team)s's map is in the pipeline now.", team=team.name))
        if outcome.ok:
            return redirect(url_for("pipeline.project", project_id=outcome.result.id))
    else:
        flash(_("Choose a team from the list."), "error")
    return redirect(url_for("pipeline.board", event=event_id or None))


@bp.route("/organiser/pipeline/stages", methods=["GET", "POST"])
@login_required
def stages():
    stages = _stages()
    form = stages_form(stages)()
    if request.method == "GET":
        for position, stage in enumerate(stages, start=1):
            form[f"name_fa-{stage.id}"].data = stage.name_fa
            form[f"name_en-{stage.id}"].data = stage.name_en
            form[f"position-{stage.id}"].data = position
    status = 200
    if form.validate_on_submit():
        names = {stage.id: (form[f"name_fa-{stage.id}"].data or "", form[f"name_en-{stage.id}"].data or "")
                 for stage in stages}
        order = [stage.id for stage in sorted(stages, key=lambda s: (form[f"position-{s.id}"].data, s.position))]
        outcome = perform(services.save_stages, current_user, names, order, utcnow(), form=form,
                          success=_("The stages were saved."))
        if outcome.ok:
            return redirect(url_for("pipeline.stages"))
        status = outcome.status
    elif form.is_submitted():
        status = 422
    return render_template("pipeline/stages.html", form=form, stages=stages,
                           counts=services.stage_counts()), status


# --- a project's page -----------------------------------------------------------------------------------


def _project_page(project, status: int = 200, **forms):
    """The project's page, with the forms given (one that failed, with its errors) or blank ones."""
    today = services.today()
    organiser = services.runs_pipeline(current_user)
    stages = services.ensure_stages()
    blank = {"move_form": MoveForm, "partner_form": PartnerForm, "milestone_form": MilestoneForm, "note_form": NoteForm}
    for key, form_class in blank.items():
        if forms.get(key) is None:
            forms[key] = form_class(formdata=None)
    move_form = forms["move_form"]
    move_form.stage.choices = [SelectChoice(stage.id, stage.name) for stage in stages if stage.id != project.stage_id]
    plan_form = forms.get("plan_form")
    if plan_form is None:
        plan_form = PlanForm(formdata=None, data={"owner": project.owner_id or 0, "next_step": project.next_step,
                                                  "next_step_due": project.next_step_due})
    plan_form.owner.choices = [SelectChoice(0, "—")] + [SelectChoice(user.id, user.name)
                                                         for user in services.organisers()]
    done_forms = {milestone.id: DoneForm(formdata=None, prefix=f"milestone-{milestone.id}", data={"done_on": today})
                  for milestone in project.milestones if milestone.done_on is None}
    done_forms.update(forms.get("done_forms", {}))
    reading_forms = {indicator.id: ReadingForm(formdata=None, prefix=f"indicator-{indicator.id}")
                     for indicator in project.indicators}
    reading_forms.update(forms.get("reading_forms", {}))
    language = current_language()
    indicator_charts = {indicator.id: charts.indicator_chart(
        indicator.baseline, indicator.target,
        [(reading.taken_on, reading.value, reading.verified_at is not None) for reading in indicator.readings],
        language=language, unit=indicator.unit, title=indicator.name, baseline_label=_("Baseline"),
        target_label=_("Target"), unverified_label=_("not verified"), empty=_("No reading yet."))
        for indicator in project.indicators}
    return render_template(
        "pipeline/project.html", project=project, organiser=organiser, today=today,
        history=services.stage_history(project),
        notes=services.timeline(project), charts=indicator_charts,
        statuses={indicator.id: services.indicator_status(indicator, today) for indicator in project.indicators},
        move_form=move_form, plan_form=plan_form, partner_form=forms["partner_form"],
        milestone_form=forms["milestone_form"], note_form=forms["note_form"], done_forms=done_forms,
        reading_forms=reading_forms, confirm_form=ConfirmForm(formdata=None),
    ), status


def _back(project, anchor: str = ""):
    return redirect(url_for("pipeline.project", project_id=project.id) + (f"#{anchor}" if anchor else ""))


def _submit(project, form, page_forms: dict, success: str, anchor: str, operation, *args):
    """A POST from the project's page: run ``operation(*args)`` if the form is valid; on success back to
    the page, otherwise the page again, with ``page_forms`` (the posted form among them) showing their errors."""
    if form.validate():
        outcome = perform(operation, *args, form=form, success=success)
        if outcome.ok:
            return _back(project, anchor)
        status = outcome.status
    else:
        status = 422
    return _project_page(project, status, **page_forms)


@bp.get("/pipeline/projects/<int:project_id>")
@login_required
def project(project_id):
    return _project_page(services.get_project(current_user, project_id))


@bp.post("/pipeline/projects/<int:project_id>/move")
@login_required
def move(project_id):
    project = services.get_project(current_user, project_id)
    form = MoveForm()
    form.stage.choices = [SelectChoice(stage.id, stage.name) for stage in services.ensure_stages()]
    return _submit(project, form, {"move_form": form}, _("The project was moved."), "moves",
                   services.move, current_user, project, form.stage.data, form.reason.data or "", utcnow())


@bp.post("/pipeline/projects/<int:project_id>/plan")
@login_required
def plan(project_id):
    project = services.get_project(current_user, project_id)
    form = PlanForm()
    form.owner.choices = [SelectChoice(0, "—")] + [SelectChoice(user.id, user.name) for user in services.organisers()]
    plan = services.Plan(owner_id=form.owner.data or None, next_step=form.next_step.data or "",
                         next_step_due=form.next_step_due.data)
    return _submit(project, form, {"plan_form": form}, _("The plan was saved."), "plan",
                   services.update_plan, current_user, project, plan, utcnow())


@bp.post("/pipeline/projects/<int:project_id>/partners")
@login_required
def add_partner(project_id):
    project = services.get_project(current_user, project_id)
    form = PartnerForm()
    return _submit(project, form, {"partner_form": form}, _("The partner was added."), "partners",
                   services.add_partner, current_user, project, form.name.data or "", form.role.data or "",
                   utcnow())


@bp.post("/pipeline/projects/<int:project_id>/partners/<int:partner_id>/remove")
@login_required
def remove_partner(project_id, partner_id):
    project = services.get_project(current_user, project_id)
    if ConfirmForm().validate():
        perform(services.remove_partner, current_user, project, partner_id, utcnow(),
                success=_("The partner was removed."))
    return _back(project, "partners")


@bp.post("/pipeline/projects/<int:project_id>/milestones")
@login_required
def add_milestone(project_id):
    project = services.get_project(current_user, project_id)
    form = MilestoneForm()
    return _submit(project, form, {"milestone_form": form}, _("The milestone was added."), "milestones",
                   services.add_milestone, current_user, project, form.title.data or "", form.due_on.data, utcnow())


@bp.post("/pipeline/projects/<int:project_id>/milestones/<int:milestone_id>/done")
@login_required
def mark_milestone(project_id, milestone_id):
    project = services.get_project(current_user, project_id)
    form = DoneForm(prefix=f"milestone-{milestone_id}")
    return _submit(project, form, {"done_forms": {milestone_id: form}}, _("The milestone is marked done."),
                   "milestones", services.mark_milestone, current_user, project, milestone_id, form.done_on.data,
                   utcnow())


@bp.post("/pipeline/projects/<int:project_id>/milestones/<int:milestone_id>/undo")
@login_required
def unmark_milestone(project_id, milestone_id):
    project = services.get_project(current_user, project_id)
    if ConfirmForm().validate():
        perform(services.mark_milestone, current_user, project, milestone_id, None, utcnow(),
                success=_("The milestone is marked not done."))
    return _back(project, "milestones")


@bp.post("/pipeline/projects/<int:project_id>/indicators/<int:indicator_id>/readings")
@login_required
def post_reading(project_id, indicator_id):
    project = services.get_project(current_user, project_id)
    form = ReadingForm(prefix=f"indicator-{indicator_id}")
    details = services.ReadingDetails(taken_on=form.taken_on.data, value=form.value.data,
                                      source=form.source.data or "", note=form.note.data or "")
    return _submit(project, form, {"reading_forms": {indicator_id: form}},
                   _("The reading was posted. It counts once an organiser verifies it."), f"indicator-{indicator_id}",
                   services.post_reading, current_user, project, indicator_id, details, utcnow())


@bp.post("/pipeline/projects/<int:project_id>/readings/<int:reading_id>/verify")
@login_required
def verify_reading(project_id, reading_id):
    project = services.get_project(current_user, project_id)
    indicator_id = next((indicator.id for indicator in project.indicators
                         if any(reading.id == reading_id for reading in indicator.readings)), None)
    if ConfirmForm().validate():
        perform(services.verify_reading, current_user, project, reading_id, utcnow(),
                success=_("The reading was verified."))
    return _back(project, f"indicator-{indicator_id}" if indicator_id else "indicators")


@bp.post("/pipeline/projects/<int:project_id>/notes")
@login_required
def post_note(project_id):
    project = services.get_project(current_user, project_id)
    form = NoteForm()
    limit = current_app.config["MAX_ATTACHMENT_BYTES"] + 1
    files = [(file.filename, file.read(limit)) for file in request.files.getlist(form.files.name)
             if file and file.filename]
    return _submit(project, form, {"note_form": form}, _("Your update was posted."), "timeline",
                   services.post_note, current_user, project, form.body.data or "", files, utcnow())


@bp.get("/pipeline/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id):
    item, path = services.note_attachment_for_download(current_user, attachment_id)
    if not path.exists():
        abort(404)
    response = send_file(path, mimetype=item.content_type, as_attachment=True, download_name=item.original_name,
                         max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response
