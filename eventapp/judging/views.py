"""Routes of judging: the judges' dashboard and scoring page, the organisers' rounds."""
import io

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..core.database import utcnow
from ..core.exports import csv_bytes, download
from ..core.forms import EmailForm
from ..core.i18n import current_language, localize_digits
from ..core.page_cache import cached_page
from ..core.web import arg_int, bounded_int, form_int, form_ints, perform
from ..events import services as events
from ..events.places import province_choices
from ..teams import services as teams
from ..teams.models import MAP_SECTIONS
from . import exports, services
from .enums import CombiningMethod
from .forms import (
    ConflictForm,
    ProfileForm,
    RoundForm,
    RubricChoiceForm,
    RubricForm,
    SelectTopForm,
    format_levels,
    parse_levels,
    score_form,
)

bp = Blueprint("judging", __name__)

# --- judges ---------------------------------------------------------------------------------------


@bp.route("/judging/profile", methods=["GET", "POST"])
@login_required
def profile():
    existing = services.profile_of(current_user)
    form = ProfileForm(obj=existing if request.method == "GET" else None)
    form.province.choices = [SelectChoice(0, "—")] + province_choices(current_language())
    if request.method == "GET" and existing is not None:
        form.province.data = existing.province_id or 0
    if form.validate_on_submit() and perform(
            services.save_profile, current_user, form.expertise.data or "", form.province.data or None,
            success=_("Your profile was saved.")).ok:
        return redirect(url_for("portal.judge_dashboard"))
    return render_template("judging/profile.html", form=form)


def _scores_into(form, assignment) -> None:
    for score in assignment.scores:
        form[f"score-{score.criterion_id}"].data = score.value
        form[f"comment-{score.criterion_id}"].data = score.comment
    form.outlier_comment.data = assignment.outlier_comment


@bp.route("/judging/assignments/<int:assignment_id>", methods=["GET", "POST"])
@login_required
def score(assignment_id):
    assignment = services.get_assignment_for(current_user, assignment_id)
    criteria = assignment.round.rubric.criteria
    form = score_form(criteria)()
    if request.method == "GET":
        _scores_into(form, assignment)
    status = 200
    if form.validate_on_submit():
        values = {c.id: form[f"score-{c.id}"].data for c in criteria}
        comments = {c.id: form[f"comment-{c.id}"].data or "" for c in criteria}
        submitting = request.form.get("action") == "submit"
        # The draft is saved (and committed) first: it is kept even when the submission is refused.
        outcome = perform(services.save_scores, current_user, assignment, values, comments, utcnow(), form=form,
                          success=None if submitting else _("Your draft was saved."))
        if outcome.ok and submitting:
            outcome = perform(services.submit_scores, current_user, assignment, form.outlier_comment.data or "",
                              utcnow(), form=form, success=_("Your scores were submitted."))
        if outcome.ok:
            return redirect(url_for("judging.score", assignment_id=assignment.id))
        status = outcome.status
    team = assignment.team
    attachment_links = [(url_for("judging.entry_file", assignment_id=assignment.id, number=item.number), item.name)
                        for item in services.entry_files(assignment)]
    return render_template(
        "judging/score.html", assignment=assignment, form=form, criteria=criteria, team=team,
        progress_map=services.entry_map(assignment), labels=teams.section_labels(), sections=MAP_SECTIONS,
        attachment_links=attachment_links, refusal=services.scoring_refusal(current_user, assignment, utcnow()),
        needs_comment=services.needs_outlier_comment(assignment), conflict_form=ConflictForm(), now=utcnow(),
        others=services.others_scores(current_user, assignment),
        total=services.judge_total(assignment),
    ), status


@bp.get("/judging/assignments/<int:assignment_id>/files/<int:number>")
@login_required
def entry_file(assignment_id, number):
    """An entry's attachment for its judge: in a blind round under a neutral name, without its metadata."""
    item, content = services.entry_file(current_user, assignment_id, number)
    response = send_file(io.BytesIO(content), mimetype=item.content_type, as_attachment=True,
                         download_name=item.name, max_age=0)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/judging/assignments/<int:assignment_id>/conflict")
