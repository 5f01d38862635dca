"""Certificates, report cards and their public verification."""
from flask import Blueprint

bp = Blueprint("certificates", __name__)

from . import views  # noqa: E402,F401
