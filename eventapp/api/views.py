"""Routes of the partners' JSON API (/api/v1/...).

Every request but the OpenAPI document carries ``Authorization: Bearer <token>``; the session cookie is
never read, so a signed-in browser cannot be made to call the API (and the blueprint is exempt from CSRF).
Lists are paginated; every error is ``{"error": {"code", "message"[, "fields"]}}``.
"""
import json
import math
import re
from datetime import date
from functools import wraps

from flask import Blueprint, current_app, g, jsonify, request, url_for
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from ..core.database import utcnow
from ..core.errors import DomainError, Invalid, NotFound
from ..core.extensions import csrf, db, limiter
from ..core.i18n import to_tehran
from ..core.text import normalize_text
from ..judging.services import published_results
from ..pipeline.observatory import REFERENCE_KEY
from ..pipeline.services import ReadingDetails
from ..teams.models import MAP_SECTIONS
from ..teams.richtext import plain_text
from . import services
from .enums import ApiScope
from .openapi import MAX_ID, MAX_PAGE, MAX_PER_PAGE, document

ID = f"int(min=1, max={MAX_ID})"
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,59}", re.ASCII)
STAGE_KEY = re.compile(r"[a-z0-9_]{1,30}", re.ASCII)
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# Control characters (but tab and line breaks) and lone surrogates: no database stores them as text.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
NOTE_MAX, SOURCE_MAX, READING_NOTE_MAX = 10_000, 300, 5_000

ERROR_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 422: "invalid", 429: "rate_limited",
    500: "server_error",
}

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


# --- who is calling, and how often -----------------------------------------------------------------------


def _caller():
    """The request's token (or the Unauthenticated error), worked out once per request."""
    if "api_caller" not in g:
        try:
            g.api_caller = services.authenticate(request.headers.get("Authorization"), utcnow())
        except services.Unauthenticated as error:
            g.api_caller = error
    return g.api_caller


def _rate_key() -> str:
    """Per token when the request has a valid one, else per address (so made-up tokens share a bucket)."""
    caller = _caller()
    if isinstance(caller, Exception):
        return f"api-address:{request.remote_addr or 'unknown'}"
    return f"api-token:{caller.id}"


limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="api", key_func=_rate_key)(bp)


@bp.before_request
def _authenticate():
    if request.endpoint == "api.openapi":
        return
    caller = _caller()
    if isinstance(caller, Exception):
        raise caller
    if db.session.dirty:  # last_used_at moved on
        db.session.commit()


def scope_required(scope: str):
    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            services.require_scope(_caller(), scope)
            return view(*args, **kwargs)
        return checked
    return decorate


# --- errors as JSON -----------------------------------------------------------------------------------------


class RequestError(DomainError):
    """A request the API cannot read: 400 (``fields`` names the wrong query parameters) or 415."""

    def __init__(self, status: int, message: str, fields: dict | None = None):
        super().__init__(message)
        self.status_code = status
        self.fields = fields or {}


