"""The observatory: the public figures of the series, or of one event, per province.

Only what is public counts: teams registered and maps submitted are public facts; winners come only
from the current publication of a final round; an indicator's status comes only from readings an
organiser verified. Beside them stand the reference figures organisers import per province
(population, a deprivation index, ...).

``figures`` runs a fixed number of SQL statements whatever the number of teams, projects or
readings: every count is a GROUP BY, and the indicators' readings come in one query. So does
``province_details``, what a province's page shows beyond its figures. The measures read from the figures
(the map's, need against support) are in ``measures.py``, their open data in ``open_data.py``.
"""
import csv
import io
import math
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

from ..audit import services as audit
from ..core.errors import NotFound
from ..core.extensions import db
from ..core.i18n import format_number, localize_digits
from ..core.text import latin_digits, normalize_text
from ..events.models import Event, Province
from ..judging.models import FINAL, Publication, Round
from ..judging.results import PublishedResult
from ..teams.enums import OrganisationType
from ..teams.models import APPROVED, REJECTED, SUBMITTED, ProgressMap, Team
from . import services, tracking
from .enums import TrackingStatus
from .models import Project, ProjectIndicator, Reading, ReferenceIndicator, ReferenceValue, Stage

POPULATION_KEY = "population"  # a reference indicator with this key gives teams per 100,000 people
PER_PEOPLE = 100_000


# --- the figures ----------------------------------------------------------------------------------------------

# A submitted map of a team that was not rejected counts, in the province it is about (the team's, when the map
# names none): on the observatory and on each province's page alike.
MAP_PROVINCE = func.coalesce(ProgressMap.province_id, Team.province_id)
COUNTED_MAP = (ProgressMap.status == SUBMITTED, Team.status != REJECTED)

@dataclass
class Figures:
    """The counts of one province, or of all of them (``province`` None: the totals row)."""
    province: Province | None
    teams: int = 0  # registered and not rejected
    approved_teams: int = 0
    maps: int = 0
    winners: int = 0
    projects: int = 0
    statuses: dict[TrackingStatus, int] = field(default_factory=lambda: dict.fromkeys(TrackingStatus, 0))
    references: dict[int, float] = field(default_factory=dict)  # reference indicator id -> value
    people: float | None = None  # the population, when it is known
    teams_per_people: float | None = None  # teams per PER_PEOPLE people, when the population is known

    def per_people(self, count: float) -> float | None:
        """``count`` per PER_PEOPLE people of the province, when its population is known."""
        return _ratio(count, self.people)

    @property
    def met(self) -> int:
        return self.statuses[TrackingStatus.MET]

    @property
    def on_track(self) -> int:
        return self.statuses[TrackingStatus.ON_TRACK]

    @property
    def behind(self) -> int:
        return self.statuses[TrackingStatus.BEHIND]

    @property
    def no_data(self) -> int:
        return self.statuses[TrackingStatus.NO_DATA]


@dataclass
class Observatory:
    event: Event | None  # None: the whole series
    provinces: list[Figures]  # all 31, in the order of their codes
    totals: Figures
    stages: list[tuple[Stage, int]]  # every stage in board order, with its projects
    references: list[ReferenceIndicator]
    population: ReferenceIndicator | None
    day: date  # the day the indicators' statuses are worked out for
    awards: dict[int, str]  # team id -> award, of the winners counted

    def row_of(self, code: int) -> Figures:
        """The figures of the province with this code (NotFound if there is none)."""
        found = next((row for row in self.provinces if row.province.code == code), None)
        if found is None:
            raise NotFound(_("There is no such province."))
        return found


def _ratio(teams: int, people: float | None) -> float | None:
    return teams / people * PER_PEOPLE if people and people > 0 else None


