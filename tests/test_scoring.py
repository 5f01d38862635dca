"""The judging maths: weighted totals, combining judges, ranks, bands and reliability (pure functions)."""
import math
import random
import time
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from eventapp.judging.scoring import (
    DEFAULT_METHOD,
    METHODS,
    Criterion,
    EntryResult,
    JudgeStats,
    Ranked,
    Total,
    band_crosses,
    combine,
    components,
    krippendorff_alpha_interval,
    outlier,
    rank,
    t_quantile_975,
    weighted_total,
)

PROPERTY = settings(max_examples=150, derandomize=True, database=None, deadline=None)


def totals_from(table: dict) -> list[Total]:
    """{entry: {judge: total}} -> totals."""
    return [Total(entry, judge, value) for entry, row in table.items() for judge, value in row.items()]


def values_of(result) -> dict:
    return {entry: item.value for entry, item in result.entries.items()}


def ranks_of(result) -> dict:
    return {item.entry: (item.rank, item.tied) for item in rank(values_of(result))}


# --- strategies ---------------------------------------------------------------------------------

@st.composite
def rubrics(draw):
    count = draw(st.integers(1, 5))
    criteria, scores = [], {}
    for i in range(count):
        low = draw(st.integers(-10, 10))
        high = low + draw(st.integers(1, 20))
        weight = draw(st.floats(0, 10, allow_nan=False).map(lambda w: round(w, 2)))
        criteria.append(Criterion(f"c{i}", weight, float(low), float(high)))
        scores[f"c{i}"] = draw(st.floats(low, high, allow_nan=False))
    assume(sum(c.weight for c in criteria) > 0)
    return criteria, scores


@st.composite
def rounds(draw, connected=False, min_judges=1):
    """Integer totals for a random design; with connected=True every judge and entry is linked and
    every judge sees at least two entries."""
    judges = draw(st.integers(max(min_judges, 2 if connected else 1), 5))
    entries = draw(st.integers(judges if connected else 1, 9))
    table = {}
    for e in range(entries):
        if connected:
            chosen = {e % judges, (e + 1) % judges}
            chosen |= set(draw(st.lists(st.integers(0, judges - 1), max_size=2)))
        else:
            chosen = set(draw(st.lists(st.integers(0, judges - 1), min_size=1, max_size=judges)))
        table[f"e{e}"] = {f"j{j}": draw(st.integers(0, 100)) for j in sorted(chosen)}
    return table


def normal_equation_gaps(result, totals) -> tuple[float, float, float]:
    """Least squares with Σ l = 0 per group ⇔ residuals sum to zero per entry and per judge and
    the leniencies of each group sum to zero. The largest violation of each."""
    by_entry, by_judge = {}, {}
    for total in totals:
        residual = (total.value - result.entries[total.entry].value
                    - (result.judges[total.judge].leniency or 0.0))
        by_entry[total.entry] = by_entry.get(total.entry, 0.0) + residual
        by_judge[total.judge] = by_judge.get(total.judge, 0.0) + residual
    group_sums = {}
    for total in totals:
        group = result.entries[total.entry].group
        group_sums.setdefault(group, {})[total.judge] = result.judges[total.judge].leniency or 0.0
    centring = max(abs(sum(sums.values())) for sums in group_sums.values())
    return max(map(abs, by_entry.values())), max(map(abs, by_judge.values())), centring


# --- weighted totals ----------------------------------------------------------------------------

def test_weighted_total_worked_example():
    criteria = [Criterion("impact", 3, 0, 10), Criterion("clarity", 1, 1, 5)]
    # impact 8/10 → 0.8, clarity (4-1)/(5-1) = 0.75 → (3·0.8 + 1·0.75) / 4 × 100 = 78.75
    assert weighted_total({"impact": 8, "clarity": 4}, criteria) == pytest.approx(78.75)
    assert weighted_total({"impact": 0, "clarity": 1}, criteria) == 0
    assert weighted_total({"impact": 10, "clarity": 5}, criteria) == 100


@PROPERTY
@given(rubrics())
def test_weighted_total_is_between_0_and_100(rubric):
    criteria, scores = rubric
    assert 0 <= weighted_total(scores, criteria) <= 100


