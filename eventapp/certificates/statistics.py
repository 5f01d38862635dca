"""Averages for the report card (where a result stands among the others: ``judging.scoring.percentile_rank``)."""
from fractions import Fraction


def mean(values: list[float]) -> float:
    if not values:
        raise ValueError("no values")
    # Summed exactly and rounded once: a float sum drifts (three results of 0.1 averaged 0.10000000000000002),
    # and the card would then mark a result equal to everyone's as below the average.
    return float(sum(map(Fraction, values)) / len(values))