def figures(event_id: int | None = None, day: date | None = None) -> Observatory:
    """The observatory of one event, or of the whole series when ``event_id`` is None."""
    day = day or services.today()
    event = db.session.get(Event, event_id) if event_id else None
    of_event = [Team.event_id == event_id] if event_id else []
    of_project = [Project.event_id == event_id] if event_id else []

    provinces = db.session.scalars(select(Province).order_by(Province.code)).all()
    rows = {province.id: Figures(province) for province in provinces}
    totals = Figures(None)

    def add(counts, attribute: str) -> None:
        for province_id, count in counts:
            if province_id in rows:
                setattr(rows[province_id], attribute, getattr(rows[province_id], attribute) + count)
            setattr(totals, attribute, getattr(totals, attribute) + count)

    teams = db.session.execute(select(Team.province_id, Team.status, func.count()).where(*of_event)
                               .group_by(Team.province_id, Team.status)).all()
    add(((province_id, count) for province_id, status, count in teams if status != REJECTED), "teams")
    add(((province_id, count) for province_id, status, count in teams if status == APPROVED), "approved_teams")
    add(db.session.execute(select(MAP_PROVINCE, func.count()).join(Team, ProgressMap.team_id == Team.id)
                           .where(*COUNTED_MAP, *of_event).group_by(MAP_PROVINCE)).all(), "maps")
    awards = winners(event_id)
    add(db.session.execute(select(Team.province_id, func.count()).where(Team.id.in_(list(awards)))
                           .group_by(Team.province_id)).all(), "winners")

    stages = db.session.scalars(select(Stage).order_by(Stage.position, Stage.id)).all()
    per_stage = defaultdict(int)
    projects = db.session.execute(select(Project.province_id, Project.stage_id, func.count()).where(*of_project)
                                  .group_by(Project.province_id, Project.stage_id)).all()
    for _province_id, stage_id, count in projects:
        per_stage[stage_id] += count
    add(((province_id, count) for province_id, _stage_id, count in projects), "projects")

    for province_id, status in _indicator_statuses(of_project, day):
        if province_id in rows:
            rows[province_id].statuses[status] += 1
        totals.statuses[status] += 1

    references = db.session.scalars(select(ReferenceIndicator).order_by(ReferenceIndicator.key)).all()
    for indicator_id, province_id, value in db.session.execute(
            select(ReferenceValue.indicator_id, ReferenceValue.province_id, ReferenceValue.value)).all():
        if province_id in rows:
            rows[province_id].references[indicator_id] = value
    population = next((indicator for indicator in references if indicator.key == POPULATION_KEY), None)
    if population is not None:
        for row in rows.values():
            row.people = row.references.get(population.id)
            row.teams_per_people = row.per_people(row.teams)
        counted = [row for row in rows.values() if row.teams_per_people is not None]
        totals.teams_per_people = _ratio(sum(row.teams for row in counted),
                                         sum(row.references[population.id] for row in counted))

    return Observatory(event=event, provinces=list(rows.values()), totals=totals,
                       stages=[(stage, per_stage.get(stage.id, 0)) for stage in stages],
                       references=list(references), population=population, day=day, awards=awards)


def winners(event_id: int | None) -> dict[int, str]:
    """The teams with an award in the current (not superseded) publication of a final round, with their award."""
    query = select(Publication.snapshot).join(Round, Publication.round_id == Round.id).where(
        Round.kind == FINAL, Publication.superseded_at.is_(None))
    if event_id:
        query = query.where(Round.event_id == event_id)
    return {team_id: award for snapshot in db.session.scalars(query)
            for team_id, award in sorted(PublishedResult.awards_in(snapshot or {}).items())}


def _indicator_statuses(of_project: list, day: date) -> list[tuple[int | None, str]]:
    """(province id, status) of every indicator of the projects, from its verified readings only."""
    indicators = db.session.execute(
        select(ProjectIndicator.id, ProjectIndicator.baseline, ProjectIndicator.target,
               ProjectIndicator.target_date, Project.province_id)
        .join(Project, ProjectIndicator.project_id == Project.id).where(*of_project)).all()
    verified = defaultdict(list)
    for indicator_id, taken_on, value in db.session.execute(
            select(Reading.indicator_id, Reading.taken_on, Reading.value)
            .join(ProjectIndicator, Reading.indicator_id == ProjectIndicator.id)
            .join(Project, ProjectIndicator.project_id == Project.id)
            .where(Reading.verified_at.is_not(None), *of_project)).all():
        verified[indicator_id].append((taken_on, value))
    return [(province_id, tracking.status(baseline, target, target_date, verified.get(indicator_id, []), day))
            for indicator_id, baseline, target, target_date, province_id in indicators]


# --- one province ------------------------------------------------------------------------------------------------


@dataclass
class ProjectProgress:
    project: Project
    team_name: str
    indicators: list[tuple[ProjectIndicator, TrackingStatus]]  # each with its status from verified readings


@dataclass
class Winner:
    name: str
    event_id: int
    award: str


@dataclass
class ProvinceDetails:
    """What the province page shows beyond the figures: who works there, who won, what is carried out."""
    kinds: list[tuple[OrganisationType, int, int]]  # every kind of organisation: teams, maps submitted
    winners: list[Winner]  # the winning teams of the province, by name
    projects: list[ProjectProgress]


