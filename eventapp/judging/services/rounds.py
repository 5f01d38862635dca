"""Rubrics, rounds and their entries, the rounds' judges and the judges' profiles."""
import math
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ...audit import services as audit
from ...auth.models import RoleGrant, User
from ...core.errors import Conflict as ConflictError
from ...core.errors import Invalid, NotAllowed, NotFound
from ...core.extensions import db
from ...core.i18n import format_list, format_number
from ...core.roles import JUDGE, require_organiser
from ...core.text import normalize_text
from ...events.models import Event
from ...teams.models import APPROVED, SUBMITTED, ProgressMap, Team
from .. import scoring
from ..enums import Award, CombiningMethod, RoundKind
from ..models import (
    FINAL,
    ROUND_KINDS,
    Criterion,
    EventJudge,
    JudgeProfile,
    Round,
    RoundEntry,
    RoundJudge,
    Rubric,
    Score,
)
from ..rubrics import DEFAULT_CRITERIA, DEFAULT_LEVELS, weights_look_deliberate

audit.register_actions({
    "rubric.saved": _l("Rubric saved"),
    "round.saved": _l("Judging round saved"),
    "round.entries_added": _l("Entries added to a round"),
    "round.judges_added": _l("Judges added to a round"),
})
audit.register_fields(values={"kind": RoundKind.label_of, "round": RoundKind.label_of,
                             "method": CombiningMethod.label_of, "award": Award.label_of})


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


def weight_warning(weights: list[float]) -> str | None:
    """What to tell the organiser about weights that sum to neither 100 nor 1, or are not all above zero."""
    if weights_look_deliberate(weights):
        return None
    if any(weight <= 0 for weight in weights) or not weights:
        return _("Every weight must be above zero: a criterion with no weight counts for nothing in the total.")
    return _("The weights sum to %(sum)s, neither 100 nor 1. Each criterion counts by its share of the sum, so "
             "this works, but check that no weight was mistyped.", sum=format_number(round(math.fsum(weights), 4)))


