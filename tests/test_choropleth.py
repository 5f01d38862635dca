"""The observatory map: the province shapes file, its conversion script, and the choropleth's classes."""
import importlib.util
import math
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eventapp.events.places import read_places
from eventapp.pipeline.choropleth import (
    NO_DATA_FILL,
    PALETTES,
    Classes,
    choropleth,
    class_breaks,
    load_shapes,
)

PROVINCES, _ = read_places()
CODES = [row["code"] for row in PROVINCES]
SUBPATH = re.compile(r"M([^MZ]+)Z")
NUMBER = r"-?\d+(?:\.\d+)?"
POINTS = re.compile(rf"^{NUMBER} {NUMBER}L{NUMBER} {NUMBER}(?: {NUMBER} {NUMBER})+$")


def test_the_file_has_one_shape_for_each_of_the_apps_31_provinces():
    shapes = load_shapes()
    assert len(shapes.shapes) == 31
    assert sorted(shape.code for shape in shapes.shapes) == sorted(CODES)
    names = {row["code"]: row["name_en"] for row in PROVINCES}
    assert {shape.code: shape.name_en for shape in shapes.shapes} == names
    assert "Natural Earth" in shapes.source and "public domain" in shapes.licence and "MIT" in shapes.licence


def test_every_path_is_closed_subpaths_inside_the_view_box():
    shapes = load_shapes()
    _, _, width, height = map(float, shapes.view_box.split())
    for shape in shapes.shapes:
        assert shape.path.startswith("M") and shape.path.endswith("Z"), shape.name_en
        subpaths = SUBPATH.findall(shape.path)
        assert "".join(f"M{subpath}Z" for subpath in subpaths) == shape.path, shape.name_en
        for subpath in subpaths:
            assert POINTS.match(subpath), (shape.name_en, subpath[:80])
            numbers = [float(n) for n in re.findall(NUMBER, subpath)]
            xs, ys = numbers[::2], numbers[1::2]
            assert 0 <= min(xs) and max(xs) <= width and 0 <= min(ys) and max(ys) <= height, shape.name_en


def test_the_provinces_lie_where_they_are_on_the_map():
    """A check of the names' matching: Gilan is north of Fars, West Azerbaijan west of Razavi Khorasan, and the
    islands of Hormozgan make it several subpaths."""
    centres = {}
    for shape in load_shapes().shapes:
        numbers = [float(n) for n in re.findall(NUMBER, shape.path)]
        centres[shape.name_en] = (sum(numbers[::2]) / len(numbers[::2]), sum(numbers[1::2]) / len(numbers[1::2]))
    assert centres["Gilan"][1] < centres["Fars"][1]
    assert centres["West Azerbaijan"][0] < centres["Razavi Khorasan"][0]
    assert centres["Sistan and Baluchestan"][0] > centres["Kerman"][0]
    assert centres["Alborz"][0] < centres["Tehran"][0]
    paths = {shape.name_en: shape.path for shape in load_shapes().shapes}
    assert paths["Hormozgan"].count("M") > 5 and paths["Qom"].count("M") == 1


