"""The phases of an event and its scope, with their labels (``phases.py`` orders and checks the phases)."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from ..core.enums import LabelledEnum


class PhaseKind(LabelledEnum):
    """In the order of ``phases.PHASES``."""

    REGISTRATION = "registration", _lp("phase", "Registration")
    SCREENING = "screening", _lp("phase", "Screening")
    TRAINING = "training", _lp("phase", "Training")
    SUBMISSION = "submission", _l("Map submission")
    JUDGING = "judging", _lp("phase", "Judging")
    RESULTS = "results", _lp("phase", "Results")


class Scope(LabelledEnum):
    NATIONAL = "national", _l("National")
    PROVINCIAL = "provincial", _l("One province")