def save_rubric(actor, event: Event, title_fa: str, title_en: str, criteria: list[CriterionDetails], now: datetime,
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
    audit.record(actor, "rubric.saved", rubric, {"criteria": len(criteria)}, now=now)
    return rubric


def default_criteria() -> list[CriterionDetails]:
    levels = [{"value": value, "fa": fa, "en": en} for value, fa, en in DEFAULT_LEVELS]
    return [CriterionDetails(title_fa=fa, title_en=en, weight=weight, levels=levels)
            for fa, en, weight in DEFAULT_CRITERIA]


def copy_rubric(actor, source: Rubric, event: Event, now: datetime) -> Rubric:
    """A copy of a rubric (e.g. of an earlier event) that can be changed freely."""
    criteria = [CriterionDetails(title_fa=c.title_fa, title_en=c.title_en, description_fa=c.description_fa,
                                 description_en=c.description_en, weight=c.weight, scale_min=c.scale_min,
                                 scale_max=c.scale_max, levels=list(c.levels)) for c in source.criteria]
    return save_rubric(actor, event, source.title_fa, source.title_en, criteria, now)


def get_rubric_for_organiser(actor, rubric_id: int) -> Rubric:
    require_organiser(actor, _l("Only organisers can build rubrics."))
    rubric = db.session.get(Rubric, rubric_id)
    if rubric is None:
        raise NotFound(_("There is no such rubric."))
    return rubric


def event_rubrics(event: Event) -> list[Rubric]:
    return list(db.session.scalars(select(Rubric).where(Rubric.event_id == event.id).order_by(Rubric.id)))


def rubrics_to_copy(actor) -> list[Rubric]:
    require_organiser(actor, _l("Only organisers can build rubrics."))
    return list(db.session.scalars(select(Rubric).order_by(Rubric.id.desc())))


def scoring_criteria(rubric: Rubric) -> list[scoring.Criterion]:
    return [scoring.Criterion(str(c.id), c.weight, c.scale_min, c.scale_max) for c in rubric.criteria]


# --- rounds and their entries ---------------------------------------------------------------------


@dataclass
class RoundDetails:
    kind: str
    rubric_id: int
    starts_at: datetime
    ends_at: datetime
    judges_per_entry: int = 3
    blind: bool = True
    method: str = CombiningMethod.JUDGE_EFFECT
    disagreement_threshold: float = 25.0
    outlier_threshold: float = 30.0
    show_others_after_submit: bool = False
    tie_breakers: list[int] = field(default_factory=list)


def save_round(actor, event: Event, details: RoundDetails, now: datetime, round_: Round | None = None) -> Round:
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
    if details.method not in CombiningMethod.values():
        errors["method"] = _("Choose how scores are combined.")
    if rubric is not None and set(details.tie_breakers) - {c.id for c in rubric.criteria}:
        errors["tie_breakers"] = _("Tie-breakers must be criteria of the round's rubric.")
    taken = db.session.scalar(select(Round.id).where(Round.event_id == event.id, Round.kind == details.kind)) \
        if details.kind in ROUND_KINDS else None
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
    audit.record(actor, "round.saved", round_, audit.diff(before, details.__dict__), now=now)
    return round_


def rounds_of(event: Event) -> list[Round]:
    return list(db.session.scalars(select(Round).where(Round.event_id == event.id).order_by(Round.id)))


def get_round_for_organiser(actor, round_id: int) -> Round:
    require_organiser(actor, _l("Only organisers can manage rounds."))
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise NotFound(_("There is no such round."))
    return round_


def add_entries(actor, round_: Round, team_ids: list[int], now: datetime) -> int:
    """Add approved teams of the event to a round by hand; returns how many were added."""
    require_organiser(actor, _l("Only organisers can choose a round's entries."))
    present = set(db.session.scalars(select(RoundEntry.team_id).where(RoundEntry.round_id == round_.id)))
    teams = db.session.scalars(select(Team).where(Team.id.in_(team_ids), Team.event_id == round_.event_id)).all()
    refused = [team.name for team in teams if team.status != APPROVED]
    if refused:
        raise ConflictError(_("Only approved teams can enter a round: %(teams)s.", teams=format_list(refused)))
    added = [RoundEntry(round_id=round_.id, team_id=team.id) for team in teams if team.id not in present]
    db.session.add_all(added)
    if added:
        audit.record(actor, "round.entries_added", round_, {"teams": [entry.team_id for entry in added]}, now=now)
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


def entry_teams(round_: Round) -> list[Team]:
    """The round's entries, by name."""
    return list(db.session.scalars(select(Team).join(RoundEntry, RoundEntry.team_id == Team.id)
                                   .where(RoundEntry.round_id == round_.id).order_by(Team.name)))


# --- judges ---------------------------------------------------------------------------------------


def require_judge(actor) -> None:
    """Judges' pages are for judges (and organisers, who look at them to help)."""
    if actor is None or not (actor.is_judge or actor.is_organiser):
        raise NotAllowed(_("Only judges can open this page."))


def save_profile(actor, expertise: str, province_id: int | None) -> JudgeProfile:
    if not actor.is_judge:
        raise NotAllowed(_("Only judges have a judge's profile."))
    profile = db.session.scalar(select(JudgeProfile).where(JudgeProfile.user_id == actor.id))
    if profile is None:
        profile = JudgeProfile(user_id=actor.id)
        db.session.add(profile)
    profile.expertise, profile.province_id = normalize_text(expertise), province_id
    return profile


def profile_of(actor) -> JudgeProfile | None:
    require_judge(actor)
    return db.session.scalar(select(JudgeProfile).where(JudgeProfile.user_id == actor.id))


def add_judges(actor, round_: Round, user_ids: list[int], now: datetime) -> int:
    require_organiser(actor, _l("Only organisers can choose a round's judges."))
    judges = db.session.scalars(select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                                .where(User.id.in_(user_ids), RoleGrant.role == JUDGE)).all()
    present = set(db.session.scalars(select(RoundJudge.user_id).where(RoundJudge.round_id == round_.id)))
    added = [RoundJudge(round_id=round_.id, user_id=user.id) for user in judges if user.id not in present]
    db.session.add_all(added)
    if added:
        audit.record(actor, "round.judges_added", round_, {"judges": [judge.user_id for judge in added]}, now=now)
    return len(added)


def add_all_judges(actor, round_: Round, now: datetime) -> int:
    """Every judge of the round's event (who accepted an invitation to it, and is still a judge) joins the round;
    judges of other events do not."""
    require_organiser(actor, _l("Only organisers can choose a round's judges."))
    judge_ids = list(db.session.scalars(select(EventJudge.user_id).where(EventJudge.event_id == round_.event_id)))
    if not judge_ids:
        raise Invalid(_("No judge has accepted an invitation to this event yet. Invite judges from the event's "
                        "judging page first."))
    return add_judges(actor, round_, judge_ids, now)


def event_judges(event: Event) -> list[User]:
    """The judges of an event: who accepted an invitation to judge it."""
    return list(db.session.scalars(select(User).join(EventJudge, EventJudge.user_id == User.id)
                                   .where(EventJudge.event_id == event.id).order_by(User.name, User.id)))


def judges_of(round_: Round) -> list[User]:
    return list(db.session.scalars(select(User).join(RoundJudge, RoundJudge.user_id == User.id)
                                   .where(RoundJudge.round_id == round_.id).order_by(User.id)))