@PROPERTY
@given(rubrics(), st.floats(1e-3, 1e3))
def test_scaling_all_weights_changes_nothing(rubric, factor):
    criteria, scores = rubric
    scaled = [Criterion(c.key, c.weight * factor, c.scale_min, c.scale_max) for c in criteria]
    assert weighted_total(scores, scaled) == pytest.approx(weighted_total(scores, criteria), abs=1e-9)


@PROPERTY
@given(rubrics(), st.data())
def test_criteria_order_changes_nothing(rubric, data):
    criteria, scores = rubric
    shuffled = data.draw(st.permutations(criteria))
    assert weighted_total(scores, shuffled) == pytest.approx(weighted_total(scores, criteria), abs=1e-9)


@pytest.mark.parametrize("scores, criteria", [
    ({"a": 11}, [Criterion("a", 1, 0, 10)]),  # above its scale
    ({"a": -0.5}, [Criterion("a", 1, 0, 10)]),  # below its scale
    ({"a": float("nan")}, [Criterion("a", 1, 0, 10)]),
    ({"a": 5}, [Criterion("a", 1, 0, 10), Criterion("b", 1, 0, 10)]),  # missing criterion
    ({"a": 5}, [Criterion("a", 0, 0, 10)]),  # zero total weight
    ({}, []),  # no criteria at all
    ({"a": 5, "b": 5}, [Criterion("a", 2, 0, 10), Criterion("b", -1, 0, 10)]),  # negative weight
    ({"a": 5}, [Criterion("a", 1, 10, 10)]),  # max == min
    ({"a": 5}, [Criterion("a", 1, 10, 0)]),  # max < min
    ({"a": 5}, [Criterion("a", 1, 0, 10), Criterion("a", 1, 0, 10)]),  # duplicated key
])
def test_weighted_total_refuses(scores, criteria):
    with pytest.raises(ValueError):
        weighted_total(scores, criteria)


def test_weighted_total_ignores_scores_off_the_rubric():
    assert weighted_total({"a": 5, "gone": 99}, [Criterion("a", 1, 0, 10)]) == 50


# --- combine: invariances -------------------------------------------------------------------------

@PROPERTY
@given(rounds(), st.data())
def test_reordering_totals_changes_nothing(table, data):
    totals = totals_from(table)
    shuffled = data.draw(st.permutations(totals))
    for method in METHODS:
        assert combine(shuffled, method) == combine(totals, method)


@PROPERTY
@given(rounds(), st.data())
def test_renaming_judges_changes_nothing(table, data):
    """Judge ids in another order (so every sum runs in another order): same values and ranks."""
    judges = sorted({judge for row in table.values() for judge in row})
    renamed = dict(zip(judges, data.draw(st.permutations([f"k{i}" for i in range(len(judges))]))))
    totals = totals_from(table)
    other = [Total(t.entry, renamed[t.judge], t.value) for t in totals]
    for method in METHODS:
        before, after = combine(totals, method), combine(other, method)
        assert values_of(after) == pytest.approx(values_of(before), abs=1e-9)
        assert ranks_of(after) == ranks_of(before)
        assert after.groups == before.groups


@PROPERTY
@given(rounds(connected=True), st.data(), st.integers(-30, 30))
def test_a_constant_added_to_one_judge_changes_no_normalised_rank(table, data, shift):
    judges = sorted({judge for row in table.values() for judge in row})
    for judge in judges:  # every judge has a spread, so nobody is left raw
        assume(len({row[judge] for row in table.values() if judge in row}) > 1)
    moved = data.draw(st.sampled_from(judges))
    totals = totals_from(table)
    shifted = [Total(t.entry, t.judge, t.value + shift if t.judge == moved else t.value) for t in totals]

    before, after = combine(totals, "zscore"), combine(shifted, "zscore")
    assert not any(stats.left_raw for stats in before.judges.values())
    assert ranks_of(after) == ranks_of(before)

    before, after = combine(totals, "judge_effect"), combine(shifted, "judge_effect")
    assert before.connected
    # Σ l = 0: the judge's shift c splits into c(1 − 1/J) of leniency and c/J of level for everyone,
    # so every difference between entries stays exactly the same.
    level = shift / len(judges)
    for entry, result in before.entries.items():
        assert after.entries[entry].value == pytest.approx(result.value + level, abs=1e-6)
    for judge, stats in before.judges.items():
        expected = stats.leniency + (shift if judge == moved else 0) - level
        assert after.judges[judge].leniency == pytest.approx(expected, abs=1e-6)
    assert ranks_of(after) == ranks_of(before)


