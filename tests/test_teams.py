"""Teams: registration, members and invitations, leadership, withdrawal, the organisers' decisions,
lists and exports, the team's dashboard, and who may reach which page or action of the teams area."""
import csv
import io
import re
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import url_for
from openpyxl import load_workbook
from sqlalchemy import select, text

from eventapp.audit.models import AuditEntry
from eventapp.auth.models import User
from eventapp.core.database import utcnow
from eventapp.core.errors import Conflict, DeadlinePassed, DomainError, Invalid
from eventapp.core.extensions import db
from eventapp.core.i18n import format_datetime
from eventapp.events.models import County, Event
from eventapp.teams import services
from eventapp.teams.models import Invitation, ProgressMap, Team, TeamMember, TeamStatusChange

from . import factories
from .helpers import get, page_text, places, sign_in

SECOND = timedelta(seconds=1)
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# --- helpers ---------------------------------------------------------------------------------------

def team_form(app, **overrides) -> dict:
    place = places(app)
    return {
        "name": "گروه جهادي كوثر ۱۴۰۵", "organisation_type": "jihadi", "organisation_name": "بسيج دانشجويي",
        "province": str(place.province), "county": str(place.county), "introduction": "گروهی از دانشجويان",
        "contact_email": "team@example.com", "contact_phone": "۰۹۱۲ ۳۴۵ ۶۷۸۹", **overrides,
    }


def details(app, **overrides) -> services.TeamDetails:
    place = places(app)
    values = {"name": "گروه نمونه", "organisation_type": "ngo", "organisation_name": "موسسه مردمی",
                  "province_id": place.province, "county_id": place.county, "contact_email": "team@example.com",
                  "contact_phone": "09121234567"}
    return services.TeamDetails(**{**values, **overrides})


def team_row(app, team_id) -> SimpleNamespace:
    """What the database holds about a team, read in a fresh context."""
    with app.app_context():
        team = get(Team, team_id)
        return SimpleNamespace(
            status=team.status, reason=team.status_reason, name=team.name,
            members=[(m.user_id, m.name, m.is_leader) for m in team.members],
            leader_user_id=team.leader.user_id if team.leader else None,
        )


def flashed(client) -> str:
    """The messages a redirect left for the next page, read on the user's list of teams."""
    return page_text(client.get("/teams"))


def invitation_link(message) -> str:
    body = message.get_content()
    return next(word for word in body.split() if "/invitations/" in word)


def audit_actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


# --- registration ----------------------------------------------------------------------------------

def test_a_signed_in_user_registers_a_team_and_becomes_its_pending_leader(app, make, login, member):
    event = make.event(open_kind="registration")
    client = login(member)
    response = client.post(f"/events/{event.slug}/register", data=team_form(app))
    assert response.status_code == 302
    with app.app_context():
        team = db.session.scalar(select(Team))
        assert urlsplit(response.headers["Location"]).path == f"/teams/{team.id}"
        # Arabic ي and ك made Persian, Persian digits made Latin, spaces folded.
        assert team.name == "گروه جهادی کوثر 1405"
        assert team.organisation_name == "بسیج دانشجویی"
        assert team.contact_phone == "09123456789"
        assert team.status == "pending"
        assert team.event_id == event.id
        assert [(m.user_id, m.is_leader) for m in team.members] == [(member.id, True)]
        assert [change.status for change in services.status_history(team)] == ["pending"]
    assert "team.registered" in audit_actions(app)


def test_registration_is_refused_one_second_after_the_registration_phase_ends(app, ctx, make, member):
    event_id = make.event(open_kind="registration").id
    event, actor = get(Event, event_id), get(User, member.id)
    with pytest.raises(DeadlinePassed):
        services.register_team(actor, event, details(app), event.phase_end("registration") + SECOND)
    assert db.session.scalar(select(Team)) is None


def test_registration_is_accepted_at_the_last_second_of_the_registration_phase(app, ctx, make, member):
    event_id = make.event(open_kind="registration").id
    event, actor = get(Event, event_id), get(User, member.id)
    team = services.register_team(actor, event, details(app), event.phase_end("registration"))
    assert team.leader.user_id == member.id


def test_the_registration_page_says_registration_is_closed_after_the_phase(app, make, login, member):
    event = make.event(open_kind="submission")
    client = login(member)
    client.set_cookie("lang", "en")
    response = client.post(f"/events/{event.slug}/register", data=team_form(app))
    assert response.status_code == 302
    assert "Registration for this event is closed." in page_text(client.get(response.headers["Location"]))
    with app.app_context():
        assert db.session.scalar(select(Team)) is None


def test_the_county_must_belong_to_the_chosen_province(app, make, login, member):
    event = make.event(open_kind="registration")
    place = places(app)
    client = login(member)
    client.set_cookie("lang", "en")
    response = client.post(f"/events/{event.slug}/register",
                           data=team_form(app, county=str(place.other_county)))
    assert response.status_code == 422
    assert "Choose a county of the chosen province." in page_text(response)
    with app.app_context():
        assert db.session.scalar(select(Team)) is None


def _province_options(html: str) -> set[str]:
    select_html = html.split('name="province"', 1)[1].split("</select>", 1)[0]
    return {value for value in re.findall(r'<option[^>]*value="(\d+)"', select_html) if value != "0"}


def test_a_provincial_event_offers_only_its_province_and_its_counties(app, make, login, member):
    place = places(app)
    event = make.event(open_kind="registration", scope="provincial", province_id=place.province)
    client = login(member)
    html = client.get(f"/events/{event.slug}/register").get_data(as_text=True)
    assert _province_options(html) == {str(place.province)}
    assert f'data-province="{place.other_province}"' not in html
    assert f'data-province="{place.province}"' in html
    national = make.event(open_kind="registration")
    assert len(_province_options(client.get(f"/events/{national.slug}/register").get_data(as_text=True))) == 31


def test_a_provincial_event_refuses_a_team_of_another_province(app, make, login, member):
    place = places(app)
    event = make.event(open_kind="registration", scope="provincial", province_id=place.province)
    client = login(member)
    response = client.post(f"/events/{event.slug}/register", data=team_form(
        app, province=str(place.other_province), county=str(place.other_county)))
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Team)) is None
    assert client.post(f"/events/{event.slug}/register", data=team_form(app)).status_code == 302


def test_the_province_rule_of_a_provincial_event_is_the_services(app, ctx, make, member):
    place = places(app)
    event_id = make.event(open_kind="registration", scope="provincial", province_id=place.province).id
    event, actor = get(Event, event_id), get(User, member.id)
    with pytest.raises(Invalid) as refused:
        services.register_team(actor, event, details(app, province_id=place.other_province,
                                                     county_id=place.other_county), utcnow())
    assert "province" in refused.value.fields
    assert services.register_team(actor, event, details(app), utcnow()).province_id == place.province


