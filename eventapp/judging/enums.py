"""The states of judging, with their labels: the kind of a round, how it combines scores, the awards."""
from flask_babel import lazy_gettext as _l

from ..core.enums import LabelledEnum


class RoundKind(LabelledEnum):
    SCREENING = "screening", _l("Screening round")  # of the teams
    FINAL = "final", _l("Final round")  # of the submitted maps


class CombiningMethod(LabelledEnum):
    """How a round combines its judges' totals: the methods of ``scoring.combine`` (``scoring.METHODS``)."""
    JUDGE_EFFECT = "judge_effect", _l("Judge-effect model (fair to lenient and severe judges)")
    MEAN = "mean", _l("Mean of the judges' totals")
    MEDIAN = "median", _l("Median of the judges' totals")
    ZSCORE = "zscore", _l("Mean after normalising each judge (z-scores)")


class Award(LabelledEnum):
    """What a place in a final round earns: first to third by rank, then honourable mentions."""
    FIRST = "first", _l("First place")
    SECOND = "second", _l("Second place")
    THIRD = "third", _l("Third place")
    HONOURABLE = "honourable", _l("Honourable mention")
