"""The OpenAPI 3.0 description of the partners' API, served at /api/v1/openapi.json.

Written by hand, next to the views it describes; tests/test_api.py runs Schemathesis against it, which
checks that every answer matches the schemas below and that no generated request makes a server error.
"""
from .enums import ApiScope

MAX_ID = 2**31 - 1  # ids are PostgreSQL integers: a larger one cannot exist, and must not reach the database
MAX_PAGE, MAX_PER_PAGE = 100_000, 100


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict) -> dict:
    return {**schema, "nullable": True}


def _object(properties: dict, required: list[str] | None = None) -> dict:
    return {"type": "object", "properties": properties, "required": list(properties) if required is None else required}


STRING, INTEGER, NUMBER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
MOMENT, DAY = {"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}

SCHEMAS = {
    "Error": _object({"error": _object({
        "code": {"type": "string", "enum": ["bad_request", "unauthorized", "forbidden", "not_found",
                                            "method_not_allowed", "conflict", "payload_too_large",
                                            "unsupported_media_type", "invalid", "rate_limited", "server_error"]},
        "message": STRING,
        "fields": {"type": "object", "additionalProperties": STRING,
                   "description": "For 400 and 422: the message for each wrong parameter or field."},
    }, required=["code", "message"])}),
    "Place": _object({"id": INTEGER, "name_fa": STRING, "name_en": STRING}),
    "Phase": _object({"kind": STRING, "starts_at": MOMENT, "ends_at": MOMENT}),
    "Event": _object({
        "id": INTEGER, "slug": STRING, "title_fa": STRING, "title_en": STRING,
        "scope": {"type": "string", "enum": ["national", "provincial"]},
        "province": _nullable(_ref("Place")), "description_fa": STRING, "description_en": STRING,
        "min_team_size": INTEGER, "max_team_size": INTEGER,
        "phases": {"type": "array", "items": _ref("Phase")}, "created_at": MOMENT,
    }),
    "Team": _object({
        "id": INTEGER, "event": {"type": "string", "description": "The event's slug."}, "name": STRING,
        "organisation": _object({"type": {"type": "string", "enum": ["jihadi", "student", "ngo", "other"]},
                                 "name": STRING}),
        "province": _ref("Place"), "county": _ref("Place"),
    }),
    "ProgressMap": _object({
        "team_id": INTEGER, "title": STRING, "province": _nullable(_ref("Place")), "county": _nullable(_ref("Place")),
        "sections": _object({name: {"type": "string", "description": "Plain text, one paragraph a line."}
                             for name in ("knowledge", "capacities", "goals", "people_role", "sustainability")}),
        "indicators": {"type": "array", "items": _object({
            "name": STRING, "unit": STRING, "baseline": _nullable(NUMBER), "target": _nullable(NUMBER),
            "target_date": _nullable(DAY)})},
        "actions": {"type": "array", "items": _object({
            "what": STRING, "responsible": STRING, "starts_on": _nullable(DAY), "ends_on": _nullable(DAY),
            "resources": STRING})},
        "submitted_at": _nullable(MOMENT),
    }),
    "Results": _object({
        "event": STRING,
        "items": {"type": "array", "items": _object({
            "round": {"type": "string", "enum": ["screening", "final"]},
            "published_at": MOMENT,
            "rows": {"type": "array", "items": _object({
                "rank": INTEGER, "tied": BOOLEAN, "team": _object({"id": INTEGER, "name": STRING}),
                "value": NUMBER, "award": _nullable(STRING)})},
        })},
    }),
    "Stage": _object({"key": STRING, "name_fa": STRING, "name_en": STRING,
                      "kind": {"type": "string", "enum": ["active", "on_hold", "dropped", "completed"]}}),
    "Project": _object({
        "id": INTEGER, "title": STRING, "event": {"type": "string", "description": "The event's slug."},
        "team": _object({"id": INTEGER, "name": STRING}), "province": _nullable(_ref("Place")),
        "award": _nullable(STRING), "stage": _ref("Stage"), "created_at": MOMENT, "last_update_at": MOMENT,
    }),
    "Reading": _object({
        "id": INTEGER, "taken_on": DAY, "value": NUMBER, "source": STRING, "note": STRING,
        "verified": {"type": "boolean", "description": "Verified by an organiser: only these count publicly."},
        "posted_at": MOMENT,
    }),
    "ProjectDetails": {"allOf": [_ref("Project"), _object({
        "stage_reason": STRING,
        "owner": _nullable(_object({"name": STRING})),
        "next_step": STRING, "next_step_due": _nullable(DAY),
        "partners": {"type": "array", "items": _object({"name": STRING, "role": STRING})},
        "milestones": {"type": "array", "items": _object({
            "id": INTEGER, "title": STRING, "due_on": _nullable(DAY), "done_on": _nullable(DAY)})},
        "indicators": {"type": "array", "items": _object({
            "id": INTEGER, "name": STRING, "unit": STRING, "baseline": _nullable(NUMBER), "target": _nullable(NUMBER),
            "target_date": _nullable(DAY), "readings": {"type": "array", "items": _ref("Reading")}})},
        "notes": {"type": "integer", "description": "How many updates the project's timeline has."},
    })]},
    "NewNote": {"type": "object", "required": ["body"], "properties": {
        "body": {"type": "string", "minLength": 1, "maxLength": 10000}}},
    "Note": _object({"id": INTEGER, "project_id": INTEGER, "body": STRING, "created_at": MOMENT}),
    "NewReading": {"type": "object", "required": ["taken_on", "value"], "properties": {
        "taken_on": {"type": "string", "format": "date", "description": "The day it was measured; not in the future."},
        "value": NUMBER,
        "source": {"type": "string", "maxLength": 300, "description": "Where the figure comes from."},
        "note": {"type": "string", "maxLength": 5000},
    }},
    "NewReadingCreated": {"allOf": [_ref("Reading"), _object({"indicator_id": INTEGER})]},
    "ObservatoryCounts": _object({
        "teams": {"type": "integer", "description": "Registered and not rejected."},
        "approved_teams": INTEGER, "maps": {"type": "integer", "description": "Submitted, in the province they are about."},
        "winners": {"type": "integer", "description": "Awarded in the current publication of a final round."},
        "projects": INTEGER,
        "indicators": {**_object(dict.fromkeys(("met", "on_track", "behind", "no_data"), INTEGER)),
                       "description": "The projects' indicators by status, from verified readings only."},
        "teams_per_100k": _nullable({"type": "number", "description": "Null while the population is unknown."}),
    }),
    "ObservatoryProvince": {"allOf": [_ref("ObservatoryCounts"), _object({
        "id": INTEGER, "code": {"type": "integer", "description": "The province's code (0-30)."},
        "name_fa": STRING, "name_en": STRING,
        "references": {"type": "object", "additionalProperties": NUMBER,
                       "description": "The imported reference figures of the province, by their key."},
        "support_per_100k": _object({key: _nullable(NUMBER) for key in (
            "approved_teams", "winners", "projects", "verified_progress")}),
        "need_rank": _nullable({"type": "number", "minimum": 0, "maximum": 1,
                                "description": "Percentile rank of the need figure among the provinces."}),
        "support_rank": _nullable({"type": "number", "minimum": 0, "maximum": 1,
                                   "description": "Mean of the percentile ranks of the support figures."}),
        "need_high_support_low": {"type": "boolean",
                                  "description": "Need rank at least 2/3 and support rank at most 1/3."},
    })]},
    "Observatory": _object({
        "computed_at": MOMENT,
        "statuses_on": {"type": "string", "format": "date", "description": "The day indicator statuses are for."},
        "licence": _object({"name": STRING, "url": STRING}),
        "event": _nullable({"type": "string", "description": "The event's slug; null for the whole series."}),
        "need": _nullable({"type": "string", "description": "The key of the need figure read; null if none."}),
        "references": {"type": "array", "items": _object({
            "key": STRING, "name_fa": STRING, "name_en": STRING, "unit": STRING, "imported_at": MOMENT})},
        "provinces": {"type": "array", "items": _ref("ObservatoryProvince")},
        "totals": _ref("ObservatoryCounts"),
        "stages": {"type": "array", "items": _object({
            "key": STRING, "name_fa": STRING, "name_en": STRING, "projects": INTEGER})},
    }),
}


def _page_of(item: str) -> dict:
    return _object({
        "items": {"type": "array", "items": _ref(item)},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE},
        "total": {"type": "integer", "minimum": 0}, "pages": {"type": "integer", "minimum": 0},
    })