def test_a_team_is_told_that_its_map_opens_once_it_is_approved(app, make, login, member):
    event = make.event(open_kind="registration")
    client = login(member)
    client.set_cookie("lang", "en")
    assert "Once they approve your team, it can write its progress map" in page_text(
        client.get(f"/events/{event.slug}/register"))
    response = client.post(f"/events/{event.slug}/register", data=team_form(app), follow_redirects=True)
    text = page_text(response)
    assert "once they approve it, your team can write its progress map." in text
    assert "Your team can write its progress map once the organisers approve it." in text


def test_a_team_name_is_taken_however_its_letters_and_digits_were_typed(app, ctx, make, member):
    event_id = make.event(open_kind="registration").id
    factories.team_in(app, event_id, make.user(), name="گروه کوثر 1405")
    event, actor = get(Event, event_id), get(User, member.id)
    with pytest.raises(Invalid) as refused:
        services.register_team(actor, event, details(app, name="گروه كوثر ۱۴۰۵"), utcnow())
    assert "name" in refused.value.fields


def test_a_person_cannot_register_a_second_team_in_the_same_event(app, ctx, make, member):
    event_id = make.event(open_kind="registration").id
    factories.team_in(app, event_id, member, status="pending", name="گروه اول")
    event, actor = get(Event, event_id), get(User, member.id)
    with pytest.raises(Conflict):
        services.register_team(actor, event, details(app, name="گروه دوم"), utcnow())
    assert db.session.scalar(select(Team.id).where(Team.name == "گروه دوم")) is None


def test_the_registration_page_sends_a_member_of_a_team_to_that_team(app, make, login, member):
    event = make.event(open_kind="registration")
    team_id = factories.team_in(app, event.id, make.user(), members=[member], name="گروه اول")
    client = login(member)
    response = client.post(f"/events/{event.slug}/register", data=team_form(app, name="گروه دوم"))
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/teams/{team_id}"
    with app.app_context():
        assert db.session.scalar(select(Team.id).where(Team.name == "گروه دوم")) is None


def test_a_person_may_lead_teams_in_different_events(app, ctx, make, member):
    first, second = make.event(open_kind="registration"), make.event(open_kind="registration")
    factories.team_in(app, first.id, member, name="گروه اول")
    team = services.register_team(get(User, member.id), get(Event, second.id), details(app), utcnow())
    assert team.event_id == second.id


# --- invitations ---------------------------------------------------------------------------------------

@pytest.fixture
def invited(app, make, outbox):
    """A team in registration with a leader, and an invitation emailed to invitee@example.com."""
    leader = make.user(name="لیلا رهبر", email="leader@example.com")
    invitee = make.user(name="ایمان دعوتی", email="invitee@example.com")
    event = make.event(open_kind="registration")
    team_id = factories.team_in(app, event.id, leader, name="گروه دعوت")
    tokens = []
    with app.app_context():
        invitation = services.invite_member(get(User, leader.id), get(Team, team_id), "invitee@example.com",
                                            utcnow(), lambda token: tokens.append(token) or f"/x/{token}")
        db.session.commit()
        invitation_id = invitation.id
    outbox.clear()
    return SimpleNamespace(leader=leader, invitee=invitee, event=event, team_id=team_id, token=tokens[0],
                           path=f"/invitations/{tokens[0]}", invitation_id=invitation_id)


def test_an_emailed_invitation_lets_the_invitee_join_once_signed_in(app, make, client_for, outbox):
    leader = make.user(name="لیلا رهبر", email="leader@example.com")
    invitee = make.user(name="ایمان دعوتی", email="invitee@example.com")
    event = make.event(open_kind="registration")
    team_id = factories.team_in(app, event.id, leader, name="گروه دعوت")

    response = client_for(leader).post(f"/teams/{team_id}/invitations", data={"email": "Invitee@Example.com"})
    assert response.status_code == 302
    [message] = outbox
    assert message["To"] == "invitee@example.com"
    path = urlsplit(invitation_link(message)).path

    guest = client_for(invitee)
    assert "گروه دعوت" in page_text(guest.get(path))
    response = guest.post(path)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/teams/{team_id}"
    assert (invitee.id, invitee.name, False) in team_row(app, team_id).members
    assert "team.member_joined" in audit_actions(app)


def test_an_anonymous_visitor_of_an_invitation_is_sent_to_sign_in_and_back(client, invited):
    response = client.get(invited.path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/signin"
    assert parse_qs(location.query)["next"] == [invited.path]


def test_an_invitation_can_be_used_only_once(app, client_for, invited):
    guest = client_for(invited.invitee)
    assert guest.post(invited.path).status_code == 302
    guest.set_cookie("lang", "en")
    response = guest.post(invited.path)
    assert response.status_code == 302
    assert "This invitation is invalid, was already used, was cancelled or has expired." in flashed(guest)
    assert [m for m in team_row(app, invited.team_id).members if m[0] == invited.invitee.id] == [
        (invited.invitee.id, invited.invitee.name, False)]


def test_an_expired_invitation_is_refused(app, ctx, invited):
    invitation = get(Invitation, invited.invitation_id)
    with pytest.raises(Invalid):
        services.accept_invitation(get(User, invited.invitee.id), invited.token, invitation.expires_at)
    assert get(Team, invited.team_id).member_for(get(User, invited.invitee.id)) is None


def test_a_cancelled_invitation_is_refused(app, client_for, invited):
    leader = client_for(invited.leader)
    response = leader.post(f"/teams/{invited.team_id}/invitations/{invited.invitation_id}/cancel")
    assert response.status_code == 302
    guest = client_for(invited.invitee)
    guest.set_cookie("lang", "en")
    guest.post(invited.path)
    assert "This invitation is invalid, was already used, was cancelled or has expired." in flashed(guest)
    assert invited.invitee.id not in [m[0] for m in team_row(app, invited.team_id).members]


def test_an_invitation_is_refused_to_someone_signed_in_with_another_email(app, make, client_for, invited):
    stranger = make.user(email="stranger@example.com")
    client = client_for(stranger)
    client.set_cookie("lang", "en")
    response = client.post(invited.path)
    assert response.status_code == 403
    assert "This invitation was sent to invitee@example.com." in page_text(response)
    assert stranger.id not in [m[0] for m in team_row(app, invited.team_id).members]
    with app.app_context():
        assert get(Invitation, invited.invitation_id).accepted_at is None


def test_an_invitation_is_refused_to_someone_already_in_another_team_of_the_event(app, ctx, make, invited):
    factories.team_in(app, invited.event.id, make.user(), members=[invited.invitee], name="گروه دیگر")
    with pytest.raises(Conflict):
        services.accept_invitation(get(User, invited.invitee.id), invited.token, utcnow())
    assert get(Invitation, invited.invitation_id).accepted_at is None


# --- team size ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["invitation", "member without an account"])
def test_the_largest_team_size_counts_open_invitations(app, make, client_for, outbox, how):
    leader = make.user(email="leader@example.com")
    event = make.event(open_kind="registration", min_team_size=1, max_team_size=3)
    team_id = factories.team_in(app, event.id, leader, members=[make.user()], name="گروه پر")
    client = client_for(leader)
    client.set_cookie("lang", "en")
    assert client.post(f"/teams/{team_id}/invitations", data={"email": "third@example.com"}).status_code == 302
    assert len(outbox) == 1  # two members and one open invitation: the team is full

    if how == "invitation":
        client.post(f"/teams/{team_id}/invitations", data={"email": "fourth@example.com"})
    else:
        client.post(f"/teams/{team_id}/members", data={"name": "چهارمی", "mobile": "09130000004"})
    assert "The team is full: an event allows at most 3 members, invitations included." in flashed(client)
    assert len(outbox) == 1
    assert len(team_row(app, team_id).members) == 2
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Invitation)) == 1


