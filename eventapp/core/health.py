"""``GET /healthz`` for the load balancer and monitoring.

503 when the database does not answer: this server cannot serve. When Redis is configured and does not answer,
200 with ``"status": "degraded"``: every server shares the one Redis, so taking them all out of the balancer
would turn a degraded service (rate limits counted per process, the job queue waiting) into an outage;
monitoring alerts on "degraded".
"""
from flask import Blueprint, current_app, jsonify
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ..config import REDIS_TIMEOUTS
from .extensions import db, limiter

bp = Blueprint("health", __name__)


def _database_answers() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("Health check: the database does not answer")
        return False
    return True


def _redis_answers(url: str) -> bool:
    client = Redis.from_url(url, **REDIS_TIMEOUTS)
    try:
        return bool(client.ping())
    except RedisError:
        current_app.logger.warning("Health check: Redis does not answer at the configured REDIS_URL", exc_info=True)
        return False
    finally:
        client.close()


@bp.get("/healthz")
@limiter.exempt
def healthz():
    report = {"database": "ok" if _database_answers() else "unreachable"}
    if current_app.config["REDIS_URL"]:
        report["redis"] = "ok" if _redis_answers(current_app.config["REDIS_URL"]) else "unreachable"
    if report["database"] != "ok":
        return jsonify(status="unavailable", **report), 503
    return jsonify(status="ok" if "unreachable" not in report.values() else "degraded", **report)