def province_details(observatory: Observatory, province: Province) -> ProvinceDetails:
    """The teams and maps of the province by kind of organisation (maps carry no theme of their own), its
    winners, and its projects with their indicators, in the observatory's scope; a fixed number of statements
    (events are not loaded: the page has them already)."""
    event_id, day, awards = observatory.event.id if observatory.event else None, observatory.day, observatory.awards
    of_event = [Team.event_id == event_id] if event_id else []
    teams = dict(db.session.execute(
        select(Team.organisation_type, func.count())
        .where(Team.province_id == province.id, Team.status != REJECTED, *of_event)
        .group_by(Team.organisation_type)).all())
    maps = dict(db.session.execute(
        select(Team.organisation_type, func.count()).select_from(ProgressMap).join(Team, ProgressMap.team_id == Team.id)
        .where(MAP_PROVINCE == province.id, *COUNTED_MAP, *of_event)
        .group_by(Team.organisation_type)).all())
    winning = db.session.execute(select(Team.id, Team.name, Team.event_id).where(
        Team.id.in_(list(awards)), Team.province_id == province.id).order_by(Team.name, Team.id)).all()
    projects = db.session.execute(
        select(Project, Team.name).join(Team, Project.team_id == Team.id)
        .where(Project.province_id == province.id, *([Project.event_id == event_id] if event_id else []))
        .options(selectinload(Project.stage), selectinload(Project.indicators).selectinload(ProjectIndicator.readings))
        .order_by(Project.title, Project.id)).all()
    return ProvinceDetails(
        kinds=[(kind, teams.get(kind, 0), maps.get(kind, 0)) for kind in OrganisationType],
        winners=[Winner(name, team_event, awards[team_id]) for team_id, name, team_event in winning],
        projects=[ProjectProgress(project, team_name, [(indicator, services.indicator_status(indicator, day))
                                                       for indicator in project.indicators])
                  for project, team_name in projects])


# --- reference figures: the import ------------------------------------------------------------------------------

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 20_000
MAX_IMPORT_UNPACKED_BYTES = 40 * 1024 * 1024  # a full workbook of MAX_IMPORT_ROWS rows unpacks to about 4 MB
COLUMNS = 6  # province, key, Persian name, English name, unit, value
REFERENCE_KEY = re.compile(r"[a-z][a-z0-9_-]{0,59}")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
_PLAIN = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


@dataclass
class Problem:
    line: int | None  # the line of the file (the header is line 1), or None for the whole file
    message: str