def test_a_cancelled_invitation_frees_its_place(app, ctx, make):
    leader = make.user()
    event = make.event(open_kind="registration", min_team_size=1, max_team_size=2)
    team_id = factories.team_in(app, event.id, leader, name="گروه دو نفره")
    team, actor, now = get(Team, team_id), get(User, leader.id), utcnow()
    invitation = services.invite_member(actor, team, "a@example.com", now, lambda token: token)
    with pytest.raises(Conflict):
        services.add_member_without_account(actor, team, "دومی", "09130000002", "", now)
    services.cancel_invitation(actor, team, invitation.id, now)
    member = services.add_member_without_account(actor, team, "دومی", "09130000002", "", now)
    assert member in team.members


# --- members without an account -------------------------------------------------------------------------

def test_the_leader_adds_a_member_without_an_account(app, make, client_for):
    leader = make.user()
    event = make.event(open_kind="registration")
    team_id = factories.team_in(app, event.id, leader, name="گروه")
    response = client_for(leader).post(f"/teams/{team_id}/members", data={
        "name": "علي  كريمي", "mobile": "۰۹۱۳ ۱۲۳ ۴۵۶۷", "national_id": "۰۴۹۹۳۷۰۸۹۹"})
    assert response.status_code == 302
    with app.app_context():
        added = db.session.scalar(select(TeamMember).where(TeamMember.user_id.is_(None)))
        assert (added.team_id, added.name, added.mobile, added.national_id, added.is_leader) == (
            team_id, "علی کریمی", "09131234567", "0499370899", False)
    assert "team.member_added" in audit_actions(app)


@pytest.mark.parametrize("national_id, accepted", [
    ("0499370899", True),
    ("۰۴۹۹۳۷۰۸۹۹", True),      # Persian digits
    ("", True),                # optional
    ("0499370898", False),     # wrong check digit
    ("1111111111", False),     # one digit repeated
    ("049937089", False),      # nine digits
    ("04993708990", False),    # eleven digits
])
def test_the_national_id_of_a_member_without_an_account_is_checked(app, ctx, make, national_id, accepted):
    leader = make.user()
    event = make.event(open_kind="registration")
    team = get(Team, factories.team_in(app, event.id, leader, name="گروه"))
    add = lambda: services.add_member_without_account(  # noqa: E731
        get(User, leader.id), team, "سارا", "09131112233", national_id, utcnow())
    if accepted:
        assert add().name == "سارا"
    else:
        with pytest.raises(Invalid) as refused:
            add()
        assert set(refused.value.fields) == {"national_id"}
        assert len(team.members) == 1


def test_an_invalid_national_id_is_refused_with_a_clear_message(app, make, client_for):
    leader = make.user()
    event = make.event(open_kind="registration")
    team_id = factories.team_in(app, event.id, leader, name="گروه")
    client = client_for(leader)
    client.set_cookie("lang", "en")
    client.post(f"/teams/{team_id}/members", data={"name": "سارا", "mobile": "09131112233",
                                                   "national_id": "0499370898"})
    text_ = page_text(client.get(f"/teams/{team_id}"))
    assert "The member was not added: correct the marked fields." in text_
    assert len(team_row(app, team_id).members) == 1


@pytest.mark.parametrize("mobile, national_id", [
    ("۰۹۱۳۱۱۱۲۲۳۳", ""),                 # the mobile of a member without an account of team B
    ("09139998877", "0499370899"),        # the national ID of that member
    ("09125550000", ""),                 # the mobile of a member with an account of team B
])
def test_a_person_already_in_a_team_of_the_event_cannot_be_added_to_another(app, ctx, make, mobile, national_id):
    event_id = make.event(open_kind="registration").id
    leader_a, leader_b = make.user(), make.user()
    team_a = get(Team, factories.team_in(app, event_id, leader_a, name="گروه الف"))
    team_b_id = factories.team_in(app, event_id, leader_b, members=[make.user(mobile="09125550000")],
                                  name="گروه ب")
    services.add_member_without_account(get(User, leader_b.id), get(Team, team_b_id), "سارا", "09131112233",
                                        "0499370899", utcnow())
    db.session.commit()
    with pytest.raises(Conflict):
        services.add_member_without_account(get(User, leader_a.id), team_a, "سارا", mobile, national_id, utcnow())
    assert len(team_a.members) == 1


@pytest.mark.parametrize("how", ["accepting an invitation", "registering a team"])
def test_a_person_added_without_an_account_cannot_join_another_team_of_the_event_with_one(app, ctx, make, how):
    event = make.event(open_kind="registration")
    leader_a, leader_b = make.user(), make.user()
    person = make.user(name="سارا", mobile="09131112233", email="sara@example.com")
    team_a = get(Team, factories.team_in(app, event.id, leader_a, name="گروه الف"))
    team_b = get(Team, factories.team_in(app, event.id, leader_b, name="گروه ب"))
    services.add_member_without_account(get(User, leader_b.id), team_b, "سارا", "09131112233", "", utcnow())
    tokens = []
    services.invite_member(get(User, leader_a.id), team_a, person.email, utcnow(), tokens.append)
    db.session.commit()
    with pytest.raises(Conflict):
        if how == "accepting an invitation":
            services.accept_invitation(get(User, person.id), tokens[0], utcnow())
        else:
            services.register_team(get(User, person.id), get(Event, event.id), details(app, name="گروه ج"), utcnow())


