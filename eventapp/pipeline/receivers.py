"""How the pipeline reacts to other areas' signals (see eventapp/signals.py)."""
from .. import signals
from ..core.extensions import db
from . import services


@signals.results_published.connect
def take_in_winners(publication, actor, now) -> None:
    """A published final round's winners become pipeline projects (once: publishing again adds no copy)."""
    if services.projects_from_publication(actor, publication, now):
        db.session.commit()
