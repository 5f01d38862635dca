"""Who may read a team, and the teams a person is in."""
from flask_babel import gettext as _
from sqlalchemy import select

from ... import signals
from ...core.errors import NotFound
from ...core.extensions import db
from ...events.models import Event
from ..models import Team, TeamMember


def can_read_team(actor, team: Team) -> bool:
    """The team's own members and the organisers."""
    return actor is not None and actor.is_authenticated and (team.member_for(actor) is not None or actor.is_organiser)


def can_read_map(actor, team: Team) -> bool:
    """The team's readers, and whoever a higher area lets in through the ``team_readers`` hook (a judge
    assigned to the team in a round that is not blind reads its map and attachments)."""
    if can_read_team(actor, team):
        return True
    return actor is not None and actor.is_authenticated and any(
        allowed for _receiver, allowed in signals.team_readers.send(team, actor=actor))


def get_team_for(actor, team_id: int) -> Team:
    """The team, if the actor may see it; otherwise it does not exist for them (404)."""
    team = db.session.get(Team, team_id)
    if team is None or not can_read_team(actor, team):
        raise NotFound(_("There is no such team."))
    return team


def teams_of(user) -> list[Team]:
    query = (select(Team).join(TeamMember).where(TeamMember.user_id == user.id)
             .order_by(Team.created_at.desc()))
    return list(db.session.scalars(query).unique())


def team_in_event(user, event: Event) -> Team | None:
    if user is None or not user.is_authenticated:
        return None
    return db.session.scalar(
        select(Team).join(TeamMember).where(TeamMember.user_id == user.id, TeamMember.event_id == event.id)
    )
