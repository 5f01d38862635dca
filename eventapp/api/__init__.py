"""The partners' JSON API under /api/v1/, and the organisers' page that issues its tokens.

Two blueprints: ``api`` answers JSON to bearer tokens and is exempt from CSRF (it never reads the session
cookie); ``api_admin`` is an ordinary HTML page for organisers, CSRF-protected like every other form.
"""
from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")
admin_bp = Blueprint("api_admin", __name__, url_prefix="/organiser/api-tokens")

from . import admin, views  # noqa: E402,F401
