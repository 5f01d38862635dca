"""The documented signals are sent after the commit of what they describe, never for rolled-back work."""
import pytest

from eventapp import signals
from eventapp.core.extensions import db

pytestmark = pytest.mark.rolled_back  # services only: no test client, no other thread


@pytest.fixture
def received():
    seen = []

    def receiver(sender, **extras):
        seen.append((sender, extras))

    signals.team_registered.connect(receiver)
    yield seen
    signals.team_registered.disconnect(receiver)


def test_a_signal_waits_for_the_commit(ctx, received):
    signals.send_after_commit(signals.team_registered, "team", actor=None, now="now")
    assert received == []
    db.session.commit()
    assert received == [("team", {"actor": None, "now": "now"})]
    db.session.commit()
    assert len(received) == 1  # sent once


def test_a_rolled_back_change_sends_nothing(ctx, received):
    signals.send_after_commit(signals.team_registered, "team", actor=None, now="now")
    db.session.rollback()
    db.session.commit()
    assert received == []


def test_a_failing_receiver_does_not_stop_the_others(ctx, received, caplog):
    def failing(sender, **extras):
        raise RuntimeError("boom")

    signals.team_registered.connect(failing)
    try:
        signals.send_after_commit(signals.team_registered, "team", actor=None, now="now")
        db.session.commit()
    finally:
        signals.team_registered.disconnect(failing)
    assert len(received) == 1 and "boom" in caplog.text


def test_a_receiver_that_sends_again_is_served_by_its_own_commit(ctx, received):
    def chain(sender, **extras):
        signals.send_after_commit(signals.team_registered, "second", actor=None, now="now")
        db.session.commit()

    signals.map_submitted.connect(chain)
    try:
        signals.send_after_commit(signals.map_submitted, "map", actor=None, now="now")
        db.session.commit()
    finally:
        signals.map_submitted.disconnect(chain)
    assert [sender for sender, _ in received] == ["second"]