# --- combine: the judge-effect model ------------------------------------------------------------

@PROPERTY
@given(rounds(connected=True), st.data())
def test_judge_effect_recovers_a_noiseless_design_exactly(table, data):
    judges = sorted({judge for row in table.values() for judge in row})
    raw = {judge: data.draw(st.integers(-15, 15)) for judge in judges}
    centre = sum(raw.values()) / len(raw)
    leniency = {judge: value - centre for judge, value in raw.items()}
    quality = {entry: data.draw(st.floats(0, 100).map(lambda q: round(q, 3))) for entry in table}
    totals = [Total(e, j, quality[e] + leniency[j]) for e, row in table.items() for j in row]

    result = combine(totals)
    assert result.method == DEFAULT_METHOD == "judge_effect"
    for entry, q in quality.items():
        assert result.entries[entry].value == pytest.approx(q, abs=1e-6)
    for judge, level in leniency.items():
        assert result.judges[judge].leniency == pytest.approx(level, abs=1e-6)
    assert result.residual_sd is None or result.residual_sd < 1e-6


@PROPERTY
@given(rounds())
def test_judge_effect_is_the_least_squares_fit(table):
    """Any design, connected or not: the normal equations hold."""
    totals = totals_from(table)
    result = combine(totals, "judge_effect")
    for gap in normal_equation_gaps(result, totals):
        assert gap < 1e-7


def test_judge_effect_matches_an_exact_rational_solution():
    """A small noisy design against the normal equations solved in fractions."""
    table = {"a": {1: 70, 2: 64}, "b": {2: 55, 3: 61}, "c": {1: 80, 3: 73, 4: 77},
             "d": {4: 40, 1: 52}, "e": {2: 90}}
    entries, judges = sorted(table), [1, 2, 3, 4]
    unknowns = entries + [("judge", j) for j in judges]
    index = {name: i for i, name in enumerate(unknowns)}
    size = len(unknowns) + 1  # plus a Lagrange multiplier for Σ l = 0
    matrix = [[Fraction(0)] * (size + 1) for _ in range(size)]
    for entry, row in table.items():
        for judge, total in row.items():
            for a in (index[entry], index["judge", judge]):
                matrix[a][index[entry]] += 1
                matrix[a][index["judge", judge]] += 1
                matrix[a][size] += total
    for judge in judges:
        matrix[index["judge", judge]][size - 1] = Fraction(1)
        matrix[size - 1][index["judge", judge]] = Fraction(1)
    for col in range(size):  # Gauss–Jordan
        pivot = next(r for r in range(col, size) if matrix[r][col] != 0)
        matrix[col], matrix[pivot] = matrix[pivot], matrix[col]
        matrix[col] = [v / matrix[col][col] for v in matrix[col]]
        for r in range(size):
            if r != col and matrix[r][col] != 0:
                matrix[r] = [v - matrix[r][col] * w for v, w in zip(matrix[r], matrix[col])]
    exact = {name: matrix[i][size] for name, i in index.items()}

    result = combine(totals_from(table))
    for entry in entries:
        assert result.entries[entry].value == pytest.approx(float(exact[entry]), abs=1e-9)
    for judge in judges:
        assert result.judges[judge].leniency == pytest.approx(float(exact["judge", judge]), abs=1e-9)
    # e is judged by judge 2 alone: its quality is that total minus judge 2's leniency.
    assert result.entries["e"].value == pytest.approx(90 - result.judges[2].leniency, abs=1e-9)


