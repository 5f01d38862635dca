"""Small helpers that views share: the one way a view runs a service operation, and safe redirects."""
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import flash

from .errors import DomainError, Invalid
from .extensions import db


def safe_next_url(target: str | None) -> str | None:
    """Only a path on this site; never another host (an open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def show_field_errors(form, error: Invalid) -> None:
    """Put an Invalid error's messages next to the fields they name ("title", or "indicators-0-name" in
    a list of subforms), and flash its summary."""
    for name, message in error.fields.items():
        target = form[name] if name in form else _nested_field(form, name)
        if target is not None and hasattr(target, "errors"):
            target.errors = [*target.errors, message]
    flash(str(error), "error")


def _nested_field(form, name: str):
    target = form
    for part in name.split("-"):
        if part.isdigit() and hasattr(target, "entries"):
            index = int(part)
            target = target[index] if index < len(target.entries) else None
        else:
            target = getattr(target, part, None)
        if target is None:
            return None
    return target


@dataclass(frozen=True)
class Outcome:
    """What ``perform`` did: the operation's result, or the error it showed."""
    result: Any = None
    error: DomainError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def status(self) -> int:
        """The status code a page re-shown after this outcome answers with."""
        return 200 if self.error is None else self.error.status_code


def perform(operation, *args, form=None, success: str | None = None, **kwargs) -> Outcome:
    """Run the service ``operation(*args, **kwargs)`` and commit it: the one way views change anything.

    On success, flash ``success`` (if given). On a domain error, roll back and show it: an Invalid's messages
    next to ``form``'s fields (when a form is given), any other error flashed. Refusals (403, 404) are raised
    to their error pages.
    """
    try:
        result = operation(*args, **kwargs)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        if error.status_code in (403, 404):
            raise
        if form is not None and isinstance(error, Invalid):
            show_field_errors(form, error)
        else:
            flash(str(error), "error")
        return Outcome(error=error)
    if success:
        flash(success, "success")
    return Outcome(result=result)
