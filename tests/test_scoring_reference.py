"""The judging maths on arrays against the pure-Python implementation it replaced (``scoring_reference``):
the same results on random rounds, value for value up to the last bits of floating point, and the same
ranks, ties, groups and flags exactly."""
import math
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventapp.judging import scoring
from eventapp.judging.scoring import METHODS, Criterion, Total, combine, combine_arrays, rank, weighted_total

from . import scoring_reference as reference
from .test_scoring import PROPERTY, rounds, rubrics, totals_from

CLOSE = {"rel": 1e-9, "abs": 1e-9}  # what float arithmetic in another order may move


def assert_same_result(found, expected):
    assert found.method == expected.method
    assert found.groups == expected.groups and found.connected == expected.connected
    assert found.band_estimated == expected.band_estimated and found.band_quantile == expected.band_quantile
    assert found.band_sd == pytest.approx(expected.band_sd, **CLOSE)
    assert (found.residual_sd is None) == (expected.residual_sd is None)
    if expected.residual_sd is not None:
        assert found.residual_sd == pytest.approx(expected.residual_sd, **CLOSE)
    assert list(found.entries) == list(expected.entries)
    for entry, want in expected.entries.items():
        got = found.entries[entry]
        assert (got.entry, got.judges, got.disagreement, got.group) == (want.entry, want.judges, want.disagreement,
                                                                        want.group)
        for name in ("value", "raw_mean", "low", "high", "spread"):
            assert getattr(got, name) == pytest.approx(getattr(want, name), **CLOSE), (entry, name)
    assert list(found.judges) == list(expected.judges)
    for judge, want in expected.judges.items():
        got = found.judges[judge]
        assert (got.judge, got.count, got.left_raw) == (want.judge, want.count, want.left_raw)
        assert got.mean == pytest.approx(want.mean, **CLOSE) and got.sd == pytest.approx(want.sd, **CLOSE)
        for name in ("leniency", "agreement"):
            mine, theirs = getattr(got, name), getattr(want, name)
            assert (mine is None) == (theirs is None), (judge, name)
            if theirs is not None:
                assert mine == pytest.approx(theirs, **CLOSE), (judge, name)


def ranks(result) -> list:
    return [(item.entry, item.rank, item.tied) for item in rank({e: r.value for e, r in result.entries.items()})]


@PROPERTY
@given(rounds())
def test_small_rounds_give_what_the_pure_python_gave(table):
    totals = totals_from(table)
    for method in METHODS:
        found, expected = combine(totals, method, 10.0), reference.combine(totals, method, 10.0)
        assert_same_result(found, expected)
        assert ranks(found) == ranks(expected)


@pytest.mark.parametrize("seed", range(6))
def test_larger_rounds_give_what_the_pure_python_gave(seed):
    """Rounds of some hundred entries, linked or in pieces, with integer scores (ties happen) or not."""
    rng = random.Random(seed)
    entries, judges = rng.randint(40, 300), rng.randint(3, 30)
    per_entry = rng.randint(1, min(4, judges))
    split = seed % 3 == 2  # two halves that share no judge
    quality = [rng.uniform(20, 90) for _ in range(entries)]
    leniency = [rng.gauss(0, 6) for _ in range(judges)]
    totals = []
    for e in range(entries):
        pool = range(judges // 2) if split and e % 2 else range(judges // 2, judges) if split else range(judges)
        for j in rng.sample(list(pool), min(per_entry, len(pool))):
            value = quality[e] + leniency[j] + rng.gauss(0, 4)
            totals.append(Total(e, f"j{j}", float(round(value)) if seed % 2 else value))
    for method in METHODS:
        found, expected = combine(totals, method), reference.combine(totals, method)
        assert_same_result(found, expected)
        assert ranks(found) == ranks(expected)
        by_entry = {e: r.value for e, r in expected.entries.items()}
        breaker = {e: float(e % 3) for e in by_entry}
        assert rank(by_entry, [breaker]) == reference.rank(by_entry, [breaker])


@PROPERTY
@given(st.dictionaries(st.integers(0, 40), st.integers(0, 6), max_size=30),
       st.lists(st.dictionaries(st.integers(0, 40), st.integers(0, 2)), max_size=2))
def test_ranks_are_exactly_those_of_the_pure_python(values, tie_breakers):
    assert rank(values, tie_breakers) == reference.rank(values, tie_breakers)


@PROPERTY
@given(rubrics(), st.integers(1, 6), st.data())
def test_weighted_totals_are_bit_for_bit_weighted_total(rubric, count, data):
    criteria, _scores = rubric
    rows = [[data.draw(st.floats(c.scale_min, c.scale_max, allow_nan=False)) for c in criteria] for _ in range(count)]
    found = scoring.weighted_totals(rows, criteria).tolist()
    expected = [weighted_total(dict(zip((c.key for c in criteria), row)), criteria) for row in rows]
    assert found == expected


@pytest.mark.parametrize("row, criteria", [
    ([11], [Criterion("a", 1, 0, 10)]),  # above its scale
    ([float("nan")], [Criterion("a", 1, 0, 10)]),
    ([None], [Criterion("a", 1, 0, 10)]),  # a criterion without a score
    ([5], [Criterion("a", 1, 0, 10), Criterion("b", 1, 0, 10)]),  # a row too short
    ([5], [Criterion("a", 0, 0, 10)]),  # zero total weight
])
def test_weighted_totals_refuse_what_weighted_total_refuses(row, criteria):
    with pytest.raises(ValueError):
        scoring.weighted_totals([[1] * len(criteria), row], criteria)


def test_combine_arrays_is_combine_of_the_totals():
    totals = [Total(e, j, 40.0 + 3 * e - 2 * j) for e in range(6) for j in range(3) if (e + j) % 4]
    arrays = combine_arrays([t.entry for t in totals], [t.judge for t in totals], [t.value for t in totals], "zscore")
    assert arrays == combine(totals, "zscore")
    with pytest.raises(ValueError):
        combine_arrays([1, 2], [1], [50.0, 60.0])
    with pytest.raises(ValueError, match="entry 2 by judge 1"):
        combine_arrays([1, 2], [1, 1], [50.0, math.inf])
