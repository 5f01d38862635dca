"""How judging answers other areas' signals (see eventapp/signals.py)."""
from .. import signals
from . import services


@signals.team_readers.connect
def assigned_judges_read_the_map(team, actor) -> bool:
    """A judge assigned to a team in a round that is not blind reads its map and attachments (blind judges get
    the files through their assignment, under neutral names and without metadata)."""
    return services.is_assigned_judge(actor, team)
