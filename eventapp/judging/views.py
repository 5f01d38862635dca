"""Routes of judging: the judges' dashboard and scoring page, the organisers' rounds."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from ..auth.models import User
from ..core.database import utcnow
from ..core.errors import DomainError, Invalid
from ..core.exports import csv_bytes, download, xlsx_bytes
from ..core.extensions import db
from ..core.forms import EmailForm
from ..core.i18n import current_language
from ..core.web import commit_or_flash
from ..events import services as events
from ..events.places import province_choices
from ..teams import services as teams
from ..teams.models import MAP_SECTIONS, Team
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
from .models import Rubric

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
    if form.validate_on_submit() and commit_or_flash(
            lambda: services.save_profile(current_user, form.expertise.data or "", form.province.data or None)):
        flash(_("Your profile was saved."), "success")
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
        try:
            services.save_scores(current_user, assignment, values, comments, utcnow())
            db.session.commit()  # the draft is kept even when the submission below is refused
            if submitting:
                services.submit_scores(current_user, assignment, form.outlier_comment.data or "", utcnow())
                db.session.commit()
        except DomainError as error:
            db.session.rollback()
            if error.status_code in (403, 404):
                raise
            for name, message in getattr(error, "fields", {}).items():
                if name in form:
                    form[name].errors = [*form[name].errors, message]
            flash(str(error), "error")
            status = error.status_code
        else:
            flash(_("Your scores were submitted.") if submitting else _("Your draft was saved."), "success")
            return redirect(url_for("judging.score", assignment_id=assignment.id))
    team = assignment.team
    return render_template(
        "judging/score.html", assignment=assignment, form=form, criteria=criteria, team=team,
        progress_map=teams.map_of(team), labels=teams.section_labels(), sections=MAP_SECTIONS,
        needs_comment=services.needs_outlier_comment(assignment), conflict_form=ConflictForm(), now=utcnow(),
        others=services.others_scores(current_user, assignment),
        total=services.judge_total(assignment),
    ), status


@bp.post("/judging/assignments/<int:assignment_id>/conflict")
@login_required
def declare_conflict(assignment_id):
    assignment = services.get_assignment_for(current_user, assignment_id)
    form = ConflictForm()
    if not form.validate():
        flash(_("Say what the conflict is."), "error")
        return redirect(url_for("judging.score", assignment_id=assignment_id))
    judge = assignment.user
    if commit_or_flash(lambda: services.declare_conflict(current_user, assignment.team, judge, form.reason.data,
                                                         utcnow())):
        flash(_("Your conflict was recorded and the entry was handed to another judge."), "success")
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
    rubrics = db.session.scalars(db.select(Rubric).where(Rubric.event_id == event.id).order_by(Rubric.id)).all()
    return render_template("judging/organiser_event.html", event=event, rounds=services.rounds_of(event),
                           rubrics=rubrics, copy_form=copy_form, in_use={r.id: services.rubric_in_use(r) for r in rubrics})


@bp.post("/organiser/events/<int:event_id>/rubrics")
@login_required
def create_rubric(event_id):
    event = events.get_event_for_organiser(current_user, event_id)
    source_id = request.form.get("rubric", type=int)
    if source_id:
        source = db.session.get(Rubric, source_id)
        if source is not None and commit_or_flash(lambda: services.copy_rubric(current_user, source, event)):
            flash(_("The rubric was copied."), "success")
    elif commit_or_flash(lambda: services.save_rubric(
            current_user, event, "شاخص‌های داوری نقشه پیشرفت", "Progress map rubric", services.default_criteria())):
        flash(_("The default rubric was created."), "success")
    return redirect(url_for("judging.organiser_event", event_id=event.id))


def _round_form(event, round_=None) -> RoundForm:
    form = RoundForm(obj=round_ if request.method == "GET" else None)
    rubrics = db.session.scalars(db.select(Rubric).where(Rubric.event_id == event.id)).all()
    form.rubric.choices = [SelectChoice(r.id, r.title) for r in rubrics]
    criteria = [SelectChoice(0, "—")] + [SelectChoice(c.id, f"{c.title} ({r.title})") for r in rubrics for c in r.criteria]
    for name in RoundForm.TIE_BREAKERS:
        form[name].choices = criteria
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


def _save_round(form: RoundForm, event, round_=None):
    """Save the round from its form; on bad input, put the messages next to the fields."""
    try:
        saved = services.save_round(current_user, event, _round_details(form), round_)
        db.session.commit()
        return saved
    except Invalid as error:
        db.session.rollback()
        for name, message in error.fields.items():
            if name in form:
                form[name].errors = [*form[name].errors, message]
        flash(str(error), "error")
        return None


@bp.route("/organiser/events/<int:event_id>/rounds/new", methods=["GET", "POST"])
@login_required
def create_round(event_id):
    event = events.get_event_for_organiser(current_user, event_id)
    form = _round_form(event)
    if form.validate_on_submit():
        round_ = _save_round(form, event)
        if round_ is not None:
            flash(_("The round was saved."), "success")
            return redirect(url_for("judging.organiser_round", round_id=round_.id))
    return render_template("judging/round_form.html", form=form, event=event, round=None), \
        422 if form.is_submitted() else 200


@bp.route("/organiser/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@login_required
def edit_round(round_id):
    round_ = services.get_round_for_organiser(current_user, round_id)
    form = _round_form(round_.event, round_)
    if form.validate_on_submit() and _save_round(form, round_.event, round_) is not None:
        flash(_("The round was saved."), "success")
        return redirect(url_for("judging.organiser_round", round_id=round_.id))
    return render_template("judging/round_form.html", form=form, event=round_.event, round=round_), \
        422 if form.is_submitted() else 200


@bp.get("/organiser/rounds/<int:round_id>")
@login_required
def organiser_round(round_id):
    round_ = services.get_round_for_organiser(current_user, round_id)
    assignments = services.round_assignments(round_)
    entry_ids = services.entry_team_ids(round_)
    entry_teams = db.session.scalars(db.select(Team).where(Team.id.in_(entry_ids)).order_by(Team.name)).all()
    return render_template("judging/organiser_round.html", round=round_, entries=entry_ids, entry_teams=entry_teams,
                           conflict_form=ConflictForm(),
                           judges=services.judges_of(round_), assignments=assignments,
                           candidates=services.entry_candidates(round_), uncovered=services.uncovered(round_))


@bp.post("/organiser/rounds/<int:round_id>/entries")
@login_required
def add_entries(round_id):
    round_ = services.get_round_for_organiser(current_user, round_id)
    team_ids = [int(value) for value in request.form.getlist("team") if value.isdigit()]
    if commit_or_flash(lambda: services.add_entries(current_user, round_, team_ids)):
        flash(_("The entries were added."), "success")
    return redirect(url_for("judging.organiser_round", round_id=round_id))


@bp.post("/organiser/rounds/<int:round_id>/judges")
@login_required
def add_judges(round_id):
    round_ = services.get_round_for_organiser(current_user, round_id)
    if commit_or_flash(lambda: services.add_all_judges(current_user, round_)):
        flash(_("Every judge was added to the round."), "success")
    return redirect(url_for("judging.organiser_round", round_id=round_id))


@bp.post("/organiser/rounds/<int:round_id>/assign")
@login_required
def assign(round_id):
    round_ = services.get_round_for_organiser(current_user, round_id)
    if commit_or_flash(lambda: services.assign_automatically(current_user, round_, utcnow())):
        flash(_("The judges were assigned."), "success")
    return redirect(url_for("judging.organiser_round", round_id=round_id))


@bp.post("/organiser/assignments/<int:assignment_id>/reopen")
@login_required
def reopen(assignment_id):
    assignment = services.get_assignment_for(current_user, assignment_id)
    if commit_or_flash(lambda: services.reopen_scores(current_user, assignment)):
        flash(_("The scores are open for changes again."), "success")
    return redirect(url_for("judging.organiser_round", round_id=assignment.round_id))


# --- results -------------------------------------------------------------------------------------------

@bp.get("/organiser/rounds/<int:round_id>/results")
@login_required
def results(round_id):
    round_ = services.get_round_for_organiser(current_user, round_id)
    method = request.args.get("method")
    method = CombiningMethod(method) if method in CombiningMethod.values() else None
    board = services.leaderboard(current_user, round_, method)
    return render_template("judging/results.html", round=round_, board=board, method=method or round_.method,
                           select_form=SelectTopForm(), publication=services.current_publication(round_))


@bp.post("/organiser/rounds/<int:round_id>/publish")
@login_required
def publish(round_id):
    round_ = services.get_round_for_organiser(current_user, round_id)
    awards = {int(key.split("-", 1)[1]): (value or None) for key, value in request.form.items()
              if key.startswith("award-") and key.split("-", 1)[1].isdigit()}
    if commit_or_flash(lambda: services.publish(current_user, round_, awards, utcnow())):
        flash(_("The results were published."), "success")
    return redirect(url_for("judging.results", round_id=round_id))


@bp.post("/organiser/rounds/<int:round_id>/select")
@login_required
def select_top(round_id):
    round_ = services.get_round_for_organiser(current_user, round_id)
    form = SelectTopForm()
    if not form.validate():
        flash(_("Enter how many teams go on."), "error")
    elif commit_or_flash(lambda: services.select_top(current_user, round_, form.count.data)):
        flash(_("The top teams are selected for the final round."), "success")
    return redirect(url_for("judging.results", round_id=round_id))


@bp.get("/events/<slug>/results")
def public_results(slug):
    event = events.get_event(slug)
    return render_template("judging/public_results.html", event=event,
                           publications=services.published_results(event))


@bp.get("/organiser/rounds/<int:round_id>/<any(scores, leaderboard):what>.<any(csv, xlsx):kind>")
@login_required
def export(round_id, what, kind):
    round_ = services.get_round_for_organiser(current_user, round_id)
    headers, rows = (exports.score_rows(round_) if what == "scores"
                     else exports.leaderboard_rows(services.leaderboard(current_user, round_)))
    name = f"{what}-{round_.event.slug}-{round_.kind}.{kind}"
    if kind == "csv":
        return download(csv_bytes(headers, rows), name)
    return download(xlsx_bytes({what: (headers, rows)}, right_to_left=current_language() == "fa"), name)


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
    elif commit_or_flash(lambda: services.invite_judge(
            current_user, event, form.email.data,
            lambda token: url_for("judging.judge_invitation", token=token, _external=True))):
        flash(_("The invitation was sent."), "success")
    return redirect(url_for("judging.organiser_event", event_id=event_id))


@bp.route("/judging/invitations/<token>", methods=["GET", "POST"])
@login_required
def judge_invitation(token):
    if request.method == "POST":
        try:
            event = services.accept_judge_invitation(current_user, token)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(url_for("events.index"))
        flash(_("You are a judge of %(event)s. Tell us your expertise and home province.", event=event.title),
              "success")
        return redirect(url_for("judging.profile"))
    return render_template("judging/invitation.html", token=token)


@bp.post("/organiser/rounds/<int:round_id>/conflicts")
@login_required
def add_conflict(round_id):
    round_ = services.get_round_for_organiser(current_user, round_id)
    form = ConflictForm()
    judge = db.session.get(User, request.form.get("judge", type=int) or 0)
    team = db.session.get(Team, request.form.get("team", type=int) or 0)
    if judge is None or team is None or team.event_id != round_.event_id or not form.validate():
        flash(_("Choose a judge and a team, and say what the conflict is."), "error")
    elif commit_or_flash(lambda: services.declare_conflict(current_user, team, judge, form.reason.data, utcnow())):
        flash(_("The conflict was recorded; the judge's entry was handed to another judge where one was free."),
              "success")
    return redirect(url_for("judging.organiser_round", round_id=round_id))


@bp.post("/organiser/assignments/<int:assignment_id>/move")
@login_required
def move(assignment_id):
    assignment = services.get_assignment_for(current_user, assignment_id)
    to_judge = request.form.get("judge", type=int)
    if to_judge and commit_or_flash(lambda: services.move_assignment(current_user, assignment, to_judge, utcnow())):
        flash(_("The entry was handed to another judge."), "success")
    return redirect(url_for("judging.organiser_round", round_id=assignment.round_id))


# --- building a rubric ---------------------------------------------------------------------------------------


def _criteria_from(form: RubricForm) -> list[services.CriterionDetails]:
    criteria = []
    for index, row in enumerate(form.criteria, start=1):
        if not (row.title_fa.data or "").strip():
            continue
        try:
            levels = parse_levels(row.levels.data)
        except ValueError as error:
            raise Invalid(_("Criterion %(num)s: each level line starts with its score, like 7 | خوب | Good.", num=index)) \
                from error
        criteria.append(services.CriterionDetails(
            title_fa=row.title_fa.data, title_en=row.title_en.data or "", description_fa=row.description_fa.data or "",
            weight=row.weight.data or 0, scale_min=row.scale_min.data if row.scale_min.data is not None else 0,
            scale_max=row.scale_max.data if row.scale_max.data is not None else 10, levels=levels))
    return criteria


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
        try:
            services.save_rubric(current_user, rubric.event, form.title_fa.data, form.title_en.data or "",
                                 _criteria_from(form), rubric=rubric)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(_("The rubric was saved."), "success")
            return redirect(url_for("judging.organiser_event", event_id=rubric.event_id))
    return render_template("judging/rubric_form.html", form=form, rubric=rubric,
                           in_use=services.rubric_in_use(rubric)), 422 if form.is_submitted() else 200


@bp.post("/judging/conflicts")
@login_required
def declare_any_conflict():
    form = ConflictForm()
    team_id = request.form.get("team", type=int) or 0
    if not form.validate():
        flash(_("Say what the conflict is."), "error")
    elif commit_or_flash(lambda: services.declare_own_conflict(current_user, team_id, form.reason.data, utcnow())):
        flash(_("Your conflict was recorded."), "success")
    return redirect(url_for("portal.judge_dashboard"))