ERRORS = {
    "400": "A query parameter or the body is not understood.",
    "401": "No API token, or one that is not valid or was revoked.",
    "403": "The token lacks the permission (scope) this operation needs.",
    "404": "There is no such thing (or it is not public).",
    "405": "The address does not take this method.",
    "409": "The request conflicts with the current state.",
    "413": "The body is too large.",
    "415": "The body is not JSON.",
    "422": "The body's fields are not valid; `fields` says what is wrong with each.",
    "429": "Too many requests: wait a little and try again.",
    "500": "Something went wrong on the server.",
}
RESPONSES = {code: {"description": text, "content": {"application/json": {"schema": _ref("Error")}}}
             for code, text in ERRORS.items()}


def _errors(*codes: str) -> dict:
    return {code: {"$ref": f"#/components/responses/E{code}"} for code in ("401", "429", "500", *codes)}


def _ok(schema: dict, description: str = "OK", status: str = "200") -> dict:
    return {status: {"description": description, "content": {"application/json": {"schema": schema}}}}


def _path_id(name: str, description: str) -> dict:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}}


SLUG = {"name": "slug", "in": "path", "required": True, "description": "The event's short name.",
        "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,59}$", "maxLength": 60}}
PAGING = [
    {"name": "page", "in": "query", "required": False, "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE,
                                                                   "default": 1}},
    {"name": "per_page", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 25}},
]
# OpenAPI 3.0 lists scopes only for OAuth: each operation says the scope it needs in its description.
READ_ONLY = WRITE = [{"bearerAuth": []}]


