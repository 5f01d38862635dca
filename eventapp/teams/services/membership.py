"""What teams and their members do, and what organisers decide about teams. Every operation takes the
acting user and the moment it happens."""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import lazyload, selectinload

from ... import signals
from ...audit import services as audit
from ...core import mail
from ...core.database import contains
from ...core.errors import Conflict, DeadlinePassed, Invalid, NotAllowed, NotFound
from ...core.extensions import db
from ...core.roles import require_organiser
from ...core.text import normalize_mobile, normalize_text, valid_national_id
from ...events.enums import PhaseKind
from ...events.models import County, Event
from ..enums import TeamStatus
from ..models import (
    APPROVED,
    ORGANISATION_TYPES,
    PENDING,
    REJECTED,
    TEAM_STATUSES,
    WITHDRAWN,
    Invitation,
    Team,
    TeamMember,
    TeamStatusChange,
)
from ._rules import require_leader

audit.register_actions({
    "team.registered": _l("Team registered"),
    "team.updated": _l("Team details changed"),
    "team.status_changed": _l("Team status changed"),
    "team.screening_selected": _l("Team selected in screening"),
    "team.member_invited": _l("Member invited"),
    "team.member_joined": _l("Member joined"),
    "team.member_added": _l("Member added"),
    "team.member_removed": _l("Member removed"),
    "team.member_left": _l("Member left"),
    "team.leader_changed": _l("Leader changed"),
})
audit.register_fields(values={"status": TeamStatus.label_of})

INVITATION_DAYS = 14


def _require_not_in_event(user, event_id: int) -> None:
    """A person is in one team per event: as an account, or as a member added by their mobile number."""
    same_person = [TeamMember.user_id == user.id] + ([TeamMember.mobile == user.mobile] if user.mobile else [])
    if db.session.scalar(select(TeamMember.id).where(TeamMember.event_id == event_id, or_(*same_person))):
        raise Conflict(_("You are already in a team of this event."))


def _require_active(team: Team) -> None:
    if not team.is_active:
        raise Conflict(_("This team was withdrawn or rejected; it cannot change any more."))


def _require_members_can_change(team: Team, now: datetime) -> None:
    """Members come and go until the submission phase ends."""
    end = team.event.phase_end("submission")
    if end is not None and now > end:
        raise DeadlinePassed(_("The submission phase is over: the team's members cannot change any more."))


# --- registration -------------------------------------------------------------------------------

@dataclass
class TeamDetails:
    name: str
    organisation_type: str
    organisation_name: str
    province_id: int
    county_id: int
    introduction: str = ""
    contact_email: str = ""
    contact_phone: str = ""


def _validate_details(event: Event, details: TeamDetails, team: Team | None) -> TeamDetails:
    errors = {}
    details.name = normalize_text(details.name)
    details.organisation_name = normalize_text(details.organisation_name)
    details.introduction = normalize_text(details.introduction)
    if not details.name:
        errors["name"] = _("Enter the team's name.")
    if details.organisation_type not in ORGANISATION_TYPES:
        errors["organisation_type"] = _("Choose the kind of organisation.")
    if event.province_id is not None and details.province_id != event.province_id:
        errors["province"] = _("This event is for teams of %(province)s.", province=event.province.name)
    county = db.session.get(County, details.county_id) if details.county_id else None
    if county is None or county.province_id != details.province_id:
        errors["county"] = _("Choose a county of the chosen province.")
    phone = normalize_mobile(details.contact_phone)
    if not phone:
        errors["contact_phone"] = _("Enter an Iranian mobile number of 11 digits starting with 09.")
    details.contact_phone = phone
    taken = db.session.scalar(select(Team.id).where(Team.event_id == event.id, Team.name == details.name))
    if taken is not None and (team is None or taken != team.id):
        errors["name"] = _("Another team of this event already has this name.")
    if errors:
        raise Invalid(_("The team was not saved: correct the marked fields."), fields=errors)
    return details


def check_registration_open(event: Event, now: datetime) -> None:
    if not event.phase_open(PhaseKind.REGISTRATION, now):
        raise DeadlinePassed(_("Registration for this event is closed."))


