"""What the observatory shows per province, read from its figures (``observatory.figures``): the measures a
visitor colours the map by, how a province compares with the national median, and need against support
(the maths in ``allocation.py``). No database here; labels are translated for the request.
"""
import statistics
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import pgettext

from ..core.i18n import format_number
from . import allocation
from .models import ReferenceIndicator
from .observatory import PER_PEOPLE, POPULATION_KEY, Figures, Observatory

REFERENCE_PREFIX = "ref-"  # a reference figure's measure is "ref-" and its key: no clash with the others' keys


@dataclass(frozen=True)
class Measure:
    key: str  # what ?map= names
    label: str
    value: Callable[[Figures], float | None]
    reference: ReferenceIndicator | None = None  # for an imported reference figure (its label is the name)


def measures(observatory: Observatory) -> list[Measure]:
    """Every measure the map can show, in the order of the form; the first is the default."""
    shown = [
        Measure("teams", _("Teams registered"), lambda row: row.teams),
        Measure("maps", _("Maps submitted"), lambda row: row.maps),
        Measure("winners", _("Winners"), lambda row: row.winners),
        Measure("projects", _("Projects in the pipeline"), lambda row: row.projects),
        Measure("met", _("Indicators met"), lambda row: row.met),
        Measure("on_track", _("Indicators on track"), lambda row: row.on_track),
    ]
    if observatory.population is not None:
        shown.insert(1, Measure("teams_per_100k", per_people_label(), lambda row: row.teams_per_people))
    shown += [Measure(REFERENCE_PREFIX + indicator.key, indicator.name,
                      lambda row, id=indicator.id: row.references.get(id), reference=indicator)
              for indicator in observatory.references]
    return shown


def per_people_label() -> str:
    return _("Teams per %(num)s people", num=format_number(PER_PEOPLE))


def chosen(shown: list[Measure], key: str | None) -> Measure:
    """The measure of ``key``; the default for no key or an unknown one."""
    return next((measure for measure in shown if measure.key == key), shown[0])


# --- a province against the others ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    measure: Measure
    value: float | None
    median: float | None  # of the provinces with a figure
    provinces: int  # how many have one

    @property
    def side(self) -> int | None:
        """1 above the median, -1 below, 0 at it; None when either is missing."""
        if self.value is None or self.median is None:
            return None
        return (self.value > self.median) - (self.value < self.median)


def compare(observatory: Observatory, row: Figures) -> list[Comparison]:
    """The province's figure of every measure beside the median of all provinces."""
    comparisons = []
    for measure in measures(observatory):
        values = [value for other in observatory.provinces if (value := measure.value(other)) is not None]
        comparisons.append(Comparison(measure, measure.value(row), statistics.median(values) if values else None,
                                      len(values)))
    return comparisons


# --- need against support ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SupportFigure:
    key: str
    label: str
    short: str  # where space is short (a phone's table)
    count: Callable[[Figures], int]


def support_figures() -> list[SupportFigure]:
    """What the series put in a province, each taken per PER_PEOPLE people."""
    return [
        SupportFigure("approved_teams", _("Approved teams"), _("Teams"), lambda row: row.approved_teams),
        SupportFigure("winners", _("Winners"), _("Winners"), lambda row: row.winners),
        SupportFigure("projects", _("Projects in the pipeline"), _("Projects"), lambda row: row.projects),
        SupportFigure("verified_progress", _("Indicators met or on track"), pgettext("support figure", "Progress"),
                      lambda row: row.met + row.on_track),
    ]


@dataclass(frozen=True)
class NeedRow:
    figures: Figures
    need: float | None
    support: dict[str, float | None]  # support figure key -> its figure per PER_PEOPLE people
    assessment: allocation.Assessment


@dataclass(frozen=True)
class NeedSupport:
    need: ReferenceIndicator | None  # the need figure read, None while none was imported
    choices: list[ReferenceIndicator]  # every reference figure
    support: list[SupportFigure]
    rows: list[NeedRow]  # the largest gap first; the provinces without one last, by name

    @property
    def marked(self) -> list[NeedRow]:
        return [row for row in self.rows if row.assessment.marked]


def default_need(references: list[ReferenceIndicator]) -> ReferenceIndicator | None:
    """The first reference figure that is not the population (which the support figures are taken by)."""
    return next((indicator for indicator in references if indicator.key != POPULATION_KEY), None)


def need_support(observatory: Observatory, need_key: str | None, name_key: Callable[[str], object] = str
                 ) -> NeedSupport:
    """Need (the reference figure of ``need_key``, or the default one for no key or an unknown one) against
    support, per province; ``name_key`` orders the names of provinces with the same gap."""
    references = observatory.references
    need = next((indicator for indicator in references if indicator.key == need_key), None) \
        or default_need(references)
    support = support_figures()
    rows = observatory.provinces
    needs = {row.province.id: row.references.get(need.id) if need else None for row in rows}
    per_people = {figure.key: {row.province.id: row.per_people(figure.count(row)) for row in rows}
                  for figure in support}
    assessments = allocation.assess(needs, per_people)
    result = [NeedRow(figures=row, need=needs[row.province.id],
                      support={figure.key: per_people[figure.key][row.province.id] for figure in support},
                      assessment=assessments[row.province.id]) for row in rows]
    result.sort(key=lambda item: (item.assessment.gap is None, -(item.assessment.gap or 0),
                                  name_key(item.figures.province.name)))
    return NeedSupport(need=need, choices=list(references), support=support, rows=result)
