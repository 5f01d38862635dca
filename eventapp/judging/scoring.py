"""Judging maths: weighted totals, combining judges' totals, ranks, bands and reliability.

Pure functions on plain values: no database, no Flask; the standard library and numpy (a national round has
tens of thousands of totals: the sums, the fit and the bands run on arrays).

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
import os
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

# One BLAS thread per process, unless the environment says otherwise: a web worker computes one request's arrays,
# and BLAS threads of their own only fight the other workers for the cores (with both cores of a 2-core server
# busy, the 200 × 200 inverse of a national round took 70 ms on 2 threads, 1 ms on one). Read when numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402  (after the thread count)

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



def weighted_totals(rows: Sequence[Sequence[float | None]], criteria: Sequence[Criterion]) -> np.ndarray:
    """:func:`weighted_total` of many judges' scores at once, value for value the same: ``rows`` holds one row of
    scores per judge and entry, in the order of ``criteria``. The rubric is checked once; a row that
    :func:`weighted_total` refuses (a missing or non-finite score, one outside its scale) is refused with its
    error."""
    check_criteria(criteria)
    low, high, weights = (np.array([getattr(criterion, name) for criterion in criteria], dtype=float)
                          for name in ("scale_min", "scale_max", "weight"))
    try:
        scores = np.array(rows, dtype=float).reshape(len(rows), len(criteria))
        valid = bool(np.all(np.isfinite(scores) & (scores >= low) & (scores <= high)))
    except (TypeError, ValueError):  # not numbers, or rows of other lengths
        valid = False
    if not valid:
        keys = [criterion.key for criterion in criteria]
        for row in rows:
            weighted_total(dict(zip(keys, row)), criteria)  # raises for the first row it refuses
        raise ValueError("every row must have one score per criterion")
    parts = weights * ((scores - low) / (high - low))  # the operations of weighted_total, in its order
    sums = np.array([math.fsum(row) for row in parts.tolist()], dtype=float)
    totals = sums / math.fsum(criterion.weight for criterion in criteria) * 100.0
    return np.minimum(100.0, np.maximum(0.0, totals))


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
    prepared = _prepare(*_unpack(totals))
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
    _combiner(method, disagreement_threshold)
    return combine_arrays(*_unpack(totals), method, disagreement_threshold)


def combine_arrays(entries: Sequence[Hashable], judges: Sequence[Hashable], values: Sequence[float],
                   method: str = DEFAULT_METHOD, disagreement_threshold: float = 25.0) -> RoundResult:
    """:func:`combine` of the totals ``Total(entries[i], judges[i], values[i])``, given as three sequences of one
    length (a national round's tens of thousands of totals need no Total objects)."""
    combiner = _combiner(method, disagreement_threshold)
    values = np.asarray(values, dtype=float)
    if not len(entries) == len(judges) == values.size:
        raise ValueError("entries, judges and values must have the same length")
    not_finite = np.flatnonzero(~np.isfinite(values))
    if not_finite.size:
        first = int(not_finite[0])
        raise ValueError(f"total for entry {entries[first]!r} by judge {judges[first]!r} must be a finite number")
    if not values.size:
        return RoundResult(method, {}, {}, [], True, None, 0.0, False)
    prep = _prepare(entries, judges, values)
    columns = _columns(prep)
    with np.errstate(divide="ignore", invalid="ignore"):  # empty sums and flat judges give NaN, read as None
        fit = combiner(prep, columns)
        agreement = _agreement(prep, columns)
    if fit.residual_sd is not None:
        band_sd, band_estimated, quantile = fit.residual_sd, True, t_quantile_975(fit.dof)
    else:
        band_sd, band_estimated, quantile = columns.grand_sd, False, BAND_Z
    half = quantile * band_sd * np.sqrt(fit.variance)
    spread = columns.raw_max - columns.raw_min
    entry_results = {
        entry: EntryResult(entry, value, raw_mean, judges, low, high, spread, disagreement, group)
        for entry, value, raw_mean, judges, low, high, spread, disagreement, group in zip(
            prep.entries, fit.values.tolist(), columns.raw_mean.tolist(), columns.entry_count.tolist(),
            (fit.values - half).tolist(), (fit.values + half).tolist(), spread.tolist(),
            (spread > disagreement_threshold).tolist(), prep.entry_group.tolist())}
    judge_stats = {
        judge: JudgeStats(judge, count, mean, sd, leniency, left_raw, agreement)
        for judge, count, mean, sd, leniency, left_raw, agreement in zip(
            prep.judges, columns.judge_count.tolist(), columns.judge_mean.tolist(), columns.judge_sd.tolist(),
            _optional(fit.leniency), fit.left_raw.tolist(), _optional(agreement))}
    groups = [frozenset(prep.entries[e] for e in members) for members in prep.group_entries]
    return RoundResult(method=method, entries=entry_results, judges=judge_stats, groups=groups,
                       connected=len(groups) <= 1, residual_sd=fit.residual_sd,
                       band_sd=band_sd, band_estimated=band_estimated, band_quantile=quantile)


def _unpack(totals: Iterable[Total]) -> tuple[list, list, list]:
    """(entries, judges, values) of the totals, each checked."""
    entries, judges, values = [], [], []
    for total in totals:
        if not isinstance(total, Total):
            raise TypeError(f"expected Total, got {type(total).__name__}")
        if not _is_finite_number(total.value):
            raise ValueError(f"total for entry {total.entry!r} by judge {total.judge!r} must be a finite number")
        entries.append(total.entry)
        judges.append(total.judge)
        values.append(float(total.value))
    return entries, judges, values


def _combiner(method: str, disagreement_threshold: float):
    combiner = _COMBINERS.get(method)
    if combiner is None:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    if not _is_finite_number(disagreement_threshold) or disagreement_threshold < 0:
        raise ValueError("disagreement_threshold must be a finite number >= 0")
    return combiner


def _optional(values: np.ndarray) -> list[float | None]:
    """The array's numbers, None where it holds NaN (what could not be computed)."""
    return [None if value != value else value for value in values.tolist()]


@dataclass(frozen=True)
class _Columns:
    """What every method uses: counts, means and spreads of the raw totals by entry and by judge. The totals of
    one entry are consecutive (``_Prepared`` sorts them by entry)."""
    entry_count: np.ndarray  # by entry: how many judges
    entry_start: np.ndarray  # by entry: the index of its first total
    raw_mean: np.ndarray  # by entry
    raw_min: np.ndarray
    raw_max: np.ndarray
    judge_count: np.ndarray  # by judge: how many entries
    judge_mean: np.ndarray
    judge_sd: np.ndarray  # population SD by judge
    grand_mean: float  # of every raw total of the round
    grand_sd: float  # population SD of every raw total


@dataclass(frozen=True)
class _Fit:
    """What a method gives: a value per entry, the variance of each value in units of the noise variance,
    the round's noise SD (None without degrees of freedom) and its degrees of freedom, a leniency per judge
    (NaN when not identifiable) and which judges' totals stayed raw."""
    values: np.ndarray
    variance: np.ndarray
    residual_sd: float | None
    dof: int
    leniency: np.ndarray
    left_raw: np.ndarray


def _columns(prep: _Prepared) -> _Columns:
    e, j, t = prep.entry, prep.judge, prep.value
    entry_count = np.bincount(e, minlength=len(prep.entries))
    entry_start = np.cumsum(entry_count) - entry_count
    judge_count = np.bincount(j, minlength=len(prep.judges))
    judge_mean = np.bincount(j, weights=t, minlength=len(prep.judges)) / judge_count
    judge_squares = np.bincount(j, weights=(t - judge_mean[j]) ** 2, minlength=len(prep.judges))
    grand_mean = float(np.sum(t) / t.size)
    return _Columns(
        entry_count=entry_count, entry_start=entry_start,
        raw_mean=np.bincount(e, weights=t, minlength=len(prep.entries)) / entry_count,
        raw_min=np.minimum.reduceat(t, entry_start), raw_max=np.maximum.reduceat(t, entry_start),
        judge_count=judge_count, judge_mean=judge_mean, judge_sd=np.sqrt(judge_squares / judge_count),
        grand_mean=grand_mean, grand_sd=float(np.sqrt(np.sum((t - grand_mean) ** 2) / t.size)))


def _entry_means(prep: _Prepared, columns: _Columns, values: np.ndarray) -> np.ndarray:
    """By entry, the mean of ``values`` (one per total)."""
    return np.bincount(prep.entry, weights=values, minlength=len(prep.entries)) / columns.entry_count


def _averaging(prep: _Prepared, columns: _Columns, used: np.ndarray, values: np.ndarray,
               left_raw: np.ndarray | None = None) -> _Fit:
    """The fit of a method that averages ``used`` (the totals it uses, one per total) into ``values``."""
    deviations = used - _entry_means(prep, columns, used)[prep.entry]
    dof = int(prep.value.size - len(prep.entries))  # Σ (n_e − 1)
    return _Fit(values=values, variance=1.0 / columns.entry_count,
                residual_sd=float(np.sqrt(np.sum(deviations ** 2) / dof)) if dof > 0 else None, dof=dof,
                leniency=_mean_deviations(prep, columns),
                left_raw=left_raw if left_raw is not None else np.zeros(len(prep.judges), dtype=bool))


def _by_mean(prep: _Prepared, columns: _Columns) -> _Fit:
    return _averaging(prep, columns, prep.value, columns.raw_mean)


def _by_median(prep: _Prepared, columns: _Columns) -> _Fit:
    ordered = prep.value[np.lexsort((prep.value, prep.entry))]
    middle = columns.entry_start + columns.entry_count // 2
    below = ordered[middle - 1 + columns.entry_count % 2]  # the middle one itself for an odd count
    medians = np.where(columns.entry_count % 2 == 1, ordered[middle], (below + ordered[middle]) / 2)
    return _averaging(prep, columns, prep.value, medians)


def _by_zscore(prep: _Prepared, columns: _Columns) -> _Fit:
    sd, mean, j = columns.judge_sd, columns.judge_mean, prep.judge
    left_raw = (columns.judge_count < 2) | (sd < FLAT_SD)
    normalised = columns.grand_mean + columns.grand_sd * (prep.value - mean[j]) / np.where(left_raw, 1.0, sd)[j]
    used = np.where(left_raw[j], prep.value, normalised)
    return _averaging(prep, columns, used, _entry_means(prep, columns, used), left_raw)


def _by_judge_effect(prep: _Prepared, columns: _Columns) -> _Fit:
    quality, fitted = _fit_judge_effect(prep, columns)
    residuals = prep.value - quality[prep.entry] - fitted[prep.judge]
    dof = int(prep.value.size - len(prep.entries) - len(prep.judges) + len(prep.group_entries))
    residual_sd = float(np.sqrt(np.dot(residuals, residuals) / dof)) if dof > 0 else None
    return _Fit(values=quality, variance=_judge_effect_variances(prep, columns), residual_sd=residual_sd, dof=dof,
                leniency=np.where(_shares_an_entry(prep, columns), fitted, np.nan),
                left_raw=np.zeros(len(prep.judges), dtype=bool))


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
    _check_finite(values, *tie_breakers)
    return _ranked(_tie_classes(_canonical(values), [values, *tie_breakers]))


def _check_finite(*mappings: Mapping[Hashable, float]) -> None:
    for mapping in mappings:
        for entry, value in mapping.items():
            if not _is_finite_number(value):
                raise ValueError(f"value for {entry!r} must be a finite number")


def _ranked(classes: list[list]) -> list[Ranked]:
    """Standard competition ranks of classes of equal entries, best class first."""
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
    """A round's totals as arrays, sorted by entry and then judge (the indices of the canonical orders)."""
    entries: list  # canonical order
    judges: list
    entry: np.ndarray  # per total: the entry's index
    judge: np.ndarray  # per total: the judge's index
    value: np.ndarray  # per total
    entry_group: np.ndarray  # entry index -> group index
    judge_group: np.ndarray  # judge index -> group index
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



def _prepare(entry_ids: Sequence[Hashable], judge_ids: Sequence[Hashable], values: Sequence[float]) -> _Prepared:
    entries = _canonical(set(entry_ids))
    judges = _canonical(set(judge_ids))
    entry_index = {entry: i for i, entry in enumerate(entries)}
    judge_index = {judge: i for i, judge in enumerate(judges)}
    entry = np.fromiter(map(entry_index.__getitem__, entry_ids), dtype=np.intp, count=len(entry_ids))
    judge = np.fromiter(map(judge_index.__getitem__, judge_ids), dtype=np.intp, count=len(judge_ids))
    order = np.lexsort((judge, entry))
    entry, judge, value = entry[order], judge[order], np.asarray(values, dtype=float)[order]
    repeated = np.flatnonzero((entry[1:] == entry[:-1]) & (judge[1:] == judge[:-1]))
    if repeated.size:
        first = int(repeated[0])
        raise ValueError(f"judge {judges[judge[first]]!r} has more than one total for entry {entries[entry[first]]!r}")
    entry_group, judge_group, groups = _components(entry, judge, len(entries), len(judges))
    return _Prepared(entries, judges, entry, judge, value, entry_group, judge_group,
                     _members(entry_group, groups), _members(judge_group, groups))


def _components(entry: np.ndarray, judge: np.ndarray, entries: int, judges: int) -> tuple[np.ndarray, np.ndarray, int]:
    """The connected components of the judge–entry graph: (group of each entry, group of each judge, how many
    groups), numbered in the order of their first entry.

    Nodes are the entries (0..E-1) and the judges (E..E+J-1); every root hooks onto the smallest root it has an
    edge to, then every node jumps to its root. A tree that does not hook is hooked onto within two rounds, so
    the number of trees halves every two rounds at least; each tree's root is its smallest node, an entry.
    """
    left, right = entry, judge + entries
    parent = np.arange(entries + judges)
    while True:
        a, b = parent[left], parent[right]
        apart = a != b
        if not apart.any():
            break
        np.minimum.at(parent, np.maximum(a[apart], b[apart]), np.minimum(a[apart], b[apart]))
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped
    roots, entry_group = np.unique(parent[:entries], return_inverse=True)
    return entry_group, np.searchsorted(roots, parent[entries:]), len(roots)


def _members(group_of: np.ndarray, groups: int) -> list[list[int]]:
    """group index -> the indices whose group it is, in increasing order."""
    if not groups:
        return []
    order = np.argsort(group_of, kind="stable")
    return [part.tolist() for part in np.split(order, np.cumsum(np.bincount(group_of, minlength=groups))[:-1])]
def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values)