def register_team(actor, event: Event, details: TeamDetails, now: datetime) -> Team:
    """A signed-in person registers a team during the registration phase and becomes its leader."""
    if actor is None or not actor.is_authenticated:
        raise NotAllowed(_("Sign in to register a team."))
    check_registration_open(event, now)
    _require_not_in_event(actor, event.id)
    details = _validate_details(event, details, None)
    team = Team(event_id=event.id, status=PENDING, created_at=now, **details.__dict__)
    team.members.append(TeamMember(event_id=event.id, user_id=actor.id, name=actor.name, mobile=actor.mobile,
                                   is_leader=True, joined_at=now))
    team.status_changes.append(TeamStatusChange(status=PENDING, at=now, by_id=actor.id))
    db.session.add(team)
    db.session.flush()
    audit.record(actor, "team.registered", team, {"event": event.slug}, now=now)
    signals.send_after_commit(signals.team_registered, team, actor=actor, now=now)
    return team


def update_team(actor, team: Team, details: TeamDetails, now: datetime) -> Team:
    require_leader(actor, team)
    _require_active(team)
    details = _validate_details(team.event, details, team)
    before = {name: getattr(team, name) for name in details.__dict__}
    for name, value in details.__dict__.items():
        setattr(team, name, value)
    changes = audit.diff(before, details.__dict__)
    if changes:
        audit.record(actor, "team.updated", team, changes, now=now)
    return team


# --- members ------------------------------------------------------------------------------------

def _open_invitations(team: Team, now: datetime) -> int:
    return db.session.scalar(select(func.count()).select_from(Invitation).where(
        Invitation.team_id == team.id, Invitation.accepted_at.is_(None), Invitation.cancelled_at.is_(None),
        Invitation.expires_at > now))


def _require_room(team: Team, now: datetime, counting_invitations: bool = True) -> None:
    taken = len(team.members) + (_open_invitations(team, now) if counting_invitations else 0)
    if taken >= team.event.max_team_size:
        raise Conflict(_("The team is full: an event allows at most %(num)s members, invitations included.",
                         num=team.event.max_team_size))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_member(actor, team: Team, email: str, now: datetime, link_for) -> Invitation:
    """Email a single-use link to join. ``link_for(token)`` builds its absolute URL."""
    require_leader(actor, team)
    _require_active(team)
    _require_members_can_change(team, now)
    email = email.strip().lower()
    if any(member.user and member.user.email == email for member in team.members):
        raise Conflict(_("This person is already in the team."))
    _require_room(team, now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(team_id=team.id, email=email, token_hash=_token_hash(token), invited_by_id=actor.id,
                            created_at=now, expires_at=now + timedelta(days=INVITATION_DAYS))
    db.session.add(invitation)
    db.session.flush()
    mail.send(
        to=email,
        subject=_("You are invited to join %(team)s", team=team.name),
        body=_("%(leader)s invites you to join the team %(team)s in %(event)s.\n\nSign in or create an account "
               "with this email, then open this link within %(days)s days:\n%(link)s",
               leader=actor.name, team=team.name, event=team.event.title, days=INVITATION_DAYS,
               link=link_for(token)),
    )
    audit.record(actor, "team.member_invited", team, {"email": email}, now=now)
    return invitation


def invitation_by_token(token: str, now: datetime) -> Invitation:
    invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == _token_hash(token)))
    if invitation is None or not invitation.is_open(now):
        raise Invalid(_("This invitation is invalid, was already used, was cancelled or has expired."))
    return invitation


def accept_invitation(actor, token: str, now: datetime) -> Team:
    invitation = invitation_by_token(token, now)
    team = invitation.team
    if actor.email != invitation.email:
        raise NotAllowed(_("This invitation was sent to %(email)s. Sign in with that email to accept it.",
                           email=invitation.email))
    _require_active(team)
    _require_members_can_change(team, now)
    _require_not_in_event(actor, team.event_id)
    _require_room(team, now, counting_invitations=False)
    member = TeamMember(event_id=team.event_id, user_id=actor.id, name=actor.name, mobile=actor.mobile,
                        joined_at=now)
    team.members.append(member)
    invitation.accepted_at = now
    db.session.flush()
    audit.record(actor, "team.member_joined", team, {"member": actor.name}, now=now)
    signals.send_after_commit(signals.member_joined, team, actor=actor, now=now, member=member)
    return team


