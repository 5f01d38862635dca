"""Charts as server-rendered SVG: pure functions of plain values, no Flask, no database.

The pages show them inline (the CSP allows no script and no ``style=``: colours come from
presentation attributes and the stylesheet's ``.chart__*`` classes). Each chart is an image to
assistive technology (``role="img"``, a ``<title>`` and a ``<desc>`` listing the figures), its
figures are written on it as text, and it scales to the width of its container (a ``viewBox``,
``width="100%"``).

The module cannot translate: the caller passes the words it shows (title, the baseline and target
labels, the text of an empty chart) already translated. Digits are Persian when ``language`` is
"fa", and the bar chart reads from right to left there (labels on the right, bars growing to the
left). The line chart's time axis runs from left to right in both languages, as dated series do in
Persian print.
"""
import math
import re
from collections.abc import Sequence
from datetime import date

import jdatetime
from markupsafe import Markup, escape

_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ELLIPSIS = "…"

# Colours, also set by the stylesheet (classes win over presentation attributes).
INK, MUTED, LINE, WHITE = "#1d2a32", "#5d6b74", "#dfe5e8", "#ffffff"
BAR = DOT = "#0f4c5c"
BASELINE, TARGET = MUTED, "#e36414"

# The charts' geometry, in viewBox units. A chart is drawn about as wide as it shows on a 360 px phone (its box
# is 288 px there, the page's and the panel's padding off), so that a unit is a little over a pixel there and
# its text, all of one size, reads at 13 px or more (wider screens show it larger; the stylesheet bounds that).
BAR_WIDTH = 280
BAR_ROW = 21
BAR_HEIGHT = 13
FONT = 13
PAD = 6
CHAR = 0.55 * FONT  # a guess at the advance of one character: SVG text cannot be measured here

# The line chart's geometry.
LINE_WIDTH = 280
LINE_HEIGHT = 180


# --- numbers, dates and text ------------------------------------------------------------------------------


def digits(text: str, language: str) -> str:
    return text.translate(_PERSIAN) if language == "fa" else text


def number(value: float | None, language: str) -> str:
    """As the app writes numbers: thousands separated, at most two decimals, the language's digits."""
    if value is None or not math.isfinite(value):
        return "—"
    if float(value).is_integer():
        text = f"{int(value):,}"
    else:
        text = f"{value:,.2f}".rstrip("0").rstrip(".")
    if text in ("-0", "−0"):
        text = "0"
    if language == "fa":
        text = text.replace(",", "٬").replace(".", "٫")
    if text.startswith("-"):  # a real minus sign, kept before the number in right-to-left text too
        text = "\u200e\u2212" + text[1:]
    return digits(text, language)


def day_label(day: date, language: str) -> str:
    """A day on an axis: Jalali with Persian digits in Persian (1405/01/15), else 15 Mar 2026."""
    if language == "fa":
        jalali = jdatetime.date.fromgregorian(date=day)
        return digits(f"{jalali.year}/{jalali.month:02d}/{jalali.day:02d}", language)
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


# Characters XML 1.0 does not allow (control characters, lone surrogates, U+FFFE/U+FFFF): dropped.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _x(text) -> Markup:
    """Text for the SVG: escaped, without the characters XML forbids."""
    return escape(_NOT_XML.sub("", str(text)))


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _c(value: float) -> str:
    """A coordinate: finite, one decimal, never an exponent."""
    if not math.isfinite(value):
        value = 0.0
    text = f"{value:.1f}"
    return "0" if text in ("-0.0", "0.0") else text.removesuffix(".0")


def _fit(text: str, width: float) -> str:
    """``text`` cut with an ellipsis to about ``width`` units (the full text stays in a tooltip)."""
    room = max(1, int(width / CHAR))
    return text if len(text) <= room else text[:max(1, room - 1)].rstrip() + ELLIPSIS


def _text(x: float, y: float, content: str, align: str, rtl: bool, css: str, fill: str = INK) -> str:
    """A ``<text>`` whose ``align`` ("left", "right", "middle") edge sits at x, whatever its direction.

    ``text-anchor`` follows the text's direction (start is the right edge in right-to-left text), so
    the anchor is chosen from the absolute side wanted.
    """
    if align == "middle":
        anchor = "middle"
    elif align == "left":
        anchor = "end" if rtl else "start"
    else:
        anchor = "start" if rtl else "end"
    direction = "rtl" if rtl else "ltr"
    return (f'<text x="{_c(x)}" y="{_c(y)}" text-anchor="{anchor}" direction="{direction}" '
            f'font-size="{FONT}" fill="{fill}" class="{css}">{_x(content)}</text>')


def _open(width: float, height: float, css: str, title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" viewBox="0 0 {_c(width)} {_c(height)}" '
        f'width="100%" preserveAspectRatio="xMidYMin meet" role="img" direction="ltr">',
        f"<title>{_x(title)}</title>",
        f"<desc>{_x(description)}</desc>",
    ]


# --- bars -------------------------------------------------------------------------------------------------


