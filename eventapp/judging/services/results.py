"""Results: publishing the leaderboard, the published results, the judging quality and the selection of the top
teams of a screening (the leaderboard itself is ``leaderboards.py``)."""
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import defer

from ... import signals
from ...audit import services as audit
from ...auth.models import User
from ...core.errors import Conflict as ConflictError
from ...core.errors import Invalid, NotFound
from ...core.extensions import db
from ...core.i18n import format_list, format_number
from ...core.roles import require_organiser
from ...events.models import Event
from ...teams import services as team_services
from ...teams.models import APPROVED, Team
from ...teams.services import can_read_team
from .. import scoring
from ..enums import Award
from ..models import SCREENING, Assignment, Publication, Round, Score
from ..results import PublishedResult, ResultComment, ResultCriterion, ResultRow, ResultScores
from .leaderboards import Leaderboard, compute_leaderboard
from .rounds import judges_of, scoring_criteria

audit.register_actions({
    "results.published": _l("Results published"),
    "results.republished": _l("Results published again"),
})


# --- publishing -----------------------------------------------------------------------------------


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


def _comments(submitted: dict) -> dict[int, list[ResultComment]]:
    """The judges' comments per team (of ``_submitted_scores``), without the judges' names."""
    comments = {}
    for (team_id, _judge), scores in submitted.items():
        for criterion_id, (_value, comment) in scores.items():
            if comment:
                comments.setdefault(team_id, []).append(ResultComment(criterion_id, comment))
    return comments


def _disconnected(board: Leaderboard) -> str:
    sizes = format_list(format_number(size) for size in board.group_sizes())
    return _("The judges and entries of this round fall apart into %(num)s groups that share no judge (of "
             "%(sizes)s entries): their results cannot be compared in one ranking. Add judges who score entries of "
             "more than one group, or choose to publish a ranking per group.",
             num=format_number(len(board.group_sizes())), sizes=sizes)


def publish(actor, round_: Round, awards: dict[int, str | None], now: datetime, by_group: bool = False
            ) -> Publication:
    """Freeze the leaderboard with its awards and the scores behind it. Publishing again supersedes the earlier
    snapshot (audited).

    A final round that falls apart into groups sharing no judge is published only ``by_group`` (a ranking per
    group, which the snapshot records), the organiser's explicit choice."""
    require_organiser(actor, _l("Only organisers can publish results."))
    if any(award not in (*Award.values(), None) for award in awards.values()):
        raise Invalid(_("Choose an award from the list."))
    board = compute_leaderboard(round_)
    if not board.rows:
        raise ConflictError(_("No judge has submitted scores in this round yet."))
    if board.by_group and not by_group:
        raise ConflictError(_disconnected(board))
    submitted = _submitted_scores(round_)
    comments = _comments(submitted)
    rows = tuple(ResultRow(
        team_id=row.team.id, team_name=row.team.name, rank=row.rank, tied=row.tied,
        value=round(row.result.value, 2), raw=round(row.result.raw_mean, 2), judges=row.result.judges,
        award=awards.get(row.team.id, row.award),
        criteria={criterion_id: round(mean, 2) for criterion_id, mean in row.criteria.items()},
        comments=tuple(comments.get(row.team.id, ())),
        group=row.result.group + 1 if board.by_group else None,
    ) for row in board.rows)
    criteria = tuple(ResultCriterion(c.id, c.title_fa, c.title_en, c.scale_max, c.scale_min, c.weight)
                     for c in round_.rubric.criteria)
    scores = tuple(ResultScores(team_id, judge_id, {criterion_id: value for criterion_id, (value, _c) in by.items()})
                   for (team_id, judge_id), by in submitted.items())
    result = PublishedResult.with_averages(round_.method, rows, criteria, scores=scores,
                                           tie_breakers=tuple(round_.tie_breakers), by_group=board.by_group)
    previous = current_publication(round_)
    if previous is not None:
        previous.superseded_at = now
    publication = Publication(round_id=round_.id, published_at=now, published_by_id=actor.id,
                              snapshot=result.to_snapshot())
    db.session.add(publication)
    db.session.flush()
    audit.record(actor, "results.republished" if previous else "results.published", round_,
                 {"entries": len(rows), "pending": board.pending, "groups": len(result.groups)}, now=now)
    signals.send_after_commit(signals.results_published, publication, actor=actor, now=now)
    return publication


def current_publication(round_: Round) -> Publication | None:
    return db.session.scalar(select(Publication).where(Publication.round_id == round_.id,
                                                       Publication.superseded_at.is_(None)))


def publications_of(round_: Round) -> list[Publication]:
    """Every publication of the round, the current one first, then the superseded ones, newest first; their
    snapshots (thousands of rows each) are read only when asked for."""
    return list(db.session.scalars(select(Publication).where(Publication.round_id == round_.id)
                                   .options(defer(Publication.snapshot))
                                   .order_by(Publication.published_at.desc(), Publication.id.desc())))


def get_publication_for_organiser(actor, publication_id: int) -> Publication:
    require_organiser(actor, _l("Only organisers can export published results."))
    publication = db.session.get(Publication, publication_id)
    if publication is None:
        raise NotFound(_("There is no such publication."))
    return publication


def published_results(event: Event) -> list[Publication]:
    """The current published results of each round of the event (for the public page)."""
    return list(db.session.scalars(select(Publication).join(Round).where(
        Round.event_id == event.id, Publication.superseded_at.is_(None)).order_by(Round.id)))


def team_results(actor, team: Team) -> list[tuple[Publication, ResultRow]]:
    """A team's own published rows (per-criterion results and comments), for its members and organisers."""
    if not can_read_team(actor, team):
        raise NotFound(_("There is no such team."))
    found = []
    for publication in published_results(team.event):
        row = publication.result.row_of(team.id)
        if row is not None:
            found.append((publication, row))
    return found


def select_top(actor, screening: Round, count: int, now: datetime) -> list[int]:
    """Select the top ``count`` teams of the published screening (ties at the cut all go through), and no
    other team of the event.

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
    rows = publication.result.rows
    cut = rows[min(count, len(rows)) - 1].rank
    chosen = {row.team_id for row in rows if row.rank <= cut}
    teams = db.session.scalars(select(Team).where(Team.event_id == screening.event_id).order_by(Team.id)).all()
    wanted = {team.id: team.id in chosen and team.status == APPROVED for team in teams}
    for selected in (True, False):
        team_services.set_screening_selected(actor, [team for team in teams if wanted[team.id] is selected],
                                             selected, now)
    return sorted(chosen)


# --- judging quality ------------------------------------------------------------------------------


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
