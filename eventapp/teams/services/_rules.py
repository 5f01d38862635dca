"""The checks that more than one of the team services make."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...core.errors import Conflict, NotAllowed, NotFound
from ..models import APPROVED, Team, TeamMember

MAP_LOCKED = _l("The map was submitted and is locked. Ask the organisers to reopen it.")


def require_leader(actor, team: Team) -> TeamMember:
    member = team.member_for(actor)
    if member is None or not member.is_leader:
        raise NotAllowed(_("Only the team leader can do this."))
    return member


def require_map_writer(actor, team: Team) -> None:
    """Any member of an approved team writes its map and its files."""
    if team.member_for(actor) is None:
        raise NotFound(_("There is no such team."))
    if team.status != APPROVED:
        raise Conflict(_("Your team can write its progress map once the organisers approve it."))