def bar_chart(rows: Sequence[tuple[str, float]], *, language: str, title: str, unit: str = "",
              empty: str = "") -> Markup:
    """Horizontal bars, one per (label, value) in the given order, each with its value written after it.

    In Persian the labels stand on the right and the bars grow to the left. Negative values grow the
    other way from a zero line; a value that is not a finite number gets no bar and "—". Without rows
    the chart is one line of ``empty``.
    """
    rtl = language == "fa"
    suffix = f" {unit}" if unit else ""
    labels = [str(label) for label, _value in rows]
    values = [float(value) if _finite(value) else None for _label, value in rows]
    shown = [number(value, language) for value in values]
    description = "; ".join(f"{label}: {text}{suffix if value is not None else ''}"
                            for label, text, value in zip(labels, shown, values))

    if not rows:
        height = BAR_ROW + 2 * PAD
        parts = _open(BAR_WIDTH, height, "chart--bars chart--empty", title, empty or title)
        parts.append(_text(BAR_WIDTH / 2, PAD + BAR_ROW / 2 + FONT * 0.35, empty, "middle", rtl, "chart__empty",
                           MUTED))
        parts.append("</svg>")
        return Markup("".join(parts))

    caption = 1 if unit else 0
    height = 2 * PAD + (len(rows) + caption) * BAR_ROW
    longest = max(len(label) for label in labels)
    label_width = min(max(longest * CHAR + PAD, 0.2 * BAR_WIDTH), 0.48 * BAR_WIDTH)
    value_width = max(len(text) for text in shown) * CHAR + 4
    finite = [value for value in values if value is not None]
    low, high = min([0.0, *finite]), max([0.0, *finite])
    # The plot, in left-to-right units from the labels' edge to the far side, less the values' room.
    start = label_width + PAD + (value_width if low < 0 else 0)
    end = BAR_WIDTH - PAD - (value_width if high > 0 or low == high else 0)
    end = max(end, start + 1)
    span = high - low or 1.0

    def along(value: float) -> float:  # distance from the labels' side, left to right
        return start + (value - low) / span * (end - start)

    def x(position: float) -> float:  # the same, mirrored in Persian
        return BAR_WIDTH - position if rtl else position

    parts = _open(BAR_WIDTH, height, "chart--bars", title, description)
    zero = along(0.0)
    parts.append(f'<line x1="{_c(x(zero))}" y1="{_c(PAD)}" x2="{_c(x(zero))}" '
                 f'y2="{_c(PAD + len(rows) * BAR_ROW)}" stroke="{LINE}" stroke-width="1" class="chart__axis"/>')
    for index, (label, value, text) in enumerate(zip(labels, values, shown)):
        top = PAD + index * BAR_ROW
        middle = top + BAR_ROW / 2 + FONT * 0.35
        tip = f"{label}: {text}{suffix if value is not None else ''}"
        near, far = sorted((zero, along(value if value is not None else 0.0)))
        left, right = (x(far), x(near)) if rtl else (x(near), x(far))
        parts.append('<g class="chart__row">')
        parts.append(f"<title>{_x(tip)}</title>")
        parts.append(f'<rect x="{_c(left)}" y="{_c(top + (BAR_ROW - BAR_HEIGHT) / 2)}" width="{_c(right - left)}" '
                     f'height="{_c(BAR_HEIGHT)}" rx="2" fill="{BAR}" class="chart__bar"/>')
        # The label, against the plot on the labels' side.
        parts.append(_text(x(label_width), middle, _fit(label, label_width - PAD), "right" if not rtl else "left",
                           rtl, "chart__label"))
        # The value, just past the bar's end (before a negative bar's end, on the other side).
        negative = value is not None and value < 0
        edge = (near - 3) if negative else (far + 3)
        side = ("right" if not negative else "left") if rtl else ("left" if not negative else "right")
        parts.append(_text(x(edge), middle, text, side, rtl, "chart__value", MUTED))
        parts.append("</g>")
    if unit:
        parts.append(_text(x(label_width + PAD), PAD + len(rows) * BAR_ROW + BAR_ROW / 2 + FONT * 0.35, unit,
                           "right" if rtl else "left", rtl, "chart__unit", MUTED))
    parts.append("</svg>")
    return Markup("".join(parts))


# --- an indicator over time ------------------------------------------------------------------------------


