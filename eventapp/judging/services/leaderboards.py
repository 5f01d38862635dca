"""The leaderboard: every rank explained from the scores, computed on arrays from one lean query, cached per
round until its scores change, and read a page at a time through filters.

What is computed (``Standings``) holds no team names and nothing of the session: it is what the cache keeps.
Names are read fresh for the rows shown, so a renamed team never shows its old name.
"""
import gc
import hashlib
import heapq
import re
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, select

from ...core import page_cache
from ...core.database import contains
from ...core.extensions import db
from ...core.roles import require_organiser
from ...core.text import normalize_text
from ...teams.models import Team
from .. import scoring
from ..enums import Award
from ..models import FINAL, SCREENING, Assignment, Round, Score, entry_code
from .rounds import scoring_criteria

AWARDS = tuple(Award)
HONOURABLE_MENTIONS = 3  # places after the third that get an honourable mention by default
CACHE_SECONDS = 24 * 3600  # a key names what the standings were computed from: this only frees the memory
_CACHE_FORMAT = 1  # bump when Standings change shape, so that no process reads another version's objects


@dataclass(frozen=True)
class EntryTeam:
    """The team of a leaderboard row, as the page and the exports show it."""
    id: int
    name: str


@dataclass
class Standing:
    """An entry's place computed from the scores, without its team's name."""
    team_id: int
    rank: int
    tied: bool
    result: scoring.EntryResult  # by the round's method; its raw_mean is the plain mean beside it
    criteria: dict[int, float]  # criterion id -> mean score of the entry's judges
    crosses_cutoff: bool
    award: Award | None


@dataclass
class LeaderboardRow(Standing):
    team: EntryTeam


@dataclass(frozen=True)
class Standings:
    """A round's ranked entries: what the cache keeps."""
    rows: list[Standing]
    result: scoring.RoundResult | None
    by_group: bool = False  # ranks and awards within each group of entries that share judges


@dataclass
class Leaderboard:
    round: Round
    standings: Standings
    rows: list[LeaderboardRow]  # every row, or those of the page shown
    pending: int  # assignments not yet submitted

    @property
    def result(self) -> scoring.RoundResult | None:
        return self.standings.result

    @property
    def by_group(self) -> bool:
        return self.standings.by_group

    @property
    def connected(self) -> bool:
        return self.result is None or self.result.connected

    def group_sizes(self) -> list[int]:
        return [len(group) for group in self.result.groups] if self.result else []


# --- computing ------------------------------------------------------------------------------------

@contextmanager
def _collector_paused():
    """The cyclic garbage collector off while a leaderboard is built, back on after (if it was on).

    A round of 5,000 entries makes some 100,000 small objects (computed, or read back from the cache), none of
    them in a cycle; each full collection they trigger scans the whole heap of the process for nothing, and
    the one or two of every computation took longer than the computation itself (a read from the cache: 0.02 s,
    0.17 s with one). What is garbage is still collected, later, as ever.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _submitted_table(round_: Round) -> tuple[list[int], list[int], np.ndarray]:
    """(team, judge, scores) of every submitted assignment, in the order of their ids; the scores in the rubric's
    order, NaN where one is missing. Pivoted by the database: 25,000 rows for a round of 150,000 scores, no ORM
    objects."""
    scores = [func.max(Score.value).filter(Score.criterion_id == criterion.id) for criterion in round_.rubric.criteria]
    rows = db.session.execute(  # through the session: what it has not flushed yet counts too
        select(Assignment.team_id, Assignment.user_id, *scores)
        .join(Score, Score.assignment_id == Assignment.id)
        .where(Assignment.round_id == round_.id, Assignment.submitted_at.is_not(None))
        .group_by(Assignment.id).order_by(Assignment.id)).all()  # team and judge depend on the assignment's id
    if not rows:
        return [], [], np.empty((0, len(scores)))
    columns = list(zip(*rows))
    return list(columns[0]), list(columns[1]), np.array(columns[2:], dtype=float).T.copy()


def _criteria_means(team_ids: list[int], scores: np.ndarray, criterion_ids: list[int]) -> dict[int, dict[int, float]]:
    """{team: {criterion: mean score}}: each sum runs in the rows' order from zero, as ``sum`` does."""
    teams, index = np.unique(np.array(team_ids), return_inverse=True)
    counts = np.bincount(index)
    sums = np.column_stack([np.bincount(index, weights=scores[:, column], minlength=teams.size)
                            for column in range(len(criterion_ids))])
    return dict(zip(teams.tolist(), (dict(zip(criterion_ids, means)) for means in (sums / counts[:, None]).tolist())))


