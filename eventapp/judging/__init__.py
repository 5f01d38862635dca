"""Judging: rubrics, rounds, judges and their conflicts, assignments, scores (and, next, results)."""
from flask import Blueprint

bp = Blueprint("judging", __name__)

from . import views  # noqa: E402,F401