def cancel_invitation(actor, team: Team, invitation_id: int, now: datetime) -> None:
    require_leader(actor, team)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.team_id != team.id or not invitation.is_open(now):
        raise NotFound(_("There is no such open invitation."))
    invitation.cancelled_at = now


def open_invitations(actor, team: Team, now: datetime) -> list[Invitation]:
    """The invitations still waiting for an answer, for the team's leader (nobody else sees them)."""
    if not team.is_led_by(actor):
        return []
    return list(db.session.scalars(select(Invitation).where(
        Invitation.team_id == team.id, Invitation.accepted_at.is_(None), Invitation.cancelled_at.is_(None),
        Invitation.expires_at > now).order_by(Invitation.id)))


def add_member_without_account(actor, team: Team, name: str, mobile: str, national_id: str,
                               now: datetime) -> TeamMember:
    """A member who has no account: a name, a mobile number and, optionally, a national ID."""
    require_leader(actor, team)
    _require_active(team)
    _require_members_can_change(team, now)
    errors = {}
    name, national_id = normalize_text(name), normalize_text(national_id)
    if not name:
        errors["name"] = _("Enter the member's name.")
    normalised_mobile = normalize_mobile(mobile)
    if not normalised_mobile:
        errors["mobile"] = _("Enter an Iranian mobile number of 11 digits starting with 09.")
    if national_id and not valid_national_id(national_id):
        errors["national_id"] = _("This national ID is not valid: check its ten digits.")
    if errors:
        raise Invalid(_("The member was not added: correct the marked fields."), fields=errors)
    same_person = [TeamMember.mobile == normalised_mobile] + ([TeamMember.national_id == national_id] if national_id else [])
    if db.session.scalar(select(TeamMember.id).where(TeamMember.event_id == team.event_id, or_(*same_person))):
        raise Conflict(_("A person with this mobile number or national ID is already in a team of this event."))
    _require_room(team, now)
    member = TeamMember(event_id=team.event_id, name=name, mobile=normalised_mobile, national_id=national_id,
                        joined_at=now)
    team.members.append(member)
    db.session.flush()
    audit.record(actor, "team.member_added", team, {"member": name}, now=now)
    signals.send_after_commit(signals.member_joined, team, actor=actor, now=now, member=member)
    return member


def _member_of(team: Team, member_id: int) -> TeamMember:
    member = next((member for member in team.members if member.id == member_id), None)
    if member is None:
        raise NotFound(_("There is no such member in this team."))
    return member


def remove_member(actor, team: Team, member_id: int, now: datetime) -> None:
    require_leader(actor, team)
    _require_active(team)
    _require_members_can_change(team, now)
    member = _member_of(team, member_id)
    if member.is_leader:
        raise Conflict(_("The leader cannot be removed. Hand the leadership to another member first."))
    team.members.remove(member)
    db.session.flush()
    audit.record(actor, "team.member_removed", team, {"member": member.name}, now=now)
    signals.send_after_commit(signals.member_left, team, actor=actor, now=now, name=member.name)


def transfer_leadership(actor, team: Team, member_id: int, now: datetime) -> None:
    current = require_leader(actor, team)
    _require_active(team)
    member = _member_of(team, member_id)
    if member.user_id is None:
        raise Conflict(_("Only a member with an account can lead the team."))
    if member is current:
        return
    current.is_leader, member.is_leader = False, True
    audit.record(actor, "team.leader_changed", team, {"leader": [current.name, member.name]}, now=now)


def leave_team(actor, team: Team, now: datetime) -> None:
    member = team.member_for(actor)
    if member is None:
        raise NotFound(_("There is no such team."))
    if member.is_leader and team.is_active:
        raise Conflict(_("The leader cannot leave. Hand the leadership to another member, or withdraw the team."))
    # From a withdrawn or rejected team anyone may leave (and so be free to join another team).
    _require_members_can_change(team, now)
    team.members.remove(member)
    db.session.flush()
    audit.record(actor, "team.member_left", team, {"member": member.name}, now=now)
    signals.send_after_commit(signals.member_left, team, actor=actor, now=now, name=member.name)


def withdraw_team(actor, team: Team, reason: str, now: datetime) -> None:
    require_leader(actor, team)
    _require_active(team)
    _change_status(actor, team, WITHDRAWN, normalize_text(reason), now)


# --- organisers -----------------------------------------------------------------------------------