@login_required
def declare_conflict(assignment_id):
    assignment = services.get_assignment_for(current_user, assignment_id)
    form = ConflictForm()
    if not form.validate():
        flash(_("Say what the conflict is."), "error")
        return redirect(url_for("judging.score", assignment_id=assignment_id))
    if perform(services.declare_conflict, current_user, assignment.team, assignment.user, form.reason.data, utcnow(),
               success=_("Your conflict was recorded and the entry was handed to another judge.")).ok:
        return redirect(url_for("portal.judge_dashboard"))
    return redirect(url_for("judging.score", assignment_id=assignment_id))


# --- organisers --------------------------------------------------------------------------------------


@bp.get("/organiser/events/<int:event_id>/judging")
@login_required
def organiser_event(event_id):
    event = events.get_event_for_organiser(current_user, event_id)
    copy_form = RubricChoiceForm()
    copy_form.rubric.choices = [SelectChoice(r.id, f"{r.title} — {r.event.title}")
                                for r in services.rubrics_to_copy(current_user)]
    rubrics = services.event_rubrics(event)
    return render_template("judging/organiser_event.html", event=event, rounds=services.rounds_of(event),
                           judges=services.event_judges(event), rubrics=rubrics, copy_form=copy_form,
                           in_use={r.id: services.rubric_in_use(r) for r in rubrics},
                           weight_warnings={r.id: services.weight_warning([c.weight for c in r.criteria])
                                            for r in rubrics})


@bp.post("/organiser/events/<int:event_id>/rubrics")
@login_required
def create_rubric(event_id):
    event = events.get_event_for_organiser(current_user, event_id)
    source_id = form_int("rubric")
    if source_id:
        perform(services.copy_rubric, current_user, services.get_rubric_for_organiser(current_user, source_id), event,
                utcnow(), success=_("The rubric was copied."))
    else:
        perform(services.save_rubric, current_user, event, "شاخص‌های داوری نقشه پیشرفت", "Progress map rubric",
                services.default_criteria(), utcnow(), success=_("The default rubric was created."))
    return redirect(url_for("judging.organiser_event", event_id=event.id))


def _round_form(event, round_=None) -> RoundForm:
    form = RoundForm(obj=round_ if request.method == "GET" else None)
    rubrics = services.event_rubrics(event)
    form.rubric.choices = [SelectChoice("", "—")] + [SelectChoice(r.id, r.title) for r in rubrics]
    criteria = [SelectChoice(0, "—")] + [SelectChoice(c.id, f"{c.title} ({r.title})") for r in rubrics for c in r.criteria]
    for name in RoundForm.TIE_BREAKERS:
        form[name].choices = criteria
    if request.method == "GET" and round_ is None and rubrics:
        form.rubric.data = rubrics[0].id
    if request.method == "GET" and round_ is not None:
        form.rubric.data = round_.rubric_id
        for name, criterion_id in zip(RoundForm.TIE_BREAKERS, round_.tie_breakers):
            form[name].data = criterion_id
    return form


def _round_details(form: RoundForm) -> services.RoundDetails:
    return services.RoundDetails(
        kind=form.kind.data, rubric_id=form.rubric.data, starts_at=form.starts_at.data, ends_at=form.ends_at.data,
        judges_per_entry=form.judges_per_entry.data, blind=form.blind.data, method=form.method.data,
        disagreement_threshold=form.disagreement_threshold.data, outlier_threshold=form.outlier_threshold.data,
        show_others_after_submit=form.show_others_after_submit.data,
        tie_breakers=[form[name].data for name in RoundForm.TIE_BREAKERS if form[name].data],
    )


@bp.route("/organiser/events/<int:event_id>/rounds/new", methods=["GET", "POST"])
@login_required
def create_round(event_id):
    event = events.get_event_for_organiser(current_user, event_id)
    form = _round_form(event)
    if form.validate_on_submit():
        outcome = perform(services.save_round, current_user, event, _round_details(form), utcnow(), form=form,
                          success=_("The round was saved."))
        if outcome.ok:
            return redirect(url_for("judging.organiser_round", round_id=outcome.result.id))
    return render_template("judging/round_form.html", form=form, event=event, round=None), \
        422 if form.is_submitted() else 200