def _get(summary: str, responses: dict, parameters: list | None = None, operation_id: str = "") -> dict:
    return {"get": {"operationId": operation_id, "summary": summary,
                    "description": f"Needs a token with the `{ApiScope.READ.value}` scope.", "security": READ_ONLY,
                    "parameters": parameters or [], "responses": {**responses, **_errors("400", "403", "404")}}}


def _post(summary: str, body: str, responses: dict, parameters: list, operation_id: str) -> dict:
    return {"post": {
        "operationId": operation_id, "summary": summary,
        "description": f"Needs a token with the `{ApiScope.WRITE_PIPELINE.value}` scope.", "security": WRITE, "parameters": parameters,
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(body)}}},
        "responses": {**responses, **_errors("400", "403", "404", "413", "415", "422")},
    }}


PATHS = {
    "/events": _get("Events, the newest first.", _ok(_page_of("Event")), PAGING, "listEvents"),
    "/events/{slug}": _get("One event with its phases.", _ok(_ref("Event")), [SLUG], "getEvent"),
    "/events/{slug}/teams": _get("The event's approved teams (public details only).", _ok(_page_of("Team")),
                                 [SLUG, *PAGING], "listEventTeams"),
    "/events/{slug}/results": _get("The event's published results: the current publication of each round.",
                                   _ok(_ref("Results")), [SLUG], "getEventResults"),
    "/teams/{team_id}": _get("An approved team.", _ok(_ref("Team")), [_path_id("team_id", "The team's id.")],
                             "getTeam"),
    "/teams/{team_id}/map": _get("The team's submitted progress map (404 while it is a draft).",
                                 _ok(_ref("ProgressMap")), [_path_id("team_id", "The team's id.")], "getTeamMap"),
    "/projects": _get("Projects of the collaboration pipeline.", _ok(_page_of("Project")), [
        {"name": "event", "in": "query", "required": False, "description": "An event's slug.",
         "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,59}$", "maxLength": 60}},
        {"name": "province", "in": "query", "required": False, "description": "A province's id.",
         "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}},
        {"name": "stage", "in": "query", "required": False, "description": "A stage's key, e.g. implementation.",
         "schema": {"type": "string", "pattern": "^[a-z0-9_]{1,30}$", "maxLength": 30}},
        *PAGING,
    ], "listProjects"),
    "/observatory": _get(
        "The observatory's figures per province (the same as its open data): teams, maps, winners, projects, "
        "indicator statuses, reference figures, and need against support.", _ok(_ref("Observatory")), [
            {"name": "event", "in": "query", "required": False,
             "description": "An event's slug; the whole series without it.",
             "schema": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,59}$", "maxLength": 60}},
            {"name": "need", "in": "query", "required": False,
             "description": "The key of the reference figure read as need; the first one not the population "
                            "without it.",
             "schema": {"type": "string", "pattern": "^[a-z][a-z0-9_-]{0,59}$", "maxLength": 60}},
        ], "getObservatory"),
    "/projects/{project_id}": _get("A project: stage, owner, next step, milestones, and its indicators with every "
                                   "reading (verified or not)", _ok(_ref("ProjectDetails")),
                                   [_path_id("project_id", "The project's id.")], "getProject"),
    "/projects/{project_id}/notes": _post(
        "Post an update on the project's timeline .", "NewNote",
        _ok(_ref("Note"), "The update was posted.", "201"), [_path_id("project_id", "The project's id.")],
        "postNote"),
    "/projects/{project_id}/indicators/{indicator_id}/readings": _post(
        "Post a measured value of one of the project's indicators. It counts publicly once an organiser verifies it.",
        "NewReading", _ok(_ref("NewReadingCreated"), "The reading was posted.", "201"),
        [_path_id("project_id", "The project's id."), _path_id("indicator_id", "The indicator's id.")],
        "postReading"),
}


def document(base_path: str = "/api/v1") -> dict:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Dawn of Progress partner API",
            "version": "1.0.0",
            "description": (
                "Read events, teams, progress maps, published results, the collaboration pipeline's projects and "
                "the observatory's figures per province; "
                "post updates and indicator readings on projects. Send `Authorization: Bearer <token>` with a "
                "token an organiser issued (scopes `read` and `write:pipeline`). Lists take `page` and "
                "`per_page` (at most 100). Errors are `{\"error\": {\"code\", \"message\", \"fields\"?}}`. "
                "Requests are rate-limited per token (429 when exceeded)."
            ),
        },
        "servers": [{"url": base_path}],
        "security": READ_ONLY,
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "An API token, `dp_...`, issued by an organiser. Scopes: `read`, `write:pipeline`.",
            }},
            "schemas": SCHEMAS,
            "responses": {f"E{code}": response for code, response in RESPONSES.items()},
        },
    }
