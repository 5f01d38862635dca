"""Rubrics, rounds, judges, conflicts, assignments and scoring: the rules of judging.

Every operation takes the acting user and checks what they may do. The maths is in the pure
modules ``scoring`` and ``assignment``.
"""
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, insert, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import signals
from ..audit import services as audit
from ..auth.models import RoleGrant, User
from ..core import mail
from ..core.database import utcnow
from ..core.errors import Conflict as ConflictError
from ..core.errors import DeadlinePassed, Invalid, NotAllowed, NotFound
from ..core.extensions import db
from ..core.roles import JUDGE, require_organiser
from ..core.text import normalize_text
from ..events.models import Event
from ..teams import services as team_services
from ..teams.models import APPROVED, SUBMITTED, ProgressMap, Team, TeamMember
from ..teams.services import can_read_team
from . import assignment as assigning
from . import scoring
from .models import (
    FINAL,
    ROUND_KINDS,
    SCREENING,
    Assignment,
    Conflict,
    Criterion,
    JudgeProfile,
    Publication,
    Round,
    RoundEntry,
    RoundJudge,
    Rubric,
    Score,
)
from .rubrics import DEFAULT_CRITERIA, DEFAULT_LEVELS

audit.register_actions({
    "rubric.saved": _l("Rubric saved"),
    "round.saved": _l("Judging round saved"),
    "round.entries_added": _l("Entries added to a round"),
    "round.judges_added": _l("Judges added to a round"),
    "round.assigned": _l("Judges assigned automatically"),
    "assignment.moved": _l("Entry handed to another judge"),
    "judging.conflict_declared": _l("Conflict of interest declared"),
    "judging.judge_invited": _l("Judge invited"),
    "scores.changed": _l("Scores changed after submission"),
    "scores.submitted": _l("Scores submitted"),
    "scores.reopened": _l("Scores reopened"),
    "results.published": _l("Results published"),
    "results.republished": _l("Results published again"),
})


# --- rubrics --------------------------------------------------------------------------------------


@dataclass
class CriterionDetails:
    title_fa: str
    weight: float
    title_en: str = ""
    description_fa: str = ""
    description_en: str = ""
    scale_min: int = 0
    scale_max: int = 10
    levels: list[dict] = field(default_factory=list)


def rubric_in_use(rubric: Rubric) -> bool:
    """Scoring has begun: some judge saved a score with this rubric."""
    return db.session.scalar(
        select(func.count()).select_from(Score).join(Criterion).where(Criterion.rubric_id == rubric.id)
    ) > 0


def _validate_criteria(criteria: list[CriterionDetails]) -> None:
    if not criteria:
        raise Invalid(_("A rubric needs at least one criterion."))
    for index, criterion in enumerate(criteria, start=1):
        if not normalize_text(criterion.title_fa):
            raise Invalid(_("Criterion %(num)s needs a Persian title.", num=index))
        if criterion.weight <= 0:
            raise Invalid(_("Criterion %(num)s needs a weight above zero.", num=index))
        if criterion.scale_max <= criterion.scale_min:
            raise Invalid(_("Criterion %(num)s: the top of the scale must be above its bottom.", num=index))
        for level in criterion.levels:
            if not criterion.scale_min <= level.get("value", criterion.scale_min - 1) <= criterion.scale_max:
                raise Invalid(_("Criterion %(num)s: a level lies outside the scale.", num=index))


def save_rubric(actor, event: Event, title_fa: str, title_en: str, criteria: list[CriterionDetails],
                rubric: Rubric | None = None) -> Rubric:
    """Create a rubric, or replace the criteria of one that no judge has used yet."""
    require_organiser(actor, _l("Only organisers can build rubrics."))
    _validate_criteria(criteria)
    if rubric is None:
        rubric = Rubric(event_id=event.id)
        db.session.add(rubric)
    elif rubric_in_use(rubric):
        raise ConflictError(_("Scoring has begun with this rubric, so it can no longer change."))
    rubric.title_fa, rubric.title_en = normalize_text(title_fa), normalize_text(title_en)
    rubric.criteria = [
        Criterion(position=index, title_fa=normalize_text(c.title_fa), title_en=normalize_text(c.title_en),
                  description_fa=normalize_text(c.description_fa), description_en=normalize_text(c.description_en),
                  weight=c.weight, scale_min=c.scale_min, scale_max=c.scale_max, levels=c.levels)
        for index, c in enumerate(criteria)
    ]
    db.session.flush()
    audit.record(actor, "rubric.saved", rubric, {"criteria": len(criteria)})
    return rubric


