"""Judges of a round: loads stay even after a declared conflict, and "Add all judges" takes the event's judges."""
from collections import Counter

from sqlalchemy import select

from eventapp import signals
from eventapp.auth.models import User
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.judging import services
from eventapp.judging.models import Assignment, Round
from eventapp.teams.models import Team

from . import factories
from .helpers import get


def _loads(round_id) -> Counter:
    return Counter(db.session.scalars(select(Assignment.user_id).where(Assignment.round_id == round_id)))


def _fifty_entries_two_judges(app, make, organiser):
    event = make.event(open_kind="judging")
    judges = [make.user(name=f"داور {i}", roles=["judge"]) for i in range(2)]
    team_ids = [factories.team_in(app, event.id, name=f"گروه {i}") for i in range(50)]
    round_id = factories.assigned_round(app, organiser, event.id, team_ids, [judge.id for judge in judges])
    return round_id, judges


def test_a_declared_conflict_leaves_fifty_entries_at_25_and_25(app, make, organiser):
    round_id, (first, second) = _fifty_entries_two_judges(app, make, organiser)
    sent = []

    def collect(round_, actor, now, assignment_ids):
        sent.extend(assignment_ids)

    with signals.judge_assigned.connected_to(collect), app.app_context():
        assert _loads(round_id) == {first.id: 25, second.id: 25}
        leaving = db.session.scalars(select(Assignment).where(Assignment.user_id == first.id)).first()
        team_id = leaving.team_id
        judge = get(User, first.id)
        services.declare_conflict(judge, get(Team, team_id), judge, "پسرعمویم در این گروه است", utcnow())
        db.session.commit()
        assert _loads(round_id) == {first.id: 25, second.id: 25}
        assert db.session.scalar(select(Assignment.user_id).where(Assignment.team_id == team_id)) == second.id
        # both changed assignments are announced: the entry handed on, and the one moved to even the loads
        moved = db.session.scalars(select(Assignment).where(Assignment.id.in_(sent))).all()
        assert sorted((a.user_id, a.team_id == team_id) for a in moved) == sorted([(second.id, True), (first.id, False)])


def test_scored_assignments_never_move_to_even_the_loads(app, make, organiser):
    round_id, (first, second) = _fifty_entries_two_judges(app, make, organiser)
    with app.app_context():
        judge, other = get(User, first.id), get(User, second.id)
        criteria = get(Round, round_id).rubric.criteria
        others = db.session.scalars(select(Assignment).where(Assignment.user_id == second.id)
                                    .order_by(Assignment.id)).all()
        for assignment in others:  # every entry of the second judge has draft scores
            services.save_scores(other, assignment, {criterion.id: 5 for criterion in criteria}, {}, utcnow())
        db.session.commit()
        scored = {(a.id, a.user_id, a.team_id) for a in others}
        leaving = db.session.scalars(select(Assignment).where(Assignment.user_id == first.id)).first()
        services.declare_conflict(judge, get(Team, leaving.team_id), judge, "همکار سابق", utcnow())
        db.session.commit()
        assert _loads(round_id) == {first.id: 24, second.id: 26}  # the best there is without moving scores
        still = {(a.id, a.user_id, a.team_id) for a in db.session.scalars(
            select(Assignment).where(Assignment.id.in_([row[0] for row in scored])))}
        assert still == scored