def test_lenient_judges_with_weaker_entries():
    """Judge L (+10) saw the weak entries, judge S (−10) the strong ones; one entry links them.

    The mean favours L's entries; z-scores treat the best of the weak set like the best of the
    strong set, so they are unfair too; the judge-effect model recovers the true order.
    """
    quality = {"w1": 30, "w2": 40, "w3": 50, "link": 55, "s1": 60, "s2": 70, "s3": 80}
    seen = {"L": ["w1", "w2", "w3", "link"], "S": ["s1", "s2", "s3", "link"]}
    leniency = {"L": 10, "S": -10}
    totals = [Total(e, j, quality[e] + leniency[j]) for j, es in seen.items() for e in es]
    true_order = sorted(quality, key=quality.get, reverse=True)

    fair = combine(totals, "judge_effect")
    assert [r.entry for r in rank(values_of(fair))] == true_order
    assert values_of(fair) == pytest.approx(quality)
    assert fair.judges["L"].leniency == pytest.approx(10)

    for method in ("mean", "zscore"):
        unfair = combine(totals, method)
        places = {r.entry: r.rank for r in rank(values_of(unfair))}
        assert places["w3"] < places["s1"], method  # quality 50 placed above quality 60
    # z-scores place w3 (quality 50) exactly as far above the link as s1 (quality 60) below it
    zscore = values_of(combine(totals, "zscore"))
    assert zscore["w3"] - zscore["link"] == pytest.approx(zscore["link"] - zscore["s1"])


# --- combine: the other methods -----------------------------------------------------------------

def test_mean_median_and_their_band():
    table = {"a": {"x": 60, "y": 70}, "b": {"x": 50, "y": 54, "z": 80}, "c": {"z": 40}}
    result = combine(totals_from(table), "mean")
    assert values_of(result) == pytest.approx({"a": 65, "b": 184 / 3, "c": 40})
    # pooled within-entry SD: (50 + (50−61.33)² + (54−61.33)² + (80−61.33)²) / (1 + 2)
    b = [50, 54, 80]
    squares = 50 + sum((v - sum(b) / 3) ** 2 for v in b)
    pooled = math.sqrt(squares / 3)
    assert result.residual_sd == pytest.approx(pooled)
    assert result.band_estimated and result.band_sd == result.residual_sd
    a = result.entries["a"]
    q = t_quantile_975(3)  # the pooled SD has 1 + 2 degrees of freedom
    assert result.band_quantile == q
    assert (a.low, a.high) == pytest.approx((65 - q * pooled / math.sqrt(2), 65 + q * pooled / math.sqrt(2)))
    assert a.judges == 2 and a.raw_mean == 65 and a.spread == 10
    assert result.entries["b"].spread == 30 and result.entries["b"].disagreement  # 30 > 25
    assert not a.disagreement
    assert result.entries["c"].high - result.entries["c"].low == pytest.approx(2 * q * pooled)

    median = combine(totals_from(table), "median")
    assert values_of(median) == pytest.approx({"a": 65, "b": 54, "c": 40})
    assert median.entries["b"].raw_mean == pytest.approx(184 / 3)


def test_disagreement_is_strictly_above_the_threshold():
    table = {"a": {"x": 50, "y": 75}, "b": {"x": 50, "y": 76}}
    result = combine(totals_from(table), "mean", disagreement_threshold=25)
    assert not result.entries["a"].disagreement
    assert result.entries["b"].disagreement
    with pytest.raises(ValueError):
        combine(totals_from(table), "mean", disagreement_threshold=-1)


def test_zscore_rescales_to_the_raw_scale_and_leaves_some_judges_raw():
    table = {"a": {"x": 80, "y": 62, "flat": 50, "once": 90},
             "b": {"x": 60, "y": 58, "flat": 50},
             "c": {"x": 70, "y": 60, "flat": 50}}
    totals = totals_from(table)
    result = combine(totals, "zscore")
    raw = [t.value for t in totals]
    grand_mean = sum(raw) / len(raw)
    grand_sd = math.sqrt(sum((v - grand_mean) ** 2 for v in raw) / len(raw))  # population SD

    def z(values, v):
        m = sum(values) / len(values)
        return (v - m) / math.sqrt(sum((w - m) ** 2 for w in values) / len(values))

    x, y = [80, 60, 70], [62, 58, 60]
    expected_a = (grand_mean + grand_sd * z(x, 80) + grand_mean + grand_sd * z(y, 62) + 50 + 90) / 4
    assert result.entries["a"].value == pytest.approx(expected_a)
    assert result.entries["c"].value == pytest.approx((grand_mean * 2 + 50) / 3)
    assert result.judges["flat"].left_raw and result.judges["once"].left_raw
    assert not result.judges["x"].left_raw and not result.judges["y"].left_raw
    for method in ("mean", "median", "judge_effect"):
        assert not any(s.left_raw for s in combine(totals, method).judges.values())