def default_criteria() -> list[CriterionDetails]:
    levels = [{"value": value, "fa": fa, "en": en} for value, fa, en in DEFAULT_LEVELS]
    return [CriterionDetails(title_fa=fa, title_en=en, weight=weight, levels=levels)
            for fa, en, weight in DEFAULT_CRITERIA]


def copy_rubric(actor, source: Rubric, event: Event) -> Rubric:
    """A copy of a rubric (e.g. of an earlier event) that can be changed freely."""
    criteria = [CriterionDetails(title_fa=c.title_fa, title_en=c.title_en, description_fa=c.description_fa,
                                 description_en=c.description_en, weight=c.weight, scale_min=c.scale_min,
                                 scale_max=c.scale_max, levels=list(c.levels)) for c in source.criteria]
    return save_rubric(actor, event, source.title_fa, source.title_en, criteria)


def get_rubric_for_organiser(actor, rubric_id: int) -> Rubric:
    require_organiser(actor, _l("Only organisers can build rubrics."))
    rubric = db.session.get(Rubric, rubric_id)
    if rubric is None:
        raise NotFound(_("There is no such rubric."))
    return rubric


def rubrics_to_copy(actor) -> list[Rubric]:
    require_organiser(actor, _l("Only organisers can build rubrics."))
    return list(db.session.scalars(select(Rubric).order_by(Rubric.id.desc())))


def scoring_criteria(rubric: Rubric) -> list[scoring.Criterion]:
    return [scoring.Criterion(str(c.id), c.weight, c.scale_min, c.scale_max) for c in rubric.criteria]


# --- rounds -----------------------------------------------------------------------------------------


@dataclass
class RoundDetails:
    kind: str
    rubric_id: int
    starts_at: datetime
    ends_at: datetime
    judges_per_entry: int = 3
    blind: bool = True
    method: str = scoring.DEFAULT_METHOD
    disagreement_threshold: float = 25.0
    outlier_threshold: float = 30.0
    show_others_after_submit: bool = False
    tie_breakers: list[int] = field(default_factory=list)


def save_round(actor, event: Event, details: RoundDetails, round_: Round | None = None) -> Round:
    require_organiser(actor, _l("Only organisers can set up rounds."))
    errors = {}
    if details.kind not in ROUND_KINDS:
        errors["kind"] = _("Choose screening or final.")
    rubric = db.session.get(Rubric, details.rubric_id)
    if rubric is None or rubric.event_id != event.id:
        errors["rubric"] = _("Choose a rubric of this event.")
    if details.ends_at <= details.starts_at:
        errors["ends_at"] = _("The end must come after the start.")
    if not 1 <= details.judges_per_entry <= 20:
        errors["judges_per_entry"] = _("From 1 to 20 judges per entry.")
    if details.method not in scoring.METHODS:
        errors["method"] = _("Choose how scores are combined.")
    if rubric is not None and set(details.tie_breakers) - {c.id for c in rubric.criteria}:
        errors["tie_breakers"] = _("Tie-breakers must be criteria of the round's rubric.")
    taken = db.session.scalar(select(Round.id).where(Round.event_id == event.id, Round.kind == details.kind))
    if taken is not None and (round_ is None or taken != round_.id):
        errors["kind"] = _("This event already has a round of this kind.")
    if round_ is not None and round_.rubric_id != details.rubric_id and rubric_in_use(round_.rubric):
        errors["rubric"] = _("Scoring has begun with this rubric, so it can no longer change.")
    if errors:
        raise Invalid(_("The round was not saved: correct the marked fields."), fields=errors)
    if round_ is None:
        round_ = Round(event_id=event.id)
        db.session.add(round_)
    before = {name: getattr(round_, name, None) for name in details.__dict__}
    for name, value in details.__dict__.items():
        setattr(round_, name, value)
    db.session.flush()
    audit.record(actor, "round.saved", round_, audit.diff(before, details.__dict__))
    return round_


def rounds_of(event: Event) -> list[Round]:
    return list(db.session.scalars(select(Round).where(Round.event_id == event.id).order_by(Round.id)))


def get_round_for_organiser(actor, round_id: int) -> Round:
    require_organiser(actor, _l("Only organisers can manage rounds."))
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound(_("There is no such round."))
    return round_


