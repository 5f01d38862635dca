"""Judging maths: weighted totals, combining judges' totals, ranks, bands and reliability.

Pure functions on plain values: no database, no Flask, standard library only.

Vocabulary
----------
* A *total* is one judge's weighted score for one entry, on a 0–100 scale (:func:`weighted_total`).
* A round's totals are combined into one *value* per entry by one of :data:`METHODS`
  (:func:`combine`); every method reports on the 0–100 scale of the raw totals.
* Entries and judges are any hashable ids. Everything is computed in a canonical order
  (natural sort order of the ids when they have one, else by type name and ``repr``), so the
  order in which totals are given never changes a result, not even in the last bit.

Conventions (shown on the pages that use them)
----------------------------------------------
* Standard deviations are *population* SDs (divide by n): a judge's spread, the z-score
  normalisation and the grand SD used to rescale it.  Estimates of the judges' noise for the
  uncertainty band divide by their degrees of freedom instead (see :func:`combine`).
* The uncertainty band is ``value ± q · s · √v``: ``s`` is the round's pooled noise SD
  (:attr:`RoundResult.band_sd`), ``v`` the variance of the entry's value in units of s² (1/judges of the
  entry for the averaging methods; for judge_effect also the variance of the fitted leniencies of the
  entry's judges) and ``q`` the two-sided 95 % quantile of Student's t with the degrees of freedom of s
  (1.96 when s is not estimated).
* Two numbers closer than :data:`TIE_TOLERANCE` (relative to their size, at least absolute)
  are equal when ranking: float noise never breaks nor makes a tie.
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

DEFAULT_METHOD = "judge_effect"  # one of METHODS (the table of combine's methods, below it)

BAND_Z = 1.96  # two-sided 95 % normal quantile: the band's quantile with unlimited degrees of freedom
TIE_TOLERANCE = 1e-9  # relative (and, below 1, absolute) tolerance for equal values when ranking
FLAT_SD = 1e-9  # a judge whose totals spread less than this has "no spread"

# Judge-effect solver: preconditioned conjugate gradients on the reduced normal equations.
_SOLVER_TOLERANCE = 1e-13  # relative residual
_SOLVER_REFINEMENTS = 4


# ---------------------------------------------------------------------------------------------
# Weighted totals

@dataclass(frozen=True)
class Criterion:
    key: str
    weight: float
    scale_min: float
    scale_max: float


def check_criteria(criteria: Sequence[Criterion]) -> None:
    """ValueError unless the rubric is usable: unique keys, finite numbers, weights >= 0 with a
    positive sum, and scale_max > scale_min for every criterion."""
    keys = [criterion.key for criterion in criteria]
    if len(set(keys)) != len(keys):
        raise ValueError("criterion keys must be unique")
    for criterion in criteria:
        numbers = (criterion.weight, criterion.scale_min, criterion.scale_max)
        if not all(_is_finite_number(number) for number in numbers):
            raise ValueError(f"criterion {criterion.key!r}: weight and scale must be finite numbers")
        if criterion.weight < 0:
            raise ValueError(f"criterion {criterion.key!r}: weight must not be negative")
        if criterion.scale_max <= criterion.scale_min:
            raise ValueError(f"criterion {criterion.key!r}: scale_max must be greater than scale_min")
    if not math.fsum(criterion.weight for criterion in criteria) > 0:
        raise ValueError("the criteria's total weight must be positive")


def weighted_total(scores: Mapping[str, float], criteria: Sequence[Criterion]) -> float:
    """One judge's total for one entry on a 0–100 scale: Σ w·(s − min)/(max − min) / Σ w × 100.

    ValueError for an invalid rubric (see :func:`check_criteria`), a missing score, or a score that
    is not a finite number within its scale. Scores for keys that are not on the rubric are ignored:
    the rubric defines the total.
    """
    check_criteria(criteria)
    parts = []
    for criterion in criteria:
        if criterion.key not in scores:
            raise ValueError(f"missing score for criterion {criterion.key!r}")
        score = scores[criterion.key]
        if not _is_finite_number(score):
            raise ValueError(f"score for criterion {criterion.key!r} must be a finite number")
        if not criterion.scale_min <= score <= criterion.scale_max:
            raise ValueError(f"score {score!r} for criterion {criterion.key!r} is outside "
                             f"{criterion.scale_min}–{criterion.scale_max}")
        fraction = (score - criterion.scale_min) / (criterion.scale_max - criterion.scale_min)
        parts.append(criterion.weight * fraction)
    total = math.fsum(parts) / math.fsum(criterion.weight for criterion in criteria) * 100.0
    return min(100.0, max(0.0, total))


# ---------------------------------------------------------------------------------------------
# Combining a round's totals

@dataclass(frozen=True)
class Total:
    """One judge's weighted total for one entry."""
    entry: Hashable
    judge: Hashable
    value: float