def test_unknown_method_and_duplicate_totals_are_refused():
    with pytest.raises(ValueError):
        combine([Total("a", "x", 50)], "trimmed")
    with pytest.raises(ValueError):
        combine([Total("a", "x", 50), Total("a", "x", 60)])
    with pytest.raises(ValueError):
        combine([Total("a", "x", float("inf"))])


def test_an_empty_round():
    for method in METHODS:
        result = combine([], method)
        assert result.entries == {} and result.judges == {} and result.groups == [] and result.connected


# --- groups of linked entries -------------------------------------------------------------------

def test_two_separate_groups():
    table = {"b": {"x": 60, "y": 70}, "a": {"x": 50, "y": 56}, "c": {"z": 80, "w": 90},
             "d": {"w": 30}, "e": {"z": 45}}
    totals = totals_from(table)
    groups = components(totals)
    assert groups == [frozenset({"a", "b"}), frozenset({"c", "d", "e"})]
    for method in METHODS:
        result = combine(totals, method)
        assert result.groups == groups and not result.connected
        assert {e: r.group for e, r in result.entries.items()} == {"a": 0, "b": 0, "c": 1, "d": 1, "e": 1}
    fitted = combine(totals, "judge_effect")
    assert fitted.judges["x"].leniency + fitted.judges["y"].leniency == pytest.approx(0)
    assert fitted.judges["z"].leniency + fitted.judges["w"].leniency == pytest.approx(0)


def test_a_linked_round_is_connected():
    table = {"a": {"x": 60}, "b": {"x": 50, "y": 56}, "c": {"y": 80}}
    assert components(totals_from(table)) == [frozenset("abc")]
    assert combine(totals_from(table)).connected


@PROPERTY
@given(rounds())
def test_components_partition_the_entries(table):
    totals = totals_from(table)
    groups = components(totals)
    assert set().union(*groups) == set(table) and sum(map(len, groups)) == len(table)
    judges_of = {frozenset(g): {j for e in g for j in table[e]} for g in groups}
    for one in groups:
        for other in groups:
            if one != other:
                assert not judges_of[one] & judges_of[other]
    firsts = [min(group, key=lambda e: int(e[1:])) for group in groups]  # ids "e0".."e9" sort as text too
    assert firsts == sorted(firsts)


def test_mixed_id_types_have_a_deterministic_order():
    totals = [Total(2, "x", 50), Total("a", "x", 60), Total((1, 2), "y", 70), Total(None, 3, 40)]
    groups = components(totals)
    assert groups == components(list(reversed(totals)))
    assert len(groups) == 3
    for method in METHODS:
        assert combine(totals, method) == combine(list(reversed(totals)), method)
    ranked = rank({2: 50.0, "a": 50.0, None: 50.0})
    assert [r.entry for r in ranked] == [r.entry for r in rank({None: 50.0, "a": 50.0, 2: 50.0})]
    assert all(r.rank == 1 and r.tied for r in ranked)


# --- one judge per entry, judge statistics --------------------------------------------------------

@pytest.mark.parametrize("method", METHODS)
def test_one_judge_per_entry_still_gives_finite_bands(method):
    totals = [Total("a", "x", 70), Total("b", "x", 50), Total("c", "y", 65), Total("d", "z", 30)]
    result = combine(totals, method)
    assert result.residual_sd is None and not result.band_estimated
    raw = [70, 50, 65, 30]
    mean = sum(raw) / 4
    assert result.band_sd == pytest.approx(math.sqrt(sum((v - mean) ** 2 for v in raw) / 4))
    for entry in result.entries.values():
        assert all(math.isfinite(v) for v in (entry.value, entry.low, entry.high))
        assert entry.low < entry.value < entry.high
        assert entry.judges == 1 and entry.spread == 0 and not entry.disagreement
    if method != "zscore":
        assert values_of(result) == {"a": 70, "b": 50, "c": 65, "d": 30}
    assert all(stats.leniency is None and stats.agreement is None for stats in result.judges.values())


def test_a_single_total():
    result = combine([Total("a", "x", 42.5)])
    entry = result.entries["a"]
    assert entry.value == entry.low == entry.high == 42.5
    assert result.judges["x"] == JudgeStats("x", 1, 42.5, 0.0, None, False, None)


