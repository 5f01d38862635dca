"""Scoring: the judge's assignments, drafts and submission, reopening by organisers, and the judge's desk."""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ... import signals
from ...audit import services as audit
from ...auth.models import User
from ...core.errors import Conflict as ConflictError
from ...core.errors import DeadlinePassed, DomainError, Invalid, NotAllowed, NotFound
from ...core.extensions import db
from ...core.i18n import format_list
from ...core.roles import require_organiser
from ...core.text import normalize_text
from ...teams.models import Team
from .. import scoring
from ..models import Assignment, Round, Score
from .assignments import ConflictChoices, conflict_choices, conflict_pairs
from .rounds import require_judge, scoring_criteria

audit.register_actions({
    "scores.changed": _l("Scores changed after submission"),
    "scores.submitted": _l("Scores submitted"),
    "scores.reopened": _l("Scores reopened"),
})


# --- the judge's assignments ----------------------------------------------------------------------


def get_assignment_for(actor, assignment_id: int) -> Assignment:
    """The judge's own assignment (organisers may read any); otherwise it does not exist for them."""
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or (assignment.user_id != actor.id and not actor.is_organiser):
        raise NotFound(_("There is no such assignment."))
    return assignment


def assignments_of(judge: User) -> list[Assignment]:
    return list(db.session.scalars(select(Assignment).where(Assignment.user_id == judge.id)
                                   .order_by(Assignment.round_id, Assignment.id)))


def is_assigned_judge(actor, team: Team) -> bool:
    """A judge who has this team in one of their assignments of a round that is not blind (a blind judge
    gets the team's files only through their assignment, anonymised: ``entry_file``)."""
    return actor.is_judge and db.session.scalar(
        select(Assignment.id).join(Round, Round.id == Assignment.round_id)
        .where(Assignment.user_id == actor.id, Assignment.team_id == team.id, Round.blind.is_(False)).limit(1)
    ) is not None


# --- scoring --------------------------------------------------------------------------------------


def scoring_refusal(actor, assignment: Assignment, now: datetime) -> DomainError | None:
    """Why the actor cannot change these scores now (the page shows the form read-only), or None."""
    if assignment.user_id != actor.id:
        return NotAllowed(_("This is another judge's assignment."))
    if (actor.id, assignment.team_id) in conflict_pairs(assignment.round.event_id):
        return NotAllowed(_("You declared a conflict with this team, so you cannot score it."))
    if not assignment.round.is_open(now):
        return DeadlinePassed(_("The round is closed for scoring."))
    if assignment.is_submitted:
        return ConflictError(_("Your scores were submitted and are locked. Ask the organisers to reopen them."))
    return None


def _require_can_score(actor, assignment: Assignment, now: datetime) -> None:
    refusal = scoring_refusal(actor, assignment, now)
    if refusal is not None:
        raise refusal


def save_scores(actor, assignment: Assignment, values: dict[int, float | None], comments: dict[int, str],
                now: datetime) -> Assignment:
    """Save the judge's draft: any criterion may still be empty. Values outside the scale are refused."""
    _require_can_score(actor, assignment, now)
    criteria = {criterion.id: criterion for criterion in assignment.round.rubric.criteria}
    errors = {}
    for criterion_id, value in values.items():
        criterion = criteria.get(criterion_id)
        if criterion is None:
            raise Invalid(_("This criterion is not in the round's rubric."))
        if value is not None and not criterion.scale_min <= value <= criterion.scale_max:
            errors[f"score-{criterion_id}"] = _("Give a score from %(min)s to %(max)s.", min=criterion.scale_min,
                                                max=criterion.scale_max)
    if errors:
        raise Invalid(_("The scores were not saved: correct the marked fields."), fields=errors)
    # Lock the assignment, then read its scores: two saves at once (a double tap, two tabs) take turns.
    db.session.execute(select(Assignment.id).where(Assignment.id == assignment.id).with_for_update())
    db.session.refresh(assignment, attribute_names=["scores"])
    current = {score.criterion_id: score for score in assignment.scores}
    changes = {}
    for criterion_id, value in values.items():
        score = current.get(criterion_id)
        if score is None:
            score = Score(criterion_id=criterion_id)
            assignment.scores.append(score)
        if score.value != value:
            changes[criteria[criterion_id].title_fa] = [score.value, value]
        score.value = value
        score.comment = normalize_text(comments.get(criterion_id, ""))
        score.updated_at = now
    if assignment.ever_submitted and changes:  # scores that were submitted once change only audited
        audit.record(actor, "scores.changed", assignment.team, changes, now=now)
    try:
        db.session.flush()
    except IntegrityError as error:  # SQLite has no row lock: the other save got there first
        raise ConflictError(_("Your scores were being saved twice at the same moment. Reload the page to see "
                              "what was saved.")) from error
    return assignment