def indicator_chart(baseline: float | None, target: float | None, readings: Sequence[tuple[date, float, bool]],
                    *, language: str, unit: str = "", title: str = "", baseline_label: str = "Baseline",
                    target_label: str = "Target", unverified_label: str = "not verified",
                    empty: str = "") -> Markup:
    """The readings (day, value, verified) over time: verified ones as filled dots joined by a line,
    the others as hollow dots; dashed lines for the baseline and the target, each labelled; the first
    and last days under the x axis, the lowest and highest values (readings, baseline and target
    together) beside the y axis.

    Works with no reading or one, and without a baseline or a target. Readings whose value is not a
    finite number are left out.
    """
    rtl = language == "fa"
    suffix = f" {unit}" if unit else ""
    points = sorted((day, float(value), bool(verified)) for day, value, verified in readings if _finite(value))
    baseline = float(baseline) if _finite(baseline) else None
    target = float(target) if _finite(target) else None
    lines = [(baseline, baseline_label, "baseline", BASELINE), (target, target_label, "target", TARGET)]
    lines = [line for line in lines if line[0] is not None]

    facts = [f"{label}: {number(value, language)}{suffix}" for value, label, _css, _colour in lines]
    facts += [f"{day_label(day, language)}: {number(value, language)}{suffix}"
              + ("" if verified else f" ({unverified_label})") for day, value, verified in points]
    if not points and empty:
        facts.append(empty)
    parts = _open(LINE_WIDTH, LINE_HEIGHT, "chart--line", title or " ", "; ".join(facts) or empty or title)

    values = [value for _day, value, _verified in points] + [value for value, *_rest in lines]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    ticks = [low, high] if high != low else [low]
    pad = (high - low) * 0.08 if high != low else max(abs(low) * 0.1, 1.0)
    bottom_value, top_value = low - pad, high + pad

    left = PAD + max(len(number(v, language)) for v in ticks) * CHAR + 6
    right, top, bottom = LINE_WIDTH - PAD, PAD + FONT + 4, LINE_HEIGHT - PAD - FONT - 6

    def y(value: float) -> float:
        return bottom - (value - bottom_value) / (top_value - bottom_value) * (bottom - top)

    first_day = points[0][0] if points else None
    last_day = points[-1][0] if points else None
    days = (last_day - first_day).days if points else 0

    def x(day: date) -> float:
        if not days:
            return (left + right) / 2
        return left + 8 + (day - first_day).days / days * (right - left - 16)

    # Axes, and the values at the ends of the y axis.
    parts.append(f'<line x1="{_c(left)}" y1="{_c(top)}" x2="{_c(left)}" y2="{_c(bottom)}" stroke="{LINE}" '
                 f'stroke-width="1" class="chart__axis"/>')
    parts.append(f'<line x1="{_c(left)}" y1="{_c(bottom)}" x2="{_c(right)}" y2="{_c(bottom)}" stroke="{LINE}" '
                 f'stroke-width="1" class="chart__axis"/>')
    for value in ticks:
        parts.append(_text(left - 4, y(value) + FONT * 0.35, number(value, language), "right", False,
                           "chart__tick", MUTED))
    if unit:
        parts.append(_text(PAD, PAD + FONT - 2, unit, "left", rtl, "chart__unit", MUTED))

    # The baseline and the target: dashed lines, labelled above the line (below it at the top of the
    # plot), the baseline's at the right end, the target's at the left, where the readings that start
    # near the one and end near the other leave room.
    for value, label, css, colour in lines:
        level = y(value)
        above = level - 4 if level - FONT - 4 >= top - FONT else level + FONT + 2
        at, align = (right - 2, "right") if css == "baseline" else (left + 4, "left")
        parts.append(f'<line x1="{_c(left)}" y1="{_c(level)}" x2="{_c(right)}" y2="{_c(level)}" stroke="{colour}" '
                     f'stroke-width="1.5" stroke-dasharray="5 4" class="chart__{css}"/>')
        parts.append(_text(at, min(above, bottom - 2), f"{label}: {number(value, language)}", align, rtl,
                           f"chart__{css}-label", colour))

    # The verified readings joined by a line, then every reading as a dot.
    verified = [(x(day), y(value)) for day, value, is_verified in points if is_verified]
    if len(verified) > 1:
        path = " ".join(f"{_c(px)},{_c(py)}" for px, py in verified)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{DOT}" stroke-width="2" '
                     f'class="chart__trend"/>')
    for day, value, is_verified in points:
        tip = f"{day_label(day, language)}: {number(value, language)}{suffix}" + (
            "" if is_verified else f" ({unverified_label})")
        css, fill = ("chart__dot", DOT) if is_verified else ("chart__dot chart__dot--unverified", WHITE)
        parts.append(f'<circle cx="{_c(x(day))}" cy="{_c(y(value))}" r="4" fill="{fill}" stroke="{DOT}" '
                     f'stroke-width="2" class="{css}"><title>{_x(tip)}</title></circle>')

    # The first and last days under the x axis, or the empty chart's words.
    axis_text = bottom + FONT + 4
    if points and days:
        parts.append(_text(x(first_day), axis_text, day_label(first_day, language), "left", False,
                           "chart__tick", MUTED))
        parts.append(_text(x(last_day), axis_text, day_label(last_day, language), "right", False,
                           "chart__tick", MUTED))
    elif points:
        parts.append(_text(x(first_day), axis_text, day_label(first_day, language), "middle", False,
                           "chart__tick", MUTED))
    elif empty:
        parts.append(_text((left + right) / 2, (top + bottom) / 2, empty, "middle", rtl, "chart__empty", MUTED))
    parts.append("</svg>")
    return Markup("".join(parts))
