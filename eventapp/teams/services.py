"""What teams do and what organisers do with them. Every operation takes the acting user."""
import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from .. import signals
from ..audit import services as audit
from ..core import mail, storage
from ..core.database import contains
from ..core.errors import Conflict, DeadlinePassed, Invalid, NotAllowed, NotFound
from ..core.extensions import db
from ..core.roles import require_organiser
from ..core.text import normalize_mobile, normalize_text, valid_national_id
from ..events.models import County, Event
from . import diffing, richtext
from .models import (
    APPROVED,
    DRAFT,
    MAP_SECTIONS,
    ORGANISATION_TYPES,
    PENDING,
    REJECTED,
    SUBMITTED,
    TEAM_STATUSES,
    WITHDRAWN,
    Attachment,
    Indicator,
    Invitation,
    MapAction,
    MapRevision,
    ProgressMap,
    Team,
    TeamMember,
    TeamStatusChange,
)

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
    "map.submitted": _l("Map submitted"),
    "map.reopened": _l("Map reopened"),
    "map.attachment_added": _l("File attached to a map"),
    "map.attachment_removed": _l("File removed from a map"),
})

INVITATION_DAYS = 14
STALE_DRAFT = _l(
    "Someone else in your team saved the map while you were editing it. Your changes were not saved: "
    "copy what you wrote, reload the page to see the latest version, and add your changes to it.")
# Iran's bounding box, for the optional point of a map's target region.
IRAN_LATITUDE = (25.0, 39.8)
IRAN_LONGITUDE = (44.0, 63.4)


# --- reading ----------------------------------------------------------------------------------

def can_read_team(actor, team: Team) -> bool:
    """The team's own members and the organisers."""
    return actor is not None and actor.is_authenticated and (team.member_for(actor) is not None or actor.is_organiser)


def can_read_map(actor, team: Team) -> bool:
    """The team's readers, and whoever a higher area lets in through the ``team_readers`` hook (a judge
    assigned to the team reads its map and attachments; blind: nothing else)."""
    if can_read_team(actor, team):
        return True
    return actor is not None and actor.is_authenticated and any(
        allowed for _receiver, allowed in signals.team_readers.send(team, actor=actor))


def get_team_for(actor, team_id: int) -> Team:
    """The team, if the actor may see it; otherwise it does not exist for them (404)."""
    team = db.session.get(Team, team_id)
    if team is None or not can_read_team(actor, team):
        raise NotFound(_("There is no such team."))
    return team


def teams_of(user) -> list[Team]:
    query = (select(Team).join(TeamMember).where(TeamMember.user_id == user.id)
             .order_by(Team.created_at.desc()))
    return list(db.session.scalars(query).unique())


def team_in_event(user, event: Event) -> Team | None:
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(
        select(Team).join(TeamMember).where(TeamMember.user_id == user.id, TeamMember.event_id == event.id)
    )


def _require_not_in_event(user, event_id: int) -> None:
    """A person is in one team per event: as an account, or as a member added by their mobile number."""
    same_person = [TeamMember.user_id == user.id] + ([TeamMember.mobile == user.mobile] if user.mobile else [])
    if db.session.scalar(select(TeamMember.id).where(TeamMember.event_id == event_id, or_(*same_person))):
        raise Conflict(_("You are already in a team of this event."))


def _require_leader(actor, team: Team) -> TeamMember:
    member = team.member_for(actor)
    if member is None or not member.is_leader:
        raise NotAllowed(_("Only the team leader can do this."))
    return member


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


def register_team(actor, event: Event, details: TeamDetails, now: datetime) -> Team:
    """A signed-in person registers a team during the registration phase and becomes its leader."""
    if actor is None or not actor.is_authenticated:
        raise NotAllowed(_("Sign in to register a team."))
    if not event.phase_open("registration", now):
        raise DeadlinePassed(_("Registration for this event is closed."))
    _require_not_in_event(actor, event.id)
    details = _validate_details(event, details, None)
    team = Team(event_id=event.id, status=PENDING, created_at=now, **details.__dict__)
    team.members.append(TeamMember(event_id=event.id, user_id=actor.id, name=actor.name, mobile=actor.mobile,
                                   is_leader=True, joined_at=now))
    team.status_changes.append(TeamStatusChange(status=PENDING, at=now, by_id=actor.id))
    db.session.add(team)
    db.session.flush()
    audit.record(actor, "team.registered", team, {"event": event.slug})
    return team


