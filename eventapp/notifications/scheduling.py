"""What is due: deadline reminders, training sessions tomorrow, pipeline milestones, the weekly digest, and
scheduled announcements. ``tick(now)`` stores what has come due and queues it; running it again stores
nothing twice (every reminder has its subject: the deadline and how many hours before it).

Who runs the tick: RQ's own scheduler when REDIS_URL is set (``schedule_next_tick``: a job that queues the
next one), an in-process ticker thread otherwise (``start_ticker``), and ``flask notifications send-due``
for cron."""
import logging
import threading
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..core import jobs
from ..core.database import utcnow
from ..core.extensions import db
from ..core.i18n import to_tehran
from ..events.enums import PhaseKind
from ..events.models import Event, Phase
from ..judging.models import Assignment, Round
from ..pipeline import services as pipeline_services
from ..pipeline.models import Milestone, Project
from ..teams.models import APPROVED, PENDING, SUBMITTED, ProgressMap, Team, TeamMember
from ..training.enums import SignupStatus
from ..training.models import TrainingSession, TrainingSignup
from . import announcements, delivery
from .enums import AnnouncementStatus, Kind
from .models import Announcement, ReminderSchedule
from .outbox import Entry, members_of, notify

log = logging.getLogger(__name__)
DEFAULT_REMINDER_HOURS = (72, 24)
MILESTONE_DUE_DAYS = 3
TICK_JOB_ID = "notifications-tick"


def reminder_hours(event_id: int) -> tuple[int, ...]:
    schedule = db.session.get(ReminderSchedule, event_id)
    return tuple(schedule.hours_before) if schedule is not None else DEFAULT_REMINDER_HOURS


def _offset_due(ends_at: datetime, hours: tuple[int, ...], now: datetime) -> int | None:
    """The reminder due now before a deadline: of the offsets whose moment has come, the closest to the deadline
    (a ticker that was stopped sends the 24-hour reminder, not the 72-hour one too); None after the deadline."""
    if now >= ends_at:
        return None
    passed = [hour for hour in hours if ends_at - timedelta(hours=hour) <= now]
    return min(passed) if passed else None


def _event_params(event: Event) -> dict:
    return {"event_fa": event.title_fa, "event_en": event.title_en or event.title_fa}


def _team_reminders(phase: Phase, kind: Kind, hour: int, teams: list[Team]) -> list[Entry]:
    members = members_of([team.id for team in teams])
    params = {**_event_params(phase.event), "ends_at": phase.ends_at.isoformat(), "hours": hour}
    return [Entry(user_id, f"phase:{phase.id}:{hour}", {**params, "team": team.name}, f"/teams/{team.id}",
                  phase.event_id) for team in teams for user_id in members[team.id]]


def deadline_reminders(now: datetime) -> dict[Kind, list[Entry]]:
    """The reminders due now: registration incomplete, map not submitted, judging still open."""
    due: dict[Kind, list[Entry]] = {Kind.REGISTRATION_REMINDER: [], Kind.SUBMISSION_REMINDER: [],
                                    Kind.JUDGING_REMINDER: []}
    phases = db.session.scalars(select(Phase).where(
        Phase.kind.in_((PhaseKind.REGISTRATION, PhaseKind.SUBMISSION)), Phase.ends_at > now)).all()
    for phase in phases:
        hour = _offset_due(phase.ends_at, reminder_hours(phase.event_id), now)
        if hour is None:
            continue
        if phase.kind == PhaseKind.REGISTRATION:
            sizes = select(TeamMember.team_id, func.count().label("size")).group_by(TeamMember.team_id).subquery()
            teams = db.session.scalars(select(Team).outerjoin(sizes, sizes.c.team_id == Team.id).where(
                Team.event_id == phase.event_id, Team.status.in_((PENDING, APPROVED)),
                func.coalesce(sizes.c.size, 0) < phase.event.min_team_size)).all()
            due[Kind.REGISTRATION_REMINDER] += _team_reminders(phase, Kind.REGISTRATION_REMINDER, hour, list(teams))
        else:
            submitted = select(ProgressMap.team_id).where(ProgressMap.status == SUBMITTED)
            teams = db.session.scalars(select(Team).where(
                Team.event_id == phase.event_id, Team.status == APPROVED, Team.id.not_in(submitted))).all()
            due[Kind.SUBMISSION_REMINDER] += _team_reminders(phase, Kind.SUBMISSION_REMINDER, hour, list(teams))
    for round_ in db.session.scalars(select(Round).where(Round.ends_at > now, Round.starts_at <= now)):
        hour = _offset_due(round_.ends_at, reminder_hours(round_.event_id), now)
        if hour is None:
            continue
        open_counts = db.session.execute(select(Assignment.user_id, func.count()).where(
            Assignment.round_id == round_.id, Assignment.submitted_at.is_(None)).group_by(Assignment.user_id)).all()
        params = {**_event_params(round_.event), "ends_at": round_.ends_at.isoformat(), "hours": hour}
        due[Kind.JUDGING_REMINDER] += [Entry(user_id, f"round:{round_.id}:{hour}", {**params, "count": count},
                                             "/judging", round_.event_id) for user_id, count in open_counts]
    return due


