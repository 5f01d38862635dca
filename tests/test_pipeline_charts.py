"""The observatory's SVG charts: well-formed, one bar per row, finite coordinates inside the viewBox,
labels escaped, Persian digits in Persian. Pure: no app."""
import math
import re
import xml.etree.ElementTree as ET
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from eventapp.pipeline import charts

SVG = "{http://www.w3.org/2000/svg}"
# Attributes that are coordinates or lengths in viewBox units.
COORDINATES = ("x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "width", "height", "r")

labels = st.text(min_size=0, max_size=40)
values = st.one_of(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(-10**6, 10**6))
bar_rows = st.lists(st.tuples(labels, values), max_size=35)
languages = st.sampled_from(["fa", "en"])
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
readings = st.lists(st.tuples(days, values, st.booleans()), max_size=12)
optional = st.one_of(st.none(), values)


def parse(markup) -> ET.Element:
    root = ET.fromstring(str(markup))
    assert root.tag == f"{SVG}svg"
    return root


def view_box(root) -> tuple[float, float, float, float]:
    return tuple(float(part) for part in root.get("viewBox").split())


def numbers_in(element) -> list[tuple[str, float]]:
    found = []
    for name in COORDINATES:
        if element.get(name) is not None:
            found.append((name, float(element.get(name))))
    if element.get("points"):
        for pair in element.get("points").split():
            px, py = pair.split(",")
            found += [("x", float(px)), ("y", float(py))]
    return found


def assert_geometry(root) -> None:
    """Every coordinate is a finite number inside the viewBox; every shape ends inside it too."""
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not re.search(r"nan|inf", value, re.IGNORECASE) or name == "class", (element.tag, name, value)
    min_x, min_y, width, height = view_box(root)
    for element in root.iter():
        if element is root:
            continue
        for name, value in numbers_in(element):
            assert math.isfinite(value), (element.tag, name, value)
            if name in ("width", "height", "r"):
                assert value >= 0
            elif name.startswith(("x", "cx")):
                assert min_x <= value <= min_x + width, (element.tag, name, value)
            else:
                assert min_y <= value <= min_y + height, (element.tag, name, value)
        if element.tag == f"{SVG}rect":
            assert float(element.get("x")) + float(element.get("width")) <= min_x + width + 1e-6
            assert float(element.get("y")) + float(element.get("height")) <= min_y + height + 1e-6


def assert_accessible(root) -> None:
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.find(f"{SVG}title") is not None
    assert root.find(f"{SVG}desc") is not None


@settings(max_examples=150, deadline=None)
@given(rows=bar_rows, language=languages, unit=st.sampled_from(["", "نفر", "people"]))
def test_bar_chart_is_well_formed_with_one_bar_per_row(rows, language, unit):
    root = parse(charts.bar_chart(rows, language=language, title="Teams <by> province", unit=unit, empty="—"))
    assert_accessible(root)
    assert_geometry(root)
    assert len(root.findall(f".//{SVG}rect")) == len(rows)


@settings(max_examples=150, deadline=None)
@given(baseline=optional, target=optional, readings=readings, language=languages)
def test_indicator_chart_is_well_formed(baseline, target, readings, language):
    root = parse(charts.indicator_chart(baseline, target, readings, language=language, unit="هکتار",
                                        title="<b>", empty="no reading"))
    assert_accessible(root)
    assert_geometry(root)
    assert len(root.findall(f".//{SVG}circle")) == len(readings)
    hollow = [c for c in root.iter(f"{SVG}circle") if "chart__dot--unverified" in c.get("class")]
    assert len(hollow) == sum(1 for _day, _value, verified in readings if not verified)
    dashed = root.findall(f".//{SVG}line[@stroke-dasharray]")
    assert len(dashed) == (baseline is not None) + (target is not None)


def test_characters_xml_forbids_are_dropped():
    root = parse(charts.bar_chart([("a\x00b\x0bc", 1)], language="en", title="\x01t"))
    assert "abc" in "".join(root.itertext())


def test_labels_are_escaped():
    markup = str(charts.bar_chart([("<script>alert(1)</script>", 3), ('"&', 1)], language="en",
                                  title="<script>"))
    assert "<script>" not in markup
    assert "&lt;script&gt;" in markup
    root = parse(markup)
    assert "<script>alert(1)</script>" in "".join(root.itertext())
    line = str(charts.indicator_chart(None, 5, [(date(2026, 1, 1), 1, True)], language="en",
                                      baseline_label="<i>", target_label="<script>", title="<script>"))
    assert "<script>" not in line and "&lt;script&gt;" in line
    parse(line)


def test_bar_chart_in_persian_grows_from_the_right_with_persian_digits():
    root = parse(charts.bar_chart([("تهران", 1200), ("یزد", 300)], language="fa", title="گروه‌ها"))
    width = view_box(root)[2]
    bars = root.findall(f".//{SVG}rect")
    ends = [float(bar.get("x")) + float(bar.get("width")) for bar in bars]
    assert ends[0] == ends[1] and ends[0] > width / 2  # both start at the same place on the right
    assert abs(float(bars[0].get("width")) - 4 * float(bars[1].get("width"))) < 0.5
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "۱٬۲۰۰" in texts and "۳۰۰" in texts and "تهران" in texts
    assert all(t.get("direction") == "rtl" for t in root.iter(f"{SVG}text"))


def test_bar_chart_in_english_grows_from_the_left():
    root = parse(charts.bar_chart([("Tehran", 1200), ("Yazd", 300)], language="en", title="Teams"))
    bars = root.findall(f".//{SVG}rect")
    assert bars[0].get("x") == bars[1].get("x") and float(bars[0].get("x")) < view_box(root)[2] / 2
    assert "1,200" in [t.text for t in root.iter(f"{SVG}text")]


def test_empty_and_all_zero_bar_charts():
    empty = parse(charts.bar_chart([], language="fa", title="هیچ", empty="هنوز چیزی نیست"))
    assert empty.findall(f".//{SVG}rect") == []
    assert "هنوز چیزی نیست" in "".join(empty.itertext())
    zeros = parse(charts.bar_chart([("a", 0), ("b", 0.0)], language="en", title="zeros"))
    assert [bar.get("width") for bar in zeros.findall(f".//{SVG}rect")] == ["0", "0"]
    assert_geometry(zeros)


def test_values_that_are_not_numbers_get_no_bar_and_a_dash():
    root = parse(charts.bar_chart([("a", float("nan")), ("b", float("inf")), ("c", 2)], language="en", title="t"))
    assert_geometry(root)
    assert [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart__value"] == ["—", "—", "2"]


def test_indicator_chart_dates_are_jalali_in_persian_and_gregorian_in_english():
    readings = [(date(2026, 3, 21), 10, True), (date(2026, 6, 1), 20, False), (date(2026, 9, 1), 30, True)]
    persian = parse(charts.indicator_chart(5, 40, readings, language="fa", baseline_label="خط پایه",
                                           target_label="هدف"))
    texts = [t.text for t in persian.iter(f"{SVG}text")]
    assert "۱۴۰۵/۰۱/۰۱" in texts and "۱۴۰۵/۰۶/۱۰" in texts
    assert "خط پایه: ۵" in texts and "هدف: ۴۰" in texts
    assert "۵" in texts and "۴۰" in texts  # the y axis: lowest and highest
    english = parse(charts.indicator_chart(5, 40, readings, language="en"))
    texts = [t.text for t in english.iter(f"{SVG}text")]
    assert "21 Mar 2026" in texts and "1 Sep 2026" in texts and "Target: 40" in texts
    # Only the two verified readings are joined.
    assert len(english.find(f".//{SVG}polyline").get("points").split()) == 2


def test_indicator_chart_with_no_reading_or_one():
    none = parse(charts.indicator_chart(None, None, [], language="fa", empty="هنوز خوانشی نیست"))
    assert "هنوز خوانشی نیست" in "".join(none.itertext())
    assert_geometry(none)
    one = parse(charts.indicator_chart(3, 3, [(date(2026, 1, 1), 3, True)], language="en"))
    assert_geometry(one)
    assert len(one.findall(f".//{SVG}circle")) == 1
    assert one.find(f".//{SVG}polyline") is None