@bp.route("/organiser/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@login_required
def edit_round(round_id):
    round_ = services.get_round_for_organiser(current_user, round_id)
    form = _round_form(round_.event, round_)
    if form.validate_on_submit() and perform(services.save_round, current_user, round_.event, _round_details(form),
                                             utcnow(), round_=round_, form=form, success=_("The round was saved.")).ok:
        return redirect(url_for("judging.organiser_round", round_id=round_.id))
    return render_template("judging/round_form.html", form=form, event=round_.event, round=round_), \
        422 if form.is_submitted() else 200


@bp.get("/organiser/rounds/<int:round_id>")
@login_required
def organiser_round(round_id):
    round_ = services.get_round_for_organiser(current_user, round_id)
    return render_template("judging/organiser_round.html", round=round_, entry_teams=services.entry_teams(round_),
                           conflict_form=ConflictForm(),
                           judges=services.judges_of(round_), assignments=services.round_assignments(round_),
                           candidates=services.entry_candidates(round_), uncovered=services.uncovered(round_))


@bp.post("/organiser/rounds/<int:round_id>/entries")
@login_required
def add_entries(round_id):
    round_ = services.get_round_for_organiser(current_user, round_id)
    team_ids = form_ints("team")
    perform(services.add_entries, current_user, round_, team_ids, utcnow(), success=_("The entries were added."))
    return redirect(url_for("judging.organiser_round", round_id=round_id))


@bp.post("/organiser/rounds/<int:round_id>/judges")
@login_required
def add_judges(round_id):
    round_ = services.get_round_for_organiser(current_user, round_id)
    outcome = perform(services.add_all_judges, current_user, round_, utcnow())
    if outcome.ok:
        flash(localize_digits(ngettext("%(num)s judge of the event was added to the round.",
                                       "%(num)s judges of the event were added to the round.", outcome.result)),
              "success")
    return redirect(url_for("judging.organiser_round", round_id=round_id))


@bp.post("/organiser/rounds/<int:round_id>/assign")
@login_required
def assign(round_id):
    round_ = services.get_round_for_organiser(current_user, round_id)
    perform(services.assign_automatically, current_user, round_, utcnow(), success=_("The judges were assigned."))
    return redirect(url_for("judging.organiser_round", round_id=round_id))


@bp.post("/organiser/assignments/<int:assignment_id>/reopen")
@login_required
def reopen(assignment_id):
    assignment = services.get_assignment_for(current_user, assignment_id)
    perform(services.reopen_scores, current_user, assignment, utcnow(),
            success=_("The scores are open for changes again."))
    return redirect(url_for("judging.organiser_round", round_id=assignment.round_id))


# --- results -------------------------------------------------------------------------------------------

LEADERBOARD_PAGE_SIZE = 50
LEADERBOARD_ARGS = ("method", "q", "flagged", "near", "cut")  # the page's own query, kept by the pager


def _leaderboard_filters() -> services.LeaderboardFilters:
    return services.LeaderboardFilters(search=request.args.get("q", ""), flagged=request.args.get("flagged") == "1",
                                       near_cutoff=request.args.get("near") == "1", cut=arg_int("cut"))


@bp.get("/organiser/rounds/<int:round_id>/results")
@login_required
def results(round_id):
    """The leaderboard a page at a time (the exports have every row), filtered by the query's arguments: an
    argument it does not know, or a value it cannot read, is ignored."""
    round_ = services.get_round_for_organiser(current_user, round_id)
    method = request.args.get("method")
    method = CombiningMethod(method) if method in CombiningMethod.values() else None
    filters = _leaderboard_filters()
    page = services.leaderboard_page(current_user, round_, method, filters, arg_int("page", 1), LEADERBOARD_PAGE_SIZE)
    publications = services.publications_of(round_)
    return render_template("judging/results.html", round=round_, page=page, board=page.board, filters=filters,
                           method=method or round_.method, select_form=SelectTopForm(),
                           publication=next((item for item in publications if item.superseded_at is None), None),
                           publications=publications,
                           args={key: value for key, value in request.args.items() if key in LEADERBOARD_ARGS and value})


@bp.post("/organiser/rounds/<int:round_id>/publish")
@login_required
def publish(round_id):
    round_ = services.get_round_for_organiser(current_user, round_id)
    awards = {team_id: (value or None) for key, value in request.form.items() if key.startswith("award-")
              and (team_id := bounded_int(key.removeprefix("award-"))) is not None}
    by_group = request.form.get("by_group") == "y"
    perform(services.publish, current_user, round_, awards, utcnow(), by_group=by_group,
            success=_("The results were published, a ranking per group.") if by_group
            else _("The results were published."))
    return redirect(url_for("judging.results", round_id=round_id))


@bp.post("/organiser/rounds/<int:round_id>/select")
@login_required
def select_top(round_id):
    round_ = services.get_round_for_organiser(current_user, round_id)
    form = SelectTopForm()
    if not form.validate():
        flash(_("Enter how many teams go on."), "error")
    else:
        perform(services.select_top, current_user, round_, form.count.data, utcnow(),
                success=_("The top teams are selected for the final round."))
    return redirect(url_for("judging.results", round_id=round_id))


@bp.get("/events/<slug>/results")
@cached_page
def public_results(slug):
    event = events.get_event(slug)
    return render_template("judging/public_results.html", event=event,
                           publications=services.published_results(event))


def _sheets_download(sheets: exports.Sheets, what: str, kind: str, name: str):
    """One sheet as CSV, or every sheet as XLSX with ``what`` first."""
    if kind == "csv":
        return download(csv_bytes(*sheets[what]), f"{name}.csv")
    return download(exports.workbook(sheets, what, right_to_left=current_language() == "fa"), f"{name}.xlsx")


@bp.get("/organiser/rounds/<int:round_id>/<any(scores, leaderboard, rubric, about):what>.<any(csv, xlsx):kind>")
@login_required
def export(round_id, what, kind):
    round_ = services.get_round_for_organiser(current_user, round_id)
    sheets = exports.round_sheets(round_, services.leaderboard(current_user, round_), utcnow())
    return _sheets_download(sheets, what, kind, f"{what}-{round_.event.slug}-{round_.kind}")


@bp.get("/organiser/publications/<int:publication_id>/<any(results, scores, rubric, about):what>."
        "<any(csv, xlsx):kind>")
@login_required
def export_publication(publication_id, what, kind):
    """A publication's frozen snapshot: what the public saw, whatever the scores became later."""
    publication = services.get_publication_for_organiser(current_user, publication_id)
    moment = publication.published_at.strftime("%Y%m%d-%H%M%S")
    return _sheets_download(exports.publication_sheets(publication), what, kind,
                            f"published-{what}-{publication.round.event.slug}-{publication.round.kind}-{moment}")


@bp.get("/organiser/rounds/<int:round_id>/quality")
@login_required
def quality(round_id):
    round_ = services.get_round_for_organiser(current_user, round_id)
    return render_template("judging/quality.html", round=round_, quality=services.quality(current_user, round_))


# --- inviting judges, conflicts and moves by hand ---------------------------------------------------------


@bp.post("/organiser/events/<int:event_id>/judges/invite")
@login_required
def invite_judge(event_id):
    event = events.get_event_for_organiser(current_user, event_id)
    form = EmailForm()
    if not form.validate():
        flash(_("Enter a valid email address."), "error")
    else:
        perform(services.invite_judge, current_user, event, form.email.data, _invitation_link, utcnow(),
                success=_("The invitation was sent."))
    return redirect(url_for("judging.organiser_event", event_id=event_id))


def _invitation_link(token: str) -> str:
    return url_for("judging.judge_invitation", token=token, _external=True)


@bp.route("/judging/invitations/<token>", methods=["GET", "POST"])
@login_required
def judge_invitation(token):
    if request.method == "POST":
        outcome = perform(services.accept_judge_invitation, current_user, token, utcnow())
        if not outcome.ok:
            return redirect(url_for("events.index"))
        flash(_("You are a judge of %(event)s. Tell us your expertise and home province.",
                event=outcome.result.title), "success")
        return redirect(url_for("judging.profile"))
    return render_template("judging/invitation.html", token=token)


@bp.post("/organiser/rounds/<int:round_id>/conflicts")
@login_required
def add_conflict(round_id):
    round_ = services.get_round_for_organiser(current_user, round_id)
    form = ConflictForm()
    if not form.validate():
        flash(_("Choose a judge and a team, and say what the conflict is."), "error")
    else:
        perform(services.record_conflict, current_user, round_, form_int("judge", 0),
                form_int("team", 0), form.reason.data, utcnow(),
                success=_("The conflict was recorded; the judge's entry was handed to another judge where one was "
                          "free."))
    return redirect(url_for("judging.organiser_round", round_id=round_id))


@bp.post("/organiser/assignments/<int:assignment_id>/move")
@login_required
def move(assignment_id):
    assignment = services.get_assignment_for(current_user, assignment_id)
    to_judge = form_int("judge")
    if to_judge:
        perform(services.move_assignment, current_user, assignment, to_judge, utcnow(),
                success=_("The entry was handed to another judge."))
    return redirect(url_for("judging.organiser_round", round_id=assignment.round_id))


# --- building a rubric ---------------------------------------------------------------------------------------


def _criteria_from(form: RubricForm) -> list[services.CriterionDetails]:
    """The criteria of a validated form (its level lines parse); rows without a Persian title are dropped."""
    return [services.CriterionDetails(
        title_fa=row.title_fa.data, title_en=row.title_en.data or "", description_fa=row.description_fa.data or "",
        weight=row.weight.data or 0, scale_min=row.scale_min.data if row.scale_min.data is not None else 0,
        scale_max=row.scale_max.data if row.scale_max.data is not None else 10, levels=parse_levels(row.levels.data))
        for row in form.criteria if (row.title_fa.data or "").strip()]


@bp.route("/organiser/rubrics/<int:rubric_id>/edit", methods=["GET", "POST"])
@login_required
def edit_rubric(rubric_id):
    rubric = services.get_rubric_for_organiser(current_user, rubric_id)
    if request.method == "POST":
        form = RubricForm()
    else:
        form = RubricForm(data={"title_fa": rubric.title_fa, "title_en": rubric.title_en, "criteria": [
            {"title_fa": c.title_fa, "title_en": c.title_en, "description_fa": c.description_fa, "weight": c.weight,
             "scale_min": c.scale_min, "scale_max": c.scale_max, "levels": format_levels(c.levels)}
            for c in rubric.criteria]})
        form.criteria.append_entry()
    if form.validate_on_submit():
        criteria = _criteria_from(form)
        if perform(services.save_rubric, current_user, rubric.event, form.title_fa.data, form.title_en.data or "",
                   criteria, utcnow(), rubric=rubric, form=form, success=_("The rubric was saved.")).ok:
            warning = services.weight_warning([criterion.weight for criterion in criteria])
            if warning:
                flash(warning, "warning")
            return redirect(url_for("judging.organiser_event", event_id=rubric.event_id))
        weights = [criterion.weight for criterion in criteria]
    elif form.is_submitted():
        weights = [row.weight.data or 0 for row in form.criteria if (row.title_fa.data or "").strip()]
    else:
        weights = [criterion.weight for criterion in rubric.criteria]
    return render_template("judging/rubric_form.html", form=form, rubric=rubric, in_use=services.rubric_in_use(rubric),
                           weight_warning=services.weight_warning(weights)), 422 if form.is_submitted() else 200


@bp.get("/judging/conflicts")
@login_required
def find_conflict_team():
    """A judge of thousands of entries finds the team of their conflict by part of its name."""
    name = request.args.get("q", "").strip()[:120]
    choices = services.find_conflict_teams(current_user, name)
    return render_template("judging/conflicts.html", name=name, choices=choices, conflict_form=ConflictForm())


@bp.post("/judging/conflicts")
@login_required
def declare_any_conflict():
    form = ConflictForm()
    if not form.validate():
        flash(_("Say what the conflict is."), "error")
    else:
        perform(services.declare_own_conflict, current_user, request.form.get("team", ""), form.reason.data, utcnow(),
                success=_("Your conflict was recorded."))
    return redirect(url_for("portal.judge_dashboard"))
