"""Small helpers that views share."""
from urllib.parse import urlsplit

from flask import flash

from .errors import DomainError, NotAllowed, NotFound
from .extensions import db


def safe_next_url(target: str | None) -> str | None:
    """Only a path on this site; never another host (an open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def commit_or_flash(operation) -> bool:
    """Run a service operation and commit it; flash its error and roll back if it fails.

    Refusals (not allowed, not found) are re-raised, so the user sees the 403 or 404 page.
    """
    try:
        operation()
        db.session.commit()
        return True
    except (NotAllowed, NotFound):
        db.session.rollback()
        raise
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return False
