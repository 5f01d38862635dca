"""Small helpers that views share: the one way a view runs a service operation, safe redirects, and
reading whole numbers and text from requests within what the databases can store."""
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import flash, request
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.routing import IntegerConverter

from .errors import DomainError, Invalid
from .extensions import db

# The range of a 64-bit signed integer (BIGINT): every id and number column fits in it.
INT64_MIN, INT64_MAX = -(2 ** 63), 2 ** 63 - 1


def bounded_int(text) -> int | None:
    """The whole number `text` spells (as int() reads it: any script's digits, a sign, spaces), or None
    when it is not one or lies outside the 64-bit signed range."""
    try:
        value = int(text)
    except (TypeError, ValueError):
        return None
    return value if INT64_MIN <= value <= INT64_MAX else None


def arg_int(name: str, default: int | None = None, source: MultiDict | None = None) -> int | None:
    """A whole-number query argument (or form field, with ``source=request.form``); ``default`` when it is
    missing, not a number, or beyond 64 bits."""
    value = bounded_int((request.args if source is None else source).get(name))
    return default if value is None else value


def form_int(name: str, default: int | None = None) -> int | None:
    """A whole-number form field, read like ``arg_int``."""
    return arg_int(name, default, request.form)


def form_ints(name: str) -> list[int]:
    """Every whole number sent under ``name`` in the form; values that are not one are left out."""
    return [value for value in map(bounded_int, request.form.getlist(name)) if value is not None]


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` in URLs, limited to what a 64-bit id column holds: a larger number is a 404."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=None, signed=False):  # noqa: A002 (werkzeug's names)
        super().__init__(url_map, fixed_digits=fixed_digits, min=INT64_MIN if min is None else min,
                         max=INT64_MAX if max is None else max, signed=signed)


def _has_nul(source: MultiDict) -> bool:
    return any("\x00" in key or "\x00" in value for key, value in source.items(multi=True))


def reject_nul_bytes() -> None:
    """Before every request: a NUL character in the path, a query argument or a form field (names
    included) is refused with a 400; no database stores it in text."""
    if "\x00" in request.path or _has_nul(request.args) or _has_nul(request.form):
        raise DomainError(_("The request contains a NUL character, which no text may contain."))


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


def form_error_messages(form) -> list[str]:
    """Every error message of a form as plain text, subforms and lists of fields included (their errors
    nest in dicts and lists; the messages themselves are often lazy strings)."""
    def flatten(errors):
        if isinstance(errors, dict):
            return [text for value in errors.values() for text in flatten(value)]
        if isinstance(errors, (list, tuple)):
            return [text for value in errors for text in flatten(value)]
        return [str(errors)]
    return flatten(form.errors)


def flash_form_errors(form) -> None:
    """Flash what is wrong with a form shown on another page (its fields are not there to carry them)."""
    flash(" ".join(form_error_messages(form)), "error")


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
