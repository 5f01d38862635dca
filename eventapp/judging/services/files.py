"""The files of an entry as its judges get them: in a blind round under neutral names and without the
metadata that could name the team (see ``core.file_metadata``)."""
from dataclasses import dataclass

from flask import current_app
from flask_babel import gettext as _

from ...core import storage
from ...core.errors import NotFound
from ...core.file_metadata import without_metadata
from ...teams import services as team_services
from ...teams.models import Attachment
from ..models import Assignment
from .scores import get_assignment_for

EXTENSIONS = {content_type: extension for _signature, content_type, extension in storage.SIGNATURES} | {
    "image/webp": ".webp"}


@dataclass(frozen=True)
class EntryFile:
    number: int  # 1, 2, ... in the order of the map's attachments
    name: str  # what the judge reads, and the name it is saved under
    content_type: str


def _attachments(assignment: Assignment) -> list[Attachment]:
    progress_map = team_services.map_of(assignment.team)
    return list(progress_map.attachments) if progress_map is not None else []


def _entry_file(assignment: Assignment, number: int, attachment: Attachment) -> EntryFile:
    name = attachment.original_name
    if assignment.round.blind:
        name = f"{assignment.entry_code}-attachment-{number}{EXTENSIONS.get(attachment.content_type, '')}"
    return EntryFile(number, name, attachment.content_type)


def entry_files(assignment: Assignment) -> list[EntryFile]:
    """The files the judge of ``assignment`` may download, as they are listed on the scoring page."""
    return [_entry_file(assignment, number, attachment)
            for number, attachment in enumerate(_attachments(assignment), start=1)]


def entry_file(actor, assignment_id: int, number: int) -> tuple[EntryFile, bytes]:
    """The entry's file ``number`` and its bytes, for the assignment's judge (and organisers): in a blind
    round without its metadata."""
    assignment = get_assignment_for(actor, assignment_id)
    attachments = _attachments(assignment)
    if not 1 <= number <= len(attachments):
        raise NotFound(_("There is no such file."))
    attachment = attachments[number - 1]
    path = storage.path_for(current_app.config["UPLOAD_DIR"], attachment.sha256)
    if not path.exists():
        raise NotFound(_("There is no such file."))
    content = path.read_bytes()
    if assignment.round.blind:
        content = without_metadata(content, attachment.content_type)
    return _entry_file(assignment, number, attachment), content