def test_judge_statistics():
    table = {e: {"x": v, "y": v + 5, "z": 100 - v} for e, v in zip("abcd", (40, 50, 60, 80))}
    table["e"] = {"x": 10, "y": 20}
    result = combine(totals_from(table), "mean")
    x = result.judges["x"]
    assert x.count == 5 and x.mean == pytest.approx(48)
    assert x.sd == pytest.approx(math.sqrt(sum((v - 48) ** 2 for v in (40, 50, 60, 80, 10)) / 5))
    # y's totals against the others' mean: (45, 50) (55, 50) (65, 50) (85, 50) (20, 10)
    assert result.judges["y"].agreement == pytest.approx(1360 / math.sqrt(2320 * 1280))
    assert result.judges["z"].agreement == pytest.approx(-1)  # the others' mean of z's entries is v + 2.5
    # leniency under mean: the judge's total minus the entry's raw mean, over shared entries
    raw_means = {e: sum(row.values()) / len(row) for e, row in table.items()}
    assert x.leniency == pytest.approx(sum(table[e]["x"] - raw_means[e] for e in table) / 5)
    few = combine(totals_from({"a": {"x": 50, "y": 55}, "b": {"x": 60, "y": 66}}))
    assert few.judges["x"].agreement is None  # fewer than three shared entries
    flat = combine(totals_from({e: {"x": v, "y": 50} for e, v in zip("abc", (40, 50, 60))}))
    assert flat.judges["x"].agreement is None  # the others do not vary


# --- ranks --------------------------------------------------------------------------------------

def test_standard_competition_ranking():
    ranked = rank({"a": 90, "b": 80, "c": 80, "d": 70})
    assert ranked == [Ranked("a", 1, False), Ranked("b", 2, True), Ranked("c", 2, True), Ranked("d", 4, False)]


def test_a_tie_is_a_tie_unless_a_tie_breaker_tells_them_apart():
    values = {"a": 80.0, "b": 80.0, "c": 80.0, "d": 90.0}
    impact = {"a": 7.0, "b": 9.0, "c": 7.0, "d": 1.0}
    clarity = {"a": 3.0, "b": 0.0, "c": 3.0, "d": 0.0}
    assert rank(values, [impact]) == [Ranked("d", 1, False), Ranked("b", 2, False),
                                      Ranked("a", 3, True), Ranked("c", 3, True)]
    assert rank(values, [impact, clarity]) == rank(values, [impact])
    assert rank(values, [clarity, impact])[1:] == [Ranked("a", 2, True), Ranked("c", 2, True),
                                                   Ranked("b", 4, False)]
    # a tie-breaker only reorders entries that are tied on the value
    assert rank({"a": 2.0, "b": 1.0}, [{"a": 0.0, "b": 5.0}]) == [Ranked("a", 1, False), Ranked("b", 2, False)]


def test_an_entry_missing_from_a_tie_breaker_comes_after_the_others():
    assert rank({"a": 5.0, "b": 5.0, "c": 5.0}, [{"b": -100.0}]) == [
        Ranked("b", 1, False), Ranked("a", 2, True), Ranked("c", 2, True)]


def test_rank_ignores_float_noise():
    assert rank({"a": 0.1 + 0.2, "b": 0.3}) == [Ranked("a", 1, True), Ranked("b", 1, True)]
    assert rank({"a": 0.3, "b": 0.3}, [{"a": 0.1 + 0.2, "b": 0.3}]) == [Ranked("a", 1, True), Ranked("b", 1, True)]
    # no rounding boundary to fall on either side of
    assert rank({"a": 0.12345678950000001, "b": 0.1234567894999999})[0].tied
    assert not rank({"a": 50.0, "b": 50.0 + 1e-6})[0].tied
    with pytest.raises(ValueError):
        rank({"a": float("nan")})


@PROPERTY
@given(st.dictionaries(st.integers(0, 30), st.integers(0, 5), max_size=12), st.data())
def test_rank_properties(values, data):
    # equal values computed two ways, so some differ in the last bit
    floats = {entry: value * 0.1 + 0.2 if entry % 2 else (value + 2) * 0.1 for entry, value in values.items()}
    ranked = rank(floats)
    shuffled = dict(data.draw(st.permutations(list(floats.items()))))
    assert rank(shuffled) == ranked
    assert [r.entry for r in ranked] == sorted(floats, key=lambda e: (-values[e], e))
    for item in ranked:
        better = sum(values[other] > values[item.entry] for other in values)
        equal = sum(values[other] == values[item.entry] for other in values)
        assert item.rank == better + 1
        assert item.tied == (equal > 1)


