"""The collaboration pipeline: projects from winning maps, stages, owners, milestones, notes, readings.

Every operation takes the acting user and checks what they may do: organisers run the pipeline; the
project's team members post notes and readings and mark milestones done; partners do the same through
the API with a token of the right scope.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import signals
from ..audit import services as audit
from ..auth.models import RoleGrant, User
from ..core import storage
from ..core.database import utcnow
from ..core.errors import Conflict, Invalid, NotAllowed, NotFound
from ..core.extensions import db
from ..core.i18n import to_tehran
from ..core.roles import ADMIN, ORGANISER, require_organiser
from ..events.models import Event
from ..judging.models import FINAL, Publication
from ..teams.models import SUBMITTED, ProgressMap, Team, TeamMember
from . import tracking
from .enums import StageKind, TrackingStatus
from .models import (
    Milestone,
    Note,
    NoteAttachment,
    Partner,
    Project,
    ProjectIndicator,
    Reading,
    Stage,
    StageMove,
)

audit.register_actions({
    "pipeline.stages_saved": _l("Pipeline stages saved"),
    "pipeline.project_created": _l("Project entered the pipeline"),
    "pipeline.project_moved": _l("Project moved to another stage"),
    "pipeline.plan_updated": _l("Project owner or next step changed"),
    "pipeline.partner_added": _l("Partner added to a project"),
    "pipeline.partner_removed": _l("Partner removed from a project"),
    "pipeline.milestone_added": _l("Milestone added"),
    "pipeline.milestone_marked": _l("Milestone marked"),
    "pipeline.note_posted": _l("Project update posted"),
    "pipeline.reading_posted": _l("Indicator reading posted"),
    "pipeline.reading_verified": _l("Indicator reading verified"),
    "pipeline.references_imported": _l("Reference figures imported"),
})


def _stage_name(key: str) -> str:
    """A stage's name in the reader's language, from the key the audit log records."""
    stage = db.session.scalar(select(Stage).where(Stage.key == key))
    return stage.name if stage is not None else key


audit.register_fields(values={"stage": _stage_name})

# The stages a new series starts with (organisers rename and reorder them).
DEFAULT_STAGES = (
    ("selected", "برگزیده", "Selected", StageKind.ACTIVE),
    ("agreement", "امضای تفاهم‌نامه", "Agreement signed", StageKind.ACTIVE),
    ("planning", "برنامه‌ریزی", "Planning", StageKind.ACTIVE),
    ("implementation", "اجرا", "Implementation", StageKind.ACTIVE),
    ("monitoring", "پایش", "Monitoring", StageKind.ACTIVE),
    ("completed", "پایان‌یافته", "Completed", StageKind.COMPLETED),
    ("on_hold", "متوقف موقت", "On hold", StageKind.ON_HOLD),
    ("dropped", "کنار گذاشته", "Dropped", StageKind.DROPPED),
)
STALE_AFTER_DAYS = 30


def require_pipeline_organiser(actor) -> None:
    """Only organisers run the pipeline (and import the observatory's reference figures)."""
    require_organiser(actor, _l("Only organisers can run the collaboration pipeline."))


def runs_pipeline(actor) -> bool:
    """Whether the actor runs the pipeline (a project's page shows them its organisers' controls)."""
    return actor is not None and actor.is_organiser


def today() -> date:
    return to_tehran(utcnow()).date()


# --- stages ---------------------------------------------------------------------------------------------


def ensure_stages() -> list[Stage]:
    """The stages in board order, creating the defaults the first time."""
    stages = list(db.session.scalars(select(Stage).order_by(Stage.position, Stage.id)))
    if not stages:
        for position, (key, name_fa, name_en, kind) in enumerate(DEFAULT_STAGES):
            db.session.add(Stage(key=key, name_fa=name_fa, name_en=name_en, position=position, kind=kind))
        db.session.flush()
        stages = list(db.session.scalars(select(Stage).order_by(Stage.position, Stage.id)))
    return stages


def save_stages(actor, names: dict[int, tuple[str, str]], order: list[int], now: datetime) -> list[Stage]:
    """Rename stages ({id: (Persian, English)}) and put them in ``order`` (ids, first column first)."""
    require_pipeline_organiser(actor)
    stages = {stage.id: stage for stage in ensure_stages()}
    if sorted(order) != sorted(stages):
        raise Invalid(_("Give every stage its place once."))
    errors = {f"name_fa-{stage_id}": _("Every stage needs a Persian name.")
              for stage_id, (name_fa, _name_en) in names.items() if not name_fa.strip()}
    if errors:
        raise Invalid(_("Every stage needs a Persian name."), errors)
    before = {stage.key: [stage.name_fa, stage.name_en, stage.position] for stage in stages.values()}
    for position, stage_id in enumerate(order):
        stage = stages[stage_id]
        stage.position = position
        if stage_id in names:
            stage.name_fa, stage.name_en = (value.strip() for value in names[stage_id])
    after = {stage.key: [stage.name_fa, stage.name_en, stage.position] for stage in stages.values()}
    audit.record(actor, "pipeline.stages_saved", actor, audit.diff(before, after), label=_("Pipeline stages"),
                 now=now)
    return sorted(stages.values(), key=lambda stage: stage.position)


# --- projects ---------------------------------------------------------------------------------------------


def _project_for_team(team: Team) -> Project | None:
    return db.session.scalar(select(Project).where(Project.team_id == team.id))


def create_project(actor, team: Team, now: datetime, award: str = "") -> Project:
    """Carry the team's submitted map into the pipeline: its indicators, and its actions as milestones."""
    require_pipeline_organiser(actor)
    if _project_for_team(team) is not None:
        raise Conflict(_("This team's map is already in the pipeline."))
    progress_map = db.session.scalar(select(ProgressMap).options(
        selectinload(ProgressMap.indicators), selectinload(ProgressMap.actions)).where(ProgressMap.team_id == team.id))
    if progress_map is None or progress_map.status != SUBMITTED:
        raise Conflict(_("Only a submitted progress map can enter the pipeline."))
    first = ensure_stages()[0]
    project = Project(event_id=team.event_id, team_id=team.id, map_id=progress_map.id,
                      title=progress_map.title or team.name, province_id=progress_map.province_id or team.province_id,
                      award=award or "", stage_id=first.id, created_at=now, last_update_at=now)
    project.indicators = [ProjectIndicator(name=item.name, unit=item.unit, baseline=item.baseline, target=item.target,
                                           target_date=item.target_date) for item in progress_map.indicators]
    project.milestones = [Milestone(title=action.what, due_on=action.ends_on) for action in progress_map.actions]
    db.session.add(project)
    db.session.flush()
    db.session.add(StageMove(project_id=project.id, from_stage_id=None, to_stage_id=first.id, moved_at=now,
                             moved_by_id=actor.id if actor else None))
    audit.record(actor, "pipeline.project_created", project, {"team": team.name, "award": award}, now=now)
    return project


def projects_from_publication(actor, publication: Publication, now: datetime) -> list[Project]:
    """Every award-winning map of a published final round becomes a project (once)."""
    if publication.round.kind != FINAL:
        return []
    created = []
    for row in publication.result.rows:
        team = db.session.get(Team, row.team_id)
        if row.award and team is not None and _project_for_team(team) is None:
            try:
                created.append(create_project(actor, team, now, row.award))
            except Conflict:
                continue  # a winner without a submitted map: the organisers can add it by hand later
    return created


def get_project(actor, project_id: int) -> Project:
    """A project, for organisers and the members of its team."""
    project = db.session.get(Project, project_id)
    if project is None or not can_follow(actor, project):
        raise NotFound(_("There is no such project."))
    return project


def can_follow(actor, project: Project) -> bool:
    if actor is None or not actor.is_authenticated:
        return False
    if getattr(actor, "is_partner", False):  # a partner's API token with the write:pipeline scope
        return True
    return actor.is_organiser or db.session.scalar(select(TeamMember.id).where(
        TeamMember.team_id == project.team_id, TeamMember.user_id == actor.id)) is not None


def _require_contributor(actor, project: Project) -> None:
    if not can_follow(actor, project):
        raise NotAllowed(_("Only the project's team and the organisers can add to it."))


def _touch(project: Project, now: datetime) -> None:
    project.last_update_at = max(project.last_update_at, now)


def move(actor, project: Project, stage_id: int, reason: str, now: datetime) -> StageMove:
    """Move the project to another stage; on hold and dropped need a reason. Audited with who and when,
    and announced (signals.project_moved) once committed."""
    require_pipeline_organiser(actor)
    stage = db.session.get(Stage, stage_id)
    if stage is None:
        raise Invalid(_("Choose a stage from the list."), {"stage": _("Choose a stage from the list.")})
    if stage.id == project.stage_id:
        raise Conflict(_("The project is already at this stage."))
    reason = (reason or "").strip()
    if stage.kind.needs_reason and not reason:
        raise Invalid(_("Say why the project is on hold or dropped."), {"reason": _("Say why.")})
    step = StageMove(project_id=project.id, from_stage_id=project.stage_id, to_stage_id=stage.id, reason=reason,
                     moved_by_id=actor.id, moved_at=now)
    db.session.add(step)
    before = project.stage
    project.stage, project.stage_reason = stage, reason  # the relationship, not the id: it stays current
    _touch(project, now)
    db.session.flush()
    audit.record(actor, "pipeline.project_moved", project, {"stage": [before.key, stage.key], "reason": reason},
                 now=now)
    signals.send_after_commit(signals.project_moved, project, actor=actor, now=now, from_stage=before, to_stage=stage)
    return step


def stage_history(project: Project) -> list[StageMove]:
    return list(db.session.scalars(select(StageMove).where(StageMove.project_id == project.id)
                                   .order_by(StageMove.moved_at, StageMove.id)))


@dataclass
class Plan:
    owner_id: int | None
    next_step: str
    next_step_due: date | None


def update_plan(actor, project: Project, plan: Plan, now: datetime) -> Project:
    """The headquarters' owner of the project, and its next step with a due date."""
    require_pipeline_organiser(actor)
    if plan.owner_id is not None:
        owner = db.session.get(User, plan.owner_id)
        if owner is None or not owner.is_organiser:
            raise Invalid(_("The owner must be an organiser."), {"owner": _("Choose an organiser.")})
    if plan.next_step_due is not None and not plan.next_step.strip():
        raise Invalid(_("Say what the next step is."), {"next_step": _("Say what the next step is.")})
    before = {"owner": project.owner_id, "next_step": project.next_step, "due": project.next_step_due}
    project.owner_id, project.next_step, project.next_step_due = plan.owner_id, plan.next_step.strip(), \
        plan.next_step_due
    audit.record(actor, "pipeline.plan_updated", project, audit.diff(
        before, {"owner": project.owner_id, "next_step": project.next_step, "due": project.next_step_due}), now=now)
    return project


def add_partner(actor, project: Project, name: str, role: str, now: datetime) -> Partner:
    require_pipeline_organiser(actor)
    if not (name or "").strip():
        raise Invalid(_("Name the partner organisation."), {"name": _("Name the partner organisation.")})
    partner = Partner(name=name.strip(), role=(role or "").strip())
    project.partners.append(partner)
    audit.record(actor, "pipeline.partner_added", project, {"partner": partner.name}, now=now)
    return partner


def remove_partner(actor, project: Project, partner_id: int, now: datetime) -> None:
    require_pipeline_organiser(actor)
    partner = next((item for item in project.partners if item.id == partner_id), None)
    if partner is None:
        raise NotFound(_("There is no such partner."))
    project.partners.remove(partner)
    audit.record(actor, "pipeline.partner_removed", project, {"partner": partner.name}, now=now)


# --- milestones, notes and readings ----------------------------------------------------------------------------


def add_milestone(actor, project: Project, title: str, due_on: date | None, now: datetime) -> Milestone:
    require_pipeline_organiser(actor)
    if not (title or "").strip():
        raise Invalid(_("Say what the milestone is."), {"title": _("Say what the milestone is.")})
    milestone = Milestone(title=title.strip(), due_on=due_on)
    project.milestones.append(milestone)
    audit.record(actor, "pipeline.milestone_added", project, {"milestone": milestone.title}, now=now)
    return milestone


def mark_milestone(actor, project: Project, milestone_id: int, done_on: date | None, now: datetime) -> Milestone:
    """Mark a milestone done on a day (not in the future), or not done (``done_on`` None)."""
    _require_contributor(actor, project)
    milestone = next((item for item in project.milestones if item.id == milestone_id), None)
    if milestone is None:
        raise NotFound(_("There is no such milestone."))
    if done_on is not None and done_on > to_tehran(now).date():
        raise Invalid(_("A milestone cannot be done in the future."), {"done_on": _("Give today or a past day.")})
    milestone.done_on = done_on
    _touch(project, now)
    audit.record(actor, "pipeline.milestone_marked", project,
                 {"milestone": milestone.title, "done_on": done_on.isoformat() if done_on else None}, now=now)
    return milestone


def post_note(actor, project: Project, body: str, files: list[tuple[str, bytes]], now: datetime) -> Note:
    """An update on the timeline, with files checked as a map's attachments are."""
    _require_contributor(actor, project)
    body = (body or "").strip()
    if not body:
        raise Invalid(_("Write the update."), {"body": _("Write the update.")})
    if len(files) > current_app.config["MAX_ATTACHMENTS"]:
        raise Invalid(_("An update can have at most %(num)s files.", num=current_app.config["MAX_ATTACHMENTS"]))
    note = Note(project_id=project.id, author_id=actor.id, body=body, created_at=now)
    for filename, content in files:
        content_type, sha256 = storage.store_attachment(filename, content)
        note.attachments.append(NoteAttachment(original_name=filename, content_type=content_type, size=len(content),
                                               sha256=sha256))
    db.session.add(note)
    _touch(project, now)
    db.session.flush()
    audit.record(actor, "pipeline.note_posted", project, {"files": len(files)}, now=now)
    return note


def timeline(project: Project) -> list[Note]:
    return list(db.session.scalars(select(Note).options(selectinload(Note.attachments), selectinload(Note.author))
                                   .where(Note.project_id == project.id).order_by(Note.created_at.desc(), Note.id.desc())))


def note_attachment_for_download(actor, attachment_id: int):
    """(attachment, path on disk) for the project's team and the organisers."""
    attachment = db.session.get(NoteAttachment, attachment_id)
    if attachment is None or not can_follow(actor, db.session.get(Project, attachment.note.project_id)):
        raise NotFound(_("There is no such file."))
    return attachment, storage.path_for(current_app.config["UPLOAD_DIR"], attachment.sha256)


def _indicator_of(project: Project, indicator_id: int) -> ProjectIndicator:
    indicator = next((item for item in project.indicators if item.id == indicator_id), None)
    if indicator is None:
        raise NotFound(_("There is no such indicator."))
    return indicator


@dataclass
class ReadingDetails:
    taken_on: date | None
    value: float | None
    source: str = ""
    note: str = ""


def post_reading(actor, project: Project, indicator_id: int, details: ReadingDetails, now: datetime) -> Reading:
    """A measured value of one of the project's indicators (it counts publicly once verified)."""
    _require_contributor(actor, project)
    indicator = _indicator_of(project, indicator_id)
    errors = {}
    if details.taken_on is None:
        errors["taken_on"] = _("Give the day it was measured.")
    elif details.taken_on > to_tehran(now).date():
        errors["taken_on"] = _("A reading cannot be from the future.")
    if details.value is None:
        errors["value"] = _("Give the measured value.")
    if errors:
        raise Invalid(_("Correct the marked fields."), errors)
    reading = Reading(taken_on=details.taken_on, value=details.value, source=(details.source or "").strip(),
                      note=(details.note or "").strip(), posted_by_id=actor.id, posted_at=now)
    indicator.readings.append(reading)
    _touch(project, now)
    db.session.flush()
    audit.record(actor, "pipeline.reading_posted", project, {"indicator": indicator.name, "value": details.value},
                 now=now)
    return reading


def verify_reading(actor, project: Project, reading_id: int, now: datetime) -> Reading:
    require_pipeline_organiser(actor)
    reading = db.session.get(Reading, reading_id)
    if reading is None or reading.indicator.project_id != project.id:
        raise NotFound(_("There is no such reading."))
    if reading.verified_at is not None:
        raise Conflict(_("This reading was already verified."))
    reading.verified_at, reading.verified_by_id = now, actor.id
    audit.record(actor, "pipeline.reading_verified", project, {"indicator": reading.indicator.name,
                                                                "value": reading.value}, now=now)
    return reading


def indicator_status(indicator: ProjectIndicator, day: date) -> TrackingStatus:
    verified = [(reading.taken_on, reading.value) for reading in indicator.readings if reading.verified_at]
    return tracking.status(indicator.baseline, indicator.target, indicator.target_date, verified, day)


# --- lists, board and attention --------------------------------------------------------------------------------


@dataclass
class Filters:
    event_id: int | None = None
    province_id: int | None = None
    stage_id: int | None = None
    owner_id: int | None = None
    overdue: bool = False


def _overdue_project_ids(day: date):
    return select(Milestone.project_id).where(Milestone.due_on < day, Milestone.done_on.is_(None))


def _filtered(filters: Filters, day: date):
    query = select(Project).options(selectinload(Project.team), selectinload(Project.stage),
                                    selectinload(Project.owner), selectinload(Project.province))
    if filters.event_id:
        query = query.where(Project.event_id == filters.event_id)
    if filters.province_id:
        query = query.where(Project.province_id == filters.province_id)
    if filters.stage_id:
        query = query.where(Project.stage_id == filters.stage_id)
    if filters.owner_id:
        query = query.where(Project.owner_id == filters.owner_id)
    if filters.overdue:
        query = query.where((Project.id.in_(_overdue_project_ids(day))) | (Project.next_step_due < day))
    return query


def projects_page(actor, filters: Filters, page: int, per_page: int):
    require_pipeline_organiser(actor)
    return db.paginate(_filtered(filters, today()).order_by(Project.last_update_at.desc(), Project.id),
                       page=page, per_page=per_page, error_out=False)


def board(actor, filters: Filters) -> list[tuple[Stage, list[Project]]]:
    """The board: each stage with its projects (most recently updated first)."""
    require_pipeline_organiser(actor)
    stages = ensure_stages()
    projects = db.session.scalars(_filtered(filters, today()).order_by(Project.last_update_at.desc())).all()
    return [(stage, [project for project in projects if project.stage_id == stage.id]) for stage in stages]


@dataclass
class Attention:
    overdue_milestones: list[Milestone]
    overdue_steps: list[Project]
    silent: list[Project]


def attention(actor, now: datetime, owner_id: int | None = None) -> Attention:
    """What needs the organisers: overdue milestones and next steps, and projects with no update for
    STALE_AFTER_DAYS days (only projects still at an active stage)."""
    if actor is not None:
        require_pipeline_organiser(actor)
    day = to_tehran(now).date()
    scope = [Project.stage_id.in_(active_stage_ids())] + ([Project.owner_id == owner_id] if owner_id else [])
    milestones = db.session.scalars(select(Milestone).join(Project).options(selectinload(Milestone.project)).where(
        Milestone.due_on < day, Milestone.done_on.is_(None), *scope).order_by(Milestone.due_on)).all()
    steps = db.session.scalars(select(Project).where(Project.next_step_due < day, *scope)
                               .order_by(Project.next_step_due)).all()
    silent = db.session.scalars(select(Project).where(
        Project.last_update_at < now - timedelta(days=STALE_AFTER_DAYS), *scope).order_by(Project.last_update_at)).all()
    return Attention(list(milestones), list(steps), list(silent))


def projects_of_team(team: Team) -> list[Project]:
    return list(db.session.scalars(select(Project).where(Project.team_id == team.id)))


def active_stage_ids():
    """The stages where a project is being carried out (a subquery)."""
    return select(Stage.id).where(Stage.kind == StageKind.ACTIVE)


def digest_items(now: datetime) -> dict[int, list[dict]]:
    """What each project owner's weekly digest lists: their flagged projects and the steps due this week, as plain
    values (``what``: overdue_milestone, overdue_step, silent or due_this_week; ``title``; ``project``; ``days``)."""
    owners = db.session.scalars(select(Project.owner_id).where(Project.owner_id.is_not(None)).distinct()).all()
    today = to_tehran(now).date()
    items = {}
    for owner_id in owners:
        flagged = attention(None, now, owner_id)
        soon = db.session.scalars(select(Project).where(
            Project.owner_id == owner_id, Project.next_step_due >= today,
            Project.next_step_due <= today + timedelta(days=7))).all()
        items[owner_id] = (
            [{"what": "overdue_milestone", "title": m.title, "project": m.project.title}
             for m in flagged.overdue_milestones]
            + [{"what": "overdue_step", "title": p.next_step, "project": p.title} for p in flagged.overdue_steps]
            + [{"what": "silent", "title": "", "project": p.title, "days": STALE_AFTER_DAYS} for p in flagged.silent]
            + [{"what": "due_this_week", "title": p.next_step, "project": p.title} for p in soon])
    return items


def stage_counts(event_id: int | None = None) -> dict[int, int]:
    query = select(Project.stage_id, func.count()).group_by(Project.stage_id)
    if event_id:
        query = query.where(Project.event_id == event_id)
    return dict(db.session.execute(query).all())


# --- what the pages list ------------------------------------------------------------------------------------


def organisers() -> list[User]:
    """The accounts that can own a project (organisers and admins), by name."""
    return list(db.session.scalars(select(User).where(User.id.in_(
        select(RoleGrant.user_id).where(RoleGrant.role.in_((ORGANISER, ADMIN))))).order_by(User.name, User.id)))


def events_for_filters() -> list[Event]:
    """Every event, the newest first: the board's event filter and the observatory's scopes."""
    return list(db.session.scalars(select(Event).order_by(Event.created_at.desc(), Event.id.desc())))


def teams_ready(actor, event_id: int) -> list[Team]:
    """The event's teams whose map is submitted and not in the pipeline yet (organisers add them by hand)."""
    require_pipeline_organiser(actor)
    return list(db.session.scalars(select(Team).join(ProgressMap, ProgressMap.team_id == Team.id).where(
        Team.event_id == event_id, ProgressMap.status == SUBMITTED, Team.id.not_in(select(Project.team_id)))
        .order_by(Team.name, Team.id)))


def stages_for(actor) -> list[Stage]:
    """The stages in board order, for the organisers' settings page."""
    require_pipeline_organiser(actor)
    return ensure_stages()