def training_tomorrow(now: datetime) -> list[Entry]:
    sessions = db.session.scalars(select(TrainingSession).where(
        TrainingSession.cancelled_at.is_(None), TrainingSession.starts_at > now,
        TrainingSession.starts_at <= now + timedelta(days=1))).all()
    entries = []
    for session in sessions:
        params = {"title": session.title, "starts_at": session.starts_at.isoformat(), "place": session.place,
                  "online_link": session.online_link}
        users = db.session.scalars(select(TrainingSignup.user_id).where(
            TrainingSignup.session_id == session.id, TrainingSignup.status == SignupStatus.CONFIRMED)).all()
        entries += [Entry(user_id, f"training:{session.id}", params, f"/events/{session_event_slug(session)}",
                          session.event_id) for user_id in users]
    return entries


def session_event_slug(session: TrainingSession) -> str:
    return db.session.scalar(select(Event.slug).where(Event.id == session.event_id))


def milestones(now: datetime) -> dict[Kind, list[Entry]]:
    """Milestones of projects at an active stage due within MILESTONE_DUE_DAYS, and overdue: to the project's
    owner and its team."""
    today = to_tehran(now).date()
    rows = db.session.execute(select(Milestone, Project).join(Project, Milestone.project_id == Project.id).where(
        Milestone.done_on.is_(None), Milestone.due_on.is_not(None),
        Milestone.due_on <= today + timedelta(days=MILESTONE_DUE_DAYS),
        Project.stage_id.in_(pipeline_services.active_stage_ids()))).all()
    members = members_of({project.team_id for _, project in rows})
    due: dict[Kind, list[Entry]] = {Kind.MILESTONE_DUE: [], Kind.MILESTONE_OVERDUE: []}
    for milestone, project in rows:
        kind = Kind.MILESTONE_OVERDUE if milestone.due_on < today else Kind.MILESTONE_DUE
        params = {"title": milestone.title, "project": project.title, "due_on": milestone.due_on.isoformat()}
        people = {*members[project.team_id], *([project.owner_id] if project.owner_id else [])}
        due[kind] += [Entry(user_id, f"milestone:{milestone.id}", params,
                            f"/pipeline/projects/{project.id}" if user_id == project.owner_id else f"/teams/{project.team_id}",
                            project.event_id) for user_id in sorted(people)]
    return due


def weekly_digests(now: datetime) -> list[Entry]:
    """Each project owner's week: their flagged projects and the steps due in the next seven days (once a week,
    the week as Iran counts it, from Saturday)."""
    day = to_tehran(now).date()
    saturday = day - timedelta(days=(day.weekday() - 5) % 7)
    entries = []
    for owner_id, items in pipeline_services.digest_items(now).items():
        if items:
            entries.append(Entry(owner_id, f"week:{saturday.isoformat()}", {"items": items}, "/pipeline"))
    return entries


def send_weekly_digests(now: datetime) -> int:
    """Store and queue this week's digests (the tick does it; ``flask pipeline digest`` too); how many are new."""
    ids = notify(Kind.PIPELINE_DIGEST, weekly_digests(now), now)
    db.session.commit()
    delivery.dispatch(ids)
    return len(ids)


def due_announcements(now: datetime) -> list[int]:
    return list(db.session.scalars(select(Announcement.id).where(
        Announcement.status == AnnouncementStatus.SCHEDULED, Announcement.send_at <= now)))


def tick(now: datetime) -> dict[str, int]:
    """Store and queue what has come due; the number of new deliveries per kind (and of retries queued)."""
    counts: dict[str, int] = {}
    batches = [*deadline_reminders(now).items(), (Kind.TRAINING_TOMORROW, training_tomorrow(now)),
               *milestones(now).items(), (Kind.PIPELINE_DIGEST, weekly_digests(now))]
    for kind, entries in batches:
        ids = notify(kind, entries, now)
        db.session.commit()
        if ids:
            delivery.dispatch(ids)
            counts[kind.value] = len(ids)
    for announcement_id in due_announcements(now):
        sent = announcements.send(None, db.session.get(Announcement, announcement_id), now)
        db.session.commit()
        counts[f"announcement:{announcement_id}"] = sent
    counts["retried"] = delivery.requeue(now)
    return counts


# --- who runs the tick ----------------------------------------------------------------------------------------

def tick_task() -> None:
    """The job RQ's scheduler runs every NOTIFY_TICK_SECONDS: the tick, then the next one scheduled."""
    try:
        tick(utcnow())
    finally:
        schedule_next_tick()


def schedule_next_tick() -> None:
    """Have RQ's scheduler run the tick in NOTIFY_TICK_SECONDS (one scheduled tick at a time: a fixed job id)."""
    if jobs.backend() == "redis":
        jobs.enqueue_in(timedelta(seconds=current_app.config["NOTIFY_TICK_SECONDS"]), tick_task, key=TICK_JOB_ID)


def start_ticker(app) -> None:
    """The embedded default: a daemon thread of the web process that runs the tick every NOTIFY_TICK_SECONDS."""
    def run():
        stopped = threading.Event()
        while not stopped.wait(app.config["NOTIFY_TICK_SECONDS"]):
            with app.app_context():
                try:
                    tick(utcnow())
                except Exception:  # a failing tick must not stop the next one
                    log.exception("The notifications tick failed")
                    db.session.rollback()

    threading.Thread(target=run, name="notifications-ticker", daemon=True).start()