def add_entries(actor, round_: Round, team_ids: list[int]) -> int:
    """Add approved teams of the event to a round by hand; returns how many were added."""
    require_organiser(actor, _l("Only organisers can choose a round's entries."))
    present = set(db.session.scalars(select(RoundEntry.team_id).where(RoundEntry.round_id == round_.id)))
    teams = db.session.scalars(select(Team).where(Team.id.in_(team_ids), Team.event_id == round_.event_id)).all()
    refused = [team.name for team in teams if team.status != APPROVED]
    if refused:
        raise ConflictError(_("Only approved teams can enter a round: %(teams)s.", teams="، ".join(refused)))
    added = [RoundEntry(round_id=round_.id, team_id=team.id) for team in teams if team.id not in present]
    db.session.add_all(added)
    if added:
        audit.record(actor, "round.entries_added", round_, {"teams": [entry.team_id for entry in added]})
    return len(added)


def entry_candidates(round_: Round) -> list[Team]:
    """Teams that could still enter: approved teams of the event (in the final round, with a submitted map)."""
    query = select(Team).where(Team.event_id == round_.event_id, Team.status == APPROVED,
                               Team.id.not_in(select(RoundEntry.team_id).where(RoundEntry.round_id == round_.id)))
    if round_.kind == FINAL:
        query = query.join(ProgressMap).where(ProgressMap.status == SUBMITTED)
        screened = db.session.scalar(select(func.count()).select_from(Team).where(
            Team.event_id == round_.event_id, Team.screening_selected.is_(True)))
        if screened:  # after a screening, only the selected teams go on to the final round
            query = query.where(Team.screening_selected.is_(True))
    return list(db.session.scalars(query.order_by(Team.name)))


def entry_team_ids(round_: Round) -> list[int]:
    return list(db.session.scalars(select(RoundEntry.team_id).where(RoundEntry.round_id == round_.id)
                                   .order_by(RoundEntry.team_id)))


# --- judges and conflicts --------------------------------------------------------------------------


def save_profile(actor, expertise: str, province_id: int | None) -> JudgeProfile:
    if not actor.is_judge:
        raise NotAllowed(_("Only judges have a judge's profile."))
    profile = db.session.scalar(select(JudgeProfile).where(JudgeProfile.user_id == actor.id))
    if profile is None:
        profile = JudgeProfile(user_id=actor.id)
        db.session.add(profile)
    profile.expertise, profile.province_id = normalize_text(expertise), province_id
    return profile


def add_judges(actor, round_: Round, user_ids: list[int]) -> int:
    require_organiser(actor, _l("Only organisers can choose a round's judges."))
    judges = db.session.scalars(select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                                .where(User.id.in_(user_ids), RoleGrant.role == JUDGE)).all()
    present = set(db.session.scalars(select(RoundJudge.user_id).where(RoundJudge.round_id == round_.id)))
    added = [RoundJudge(round_id=round_.id, user_id=user.id) for user in judges if user.id not in present]
    db.session.add_all(added)
    if added:
        audit.record(actor, "round.judges_added", round_, {"judges": [judge.user_id for judge in added]})
    return len(added)


def add_all_judges(actor, round_: Round) -> int:
    """Every account with the judge role joins the round."""
    judge_ids = list(db.session.scalars(select(RoleGrant.user_id).where(RoleGrant.role == JUDGE)))
    return add_judges(actor, round_, judge_ids)


def judges_of(round_: Round) -> list[User]:
    return list(db.session.scalars(select(User).join(RoundJudge, RoundJudge.user_id == User.id)
                                   .where(RoundJudge.round_id == round_.id).order_by(User.id)))


def conflict_pairs(event_id: int) -> set[tuple[int, int]]:
    """(judge, team) pairs that must never meet: declared conflicts and the judge's own teams."""
    declared = db.session.execute(select(Conflict.user_id, Conflict.team_id).where(Conflict.event_id == event_id))
    own = db.session.execute(select(TeamMember.user_id, TeamMember.team_id)
                             .where(TeamMember.event_id == event_id, TeamMember.user_id.is_not(None)))
    return {tuple(row) for row in declared} | {tuple(row) for row in own}


