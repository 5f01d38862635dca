"""Conflicts of interest, automatic assignment, moves by hand and the coverage of the entries.

The maths of assigning is in the pure module ``judging.assignment``.
"""
import hmac
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select, tuple_

from ... import signals
from ...audit import services as audit
from ...auth.models import User
from ...core.errors import Conflict as ConflictError
from ...core.errors import Invalid, NotFound
from ...core.extensions import db
from ...core.roles import require_organiser
from ...core.text import normalize_text, persian_sort_key
from ...teams.models import Team, TeamMember
from .. import assignment as assigning
from ..models import (
    Assignment,
    ConflictOfInterest,
    JudgeProfile,
    Round,
    RoundEntry,
    RoundJudge,
    Score,
    conflict_token,
    entry_code,
)
from .rounds import entry_team_ids, judges_of, require_judge

audit.register_actions({
    "round.assigned": _l("Judges assigned automatically"),
    "assignment.moved": _l("Entry handed to another judge"),
    "judging.conflict_declared": _l("Conflict of interest declared"),
})


# --- conflicts ------------------------------------------------------------------------------------


def conflict_pairs(event_id: int) -> set[tuple[int, int]]:
    """(judge, team) pairs that must never meet: declared conflicts and the judge's own teams."""
    declared = db.session.execute(select(ConflictOfInterest.user_id, ConflictOfInterest.team_id)
                                  .where(ConflictOfInterest.event_id == event_id))
    own = db.session.execute(select(TeamMember.user_id, TeamMember.team_id)
                             .where(TeamMember.event_id == event_id, TeamMember.user_id.is_not(None)))
    return {tuple(row) for row in declared} | {tuple(row) for row in own}


def conflict_candidates(judge: User) -> list[tuple[int, str]]:
    """The teams a judge may declare a conflict with, as (id, name): the entries of the rounds they judge (a
    national round has thousands: rows, not whole teams)."""
    rounds = select(RoundJudge.round_id).where(RoundJudge.user_id == judge.id)
    return [tuple(row) for row in db.session.execute(
        select(Team.id, Team.name).join(RoundEntry, RoundEntry.team_id == Team.id)
        .where(RoundEntry.round_id.in_(rounds)).distinct().order_by(Team.name))]


@dataclass(frozen=True)
class ConflictChoice:
    """A team in a judge's conflict form: its name, keyed by a token that is neither the team's id nor any
    entry code, so that the form maps no blind entry to its team."""
    token: str
    name: str


# A judge's form lists at most this many teams; with more (a national round), the judge finds the team by name.
CONFLICT_CHOICES_LISTED = 100


@dataclass(frozen=True)
class ConflictChoices:
    """The first ``CONFLICT_CHOICES_LISTED`` of the teams that match, and how many match."""
    listed: list[ConflictChoice]
    matching: int

    @property
    def complete(self) -> bool:
        return len(self.listed) == self.matching


def conflict_choices(judge: User, name: str = "") -> ConflictChoices:
    """The judge's conflict candidates in alphabetical order (never in the order of their ids); with ``name``,
    those whose name contains it (compared as normalised text, whatever the case)."""
    require_judge(judge)
    wanted = normalize_text(name).casefold()
    candidates = conflict_candidates(judge)
    if wanted:
        candidates = [(team_id, team_name) for team_id, team_name in candidates
                      if wanted in normalize_text(team_name).casefold()]
    matching = sorted((ConflictChoice(conflict_token(judge.id, team_id), team_name) for team_id, team_name in candidates),
                      key=lambda choice: (persian_sort_key(choice.name), choice.token))
    return ConflictChoices(matching[:CONFLICT_CHOICES_LISTED], len(matching))


