"""The platform's signals: what happened, for the areas that react to it — and the notifications, which tell
people of most of them (``notifications/receivers.py``: who is told what).

Every signal is sent **after the commit** of the work it describes (``send_after_commit``), never for work
that was rolled back, with the thing it is about as the sender and these keyword arguments:

- ``actor``: the account that did it (``None`` for the system), and ``now``: when (aware, UTC);
- the extras named in each signal's description.

A receiver runs in the sender's app context, after the commit, with a session of its own transaction: if it
changes anything it commits it itself. A receiver that fails is logged and rolled back; it never undoes
what was committed before it, nor stops the other receivers.

Who connects to what is written in each area's ``receivers.py``, connected by ``create_app``.
"""
import logging

from blinker import Namespace

from .core.extensions import db

log = logging.getLogger(__name__)
_signals = Namespace()

team_registered = _signals.signal("team-registered", doc="""A team registered for an event.
Sender: the Team. Sent by teams.services.membership.register_team.""")

team_decided = _signals.signal("team-decided", doc="""Organisers approved or rejected a team (or set it back
to pending), changing its status. Sender: the Team. Extras: ``status`` (the new TeamStatus), ``reason``.
Sent by teams.services.membership.decide_team.""")

member_joined = _signals.signal("member-joined", doc="""Someone joined a team: an invitation accepted, or a
member added by the leader. Sender: the Team. Extras: ``member`` (the TeamMember).
Sent by teams.services.membership.accept_invitation and add_member_without_account.""")

member_left = _signals.signal("member-left", doc="""A member left a team or was removed from it.
Sender: the Team. Extras: ``name`` (the member's name). Sent by teams.services.membership.leave_team and
remove_member.""")

map_submitted = _signals.signal("map-submitted", doc="""A team submitted its progress map.
Sender: the ProgressMap. Sent by teams.services.maps.submit_map.""")

map_reopened = _signals.signal("map-reopened", doc="""An organiser reopened a submitted map for changes.
Sender: the ProgressMap. Sent by teams.services.maps.reopen_map.""")

screening_selected = _signals.signal("screening-selected", doc="""Teams were selected (or no longer selected)
in screening, by hand or as the top of a screening round. Sender: the Event. Extras: ``team_ids`` and
``selected`` (True or False). Sent by teams.services.membership.set_screening_selected, once for all the teams
one operation changes (judging.services.results.select_top selects through it, once for the teams it selects
and once for those it no longer selects).""")

judge_assigned = _signals.signal("judge-assigned", doc="""Entries were assigned to judges (automatically, by a
move, or when a conflict handed an entry on). Sender: the Round. Extras: ``assignment_ids`` (the ids of
the new Assignments: a national round adds thousands at once). Sent by judging.services.assignments:
assign_automatically (when it added any), move_assignment (the moved one) and declare_conflict (one signal per
round: the entry handed on and the assignments moved to another judge to even out the loads).""")

assignment_reopened = _signals.signal("assignment-reopened", doc="""An organiser reopened a judge's submitted
scores. Sender: the Assignment. Sent by judging.services.scores.reopen_scores.""")

results_published = _signals.signal("results-published", doc="""A round's results were published (or published
again, superseding the earlier snapshot). Sender: the Publication. Sent by judging.services.results.publish.
Received by pipeline (projects for the final round's winners).""")

certificate_issued = _signals.signal("certificate-issued", doc="""A certificate or report card was issued:
one by hand, or the replacement of a reissued one. Sender: the Certificate. Sent by
certificates.services.Issuer.record (for issue_one and reissue; a bulk issue sends certificates_issued).""")

certificates_issued = _signals.signal("certificates-issued", doc="""The documents of a chunk of a bulk issue were
issued, in one transaction. Sender: the CertificateJob. Extras: ``certificates`` (the Certificates). Sent by
certificates.services.bulk (instead of certificate_issued for each, so that their notifications are stored and
sent as one batch).""")

certificate_revoked = _signals.signal("certificate-revoked", doc="""A certificate was revoked (also the old
document of a reissue). Sender: the Certificate. Extras: ``reason``. Sent by certificates.services.revoke
(which reissue calls).""")

project_moved = _signals.signal("project-moved", doc="""A pipeline project moved to another stage.
Sender: the Project. Extras: ``from_stage`` and ``to_stage``, the Stage rows (not their keys).
Sent by pipeline.services.move.""")

# A hook, not an event: asked while a request decides, answered at once (not after a commit).
team_readers = _signals.signal("team-readers", doc="""Who else may read a team's map and files. Sent by
teams.services.access.can_read_map with the Team as sender and ``actor``; a receiver returns True to let the actor
read. Received by judging (a judge assigned to the team in a round that is not blind).""")


def send_after_commit(signal, sender, **extras) -> None:
    """Send ``signal`` once the current transaction commits; forget it if the transaction is rolled back."""
    db.session().after_commit(lambda: _send(signal, sender, extras))


def _send(signal, sender, extras: dict) -> None:
    for receiver in list(signal.receivers_for(sender)):
        try:
            receiver(sender, **extras)
        except Exception:  # one failing reaction must not break the others, nor the committed work
            log.exception("Receiver %r of %s failed", receiver, signal.name)
            db.session.rollback()
