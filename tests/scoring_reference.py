"""The judging maths as it was before the arrays (commit c5061de): pure Python, math.fsum everywhere.

Only the parts numpy replaced in ``eventapp.judging.scoring``; what did not change is imported from it. The
tests compare the two (``test_scoring_reference.py``) and ``bench/leaderboard.py`` times this one as the
previous implementation. Not used by the app.
"""
from __future__ import annotations

import math
import statistics
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from eventapp.judging.scoring import (
    _SOLVER_REFINEMENTS,
    _SOLVER_TOLERANCE,
    BAND_Z,
    DEFAULT_METHOD,
    FLAT_SD,
    TIE_TOLERANCE,
    EntryResult,
    JudgeStats,
    Ranked,
    RoundResult,
    Total,
    _canonical,
    _check_finite,
    _is_finite_number,
    _mean,
    _ranked,
    _sum_squared_deviations,
    t_quantile_975,
)


def combine(totals: Iterable[Total], method: str = DEFAULT_METHOD,
            disagreement_threshold: float = 25.0) -> RoundResult:
    """``scoring.combine`` as it was (its docstring says what it computes)."""
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
    """What a method gives, in lists (see ``scoring._Fit``)."""
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


def rank(values: Mapping[Hashable, float],
         tie_breakers: Sequence[Mapping[Hashable, float]] = ()) -> list[Ranked]:
    """``scoring.rank`` with the tie classes found as they were."""
    _check_finite(values, *tie_breakers)
    return _ranked(_tie_classes(_canonical(values), [values, *tie_breakers]))


@dataclass
class _Prepared:
    entries: list  # canonical order
    judges: list
    rows: list  # (entry index, judge index, value) sorted
    entry_group: list  # entry index -> group index
    judge_group: list  # judge index -> group index
    group_entries: list  # group index -> list of entry indices
    group_judges: list  # group index -> list of judge indices


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
    """Classes of equal entries, best first, by each key in turn (see ``scoring._tie_classes``)."""
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
    """Least squares of t = q_e + l_j by conjugate gradients on lists (see ``scoring._fit_judge_effect``)."""
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
    """The variance factor of each judge_effect value, one dense Cholesky per group in pure Python."""
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


METHODS = tuple(_COMBINERS)
