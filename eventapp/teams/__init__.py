"""Teams, their members and invitations, and their progress maps with attachments and revisions."""
from flask import Blueprint

bp = Blueprint("teams", __name__)

from . import views  # noqa: E402,F401
