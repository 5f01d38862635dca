"""The observatory's figures as open data: one document (JSON, and the partner API) and one table (CSV), with
the moment they were computed and their licence. Keys are English and stable whatever the page's language;
numbers are plain numbers.
"""
from datetime import datetime

from flask_babel import gettext as _

from ..core.errors import NotFound
from . import observatory
from .enums import TrackingStatus
from .measures import NeedSupport, need_support
from .observatory import Figures, Observatory

LICENCE = {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}


def _counts(row: Figures) -> dict:
    return {"teams": row.teams, "approved_teams": row.approved_teams, "maps": row.maps, "winners": row.winners,
            "projects": row.projects, "indicators": {status.value: row.statuses[status] for status in TrackingStatus},
            "teams_per_100k": row.teams_per_people}


def _rank(value) -> float | None:
    return None if value is None else float(value)


def document(observatory: Observatory, need: NeedSupport, computed_at: datetime) -> dict:
    """Every figure of the observatory page, per province and in total."""
    keys = {indicator.id: indicator.key for indicator in observatory.references}
    provinces = []
    for item in sorted(need.rows, key=lambda item: item.figures.province.code):
        row, province = item.figures, item.figures.province
        provinces.append({
            "id": province.id, "code": province.code, "name_fa": province.name_fa, "name_en": province.name_en,
            **_counts(row),
            "references": {keys[indicator_id]: value for indicator_id, value in sorted(row.references.items())
                           if indicator_id in keys},
            "support_per_100k": item.support,
            "need_rank": _rank(item.assessment.need_rank), "support_rank": _rank(item.assessment.support_rank),
            "need_high_support_low": item.assessment.marked,
        })
    return {
        "computed_at": computed_at.isoformat(),
        "statuses_on": observatory.day.isoformat(),
        "licence": LICENCE,
        "event": observatory.event.slug if observatory.event else None,
        "need": need.need.key if need.need else None,
        "references": [{"key": indicator.key, "name_fa": indicator.name_fa, "name_en": indicator.name_en or "",
                        "unit": indicator.unit or "", "imported_at": indicator.imported_at.isoformat()}
                       for indicator in observatory.references],
        "provinces": provinces,
        "totals": _counts(observatory.totals),
        "stages": [{"key": stage.key, "name_fa": stage.name_fa, "name_en": stage.name_en, "projects": count}
                   for stage, count in observatory.stages],
    }


def figures_document(event_id: int | None, need_key: str | None, computed_at: datetime, strict: bool = False) -> dict:
    """The document of the series (``event_id`` None) or of one event, reading the need figure of ``need_key``
    (the default one for None or an unknown key: the document's "need" says which was read; with ``strict``, an
    unknown key is NotFound, before anything is compared)."""
    figures = observatory.figures(event_id)
    if strict and need_key is not None and all(indicator.key != need_key for indicator in figures.references):
        raise NotFound(_("There is no reference figure “%(key)s”.", key=need_key))
    return document(figures, need_support(figures, need_key), computed_at)


def table(data: dict) -> tuple[list[str], list[list]]:
    """The provinces of ``document(...)`` as one CSV table: a column per figure, and the need read, the moment
    computed and the licence on every row (so that any copy of a row still says them)."""
    statuses = [status.value for status in TrackingStatus]
    references = [reference["key"] for reference in data["references"]]
    support = list(data["provinces"][0]["support_per_100k"]) if data["provinces"] else []
    headers = (["code", "name_fa", "name_en", "teams", "approved_teams", "maps", "winners", "projects"]
               + [f"indicators_{status}" for status in statuses] + ["teams_per_100k"]
               + [f"reference:{key}" for key in references] + [f"{key}_per_100k" for key in support]
               + ["need", "need_rank", "support_rank", "need_high_support_low", "event", "computed_at", "licence"])
    rows = [[province["code"], province["name_fa"], province["name_en"], province["teams"],
             province["approved_teams"], province["maps"], province["winners"], province["projects"],
             *(province["indicators"][status] for status in statuses), province["teams_per_100k"],
             *(province["references"].get(key) for key in references),
             *(province["support_per_100k"][key] for key in support),
             data["need"], province["need_rank"], province["support_rank"], province["need_high_support_low"],
             data["event"], data["computed_at"], f"{data['licence']['name']} {data['licence']['url']}"]
            for province in data["provinces"]]
    return headers, rows