@dataclass
class TeamFilters:
    status: str = ""
    organisation_type: str = ""
    province_id: int | None = None
    search: str = ""


def _filtered(event: Event, filters: TeamFilters):
    query = select(Team).where(Team.event_id == event.id)
    if filters.status in TEAM_STATUSES:
        query = query.where(Team.status == filters.status)
    if filters.organisation_type in ORGANISATION_TYPES:
        query = query.where(Team.organisation_type == filters.organisation_type)
    if filters.province_id:
        query = query.where(Team.province_id == filters.province_id)
    search = normalize_text(filters.search)
    if search:
        members = select(TeamMember.team_id).where(or_(contains(TeamMember.name, search),
                                                       contains(TeamMember.mobile, search)))
        query = query.where(or_(contains(Team.name, search), contains(Team.organisation_name, search),
                                contains(Team.contact_phone, search), Team.id.in_(members)))
    return query


def teams_page(actor, event: Event, filters: TeamFilters, page: int, per_page: int):
    """A page of the event's teams (their event from the session, not joined again per row), and how many members
    each has, counted by the database: ``(pagination, {team id: members})``."""
    require_organiser(actor, _l("Only organisers can see every team."))
    query = _filtered(event, filters).options(lazyload(Team.event)).order_by(Team.id.desc())
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    ids = [team.id for team in pagination.items]
    members = dict(db.session.execute(select(TeamMember.team_id, func.count()).where(TeamMember.team_id.in_(ids))
                                      .group_by(TeamMember.team_id)).all()) if ids else {}
    return pagination, members


def teams_for_export(actor, event: Event, filters: TeamFilters) -> list[Team]:
    require_organiser(actor, _l("Only organisers can export teams."))
    return list(db.session.scalars(_filtered(event, filters).options(selectinload(Team.members)).order_by(Team.id)))


def _change_status(actor, team: Team, status: TeamStatus, reason: str, now: datetime) -> None:
    before = team.status
    team.status, team.status_reason = status, reason
    db.session.add(TeamStatusChange(team_id=team.id, status=status, reason=reason, at=now, by_id=actor.id))
    db.session.flush()
    audit.record(actor, "team.status_changed", team, {"status": [before, status], "reason": reason}, now=now)


def decide_team(actor, team: Team, status: str, reason: str, now: datetime) -> None:
    """An organiser approves or rejects a team; a rejection says why, and the team sees it."""
    require_organiser(actor, _l("Only organisers can approve or reject teams."))
    if status not in (APPROVED, REJECTED, PENDING):
        raise Invalid(_("Choose approve or reject."))
    if team.status == WITHDRAWN:
        raise Conflict(_("This team withdrew; its status cannot change."))
    reason = normalize_text(reason)
    if status == REJECTED and not reason:
        raise Invalid(_("Say why the team is rejected: the team will read it."), fields={"reason": _("Give a reason.")})
    if status != team.status:
        _change_status(actor, team, TeamStatus(status), reason, now)
        signals.send_after_commit(signals.team_decided, team, actor=actor, now=now, status=team.status, reason=reason)


def set_screening_selected(actor, teams: list[Team], selected: bool, now: datetime) -> list[int]:
    """Mark teams (of one event) as selected in screening, or no longer selected: the audience of trainings for
    selected teams only. The ids of the teams that changed; one ``screening_selected`` signal for them.

    The judging area's screening round sets this from its results; organisers can also set it by hand.
    """
    require_organiser(actor, _l("Only organisers can select teams in screening."))
    if selected and any(team.status != APPROVED for team in teams):
        raise Conflict(_("Only an approved team can be selected in screening."))
    changed = [team for team in teams if team.screening_selected != selected]
    for team in changed:
        team.screening_selected = selected
        audit.record(actor, "team.screening_selected", team, {"selected": selected}, now=now)
    if changed:
        db.session.flush()
        signals.send_after_commit(signals.screening_selected, changed[0].event, actor=actor, now=now,
                                  team_ids=[team.id for team in changed], selected=selected)
    return [team.id for team in changed]


def status_history(team: Team) -> list[TeamStatusChange]:
    return list(db.session.scalars(select(TeamStatusChange).where(TeamStatusChange.team_id == team.id)
                                   .order_by(TeamStatusChange.id)))