def declare_conflict(actor, team: Team, judge: User, reason: str, now: datetime) -> list[Assignment]:
    """A judge declares (or an organiser records) a conflict with a team.

    The judge's assignments of that team are removed and handed to other judges where one is free;
    the returned list holds the new assignments.
    """
    if actor.id != judge.id:
        require_organiser(actor, _l("Only organisers can record a conflict for another judge."))
    reason = normalize_text(reason)
    if not reason:
        raise Invalid(_("Say what the conflict is."), fields={"reason": _("Give a reason.")})
    existing = db.session.scalar(select(Conflict).where(Conflict.event_id == team.event_id,
                                                        Conflict.user_id == judge.id, Conflict.team_id == team.id))
    if existing is None:
        db.session.add(Conflict(event_id=team.event_id, user_id=judge.id, team_id=team.id, reason=reason,
                                declared_by_id=actor.id, declared_at=now))
        db.session.flush()
    handed = []
    for assignment in db.session.scalars(select(Assignment).where(Assignment.user_id == judge.id,
                                                                  Assignment.team_id == team.id)).all():
        if assignment.is_submitted:
            continue  # submitted scores stay; the organiser decides (reopen and remove)
        round_ = assignment.round
        db.session.delete(assignment)
        db.session.flush()
        pairs = _round_pairs(round_)
        conflicts = conflict_pairs(round_.event_id)
        judges = [assigning.Judge(user.id) for user in judges_of(round_)]
        substitute = assigning.replacement_for(judge.id, team.id, pairs, judges, conflicts)
        if substitute is not None:
            new = Assignment(round_id=round_.id, user_id=substitute, team_id=team.id, assigned_at=now)
            db.session.add(new)
            handed.append(new)
    audit.record(actor, "judging.conflict_declared", team, {"judge": judge.name, "reason": reason,
                                                            "handed_to": [a.user_id for a in handed]})
    return handed


def _round_pairs(round_: Round) -> set[tuple[int, int]]:
    return {tuple(row) for row in db.session.execute(
        select(Assignment.user_id, Assignment.team_id).where(Assignment.round_id == round_.id))}


# --- assignment -----------------------------------------------------------------------------------


def assign_automatically(actor, round_: Round, now: datetime, seed: int = 0) -> assigning.Assignment:
    """Top up every entry to the round's number of judges; keeps what is already assigned."""
    require_organiser(actor, _l("Only organisers can assign judges."))
    team_ids = entry_team_ids(round_)
    teams = {team.id: team for team in db.session.scalars(select(Team).where(Team.id.in_(team_ids)))}
    profiles = {p.user_id: p.province_id for p in db.session.scalars(select(JudgeProfile))}
    judges = [assigning.Judge(user.id, profiles.get(user.id)) for user in judges_of(round_)]
    entries = [assigning.Entry(team_id, teams[team_id].province_id) for team_id in team_ids]
    existing = _round_pairs(round_)
    result = assigning.assign(entries, judges, round_.judges_per_entry, conflicts=conflict_pairs(round_.event_id),
                              existing=existing, seed=seed)
    new_pairs = sorted(result.pairs - existing)
    if new_pairs:  # one multi-row INSERT: the new ids are not needed here
        db.session.execute(insert(Assignment), [
            {"round_id": round_.id, "user_id": judge_id, "team_id": team_id, "assigned_at": now,
             "ever_submitted": False, "outlier_comment": ""} for judge_id, team_id in new_pairs])
    # Existing assignments the module dropped (they became conflicts) go too, unless already submitted.
    dropped = list(db.session.scalars(select(Assignment).where(
        Assignment.round_id == round_.id, Assignment.submitted_at.is_(None),
        tuple_(Assignment.user_id, Assignment.team_id).in_(list(result.removed))))) if result.removed else []
    for assignment in dropped:
        db.session.delete(assignment)
    audit.record(actor, "round.assigned", round_, {"added": len(new_pairs), "removed": len(dropped),
                                                   "uncovered": len(result.uncovered)})
    return result


def move_assignment(actor, assignment: Assignment, to_judge_id: int, now: datetime) -> Assignment:
    """An organiser hands one assignment to another judge of the round, by hand."""
    require_organiser(actor, _l("Only organisers can move assignments."))
    if assignment.is_submitted:
        raise ConflictError(_("This judge has submitted the scores; reopen them before moving the entry."))
    if to_judge_id not in {user.id for user in judges_of(assignment.round)}:
        raise Invalid(_("Choose a judge of this round."))
    if (to_judge_id, assignment.team_id) in conflict_pairs(assignment.round.event_id):
        raise ConflictError(_("This judge has a conflict with this team."))
    if (to_judge_id, assignment.team_id) in _round_pairs(assignment.round):
        raise ConflictError(_("This judge already has this entry."))
    before = assignment.user_id
    assignment.user_id, assignment.assigned_at = to_judge_id, now
    assignment.scores = []
    audit.record(actor, "assignment.moved", assignment.team, {"judge": [before, to_judge_id]})
    return assignment