@dataclass(frozen=True)
class EntryResult:
    entry: Hashable
    value: float  # the method's result, on the 0–100 scale of the raw totals
    raw_mean: float  # plain mean of the entry's raw totals (shown beside the value)
    judges: int  # number of judges behind the entry
    low: float  # uncertainty band: value ± band_quantile · band_sd · √(the value's variance factor)
    high: float
    spread: float  # max − min of the entry's raw totals
    disagreement: bool  # spread > the organiser's threshold
    group: int  # index into RoundResult.groups


@dataclass(frozen=True)
class JudgeStats:
    judge: Hashable
    count: int  # entries judged in the round
    mean: float  # mean of the judge's raw totals
    sd: float  # population SD of the judge's raw totals (0 for one entry)
    leniency: float | None  # see combine(); None when the judge shares no entry with another judge
    left_raw: bool  # zscore only: fewer than two entries or no spread, so the totals stay raw
    agreement: float | None  # Pearson r with the mean of the other judges on shared entries


@dataclass(frozen=True)
class RoundResult:
    method: str
    entries: dict  # entry -> EntryResult
    judges: dict  # judge -> JudgeStats
    groups: list  # list[frozenset] of entries linked through shared judges, see components()
    connected: bool  # at most one group: every pair of entries is comparable
    residual_sd: float | None  # the round's estimated noise SD; None when it cannot be estimated
    band_sd: float = 0.0  # the SD the bands use: residual_sd, or the fallback when it is None
    band_estimated: bool = True  # False when band_sd is the fallback (no degrees of freedom)
    band_quantile: float = BAND_Z  # Student's t quantile for residual_sd's degrees of freedom (BAND_Z if none)


def components(totals: Iterable[Total]) -> list[frozenset]:
    """The groups of entries linked through shared judges (connected components of the bipartite
    judge–entry graph), ordered by each group's first entry in the canonical order."""
    prepared = _prepare(totals)
    return [frozenset(prepared.entries[e] for e in members) for members in prepared.group_entries]