def test_the_same_person_may_be_added_to_a_team_of_another_event(app, ctx, make):
    first, second = make.event(open_kind="registration").id, make.event(open_kind="registration").id
    leader_a, leader_b = make.user(), make.user()
    team_a = get(Team, factories.team_in(app, first, leader_a, name="گروه الف"))
    team_b = get(Team, factories.team_in(app, second, leader_b, name="گروه ب"))
    services.add_member_without_account(get(User, leader_a.id), team_a, "سارا", "09131112233", "0499370899",
                                        utcnow())
    added = services.add_member_without_account(get(User, leader_b.id), team_b, "سارا", "09131112233",
                                                "0499370899", utcnow())
    assert added in team_b.members


# --- leadership, leaving, withdrawing ----------------------------------------------------------------------

def test_the_leader_hands_leadership_to_a_member_with_an_account(app, make, client_for):
    leader, other = make.user(), make.user()
    event = make.event(open_kind="registration")
    team_id = factories.team_in(app, event.id, leader, members=[other], name="گروه")
    with app.app_context():
        member_id = get(Team, team_id).member_for(get(User, other.id)).id
    response = client_for(leader).post(f"/teams/{team_id}/members/{member_id}/lead")
    assert response.status_code == 302
    row = team_row(app, team_id)
    assert row.leader_user_id == other.id
    assert [m for m in row.members if m[2]] == [(other.id, other.name, True)]
    assert "team.leader_changed" in audit_actions(app)


def test_leadership_cannot_go_to_a_member_without_an_account(app, make, client_for):
    leader = make.user()
    event = make.event(open_kind="registration")
    team_id = factories.team_in(app, event.id, leader, name="گروه")
    with app.app_context():
        plain = services.add_member_without_account(get(User, leader.id), get(Team, team_id), "بی حساب",
                                                    "09131112233", "", utcnow())
        db.session.commit()
        plain_id = plain.id
    client = client_for(leader)
    client.set_cookie("lang", "en")
    client.post(f"/teams/{team_id}/members/{plain_id}/lead")
    assert "Only a member with an account can lead the team." in flashed(client)
    assert team_row(app, team_id).leader_user_id == leader.id


def test_a_member_leaves_the_team(app, make, client_for):
    leader, other = make.user(), make.user()
    event = make.event(open_kind="registration")
    team_id = factories.team_in(app, event.id, leader, members=[other], name="گروه")
    response = client_for(other).post(f"/teams/{team_id}/leave")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/teams"
    assert [m[0] for m in team_row(app, team_id).members] == [leader.id]
    assert "team.member_left" in audit_actions(app)


def test_the_leader_cannot_leave_the_team(app, make, client_for):
    leader = make.user()
    event = make.event(open_kind="registration")
    team_id = factories.team_in(app, event.id, leader, members=[make.user()], name="گروه")
    client = client_for(leader)
    client.set_cookie("lang", "en")
    response = client.post(f"/teams/{team_id}/leave")
    assert urlsplit(response.headers["Location"]).path == f"/teams/{team_id}"
    assert "The leader cannot leave. Hand the leadership to another member, or withdraw the team." in flashed(client)
    assert team_row(app, team_id).leader_user_id == leader.id


def test_the_team_withdraws_and_its_history_shows_it_with_its_date(app, make, client_for):
    leader = make.user()
    event = make.event(open_kind="registration")
    team_id = factories.team_in(app, event.id, leader, status="pending", name="گروه")
    client = client_for(leader)
    client.set_cookie("lang", "en")
    response = client.post(f"/teams/{team_id}/withdraw", data={"reason": "اعضا در دسترس نيستند"})
    assert response.status_code == 302
    row = team_row(app, team_id)
    assert (row.status, row.reason) == ("withdrawn", "اعضا در دسترس نیستند")
    with app.app_context():
        change = db.session.scalar(select(TeamStatusChange).where(TeamStatusChange.team_id == team_id))
        assert (change.status, change.by_id) == ("withdrawn", leader.id)
        at = change.at
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        shown = format_datetime(at)
    page = client.get(f"/teams/{team_id}").get_data(as_text=True)
    history = re.search(r"<h2>Status history</h2>(.*?)</section>", page, re.S).group(1)
    assert re.search(r"Withdrawn</span>\s*<span[^>]*>" + re.escape(shown), history)


def _withdrawn_team(app, make):
    leader, other = make.user(), make.user()
    organiser = make.user(roles=["organiser"])
    event_id = make.event(open_kind="submission").id
    team_id = factories.team_in(app, event_id, leader, members=[other], name="گروه کناره")
    with app.app_context():
        actor = get(User, leader.id)
        team = get(Team, team_id)
        plain = services.add_member_without_account(actor, team, "بی حساب", "09131112233", "", utcnow())
        services.withdraw_team(actor, team, "", utcnow())
        db.session.commit()
        return SimpleNamespace(leader=leader, other=other, organiser=organiser, team_id=team_id, plain_id=plain.id)


AFTER_WITHDRAWAL = {
    "edit the details": lambda w, team, now: services.update_team(get(User, w.leader.id), team, w.details, now),
    "invite": lambda w, team, now: services.invite_member(get(User, w.leader.id), team, "new@example.com", now,
                                                          lambda token: token),
    "add a member": lambda w, team, now: services.add_member_without_account(
        get(User, w.leader.id), team, "تازه", "09139990000", "", now),
    "hand leadership": lambda w, team, now: services.transfer_leadership(
        get(User, w.leader.id), team, team.member_for(get(User, w.other.id)).id, now),
    "withdraw again": lambda w, team, now: services.withdraw_team(get(User, w.leader.id), team, "", now),
    "organiser approves": lambda w, team, now: services.decide_team(get(User, w.organiser.id), team, "approved",
                                                                    "", now),
    "save the map": lambda w, team, now: services.save_draft(get(User, w.other.id), team,
                                                             services.MapDraft(title="نقشه"), None, now),
    "remove a member": lambda w, team, now: services.remove_member(get(User, w.leader.id), team, w.plain_id, now),
}


@pytest.mark.parametrize("operation", list(AFTER_WITHDRAWAL))
def test_nothing_more_can_change_once_the_team_withdrew(app, make, operation):
    world = _withdrawn_team(app, make)
    world.details = details(app, name="نام تازه")
    before = team_row(app, world.team_id)
    with app.app_context():
        with pytest.raises(DomainError):
            AFTER_WITHDRAWAL[operation](world, get(Team, world.team_id), utcnow())
            db.session.flush()
        db.session.rollback()
    assert team_row(app, world.team_id) == before
    with app.app_context():
        assert db.session.scalar(select(ProgressMap)) is None


