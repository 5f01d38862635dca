"""The audit log: who changed what, when, from what to what."""
from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/organiser/audit")

from . import views  # noqa: E402,F401