def error_response(status: int, message: str, fields: dict | None = None):
    body = {"code": ERROR_CODES.get(status, "error"), "message": str(message)}
    if fields:
        body["fields"] = {key: str(value) for key, value in fields.items()}
    response = jsonify(error=body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


HTTP_MESSAGES = {
    400: lambda: _("The request could not be understood."),
    404: lambda: _("There is nothing at this address of the API."),
    405: lambda: _("This address does not take this method."),
    413: lambda: _("The request is too large."),
    415: lambda: _("Send the body as JSON, with Content-Type: application/json."),
}


def http_error_response(error: HTTPException):
    """For any HTTP error of an /api/ address, including unknown addresses and methods (see create_app)."""
    status = error.code or 500
    response = error_response(status, HTTP_MESSAGES[status]() if status in HTTP_MESSAGES else error.description)
    if status == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    return response


@bp.errorhandler(DomainError)
def _domain_error(error):
    db.session.rollback()
    return error_response(error.status_code, error.message, getattr(error, "fields", None))


@bp.errorhandler(RateLimitExceeded)
def _rate_limited(error):
    return error_response(429, _("Too many requests. Wait a little and try again."))


@bp.errorhandler(HTTPException)
def _http_error(error):
    return http_error_response(error)


@bp.errorhandler(Exception)
def _unexpected_error(error):
    db.session.rollback()
    current_app.logger.exception("Unhandled error on %s", request.path)
    return error_response(500, _("Something went wrong on our side. It has been logged; please try again later."))


# --- reading requests -----------------------------------------------------------------------------------------


def _int_arg(name: str, default: int | None, low: int, high: int, errors: dict) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        errors[name] = _("Give a whole number from %(low)s to %(high)s.", low=low, high=high)
        return default
    return int(raw)


def _page_args(errors: dict | None = None) -> tuple[int, int]:
    errors = {} if errors is None else errors
    page = _int_arg("page", 1, 1, MAX_PAGE, errors)
    per_page = _int_arg("per_page", current_app.config["PAGE_SIZE"], 1, MAX_PER_PAGE, errors)
    if errors:
        raise RequestError(400, _("Correct the marked query parameters."), errors)
    return page, per_page


def _page(pagination, serialise):
    return jsonify(items=[serialise(item) for item in pagination.items], page=pagination.page,
                   per_page=pagination.per_page, total=pagination.total or 0, pages=pagination.pages)


def _json_body() -> dict:
    if not request.is_json:
        raise RequestError(415, _("Send the body as JSON, with Content-Type: application/json."))
    try:
        payload = json.loads(request.get_data(cache=True) or b"null", parse_constant=_no_constant)
    except (ValueError, RecursionError):
        raise RequestError(400, _("The body is not valid JSON.")) from None
    if not isinstance(payload, dict):
        raise RequestError(400, _("The body must be a JSON object."))
    return payload


def _no_constant(name):
    raise ValueError(name)  # NaN and Infinity are not JSON


def _text(payload: dict, name: str, limit: int, errors: dict) -> str:
    value = payload.get(name, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = _("Give text.")
        return ""
    if FORBIDDEN_CHARACTERS.search(value):
        errors[name] = _("Remove the control characters from the text.")
        return ""
    value = normalize_text(value)
    if len(value) > limit:
        errors[name] = _("Use at most %(num)s characters.", num=limit)
    return value


def _day(payload: dict, name: str, errors: dict) -> date | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, str) and DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    errors[name] = _("Give the date as YYYY-MM-DD.")
    return None


def _number(payload: dict, name: str, errors: dict) -> float | None:
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if math.isfinite(number):
            return number
    errors[name] = _("Give the value as a number.")
    return None


# --- what partners read -----------------------------------------------------------------------------------


def _moment(value):
    return value.isoformat() if value is not None else None


def _place(place):
    return None if place is None else {"id": place.id, "name_fa": place.name_fa, "name_en": place.name_en}


def _event(event):
    return {
        "id": event.id, "slug": event.slug, "title_fa": event.title_fa, "title_en": event.title_en,
        "scope": event.scope, "province": _place(event.province),
        "description_fa": event.description_fa or "", "description_en": event.description_en or "",
        "min_team_size": event.min_team_size, "max_team_size": event.max_team_size,
        "phases": [{"kind": window.kind, "starts_at": _moment(window.starts_at), "ends_at": _moment(window.ends_at)}
                   for window in event.windows],
        "created_at": _moment(event.created_at),
    }


def _team(team):
    """What anyone may know of an approved team: never its members, their mobiles, ids or emails."""
    return {
        "id": team.id, "event": team.event.slug, "name": team.name,
        "organisation": {"type": team.organisation_type, "name": team.organisation_name},
        "province": _place(team.province), "county": _place(team.county),
    }


def _map(team, progress_map):
    return {
        "team_id": team.id, "title": progress_map.title, "province": _place(progress_map.province),
        "county": _place(progress_map.county),
        "sections": {section: plain_text(getattr(progress_map, section)) for section in MAP_SECTIONS},
        "indicators": [{"name": item.name, "unit": item.unit, "baseline": item.baseline, "target": item.target,
                        "target_date": _moment(item.target_date)} for item in progress_map.indicators],
        "actions": [{"what": item.what, "responsible": item.responsible, "starts_on": _moment(item.starts_on),
                     "ends_on": _moment(item.ends_on), "resources": item.resources} for item in progress_map.actions],
        "submitted_at": _moment(progress_map.submitted_at),
    }


def _stage(stage):
    return {"key": stage.key, "name_fa": stage.name_fa, "name_en": stage.name_en, "kind": stage.kind}


def _project(project):
    return {
        "id": project.id, "title": project.title, "event": project.event.slug,
        "team": {"id": project.team.id, "name": project.team.name}, "province": _place(project.province),
        "award": project.award or None, "stage": _stage(project.stage),
        "created_at": _moment(project.created_at), "last_update_at": _moment(project.last_update_at),
    }


def _reading(reading):
    return {"id": reading.id, "taken_on": _moment(reading.taken_on), "value": reading.value,
            "source": reading.source, "note": reading.note, "verified": reading.verified_at is not None,
            "posted_at": _moment(reading.posted_at)}


def _project_details(project):
    return {
        **_project(project),
        "stage_reason": project.stage_reason or "",
        "owner": {"name": project.owner.name} if project.owner else None,
        "next_step": project.next_step or "", "next_step_due": _moment(project.next_step_due),
        "partners": [{"name": partner.name, "role": partner.role} for partner in project.partners],
        "milestones": [{"id": item.id, "title": item.title, "due_on": _moment(item.due_on),
                        "done_on": _moment(item.done_on)} for item in project.milestones],
        "indicators": [{"id": item.id, "name": item.name, "unit": item.unit, "baseline": item.baseline,
                        "target": item.target, "target_date": _moment(item.target_date),
                        "readings": [_reading(reading) for reading in item.readings]}
                       for item in project.indicators],
        "notes": services.note_count(project),
    }


def _event_of(slug: str):
    if not SLUG.fullmatch(slug):
        raise NotFound(_("There is no such event."))
    return services.event_by_slug(slug)


# --- routes ---------------------------------------------------------------------------------------------------


@bp.get("/openapi.json")
@limiter.exempt
def openapi():
    return jsonify(document(url_for("api.openapi", _external=False).removesuffix("/openapi.json")))


@bp.get("/events")
@scope_required(ApiScope.READ)
def events():
    page, per_page = _page_args()
    return _page(services.events_page(page, per_page), _event)


@bp.get("/events/<slug>")
@scope_required(ApiScope.READ)
def event(slug):
    return jsonify(_event(_event_of(slug)))


@bp.get("/events/<slug>/teams")
@scope_required(ApiScope.READ)
def event_teams(slug):
    page, per_page = _page_args()
    return _page(services.teams_page(_event_of(slug), page, per_page), _team)


@bp.get("/events/<slug>/results")
@scope_required(ApiScope.READ)
def event_results(slug):
    found = _event_of(slug)
    return jsonify(event=found.slug, items=[{
        "round": publication.round.kind,
        "published_at": _moment(publication.published_at),
        "by_group": publication.result.by_group,
        "rows": [{"rank": row.rank, "tied": row.tied, "team": {"id": row.team_id, "name": row.team_name},
                  "value": row.value, "award": row.award, "group": row.group}
                 for row in publication.result.rows],
    } for publication in published_results(found)])


@bp.get(f"/teams/<{ID}:team_id>")
@scope_required(ApiScope.READ)
def team(team_id):
    found = services.approved_team(team_id)
    return jsonify(_team(found))


@bp.get(f"/teams/<{ID}:team_id>/map")
@scope_required(ApiScope.READ)
def team_map(team_id):
    found = services.approved_team(team_id)
    return jsonify(_map(found, services.submitted_map(found)))


@bp.get("/projects")
@scope_required(ApiScope.READ)
def projects():
    errors = {}
    province = _int_arg("province", None, 1, MAX_ID, errors)
    event_slug, stage_key = request.args.get("event") or None, request.args.get("stage") or None
    if event_slug is not None and not SLUG.fullmatch(event_slug):
        errors["event"] = _("Give an event's short name.")
    if stage_key is not None and not STAGE_KEY.fullmatch(stage_key):
        errors["stage"] = _("Give a stage's key.")
    page, per_page = _page_args(errors)
    filters = services.ProjectFilters(event_slug=event_slug, province_id=province, stage_key=stage_key)
    return _page(services.projects_page(filters, page, per_page), _project)


@bp.get("/observatory")
@scope_required(ApiScope.READ)
def observatory_figures():
    errors = {}
    event_slug, need_key = request.args.get("event") or None, request.args.get("need") or None
    if event_slug is not None and not SLUG.fullmatch(event_slug):
        errors["event"] = _("Give an event's short name.")
    if need_key is not None and not REFERENCE_KEY.fullmatch(need_key):
        errors["need"] = _("Give a reference figure's key.")
    if errors:
        raise RequestError(400, _("Correct the marked query parameters."), errors)
    return jsonify(services.observatory_figures(_event_of(event_slug) if event_slug else None, need_key, utcnow()))


@bp.get(f"/projects/<{ID}:project_id>")
@scope_required(ApiScope.READ)
def project(project_id):
    return jsonify(_project_details(services.project(project_id)))


@bp.post(f"/projects/<{ID}:project_id>/notes")
@scope_required(ApiScope.WRITE_PIPELINE)
def post_note(project_id):
    services.project(project_id)  # 404 before looking at the body
    payload, errors = _json_body(), {}
    body = _text(payload, "body", NOTE_MAX, errors)
    if errors:
        raise Invalid(_("Correct the marked fields."), errors)
    note = services.post_note(_caller(), project_id, body, utcnow())
    db.session.commit()
    response = jsonify(id=note.id, project_id=project_id, body=note.body, created_at=_moment(note.created_at))
    response.status_code = 201
    return response


@bp.post(f"/projects/<{ID}:project_id>/indicators/<{ID}:indicator_id>/readings")
@scope_required(ApiScope.WRITE_PIPELINE)
def post_reading(project_id, indicator_id):
    services.indicator_of(services.project(project_id), indicator_id)  # 404 before looking at the body
    payload, errors, now = _json_body(), {}, utcnow()
    taken_on, value = _day(payload, "taken_on", errors), _number(payload, "value", errors)
    source, note = _text(payload, "source", SOURCE_MAX, errors), _text(payload, "note", READING_NOTE_MAX, errors)
    if "taken_on" not in errors and "taken_on" not in payload:
        errors["taken_on"] = _("Give the day it was measured.")
    elif taken_on is not None and taken_on > to_tehran(now).date():
        errors["taken_on"] = _("A reading cannot be from the future.")
    if "value" not in errors and payload.get("value") is None:
        errors["value"] = _("Give the measured value.")
    if errors:
        raise Invalid(_("Correct the marked fields."), errors)
    reading = services.post_reading(_caller(), project_id, indicator_id,
                                    ReadingDetails(taken_on=taken_on, value=value, source=source, note=note), now)
    db.session.commit()
    response = jsonify(indicator_id=indicator_id, **_reading(reading))
    response.status_code = 201
    return response

