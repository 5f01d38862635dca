"""Writing and reading the audit log."""
from datetime import UTC, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..core.extensions import db
from ..core.roles import require_organiser
from .models import AuditEntry

_ACTION_LABELS: dict[str, object] = {}


def register_actions(labels: dict) -> None:
    """Each area names the actions it audits, once, when its services are imported:
    ``audit.register_actions({"team.registered": _l("Team registered")})``."""
    _ACTION_LABELS.update(labels)


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