def update_team(actor, team: Team, details: TeamDetails) -> Team:
    _require_leader(actor, team)
    _require_active(team)
    details = _validate_details(team.event, details, team)
    before = {name: getattr(team, name) for name in details.__dict__}
    for name, value in details.__dict__.items():
        setattr(team, name, value)
    changes = audit.diff(before, details.__dict__)
    if changes:
        audit.record(actor, "team.updated", team, changes)
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
    _require_leader(actor, team)
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
    audit.record(actor, "team.member_invited", team, {"email": email})
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
    team.members.append(TeamMember(event_id=team.event_id, user_id=actor.id, name=actor.name,
                                   mobile=actor.mobile, joined_at=now))
    invitation.accepted_at = now
    audit.record(actor, "team.member_joined", team, {"member": actor.name})
    return team


def cancel_invitation(actor, team: Team, invitation_id: int, now: datetime) -> None:
    _require_leader(actor, team)
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.team_id != team.id or not invitation.is_open(now):
        raise NotFound(_("There is no such open invitation."))
    invitation.cancelled_at = now


def open_invitations(team: Team, now: datetime) -> list[Invitation]:
    return list(db.session.scalars(select(Invitation).where(
        Invitation.team_id == team.id, Invitation.accepted_at.is_(None), Invitation.cancelled_at.is_(None),
        Invitation.expires_at > now).order_by(Invitation.id)))


def add_member_without_account(actor, team: Team, name: str, mobile: str, national_id: str,
                               now: datetime) -> TeamMember:
    """A member who has no account: a name, a mobile number and, optionally, a national ID."""
    _require_leader(actor, team)
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
    audit.record(actor, "team.member_added", team, {"member": name})
    return member


def _member_of(team: Team, member_id: int) -> TeamMember:
    member = next((member for member in team.members if member.id == member_id), None)
    if member is None:
        raise NotFound(_("There is no such member in this team."))
    return member


def remove_member(actor, team: Team, member_id: int, now: datetime) -> None:
    _require_leader(actor, team)
    _require_active(team)
    _require_members_can_change(team, now)
    member = _member_of(team, member_id)
    if member.is_leader:
        raise Conflict(_("The leader cannot be removed. Hand the leadership to another member first."))
    team.members.remove(member)
    audit.record(actor, "team.member_removed", team, {"member": member.name})


def transfer_leadership(actor, team: Team, member_id: int) -> None:
    current = _require_leader(actor, team)
    _require_active(team)
    member = _member_of(team, member_id)
    if member.user_id is None:
        raise Conflict(_("Only a member with an account can lead the team."))
    if member is current:
        return
    current.is_leader, member.is_leader = False, True
    audit.record(actor, "team.leader_changed", team, {"leader": [current.name, member.name]})


def leave_team(actor, team: Team, now: datetime) -> None:
    member = team.member_for(actor)
    if member is None:
        raise NotFound(_("There is no such team."))
    if member.is_leader and team.is_active:
        raise Conflict(_("The leader cannot leave. Hand the leadership to another member, or withdraw the team."))
    # From a withdrawn or rejected team anyone may leave (and so be free to join another team).
    _require_members_can_change(team, now)
    team.members.remove(member)
    audit.record(actor, "team.member_left", team, {"member": member.name})