def _sum_squared_deviations(values: Sequence[float]) -> float:
    mean = _mean(values)
    return math.fsum((value - mean) ** 2 for value in values)




def _shares_an_entry(prep: _Prepared, columns: _Columns) -> np.ndarray:
    """By judge: whether another judge also scored one of its entries."""
    shares = np.zeros(len(prep.judges), dtype=bool)
    shares[prep.judge[columns.entry_count[prep.entry] > 1]] = True
    return shares


def _mean_deviations(prep: _Prepared, columns: _Columns) -> np.ndarray:
    """By judge: the mean of (its total − the entry's raw mean) over its entries another judge also scored; NaN
    for a judge without such an entry."""
    shared = columns.entry_count[prep.entry] > 1
    judge = prep.judge[shared]
    deviations = prep.value[shared] - columns.raw_mean[prep.entry[shared]]
    return (np.bincount(judge, weights=deviations, minlength=len(prep.judges))
            / np.bincount(judge, minlength=len(prep.judges)))


def _agreement(prep: _Prepared, columns: _Columns) -> np.ndarray:
    """By judge: Pearson's r of its totals with the mean of the other judges' totals of the same entries; NaN
    with fewer than three such entries or no variance."""
    others = columns.entry_count[prep.entry] - 1
    shared = others > 0
    judge, x = prep.judge[shared], prep.value[shared]
    entry_sum = np.bincount(prep.entry, weights=prep.value, minlength=len(prep.entries))
    y = (entry_sum[prep.entry[shared]] - x) / others[shared]
    count = np.bincount(judge, minlength=len(prep.judges))

    def by_judge(values):
        return np.bincount(judge, weights=values, minlength=len(prep.judges))

    dx, dy = x - (by_judge(x) / count)[judge], y - (by_judge(y) / count)[judge]
    sxx, syy, sxy = by_judge(dx * dx), by_judge(dy * dy), by_judge(dx * dy)
    flat = count * FLAT_SD ** 2
    valid = (count >= 3) & (sxx > flat) & (syy > flat)
    return np.where(valid, np.clip(sxy / np.sqrt(sxx * syy), -1.0, 1.0), np.nan)


