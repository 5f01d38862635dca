"""Progress maps: drafts, submission and reopening, revisions and their differences, the organisers' lists
and exports, and where a team is on its way."""
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from ... import signals
from ...audit import services as audit
from ...core.errors import Conflict, DeadlinePassed, Invalid
from ...core.extensions import db
from ...core.i18n import format_list
from ...core.roles import require_organiser
from ...core.text import normalize_text
from ...events.models import County, Event
from .. import diffing, richtext
from ..models import APPROVED, DRAFT, MAP_SECTIONS, SUBMITTED, Indicator, MapAction, MapRevision, ProgressMap, Team
from ._rules import MAP_LOCKED, require_leader, require_map_writer

audit.register_actions({
    "map.submitted": _l("Map submitted"),
    "map.reopened": _l("Map reopened"),
})

STALE_DRAFT = _l(
    "Someone else in your team saved the map while you were editing it. Your changes were not saved: "
    "copy what you wrote, reload the page to see the latest version, and add your changes to it.")
# Iran's bounding box, for the optional point of a map's target region.
IRAN_LATITUDE = (25.0, 39.8)
IRAN_LONGITUDE = (44.0, 63.4)


def map_of(team: Team) -> ProgressMap | None:
    return db.session.scalar(select(ProgressMap).where(ProgressMap.team_id == team.id))


# --- drafts -------------------------------------------------------------------------------------------

@dataclass
class IndicatorRow:
    name: str
    unit: str = ""
    baseline: float | None = None
    target: float | None = None
    target_date: date | None = None


@dataclass
class ActionRow:
    what: str
    responsible: str = ""
    starts_on: date | None = None
    ends_on: date | None = None
    resources: str = ""


@dataclass
class MapDraft:
    title: str = ""
    province_id: int | None = None
    county_id: int | None = None
    district: str = ""
    latitude: float | None = None
    longitude: float | None = None
    sections: dict[str, str] = field(default_factory=dict)
    indicators: list[IndicatorRow] = field(default_factory=list)
    actions: list[ActionRow] = field(default_factory=list)


def _validate_draft(draft: MapDraft) -> None:
    errors = {}
    if draft.county_id:
        county = db.session.get(County, draft.county_id)
        if county is None or county.province_id != draft.province_id:
            errors["county"] = _("Choose a county of the chosen province.")
    if (draft.latitude is None) != (draft.longitude is None):
        errors["longitude"] = _("Give both the latitude and the longitude, or neither.")
    elif draft.latitude is not None and not (IRAN_LATITUDE[0] <= draft.latitude <= IRAN_LATITUDE[1]
                                             and IRAN_LONGITUDE[0] <= draft.longitude <= IRAN_LONGITUDE[1]):
        errors["latitude"] = _("This point is not in Iran: check the latitude and the longitude.")
    for index, row in enumerate(draft.actions):
        if row.starts_on and row.ends_on and row.ends_on < row.starts_on:
            errors[f"actions-{index}-ends_on"] = _("The end must come after the start.")
    if errors:
        raise Invalid(_("The draft was not saved: correct the marked fields."), fields=errors)


def save_draft(actor, team: Team, draft: MapDraft, expected_version: int | None, now: datetime) -> ProgressMap:
    """Any member saves the draft at any time, even after a deadline, while the map is not submitted.

    ``expected_version`` is the version the member started from; if someone saved since, nothing is
    overwritten and a Conflict tells the member what to do.
    """
    require_map_writer(actor, team)
    progress_map = map_of(team)
    if progress_map is None:
        if expected_version:
            raise Conflict(_("The map changed while you were editing it."))
        progress_map = ProgressMap(team_id=team.id)
        db.session.add(progress_map)
    elif progress_map.is_locked:
        raise Conflict(MAP_LOCKED)
    elif expected_version != progress_map.version:
        raise Conflict(STALE_DRAFT)
    _validate_draft(draft)
    progress_map.title = normalize_text(draft.title)
    progress_map.province_id, progress_map.county_id = draft.province_id, draft.county_id
    progress_map.district = normalize_text(draft.district)
    progress_map.latitude, progress_map.longitude = draft.latitude, draft.longitude
    for section in MAP_SECTIONS:
        setattr(progress_map, section, richtext.clean_html(draft.sections.get(section, "")))
    progress_map.indicators = [
        Indicator(position=i, name=normalize_text(row.name or ""), unit=normalize_text(row.unit or ""),
                  baseline=row.baseline, target=row.target, target_date=row.target_date)
        for i, row in enumerate(draft.indicators) if normalize_text(row.name or "")
    ]
    progress_map.actions = [
        MapAction(position=i, what=normalize_text(row.what or ""), responsible=normalize_text(row.responsible or ""),
                  starts_on=row.starts_on, ends_on=row.ends_on, resources=normalize_text(row.resources or ""))
        for i, row in enumerate(draft.actions) if normalize_text(row.what or "")
    ]
    progress_map.updated_at, progress_map.updated_by_id = now, actor.id
    try:
        db.session.flush()
    except (StaleDataError, IntegrityError) as error:  # another save won the race since our read
        raise Conflict(STALE_DRAFT) from error
    return progress_map


# --- submitting and reopening ---------------------------------------------------------------------------

def _missing_for_submission(progress_map: ProgressMap, team: Team) -> list[str]:
    missing = []
    if not progress_map.title:
        missing.append(_("a title"))
    if not (progress_map.province_id and progress_map.county_id):
        missing.append(_("the target province and county"))
    labels = section_labels()
    missing += [labels[section] for section in MAP_SECTIONS if not getattr(progress_map, section)]
    if not progress_map.indicators:
        missing.append(_("at least one measurable indicator"))
    if not progress_map.actions:
        missing.append(_("at least one action"))
    if len(team.members) < team.event.min_team_size:
        missing.append(_("at least %(num)s team members", num=team.event.min_team_size))
    return missing


