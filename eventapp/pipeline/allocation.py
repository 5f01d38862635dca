"""Need against support: the provinces whose need is high and whose support from the series is low. Pure
functions of plain figures, no Flask, no database; the observatory writes the same method on its page.

- **Scaling.** Each figure is turned into its *percentile rank* among the provinces that have it: the share of
  the other provinces whose figure is smaller, from 0 (no other is smaller) to 1 (every other is). Tied
  provinces are not smaller than one another, so they share the lowest rank of their group: provinces where
  the series has put nothing all rank 0, however many they are. A figure only one province has ranks it 0.
  A larger need figure means more need.
- **Support** is the mean of the ranks of the support figures (each per 100,000 people) that the province has,
  leaving out a figure that is the same in every province that has it (it tells no province from another;
  when every figure is, they all count, and every province ranks 0). A province with none of them (its
  population is not known) has no support rank.
- **Marked**: need rank at least :data:`NEED_HIGH` (the top third) and support rank at most
  :data:`SUPPORT_LOW` (the bottom third). A province missing its need figure or its support rank is never
  marked. Ranks are exact fractions, so no rounding moves a province across a threshold.
"""
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeVar

from .choropleth import is_missing

NEED_HIGH = Fraction(2, 3)
SUPPORT_LOW = Fraction(1, 3)

Key = TypeVar("Key", bound=Hashable)


def percentile_ranks(values: Mapping[Key, float | None]) -> dict[Key, Fraction | None]:
    """Every key's percentile rank among the keys with a figure (see the module); None where there is none."""
    present = sorted(value for value in values.values() if not is_missing(value))
    below = {}
    for position, value in enumerate(present):
        below.setdefault(value, position)  # the first position of a figure: how many are smaller
    others = max(len(present) - 1, 1)
    return {key: Fraction(below[value], others) if not is_missing(value) else None for key, value in values.items()}


def _differs(values: Mapping) -> bool:
    return len({value for value in values.values() if not is_missing(value)}) > 1


@dataclass(frozen=True)
class Assessment:
    need_rank: Fraction | None
    support_rank: Fraction | None

    @property
    def need_high(self) -> bool:
        return self.need_rank is not None and self.need_rank >= NEED_HIGH

    @property
    def support_low(self) -> bool:
        return self.support_rank is not None and self.support_rank <= SUPPORT_LOW

    @property
    def marked(self) -> bool:
        """Need high and support low."""
        return self.need_high and self.support_low

    @property
    def gap(self) -> Fraction | None:
        """Need rank minus support rank: the larger, the more the need outruns the support."""
        if self.need_rank is None or self.support_rank is None:
            return None
        return self.need_rank - self.support_rank


def assess(need: Mapping[Key, float | None],
           support: Mapping[str, Mapping[Key, float | None]]) -> dict[Key, Assessment]:
    """The assessment of every key of ``need``: ``support`` holds each support figure by key (the same keys)."""
    need_ranks = percentile_ranks(need)
    telling = [figure for figure in support.values() if _differs(figure)] or list(support.values())
    support_ranks = [percentile_ranks(figure) for figure in telling]

    def mean_support(key) -> Fraction | None:
        ranks = [ranks[key] for ranks in support_ranks if ranks.get(key) is not None]
        return sum(ranks, Fraction(0)) / len(ranks) if ranks else None

    return {key: Assessment(need_rank=need_ranks[key], support_rank=mean_support(key)) for key in need}
