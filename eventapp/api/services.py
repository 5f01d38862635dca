"""Partners' API tokens, and what partners read and write through the API.

A token is ``dp_`` and 43 random URL-safe characters; only its SHA-256 is kept, so it is shown once, when
it is issued. Requests carry it as ``Authorization: Bearer <token>``; the API never reads the session cookie.
"""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..audit import services as audit
from ..audit.models import AuditEntry
from ..core.errors import Conflict, DomainError, Invalid, NotAllowed, NotFound
from ..core.extensions import db
from ..core.roles import require_organiser
from ..events.models import Event
from ..pipeline import open_data
from ..pipeline import services as pipeline
from ..pipeline.models import Note, Project, ProjectIndicator, Reading, Stage
from ..teams.models import APPROVED, SUBMITTED, ProgressMap, Team
from .enums import ApiScope
from .models import ApiToken

audit.register_actions({
    "api.token_issued": _l("API token issued"),
    "api.token_revoked": _l("API token revoked"),
})


TOKEN_PREFIX = "dp_"
PREFIX_LENGTH = 10  # "dp_" and 7 characters: enough to tell tokens apart in a list, useless to guess one
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often


class Unauthenticated(DomainError):
    """No token, an unknown one or a revoked one."""

    status_code = 401


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _require_organiser(actor) -> None:
    require_organiser(actor, _l("Only organisers can manage API tokens."))


# --- organisers: issue, list, revoke ------------------------------------------------------------------------


def issue_token(actor, name: str, scopes, now: datetime) -> tuple[ApiToken, str]:
    """A new token for a partner organisation: (the row, the token itself, to show once)."""
    _require_organiser(actor)
    name = (name or "").strip()
    chosen = [scope.value for scope in ApiScope if scope in set(scopes or ())]
    errors = {}
    if not name:
        errors["name"] = _("Name the partner organisation.")
    elif len(name) > 200:
        errors["name"] = _("Use at most %(num)s characters.", num=200)
    if not chosen or len(chosen) != len(set(scopes or ())):
        errors["scopes"] = _("Choose at least one permission from the list.")
    if errors:
        raise Invalid(_("Correct the marked fields."), errors)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(name=name, prefix=plaintext[:PREFIX_LENGTH], token_hash=hash_token(plaintext), scopes=chosen,
                     created_by_id=actor.id, created_at=now)
    db.session.add(token)
    db.session.flush()
    audit.record(actor, "api.token_issued", token, {"name": name, "prefix": token.prefix, "scopes": chosen}, now=now)
    return token, plaintext


def revoke_token(actor, token_id: int, now: datetime) -> ApiToken:
    _require_organiser(actor)
    token = db.session.get(ApiToken, token_id)
    if token is None:
        raise NotFound(_("There is no such token."))
    if token.revoked_at is not None:
        raise Conflict(_("This token was already revoked."))
    token.revoked_at = now
    audit.record(actor, "api.token_revoked", token, {"name": token.name, "prefix": token.prefix}, now=now)
    return token


def tokens(actor) -> list[ApiToken]:
    """Every token ever issued, the newest first (revoked ones stay listed)."""
    _require_organiser(actor)
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


# --- requests: who is calling -----------------------------------------------------------------------------


def bearer_token(header_value: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    scheme, _space, value = (header_value or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value or " " in value:
        return None
    return value


def authenticate(header_value: str | None, now: datetime) -> ApiToken:
    """The live token of the Authorization header, or Unauthenticated. Notes when it was last used
    (at most once a minute, so that busy partners do not write on every request)."""
    value = bearer_token(header_value)
    if value is None:
        raise Unauthenticated(_("Send your API token as: Authorization: Bearer <token>."))
    # Looked up by its hash: the comparison is on a digest the caller cannot steer byte by byte.
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(value)))
    if token is None or token.revoked_at is not None:
        raise Unauthenticated(_("This API token is not valid, or it was revoked."))
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        token.last_used_at = now
    return token


def require_scope(token: ApiToken, scope: str) -> None:
    if scope not in (token.scopes or ()):
        raise NotAllowed(_("This API token does not have the “%(scope)s” permission.", scope=scope))