def round_assignments(round_: Round) -> list[Assignment]:
    return list(db.session.scalars(select(Assignment).where(Assignment.round_id == round_.id)
                                   .order_by(Assignment.team_id, Assignment.user_id)))


@dataclass
class Shortfall:
    team: Team
    assigned: int
    free_judges: int  # judges of the round without a conflict with the team


def uncovered(round_: Round) -> list[Shortfall]:
    """Entries with fewer judges than the round asks for, and how many judges could take them."""
    counts = dict(db.session.execute(select(Assignment.team_id, func.count()).where(Assignment.round_id == round_.id)
                                     .group_by(Assignment.team_id)).all())
    short = [team_id for team_id in entry_team_ids(round_) if counts.get(team_id, 0) < round_.judges_per_entry]
    if not short:
        return []
    judge_ids = {user.id for user in judges_of(round_)}
    conflicts = conflict_pairs(round_.event_id)
    teams = {team.id: team for team in db.session.scalars(select(Team).where(Team.id.in_(short)))}
    return [Shortfall(teams[team_id], counts.get(team_id, 0),
                      sum(1 for judge in judge_ids if (judge, team_id) not in conflicts)) for team_id in short]


# --- scoring ----------------------------------------------------------------------------------------


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
    """A judge who has this team in one of their assignments."""
    return actor.is_judge and db.session.scalar(
        select(Assignment.id).where(Assignment.user_id == actor.id, Assignment.team_id == team.id).limit(1)
    ) is not None


def require_judge(actor) -> None:
    """Judges' pages are for judges (and organisers, who look at them to help)."""
    if actor is None or not (actor.is_judge or actor.is_organiser):
        raise NotAllowed(_("Only judges can open this page."))


@dataclass(frozen=True)
class JudgeDesk:
    """What a judge's dashboard shows: their assignments with their own totals, and their progress."""
    assignments: list[Assignment]
    totals: dict[int, float | None]
    done: int
    total: int
    conflict_teams: list[Team]


def judge_desk(actor) -> JudgeDesk:
    require_judge(actor)
    assignments = assignments_of(actor)
    done, total = progress(actor)
    return JudgeDesk(assignments=assignments, totals={a.id: judge_total(a) for a in assignments}, done=done,
                     total=total, conflict_teams=conflict_candidates(actor))


def profile_of(actor) -> JudgeProfile | None:
    require_judge(actor)
    return db.session.scalar(select(JudgeProfile).where(JudgeProfile.user_id == actor.id))


def _require_can_score(actor, assignment: Assignment, now: datetime) -> None:
    if assignment.user_id != actor.id:
        raise NotAllowed(_("This is another judge's assignment."))
    if (actor.id, assignment.team_id) in conflict_pairs(assignment.round.event_id):
        raise NotAllowed(_("You declared a conflict with this team, so you cannot score it."))
    if not assignment.round.is_open(now):
        raise DeadlinePassed(_("The round is closed for scoring."))
    if assignment.is_submitted:
        raise ConflictError(_("Your scores were submitted and are locked. Ask the organisers to reopen them."))


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
        audit.record(actor, "scores.changed", assignment.team, changes)
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
                        criteria="، ".join(missing)))
    comment = normalize_text(outlier_comment)
    if needs_outlier_comment(assignment) and not comment:
        raise Invalid(_("Your total is far from those of the other judges of this entry. Check your scores, "
                        "and explain your view in a comment before submitting."),
                      fields={"outlier_comment": _("Explain your view.")})
    assignment.outlier_comment = comment
    assignment.submitted_at, assignment.ever_submitted = now, True
    audit.record(actor, "scores.submitted", assignment.team,
                 {"round": assignment.round.kind, "total": round(judge_total(assignment), 2)})
    return assignment


def reopen_scores(actor, assignment: Assignment) -> None:
    require_organiser(actor, _l("Only organisers can reopen submitted scores."))
    if not assignment.is_submitted:
        raise ConflictError(_("These scores are not submitted."))
    assignment.submitted_at = None
    audit.record(actor, "scores.reopened", assignment.team, {"judge": assignment.user.name})


def progress(judge: User) -> tuple[int, int]:
    """(submitted, assigned) for the judge's dashboard."""
    counts = db.session.execute(select(func.count(Assignment.id), func.count(Assignment.submitted_at))
                                .where(Assignment.user_id == judge.id)).one()
    return counts[1], counts[0]