def combine(totals: Iterable[Total], method: str = DEFAULT_METHOD,
            disagreement_threshold: float = 25.0) -> RoundResult:
    """Combine a round's totals into one value per entry by ``method`` (one of :data:`METHODS`).

    * ``mean`` / ``median``: of the entry's raw totals.
    * ``zscore``: each judge's totals become z = (t − mean_j)/sd_j (population SD over that
      judge's entries), rescaled to grand_mean + grand_sd·z with the grand mean and population SD
      of all raw totals of the round; a judge with fewer than two entries or no spread (sd below
      :data:`FLAT_SD`) keeps raw totals (``left_raw``). The value is the mean of the entry's
      (normalised or raw) totals.
    * ``judge_effect``: least squares of t = q_entry + l_judge, fitted separately in each group of
      linked entries with the leniencies of each group summing to zero; the value is q. The level
      is "what the group's average judge would give": adding c to every total of one judge of a
      group moves every value of that group by c/J (J judges in the group) and changes no
      difference between entries.

    Uncertainty band: value ± q · s · √v, with s the round's pooled noise SD: for judge_effect the
    residual SD of the fit, √(RSS / (N − E − J + G)); for the other methods the within-entry SD of
    the totals the method averages (raw, or normalised for zscore) pooled over entries,
    √(Σ (t − entry mean)² / Σ (n_e − 1)). ``v`` is the variance of the entry's value in units of s²:
    1/n_e for the averaging methods; for judge_effect 1/n_e plus the variance of the mean of the
    fitted leniencies of the entry's judges (those are estimated too: a judge seen on few shared
    entries moves every value it touches), see :func:`_judge_effect_variances`. ``q`` is Student's t
    two-sided 95 % quantile for the degrees of freedom of s (s is estimated, so the band is a t
    interval). When the round has no degrees of freedom for it (e.g. one judge per entry),
    ``residual_sd`` is None and the band falls back to the population SD of all raw totals — an
    upper bound on the judges' noise, so the band is wide rather than falsely narrow — with
    ``band_estimated`` False and q = BAND_Z.

    Leniency: the fitted l for judge_effect; otherwise the mean of (judge's total − entry's raw
    mean) over the judge's entries that another judge also scored. None when the judge shares no
    entry with another judge (for judge_effect its leniency is then not identifiable).

    Agreement: Pearson correlation of the judge's totals with the mean of the other judges'
    totals on the same entries; None with fewer than three shared entries or no variance.
    """
    combiner = _COMBINERS.get(method)
    if combiner is None:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    if not _is_finite_number(disagreement_threshold) or disagreement_threshold < 0:
        raise ValueError("disagreement_threshold must be a finite number >= 0")
    prep = _prepare(totals)
    if not prep.rows:
        return RoundResult(method, {}, {}, [], True, None, 0.0, False)
    columns = _columns(prep)
    fit = combiner(prep, columns)
    if fit.residual_sd is not None:
        band_sd, band_estimated, quantile = fit.residual_sd, True, t_quantile_975(fit.dof)
    else:
        band_sd, band_estimated, quantile = columns.grand_sd, False, BAND_Z

    entries = {}
    for e, entry in enumerate(prep.entries):
        raw = columns.raw_by_entry[e]
        half = quantile * band_sd * math.sqrt(fit.variance[e])
        spread = max(raw) - min(raw)
        entries[entry] = EntryResult(
            entry=entry, value=fit.values[e], raw_mean=columns.raw_mean[e], judges=len(raw),
            low=fit.values[e] - half, high=fit.values[e] + half, spread=spread,
            disagreement=spread > disagreement_threshold, group=prep.entry_group[e])

    agreement = _agreement(prep, columns.raw_by_entry)
    judges = {}
    for j, judge in enumerate(prep.judges):
        judges[judge] = JudgeStats(
            judge=judge, count=len(columns.raw_by_judge[j]), mean=columns.judge_mean[j], sd=columns.judge_sd[j],
            leniency=fit.leniency[j], left_raw=fit.left_raw[j], agreement=agreement[j])

    groups = [frozenset(prep.entries[e] for e in members) for members in prep.group_entries]
    return RoundResult(method=method, entries=entries, judges=judges, groups=groups,
                       connected=len(groups) <= 1, residual_sd=fit.residual_sd,
                       band_sd=band_sd, band_estimated=band_estimated, band_quantile=quantile)


@dataclass(frozen=True)
class _Columns:
    """A round's raw totals grouped by entry and by judge, with the summaries every method uses."""
    raw_by_entry: list[list[float]]  # entry index -> the entry's raw totals, in the judges' order
    judges_by_entry: list[list[int]]  # entry index -> its judges' indices
    raw_by_judge: list[list[float]]  # judge index -> the judge's raw totals
    raw_mean: list[float]  # by entry
    judge_mean: list[float]
    judge_sd: list[float]  # population SD by judge
    grand_mean: float  # of every raw total of the round
    grand_sd: float  # population SD of every raw total


@dataclass(frozen=True)
class _Fit:
    """What a method gives: a value per entry, the variance of each value in units of the noise variance,
    the round's noise SD (None without degrees of freedom) and its degrees of freedom, a leniency per judge
    (None when not identifiable) and which judges' totals stayed raw."""
    values: list[float]
    variance: list[float]
    residual_sd: float | None
    dof: int
    leniency: list[float | None]
    left_raw: list[bool]


def _columns(prep: _Prepared) -> _Columns:
    raw_by_entry: list[list[float]] = [[] for _ in prep.entries]
    judges_by_entry: list[list[int]] = [[] for _ in prep.entries]
    raw_by_judge: list[list[float]] = [[] for _ in prep.judges]
    for e, j, t in prep.rows:
        raw_by_entry[e].append(t)
        judges_by_entry[e].append(j)
        raw_by_judge[j].append(t)
    judge_mean = [_mean(values) for values in raw_by_judge]
    all_raw = [t for _, _, t in prep.rows]
    grand_mean = _mean(all_raw)
    return _Columns(
        raw_by_entry=raw_by_entry, judges_by_entry=judges_by_entry, raw_by_judge=raw_by_judge,
        raw_mean=[_mean(values) for values in raw_by_entry], judge_mean=judge_mean,
        judge_sd=[_pop_sd(values, mean) for values, mean in zip(raw_by_judge, judge_mean)],
        grand_mean=grand_mean, grand_sd=_pop_sd(all_raw, grand_mean))