def withdraw_team(actor, team: Team, reason: str, now: datetime) -> None:
    _require_leader(actor, team)
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
    require_organiser(actor, _l("Only organisers can see every team."))
    query = _filtered(event, filters).options(selectinload(Team.members)).order_by(Team.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def teams_for_export(actor, event: Event, filters: TeamFilters) -> list[Team]:
    require_organiser(actor, _l("Only organisers can export teams."))
    return list(db.session.scalars(_filtered(event, filters).options(selectinload(Team.members)).order_by(Team.id)))


def _change_status(actor, team: Team, status: str, reason: str, now: datetime) -> None:
    before = team.status
    team.status, team.status_reason = status, reason
    db.session.add(TeamStatusChange(team_id=team.id, status=status, reason=reason, at=now, by_id=actor.id))
    audit.record(actor, "team.status_changed", team, {"status": [before, status], "reason": reason})


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
        _change_status(actor, team, status, reason, now)


def set_screening_selected(actor, team: Team, selected: bool) -> None:
    """Mark a team as selected in screening (the audience of trainings for selected teams only).

    The judging area's screening round sets this from its results; organisers can also set it by hand.
    """
    require_organiser(actor, _l("Only organisers can select teams in screening."))
    if team.status != APPROVED and selected:
        raise Conflict(_("Only an approved team can be selected in screening."))
    if team.screening_selected != selected:
        team.screening_selected = selected
        audit.record(actor, "team.screening_selected", team, {"selected": selected})


def status_history(team: Team) -> list[TeamStatusChange]:
    return list(db.session.scalars(select(TeamStatusChange).where(TeamStatusChange.team_id == team.id)
                                   .order_by(TeamStatusChange.id)))


# --- progress maps ------------------------------------------------------------------------------------

def map_of(team: Team) -> ProgressMap | None:
    return db.session.scalar(select(ProgressMap).where(ProgressMap.team_id == team.id))


@dataclass
class IndicatorRow:
    name: str
    unit: str = ""
    baseline: float | None = None
    target: float | None = None
    target_date: date | None = None


@dataclass
class ActionRow:
    what: str
    responsible: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    resources: str = ""


@dataclass
class MapDraft:
    title: str = ""
    province_id: int | None = None
    county_id: int | None = None
    district: str = ""
    latitude: float | None = None
    longitude: float | None = None
    sections: dict[str, str] = field(default_factory=dict)
    indicators: list[IndicatorRow] = field(default_factory=list)
    actions: list[ActionRow] = field(default_factory=list)


def _require_map_writer(actor, team: Team) -> None:
    if team.member_for(actor) is None:
        raise NotFound(_("There is no such team."))
    if team.status != APPROVED:
        raise Conflict(_("Your team can write its progress map once the organisers approve it."))


def _validate_draft(draft: MapDraft) -> None:
    errors = {}
    if draft.county_id:
        county = db.session.get(County, draft.county_id)
        if county is None or county.province_id != draft.province_id:
            errors["county"] = _("Choose a county of the chosen province.")
    if (draft.latitude is None) != (draft.longitude is None):
        errors["longitude"] = _("Give both the latitude and the longitude, or neither.")
    elif draft.latitude is not None and not (IRAN_LATITUDE[0] <= draft.latitude <= IRAN_LATITUDE[1]
                                             and IRAN_LONGITUDE[0] <= draft.longitude <= IRAN_LONGITUDE[1]):
        errors["latitude"] = _("This point is not in Iran: check the latitude and the longitude.")
    for index, row in enumerate(draft.actions):
        if row.starts_on and row.ends_on and row.ends_on < row.starts_on:
            errors[f"actions-{index}-ends_on"] = _("The end must come after the start.")
    if errors:
        raise Invalid(_("The draft was not saved: correct the marked fields."), fields=errors)


def save_draft(actor, team: Team, draft: MapDraft, expected_version: int | None, now: datetime) -> ProgressMap:
    """Any member saves the draft at any time, even after a deadline, while the map is not submitted.

    ``expected_version`` is the version the member started from; if someone saved since, nothing is
    overwritten and a Conflict tells the member what to do.
    """
    _require_map_writer(actor, team)
    progress_map = map_of(team)
    if progress_map is None:
        if expected_version:
            raise Conflict(_("The map changed while you were editing it."))
        progress_map = ProgressMap(team_id=team.id)
        db.session.add(progress_map)
    elif progress_map.is_locked:
        raise Conflict(_("The map was submitted and is locked. Ask the organisers to reopen it."))
    elif expected_version != progress_map.version:
        raise Conflict(STALE_DRAFT)
    _validate_draft(draft)
    progress_map.title = normalize_text(draft.title)
    progress_map.province_id, progress_map.county_id = draft.province_id, draft.county_id
    progress_map.district = normalize_text(draft.district)
    progress_map.latitude, progress_map.longitude = draft.latitude, draft.longitude
    for section in MAP_SECTIONS:
        setattr(progress_map, section, richtext.clean_html(draft.sections.get(section, "")))
    progress_map.indicators = [
        Indicator(position=i, name=normalize_text(row.name or ""), unit=normalize_text(row.unit or ""),
                  baseline=row.baseline, target=row.target, target_date=row.target_date)
        for i, row in enumerate(draft.indicators) if normalize_text(row.name or "")
    ]
    progress_map.actions = [
        MapAction(position=i, what=normalize_text(row.what or ""), responsible=normalize_text(row.responsible or ""),
                  starts_on=row.starts_on, ends_on=row.ends_on, resources=normalize_text(row.resources or ""))
        for i, row in enumerate(draft.actions) if normalize_text(row.what or "")
    ]
    progress_map.updated_at, progress_map.updated_by_id = now, actor.id
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError) as error:  # another save won the race since our read
        raise Conflict(STALE_DRAFT) from error
    return progress_map