def _default_awards(ranked: list[scoring.Ranked]) -> dict[int, Award]:
    """First, second and third by rank (tied entries share), then honourable mentions."""
    awards = {}
    for place in ranked:
        if place.rank <= 3:
            awards[place.entry] = AWARDS[place.rank - 1]
        elif place.rank <= 3 + HONOURABLE_MENTIONS:
            awards[place.entry] = Award.HONOURABLE
    return awards


@_collector_paused()
def compute_standings(round_: Round, method: str | None = None) -> Standings:
    """The round's method beside the raw mean, with bands, flags, ranks and (final rounds) default awards.

    A final round whose judges and entries fall apart into groups that share no judge is ranked (and given
    its default awards) within each group: values of different groups cannot be compared.
    """
    team_ids, judge_ids, scores = _submitted_table(round_)
    if not team_ids:
        return Standings([], None)
    totals = scoring.weighted_totals(scores, scoring_criteria(round_.rubric))  # refuses a missing score (NaN)
    result = scoring.combine_arrays(team_ids, judge_ids, totals, method or round_.method,
                                    round_.disagreement_threshold)
    means = _criteria_means(team_ids, scores, [criterion.id for criterion in round_.rubric.criteria])
    tie_breakers = [{team: means[team].get(criterion_id, 0.0) for team in means} for criterion_id in round_.tie_breakers]
    by_group = round_.kind == FINAL and not result.connected
    rows = []
    for group in result.groups if by_group else [result.entries]:
        ranked = scoring.rank({team: result.entries[team].value for team in group}, tie_breakers)
        awards = _default_awards(ranked) if round_.kind == FINAL else {}  # screening selects; it awards nothing
        # The award cut-offs lie between the places that get different awards (final rounds only).
        places = 3 + HONOURABLE_MENTIONS if round_.kind == FINAL else 0
        by_rank = heapq.nsmallest(places + 1, (result.entries[team] for team in group), key=lambda entry: -entry.value)
        cutoffs = [(a.value + b.value) / 2 for a, b in zip(by_rank[:places], by_rank[1:places + 1])]
        rows.extend(Standing(place.entry, place.rank, place.tied, result.entries[place.entry], means[place.entry],
                             bool(cutoffs) and scoring.band_crosses(result.entries[place.entry], cutoffs),
                             awards.get(place.entry))
                    for place in ranked)
    return Standings(rows, result, by_group)


def _pending(round_: Round) -> int:
    return db.session.scalar(select(func.count()).select_from(Assignment).where(
        Assignment.round_id == round_.id, Assignment.submitted_at.is_(None)))


def _teams(round_: Round, team_ids: list[int] | None = None) -> dict[int, EntryTeam]:
    """The teams of the given ids, or of every submitted assignment of the round, in one statement."""
    wanted = Team.id.in_(team_ids) if team_ids is not None else Team.id.in_(
        select(Assignment.team_id).where(Assignment.round_id == round_.id, Assignment.submitted_at.is_not(None)))
    return {team_id: EntryTeam(team_id, name) for team_id, name in db.session.execute(
        select(Team.id, Team.name).where(wanted)).all()}


