"""Where a result stands among the round's results: pure maths for the report card."""
from fractions import Fraction


def percentile_rank(value: float, values: list[float]) -> float:
    """The share of results (0-100) below ``value``, counting equal results as half below:
    the top of a round of ten is 95, the middle of three is 50, and ties stand together."""
    if not values:
        raise ValueError("no results to compare with")
    below = sum(1 for other in values if other < value)
    equal = sum(1 for other in values if other == value)
    return 100.0 * (below + 0.5 * equal) / len(values)


def mean(values: list[float]) -> float:
    if not values:
        raise ValueError("no values")
    # Summed exactly and rounded once: a float sum drifts (three results of 0.1 averaged 0.10000000000000002),
    # and the card would then mark a result equal to everyone's as below the average.
    return float(sum(map(Fraction, values)) / len(values))
