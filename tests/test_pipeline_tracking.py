"""Where an indicator stands against its target (pure function, property tests)."""
from datetime import date, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from eventapp.pipeline.enums import TrackingStatus
from eventapp.pipeline.tracking import status

PROPERTY = settings(max_examples=300, derandomize=True, database=None, deadline=None)
DAY0 = date(2025, 3, 21)  # 1 Farvardin 1404

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False)
offsets = st.integers(min_value=0, max_value=2000)
days = offsets.map(lambda offset: DAY0 + timedelta(days=offset))
maybe_days = st.none() | days
readings_lists = st.lists(st.tuples(days, values), min_size=1, max_size=8)


@st.composite
def journeys(draw):
    """An indicator (origin, target apart from it) with readings on distinct days, oldest first."""
    origin = draw(values)
    distance = draw(st.floats(min_value=0.01, max_value=1e5, allow_nan=False, allow_infinity=False))
    direction = draw(st.sampled_from((1, -1)))  # increasing or decreasing indicators
    target = origin + direction * distance
    assume(target != origin)
    with_baseline = draw(st.booleans())
    start = draw(days)
    gaps = draw(st.lists(st.integers(1, 90), min_size=0 if with_baseline else 1, max_size=6))
    reading_days = [start]
    for gap in gaps:
        reading_days.append(reading_days[-1] + timedelta(days=gap))
    shares = draw(st.lists(st.floats(min_value=-2, max_value=3, allow_nan=False), min_size=len(reading_days),
                           max_size=len(reading_days)))
    if not with_baseline:
        shares[0] = 0.0  # without a baseline, the first reading is where the indicator starts from
    readings = [(day, origin + share * (target - origin)) for day, share in zip(reading_days, shares)]
    return (origin if with_baseline else None), target, readings, direction


def origin_of(baseline, readings):
    return baseline if baseline is not None else min(readings)[1]


@PROPERTY
@given(baseline=st.none() | values, target_date=maybe_days, readings=readings_lists, today=days)
def test_no_target_is_no_data(baseline, target_date, readings, today):
    assert status(baseline, None, target_date, readings, today) == TrackingStatus.NO_DATA


@PROPERTY
@given(baseline=st.none() | values, target=values, target_date=maybe_days, today=days)
def test_no_readings_is_no_data(baseline, target, target_date, today):
    assert status(baseline, target, target_date, [], today) == TrackingStatus.NO_DATA


@PROPERTY
@given(journey=journeys(), overshoot=st.floats(min_value=0, max_value=1e4, allow_nan=False),
       target_date=maybe_days, today=days)
def test_reaching_or_passing_the_target_is_met(journey, overshoot, target_date, today):
    """Whatever the direction and the day: the latest reading at or beyond the target (on its side) is met."""
    baseline, target, readings, direction = journey
    last_day = readings[-1][0]
    readings = readings[:-1] + [(last_day, target + direction * overshoot)]
    assert status(baseline, target, target_date, readings, today) == TrackingStatus.MET


@PROPERTY
@given(journey=journeys(), target_date=maybe_days, after=st.integers(0, 2000))
def test_moving_away_from_the_target_is_behind(journey, target_date, after):
    """A latest reading on the far side of the origin (from the target) is behind, from the start day on."""
    baseline, target, readings, direction = journey
    origin = origin_of(baseline, readings)
    last_day = readings[-1][0]
    away = origin - direction * abs(target - origin) * 0.5
    assume(away != origin)
    readings = readings[:-1] + [(last_day, away)]
    today = readings[0][0] + timedelta(days=after)
    assert status(baseline, target, target_date, readings, today) == TrackingStatus.BEHIND


@PROPERTY
@given(journey=journeys(), span=st.integers(0, 2000), data=st.data())
def test_time_never_turns_behind_into_on_track(journey, span, data):
    """With the same readings, a later day (up to the target date) is never better than an earlier one."""
    baseline, target, readings, _direction = journey
    target_date = readings[0][0] + timedelta(days=span)
    first = data.draw(st.integers(0, span))
    today = readings[0][0] + timedelta(days=first)
    later_day = today + timedelta(days=data.draw(st.integers(1, max(1, span - first))))
    assume(later_day <= target_date)
    earlier = status(baseline, target, target_date, readings, today)
    if earlier == TrackingStatus.BEHIND:
        assert status(baseline, target, target_date, readings, later_day) == TrackingStatus.BEHIND
    if earlier == TrackingStatus.MET:
        assert status(baseline, target, target_date, readings, later_day) == TrackingStatus.MET


@PROPERTY
@given(journey=journeys(), target_date=days, days_late=st.integers(1, 2000))
def test_past_the_target_date_without_meeting_it_is_behind(journey, target_date, days_late):
    """Even when the target date came before the first reading."""
    baseline, target, readings, _direction = journey
    today = max(target_date, readings[-1][0]) + timedelta(days=days_late)
    result = status(baseline, target, target_date, readings, today)
    latest, origin = readings[-1][1], origin_of(baseline, readings)
    reached = origin == target or (latest - origin) / (target - origin) >= 1
    assert result == (TrackingStatus.MET if reached else TrackingStatus.BEHIND)


@PROPERTY
@given(journey=journeys(), target_date=maybe_days, today=days, data=st.data())
def test_the_order_of_the_readings_does_not_matter(journey, target_date, today, data):
    baseline, target, readings, _direction = journey
    shuffled = data.draw(st.permutations(readings))
    assert status(baseline, target, target_date, shuffled, today) == \
        status(baseline, target, target_date, readings, today)


@PROPERTY
@given(baseline=st.none() | values, target=values, target_date=maybe_days, readings=readings_lists, today=days,
       data=st.data())
def test_any_order_of_any_readings_gives_the_same_status(baseline, target, target_date, readings, today, data):
    """Even several readings on one day: the order they come in changes nothing."""
    shuffled = data.draw(st.permutations(readings))
    assert status(baseline, target, target_date, shuffled, today) == \
        status(baseline, target, target_date, readings, today)


def test_examples():
    """A well read example of each status: water from 40 to 100 litres a second by 1406."""
    start, target_day = date(2025, 4, 1), date(2027, 3, 21)
    readings = [(start, 40.0), (date(2025, 10, 1), 70.0)]
    assert status(40, 100, target_day, readings, date(2025, 10, 2)) == TrackingStatus.ON_TRACK  # 50% done, 25% of the time
    assert status(40, 100, target_day, readings, date(2026, 12, 1)) == TrackingStatus.BEHIND  # 50% done, 85% of the time
    assert status(40, 100, target_day, readings + [(date(2026, 12, 1), 101.0)], date(2026, 12, 2)) == TrackingStatus.MET
    # A decreasing indicator: dust days from 60 down to 20.
    assert status(60, 20, None, [(start, 55.0)], date(2025, 5, 1)) == TrackingStatus.ON_TRACK
    assert status(60, 20, None, [(start, 65.0)], date(2025, 5, 1)) == TrackingStatus.BEHIND
    assert status(60, 20, None, [(start, 20.0)], date(2025, 5, 1)) == TrackingStatus.MET