def judge_total(assignment: Assignment) -> float | None:
    """The judge's weighted 0-100 total, or None while a criterion has no score."""
    values = {str(score.criterion_id): score.value for score in assignment.scores if score.value is not None}
    try:
        return scoring.weighted_total(values, scoring_criteria(assignment.round.rubric))
    except ValueError:
        return None


def _submitted_totals(round_id: int, team_id: int, excluding: int) -> list[float]:
    others = db.session.scalars(select(Assignment).where(
        Assignment.round_id == round_id, Assignment.team_id == team_id, Assignment.id != excluding,
        Assignment.submitted_at.is_not(None)).options(selectinload(Assignment.scores))).all()
    return [total for total in (judge_total(other) for other in others) if total is not None]


def needs_outlier_comment(assignment: Assignment) -> bool:
    """Whether the judge's total is far from those of the judges who already submitted this entry."""
    total = judge_total(assignment)
    if total is None:
        return False
    others = _submitted_totals(assignment.round_id, assignment.team_id, assignment.id)
    return scoring.outlier(total, others, assignment.round.outlier_threshold)


def submit_scores(actor, assignment: Assignment, outlier_comment: str, now: datetime) -> Assignment:
    """Lock the judge's scores. Every criterion needs a score; a far-off total needs a comment."""
    _require_can_score(actor, assignment, now)
    scored = {score.criterion_id for score in assignment.scores if score.value is not None}
    missing = [c.title for c in assignment.round.rubric.criteria if c.id not in scored]
    if missing:
        raise Invalid(_("Score every criterion before submitting. Still missing: %(criteria)s.",
                        criteria=format_list(missing)))
    comment = normalize_text(outlier_comment)
    if needs_outlier_comment(assignment) and not comment:
        raise Invalid(_("Your total is far from those of the other judges of this entry. Check your scores, "
                        "and explain your view in a comment before submitting."),
                      fields={"outlier_comment": _("Explain your view.")})
    assignment.outlier_comment = comment
    assignment.submitted_at, assignment.ever_submitted = now, True
    audit.record(actor, "scores.submitted", assignment.team,
                 {"round": assignment.round.kind, "total": round(judge_total(assignment), 2)}, now=now)
    return assignment


def reopen_scores(actor, assignment: Assignment, now: datetime) -> None:
    require_organiser(actor, _l("Only organisers can reopen submitted scores."))
    if not assignment.is_submitted:
        raise ConflictError(_("These scores are not submitted."))
    assignment.submitted_at = None
    audit.record(actor, "scores.reopened", assignment.team, {"judge": assignment.user.name}, now=now)
    signals.send_after_commit(signals.assignment_reopened, assignment, actor=actor, now=now)


def others_scores(actor, assignment: Assignment) -> list[dict]:
    """The other judges' submitted scores of the entry, without names, when the round allows it and the
    judge has submitted their own."""
    if assignment.user_id != actor.id or not assignment.is_submitted or not assignment.round.show_others_after_submit:
        return []
    others = db.session.scalars(select(Assignment).where(
        Assignment.round_id == assignment.round_id, Assignment.team_id == assignment.team_id,
        Assignment.id != assignment.id, Assignment.submitted_at.is_not(None))
        .options(selectinload(Assignment.scores)).order_by(Assignment.id)).all()
    return [{"total": judge_total(other), "scores": {score.criterion_id: score.value for score in other.scores}}
            for other in others]


# --- the judge's desk -----------------------------------------------------------------------------


def progress(judge: User) -> tuple[int, int]:
    """(submitted, assigned) for the judge's dashboard."""
    counts = db.session.execute(select(func.count(Assignment.id), func.count(Assignment.submitted_at))
                                .where(Assignment.user_id == judge.id)).one()
    return counts[1], counts[0]


@dataclass(frozen=True)
class JudgeDesk:
    """What a judge's dashboard shows: their assignments with their own totals, their progress, and the teams
    they may declare a conflict with."""
    assignments: list[Assignment]
    totals: dict[int, float | None]
    done: int
    total: int
    conflicts: ConflictChoices


def _desk_order(assignment: Assignment) -> tuple:
    """By round; in a blind round by entry code (random), never in the order the teams registered."""
    return assignment.round_id, assignment.entry_code if assignment.round.blind else "", assignment.id


def judge_desk(actor) -> JudgeDesk:
    require_judge(actor)
    assignments = sorted(assignments_of(actor), key=_desk_order)
    done, total = progress(actor)
    return JudgeDesk(assignments=assignments, totals={a.id: judge_total(a) for a in assignments}, done=done,
                     total=total, conflicts=conflict_choices(actor))
