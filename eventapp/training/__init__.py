"""Training sessions of an event: organisers schedule them, members sign up, attendance is recorded."""
from flask import Blueprint

bp = Blueprint("training", __name__)

from . import views  # noqa: E402,F401
