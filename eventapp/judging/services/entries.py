"""What a judge reads of an entry: its map and its files. In a blind round the map hides the names of the
team, its organisation and its members, and the files come under neutral names without the metadata that
could name the team (see ``core.file_metadata``)."""
from dataclasses import dataclass
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext as _

from ...core import storage
from ...core.errors import NotFound
from ...core.file_metadata import without_metadata
from ...teams import services as team_services
from ...teams.models import MAP_SECTIONS, Attachment, ProgressMap, Team
from ..models import Assignment
from ..redaction import Redactor
from .scores import get_assignment_for

EXTENSIONS = {content_type: extension for _signature, content_type, extension in storage.SIGNATURES} | {
    "image/webp": ".webp"}


def _identifying_names(team: Team) -> list[str]:
    """What names the team in its own words: its name, organisation, contacts and members."""
    return [team.name, team.organisation_name, team.contact_email, team.contact_phone,
            *(value for member in team.members for value in (member.name, member.mobile))]


def entry_map(assignment: Assignment) -> ProgressMap | SimpleNamespace | None:
    """The entry's map as the judge reads it; in a blind round a copy with the team's names hidden."""
    progress_map = team_services.map_of(assignment.team)
    if progress_map is None or not assignment.round.blind:
        return progress_map
    hide = Redactor(_identifying_names(assignment.team), _("(name hidden)"))
    return SimpleNamespace(
        title=hide.text(progress_map.title), district=hide.text(progress_map.district),
        province=progress_map.province, county=progress_map.county,
        latitude=progress_map.latitude, longitude=progress_map.longitude,
        **{section: hide.html(getattr(progress_map, section)) for section in MAP_SECTIONS},
        indicators=[SimpleNamespace(name=hide.text(row.name), unit=hide.text(row.unit), baseline=row.baseline,
                                    target=row.target, target_date=row.target_date) for row in progress_map.indicators],
        actions=[SimpleNamespace(what=hide.text(row.what), responsible=hide.text(row.responsible),
                                 resources=hide.text(row.resources), starts_on=row.starts_on, ends_on=row.ends_on)
                 for row in progress_map.actions],
        attachments=[],  # listed by entry_files, under neutral names
    )


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