def _missing_for_submission(progress_map: ProgressMap, team: Team) -> list[str]:
    missing = []
    if not progress_map.title:
        missing.append(_("a title"))
    if not (progress_map.province_id and progress_map.county_id):
        missing.append(_("the target province and county"))
    labels = section_labels()
    missing += [labels[section] for section in MAP_SECTIONS if not getattr(progress_map, section)]
    if not progress_map.indicators:
        missing.append(_("at least one measurable indicator"))
    if not progress_map.actions:
        missing.append(_("at least one action"))
    if len(team.members) < team.event.min_team_size:
        missing.append(_("at least %(num)s team members", num=team.event.min_team_size))
    return missing


def snapshot(progress_map: ProgressMap) -> dict:
    return {
        "title": progress_map.title,
        "province": progress_map.province.name_fa if progress_map.province else None,
        "county": progress_map.county.name_fa if progress_map.county else None,
        "district": progress_map.district, "latitude": progress_map.latitude, "longitude": progress_map.longitude,
        **{section: getattr(progress_map, section) for section in MAP_SECTIONS},
        "indicators": [{"name": i.name, "unit": i.unit, "baseline": i.baseline, "target": i.target,
                        "target_date": i.target_date.isoformat() if i.target_date else None}
                       for i in progress_map.indicators],
        "actions": [{"what": a.what, "responsible": a.responsible,
                     "starts_on": a.starts_on.isoformat() if a.starts_on else None,
                     "ends_on": a.ends_on.isoformat() if a.ends_on else None, "resources": a.resources}
                    for a in progress_map.actions],
        "attachments": [{"name": a.original_name, "sha256": a.sha256} for a in progress_map.attachments],
    }


def submit_map(actor, team: Team, now: datetime) -> MapRevision:
    """Lock the map and keep a revision. Only the team's leader, only during the submission phase."""
    progress_map = map_of(team)
    _require_leader(actor, team)
    if team.status != APPROVED:
        raise Conflict(_("Your team can submit its progress map once the organisers approve it."))
    if progress_map is None:
        raise Invalid(_("Write and save the map before submitting it."))
    if progress_map.is_locked:
        raise Conflict(_("The map is already submitted."))
    if not team.event.phase_open("submission", now):
        raise DeadlinePassed(_("The submission phase is closed: the map cannot be submitted now. "
                               "Your draft is saved."))
    missing = _missing_for_submission(progress_map, team)
    if missing:
        raise Invalid(_("The map cannot be submitted yet. It still needs: %(missing)s.", missing="، ".join(missing)))
    number = 1 + (db.session.scalar(select(func.max(MapRevision.number)).where(MapRevision.map_id == progress_map.id)) or 0)
    revision = MapRevision(map_id=progress_map.id, number=number, snapshot=snapshot(progress_map),
                           submitted_at=now, submitted_by_id=actor.id)
    db.session.add(revision)
    progress_map.status, progress_map.submitted_at = SUBMITTED, now
    audit.record(actor, "map.submitted", team, {"revision": number})
    return revision


def reopen_map(actor, team: Team, now: datetime) -> None:
    require_organiser(actor, _l("Only organisers can reopen a submitted map."))
    progress_map = map_of(team)
    if progress_map is None or not progress_map.is_locked:
        raise Conflict(_("The map is not submitted, so there is nothing to reopen."))
    progress_map.status = DRAFT
    audit.record(actor, "map.reopened", team, {})


def compare_revisions(older: MapRevision, newer: MapRevision) -> dict:
    return diffing.compare(older.snapshot, newer.snapshot, MAP_SECTIONS)