class PartnerActor:
    """The acting "user" of a partner's write: a token, not an account (so no id in the audit log's
    actor column; the token is named in each entry's changes instead)."""

    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_partner = True
    is_organiser = is_admin = is_judge = False
    id = None

    def __init__(self, token: ApiToken):
        self.token_id = token.id
        self.name = token.name
        self.label = str(token)

    def __str__(self) -> str:
        return self.label


def _sign_audit(partner: PartnerActor, action: str) -> None:
    """Name the partner's token in the audit entries ``action`` just added to the session."""
    for entry in db.session.new:
        if isinstance(entry, AuditEntry) and entry.action == action and "api_token" not in (entry.changes or {}):
            entry.changes = {**(entry.changes or {}), "api_token": partner.label}


# --- reading --------------------------------------------------------------------------------------------


def events_page(page: int, per_page: int):
    query = select(Event).order_by(Event.created_at.desc(), Event.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def event_by_slug(slug: str) -> Event:
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise NotFound(_("There is no such event."))
    return event


def teams_page(event: Event, page: int, per_page: int):
    """The event's approved teams (pending, rejected and withdrawn ones are not public)."""
    query = select(Team).where(Team.event_id == event.id, Team.status == APPROVED).order_by(Team.id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def approved_team(team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None or team.status != APPROVED:
        raise NotFound(_("There is no such team."))
    return team


def submitted_map(team: Team) -> ProgressMap:
    progress_map = db.session.scalar(select(ProgressMap).where(ProgressMap.team_id == team.id))
    if progress_map is None or progress_map.status != SUBMITTED:
        raise NotFound(_("This team has no submitted progress map."))
    return progress_map


@dataclass
class ProjectFilters:
    event_slug: str | None = None
    province_id: int | None = None
    stage_key: str | None = None


def projects_page(filters: ProjectFilters, page: int, per_page: int):
    query = select(Project).options(selectinload(Project.stage), selectinload(Project.team),
                                    selectinload(Project.province), selectinload(Project.event))
    if filters.event_slug:
        query = query.where(Project.event_id.in_(select(Event.id).where(Event.slug == filters.event_slug)))
    if filters.province_id:
        query = query.where(Project.province_id == filters.province_id)
    if filters.stage_key:
        query = query.where(Project.stage_id.in_(select(Stage.id).where(Stage.key == filters.stage_key)))
    query = query.order_by(Project.id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def project(project_id: int) -> Project:
    found = db.session.scalar(select(Project).options(
        selectinload(Project.stage), selectinload(Project.owner), selectinload(Project.partners),
        selectinload(Project.milestones),
        selectinload(Project.indicators).selectinload(ProjectIndicator.readings),
    ).where(Project.id == project_id))
    if found is None:
        raise NotFound(_("There is no such project."))
    return found


def indicator_of(project_: Project, indicator_id: int) -> ProjectIndicator:
    indicator = next((item for item in project_.indicators if item.id == indicator_id), None)
    if indicator is None:
        raise NotFound(_("There is no such indicator."))
    return indicator


def note_count(project_: Project) -> int:
    return db.session.scalar(select(func.count()).select_from(Note).where(Note.project_id == project_.id)) or 0


def observatory_figures(event: Event | None, need_key: str | None, now: datetime) -> dict:
    """The observatory's open data (pipeline/open_data.py) of the series or of one event; NotFound for a need
    figure that was never imported."""
    return open_data.figures_document(event.id if event else None, need_key, now, strict=True)


# --- writing --------------------------------------------------------------------------------------------


def post_note(token: ApiToken, project_id: int, body: str, now: datetime) -> Note:
    require_scope(token, ApiScope.WRITE_PIPELINE)
    partner = PartnerActor(token)
    note = pipeline.post_note(partner, project(project_id), body, [], now)
    _sign_audit(partner, "pipeline.note_posted")
    return note


def post_reading(token: ApiToken, project_id: int, indicator_id: int, details: pipeline.ReadingDetails,
                 now: datetime) -> Reading:
    require_scope(token, ApiScope.WRITE_PIPELINE)
    partner = PartnerActor(token)
    reading = pipeline.post_reading(partner, project(project_id), indicator_id, details, now)
    _sign_audit(partner, "pipeline.reading_posted")
    return reading
