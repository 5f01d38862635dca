"""Locale choice and how dates, times and numbers are shown in each language."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import jdatetime
from babel.lists import format_list as babel_format_list
from flask import current_app, g, has_request_context, request
from flask_babel import format_date as babel_format_date
from flask_babel import format_datetime as babel_format_datetime
from flask_babel import get_locale, ngettext
from flask_login import current_user

from .text import persian_digits, persian_digits_in_html

TEHRAN = ZoneInfo("Asia/Tehran")
LANGUAGE_COOKIE = "lang"
# Input and display formats of a date-time field: Jalali in Persian, Gregorian in English.
INPUT_FORMAT = "%Y/%m/%d %H:%M"
INPUT_FORMAT_EN = "%Y-%m-%d %H:%M"


def select_locale() -> str:
    """The language cookie, then the signed-in user's choice, then Persian."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/"):  # the partners' API: Accept-Language only, never cookies or sessions
        return request.accept_languages.best_match(languages) or current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "fa"  # "fa" of fa_IR: what str(locale) starts with


def is_rtl() -> bool:
    return current_language() == "fa"


def localize_digits(value) -> str:
    text = str(value)
    return persian_digits(text) if current_language() == "fa" else text


def format_list(items) -> str:
    """Items as the language lists them in a sentence: "a, b, and c", «الف، ب، و ج»."""
    items = [str(item) for item in items]
    return babel_format_list(items, locale=current_language()) if items else ""


def localise_page(response):
    """A Persian page shows Persian digits wherever a person reads them: in what the templates wrote, what
    people typed (stored with Latin digits), flashes and messages alike (after_request); a page from the page cache
    has them already (``g.page_localised``, core/page_cache.py)."""
    if (current_language() == "fa" and response.mimetype == "text/html" and not response.direct_passthrough
            and not response.is_streamed and not g.get("page_localised")):
        response.set_data(persian_digits_in_html(response.get_data(as_text=True)))
    return response


def to_tehran(moment: datetime) -> datetime:
    return moment.astimezone(TEHRAN)


def format_datetime(moment: datetime | None, with_time: bool = True) -> str:
    """A moment in Tehran time: Jalali with Persian digits in Persian, Gregorian in English."""
    if moment is None:
        return ""
    local = to_tehran(moment)
    if current_language() == "fa":
        jalali = jdatetime.datetime.fromgregorian(datetime=local.replace(tzinfo=None), locale="fa_IR")
        pattern = "%-d %B %Y، ساعت %H:%M" if with_time else "%-d %B %Y"
        return persian_digits(jalali.strftime(pattern.replace("%-d", str(jalali.day))))
    return babel_format_datetime(moment, "d MMM y, HH:mm" if with_time else "d MMM y")


def format_date(moment: datetime | None) -> str:
    return format_datetime(moment, with_time=False)


def format_input_datetime(moment: datetime | None, language: str) -> str:
    """The value a date-time field shows for editing, in the calendar of the language."""
    if moment is None:
        return ""
    local = to_tehran(moment).replace(tzinfo=None)
    if language == "fa":
        return jdatetime.datetime.fromgregorian(datetime=local).strftime(INPUT_FORMAT)
    return local.strftime(INPUT_FORMAT_EN)


def format_input_date(day: date | None, language: str) -> str:
    if day is None:
        return ""
    if language == "fa":
        return jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d")
    return day.isoformat()


def parse_input_date(text: str, language: str) -> date:
    """A calendar day typed in the calendar of the language; raise ValueError if bad."""
    return parse_input_datetime(text.split()[0] if text.split() else text, language).date()


def format_day(day: date | None) -> str:
    """A calendar day for reading: Jalali with Persian digits in Persian, Gregorian in English."""
    if day is None:
        return ""
    if current_language() == "fa":
        jalali = jdatetime.date.fromgregorian(date=day, locale="fa_IR")
        return persian_digits(f"{jalali.day} {jalali.strftime('%B')} {jalali.year}")
    return babel_format_date(day, "d MMM y")


def parse_input_datetime(text: str, language: str) -> datetime:
    """Parse a Tehran date-time typed in the calendar of the language; raise ValueError if bad.

    Persian accepts Jalali (1405/09/06 18:30); English accepts Gregorian (2026-11-27 18:30).
    Either accepts / or - between the date parts, and a date alone means 00:00.
    """
    cleaned = " ".join(text.replace("-", "/").split())
    if " " not in cleaned:
        cleaned += " 00:00"
    date_part, time_part = cleaned.split(" ", 1)
    year, month, day = (int(part) for part in date_part.split("/"))
    hour, minute = (int(part) for part in time_part.split(":"))
    plausible_years = range(1300, 1501) if language == "fa" else range(1921, 2122)
    if year not in plausible_years:
        raise ValueError("year outside the calendar's plausible range")
    if language == "fa":
        gregorian = jdatetime.datetime(year, month, day, hour, minute).togregorian()
    else:
        gregorian = datetime(year, month, day, hour, minute)
    return gregorian.replace(tzinfo=TEHRAN)


def countdown(seconds: float) -> str:
    """Time left, as '3 days 04:12:09' in the language's digits (app.js keeps it ticking)."""
    total = max(0, int(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours:02d}:{minutes:02d}:{secs:02d}"
    text = f"{ngettext('%(num)d day', '%(num)d days', days)} {clock}" if days else clock
    return localize_digits(text)


def format_number(value) -> str:
    """A number as people write it: no trailing zeros, at most two decimals, the language's digits."""
    if value is None:
        return ""
    text = f"{value:,.2f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    if current_language() == "fa":
        text = text.replace(",", "٬").replace(".", "٫")  # Persian thousands and decimal separators
    if text.startswith("-"):  # a real minus sign, kept before the number in right-to-left text too
        text = "\u200e\u2212" + text[1:]
    return localize_digits(text)