def _averaging(prep: _Prepared, columns: _Columns, used: list[list[float]], values: list[float],
               left_raw: list[bool] | None = None) -> _Fit:
    """The fit of a method that averages ``used`` (the totals it uses, by entry) into ``values``."""
    return _Fit(values=values, variance=[1.0 / len(column) for column in used],
                residual_sd=_pooled_within_sd(used), dof=sum(len(column) - 1 for column in used),
                leniency=_mean_deviations(prep, columns.raw_mean, columns.judges_by_entry),
                left_raw=left_raw if left_raw is not None else [False] * len(prep.judges))


def _by_mean(prep: _Prepared, columns: _Columns) -> _Fit:
    return _averaging(prep, columns, columns.raw_by_entry, columns.raw_mean)


def _by_median(prep: _Prepared, columns: _Columns) -> _Fit:
    return _averaging(prep, columns, columns.raw_by_entry,
                      [statistics.median(column) for column in columns.raw_by_entry])


def _by_zscore(prep: _Prepared, columns: _Columns) -> _Fit:
    sd, mean = columns.judge_sd, columns.judge_mean
    left_raw = [len(totals) < 2 or sd[j] < FLAT_SD for j, totals in enumerate(columns.raw_by_judge)]
    used: list[list[float]] = [[] for _ in prep.entries]
    for e, j, t in prep.rows:
        used[e].append(t if left_raw[j] else columns.grand_mean + columns.grand_sd * (t - mean[j]) / sd[j])
    return _averaging(prep, columns, used, [_mean(column) for column in used], left_raw)


def _by_judge_effect(prep: _Prepared, columns: _Columns) -> _Fit:
    quality, fitted = _fit_judge_effect(prep)
    residuals = [t - quality[e] - fitted[j] for e, j, t in prep.rows]
    dof = len(prep.rows) - len(prep.entries) - len(prep.judges) + len(prep.group_entries)
    residual_sd = math.sqrt(math.fsum(r * r for r in residuals) / dof) if dof > 0 else None
    shares = _shares_an_entry(prep, columns.judges_by_entry)
    return _Fit(values=quality, variance=_judge_effect_variances(prep, columns.judges_by_entry),
                residual_sd=residual_sd, dof=dof,
                leniency=[fitted[j] if shares[j] else None for j in range(len(prep.judges))],
                left_raw=[False] * len(prep.judges))


_COMBINERS = {"judge_effect": _by_judge_effect, "mean": _by_mean, "median": _by_median, "zscore": _by_zscore}
METHODS = tuple(_COMBINERS)


# ---------------------------------------------------------------------------------------------
# Ranks, bands, outliers

@dataclass(frozen=True)
class Ranked:
    entry: Hashable
    rank: int
    tied: bool


def rank(values: Mapping[Hashable, float],
         tie_breakers: Sequence[Mapping[Hashable, float]] = ()) -> list[Ranked]:
    """Standard competition ranking (1, 2, 2, 4), higher is better.

    Entries equal on the value (within :data:`TIE_TOLERANCE`) are ordered by the tie-breakers in
    turn (higher better; an entry missing from a tie-breaker counts as below every entry present in
    it). Entries still equal on everything share the rank and are marked ``tied``. Output: by rank,
    then in the canonical order of the entries. ValueError for a value that is not a finite number.
    """
    for mapping in (values, *tie_breakers):
        for entry, value in mapping.items():
            if not _is_finite_number(value):
                raise ValueError(f"value for {entry!r} must be a finite number")
    ordered = _canonical(values)
    keys = [values, *tie_breakers]
    classes = _tie_classes(ordered, keys)
    result = []
    position = 1
    for members in classes:
        tied = len(members) > 1
        result.extend(Ranked(entry, position, tied) for entry in members)
        position += len(members)
    return result