def test_anyone_may_leave_a_withdrawn_team_and_join_another(app, make):
    """A withdrawn team keeps its record, but its people are free: the leader too can leave it."""
    world = _withdrawn_team(app, make)
    with app.app_context():
        team = get(Team, world.team_id)
        services.leave_team(get(User, world.other.id), team, utcnow())
        services.leave_team(get(User, world.leader.id), team, utcnow())
        db.session.commit()
        leader = get(User, world.leader.id)
        assert services.team_in_event(leader, team.event) is None
        assert [member.name for member in get(Team, world.team_id).members] == ["بی حساب"]


# --- organisers' decisions -------------------------------------------------------------------------------

def test_an_organiser_approves_a_team(app, make, organiser, client_for):
    event = make.event(open_kind="registration")
    team_id = factories.team_in(app, event.id, make.user(), status="pending", name="گروه")
    response = client_for(organiser).post(f"/organiser/teams/{team_id}/decision", data={"status": "approved"})
    assert response.status_code == 302
    assert team_row(app, team_id).status == "approved"
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "team.status_changed"))
        assert (entry.actor_id, entry.target_id, entry.changes["status"]) == (organiser.id, team_id,
                                                                             ["pending", "approved"])


def test_a_rejection_needs_a_reason(app, make, organiser, client_for):
    event = make.event(open_kind="registration")
    team_id = factories.team_in(app, event.id, make.user(), status="pending", name="گروه")
    client = client_for(organiser)
    client.set_cookie("lang", "en")
    client.post(f"/organiser/teams/{team_id}/decision", data={"status": "rejected", "reason": "  "})
    assert "Say why the team is rejected: the team will read it." in page_text(
        client.get(f"/organiser/events/{event.id}/teams"))
    assert team_row(app, team_id).status == "pending"
    assert "team.status_changed" not in audit_actions(app)


def test_the_team_reads_the_reason_of_its_rejection_with_its_date(app, make, organiser, client_for):
    leader = make.user()
    event = make.event(open_kind="registration")
    team_id = factories.team_in(app, event.id, leader, status="pending", name="گروه")
    client_for(organiser).post(f"/organiser/teams/{team_id}/decision",
                               data={"status": "rejected", "reason": "معرفي‌نامه ناقص است"})
    with app.app_context():
        at = db.session.scalar(select(TeamStatusChange.at).where(TeamStatusChange.status == "rejected"))
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        shown = format_datetime(at)
    team_client = client_for(leader)
    team_client.set_cookie("lang", "en")
    text_ = page_text(team_client.get(f"/teams/{team_id}"))
    assert "Reason: معرفی‌نامه ناقص است" in text_
    assert f"Rejected {shown} معرفی‌نامه ناقص است" in text_


def test_every_change_of_status_is_in_the_audit_log_and_the_team_history(app, ctx, make, organiser, member):
    event = get(Event, make.event(open_kind="registration").id)
    actor, boss, now = get(User, member.id), get(User, organiser.id), utcnow()
    team = services.register_team(actor, event, details(app), now)
    services.decide_team(boss, team, "rejected", "ناقص", now + SECOND)
    services.decide_team(boss, team, "pending", "", now + 2 * SECOND)
    services.decide_team(boss, team, "approved", "", now + 3 * SECOND)
    services.withdraw_team(actor, team, "", now + 4 * SECOND)
    db.session.commit()
    assert [(c.status, c.at) for c in services.status_history(team)] == [
        ("pending", now), ("rejected", now + SECOND), ("pending", now + 2 * SECOND),
        ("approved", now + 3 * SECOND), ("withdrawn", now + 4 * SECOND)]
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.target_id == team.id,
                                                          AuditEntry.target_type == "Team")
                                 .order_by(AuditEntry.id)).all()
    assert [(e.action, e.actor_id, e.changes.get("status")) for e in entries] == [
        ("team.registered", member.id, None),
        ("team.status_changed", organiser.id, ["pending", "rejected"]),
        ("team.status_changed", organiser.id, ["rejected", "pending"]),
        ("team.status_changed", organiser.id, ["pending", "approved"]),
        ("team.status_changed", member.id, ["approved", "withdrawn"]),
    ]


def test_the_audit_log_dates_each_change_with_the_moment_the_service_was_given(app, ctx, make, organiser, member):
    event = get(Event, make.event(open_kind="registration").id)
    actor, boss, other = get(User, member.id), get(User, organiser.id), get(User, make.user().id)
    now = utcnow() - timedelta(hours=1)
    team = services.register_team(actor, event, details(app), now)
    services.update_team(actor, team, details(app, name="گروه تازه"), now + SECOND)
    services.decide_team(boss, team, "approved", "", now + 2 * SECOND)
    services.set_screening_selected(boss, [team], True, now + 3 * SECOND)
    team.members.append(TeamMember(event_id=event.id, user_id=other.id, name=other.name, mobile=other.mobile))
    db.session.flush()
    services.transfer_leadership(actor, team, team.member_for(other).id, now + 4 * SECOND)
    db.session.commit()
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(entry.action, entry.at) for entry in entries] == [
        ("team.registered", now), ("team.updated", now + SECOND), ("team.status_changed", now + 2 * SECOND),
        ("team.screening_selected", now + 3 * SECOND), ("team.leader_changed", now + 4 * SECOND)]


def test_a_decision_never_redirects_to_another_site(app, make, organiser, client_for):
    event = make.event(open_kind="registration")
    team_id = factories.team_in(app, event.id, make.user(), status="pending", name="گروه")
    response = client_for(organiser).post(f"/organiser/teams/{team_id}/decision",
                                          data={"status": "approved", "next": "//evil.example/"})
    assert "evil" not in response.headers["Location"]
    assert team_row(app, team_id).status == "approved"


# --- the organisers' list, its search and its exports ------------------------------------------------------

def _move(app, team_id, county_id):
    with app.app_context():
        team = get(Team, team_id)
        team.county_id = county_id
        team.province_id = get(County, county_id).province_id
        db.session.commit()


@pytest.fixture
def listed(app, make):
    """Three teams of one event (and one of another event) for the organisers' list."""
    place = places(app)
    event = make.event(open_kind="registration")
    kowsar = factories.team_in(app, event.id, make.user(name="علی رضایی"), name="گروه کوثر 1405",
                               organisation_type="jihadi", status="approved")
    yas = factories.team_in(app, event.id, make.user(name="مریم احمدی"), name="انجمن یاس",
                            organisation_type="student", status="pending")
    noor = factories.team_in(app, event.id, make.user(name="حسین کاظمی"), name="موسسه نور",
                             organisation_type="ngo", status="rejected")
    _move(app, yas, place.other_county)
    elsewhere = factories.team_in(app, make.event().id, make.user(), name="گروه کوثر دیگر")
    return SimpleNamespace(event=event, place=place, ids={"kowsar": kowsar, "yas": yas, "noor": noor},
                           elsewhere=elsewhere)