def _board(round_: Round, standings: Standings, rows: list[Standing], teams: dict[int, EntryTeam], pending: int,
           crosses: dict[int, bool] | None = None) -> Leaderboard:
    """A leaderboard of ``rows`` with their teams; ``crosses`` replaces the rows' cut-off flags where given."""
    crosses = crosses or {}
    return Leaderboard(round_, standings, [
        LeaderboardRow(**{**row.__dict__, "crosses_cutoff": crosses.get(row.team_id, row.crosses_cutoff)},
                       team=teams[row.team_id]) for row in rows], pending)


@_collector_paused()
def compute_leaderboard(round_: Round, method: str | None = None) -> Leaderboard:
    """The whole leaderboard, computed now from the scores (see ``compute_standings``): three statements."""
    standings = compute_standings(round_, method)
    return _board(round_, standings, standings.rows, _teams(round_), _pending(round_))


# --- the cache ------------------------------------------------------------------------------------

# Any commit that writes one of these moves its generation (core/page_cache.py), on every server: with the
# fingerprint below, the key changes whatever the servers' clocks say.
SCORE_TABLES = ("assignments", "scores")


def _fingerprint(round_: Round) -> tuple[int, int, int, object]:
    """(pending, submitted, the sum of the submitted assignments' ids, the last submission), in one statement.

    The standings are computed from the submitted assignments and their scores. A submitted assignment's scores
    are locked: they change only after an organiser reopens it (it leaves the submitted ones) and the judge
    submits again (a new last submission, later than any before it as long as the servers' clocks agree within
    the seconds a reopening and a new submission take); a new submission, a reopening or a removed entry changes
    the count or the sum of ids. So these figures change whenever what the standings are computed from does.
    """
    submitted = Assignment.submitted_at.is_not(None)
    return tuple(db.session.execute(select(
        func.count() - func.count(Assignment.submitted_at), func.count(Assignment.submitted_at),
        func.coalesce(func.sum(case((submitted, Assignment.id), else_=0)), 0), func.max(Assignment.submitted_at),
    ).where(Assignment.round_id == round_.id)).one())


def _cache_key(round_: Round, method: str, fingerprint: tuple, generations: dict[str, str]) -> str:
    """The round, what the scores were (``_fingerprint``) and every setting the standings depend on."""
    settings = (_CACHE_FORMAT, method, str(round_.kind), round_.disagreement_threshold, tuple(round_.tie_breakers),
                round_.rubric_id, tuple((c.id, c.weight, c.scale_min, c.scale_max) for c in round_.rubric.criteria),
                fingerprint[1:], sorted(generations.items()))
    return f"leaderboard:{round_.id}:{hashlib.sha256(repr(settings).encode()).hexdigest()[:32]}"


@_collector_paused()
def cached_standings(round_: Round, method: str | None = None) -> tuple[Standings, int]:
    """(the standings, the assignments not yet submitted): computed once per round, method and state of its
    scores, then read from the cache (Redis when configured, else files of the machine) until a score changes. One
    statement when cached; a cache that does not answer costs a computation, never an error."""
    fingerprint = _fingerprint(round_)
    pending, submitted = fingerprint[0], fingerprint[1]
    if not submitted:
        return Standings([], None), pending
    generations = page_cache.readable_generations(SCORE_TABLES)
    if generations is None:
        return compute_standings(round_, method), pending
    key = _cache_key(round_, str(method or round_.method), fingerprint, generations)
    standings = page_cache.cached(key)
    if not isinstance(standings, Standings):
        standings = compute_standings(round_, method)
        page_cache.keep(key, standings, CACHE_SECONDS)
    return standings, pending


@_collector_paused()
def leaderboard(actor, round_: Round, method: str | None = None) -> Leaderboard:
    """The whole leaderboard for the organisers (the exports), from the cache."""
    require_organiser(actor, _l("Only organisers can see the leaderboard before it is published."))
    standings, pending = cached_standings(round_, method)
    return _board(round_, standings, standings.rows, _teams(round_), pending)


