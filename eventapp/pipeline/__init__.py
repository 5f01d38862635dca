"""The collaboration pipeline (winning maps carried out and tracked) and the public observatory."""
from flask import Blueprint

bp = Blueprint("pipeline", __name__)

from . import views  # noqa: E402,F401
from . import observatory_views  # noqa: E402,F401