def revisions_of(actor, team: Team) -> list[MapRevision]:
    require_organiser(actor, _l("Only organisers can see the history of a map."))
    progress_map = map_of(team)
    if progress_map is None:
        return []
    return list(db.session.scalars(select(MapRevision).where(MapRevision.map_id == progress_map.id)
                                   .order_by(MapRevision.number)))


# --- attachments --------------------------------------------------------------------------------------

def add_attachment(actor, team: Team, filename: str, content: bytes, now: datetime) -> Attachment:
    _require_map_writer(actor, team)
    progress_map = map_of(team)
    if progress_map is None:
        raise Invalid(_("Save the map once before adding files."))
    if progress_map.is_locked:
        raise Conflict(_("The map was submitted and is locked. Ask the organisers to reopen it."))
    config = current_app.config
    if len(progress_map.attachments) >= config["MAX_ATTACHMENTS"]:
        raise Invalid(_("A map can have at most %(num)s files. Remove one first.", num=config["MAX_ATTACHMENTS"]))
    content_type, sha256 = storage.store_attachment(filename, content)
    attachment = Attachment(map_id=progress_map.id, original_name=filename, content_type=content_type,
                            size=len(content), sha256=sha256, uploaded_by_id=actor.id, uploaded_at=now)
    progress_map.attachments.append(attachment)
    audit.record(actor, "map.attachment_added", team, {"file": filename})
    return attachment


def _attachment_of(team: Team, attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.progress_map.team_id != team.id:
        raise NotFound(_("There is no such file."))
    return attachment


def remove_attachment(actor, team: Team, attachment_id: int) -> None:
    _require_map_writer(actor, team)
    attachment = _attachment_of(team, attachment_id)
    if attachment.progress_map.is_locked:
        raise Conflict(_("The map was submitted and is locked. Ask the organisers to reopen it."))
    db.session.delete(attachment)
    audit.record(actor, "map.attachment_removed", team, {"file": attachment.original_name})


def attachment_for_download(actor, attachment_id: int):
    """(attachment, path on disk) for the team, its organisers and the judges it is assigned to."""
    attachment = db.session.get(Attachment, attachment_id)
    team = attachment.progress_map.team if attachment is not None else None
    if team is None or not can_read_map(actor, team):
        raise NotFound(_("There is no such file."))
    return attachment, storage.path_for(current_app.config["UPLOAD_DIR"], attachment.sha256)


# --- what pages show ----------------------------------------------------------------------------------

def section_labels() -> dict[str, str]:
    return {
        "knowledge": _("Knowledge of the region and its problems"),
        "capacities": _("The region's capacities and drivers"),
        "goals": _("Goals"),
        "people_role": _("The people's role"),
        "sustainability": _("Sustainability"),
    }


def maps_page(actor, event: Event, status: str, page: int, per_page: int):
    require_organiser(actor, _l("Only organisers can see every map."))
    query = (select(ProgressMap).join(Team).where(Team.event_id == event.id)
             .options(selectinload(ProgressMap.indicators), selectinload(ProgressMap.actions))
             .order_by(ProgressMap.updated_at.desc(), ProgressMap.id.desc()))
    if status in (DRAFT, SUBMITTED):
        query = query.where(ProgressMap.status == status)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def maps_for_export(actor, event: Event) -> list[ProgressMap]:
    require_organiser(actor, _l("Only organisers can export maps."))
    return list(db.session.scalars(select(ProgressMap).join(Team).where(Team.event_id == event.id)
                                   .options(selectinload(ProgressMap.indicators), selectinload(ProgressMap.actions))
                                   .order_by(ProgressMap.id)))


def journey(team: Team, progress_map: ProgressMap | None, now: datetime) -> list[tuple[str, str, bool]]:
    """Where the team is on its way: (key, label, reached) for each step, in order."""
    judging, results = team.event.phase("judging"), team.event.phase("results")
    return [
        ("registered", _("Registered"), True),
        ("approved", _("Approved"), team.status == APPROVED),
        ("draft", _("Map draft"), progress_map is not None),
        ("submitted", _("Map submitted"), progress_map is not None and progress_map.is_locked),
        ("judging", _("Under judging"), judging is not None and now >= judging.starts_at),
        ("results", _("Results"), results is not None and now >= results.starts_at),
    ]
