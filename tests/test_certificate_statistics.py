"""Properties of the report card's figures: where a result stands in its round, and the round's average."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventapp.certificates.statistics import mean
from eventapp.judging.scoring import percentile_rank

results = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
rounds = st.lists(results, min_size=1, max_size=60)
# What a published round holds: results rounded to two decimals.
published = st.integers(min_value=0, max_value=10_000).map(lambda hundredths: hundredths / 100)
published_rounds = st.lists(published, min_size=1, max_size=60)


@given(rounds, results)
def test_a_percentile_rank_is_between_0_and_100(values, value):
    assert 0 <= percentile_rank(value, values) <= 100


@given(rounds, results, results)
def test_a_higher_result_never_stands_lower(values, one, other):
    low, high = sorted((one, other))
    assert percentile_rank(low, values) <= percentile_rank(high, values)


@given(rounds)
def test_the_best_result_stands_above_the_middle_when_another_is_below_it(values):
    best = max(values)
    if any(value < best for value in values):
        assert percentile_rank(best, values) > 50


@given(st.lists(st.floats(min_value=0, max_value=100), min_size=2, max_size=60, unique=True))
def test_the_best_of_distinct_results_stands_above_the_middle(values):
    assert percentile_rank(max(values), values) > 50


@given(results, st.integers(min_value=1, max_value=60))
def test_a_round_of_equal_results_puts_each_in_the_middle(value, count):
    assert percentile_rank(value, [value] * count) == 50


@given(st.one_of(rounds, published_rounds))
def test_the_average_lies_between_the_lowest_and_the_highest_result(values):
    assert min(values) <= mean(values) <= max(values)


@given(published, st.integers(min_value=1, max_value=60))
def test_the_average_of_equal_results_is_that_result(value, count):
    """Else a card would mark a criterion below the average when every team scored the same."""
    assert mean([value] * count) == value


def test_the_documented_examples():
    assert percentile_rank(10, list(range(1, 11))) == 95
    assert percentile_rank(2, [1, 2, 3]) == 50
    with pytest.raises(ValueError):
        percentile_rank(1, [])
    with pytest.raises(ValueError):
        mean([])