def _listed_ids(response) -> set[int]:
    assert response.status_code == 200
    return {int(i) for i in re.findall(r'href="/teams/(\d+)"', response.get_data(as_text=True))}


@pytest.mark.parametrize("query, expected", [
    ("", {"kowsar", "yas", "noor"}),
    ("status=approved", {"kowsar"}),
    ("status=pending", {"yas"}),
    ("type=student", {"yas"}),
    ("type=ngo", {"noor"}),
    ("province={other_province}", {"yas"}),
    ("province={province}&status=rejected", {"noor"}),
    ("province={province}&type=student", set()),
])
def test_the_organisers_list_filters_teams(make, organiser, client_for, listed, query, expected):
    query = query.format(province=listed.place.province, other_province=listed.place.other_province)
    response = client_for(organiser).get(f"/organiser/events/{listed.event.id}/teams?{query}")
    assert _listed_ids(response) == {listed.ids[name] for name in expected}


@pytest.mark.parametrize("search, expected", [
    ("كوثر", "kowsar"),          # Arabic kaf
    ("کوثر ۱۴۰۵", "kowsar"),     # Persian digits
    ("ياس", "yas"),              # Arabic yeh
    ("رضايي", "kowsar"),         # a member's name, Arabic yeh
    ("كاظمی", "noor"),           # a member's name, Arabic kaf
])
def test_the_organisers_search_finds_persian_names_however_they_were_typed(organiser, client_for, listed,
                                                                           search, expected):
    response = client_for(organiser).get(f"/organiser/events/{listed.event.id}/teams", query_string={"q": search})
    assert _listed_ids(response) == {listed.ids[expected]}