# --- results ------------------------------------------------------------------------------------------

AWARDS = ("first", "second", "third", "honourable")
# Sent inside the publishing transaction (the pipeline takes the winners in): (publication, actor=, now=).
HONOURABLE_MENTIONS = 3  # places after the third that get an honourable mention by default


@dataclass
class LeaderboardRow:
    team: Team
    rank: int
    tied: bool
    result: scoring.EntryResult
    raw: scoring.EntryResult
    criteria: dict[int, float]  # criterion id -> mean score of the entry's judges
    crosses_cutoff: bool
    award: str | None


@dataclass
class Leaderboard:
    round: Round
    rows: list[LeaderboardRow]
    result: scoring.RoundResult | None
    pending: int  # assignments not yet submitted


def _submitted_scores(round_: Round) -> dict[tuple[int, int], dict[int, tuple[float, str]]]:
    """{(team, judge): {criterion: (value, comment)}} of the submitted assignments, in one lean query
    (no ORM objects: a round of 150,000 scores would spend seconds building them)."""
    rows = db.session.execute(
        select(Assignment.team_id, Assignment.user_id, Score.criterion_id, Score.value, Score.comment)
        .join(Score, Score.assignment_id == Assignment.id)
        .where(Assignment.round_id == round_.id, Assignment.submitted_at.is_not(None))
        .order_by(Assignment.id, Score.criterion_id))
    scores = {}
    for team_id, judge_id, criterion_id, value, comment in rows:
        scores.setdefault((team_id, judge_id), {})[criterion_id] = (value, comment)
    return scores


def _default_awards(ranked: list[scoring.Ranked]) -> dict[int, str]:
    """First, second and third by rank (tied entries share), then honourable mentions."""
    awards = {}
    for place in ranked:
        if place.rank <= 3:
            awards[place.entry] = AWARDS[place.rank - 1]
        elif place.rank <= 3 + HONOURABLE_MENTIONS:
            awards[place.entry] = "honourable"
    return awards


def compute_leaderboard(round_: Round, method: str | None = None) -> Leaderboard:
    """Every rank explained from the scores: the round's method beside the raw mean, with bands and flags."""
    criteria = scoring_criteria(round_.rubric)
    totals, per_criterion = [], {}
    for (team_id, judge_id), scores in _submitted_scores(round_).items():
        values = {str(criterion_id): value for criterion_id, (value, _comment) in scores.items()}
        totals.append(scoring.Total(team_id, judge_id, scoring.weighted_total(values, criteria)))
        for criterion_id, (value, _comment) in scores.items():
            per_criterion.setdefault(team_id, {}).setdefault(criterion_id, []).append(value)
    pending = db.session.scalar(select(func.count()).select_from(Assignment).where(
        Assignment.round_id == round_.id, Assignment.submitted_at.is_(None)))
    if not totals:
        return Leaderboard(round_, [], None, pending)
    result = scoring.combine(totals, method or round_.method, round_.disagreement_threshold)
    raw = scoring.combine(totals, "mean", round_.disagreement_threshold)
    means = {team: {c: sum(v) / len(v) for c, v in by.items()} for team, by in per_criterion.items()}
    tie_breakers = [{team: means[team].get(criterion_id, 0.0) for team in means} for criterion_id in round_.tie_breakers]
    ranked = scoring.rank({team: entry.value for team, entry in result.entries.items()}, tie_breakers)
    awards = _default_awards(ranked) if round_.kind == FINAL else {}  # screening selects; it awards nothing
    by_rank = sorted(result.entries.values(), key=lambda entry: -entry.value)
    # The award cut-offs lie between the places that get different awards (final rounds only).
    places = 3 + HONOURABLE_MENTIONS if round_.kind == FINAL else 0
    cutoffs = [(a.value + b.value) / 2 for a, b in zip(by_rank[:places], by_rank[1:places + 1])]
    teams = {team.id: team for team in db.session.scalars(select(Team).where(Team.id.in_(list(result.entries))))}
    rows = [LeaderboardRow(teams[place.entry], place.rank, place.tied, result.entries[place.entry],
                           raw.entries[place.entry], means[place.entry],
                           scoring.band_crosses(result.entries[place.entry], cutoffs), awards.get(place.entry))
            for place in ranked]
    return Leaderboard(round_, rows, result, pending)


