"""The states of the pipeline, with their labels (see core/enums.py).

Imports nothing but core.enums and flask_babel, so that the pure tracking module may use it.
"""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from ..core.enums import LabelledEnum


class StageKind(LabelledEnum):
    """What a stage means, whatever organisers call it: work goes on, waits, stopped, or is finished."""
    ACTIVE = "active", _lp("stage kind", "Active")
    ON_HOLD = "on_hold", _lp("stage kind", "On hold")
    DROPPED = "dropped", _lp("stage kind", "Dropped")
    COMPLETED = "completed", _lp("stage kind", "Completed")

    @property
    def needs_reason(self) -> bool:
        """A project that moves into a stage of this kind needs a reason."""
        return self in (StageKind.ON_HOLD, StageKind.DROPPED)


class TrackingStatus(LabelledEnum):
    """Where an indicator stands against its target (worked out by tracking.status)."""
    MET = "met", _lp("indicator status", "Met")
    ON_TRACK = "on_track", _lp("indicator status", "On track")
    BEHIND = "behind", _lp("indicator status", "Behind")
    NO_DATA = "no_data", _l("No data yet")

    @property
    def public_label(self) -> str:
        """The label in the observatory, which counts verified readings only: there, no data means no
        verified reading."""
        return str(_l("No verified reading yet")) if self is TrackingStatus.NO_DATA else self.label