@PROPERTY
@given(rounds(), st.sampled_from(METHODS))
def test_identical_entries_tie(table, method):
    """An entry scored exactly like another by the same judges ties with it, whatever the method."""
    copy_of = sorted(table)[0]
    table = {**table, "twin": dict(table[copy_of])}
    ranked = {r.entry: r for r in rank(values_of(combine(totals_from(table), method)))}
    assert ranked["twin"].rank == ranked[copy_of].rank and ranked["twin"].tied


# --- bands and outliers -------------------------------------------------------------------------

def test_t_quantiles():
    known = {1: 12.7062, 2: 4.3027, 3: 3.1824, 5: 2.5706, 10: 2.2281, 30: 2.0423, 120: 1.9799}
    for dof, quantile in known.items():
        assert t_quantile_975(dof) == pytest.approx(quantile, rel=2e-3)
    assert t_quantile_975(10 ** 6) == pytest.approx(1.96, abs=1e-5)
    with pytest.raises(ValueError):
        t_quantile_975(0)


def test_the_judge_effect_band_carries_the_uncertainty_of_the_leniencies():
    """The value is linear in the totals, so its variance over σ² is Σ (∂value/∂total)²: measured here by
    moving each total by one point, it is what the band's half-width uses (and more than 1/judges)."""
    rng = random.Random(3)
    totals = [Total(e, j, rng.uniform(30, 90)) for e in range(9) for j in rng.sample(range(5), 2)]
    result = combine(totals)
    assert result.connected and result.band_estimated
    moved = [combine(totals[:i] + [Total(t.entry, t.judge, t.value + 1)] + totals[i + 1:]) for i, t in enumerate(totals)]
    for entry, found in result.entries.items():
        variance = sum((other.entries[entry].value - found.value) ** 2 for other in moved)
        half = (found.high - found.low) / 2
        assert half == pytest.approx(result.band_quantile * result.band_sd * math.sqrt(variance), rel=1e-6)
        assert variance > 1 / found.judges


def _band_coverage(rng, rounds, entries, judges, per_entry) -> tuple[int, int]:
    """How many simulated entries' true values (quality + the mean leniency of their group's judges, the
    level judge_effect reports) lie in their 95 % band, of how many."""
    hits = count = 0
    for _ in range(rounds):
        quality = [rng.gauss(55, 12) for _ in range(entries)]
        leniency = [rng.gauss(0, 8) for _ in range(judges)]
        totals = [Total(e, j, quality[e] + leniency[j] + rng.gauss(0, 5))
                  for e in range(entries) for j in rng.sample(range(judges), per_entry)]
        result = combine(totals)
        for group in result.groups:
            group_judges = {total.judge for total in totals if total.entry in group}
            level = sum(leniency[j] for j in group_judges) / len(group_judges)
            for entry in group:
                found = result.entries[entry]
                hits += found.low <= quality[entry] + level <= found.high
                count += 1
    return hits, count


def test_the_95_percent_band_covers_the_truth_in_simulated_rounds():
    """Small regional rounds (few judges, two per entry) and a mid-sized one: the nominal 95 % band covers
    at least 94 % of the true values (it covered 0.90 when the leniencies were taken as known)."""
    rng = random.Random(11)
    regional = _band_coverage(rng, 300, 10, 4, 2)
    mid = _band_coverage(rng, 60, 30, 6, 3)
    assert regional[0] / regional[1] >= 0.94
    assert (regional[0] + mid[0]) / (regional[1] + mid[1]) >= 0.94


def test_band_crosses_a_cutoff_strictly():
    result = EntryResult("a", 70, 70, 2, 65, 75, 4, False, 0)
    assert band_crosses(result, [72])
    assert band_crosses(result, [90, 66])
    assert not band_crosses(result, [75, 65, 80])
    assert not band_crosses(result, [])


def test_outlier():
    assert outlier(90, [60, 64], threshold=20)  # 90 − 62 = 28
    assert not outlier(82, [60, 64], threshold=20)  # exactly 20 is not far
    assert not outlier(10, [], threshold=0)
    assert outlier(40, [60.5], threshold=20)