def leaderboard(actor, round_: Round, method: str | None = None) -> Leaderboard:
    require_organiser(actor, _l("Only organisers can see the leaderboard before it is published."))
    return compute_leaderboard(round_, method)


def _comments(round_: Round) -> dict[int, list[dict]]:
    """The judges' comments per team, without the judges' names."""
    comments = {}
    for (team_id, _judge), scores in _submitted_scores(round_).items():
        for criterion_id, (_value, comment) in scores.items():
            if comment:
                comments.setdefault(team_id, []).append({"criterion": criterion_id, "text": comment})
    return comments


def publish(actor, round_: Round, awards: dict[int, str | None], now: datetime) -> Publication:
    """Freeze the leaderboard with its awards. Publishing again supersedes the earlier snapshot (audited)."""
    require_organiser(actor, _l("Only organisers can publish results."))
    if any(award not in (*AWARDS, None) for award in awards.values()):
        raise Invalid(_("Choose an award from the list."))
    board = compute_leaderboard(round_)
    if not board.rows:
        raise ConflictError(_("No judge has submitted scores in this round yet."))
    comments = _comments(round_)
    rows = [{
        "team_id": row.team.id, "team": row.team.name, "rank": row.rank, "tied": row.tied,
        "value": round(row.result.value, 2), "raw": round(row.raw.value, 2), "judges": row.result.judges,
        "award": awards.get(row.team.id, row.award),
        "criteria": {str(c): round(v, 2) for c, v in row.criteria.items()},
        "comments": comments.get(row.team.id, []),
    } for row in board.rows]
    criteria = [{"id": c.id, "fa": c.title_fa, "en": c.title_en, "max": c.scale_max} for c in round_.rubric.criteria]
    averages = {str(c.id): round(sum(r["criteria"].get(str(c.id), 0) for r in rows) / len(rows), 2)
                for c in round_.rubric.criteria}
    previous = current_publication(round_)
    if previous is not None:
        previous.superseded_at = now
    publication = Publication(round_id=round_.id, published_at=now, published_by_id=actor.id, snapshot={
        "method": round_.method, "rows": rows, "criteria": criteria, "averages": averages,
    })
    db.session.add(publication)
    db.session.flush()
    audit.record(actor, "results.republished" if previous else "results.published", round_,
                 {"entries": len(rows), "pending": board.pending})
    signals.send_after_commit(signals.results_published, publication, actor=actor, now=now)
    return publication


def current_publication(round_: Round) -> Publication | None:
    return db.session.scalar(select(Publication).where(Publication.round_id == round_.id,
                                                       Publication.superseded_at.is_(None)))


def published_results(event: Event) -> list[Publication]:
    """The current published results of each round of the event (for the public page)."""
    return list(db.session.scalars(select(Publication).join(Round).where(
        Round.event_id == event.id, Publication.superseded_at.is_(None)).order_by(Round.id)))


def team_results(actor, team: Team) -> list[tuple[Publication, dict]]:
    """A team's own published rows (per-criterion results and comments), for its members and organisers."""
    if not can_read_team(actor, team):
        raise NotFound(_("There is no such team."))
    found = []
    for publication in published_results(team.event):
        row = next((row for row in publication.snapshot["rows"] if row["team_id"] == team.id), None)
        if row is not None:
            found.append((publication, row))
    return found


# --- judging quality -------------------------------------------------------------------------------


@dataclass
class JudgeQuality:
    judge: User
    stats: scoring.JudgeStats
    histogram: list[int]  # how many of the judge's totals fall in each tenth of 0-100


@dataclass
class Quality:
    judges: list[JudgeQuality]
    reliability: dict[int, float | None]  # criterion id -> Krippendorff's alpha; 0 -> the totals
    reliability_name: str


