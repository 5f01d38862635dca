"""The phases of an event as plain values (eventapp.events.phases): no database, no Flask."""
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eventapp.events.enums import PhaseKind
from eventapp.events.phases import (
    PHASES,
    REQUIRED_PHASES,
    Deadline,
    Window,
    next_deadline,
    open_phases,
    problems,
    status,
)

SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)
T0 = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 1405/09/06 18:30 in Tehran

moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
lengths = st.integers(min_value=1, max_value=120 * 86400).map(lambda seconds: timedelta(seconds=seconds))


@st.composite
def valid_schedules(draw):
    """The required phases and some optional ones, in order, each starting when or after the one
    before it ended (back to back, or with a gap)."""
    kinds = [kind for kind in PHASES if kind in REQUIRED_PHASES or draw(st.booleans())]
    start = draw(moments)
    windows = []
    for kind in kinds:
        end = start + draw(lengths)
        windows.append(Window(kind, start, end))
        start = end + draw(st.sampled_from([SECOND, timedelta(0)]) | lengths)
    return windows


@st.composite
def any_windows(draw):
    """Any set of phases with any dates, valid or not (an end may even come before its start)."""
    kinds = draw(st.lists(st.sampled_from(PHASES), unique=True))
    return [Window(kind, draw(moments), draw(moments)) for kind in kinds]


def back_to_back(start=T0, kinds=REQUIRED_PHASES, length=10 * DAY):
    """Phases of ``length`` each, every one starting the second after the one before it ends."""
    return [
        Window(kind, start + length * i, start + length * (i + 1) - SECOND) for i, kind in enumerate(kinds)
    ]


def by_kind(windows):
    return {window.kind: window for window in windows}


# --- open and closed -----------------------------------------------------------------------

@given(start=moments, length=lengths)
def test_a_phase_is_open_at_its_start_and_at_its_end(start, length):
    window = Window("registration", start, start + length)
    assert window.is_open(start)
    assert window.is_open(start + length)


@given(start=moments, length=lengths)
def test_a_phase_is_closed_one_second_before_its_start_and_one_second_after_its_end(start, length):
    window = Window("registration", start, start + length)
    assert not window.is_open(start - SECOND)
    assert not window.is_open(start + length + SECOND)


@given(start=moments, length=lengths, fraction=st.floats(min_value=0, max_value=1))
def test_a_phase_is_open_at_every_moment_between_its_start_and_its_end(start, length, fraction):
    window = Window("registration", start, start + length)
    assert window.is_open(start + length * fraction)


def test_open_phases_lists_every_open_phase_in_the_order_of_the_series():
    windows = [
        Window("training", T0, T0 + 5 * DAY),
        Window("registration", T0 - DAY, T0 + DAY),
        Window("screening", T0 - 2 * DAY, T0 - SECOND),  # closed a second ago
    ]
    assert open_phases(windows, T0) == ["registration", "training"]


# --- the next deadline ---------------------------------------------------------------------

def test_next_deadline_is_the_end_of_the_open_phase():
    windows = back_to_back()
    assert next_deadline(windows, T0 + DAY) == Deadline("registration", "end", T0 + 10 * DAY - SECOND)


def test_next_deadline_before_everything_is_the_first_start():
    windows = back_to_back()
    assert next_deadline(windows, T0 - DAY) == Deadline("registration", "start", T0)


def test_a_boundary_at_this_very_moment_is_not_the_next_deadline():
    windows = back_to_back()
    registration_end = by_kind(windows)["registration"].ends_at
    assert next_deadline(windows, registration_end) == Deadline("submission", "start", registration_end + SECOND)


def test_there_is_no_next_deadline_when_every_boundary_has_passed():
    windows = back_to_back()
    assert next_deadline(windows, by_kind(windows)["results"].ends_at) is None
    assert next_deadline([], T0) is None


@given(windows=any_windows(), now=moments)
def test_next_deadline_is_the_earliest_boundary_strictly_after_now(windows, now):
    still_to_come = [
        (window.kind, boundary, at)
        for window in windows
        for boundary, at in (("start", window.starts_at), ("end", window.ends_at))
        if at > now
    ]
    found = next_deadline(windows, now)
    if not still_to_come:
        assert found is None
    else:
        assert found is not None
        assert found.at == min(at for _kind, _boundary, at in still_to_come)
        assert (found.kind, found.boundary, found.at) in still_to_come


