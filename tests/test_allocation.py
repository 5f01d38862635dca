"""Need against support (pipeline/allocation.py): percentile ranks, the mean of the support ranks, and which
provinces are marked."""
import math
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from eventapp.pipeline.allocation import NEED_HIGH, SUPPORT_LOW, Assessment, assess, percentile_ranks

PROVINCES = range(31)
figures = st.one_of(st.none(), st.integers(0, 40), st.floats(0, 1e4, allow_nan=False), st.just(math.nan))
by_province = st.dictionaries(st.sampled_from(PROVINCES), figures, min_size=1)
support_sets = st.dictionaries(st.sampled_from(["teams", "winners", "projects", "progress"]),
                               st.dictionaries(st.sampled_from(PROVINCES), figures), min_size=1)


def _is_figure(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


@given(values=by_province)
def test_a_rank_is_the_share_of_the_other_provinces_with_a_smaller_figure(values):
    ranks = percentile_ranks(values)
    present = {key: value for key, value in values.items() if _is_figure(value)}
    assert set(ranks) == set(values)
    for key, value in values.items():
        if key not in present:
            assert ranks[key] is None
            continue
        smaller = sum(other < value for other in present.values())
        assert ranks[key] == Fraction(smaller, max(len(present) - 1, 1))
        assert 0 <= ranks[key] <= 1


@given(values=by_province)
def test_ranks_follow_the_figures_and_ties_share_one(values):
    ranks = percentile_ranks(values)
    present = [key for key, value in values.items() if _is_figure(value)]
    for a in present:
        for b in present:
            if values[a] < values[b]:
                assert ranks[a] < ranks[b]
            elif values[a] == values[b]:
                assert ranks[a] == ranks[b]
    if present:
        assert min(ranks[key] for key in present) == 0
        if len({values[key] for key in present}) == len(present) > 1:
            assert max(ranks[key] for key in present) == 1


def test_ranks_of_a_small_example():
    ranks = percentile_ranks({"a": 0, "b": 0, "c": 0, "d": 5, "e": 9, "f": None})
    assert ranks == {"a": 0, "b": 0, "c": 0, "d": Fraction(3, 4), "e": 1, "f": None}
    assert percentile_ranks({"only": 3.5}) == {"only": 0}
    assert percentile_ranks({}) == {}


@given(need=by_province, support=support_sets)
def test_support_is_the_mean_rank_of_the_figures_that_tell_provinces_apart(need, support):
    result = assess(need, support)
    assert set(result) == set(need)
    telling = [figure for figure in support.values()
               if len({value for value in figure.values() if _is_figure(value)}) > 1] or list(support.values())
    for key in need:
        ranks = [percentile_ranks(figure)[key] for figure in telling if _is_figure(figure.get(key))]
        assert result[key].support_rank == (sum(ranks) / len(ranks) if ranks else None)
        assert result[key].need_rank == percentile_ranks(need)[key]


@given(need=by_province, support=support_sets)
def test_marked_means_need_in_the_top_third_and_support_in_the_bottom_third(need, support):
    for assessment in assess(need, support).values():
        expected = (assessment.need_rank is not None and assessment.need_rank >= NEED_HIGH
                    and assessment.support_rank is not None and assessment.support_rank <= SUPPORT_LOW)
        assert assessment.marked == expected
        if assessment.need_rank is None or assessment.support_rank is None:
            assert assessment.gap is None and not assessment.marked
        else:
            assert assessment.gap == assessment.need_rank - assessment.support_rank


@given(need=by_province, support=support_sets, key=st.sampled_from(PROVINCES), own_need=st.integers(0, 40),
       own_support=st.integers(0, 40), data=st.data())
def test_more_support_never_marks_a_province_and_more_need_never_unmarks_it(need, support, key, own_need,
                                                                            own_support, data):
    figure = data.draw(st.sampled_from(sorted(support)))
    need = {**need, key: own_need}
    support = {**support, figure: {**support[figure], key: own_support}}
    before = assess(need, support)[key]
    raised_support = {**support, figure: {**support[figure], key: support[figure][key] + 1000}}
    after_support = assess(need, raised_support)[key]
    if before.support_rank is not None and after_support.support_rank is not None:
        assert after_support.support_rank >= before.support_rank or _only_figure_now_differs(support, raised_support)
    if not before.marked:
        assert not after_support.marked or _only_figure_now_differs(support, raised_support)
    raised_need = {**need, key: need[key] + 1000}
    after_need = assess(raised_need, support)[key]
    assert after_need.need_rank >= before.need_rank
    if before.marked:
        assert after_need.marked


def _only_figure_now_differs(before: dict, after: dict) -> bool:
    """Raising a figure can make a support figure that was the same everywhere tell provinces apart, which
    changes which figures the mean takes: then the monotony above is not promised."""
    def telling(sets):
        return {name for name, figure in sets.items()
                if len({value for value in figure.values() if _is_figure(value)}) > 1}
    return telling(before) != telling(after)


def test_provinces_where_the_series_put_nothing_rank_lowest_however_many_they_are():
    """Twenty-eight provinces without a team or a winner, three with: the twenty-eight share rank 0, so those
    among them with a high need are marked."""
    need = {code: code for code in PROVINCES}  # province 30 needs most
    teams = dict.fromkeys(PROVINCES, 0.0) | {28: 0.5, 29: 1.0, 30: 2.0}
    winners = dict.fromkeys(PROVINCES, 0.0) | {29: 0.1}
    constant = dict.fromkeys(PROVINCES, 0.0)  # the same everywhere: left out of the mean
    result = assess(need, {"teams": teams, "winners": winners, "projects": constant})
    assert result[27].support_rank == 0 and result[27].need_rank == Fraction(27, 30) and result[27].marked
    assert result[30].support_rank == Fraction(1, 2) and not result[30].marked  # teams 1, winners 0
    assert [code for code in PROVINCES if result[code].marked] == list(range(20, 28))


def test_with_every_support_figure_the_same_everywhere_they_all_count():
    result = assess({1: 1, 2: 2, 3: 3, 4: 4}, {"teams": dict.fromkeys([1, 2, 3, 4], 0)})
    assert {key: item.support_rank for key, item in result.items()} == dict.fromkeys([1, 2, 3, 4], 0)
    assert [key for key, item in result.items() if item.marked] == [3, 4]


def test_a_province_without_population_or_need_is_never_marked():
    result = assess({1: 9, 2: None, 3: 1}, {"teams": {1: None, 2: 0.0, 3: 5.0}})
    assert result[1] == Assessment(need_rank=Fraction(1), support_rank=None) and not result[1].marked
    assert result[2].need_rank is None and not result[2].marked


def test_the_thresholds_are_exact_thirds():
    assert Assessment(NEED_HIGH, SUPPORT_LOW).marked
    assert not Assessment(NEED_HIGH - Fraction(1, 10**9), SUPPORT_LOW).marked
    assert not Assessment(NEED_HIGH, SUPPORT_LOW + Fraction(1, 10**9)).marked