def snapshot(progress_map: ProgressMap) -> dict:
    return {
        "title": progress_map.title,
        "province": progress_map.province.name_fa if progress_map.province else None,
        "county": progress_map.county.name_fa if progress_map.county else None,
        "district": progress_map.district, "latitude": progress_map.latitude, "longitude": progress_map.longitude,
        **{section: getattr(progress_map, section) for section in MAP_SECTIONS},
        "indicators": [{"name": i.name, "unit": i.unit, "baseline": i.baseline, "target": i.target,
                        "target_date": i.target_date.isoformat() if i.target_date else None}
                       for i in progress_map.indicators],
        "actions": [{"what": a.what, "responsible": a.responsible,
                     "starts_on": a.starts_on.isoformat() if a.starts_on else None,
                     "ends_on": a.ends_on.isoformat() if a.ends_on else None, "resources": a.resources}
                    for a in progress_map.actions],
        "attachments": [{"name": a.original_name, "sha256": a.sha256} for a in progress_map.attachments],
    }


def submit_map(actor, team: Team, now: datetime) -> MapRevision:
    """Lock the map and keep a revision. Only the team's leader, only during the submission phase."""
    progress_map = map_of(team)
    require_leader(actor, team)
    if team.status != APPROVED:
        raise Conflict(_("Your team can submit its progress map once the organisers approve it."))
    if progress_map is None:
        raise Invalid(_("Write and save the map before submitting it."))
    if progress_map.is_locked:
        raise Conflict(_("The map is already submitted."))
    if not team.event.phase_open("submission", now):
        raise DeadlinePassed(_("The submission phase is closed: the map cannot be submitted now. "
                               "Your draft is saved."))
    missing = _missing_for_submission(progress_map, team)
    if missing:
        raise Invalid(_("The map cannot be submitted yet. It still needs: %(missing)s.", missing=format_list(missing)))
    number = 1 + (db.session.scalar(select(func.max(MapRevision.number)).where(MapRevision.map_id == progress_map.id)) or 0)
    revision = MapRevision(map_id=progress_map.id, number=number, snapshot=snapshot(progress_map),
                           submitted_at=now, submitted_by_id=actor.id)
    db.session.add(revision)
    progress_map.status, progress_map.submitted_at = SUBMITTED, now
    db.session.flush()
    audit.record(actor, "map.submitted", team, {"revision": number}, now=now)
    signals.send_after_commit(signals.map_submitted, progress_map, actor=actor, now=now)
    return revision


def reopen_map(actor, team: Team, now: datetime) -> None:
    require_organiser(actor, _l("Only organisers can reopen a submitted map."))
    progress_map = map_of(team)
    if progress_map is None or not progress_map.is_locked:
        raise Conflict(_("The map is not submitted, so there is nothing to reopen."))
    progress_map.status = DRAFT
    db.session.flush()
    audit.record(actor, "map.reopened", team, {}, now=now)
    signals.send_after_commit(signals.map_reopened, progress_map, actor=actor, now=now)


# --- revisions --------------------------------------------------------------------------------------------

def compare_revisions(older: MapRevision, newer: MapRevision) -> dict:
    return diffing.compare(older.snapshot, newer.snapshot, MAP_SECTIONS)


def revisions_of(actor, team: Team) -> list[MapRevision]:
    require_organiser(actor, _l("Only organisers can see the history of a map."))
    progress_map = map_of(team)
    if progress_map is None:
        return []
    return list(db.session.scalars(select(MapRevision).where(MapRevision.map_id == progress_map.id)
                                   .order_by(MapRevision.number)))


# --- what pages show ----------------------------------------------------------------------------------

def section_labels() -> dict[str, str]:
    return {
        "knowledge": _("Knowledge of the region and its problems"),
        "capacities": _("The region's capacities and drivers"),
        "goals": _("Goals"),
        "people_role": _("The people's role"),
        "sustainability": _("Sustainability"),
    }


def maps_page(actor, event: Event, status: str, page: int, per_page: int):
    require_organiser(actor, _l("Only organisers can see every map."))
    query = (select(ProgressMap).join(Team).where(Team.event_id == event.id)
             .options(selectinload(ProgressMap.indicators), selectinload(ProgressMap.actions))
             .order_by(ProgressMap.updated_at.desc(), ProgressMap.id.desc()))
    if status in (DRAFT, SUBMITTED):
        query = query.where(ProgressMap.status == status)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def maps_for_export(actor, event: Event) -> list[ProgressMap]:
    require_organiser(actor, _l("Only organisers can export maps."))
    return list(db.session.scalars(select(ProgressMap).join(Team).where(Team.event_id == event.id)
                                   .options(selectinload(ProgressMap.indicators), selectinload(ProgressMap.actions))
                                   .order_by(ProgressMap.id)))


def journey(team: Team, progress_map: ProgressMap | None, now: datetime) -> list[tuple[str, str, bool]]:
    """Where the team is on its way: (key, label, reached) for each step, in order."""
    judging, results = team.event.phase("judging"), team.event.phase("results")
    return [
        ("registered", _("Registered"), True),
        ("approved", _("Approved"), team.status == APPROVED),
        ("draft", _("Map draft"), progress_map is not None),
        ("submitted", _("Map submitted"), progress_map is not None and progress_map.is_locked),
        ("judging", _("Under judging"), judging is not None and now >= judging.starts_at),
        ("results", _("Results"), results is not None and now >= results.starts_at),
    ]