def _tie_classes(entries: list, keys: Sequence[Mapping]) -> list[list]:
    """Split entries (in canonical order) into classes of equal entries, best class first, using
    keys[0], then keys[1] within classes equal on keys[0], and so on."""
    if not keys or len(entries) < 2:
        return [entries] if entries else []
    key, rest = keys[0], keys[1:]
    present = [entry for entry in entries if entry in key]
    missing = [entry for entry in entries if entry not in key]
    levels = [[present[i] for i in level] for level in _levels([key[entry] for entry in present])]
    if missing:
        levels.append(missing)
    return [members for level in levels for members in (_tie_classes(level, rest) if len(level) > 1 else [level])]


def _levels(values: Sequence[float]) -> list[list[int]]:
    """The indices of ``values`` in levels of equal values, highest first, each in increasing order: sorted from
    the highest (ties by index), a value starts a new level unless it is within TIE_TOLERANCE of the one before
    it, relative to the larger of the two (and at least absolute)."""
    if not values:
        return []
    numbers = np.asarray(values, dtype=float)
    order = np.argsort(-numbers, kind="stable")
    ordered = numbers[order]
    before, after = ordered[:-1], ordered[1:]
    apart = np.abs(before - after) > TIE_TOLERANCE * np.maximum(1.0, np.maximum(np.abs(before), np.abs(after)))
    bounds = [0, *(np.flatnonzero(apart) + 1).tolist(), numbers.size]
    indices = order.tolist()
    return [sorted(indices[start:stop]) for start, stop in zip(bounds, bounds[1:])]