def quality(actor, round_: Round) -> Quality:
    """Per judge: count, mean, spread, agreement and a histogram; per criterion: inter-rater reliability."""
    require_organiser(actor, _l("Only organisers can see the judging quality."))
    criteria = scoring_criteria(round_.rubric)
    totals, ratings = [], {0: {}}
    for (team_id, judge_id), scores in _submitted_scores(round_).items():
        values = {str(criterion_id): value for criterion_id, (value, _comment) in scores.items()}
        total = scoring.weighted_total(values, criteria)
        totals.append(scoring.Total(team_id, judge_id, total))
        ratings[0][(team_id, judge_id)] = total
        for criterion_id, (value, _comment) in scores.items():
            ratings.setdefault(criterion_id, {})[(team_id, judge_id)] = value
    if not totals:
        return Quality([], {}, _("Krippendorff's alpha (interval)"))
    result = scoring.combine(totals, round_.method, round_.disagreement_threshold)
    users = {user.id: user for user in judges_of(round_)}
    histograms = {}
    for total in totals:
        histograms.setdefault(total.judge, [0] * 10)[min(9, int(total.value // 10))] += 1
    judges = [JudgeQuality(users[judge], stats, histograms[judge]) for judge, stats in result.judges.items()
              if judge in users]
    reliability = {key: scoring.krippendorff_alpha_interval(values) for key, values in ratings.items()}
    return Quality(judges, reliability, _("Krippendorff's alpha (interval)"))


# --- inviting judges ---------------------------------------------------------------------------------

JUDGE_INVITATION_DAYS = 14


def _invitation_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="judge-invitation")


def invite_judge(actor, event: Event, email: str, link_for) -> str:
    """Email a link that makes its holder a judge once they sign in with this email."""
    require_organiser(actor, _l("Only organisers can invite judges."))
    email = email.strip().lower()
    token = _invitation_serializer().dumps({"email": email, "event": event.id})
    mail.send(
        to=email,
        subject=_("You are invited to judge %(event)s", event=event.title),
        body=_("%(organiser)s invites you to judge the progress maps of %(event)s.\n\nSign in or create an account "
               "with this email, then open this link within %(days)s days:\n%(link)s",
               organiser=actor.name, event=event.title, days=JUDGE_INVITATION_DAYS, link=link_for(token)),
    )
    audit.record(actor, "judging.judge_invited", event, {"email": email})
    return token


def accept_judge_invitation(actor, token: str) -> Event:
    try:
        claims = _invitation_serializer().loads(token, max_age=JUDGE_INVITATION_DAYS * 24 * 3600)
    except BadSignature as error:  # SignatureExpired is a BadSignature too
        raise Invalid(_("This invitation is invalid or has expired. Ask the organisers for a new one.")) from error
    if actor.email != claims["email"]:
        raise NotAllowed(_("This invitation was sent to %(email)s. Sign in with that email to accept it.",
                           email=claims["email"]))
    event = db.session.get(Event, claims["event"])
    if event is None:
        raise NotFound(_("There is no such event."))
    if not actor.is_judge:
        actor.role_grants.append(RoleGrant(role=JUDGE))
        audit.record(actor, "role.granted", actor, {"role": JUDGE, "by": "invitation"})
    return event


def select_top(actor, screening: Round, count: int) -> list[int]:
    """Select the top ``count`` teams of the published screening (ties at the cut all go through).

    Selected teams are the audience of selected-only trainings and the entries of the final round.
    """
    require_organiser(actor, _l("Only organisers can select teams in screening."))
    if screening.kind != SCREENING:
        raise Invalid(_("Teams are selected from a screening round."))
    publication = current_publication(screening)
    if publication is None:
        raise ConflictError(_("Publish the screening results first."))
    if count < 1:
        raise Invalid(_("Select at least one team."), fields={"count": _("At least one.")})
    rows = publication.snapshot["rows"]
    cut = rows[min(count, len(rows)) - 1]["rank"]
    chosen = {row["team_id"] for row in rows if row["rank"] <= cut}
    for team in db.session.scalars(select(Team).where(Team.event_id == screening.event_id)):
        wanted = team.id in chosen and team.status == APPROVED
        if team.screening_selected != wanted:
            team_services.set_screening_selected(actor, team, wanted, utcnow())
    return sorted(chosen)


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


def conflict_candidates(judge: User) -> list[Team]:
    """The teams a judge may declare a conflict with: the entries of the rounds they judge."""
    rounds = select(RoundJudge.round_id).where(RoundJudge.user_id == judge.id)
    return list(db.session.scalars(select(Team).join(RoundEntry, RoundEntry.team_id == Team.id)
                                   .where(RoundEntry.round_id.in_(rounds)).distinct().order_by(Team.name)))


def declare_own_conflict(actor, team_id: int, reason: str, now: datetime) -> list[Assignment]:
    """A judge declares a conflict with any team of their rounds, assigned to them or not."""
    require_judge(actor)
    team = next((team for team in conflict_candidates(actor) if team.id == team_id), None)
    if team is None:
        raise NotFound(_("There is no such team in your rounds."))
    return declare_conflict(actor, team, actor, reason, now)