def find_conflict_teams(judge: User, name: str) -> ConflictChoices | None:
    """The judge's conflict candidates whose name contains ``name``; None before anything is asked."""
    require_judge(judge)
    return conflict_choices(judge, name) if normalize_text(name) else None


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
    existing = db.session.scalar(select(ConflictOfInterest).where(
        ConflictOfInterest.event_id == team.event_id, ConflictOfInterest.user_id == judge.id,
        ConflictOfInterest.team_id == team.id))
    if existing is None:
        db.session.add(ConflictOfInterest(event_id=team.event_id, user_id=judge.id, team_id=team.id, reason=reason,
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
            db.session.flush()
            handed.append(new)
        moved = _even_out_loads(actor, round_, judges, conflicts, now)
        changed = [a.id for a in handed if a.round_id == round_.id] + [a.id for a in moved]
        if changed:
            signals.send_after_commit(signals.judge_assigned, round_, actor=actor, now=now, assignment_ids=changed)
    audit.record(actor, "judging.conflict_declared", team, {"judge": judge.name, "reason": reason,
                                                            "handed_to": [a.user_id for a in handed]}, now=now)
    return handed


def _even_out_loads(actor, round_: Round, judges: list, conflicts: set, now: datetime) -> list[Assignment]:
    """Hand not-yet-scored assignments along chains of judges until the round's loads are as even as they
    can be (they differ by at most one whenever that is possible); scored assignments never move."""
    assignments = {(a.user_id, a.team_id): a for a in db.session.scalars(
        select(Assignment).where(Assignment.round_id == round_.id))}
    scored_ids = set(db.session.scalars(select(Score.assignment_id).join(Assignment).where(
        Assignment.round_id == round_.id)))
    scored = {pair for pair, a in assignments.items() if a.is_submitted or a.ever_submitted or a.id in scored_ids}
    moved = []
    for judge_id, team_id, to_judge_id in assigning.rebalance(assignments, judges, conflicts, scored):
        assignment = assignments[(judge_id, team_id)]
        assignment.user_id, assignment.assigned_at = to_judge_id, now
        audit.record(actor, "assignment.moved", assignment.team, {"judge": [judge_id, to_judge_id]}, now=now)
        moved.append(assignment)
    db.session.flush()
    return moved


def declare_own_conflict(actor, token: str, reason: str, now: datetime) -> list[Assignment]:
    """A judge declares a conflict with any team of their rounds, assigned to them or not, named by the
    team's token in their conflict form."""
    require_judge(actor)
    team_id = next((team_id for team_id, _name in conflict_candidates(actor)
                    if hmac.compare_digest(conflict_token(actor.id, team_id).encode(), token.encode())), None)
    team = db.session.get(Team, team_id) if team_id is not None else None
    if team is None:
        raise NotFound(_("There is no such team in your rounds."))
    return declare_conflict(actor, team, actor, reason, now)


def record_conflict(actor, round_: Round, judge_id: int, team_id: int, reason: str, now: datetime) -> list[Assignment]:
    """An organiser records, from a round's page, a judge's conflict with a team of the round's event."""
    judge, team = db.session.get(User, judge_id), db.session.get(Team, team_id)
    if judge is None or team is None or team.event_id != round_.event_id:
        raise Invalid(_("Choose a judge and a team, and say what the conflict is."))
    return declare_conflict(actor, team, judge, reason, now)


def _round_pairs(round_: Round) -> set[tuple[int, int]]:
    return {tuple(row) for row in db.session.execute(
        select(Assignment.user_id, Assignment.team_id).where(Assignment.round_id == round_.id))}


# --- assignment -----------------------------------------------------------------------------------


def assign_automatically(actor, round_: Round, now: datetime, seed: int = 0) -> assigning.AssignmentPlan:
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
    # In a blind round, a judge's new assignments follow the random order of their entry codes: the ids
    # (in the judge's links) then tell nothing of the order in which the teams registered.
    new_pairs = sorted(result.pairs - existing, key=(lambda pair: (pair[0], entry_code(round_.id, pair[1])))
                       if round_.blind else None)
    # Multi-row INSERTs returning only the ids: no ORM object per row (thousands in a national round).
    added = list(db.session.scalars(insert(Assignment).returning(Assignment.id), [
        {"round_id": round_.id, "user_id": judge_id, "team_id": team_id, "assigned_at": now,
         "ever_submitted": False, "outlier_comment": ""} for judge_id, team_id in new_pairs])) if new_pairs else []
    # Existing assignments the module dropped (they became conflicts) go too, unless already submitted.
    dropped = list(db.session.scalars(select(Assignment).where(
        Assignment.round_id == round_.id, Assignment.submitted_at.is_(None),
        tuple_(Assignment.user_id, Assignment.team_id).in_(list(result.removed))))) if result.removed else []
    for assignment in dropped:
        db.session.delete(assignment)
    audit.record(actor, "round.assigned", round_, {"added": len(new_pairs), "removed": len(dropped),
                                                   "uncovered": len(result.uncovered)}, now=now)
    if added:
        signals.send_after_commit(signals.judge_assigned, round_, actor=actor, now=now, assignment_ids=added)
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
    audit.record(actor, "assignment.moved", assignment.team, {"judge": [before, to_judge_id]}, now=now)
    signals.send_after_commit(signals.judge_assigned, assignment.round, actor=actor, now=now,
                              assignment_ids=[assignment.id])
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