def t_quantile_975(dof: int) -> float:
    """Student's t 97.5 % quantile (the two-sided 95 % band) for ``dof`` ≥ 1 degrees of freedom: exact
    for 1 and 2, else the Cornish–Fisher expansion in 1/dof around BAND_Z (within 0.2 % from 3 on)."""
    if dof < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if dof == 1:
        return 12.706204736174698
    if dof == 2:
        return 4.302652729749464
    z, n = BAND_Z, float(dof)
    return (z + (z ** 3 + z) / (4 * n) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * n ** 2)
            + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * n ** 3)
            + (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / (92160 * n ** 4))


def percentile_rank(value: float, values: list[float]) -> float:
    """The share of results (0-100) below ``value``, counting equal results as half below:
    the top of a round of ten is 95, the middle of three is 50, and ties stand together."""
    if not values:
        raise ValueError("no results to compare with")
    below = sum(1 for other in values if other < value)
    equal = sum(1 for other in values if other == value)
    return 100.0 * (below + 0.5 * equal) / len(values)


def band_crosses(result: EntryResult, cutoffs: Iterable[float]) -> bool:
    """Whether the entry's band strictly contains an award cut-off (low < cut-off < high)."""
    return any(result.low < cutoff < result.high for cutoff in cutoffs)


def outlier(total: float, others: Sequence[float], threshold: float) -> bool:
    """Whether a judge's total is far from the totals other judges already submitted for the entry:
    |total − mean(others)| > threshold. False when nobody else has submitted."""
    if not others:
        return False
    return abs(total - _mean(list(others))) > threshold


# ---------------------------------------------------------------------------------------------
# Inter-rater reliability

def krippendorff_alpha_interval(ratings: Mapping[tuple[Hashable, Hashable], float]) -> float | None:
    """Krippendorff's alpha for interval data; ``ratings`` maps (entry, judge) to a value.

    Units are entries with at least two ratings (the others are not pairable).
    alpha = 1 − D_o / D_e with n pairable values,
    D_o = (1/n) Σ_u 1/(m_u − 1) Σ_{i≠k in u} (v_i − v_k)² and
    D_e = 1/(n(n − 1)) Σ_{i≠k over all pairable values} (v_i − v_k)²,
    using Σ_{i≠k} (v_i − v_k)² = 2m Σ (v − mean)². None with fewer than two pairable values or no
    variance among them.
    """
    by_unit: dict = {}
    for (entry, _judge), value in ratings.items():
        if not _is_finite_number(value):
            raise ValueError(f"rating for {entry!r} must be a finite number")
        by_unit.setdefault(entry, []).append(float(value))
    units = [sorted(values) for values in by_unit.values() if len(values) >= 2]
    pairable = sorted(value for values in units for value in values)
    n = len(pairable)
    if n < 2:
        return None
    squares_total = _sum_squared_deviations(pairable)
    if squares_total <= (FLAT_SD ** 2) * n:
        return None
    observed = math.fsum(_sum_squared_deviations(values) * len(values) / (len(values) - 1)
                         for values in units)
    # D_o / D_e = [(2/n) Σ m_u SS_u/(m_u − 1)] / [2 n SS / (n (n − 1))]
    return 1.0 - observed * (n - 1) / (n * squares_total)


# ---------------------------------------------------------------------------------------------
# Internals

@dataclass
class _Prepared:
    entries: list  # canonical order
    judges: list
    rows: list  # (entry index, judge index, value) sorted
    entry_group: list  # entry index -> group index
    judge_group: list  # judge index -> group index
    group_entries: list  # group index -> list of entry indices
    group_judges: list  # group index -> list of judge indices


def _is_finite_number(value) -> bool:
    try:
        return math.isfinite(value)
    except TypeError:
        return False


def _canonical(items: Iterable) -> list:
    """Distinct ids in a deterministic order: their natural order when they have a total one,
    else by (type name, repr)."""
    items = list(items)
    try:
        ordered = sorted(items)
        if all(a < b for a, b in zip(ordered, ordered[1:])):
            return ordered
    except TypeError:
        pass
    return sorted(items, key=lambda item: (type(item).__qualname__, repr(item)))