def _fit_judge_effect(prep: _Prepared, columns: _Columns) -> tuple[np.ndarray, np.ndarray]:
    """Least squares of t = q_e + l_j, Σ l = 0 within each group: (q by entry, l by judge).

    The normal equations say q_e = mean over the entry's judges of (t − l_j) and
    l_j = mean over the judge's entries of (t − q_e). Eliminating the larger side leaves a
    symmetric positive semi-definite system (a weighted graph Laplacian, singular only along the
    constant vector of each group) for the smaller side, solved by Jacobi-preconditioned conjugate
    gradients with iterative refinement against the true residual; its solution is then shifted
    so that each group's leniencies sum to zero.
    """
    n_entries, n_judges = len(prep.entries), len(prep.judges)
    entry, judge, values = prep.entry, prep.judge, prep.value
    solve_judges = n_judges <= n_entries
    if solve_judges:  # unknowns: judges (side a); eliminated: entries (side b)
        side_a, side_b, n_a, n_b = judge, entry, n_judges, n_entries
    else:
        side_a, side_b, n_a, n_b = entry, judge, n_entries, n_judges
    b_count = np.bincount(side_b, minlength=n_b).astype(float)
    a_count = np.bincount(side_a, minlength=n_a).astype(float)
    b_mean = np.bincount(side_b, weights=values, minlength=n_b) / b_count
    rhs = np.bincount(side_a, weights=values - b_mean[side_b], minlength=n_a)
    diagonal = a_count - np.bincount(side_a, weights=1.0 / b_count[side_b], minlength=n_a)
    inverse = np.zeros(n_a)
    np.divide(1.0, diagonal, out=inverse, where=diagonal > 0.25)  # d == 0 only for isolated rows

    def apply(x: np.ndarray) -> np.ndarray:
        averages = np.bincount(side_b, weights=x[side_a], minlength=n_b) / b_count
        return a_count * x - np.bincount(side_a, weights=averages[side_b], minlength=n_a)

    x = np.zeros(n_a)
    rhs_norm = float(np.sqrt(np.dot(rhs, rhs)))
    if rhs_norm > 0:
        for _ in range(_SOLVER_REFINEMENTS):
            residual = rhs - apply(x)
            if np.sqrt(np.dot(residual, residual)) <= _SOLVER_TOLERANCE * rhs_norm:
                break
            x = x + _conjugate_gradients(apply, residual, inverse, rhs_norm)

    # Back to both sides, then centre the leniencies of each group.
    if solve_judges:
        leniency = x
    else:
        leniency = np.bincount(judge, weights=values - x[entry], minlength=n_judges) / columns.judge_count
    groups = len(prep.group_entries)
    shift = np.bincount(prep.judge_group, weights=leniency, minlength=groups) / np.bincount(prep.judge_group,
                                                                                              minlength=groups)
    leniency = leniency - shift[prep.judge_group]
    return _entry_means(prep, columns, values - leniency[judge]), leniency


