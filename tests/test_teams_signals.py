"""The teams area's signals: each is sent once its change is committed, by the sender the signal names and
with its extras, and never for a change that was rolled back."""
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from eventapp import signals
from eventapp.auth.models import User
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.events.models import County, Event
from eventapp.teams import services
from eventapp.teams.enums import TeamStatus
from eventapp.teams.models import Team

from . import factories

TEAM_SIGNALS = (signals.team_registered, signals.team_decided, signals.member_joined, signals.member_left,
                signals.map_submitted, signals.map_reopened, signals.screening_selected)


@pytest.fixture
def received():
    """(signal name, sender, extras) of every teams signal delivered during the test."""
    seen = []
    receivers = []
    for signal in TEAM_SIGNALS:
        def receiver(sender, _name=signal.name, **extras):
            seen.append((_name, sender, extras))
        signal.connect(receiver)
        receivers.append((signal, receiver))
    yield seen
    for signal, receiver in receivers:
        signal.disconnect(receiver)


def get(model, id_):
    return db.session.get(model, id_)


@pytest.fixture
def world(app, make, organiser):
    """An approved team of an event in its submission phase: a leader, two members with an account, and a
    member added without one; and the organiser."""
    leader, first, second = make.user(), make.user(), make.user()
    event = make.event(open_kind="submission")
    team_id = factories.team_in(app, event.id, leader, members=[first, second], name="گروه پیام")
    return SimpleNamespace(event_id=event.id, team_id=team_id, leader=leader, members=[first, second],
                           organiser=organiser)


def _county() -> County:
    return db.session.scalars(select(County).order_by(County.id)).first()


def _new_team() -> services.TeamDetails:
    county = _county()
    return services.TeamDetails(name="گروه تازه", organisation_type="ngo", organisation_name="موسسه",
                                province_id=county.province_id, county_id=county.id,
                                contact_email="team@example.com", contact_phone="09121234567")


def _complete_draft() -> services.MapDraft:
    county = _county()
    return services.MapDraft(
        title="نقشه پیشرفت روستا", province_id=county.province_id, county_id=county.id, district="روستای نمونه",
        sections={name: f"<p>{name} متن</p>" for name in ("knowledge", "capacities", "goals", "people_role",
                                                           "sustainability")},
        indicators=[services.IndicatorRow(name="اشتغال", unit="نفر", baseline=10, target=40)],
        actions=[services.ActionRow(what="کارگاه آموزشی", responsible="گروه")],
    )


def _submitted(world, now):
    """The team's map, saved and submitted, committed (the signals of these steps are not the test's)."""
    team, leader = get(Team, world.team_id), get(User, world.leader.id)
    services.save_draft(leader, team, _complete_draft(), None, now)
    services.submit_map(leader, team, now)
    db.session.commit()
    return team


def test_registering_a_team_is_signalled_after_the_commit(app, ctx, make, member, received):
    event = get(Event, make.event(open_kind="registration").id)
    actor, now = get(User, member.id), utcnow()
    team = services.register_team(actor, event, _new_team(), now)
    assert received == []
    db.session.commit()
    assert received == [("team-registered", team, {"actor": actor, "now": now})]


def test_a_registration_rolled_back_sends_no_signal(ctx, make, member, received):
    event = get(Event, make.event(open_kind="registration").id)
    services.register_team(get(User, member.id), event, _new_team(), utcnow())
    db.session.rollback()
    db.session.commit()
    assert received == []


def test_a_decision_is_signalled_with_the_new_status_and_the_reason(ctx, world, received):
    team, organiser, now = get(Team, world.team_id), get(User, world.organiser.id), utcnow()
    services.decide_team(organiser, team, "rejected", "مدارک ناقص است", now)
    assert received == []
    db.session.commit()
    assert received == [("team-decided", team, {"actor": organiser, "now": now, "status": TeamStatus.REJECTED,
                                                "reason": "مدارک ناقص است"})]


def test_a_decision_that_changes_nothing_sends_nothing(ctx, world, received):
    services.decide_team(get(User, world.organiser.id), get(Team, world.team_id), "approved", "", utcnow())
    db.session.commit()
    assert received == []


def test_a_member_added_without_an_account_is_signalled_as_joined(ctx, world, received):
    team, leader, now = get(Team, world.team_id), get(User, world.leader.id), utcnow()
    member = services.add_member_without_account(leader, team, "بی حساب", "09131112233", "", now)
    assert received == []
    db.session.commit()
    assert received == [("member-joined", team, {"actor": leader, "now": now, "member": member})]


