"""Where an indicator stands against its target: pure maths on plain values.

An indicator goes from its baseline towards its target (up or down). With a target date, it is on
track when its latest verified value has covered at least the share of the way that the share of the
time gone asks for (a straight line from the first reading to the target date); without one, when it
has moved from the baseline towards the target at all.
"""
from datetime import date

from .enums import TrackingStatus


def status(baseline: float | None, target: float | None, target_date: date | None,
           readings: list[tuple[date, float]], today: date) -> TrackingStatus:
    """Met, on track, behind or no data, from the verified ``readings`` [(day, value)]."""
    if target is None or not readings:
        return TrackingStatus.NO_DATA
    ordered = sorted(readings)
    start_day, first_value = ordered[0]
    latest = ordered[-1][1]
    origin = baseline if baseline is not None else first_value
    if origin == target:
        return TrackingStatus.MET
    done = (latest - origin) / (target - origin)  # the share of the way covered, whatever the direction
    if done >= 1:
        return TrackingStatus.MET
    if target_date is not None and today > target_date:
        # The day has passed and the target is not met, however late the first reading came.
        return TrackingStatus.BEHIND
    if target_date is None or target_date <= start_day:
        return TrackingStatus.ON_TRACK if done > 0 else TrackingStatus.BEHIND
    elapsed = (min(today, target_date) - start_day).days / (target_date - start_day).days
    return TrackingStatus.ON_TRACK if done >= elapsed else TrackingStatus.BEHIND
