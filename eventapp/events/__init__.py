"""The series, its events, their phases and deadlines; provinces and counties."""
from flask import Blueprint

bp = Blueprint("events", __name__)

from . import views  # noqa: E402,F401