def _conversion_script():
    path = Path(__file__).resolve().parent.parent / "tools" / "iran_provinces.py"
    spec = importlib.util.spec_from_file_location("iran_provinces", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_decodes_delta_arcs_and_reverses_negative_indexes():
    script = _conversion_script()
    topology = {"transform": {"scale": [0.5, 2], "translate": [10, 20]},
                "arcs": [[[0, 0], [2, 0], [0, 1]], [[2, 1], [-2, 0], [0, -1]]]}
    arcs = script.decode_arcs(topology)
    assert arcs == [[(10, 20), (11, 20), (11, 22)], [(11, 22), (10, 22), (10, 20)]]
    assert script.ring_points([0, 1], arcs) == [(10, 20), (11, 20), (11, 22), (10, 22), (10, 20)]
    assert script.ring_points([~1, ~0], arcs) == [(10, 20), (10, 22), (11, 22), (11, 20), (10, 20)]


def test_the_scripts_simplification_keeps_the_ends_and_the_points_that_matter():
    script = _conversion_script()
    line = [(0, 0), (1, 0.1), (2, -0.1), (3, 5), (4, 0), (5, 0)]
    assert script.douglas_peucker(line, 0.5) == [(0, 0), (2, -0.1), (3, 5), (4, 0), (5, 0)]
    square = [(0, 0), (1, 0), (2, 0), (2, 2), (0, 2), (0, 0)]
    assert script.simplify_arc(square, 0.1) == [(0, 0), (2, 0), (2, 2), (0, 2), (0, 0)]


# --- the classes ------------------------------------------------------------------------------------------

figures = st.one_of(st.none(), st.integers(-50, 50), st.floats(-1e6, 1e6, allow_nan=False), st.just(math.nan))
province_figures = st.dictionaries(st.sampled_from(CODES), figures)
class_counts = st.integers(1, max(PALETTES))


def _figure(value) -> bool:
    return value is not None and value == value


@settings(max_examples=300)
@given(values=province_figures, classes=class_counts)
def test_every_figure_falls_in_exactly_one_class_of_the_ordered_legend(values, classes):
    result = choropleth(load_shapes(), values, classes)
    legend = result.legend
    assert [entry.index for entry in legend] == list(range(len(legend)))
    assert all(entry.low <= entry.high for entry in legend)
    assert all(before.high < after.low for before, after in zip(legend, legend[1:]))
    assert list(PALETTES.get(len(legend), ())) == [entry.colour for entry in legend]
    for area in result.areas:
        if area.class_index is None:
            assert not _figure(values.get(area.code)) and area.value is None and area.fill == NO_DATA_FILL
            continue
        containing = [entry.index for entry in legend if entry.low <= area.value <= entry.high]
        assert containing == [area.class_index]
        assert area.fill == legend[area.class_index].colour
    with_figures = [v for v in values.values() if _figure(v)]
    assert sum(entry.count for entry in legend) == len(with_figures) == 31 - result.no_data
    assert len(legend) == min(classes, len(set(with_figures)))


@settings(max_examples=300)
@given(values=province_figures, classes=class_counts)
def test_a_larger_figure_never_gets_a_lower_class(values, classes):
    areas = [area for area in choropleth(load_shapes(), values, classes).areas if area.class_index is not None]
    for a in areas:
        for b in areas:
            if a.value < b.value:
                assert a.class_index <= b.class_index
            elif a.value == b.value:
                assert a.class_index == b.class_index


@given(values=st.lists(st.integers(-1000, 1000), min_size=1, max_size=31, unique=True), classes=class_counts)
def test_distinct_figures_make_classes_of_equal_counts_within_one(values, classes):
    breaks = class_breaks(values, classes)
    counts = [0] * len(breaks.uppers)
    for value in values:
        counts[breaks.index_of(value)] += 1
    assert max(counts) - min(counts) <= 1


def test_quantiles_of_one_to_thirty_one():
    assert class_breaks(range(1, 32)).uppers == (7, 13, 19, 25, 31)


def test_ties_stay_together_and_the_other_figures_still_use_every_colour():
    """Twenty provinces at zero cannot be split; the eleven others share the four classes left."""
    breaks = class_breaks([0] * 20 + list(range(1, 12)))
    assert breaks.uppers == (0, 3, 6, 9, 11)


@given(value=st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)),
       count=st.integers(1, 31), classes=class_counts)
def test_all_equal_figures_make_one_class(value, count, classes):
    result = choropleth(load_shapes(), dict(zip(CODES, [value] * count)), classes)
    assert [(entry.low, entry.high, entry.count) for entry in result.legend] == [(value, value, count)]
    assert result.no_data == 31 - count


def test_no_figures_make_no_legend_and_no_data_everywhere():
    for values in ({}, dict.fromkeys(CODES), dict.fromkeys(CODES, math.nan)):
        result = choropleth(load_shapes(), values)
        assert result.legend == () and result.no_data == 31
        assert {area.fill for area in result.areas} == {NO_DATA_FILL}
    assert Classes(()).index_of(3) is None


def test_a_figure_outside_the_breaks_takes_the_nearest_class():
    breaks = class_breaks([1, 2, 3, 4, 5], 5)
    assert (breaks.index_of(0), breaks.index_of(2.5), breaks.index_of(99), breaks.index_of(None)) == (0, 2, 4, None)


def test_unknown_provinces_and_impossible_class_counts_are_refused():
    with pytest.raises(ValueError, match="999"):
        choropleth(load_shapes(), {999: 1})
    for classes in (0, max(PALETTES) + 1):
        with pytest.raises(ValueError):
            class_breaks([1, 2, 3], classes)
