"""The observatory map of Iran's provinces as data for a template: pure functions, no Flask, no database.

The shapes are ``data/iran_provinces.json`` (made once by ``tools/iran_provinces.py``; source and licence in
``data/README.md``), keyed by the app's province code. :func:`choropleth` classes the figures of the provinces
and returns, per province, its path, figure and class, and the legend; the template draws the SVG.

The classes are **quantiles adjusted for ties**: the provinces with a figure, in ascending order, are cut into
classes of as equal a count as possible, but equal figures always share a class (a cut never falls between
two provinces with the same figure), so a class may hold more provinces than its share. There are as many
classes as asked for, or as there are different figures if that is fewer: all equal figures make one class.
A province without a figure is "no data", drawn with its own pattern, never as a class.
"""
import json
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

SHAPES = Path(__file__).parent / "data" / "iran_provinces.json"

# ColorBrewer's sequential YlGnBu (Apache-2.0, see data/README.md), light to dark, by number of classes.
YLGNBU = {
    3: ("#edf8b1", "#7fcdbb", "#2c7fb8"),
    4: ("#ffffcc", "#a1dab4", "#41b6c4", "#225ea8"),
    5: ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    6: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494"),
    7: ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#1d91c0", "#225ea8", "#0c2c84"),
}
# ColorBrewer has no scheme of one or two classes: the middle, and the ends, of the three-class one.
PALETTES = {1: (YLGNBU[3][1],), 2: (YLGNBU[3][0], YLGNBU[3][2]), **YLGNBU}
MAX_CLASSES = max(PALETTES)

# "No data": a pattern the template defines (grey hatching), so that it is told from the palette's lightest
# colour without relying on colour alone.
NO_DATA_PATTERN = "choropleth-no-data"
NO_DATA_FILL = f"url(#{NO_DATA_PATTERN})"
NO_DATA_BACKGROUND, NO_DATA_HATCH = "#f0f0f0", "#8c8c8c"


@dataclass(frozen=True)
class Shape:
    code: int
    name_en: str
    path: str


@dataclass(frozen=True)
class Shapes:
    view_box: str
    source: str
    licence: str
    shapes: tuple[Shape, ...]


@cache
def load_shapes(path: Path = SHAPES) -> Shapes:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Shapes(
        view_box=data["viewBox"], source=data["source"], licence=data["licence"],
        shapes=tuple(Shape(code=s["code"], name_en=s["name_en"], path=s["path"]) for s in data["shapes"]),
    )


@dataclass(frozen=True)
class LegendClass:
    index: int
    low: Any  # the smallest figure in the class
    high: Any  # the largest; ``low == high`` for a class of one figure
    count: int  # provinces in the class
    colour: str


@dataclass(frozen=True)
class Classes:
    """Class breaks: ``uppers[i]`` is the largest figure of class ``i``, ascending."""
    uppers: tuple

    def index_of(self, value) -> int | None:
        """The class of ``value``: the first whose upper bound it does not exceed (the last for a figure above
        them all); None for no figure, or when there are no classes."""
        if is_missing(value) or not self.uppers:
            return None
        return min(bisect_left(self.uppers, value), len(self.uppers) - 1)


def is_missing(value) -> bool:
    return value is None or value != value  # NaN is not equal to itself


def class_breaks(values, classes: int = 5) -> Classes:
    """Quantile classes of ``values`` (numbers; None and NaN ignored), ties kept together (see the module)."""
    if not 1 <= classes <= MAX_CLASSES:
        raise ValueError(f"between 1 and {MAX_CLASSES} classes, not {classes}")
    remaining = sorted(value for value in values if not is_missing(value))
    distinct = sorted(set(remaining))
    uppers = []
    for left in range(min(classes, len(distinct)), 0, -1):
        share = -(-len(remaining) // left)  # ceil: this class's share of the remaining provinces
        # The upper bound is the figure at the share's end, but no further than leaves a figure for each
        # class still to come.
        upper = min(remaining[share - 1], distinct[len(distinct) - left])
        uppers.append(upper)
        remaining = [value for value in remaining if value > upper]
        distinct = [value for value in distinct if value > upper]
    return Classes(tuple(uppers))


@dataclass(frozen=True)
class Area:
    code: int
    name_en: str
    path: str
    value: Any  # None: no data
    class_index: int | None  # None: no data
    fill: str  # a palette colour, or NO_DATA_FILL


@dataclass(frozen=True)
class Choropleth:
    view_box: str
    areas: tuple[Area, ...]  # in the order of the shapes file (by province code)
    legend: tuple[LegendClass, ...]  # light to dark; empty when no province has a figure
    no_data: int  # how many provinces have no figure


def choropleth(shapes: Shapes, values: Mapping[int, Any], classes: int = 5) -> Choropleth:
    """The map of ``values`` ({province code: figure or None}; a province left out has no data)."""
    unknown = set(values) - {shape.code for shape in shapes.shapes}
    if unknown:
        raise ValueError(f"no shape for the province codes {sorted(unknown)}")
    breaks = class_breaks(values.values(), classes)
    palette = PALETTES.get(len(breaks.uppers), ())
    areas = []
    members: list[list] = [[] for _ in breaks.uppers]
    for shape in shapes.shapes:
        value = values.get(shape.code)
        index = breaks.index_of(value)
        if index is None:
            value = None
        else:
            members[index].append(value)
        areas.append(Area(code=shape.code, name_en=shape.name_en, path=shape.path, value=value,
                          class_index=index, fill=NO_DATA_FILL if index is None else palette[index]))
    legend = tuple(LegendClass(index=i, low=min(m), high=max(m), count=len(m), colour=palette[i])
                   for i, m in enumerate(members))
    return Choropleth(view_box=shapes.view_box, areas=tuple(areas), legend=legend,
                      no_data=sum(area.class_index is None for area in areas))