def _prepare(totals: Iterable[Total]) -> _Prepared:
    totals = list(totals)
    seen = set()
    for total in totals:
        if not isinstance(total, Total):
            raise TypeError(f"expected Total, got {type(total).__name__}")
        if not _is_finite_number(total.value):
            raise ValueError(f"total for entry {total.entry!r} by judge {total.judge!r} must be a finite number")
        pair = (total.entry, total.judge)
        if pair in seen:
            raise ValueError(f"judge {total.judge!r} has more than one total for entry {total.entry!r}")
        seen.add(pair)
    entries = _canonical({total.entry for total in totals})
    judges = _canonical({total.judge for total in totals})
    entry_index = {entry: i for i, entry in enumerate(entries)}
    judge_index = {judge: i for i, judge in enumerate(judges)}
    rows = sorted((entry_index[t.entry], judge_index[t.judge], float(t.value)) for t in totals)

    # Union-find over entries (0..E-1) and judges (E..E+J-1).
    parent = list(range(len(entries) + len(judges)))

    def find(node: int) -> int:
        root = node
        while parent[root] != root:
            root = parent[root]
        while parent[node] != root:
            parent[node], node = root, parent[node]
        return root

    for e, j, _ in rows:
        a, b = find(e), find(len(entries) + j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    group_of_root: dict[int, int] = {}
    entry_group = []
    group_entries: list[list[int]] = []
    for e in range(len(entries)):  # canonical order: groups ordered by their first entry
        root = find(e)
        if root not in group_of_root:
            group_of_root[root] = len(group_entries)
            group_entries.append([])
        entry_group.append(group_of_root[root])
        group_entries[group_of_root[root]].append(e)
    judge_group = [group_of_root[find(len(entries) + j)] for j in range(len(judges))]
    group_judges: list[list[int]] = [[] for _ in group_entries]
    for j, g in enumerate(judge_group):
        group_judges[g].append(j)
    return _Prepared(entries, judges, rows, entry_group, judge_group, group_entries, group_judges)


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def _sum_squared_deviations(values: Sequence[float]) -> float:
    mean = _mean(values)
    return math.fsum((value - mean) ** 2 for value in values)


def _pop_sd(values: Sequence[float], mean: float) -> float:
    return math.sqrt(math.fsum((value - mean) ** 2 for value in values) / len(values))


def _pooled_within_sd(columns: Sequence[Sequence[float]]) -> float | None:
    squares = math.fsum(_sum_squared_deviations(column) for column in columns if len(column) > 1)
    dof = sum(len(column) - 1 for column in columns)
    return math.sqrt(squares / dof) if dof > 0 else None


def _shares_an_entry(prep: _Prepared, judges_by_entry: list[list[int]]) -> list[bool]:
    shares = [False] * len(prep.judges)
    for judges in judges_by_entry:
        if len(judges) > 1:
            for j in judges:
                shares[j] = True
    return shares


def _mean_deviations(prep: _Prepared, raw_mean: list[float],
                     judges_by_entry: list[list[int]]) -> list[float | None]:
    deviations: list[list[float]] = [[] for _ in prep.judges]
    for e, j, t in prep.rows:
        if len(judges_by_entry[e]) > 1:
            deviations[j].append(t - raw_mean[e])
    return [_mean(d) if d else None for d in deviations]


def _agreement(prep: _Prepared, raw_by_entry: list[list[float]]) -> list[float | None]:
    entry_sum = [math.fsum(values) for values in raw_by_entry]
    pairs: list[list[tuple[float, float]]] = [[] for _ in prep.judges]
    for e, j, t in prep.rows:
        others = len(raw_by_entry[e]) - 1
        if others:
            pairs[j].append((t, (entry_sum[e] - t) / others))
    return [_pearson(p) if len(p) >= 3 else None for p in pairs]


def _pearson(pairs: list[tuple[float, float]]) -> float | None:
    xs = [x for x, _ in pairs]
    ys = [y for _, y in pairs]
    mx, my = _mean(xs), _mean(ys)
    sxx = math.fsum((x - mx) ** 2 for x in xs)
    syy = math.fsum((y - my) ** 2 for y in ys)
    n = len(pairs)
    if sxx <= n * FLAT_SD ** 2 or syy <= n * FLAT_SD ** 2:
        return None
    sxy = math.fsum((x - mx) * (y - my) for x, y in pairs)
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def _tie_classes(entries: list, keys: Sequence[Mapping]) -> list[list]:
    """Split entries (in canonical order) into classes of equal entries, best class first, using
    keys[0], then keys[1] within classes equal on keys[0], and so on."""
    if not keys or len(entries) < 2:
        return [entries] if entries else []
    key, rest = keys[0], keys[1:]
    present = [entry for entry in entries if entry in key]
    missing = [entry for entry in entries if entry not in key]
    position = {entry: i for i, entry in enumerate(entries)}
    present.sort(key=lambda entry: (-key[entry], position[entry]))
    levels: list[list] = []
    previous = None
    for entry in present:
        value = key[entry]
        if previous is None or not _close(previous, value):
            levels.append([])
        levels[-1].append(entry)
        previous = value
    if missing:
        levels.append(missing)
    classes = []
    for level in levels:
        level.sort(key=position.__getitem__)
        classes.extend(_tie_classes(level, rest))
    return classes


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TIE_TOLERANCE * max(1.0, abs(a), abs(b))


def _fit_judge_effect(prep: _Prepared) -> tuple[list[float], list[float]]:
    """Least squares of t = q_e + l_j, Σ l = 0 within each group: (q by entry, l by judge).

    The normal equations say q_e = mean over the entry's judges of (t − l_j) and
    l_j = mean over the judge's entries of (t − q_e). Eliminating the larger side leaves a
    symmetric positive semi-definite system (a weighted graph Laplacian, singular only along the
    constant vector of each group) for the smaller side, solved by Jacobi-preconditioned conjugate
    gradients with iterative refinement against the true residual; its solution is then shifted
    so that each group's leniencies sum to zero.
    """
    n_entries, n_judges = len(prep.entries), len(prep.judges)
    rows = prep.rows
    solve_judges = n_judges <= n_entries
    if solve_judges:  # unknowns: judges (side a); eliminated: entries (side b)
        side_a = [j for _, j, _ in rows]
        side_b = [e for e, _, _ in rows]
        n_a, n_b = n_judges, n_entries
    else:
        side_a = [e for e, _, _ in rows]
        side_b = [j for _, j, _ in rows]
        n_a, n_b = n_entries, n_judges
    values = [t for _, _, t in rows]

    b_members: list[list[int]] = [[] for _ in range(n_b)]
    b_values: list[list[float]] = [[] for _ in range(n_b)]
    a_members: list[list[int]] = [[] for _ in range(n_a)]
    for a, b, t in zip(side_a, side_b, values):
        b_members[b].append(a)
        b_values[b].append(t)
        a_members[a].append(b)
    b_count = [len(members) for members in b_members]
    a_count = [len(members) for members in a_members]
    b_mean = [_mean(v) for v in b_values]

    rhs = [0.0] * n_a
    for a, b, t in zip(side_a, side_b, values):
        rhs[a] += t - b_mean[b]
    diagonal = [count - math.fsum(1.0 / b_count[b] for b in members)
                for count, members in zip(a_count, a_members)]
    inverse = [1.0 / d if d > 0.25 else 0.0 for d in diagonal]  # d == 0 only for isolated rows

    def apply(x: list[float]) -> list[float]:
        averages = [sum(map(x.__getitem__, members)) / count
                    for members, count in zip(b_members, b_count)]
        return [count * xa - sum(map(averages.__getitem__, members))
                for count, xa, members in zip(a_count, x, a_members)]

    x = [0.0] * n_a
    rhs_norm = math.sqrt(math.fsum(r * r for r in rhs))
    if rhs_norm > 0:
        for _ in range(_SOLVER_REFINEMENTS):
            residual = [r - cx for r, cx in zip(rhs, apply(x))]
            if math.sqrt(math.fsum(r * r for r in residual)) <= _SOLVER_TOLERANCE * rhs_norm:
                break
            correction = _conjugate_gradients(apply, residual, inverse, rhs_norm)
            x = [xi + ci for xi, ci in zip(x, correction)]

    # Back to both sides, then centre the leniencies of each group.
    if solve_judges:
        leniency = x
    else:
        sums = [0.0] * n_judges
        counts = [0] * n_judges
        for e, j, t in rows:
            sums[j] += t - x[e]
            counts[j] += 1
        leniency = [s / c for s, c in zip(sums, counts)]
    leniency = list(leniency)
    for judges in prep.group_judges:
        shift = _mean([leniency[j] for j in judges])
        for j in judges:
            leniency[j] -= shift
    adjusted: list[list[float]] = [[] for _ in range(n_entries)]
    for e, j, t in rows:
        adjusted[e].append(t - leniency[j])
    quality = [_mean(v) for v in adjusted]
    return quality, leniency


def _judge_effect_variances(prep: _Prepared, judges_by_entry: list[list[int]]) -> list[float]:
    """Per entry, the variance of its judge_effect value in units of the noise variance σ².

    q_e = ȳ_e − mean of l_j over the entry's judges. ȳ_e (the mean of its totals) has variance 1/n_e and
    is uncorrelated with the fitted leniencies, whose covariance is σ² L⁺: L is the judges' reduced normal
    matrix (L_jj = entries of j minus Σ 1/n_e over them, L_jk = −Σ 1/n_e over the entries j and k share),
    L⁺ its pseudo-inverse within each group, (L + 11ᵀ/J)⁻¹ − 11ᵀ/J for a group of J judges. So
    v_e = 1/n_e + aᵀ L⁺ a with a = 1/n_e on the entry's judges. Dense per group: O(J³) for J judges.
    """
    variance = [1.0 / len(judges) for judges in judges_by_entry]
    for entries, judges in zip(prep.group_entries, prep.group_judges):
        size = len(judges)
        if size < 2:
            continue  # one judge: its centred leniency is exactly 0
        local = {judge: index for index, judge in enumerate(judges)}
        matrix = [[1.0 / size] * size for _ in range(size)]
        for e in entries:
            members = [local[j] for j in judges_by_entry[e]]
            share = 1.0 / len(members)
            for a in members:
                row = matrix[a]
                row[a] += 1.0
                for b in members:
                    row[b] -= share
        inverse = _PositiveDefiniteInverse(matrix)
        for e in entries:
            members = [local[j] for j in judges_by_entry[e]]
            spread = math.fsum(inverse.entry(a, b) for a in members for b in members) - len(members) ** 2 / size
            variance[e] += max(0.0, spread) / len(members) ** 2
    return variance


class _PositiveDefiniteInverse:
    """Entries of the inverse of a symmetric positive definite matrix A = R Rᵀ (Cholesky), computed as
    asked: (A⁻¹)_jk is the dot product of columns j and k of R⁻¹."""

    def __init__(self, matrix: list[list[float]]):
        size = len(matrix)
        factor: list[list[float]] = []  # rows of R, lower triangular: factor[i][:i + 1]
        for i in range(size):
            row = []
            for j in range(i):
                row.append((matrix[i][j] - sum(a * b for a, b in zip(row, factor[j]))) / factor[j][j])
            row.append(math.sqrt(matrix[i][i] - sum(a * a for a in row)))
            factor.append(row)
        # Column j of R⁻¹ (its entries j..size-1, the others are 0), by forward substitution.
        self._columns = []
        for j in range(size):
            column = [1.0 / factor[j][j]]
            for i in range(j + 1, size):
                column.append(-sum(a * b for a, b in zip(factor[i][j:i], column)) / factor[i][i])
            self._columns.append(column)
        self._cache: dict[tuple[int, int], float] = {}

    def entry(self, j: int, k: int) -> float:
        j, k = min(j, k), max(j, k)
        if (j, k) not in self._cache:
            self._cache[j, k] = math.fsum(a * b for a, b in zip(self._columns[j][k - j:], self._columns[k]))
        return self._cache[j, k]


def _conjugate_gradients(apply, rhs: list[float], inverse: list[float], scale: float) -> list[float]:
    """Solve apply(x) = rhs (symmetric positive semi-definite, consistent) from x = 0."""
    n = len(rhs)
    x = [0.0] * n
    r = list(rhs)
    z = [ri * mi for ri, mi in zip(r, inverse)]
    p = list(z)
    rz = math.fsum(ri * zi for ri, zi in zip(r, z))
    limit = _SOLVER_TOLERANCE * scale
    for _ in range(2 * n + 50):
        if rz <= 0:
            break
        q = apply(p)
        pq = math.fsum(pi * qi for pi, qi in zip(p, q))
        if pq <= 0:
            break
        step = rz / pq
        x = [xi + step * pi for xi, pi in zip(x, p)]
        r = [ri - step * qi for ri, qi in zip(r, q)]
        if math.sqrt(math.fsum(ri * ri for ri in r)) <= limit:
            break
        z = [ri * mi for ri, mi in zip(r, inverse)]
        rz_next = math.fsum(ri * zi for ri, zi in zip(r, z))
        p = [zi + (rz_next / rz) * pi for zi, pi in zip(z, p)]
        rz = rz_next
    return x