def _judge_effect_variances(prep: _Prepared, columns: _Columns) -> np.ndarray:
    """Per entry, the variance of its judge_effect value in units of the noise variance σ².

    q_e = ȳ_e − mean of l_j over the entry's judges. ȳ_e (the mean of its totals) has variance 1/n_e and
    is uncorrelated with the fitted leniencies, whose covariance is σ² L⁺: L is the judges' reduced normal
    matrix (L_jj = entries of j minus Σ 1/n_e over them, L_jk = −Σ 1/n_e over the entries j and k share),
    L⁺ its pseudo-inverse within each group, (L + 11ᵀ/J)⁻¹ − 11ᵀ/J for a group of J judges. So
    v_e = 1/n_e + aᵀ L⁺ a with a = 1/n_e on the entry's judges. Dense per group: O(J³) for J judges.
    """
    variance = 1.0 / columns.entry_count
    rows_of_group = _members(prep.entry_group[prep.entry], len(prep.group_entries))
    for judges, rows in zip(prep.group_judges, rows_of_group):
        size = len(judges)
        if size < 2:
            continue  # one judge: its centred leniency is exactly 0
        local = np.empty(len(prep.judges), dtype=np.intp)
        local[judges] = np.arange(size)
        members = local[prep.judge[rows]]  # the group's rows (by entry), each judge's index within the group
        starts = np.flatnonzero(np.diff(prep.entry[rows], prepend=-1))  # where each entry's rows begin
        counts = np.diff(starts, append=len(rows))
        by_count = [(count, members[starts[counts == count][:, None] + np.arange(count)])
                    for count in np.unique(counts).tolist()]  # the entries' judges, by how many judges they have
        matrix = np.full(size * size, 1.0 / size) + np.bincount(members * (size + 1), minlength=size * size)
        for count, judges_of in by_count:
            pairs = (judges_of[:, :, None] * size + judges_of[:, None, :]).ravel()
            matrix -= np.bincount(pairs, minlength=size * size) / count
        inverse = np.linalg.inv(matrix.reshape(size, size))
        entries_at = prep.entry[rows][starts]
        for count, judges_of in by_count:
            spread = inverse[judges_of[:, :, None], judges_of[:, None, :]].sum(axis=(1, 2)) - count ** 2 / size
            variance[entries_at[counts == count]] += np.maximum(0.0, spread) / count ** 2
    return variance


def _conjugate_gradients(apply, rhs: np.ndarray, inverse: np.ndarray, scale: float) -> np.ndarray:
    """Solve apply(x) = rhs (symmetric positive semi-definite, consistent) from x = 0."""
    n = rhs.size
    x = np.zeros(n)
    r = rhs.copy()
    z = r * inverse
    p = z.copy()
    rz = float(np.dot(r, z))
    limit = _SOLVER_TOLERANCE * scale
    for _ in range(2 * n + 50):
        if rz <= 0:
            break
        q = apply(p)
        pq = float(np.dot(p, q))
        if pq <= 0:
            break
        step = rz / pq
        x += step * p
        r -= step * q
        if np.sqrt(np.dot(r, r)) <= limit:
            break
        z = r * inverse
        rz_next = float(np.dot(r, z))
        p = z + (rz_next / rz) * p
        rz = rz_next
    return x