def _csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_the_csv_export_has_a_bom_and_one_row_per_team(app, organiser, client_for, listed):
    response = client_for(organiser).get(f"/organiser/events/{listed.event.id}/teams.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.data.startswith(b"\xef\xbb\xbf")
    rows = _csv_rows(response.data)
    assert {int(row[0]) for row in rows[1:]} == set(listed.ids.values())
    assert "گروه کوثر 1405" in [row[1] for row in rows]


def test_the_export_keeps_the_filters_of_the_list(organiser, client_for, listed):
    response = client_for(organiser).get(f"/organiser/events/{listed.event.id}/teams.csv?status=pending")
    assert [int(row[0]) for row in _csv_rows(response.data)[1:]] == [listed.ids["yas"]]


def test_the_xlsx_export_opens_and_lists_the_teams(organiser, client_for, listed):
    client = client_for(organiser)
    client.set_cookie("lang", "en")
    response = client.get(f"/organiser/events/{listed.event.id}/teams.xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("ID", "Team name", "Kind of organisation")
    assert {row[0]: row[1] for row in rows[1:]} == {
        listed.ids["kowsar"]: "گروه کوثر 1405", listed.ids["yas"]: "انجمن یاس", listed.ids["noor"]: "موسسه نور"}


def test_a_name_starting_with_an_equals_sign_is_not_a_formula_in_either_export(app, make, organiser, client_for):
    event = make.event(open_kind="registration")
    factories.team_in(app, event.id, make.user(), name='=HYPERLINK("http://evil.example","x")')
    client = client_for(organiser)
    rows = _csv_rows(client.get(f"/organiser/events/{event.id}/teams.csv").data)
    assert not rows[1][1].startswith("=")
    assert "HYPERLINK" in rows[1][1]
    sheet = load_workbook(io.BytesIO(client.get(f"/organiser/events/{event.id}/teams.xlsx").data)).active
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s"
    assert not cell.value.startswith("=")


def test_the_organisers_list_takes_as_many_queries_for_fifteen_teams_as_for_three(app, make, organiser,
                                                                                  client_for, count_queries):
    client = client_for(organiser)

    def queries_for(count):
        event = make.event(open_kind="registration")
        for n in range(count):
            factories.team_in(app, event.id, make.user(), members=[make.user()], name=f"گروه {count}-{n}")
        with count_queries() as queries:
            response = client.get(f"/organiser/events/{event.id}/teams")
        assert len(_listed_ids(response)) == count
        return len(queries)

    assert queries_for(15) == queries_for(3)


# --- the team's dashboard -------------------------------------------------------------------------------

def test_a_members_dashboard_shows_the_journey_and_the_next_deadline(app, make, client_for):
    leader, other = make.user(), make.user()
    event = make.event(open_kind="registration")
    team_id = factories.team_in(app, event.id, leader, members=[other], status="pending", name="گروه")
    with app.app_context():
        end = get(Event, event.id).phase_end("registration")
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        shown = format_datetime(end)
    client = client_for(other)
    client.set_cookie("lang", "en")
    html = client.get(f"/teams/{team_id}").get_data(as_text=True)
    steps = re.findall(r'<li class="journey__step ?(journey__step--done)?">\s*([^<]+?)\s*</li>', html)
    assert [(label, bool(done)) for done, label in steps] == [
        ("Registered", True), ("Approved", False), ("Map draft", False), ("Map submitted", False),
        ("Under judging", False), ("Results", False)]
    deadline = page_text(client.get(f"/teams/{team_id}")).split("Next deadline", 1)[1]
    assert deadline.strip().startswith(f"Registration ends {shown}")


# --- who may reach what: every route of the teams area ---------------------------------------------------

PDF_A, PDF_B, PDF_NEW = PDF + b"%a\n", PDF + b"%b\n", PDF + b"%new\n"
SIGNIN = "sign in"
# Every field of one indicator row and one action row, blank, as a browser sends them.
BLANK_ROWS = {f"indicators-0-{name}": "" for name in ("name", "unit", "baseline", "target", "target_date")} | {
    f"actions-0-{name}": "" for name in ("what", "responsible", "starts_on", "ends_on", "resources")}
TEAM_A, TEAM_B = "گروه آلفا", "گروه بتا"


def build_world(app, make, organiser, judge, submitted=False) -> SimpleNamespace:
    """Teams A and B of one event in its submission phase, each with a leader, a member with an account,
    a member without one, an open invitation, and a map draft with a PDF attached."""
    users = {
        "leader": make.user(name="لیلا رهبر", email="leader-a@example.com"),
        "member": make.user(name="مینا عضو", email="member-a@example.com"),
        "outsider": make.user(name="بهرام بیرونی", email="leader-b@example.com"),
        "invitee": make.user(name="ایمان دعوتی", email="invitee@example.com"),
        "organiser": organiser, "judge": judge,
    }
    member_b = make.user(email="member-b@example.com")
    event = make.event(open_kind="submission")
    world = SimpleNamespace(users=users, event=event, place=places(app))
    world.team_a = factories.team_in(app, event.id, users["leader"], members=[users["member"]], name=TEAM_A)
    world.team_b = factories.team_in(app, event.id, users["outsider"], members=[member_b], name=TEAM_B)
    with app.app_context():
        now = utcnow()
        for key, team_id, leader, pdf, guest in (("a", world.team_a, users["leader"], PDF_A, "invitee@example.com"),
                                                 ("b", world.team_b, users["outsider"], PDF_B, "guest@example.com")):
            team, actor, tokens = get(Team, team_id), get(User, leader.id), []
            plain = services.add_member_without_account(actor, team, f"بی حساب {key}",
                                                        "09130000001" if key == "a" else "09130000002", "", now)
            invitation = services.invite_member(actor, team, guest, now,
                                                lambda token: tokens.append(token) or f"/invitations/{token}")
            services.save_draft(actor, team, factories.complete_draft(world.place), None, now)
            attachment = services.add_attachment(actor, team, f"{key}.pdf", pdf, now)
            db.session.flush()
            setattr(world, key, SimpleNamespace(
                plain=plain.id, member=team.member_for(get(User, users["member"].id)).id if key == "a" else None,
                invitation=invitation.id, token=tokens[0], attachment=attachment.id))
        if submitted:
            services.submit_map(get(User, users["leader"].id), get(Team, world.team_a), now)
        db.session.commit()
        world.map_version = services.map_of(get(Team, world.team_a)).version
    return world


# endpoint -> (method, {who: expected status}, who changes the database when it succeeds).
ROUTES = {
    "teams.register GET": ({"leader": 302, "outsider": 302, "judge": 302, "organiser": 302, "anonymous": SIGNIN},
                           ()),
    "teams.register POST": ({"outsider": 302, "judge": 302, "anonymous": SIGNIN}, ()),
    "teams.mine GET": ({"leader": 200, "member": 200, "outsider": 200, "judge": 200, "organiser": 200,
                        "anonymous": SIGNIN}, ()),
    "portal.team_dashboard GET": ({"leader": 200, "member": 200, "organiser": 200, "outsider": 404, "judge": 404,
                             "anonymous": SIGNIN}, ()),
    "teams.edit GET": ({"leader": 200, "organiser": 200, "outsider": 404, "judge": 404, "anonymous": SIGNIN}, ()),
    "teams.edit POST": ({"leader": 302, "member": 403, "organiser": 403, "outsider": 404, "judge": 404,
                         "anonymous": SIGNIN}, ("leader",)),
    "teams.invite POST": ({"leader": 302, "member": 403, "organiser": 403, "outsider": 404, "judge": 404,
                           "anonymous": SIGNIN}, ("leader",)),
    "teams.cancel_invitation POST": ({"leader": 302, "member": 403, "organiser": 403, "outsider": 404,
                                      "judge": 404, "anonymous": SIGNIN}, ("leader",)),
    "teams.add_member POST": ({"leader": 302, "member": 403, "organiser": 403, "outsider": 404, "judge": 404,
                               "anonymous": SIGNIN}, ("leader",)),
    "teams.remove_member POST": ({"leader": 302, "member": 403, "organiser": 403, "outsider": 404, "judge": 404,
                                  "anonymous": SIGNIN}, ("leader",)),
    "teams.make_leader POST": ({"leader": 302, "member": 403, "organiser": 403, "outsider": 404, "judge": 404,
                                "anonymous": SIGNIN}, ("leader",)),
    "teams.leave POST": ({"member": 302, "leader": 302, "organiser": 404, "outsider": 404, "judge": 404,
                          "anonymous": SIGNIN}, ("member",)),
    "teams.withdraw POST": ({"leader": 302, "member": 403, "organiser": 403, "outsider": 404, "judge": 404,
                             "anonymous": SIGNIN}, ("leader",)),
    # The token in the link is what lets its holder in; the email it was sent to must be the holder's.
    "teams.invitation GET": ({"invitee": 200, "anonymous": SIGNIN}, ()),
    "teams.invitation POST": ({"invitee": 302, "leader": 403, "outsider": 403, "judge": 403, "organiser": 403,
                               "anonymous": SIGNIN}, ("invitee",)),
    "teams.edit_map GET": ({"leader": 200, "member": 200, "organiser": 200, "outsider": 404, "judge": 404,
                            "anonymous": SIGNIN}, ()),
    "teams.edit_map POST": ({"leader": 302, "member": 302, "organiser": 404, "outsider": 404, "judge": 404,
                             "anonymous": SIGNIN}, ("leader", "member")),
    "teams.submit_map POST": ({"leader": 302, "member": 403, "organiser": 403, "outsider": 404, "judge": 404,
                               "anonymous": SIGNIN}, ("leader",)),
    "teams.upload POST": ({"leader": 302, "member": 302, "organiser": 404, "outsider": 404, "judge": 404,
                           "anonymous": SIGNIN}, ("leader", "member")),
    "teams.delete_attachment POST": ({"leader": 302, "member": 302, "organiser": 404, "outsider": 404,
                                      "judge": 404, "anonymous": SIGNIN}, ("leader", "member")),
    "teams.attachment GET": ({"leader": 200, "member": 200, "organiser": 200, "outsider": 404, "judge": 404,
                              "anonymous": SIGNIN}, ()),
    "teams.print_map GET": ({"leader": 200, "member": 200, "organiser": 200, "outsider": 404, "judge": 404,
                             "anonymous": SIGNIN}, ()),
    "teams.organiser_teams GET": ({"organiser": 200, "leader": 403, "member": 403, "outsider": 403, "judge": 403,
                                   "anonymous": SIGNIN}, ()),
    "teams.export_teams GET": ({"organiser": 200, "leader": 403, "member": 403, "outsider": 403, "judge": 403,
                                "anonymous": SIGNIN}, ()),
    "teams.organiser_maps GET": ({"organiser": 200, "leader": 403, "member": 403, "outsider": 403, "judge": 403,
                                  "anonymous": SIGNIN}, ()),
    "teams.export_maps GET": ({"organiser": 200, "leader": 403, "member": 403, "outsider": 403, "judge": 403,
                               "anonymous": SIGNIN}, ()),
    # Organiser-only actions on one team: refused (403) to its own members; people who may not even see the
    # team (another team's member, a judge) get the 404 that every page of a team not theirs gives.
    "teams.decide POST": ({"organiser": 302, "leader": 403, "member": 403, "outsider": 404, "judge": 404,
                           "anonymous": SIGNIN}, ("organiser",)),
    "teams.select_in_screening POST": ({"organiser": 302, "leader": 403, "member": 403, "outsider": 404,
                                        "judge": 404, "anonymous": SIGNIN}, ("organiser",)),
    "teams.reopen_map POST": ({"organiser": 302, "leader": 403, "member": 403, "outsider": 404, "judge": 404,
                               "anonymous": SIGNIN}, ("organiser",)),
    "teams.map_history GET": ({"organiser": 200, "leader": 403, "member": 403, "outsider": 404, "judge": 404,
                               "anonymous": SIGNIN}, ()),
    # Team B's member with team B's own address and one of team A's members, invitations or files.
    "teams.cancel_invitation POST via team B": ({"outsider": 404}, ()),
    "teams.remove_member POST via team B": ({"outsider": 404}, ()),
    "teams.make_leader POST via team B": ({"outsider": 404}, ()),
    "teams.delete_attachment POST via team B": ({"outsider": 404}, ()),
}

MATRIX = [
    pytest.param(case, who, expected, who in changers, id=f"{case}-{who}")
    for case, (expectations, changers) in ROUTES.items()
    for who, expected in expectations.items()
]


def _request(app, world, case):
    """(method, url, data) of one row of the table, aimed at team A."""
    endpoint, method, *via = case.split(" ", 2)
    team_id = world.team_b if via else world.team_a
    values = {
        "teams.register": {"slug": world.event.slug},
        "teams.invitation": {"token": world.a.token},
        "teams.cancel_invitation": {"team_id": team_id, "invitation_id": world.a.invitation},
        "teams.remove_member": {"team_id": team_id, "member_id": world.a.plain},
        "teams.make_leader": {"team_id": team_id, "member_id": world.a.member},
        "teams.delete_attachment": {"team_id": team_id, "attachment_id": world.a.attachment},
        "teams.attachment": {"attachment_id": world.a.attachment},
        "teams.export_teams": {"event_id": world.event.id, "kind": "csv"},
        "teams.organiser_teams": {"event_id": world.event.id},
        "teams.organiser_maps": {"event_id": world.event.id},
        "teams.export_maps": {"event_id": world.event.id},
        "teams.mine": {},
    }.get(endpoint, {"team_id": team_id})
    with app.test_request_context():
        url = url_for(endpoint, **values)
    place = world.place
    data = {
        "teams.register": team_form(app, name="گروه تازه"),
        "teams.edit": team_form(app, name="گروه آلفا تازه"),
        "teams.invite": {"email": "newcomer@example.com"},
        "teams.add_member": {"name": "عضو تازه", "mobile": "09130000009"},
        "teams.withdraw": {"reason": "دلیل"},
        "teams.decide": {"status": "rejected", "reason": "دلیل رد"},
        "teams.select_in_screening": {"selected": "1"},
        "teams.edit_map": {
            "version": str(world.map_version), "title": "عنوان تازه", "province": str(place.province),
            "county": str(place.county), "knowledge": "متن تازه", **BLANK_ROWS,
            "indicators-0-name": "شاخص", "actions-0-what": "اقدام"},
        "teams.upload": {"file": (io.BytesIO(PDF_NEW), "new.pdf")},
    }.get(endpoint, {}) if method == "POST" else None
    return method, url, data


def _state(app, upload_dir) -> dict:
    tables = ("teams", "team_members", "invitations", "team_status_changes", "progress_maps", "map_indicators",
              "map_actions", "map_attachments", "map_revisions", "audit_entries")
    with app.app_context():
        state = {table: sorted((tuple(row) for row in db.session.execute(text(f"SELECT * FROM {table}"))), key=repr)
                 for table in tables}
    state["files"] = sorted(str(path) for path in upload_dir.rglob("*"))
    return state


def test_the_access_table_covers_every_route_of_the_teams_area(app):
    routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("teams.") or rule.endpoint == "portal.team_dashboard"
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == {tuple(case.split(" ")[:2]) for case in ROUTES}
    for endpoint in {endpoint for endpoint, _method in routes}:
        seen = {who for case, (expectations, _c) in ROUTES.items() if case.startswith(endpoint + " ")
                for who in expectations}
        assert {"organiser", "anonymous"} <= seen, endpoint
        if endpoint not in ("teams.invitation", "teams.register"):
            assert {"leader", "outsider", "judge"} <= seen, endpoint


@pytest.mark.parametrize("case, who, expected, changes", MATRIX)
def test_access(app, make, organiser, judge, upload_dir, case, who, expected, changes):
    world = build_world(app, make, organiser, judge, submitted=case.startswith("teams.reopen_map"))
    client = app.test_client()
    if who != "anonymous":
        assert sign_in(client, world.users[who]).status_code == 302
    method, url, data = _request(app, world, case)
    before = _state(app, upload_dir)

    response = client.open(url, method=method, data=data)

    if expected == SIGNIN:
        assert response.status_code == 302
        assert urlsplit(response.headers["Location"]).path == "/signin"
    else:
        assert response.status_code == expected, page_text(response)[:300]
    after = _state(app, upload_dir)
    if changes:
        assert after != before
    else:
        assert after == before
    if who in ("outsider", "judge") and response.status_code == 200:
        assert TEAM_A not in response.get_data(as_text=True)


def test_search_takes_wildcards_literally_and_finds_a_members_mobile(app, make, organiser, client_for):
    event = make.event(open_kind="registration")
    leader = make.user(mobile="09121112233")
    factories.team_in(app, event.id, leader, name="گروه صد در صد")
    factories.team_in(app, event.id, make.user(), name="گروه دیگر")
    client = client_for(organiser)
    assert "گروه دیگر" not in page_text(client.get(f"/organiser/events/{event.id}/teams?q=%"))
    found = page_text(client.get(f"/organiser/events/{event.id}/teams?q=۰۹۱۲۱۱۱۲۲۳۳"))
    assert "گروه صد در صد" in found and "گروه دیگر" not in found


def test_every_page_of_a_long_team_list_opens_and_links_its_neighbours(app, make, organiser, client_for):
    """Page 2 of more than one page of teams was a 500: the pager passed ``page`` twice (issue 11, item 9).
    A query that names the event itself must not break the links either."""
    event = make.event(open_kind="registration")
    for number in range(app.config["PAGE_SIZE"] + 3):
        factories.team_in(app, event.id, make.user(email=f"leader{number}@example.com"), name=f"گروه {number:02d}")
    client = client_for(organiser)
    for query in ("page=2", "page=2&status=approved", f"page=2&event_id={event.id + 1}", "page=1"):
        response = client.get(f"/organiser/events/{event.id}/teams?{query}")
        assert response.status_code == 200, query
        html = response.get_data(as_text=True)
        assert f"/organiser/events/{event.id}/teams?" in html and "page=" in html