# --- order does not matter -----------------------------------------------------------------

@given(data=st.data(), windows=any_windows(), now=moments)
def test_the_order_in_which_windows_are_given_changes_nothing(data, windows, now):
    shuffled = data.draw(st.permutations(windows))
    assert open_phases(shuffled, now) == open_phases(windows, now)
    assert next_deadline(shuffled, now) == next_deadline(windows, now)
    assert status(shuffled, now) == status(windows, now)
    assert problems(shuffled) == problems(windows)


# --- status --------------------------------------------------------------------------------

@pytest.mark.parametrize("now, expected", [
    (T0 - SECOND, "upcoming"),
    (T0, "running"),
    (T0 + 25 * DAY, "running"),
    (T0 + 40 * DAY - SECOND, "running"),  # the last second of results
    (T0 + 40 * DAY, "finished"),
])
def test_status_follows_the_first_start_and_the_last_end(now, expected):
    assert status(back_to_back(), now) == expected


def test_an_event_is_running_between_two_phases():
    windows = [Window("registration", T0, T0 + DAY), Window("submission", T0 + 5 * DAY, T0 + 6 * DAY)]
    assert status(windows, T0 + 3 * DAY) == "running"
    assert open_phases(windows, T0 + 3 * DAY) == []


def test_an_event_without_phases_is_upcoming():
    assert status([], T0) == "upcoming"


@given(windows=valid_schedules(), now=moments)
def test_status_agrees_with_the_phases(windows, now):
    first_start = min(window.starts_at for window in windows)
    last_end = max(window.ends_at for window in windows)
    expected = "upcoming" if now < first_start else "finished" if now > last_end else "running"
    assert status(windows, now) == expected


# --- problems ------------------------------------------------------------------------------

def test_a_back_to_back_schedule_has_no_problem():
    assert problems(back_to_back(kinds=PHASES)) == {}


def test_the_optional_phases_may_be_left_out():
    assert set(PHASES) - set(REQUIRED_PHASES) == {"screening", "training"}
    assert problems(back_to_back(kinds=REQUIRED_PHASES)) == {}


@given(windows=valid_schedules())
def test_a_schedule_in_order_with_phases_that_end_after_they_start_has_no_problem(windows):
    assert problems(windows) == {}


@pytest.mark.parametrize("kind", REQUIRED_PHASES)
def test_a_missing_required_phase_is_reported(kind):
    windows = [window for window in back_to_back() if window.kind != kind]
    assert problems(windows) == {kind: "missing"}


def test_no_phases_at_all_reports_every_required_phase_missing():
    assert problems([]) == dict.fromkeys(REQUIRED_PHASES, "missing")


@pytest.mark.parametrize("end", [T0, T0 - SECOND], ids=["end at start", "end before start"])
def test_a_phase_that_does_not_end_after_it_starts_is_empty(end):
    windows = [Window("registration", T0, end), *back_to_back(T0 + DAY, REQUIRED_PHASES[1:])]
    assert problems(windows) == {"registration": "empty"}


def test_a_phase_starting_before_the_phase_before_it_is_out_of_order():
    windows = by_kind(back_to_back())
    judging = windows["judging"]
    windows["judging"] = Window("judging", windows["submission"].starts_at - SECOND, judging.ends_at)
    assert problems(windows.values()) == {"judging": "order"}


def test_order_is_checked_against_the_previous_phase_given_skipping_absent_optional_ones():
    windows = by_kind(back_to_back())
    windows["submission"] = Window("submission", T0 - DAY, windows["submission"].ends_at)  # before registration
    assert problems(windows.values()) == {"submission": "order"}


def test_a_phase_may_start_while_the_one_before_it_is_still_open():
    windows = [
        Window("registration", T0, T0 + 10 * DAY),
        Window("training", T0 + 5 * DAY, T0 + 20 * DAY),  # training overlaps registration
        *back_to_back(T0 + 30 * DAY, REQUIRED_PHASES[1:]),
    ]
    assert problems(windows) == {}


def test_a_phase_starting_at_the_same_moment_as_the_one_before_it_is_in_order():
    windows = by_kind(back_to_back())
    windows["submission"] = Window("submission", T0, windows["submission"].ends_at)
    assert problems(windows.values()) == {}


def test_the_labelled_phases_are_the_pure_ones_in_the_same_order():
    assert PhaseKind.values() == PHASES
    assert set(REQUIRED_PHASES) <= set(PhaseKind.values())