# --- a page at a time -----------------------------------------------------------------------------

@dataclass(frozen=True)
class LeaderboardFilters:
    search: str = ""  # in the team's name or its entry code
    flagged: bool = False  # the judges disagree, or the band crosses a cut-off
    near_cutoff: bool = False  # the band crosses a cut-off
    cut: int | None = None  # screening: how many teams go on; the cut-off lies after that place


@dataclass
class LeaderboardPage:
    """The rows of one page of the filtered leaderboard, with what the pager and the filters show."""
    board: Leaderboard  # its rows are the page's
    page: int
    per_page: int
    total: int  # rows that pass the filters
    entries: int  # rows of the whole leaderboard
    flagged: int  # of them flagged
    near_cutoff: int  # of them with a band across a cut-off
    codes: dict[int, str]  # team -> entry code, for the rows shown

    @property
    def pages(self) -> int:
        return _page_count(self.total, self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


_CODE_TEXT = re.compile(r"[A-Za-z-]*[A-Za-z][A-Za-z-]*")  # what may be part of an entry code


def _matching(round_: Round, standings: Standings, search: str) -> set[int]:
    """The teams of the standings whose name contains ``search`` (normalised as the team list's search is), or
    whose entry code does (KXQM-RTAV, case and hyphen as typed or not)."""
    found = set(db.session.scalars(select(Team.id).where(
        Team.id.in_(select(Assignment.team_id).where(Assignment.round_id == round_.id,
                                                     Assignment.submitted_at.is_not(None))),
        contains(Team.name, search))))
    if _CODE_TEXT.fullmatch(search):
        letters = search.upper().replace("-", "")
        found.update(row.team_id for row in standings.rows
                     if letters in entry_code(round_.id, row.team_id).replace("-", ""))
    return found


def _screening_cut(standings: Standings, cut: int | None) -> list[float]:
    """The cut-off after place ``cut`` of a screening: halfway between the last value that goes on and the next."""
    rows = standings.rows
    if cut is None or not 1 <= cut < len(rows):
        return []
    return [(rows[cut - 1].result.value + rows[cut].result.value) / 2]


def leaderboard_page(actor, round_: Round, method: str | None, filters: LeaderboardFilters, page: int,
                     per_page: int) -> LeaderboardPage:
    """One page of the leaderboard as filtered, in rank order; a page number out of range shows the nearest page.
    The same few statements whatever the size of the round."""
    require_organiser(actor, _l("Only organisers can see the leaderboard before it is published."))
    standings, pending = cached_standings(round_, method)
    rows = standings.rows
    crosses = None
    if round_.kind == SCREENING:
        cutoffs = _screening_cut(standings, filters.cut)
        crosses = {row.team_id: scoring.band_crosses(row.result, cutoffs) for row in rows}

    def near(row: Standing) -> bool:
        return crosses[row.team_id] if crosses is not None else row.crosses_cutoff

    def flagged(row: Standing) -> bool:
        return row.result.disagreement or near(row)

    search = normalize_text(filters.search)
    matching = _matching(round_, standings, search) if search else None
    chosen = [row for row in rows if (matching is None or row.team_id in matching)
              and (not filters.flagged or flagged(row)) and (not filters.near_cutoff or near(row))]
    page = min(max(page, 1), _page_count(len(chosen), per_page))
    shown = chosen[(page - 1) * per_page:page * per_page]
    board = _board(round_, standings, shown, _teams(round_, [row.team_id for row in shown]), pending, crosses)
    return LeaderboardPage(board, page, per_page, total=len(chosen), entries=len(rows),
                           flagged=sum(map(flagged, rows)), near_cutoff=sum(map(near, rows)),
                           codes={row.team_id: entry_code(round_.id, row.team_id) for row in shown})