# --- Krippendorff's alpha -------------------------------------------------------------------------

KRIPPENDORFF_2011 = {  # Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability", section C
    "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
}


def pairwise_alpha(ratings):
    """The textbook definition, pair by pair, in fractions."""
    units = {}
    for (unit, _), value in ratings.items():
        units.setdefault(unit, []).append(Fraction(value))
    units = [v for v in units.values() if len(v) >= 2]
    values = [v for u in units for v in u]
    n = len(values)

    def pairs(vs):
        return sum((a - b) ** 2 for i, a in enumerate(vs) for k, b in enumerate(vs) if i != k)

    observed = sum(pairs(u) / (len(u) - 1) for u in units) / n
    expected = Fraction(pairs(values), n * (n - 1))
    return 1 - observed / expected


def test_krippendorff_worked_example():
    ratings = {(unit, judge): value for judge, row in KRIPPENDORFF_2011.items()
               for unit, value in enumerate(row) if value is not None}
    assert pairwise_alpha(ratings) == Fraction(951, 1120)  # 0.849, as the paper reports
    assert krippendorff_alpha_interval(ratings) == pytest.approx(951 / 1120, abs=1e-12)
    assert round(krippendorff_alpha_interval(ratings), 3) == 0.849


def test_krippendorff_identities():
    perfect = {(e, j): v for e, v in enumerate([10, 40, 25, 90]) for j in "xyz"}
    assert krippendorff_alpha_interval(perfect) == 1
    assert krippendorff_alpha_interval({}) is None
    assert krippendorff_alpha_interval({("a", "x"): 5, ("b", "x"): 7}) is None  # nothing pairable
    assert krippendorff_alpha_interval({("a", "x"): 5, ("a", "y"): 5, ("b", "x"): 5}) is None  # no variance
    # opposite judgements: worse than chance
    assert krippendorff_alpha_interval({("a", "x"): 0, ("a", "y"): 10, ("b", "x"): 10, ("b", "y"): 0}) < 0


@PROPERTY
@given(st.dictionaries(st.tuples(st.integers(0, 5), st.sampled_from("wxyz")), st.integers(0, 10), max_size=24),
       st.integers(-50, 50), st.integers(1, 7))
def test_krippendorff_matches_the_definition_and_ignores_units_of_measure(ratings, shift, factor):
    alpha = krippendorff_alpha_interval(ratings)
    units = {}
    for (unit, _), value in ratings.items():
        units.setdefault(unit, []).append(value)
    pairable = [v for vs in units.values() if len(vs) >= 2 for v in vs]
    if len(pairable) < 2 or len(set(pairable)) == 1:
        assert alpha is None
        return
    assert alpha == pytest.approx(float(pairwise_alpha(ratings)), abs=1e-9)
    moved = krippendorff_alpha_interval({key: value * factor + shift for key, value in ratings.items()})
    assert moved == pytest.approx(alpha, abs=1e-9)


# --- scale --------------------------------------------------------------------------------------

def test_judge_effect_converges_on_a_long_chain_of_judges():
    """The worst linked design: judge i shares one entry with judge i + 1 only."""
    rng = random.Random(7)
    totals = []
    for e in range(250):
        for j in (e, e + 1):
            totals.append(Total(e, j, rng.uniform(20, 90)))
        if e % 3 == 0:
            totals.append(Total(e, e + 2, rng.uniform(20, 90)))
    result = combine(totals)
    assert result.connected
    for gap in normal_equation_gaps(result, totals):
        assert gap < 1e-7


def test_combine_is_fast_for_a_large_round():
    """5,000 entries × 5 of 200 judges (25,000 totals)."""
    rng = random.Random(1)
    quality = [rng.uniform(20, 90) for _ in range(5000)]
    leniency = [rng.gauss(0, 8) for _ in range(200)]
    totals = [Total(e, j, quality[e] + leniency[j] + rng.gauss(0, 3))
              for e in range(5000) for j in rng.sample(range(200), 5)]
    for method in METHODS:
        started = time.perf_counter()
        result = combine(totals, method)
        assert time.perf_counter() - started < 10, method
        assert len(result.entries) == 5000 and result.connected
    gaps = normal_equation_gaps(result := combine(totals), totals)
    assert max(gaps) < 1e-6
    assert result.residual_sd == pytest.approx(3, rel=0.1)
