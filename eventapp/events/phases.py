"""The phases of an event and their deadlines, as plain values: no database, no Flask.

A phase is open from its start to its end, both included: a deadline at 18:00:00 accepts 18:00:00
and refuses 18:00:01.
"""
from dataclasses import dataclass
from datetime import datetime

PHASES = ("registration", "screening", "training", "submission", "judging", "results")
# Every event has these; screening and training are held only when an event gives them dates.
REQUIRED_PHASES = ("registration", "submission", "judging", "results")


@dataclass(frozen=True)
class Window:
    kind: str
    starts_at: datetime
    ends_at: datetime

    def is_open(self, now: datetime) -> bool:
        return self.starts_at <= now <= self.ends_at


@dataclass(frozen=True)
class Deadline:
    kind: str
    boundary: str  # "start" or "end"
    at: datetime


def in_order(windows) -> list[Window]:
    return sorted(windows, key=lambda window: PHASES.index(window.kind))


def open_phases(windows, now: datetime) -> list[str]:
    return [window.kind for window in in_order(windows) if window.is_open(now)]


def next_deadline(windows, now: datetime) -> Deadline | None:
    """The nearest start or end still to come."""
    boundaries = [
        Deadline(window.kind, boundary, at)
        for window in windows
        for boundary, at in (("start", window.starts_at), ("end", window.ends_at))
        if at > now
    ]
    return min(boundaries, key=lambda deadline: (deadline.at, PHASES.index(deadline.kind)), default=None)


def status(windows, now: datetime) -> str:
    """'upcoming' before the first phase starts, 'finished' after the last ends, else 'running'."""
    if not windows:
        return "upcoming"
    if now < min(window.starts_at for window in windows):
        return "upcoming"
    if now > max(window.ends_at for window in windows):
        return "finished"
    return "running"


def problems(windows) -> dict[str, str]:
    """What is wrong with a set of windows, by phase: 'missing', 'empty' (end not after start) or
    'order' (starts before the phase before it). An empty result means the schedule is valid."""
    found = {}
    given = {window.kind: window for window in windows}
    for kind in REQUIRED_PHASES:
        if kind not in given:
            found[kind] = "missing"
    previous = None
    for window in in_order(windows):
        if window.ends_at <= window.starts_at:
            found[window.kind] = "empty"
        elif previous is not None and window.starts_at < previous.starts_at:
            found[window.kind] = "order"
        previous = window
    return found
