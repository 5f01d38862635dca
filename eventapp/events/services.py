"""Creating and changing events, and what the public pages show of them."""
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..audit import services as audit
from ..core import page_cache
from ..core.errors import Invalid, NotFound
from ..core.extensions import db
from ..core.i18n import format_list
from ..core.roles import require_organiser
from ..core.text import normalize_text
from . import phases as schedule
from .enums import PhaseKind, Scope
from .models import Event, Phase, Province

audit.register_actions({
    "event.created": _l("Event created"),
    "event.updated": _l("Event updated"),
})
audit.register_fields({kind.value: kind for kind in PhaseKind}, values={"scope": Scope.label_of})


@dataclass
class EventDetails:
    """What an organiser sets on an event; ``windows`` maps a phase to its (start, end)."""

    title_fa: str
    title_en: str
    slug: str
    scope: str = Scope.NATIONAL
    province_id: int | None = None
    description_fa: str = ""
    description_en: str = ""
    min_team_size: int = 3
    max_team_size: int = 10
    windows: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)

    def columns(self) -> dict:
        """The event's columns, text normalised as every form stores it."""
        return {
            "title_fa": normalize_text(self.title_fa), "title_en": normalize_text(self.title_en),
            "slug": self.slug, "scope": self.scope,
            "province_id": self.province_id if self.scope == Scope.PROVINCIAL else None,
            "description_fa": normalize_text(self.description_fa),
            "description_en": normalize_text(self.description_en),
            "min_team_size": self.min_team_size, "max_team_size": self.max_team_size,
        }


def _end_field(kind: str) -> str:
    """A phase's problem is shown under its end, the ``ends_at`` field of the phase's sub-form."""
    return f"{kind}-ends_at"


def _validate(details: EventDetails, event: Event | None) -> None:
    errors = {}
    columns = details.columns()
    if not columns["title_fa"]:
        errors["title_fa"] = _("Enter the Persian title.")
    if not columns["title_en"]:
        errors["title_en"] = _("Enter the English title.")
    if not 1 <= details.min_team_size <= details.max_team_size <= 100:
        errors["max_team_size"] = _("The largest team cannot be smaller than the smallest.")
    if details.scope not in Scope.values():
        errors["scope"] = _("Choose national or one province.")
    elif details.scope == Scope.PROVINCIAL and (
        details.province_id is None or db.session.get(Province, details.province_id) is None
    ):
        errors["province"] = _("Choose the province of a provincial event.")
    taken = db.session.scalar(select(Event.id).where(Event.slug == details.slug))
    if taken is not None and (event is None or taken != event.id):
        errors["slug"] = _("Another event already uses this short name.")
    unknown = set(details.windows) - set(schedule.PHASES)
    if unknown:
        errors["windows"] = _("Unknown phase: %(phase)s", phase=format_list(sorted(unknown)))
    windows = []
    for kind, (start, end) in details.windows.items():
        if start is None or end is None:
            errors[_end_field(kind)] = _("Give this phase its start and end.")
        elif kind in schedule.PHASES:
            windows.append(schedule.Window(kind, start, end))
    messages = {
        "missing": _("Give this phase its start and end."),
        "empty": _("The end must come after the start."),
        "order": _("This phase cannot start before the phase above it."),
    }
    for kind, problem in schedule.problems(windows).items():
        errors.setdefault(_end_field(kind), messages[problem])
    if errors:
        raise Invalid(_("The event was not saved: correct the marked fields."), fields=errors)


def _apply_windows(event: Event, windows: dict[str, tuple[datetime, datetime]]) -> None:
    current = {phase.kind: phase for phase in event.phases}
    for kind, (start, end) in windows.items():
        phase = current.pop(kind, None)
        if phase is None:
            event.phases.append(Phase(kind=PhaseKind(kind), starts_at=start, ends_at=end))
        else:
            phase.starts_at, phase.ends_at = start, end
    for phase in current.values():
        event.phases.remove(phase)


def _snapshot(event: Event) -> dict:
    values = {name: getattr(event, name) for name in EventDetails.__dataclass_fields__ if name != "windows"}
    for phase in event.phases:
        values[f"{phase.kind}.starts_at"] = phase.starts_at
        values[f"{phase.kind}.ends_at"] = phase.ends_at
    return values


def ensure_can_manage(actor) -> None:
    require_organiser(actor, _l("Only organisers can manage events."))


def create_event(actor, details: EventDetails, now: datetime) -> Event:
    ensure_can_manage(actor)
    _validate(details, None)
    event = Event(**details.columns(), created_by_id=actor.id, created_at=now)
    _apply_windows(event, details.windows)
    db.session.add(event)
    db.session.flush()
    audit.record(actor, "event.created", event, audit.diff({}, _snapshot(event)), now=now)
    return event


def update_event(actor, event: Event, details: EventDetails, now: datetime) -> Event:
    ensure_can_manage(actor)
    _validate(details, event)
    before = _snapshot(event)
    for name, value in details.columns().items():
        setattr(event, name, value)
    _apply_windows(event, details.windows)
    db.session.flush()
    changes = audit.diff(before, _snapshot(event))
    if changes:
        audit.record(actor, "event.updated", event, changes, now=now)
    return event


def get_event(slug: str) -> Event:
    event = db.session.scalar(select(Event).where(Event.slug == slug))
    if event is None:
        raise NotFound(_("There is no such event."))
    return event


def get_event_for_organiser(actor, event_id: int) -> Event:
    ensure_can_manage(actor)
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound(_("There is no such event."))
    return event


def events_page(page: int, per_page: int):
    """Events for the public list, the newest first; phases come in one extra query per page."""
    query = select(Event).order_by(Event.created_at.desc(), Event.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def organiser_events_page(actor, page: int, per_page: int):
    ensure_can_manage(actor)
    return events_page(page, per_page)


def overview(event: Event, now: datetime) -> dict:
    """What the event pages show: status, open phases and the next deadline."""
    windows = event.windows
    deadline = schedule.next_deadline(windows, now)
    if deadline is not None:
        page_cache.expire_by(deadline.at)  # a cached page showing this changes by itself then
    return {
        "status": schedule.status(windows, now),
        "open": schedule.open_phases(windows, now),
        "next": deadline,
    }