@dataclass
class ImportResult:
    problems: list[Problem] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)  # the keys imported
    values: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_number(raw) -> float | None:
    """A number as people type it: Persian or Arabic digits, ٫ or . for decimals, ٬ , or ، between
    thousands (in groups of three), a minus sign of either kind. None when it is not one."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, (int, float)):
        return float(raw) if math.isfinite(raw) else None
    text = latin_digits(normalize_text(str(raw or "")))
    for mark in ("\u200e", "\u200f", "\u200c", " "):
        text = text.replace(mark, "")
    text = (text.replace("\u066c", ",").replace("\u060c", ",").replace("\u066b", ".")
            .replace("\u2212", "-").replace("\u2013", "-"))
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if not _PLAIN.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def _place_key(text: str) -> str:
    """A province's name or code folded for comparison: letters normalised, case, spaces and the
    words استان / province ignored."""
    text = normalize_text(text).casefold()
    text = re.sub(r"^استان\s*", "", text)
    text = re.sub(r"\s*province$", "", text)
    return re.sub(r"[\s\u200c_\-]+", "", text)


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return normalize_text(str(value))


class _TooLarge(Exception):
    """The file holds more than an import may: ``problem`` says what."""

    def __init__(self, problem: "Problem"):
        super().__init__(problem.message)
        self.problem = problem


def _read_rows(content: bytes):
    """(line, cells) of each row of an XLSX (first sheet) or CSV file, read as a stream; raise ValueError
    if unreadable and _TooLarge if the workbook unpacks to more than MAX_IMPORT_UNPACKED_BYTES."""
    if content.startswith(b"PK\x03\x04"):
        yield from _read_workbook(content)
        return
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError("not UTF-8") from error
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    for cells in reader:
        yield line, cells
        line = reader.line_num + 1


def _read_workbook(content: bytes):
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            # The sizes a ZIP declares are what it unpacks to (zipfile stops reading there), so a small file
            # that unpacks to gigabytes is refused here, before any of it is read.
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ValueError(str(error)) from error
    if unpacked > MAX_IMPORT_UNPACKED_BYTES:
        raise _TooLarge(Problem(None, _("The workbook unpacks to more than %(size)s MB; send at most %(count)s "
                                        "rows of figures.", size=format_number(MAX_IMPORT_UNPACKED_BYTES // 2**20),
                                        count=format_number(MAX_IMPORT_ROWS))))
    try:
        from openpyxl import load_workbook  # where it is used: the app starts without openpyxl

        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise ValueError(str(error)) from error
    try:
        rows = workbook.worksheets[0].iter_rows(min_row=1, max_col=COLUMNS + 1, values_only=True)
        line = 0
        while True:
            try:
                cells = next(rows)
            except StopIteration:
                return
            except Exception as error:  # a damaged sheet is found while it is read
                raise ValueError(str(error)) from error
            line += 1
            yield line, list(cells)
    finally:
        workbook.close()


@dataclass
class _Indicator:
    line: int
    name_fa: str = ""
    name_en: str = ""
    unit: str = ""
    values: dict[int, float] = field(default_factory=dict)  # province id -> value
    lines: dict[int, int] = field(default_factory=dict)  # province id -> line
    existing: ReferenceIndicator | None = None  # the stored indicator of this key, if any


class _Provinces:
    """The provinces, found by a name or code as people write them in a file."""

    def __init__(self):
        self.all = db.session.scalars(select(Province)).all()
        self.by_key = {_place_key(name): province for province in self.all
                       for name in (province.name_fa, province.name_en, str(province.code))}
        self.names = {province.id: province.name for province in self.all}

    def find(self, text: str) -> Province | None:
        if latin_digits(text).strip().isdigit():
            return next((p for p in self.all if p.code == int(latin_digits(text))), None)
        return self.by_key.get(_place_key(text))


def import_references(actor, filename: str, content: bytes, now: datetime) -> ImportResult:
    """Import reference figures from CSV (UTF-8, with or without BOM) or XLSX, all or nothing.

    Columns: province (Persian or English name, or code), indicator key (a slug), Persian name,
    English name, unit, value; a first row that is not data is a header. Every bad row is reported
    with its line and reason, and then nothing is imported. Otherwise each indicator is created or
    updated by its key and its values are replaced by the file's.
    """
    services.require_pipeline_organiser(actor)
    provinces = _Provinces()
    rows, problems = _parse(content, provinces)
    if not problems:
        indicators, problems = _validate(rows, provinces)
    if problems:
        return ImportResult(problems=sorted(problems, key=lambda problem: problem.line or 0))
    result = ImportResult(indicators=sorted(indicators), values=_apply(indicators, now))
    audit.record(actor, "pipeline.references_imported", actor,
                 {"file": filename, "indicators": result.indicators, "values": result.values},
                 label=_("Reference figures"), now=now)
    return result


def _parse(content: bytes, provinces: _Provinces) -> tuple[list[tuple[int, list[str]]], list[Problem]]:
    """The file's rows of figures, (line, cells as text), without empty rows and the header; or the
    problem with the whole file."""
    if len(content) > MAX_IMPORT_BYTES:
        return [], [Problem(None, _("The file is larger than %(size)s MB.", size=format_number(MAX_IMPORT_BYTES // 2**20)))]
    rows: list[tuple[int, list[str]]] = []
    try:
        for line, cells in _read_rows(content):
            cells = [_cell(value) for value in cells]
            if any(cells):
                rows.append((line, cells))
            if len(rows) > MAX_IMPORT_ROWS + 1:  # more than the rows and a header: stop reading
                return [], [_too_many_rows()]
    except _TooLarge as error:
        return [], [error.problem]
    except ValueError:
        return [], [Problem(None, _("The file could not be read: send CSV in UTF-8 or an XLSX workbook."))]
    # A first row that is not data (its value is no number, its province none) is the header.
    if rows and parse_number((rows[0][1] + [""] * COLUMNS)[COLUMNS - 1]) is None \
            and provinces.find(rows[0][1][0] if rows[0][1] else "") is None:
        rows = rows[1:]
    if not rows:
        return [], [Problem(None, _("The file has no rows of figures."))]
    if len(rows) > MAX_IMPORT_ROWS:
        return [], [_too_many_rows()]
    return rows, []


def _too_many_rows() -> Problem:
    return Problem(None, _("The file has more than %(count)s rows.", count=format_number(MAX_IMPORT_ROWS)))


def _validate(rows: list[tuple[int, list[str]]], provinces: _Provinces) -> tuple[dict[str, _Indicator],
                                                                                 list[Problem]]:
    """The indicators of the rows, by key, with their values per province; and every problem of every row."""
    problems: list[Problem] = []
    found: dict[str, _Indicator] = {}
    for line, cells in rows:
        if len(cells) < COLUMNS:
            problems.append(Problem(line, _("The row has %(found)s columns; it needs %(needed)s: province, "
                                            "indicator key, Persian name, English name, unit, value.",
                                            found=len(cells), needed=COLUMNS)))
            continue
        place, key, name_fa, name_en, unit, raw_value = cells[:COLUMNS]
        key = key.strip().lower()
        province = provinces.find(place) if place else None
        value = parse_number(raw_value)
        if not place:
            problems.append(Problem(line, _("The province is missing.")))
        elif province is None:
            problems.append(Problem(line, _("Unknown province “%(name)s”.", name=place)))
        if not key:
            problems.append(Problem(line, _("The indicator key is missing.")))
        elif not REFERENCE_KEY.fullmatch(key):
            problems.append(Problem(line, _("The indicator key “%(key)s” must be Latin lower-case letters, "
                                            "digits, - and _, starting with a letter.", key=key)))
        if not raw_value:
            problems.append(Problem(line, _("The value is missing.")))
        elif value is None:
            problems.append(Problem(line, _("The value “%(value)s” is not a number.", value=raw_value)))
        if len(name_fa) > 200 or len(name_en) > 200 or len(unit) > 60:
            problems.append(Problem(line, _("A name is longer than 200 characters or the unit longer than 60.")))
        if not key or not REFERENCE_KEY.fullmatch(key):
            continue
        indicator = found.setdefault(key, _Indicator(line))
        indicator.name_fa = indicator.name_fa or name_fa
        indicator.name_en = indicator.name_en or name_en
        indicator.unit = indicator.unit or unit
        if province is None or value is None:
            continue
        if province.id in indicator.values:
            problems.append(Problem(line, _(
                "%(province)s appears twice for the indicator “%(key)s” (first on line %(line)s).",
                province=provinces.names[province.id], key=key, line=localize_digits(indicator.lines[province.id]))))
            continue
        indicator.values[province.id] = value
        indicator.lines[province.id] = line

    for stored in db.session.scalars(select(ReferenceIndicator).where(ReferenceIndicator.key.in_(list(found)))):
        found[stored.key].existing = stored
    for key, indicator in found.items():
        if not indicator.name_fa and indicator.existing is None:
            problems.append(Problem(indicator.line, _("The new indicator “%(key)s” needs a Persian name.", key=key)))
    return found, problems


def _apply(indicators: dict[str, _Indicator], now: datetime) -> int:
    """Create or update each indicator by its key and replace its values; how many values were stored."""
    stored = 0
    for key, spec in indicators.items():
        indicator = spec.existing
        if indicator is None:
            indicator = ReferenceIndicator(key=key, name_fa=spec.name_fa)
            db.session.add(indicator)
        indicator.name_fa = spec.name_fa or indicator.name_fa
        indicator.name_en = spec.name_en or indicator.name_en or ""
        indicator.unit = spec.unit or indicator.unit or ""
        indicator.imported_at = now
        db.session.flush()
        db.session.execute(delete(ReferenceValue).where(ReferenceValue.indicator_id == indicator.id))
        db.session.add_all(ReferenceValue(indicator_id=indicator.id, province_id=province_id, value=value)
                           for province_id, value in spec.values.items())
        stored += len(spec.values)
    db.session.flush()
    return stored


def reference_list(actor) -> list[tuple[ReferenceIndicator, int]]:
    """The reference indicators, each with how many provinces have a value (the organisers' page)."""
    services.require_pipeline_organiser(actor)
    return list(db.session.execute(
        select(ReferenceIndicator, func.count(ReferenceValue.id))
        .outerjoin(ReferenceValue, ReferenceValue.indicator_id == ReferenceIndicator.id)
        .group_by(ReferenceIndicator.id).order_by(ReferenceIndicator.key)).all())


def sample_table(actor) -> tuple[list[str], list[list]]:
    """The columns of an import file, and a few rows to show the way (census 1395 populations), for the
    organisers who import."""
    services.require_pipeline_organiser(actor)
    headers = [_("Province"), _("Indicator key"), _("Name (Persian)"), _("Name (English)"), _("Unit"), _("Value")]
    rows = [
        ["تهران", POPULATION_KEY, "جمعیت", "Population", "نفر", 13267637],
        ["Isfahan", POPULATION_KEY, "جمعیت", "Population", "نفر", 5120850],
        ["9", POPULATION_KEY, "جمعیت", "Population", "نفر", 6434501],
    ]
    return headers, rows
