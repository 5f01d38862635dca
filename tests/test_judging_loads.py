"""Judges of a round: loads stay even after a declared conflict, and "Add all judges" takes the event's judges."""
from collections import Counter

from sqlalchemy import select

from eventapp import signals
from eventapp.auth.models import User
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.events.models import Event
from eventapp.judging import services
from eventapp.judging.models import Assignment, Round
from eventapp.teams.models import Team

from . import factories
from .helpers import get, signed_in, visible


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


# --- "Add all judges": the event's judges only ---------------------------------------------------------------


def _invited_and_accepted(app, organiser, event, judge):
    """The organiser invites ``judge`` to ``event`` by email and the judge accepts through the link."""
    with app.app_context():
        token = services.invite_judge(get(User, organiser.id), get(Event, event.id), judge.email, lambda t: t, utcnow())
        db.session.commit()
    return token


def test_add_all_judges_takes_only_the_judges_who_accepted_an_invitation_to_the_event(app, make, organiser, client,
                                                                                         login):
    event, other_event = make.event(open_kind="judging"), make.event(open_kind="judging", slug="other-event")
    ours = make.user(name="داور رویداد", email="ours@example.com")  # not a judge yet: the invitation makes one
    theirs = make.user(name="داور رویداد دیگر", email="theirs@example.com", roles=["judge"])
    make.user(name="داور بی‌دعوت", email="uninvited@example.com", roles=["judge"])
    invited_only = make.user(name="داور دعوت‌شده", email="invited@example.com", roles=["judge"])
    team_id = factories.team_in(app, event.id)
    for judge, to_event in ((ours, event), (theirs, other_event), (invited_only, event)):
        token = _invited_and_accepted(app, organiser, to_event, judge)
        if judge is not invited_only:
            judge_client = app.test_client()
            signed_in(judge_client, judge)
            assert judge_client.post(f"/judging/invitations/{token}").status_code == 302
    with app.app_context():
        round_ = factories.RoundFactory(event=get(Event, event.id), kind="final")
        services.add_entries(get(User, organiser.id), round_, [team_id], utcnow())
        db.session.commit()
        round_id = round_.id
    login(organiser)
    response = client.post(f"/organiser/rounds/{round_id}/judges", follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        assert [judge.id for judge in services.judges_of(get(Round, round_id))] == [ours.id]
        assert [judge.id for judge in services.event_judges(get(Event, event.id))] == [ours.id]


def test_add_all_judges_says_so_when_the_event_has_no_judge_yet(app, make, organiser, judge, client, login):
    event = make.event(open_kind="judging")
    with app.app_context():
        round_ = factories.RoundFactory(event=get(Event, event.id), kind="final")
        db.session.commit()
        round_id = round_.id
    login(organiser)
    client.set_cookie("lang", "en")
    response = client.post(f"/organiser/rounds/{round_id}/judges", follow_redirects=True)
    assert "No judge has accepted an invitation to this event yet." in visible(response)
    with app.app_context():
        assert services.judges_of(get(Round, round_id)) == []