def test_an_accepted_invitation_is_signalled_as_joined(app, ctx, make, world, received):
    team, leader, now = get(Team, world.team_id), get(User, world.leader.id), utcnow()
    invitee = get(User, make.user(email="invitee@example.com").id)
    tokens = []
    services.invite_member(leader, team, invitee.email, now, lambda token: tokens.append(token) or token)
    db.session.commit()
    services.accept_invitation(invitee, tokens[0], now + timedelta(minutes=5))
    assert received == []
    db.session.commit()
    [(name, sender, extras)] = received
    assert (name, sender) == ("member-joined", team)
    assert extras == {"actor": invitee, "now": now + timedelta(minutes=5), "member": team.member_for(invitee)}


def test_a_removed_member_is_signalled_as_left_with_their_name(ctx, world, received):
    team, leader, now = get(Team, world.team_id), get(User, world.leader.id), utcnow()
    removed = team.member_for(get(User, world.members[0].id))
    services.remove_member(leader, team, removed.id, now)
    assert received == []
    db.session.commit()
    assert received == [("member-left", team, {"actor": leader, "now": now, "name": world.members[0].name})]


def test_a_member_who_leaves_is_signalled_as_left_with_their_name(ctx, world, received):
    team, leaving, now = get(Team, world.team_id), get(User, world.members[1].id), utcnow()
    services.leave_team(leaving, team, now)
    db.session.commit()
    assert received == [("member-left", team, {"actor": leaving, "now": now, "name": world.members[1].name})]


def test_a_submitted_map_is_signalled_with_the_map_as_sender(ctx, world, received):
    team, leader, now = get(Team, world.team_id), get(User, world.leader.id), utcnow()
    progress_map = services.save_draft(leader, team, _complete_draft(), None, now)
    db.session.commit()
    services.submit_map(leader, team, now)
    assert received == []
    db.session.commit()
    assert received == [("map-submitted", progress_map, {"actor": leader, "now": now})]


def test_a_reopened_map_is_signalled_with_the_map_as_sender(ctx, world, received):
    now = utcnow()
    team = _submitted(world, now)
    received.clear()
    organiser = get(User, world.organiser.id)
    services.reopen_map(organiser, team, now + timedelta(hours=1))
    assert received == []
    db.session.commit()
    assert received == [("map-reopened", services.map_of(team),
                         {"actor": organiser, "now": now + timedelta(hours=1)})]


@pytest.mark.parametrize("selected", [True, False])
def test_a_selection_in_screening_is_signalled_by_the_event(app, ctx, world, received, selected):
    team, organiser, now = get(Team, world.team_id), get(User, world.organiser.id), utcnow()
    if not selected:
        team.screening_selected = True
        db.session.commit()
    services.set_screening_selected(organiser, [team], selected, now)
    assert received == []
    db.session.commit()
    assert received == [("screening-selected", team.event,
                         {"actor": organiser, "now": now, "team_ids": [team.id], "selected": selected})]


ROLLED_BACK = {
    "decide": lambda w, team, now: services.decide_team(get(User, w.organiser.id), team, "pending", "", now),
    "add a member": lambda w, team, now: services.add_member_without_account(
        get(User, w.leader.id), team, "بی حساب", "09131112233", "", now),
    "remove a member": lambda w, team, now: services.remove_member(
        get(User, w.leader.id), team, team.member_for(get(User, w.members[0].id)).id, now),
    "leave": lambda w, team, now: services.leave_team(get(User, w.members[1].id), team, now),
    "submit": lambda w, team, now: (services.save_draft(get(User, w.leader.id), team, _complete_draft(), None, now),
                                    services.submit_map(get(User, w.leader.id), team, now)),
    "select in screening": lambda w, team, now: services.set_screening_selected(
        get(User, w.organiser.id), [team], True, now),
}


@pytest.mark.parametrize("operation", ROLLED_BACK.values(), ids=ROLLED_BACK.keys())
def test_a_rolled_back_change_sends_no_signal(ctx, world, received, operation):
    operation(world, get(Team, world.team_id), utcnow())
    db.session.rollback()
    db.session.commit()
    assert received == []


def test_a_reopening_rolled_back_sends_no_signal(ctx, world, received):
    team = _submitted(world, utcnow())
    received.clear()
    services.reopen_map(get(User, world.organiser.id), team, utcnow())
    db.session.rollback()
    db.session.commit()
    assert received == []
