"""Writing and reading the audit log."""
from datetime import datetime, timezone

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..auth.roles import require_organiser
from ..extensions import db
from .models import AuditEntry

ACTION_LABELS = {
    "event.created": _l("Event created"),
    "event.updated": _l("Event updated"),
    "role.granted": _l("Role granted"),
    "role.removed": _l("Role removed"),
    "user.created": _l("Account created from the command line"),
    "password.reset": _l("Password reset"),
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
    "training.created": _l("Training session created"),
    "training.updated": _l("Training session updated"),
    "training.cancelled": _l("Training session cancelled"),
    "training.attendance": _l("Training attendance recorded"),
    "certificate.issued": _l("Document issued"),
    "certificate.revoked": _l("Document revoked"),
    "certificate.reissued": _l("Document reissued"),
    "certificate.job_started": _l("Bulk issue started"),
    "certificate.job_resumed": _l("Bulk issue resumed"),
    "certificate.template_saved": _l("Document template saved"),
    "certificate.template_reset": _l("Document template reset to the default"),
    "certificate.image_uploaded": _l("Document image uploaded"),
    "certificate.image_removed": _l("Document image removed"),
    "certificate.settings_saved": _l("Document settings saved"),
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
    "api.token_issued": _l("API token issued"),
    "api.token_revoked": _l("API token revoked"),
}


def record(actor, action: str, target, changes: dict | None = None, label: str = "") -> AuditEntry:
    """Add an audit entry to the current transaction (it commits with the change it records)."""
    entry = AuditEntry(
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
        return value.astimezone(timezone.utc).isoformat() if value.tzinfo else value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def entries_page(actor, page: int, per_page: int, action: str | None = None):
    require_organiser(actor, _l("Only organisers can read the audit log."))
    query = select(AuditEntry).options(joinedload(AuditEntry.actor)).order_by(AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action == action)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
