"""Writing and reading the audit log."""
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..core.enums import LabelledEnum
from ..core.extensions import db
from ..core.roles import require_organiser
from .models import AuditEntry

_ACTION_LABELS: dict[str, object] = {}


def register_actions(labels: dict) -> None:
    """Each area names the actions it audits, once, when its services are imported:
    ``audit.register_actions({"team.registered": _l("Team registered")})``."""
    _ACTION_LABELS.update(labels)


# What the entries' fields are called (a field of a phase, "registration.ends_at", reads as both parts).
_FIELD_LABELS: dict[str, object] = {
    "added": _lp("audit field", "Added"), "audience": _l("Who may attend"), "award": _l("Award"), "blind": _l("Blind judging"),
    "capacity": _l("Capacity"), "criteria": _l("Criteria"), "description": _l("Description"),
    "description_en": _l("Description in English"), "description_fa": _l("Description in Persian"),
    "disagreement_threshold": _l("Disagreement threshold"), "done_on": _l("Done on"), "due": _l("Due"),
    "email": _l("Email"), "ends_at": _l("Ends"), "entries": _l("Entries"), "event": _l("Event"),
    "files": _l("Files"), "handed_to": _l("Handed to"), "indicator": _l("Indicator"), "judge": _l("Judge"),
    "judges": _l("Judges"), "judges_per_entry": _l("Judges per entry"), "kind": _l("Kind"),
    "max_team_size": _l("Largest team"), "member": _l("Member"), "method": _l("Method"),
    "milestone": _l("Milestone"), "min_team_size": _l("Smallest team"), "next_step": _l("Next step"),
    "online_link": _l("Online link"), "outlier_threshold": _l("Outlier threshold"), "owner": _l("Owner"),
    "partner": _l("Partner"), "pending": _lp("audit field", "Pending"), "place": _l("Place"), "province_id": _l("Province"),
    "reason": _l("Reason"), "removed": _lp("audit field", "Removed"), "required": _l("Required"), "revision": _l("Revision"),
    "round": _l("Round"), "rubric_id": _l("Rubric"), "scope": _l("Scope"), "selected": _lp("audit field", "Selected"),
    "show_others_after_submit": _l("Show the others' scores after submitting"), "slug": _l("Short name in addresses"),
    "stage": _l("Stage"), "starts_at": _l("Starts"), "status": _l("Status"), "team": _l("Team"),
    "teams": _l("Teams"), "tie_breakers": _l("Tie-breakers"), "title": _l("Title"),
    "title_en": _l("Title in English"), "title_fa": _l("Title in Persian"), "total": _l("Total"),
    "uncovered": _lp("audit field", "Uncovered"), "value": _l("Value"),
}
_VALUE_LABELS: dict[str, object] = {}


def register_fields(labels: dict | None = None, values: dict | None = None) -> None:
    """An area names more fields its entries record (a lazy label, or a labelled state: a phase), and how a
    field's stored values read:
    ``audit.register_fields(values={"status": TeamStatus.label_of})``."""
    _FIELD_LABELS.update(labels or {})
    _VALUE_LABELS.update(values or {})


def field_label(field: str) -> str:
    """What a recorded field is called; a field this log does not know, as it was recorded."""
    if field in _FIELD_LABELS:
        label = _FIELD_LABELS[field]
        return label.label if isinstance(label, LabelledEnum) else str(label)
    if "." in field:
        return " · ".join(field_label(part) for part in field.split("."))
    return field


def value_label(field: str, value) -> str | None:
    """How a stored value of ``field`` reads (a state's label), or None when the field has no labels."""
    label_of = _VALUE_LABELS.get(field.rsplit(".", 1)[-1])
    return str(label_of(value)) if label_of is not None and isinstance(value, str) else None


def action_labels() -> dict:
    """Every audited action and its label, for the log's filter."""
    return dict(_ACTION_LABELS)


def known_action(action: str | None) -> str | None:
    """The action, if it is one the log has a label for (a filter ignores any other)."""
    return action if action in _ACTION_LABELS else None


def record(actor, action: str, target, changes: dict | None = None, label: str = "", *,
           now: datetime) -> AuditEntry:
    """Add an audit entry, at ``now``, to the current transaction (it commits with the change it records)."""
    entry = AuditEntry(
        at=now,
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_type=type(target).__name__,
        target_id=target.id,
        target_label=label or str(target),
        changes=changes or {},
    )
    db.session.add(entry)
    return entry


def diff(before: dict, after: dict) -> dict:
    """The fields whose value changed, appeared or went, as {"field": [old, new]}, JSON-safe."""
    return {
        key: [_json_safe(before.get(key)), _json_safe(after.get(key))]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _json_safe(value):
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def entries_page(actor, page: int, per_page: int, action: str | None = None):
    require_organiser(actor, _l("Only organisers can read the audit log."))
    query = select(AuditEntry).options(joinedload(AuditEntry.actor)).order_by(AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action == action)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
