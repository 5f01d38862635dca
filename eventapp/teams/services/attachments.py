"""The files attached to a progress map: uploads, removals and downloads."""
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...audit import services as audit
from ...core import storage
from ...core.errors import Conflict, Invalid, NotFound
from ...core.extensions import db
from ..models import Attachment, Team
from ._rules import MAP_LOCKED, require_map_writer
from .access import can_read_map
from .maps import map_of

audit.register_actions({
    "map.attachment_added": _l("File attached to a map"),
    "map.attachment_removed": _l("File removed from a map"),
})


def add_attachment(actor, team: Team, filename: str, content: bytes, now: datetime) -> Attachment:
    require_map_writer(actor, team)
    progress_map = map_of(team)
    if progress_map is None:
        raise Invalid(_("Save the map once before adding files."))
    if progress_map.is_locked:
        raise Conflict(MAP_LOCKED)
    config = current_app.config
    if len(progress_map.attachments) >= config["MAX_ATTACHMENTS"]:
        raise Invalid(_("A map can have at most %(num)s files. Remove one first.", num=config["MAX_ATTACHMENTS"]))
    content_type, sha256 = storage.store_attachment(filename, content)
    attachment = Attachment(map_id=progress_map.id, original_name=filename, content_type=content_type,
                            size=len(content), sha256=sha256, uploaded_by_id=actor.id, uploaded_at=now)
    progress_map.attachments.append(attachment)
    audit.record(actor, "map.attachment_added", team, {"file": filename}, now=now)
    return attachment


def _attachment_of(team: Team, attachment_id: int) -> Attachment:
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.progress_map.team_id != team.id:
        raise NotFound(_("There is no such file."))
    return attachment


def remove_attachment(actor, team: Team, attachment_id: int, now: datetime) -> None:
    require_map_writer(actor, team)
    attachment = _attachment_of(team, attachment_id)
    if attachment.progress_map.is_locked:
        raise Conflict(MAP_LOCKED)
    db.session.delete(attachment)
    audit.record(actor, "map.attachment_removed", team, {"file": attachment.original_name}, now=now)


def attachment_for_download(actor, attachment_id: int):
    """(attachment, path on disk) for the team, its organisers and the judges it is assigned to."""
    attachment = db.session.get(Attachment, attachment_id)
    team = attachment.progress_map.team if attachment is not None else None
    if team is None or not can_read_map(actor, team):
        raise NotFound(_("There is no such file."))
    return attachment, storage.path_for(current_app.config["UPLOAD_DIR"], attachment.sha256)
