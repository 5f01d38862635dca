"""``GET /healthz`` for the load balancer: 200 when the app and its database answer, else 503."""
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db, limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("Health check: the database does not answer")
        return jsonify(status="unavailable", database="unreachable"), 503
    return jsonify(status="ok", database="ok")
