"""Persian text and digits (eventapp.core.text), Tehran date-times in two calendars (eventapp.core.i18n),
and the language a visitor reads the site in."""
import re
import unicodedata
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from eventapp.auth.models import User
from eventapp.core.extensions import db
from eventapp.core.i18n import format_input_datetime, parse_input_datetime
from eventapp.core.text import normalize_mobile, normalize_text, persian_sort_key

from .helpers import page_text, sign_in

ZWNJ = "\u200c"
TATWEEL = "\u0640"
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"
ARABIC_DIGITS = "٠١٢٣٤٥٦٧٨٩"


# --- normalize_text ------------------------------------------------------------------------

@pytest.mark.parametrize("typed, stored", [
    ("علي", "علی"),          # Arabic yeh
    ("مصطفى", "مصطفی"),      # Arabic alef maksura
    ("كرمان", "کرمان"),      # Arabic kaf
    ("يزد كوچك", "یزد کوچک"),
])
def test_arabic_yeh_and_kaf_become_persian(typed, stored):
    assert normalize_text(typed) == stored


def test_persian_and_arabic_indic_digits_become_latin():
    assert normalize_text(PERSIAN_DIGITS) == "0123456789"
    assert normalize_text(ARABIC_DIGITS) == "0123456789"
    assert normalize_text("رویداد ۱۴۰۵ و ٢٠٢٦") == "رویداد 1405 و 2026"


def test_the_zero_width_non_joiner_is_kept():
    assert normalize_text(f"می{ZWNJ}خواهم") == f"می{ZWNJ}خواهم"


def test_tatweel_is_removed():
    assert normalize_text(f"مـ{TATWEEL}ـحمد") == "محمد"


def test_runs_of_spaces_are_folded_and_the_ends_trimmed():
    assert normalize_text("  طلوع \t\u00a0 پیشرفت  ") == "طلوع پیشرفت"


def test_line_breaks_are_kept_and_each_line_trimmed():
    assert normalize_text("خط اول  \r\n  خط دوم\rخط سوم\n\nپایان") == "خط اول\nخط دوم\nخط سوم\n\nپایان"


PERSIAN_TYPING = (
    "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهیآأإئؤةيىكـ"
    + PERSIAN_DIGITS + ARABIC_DIGITS + "0123456789"
    + " \t\n\r\u00a0\u200b" + ZWNJ + "abcXYZ.,-،؛؟"
)


@given(st.text(alphabet=PERSIAN_TYPING))
def test_normalising_what_people_type_twice_changes_nothing(text):
    once = normalize_text(text)
    assert normalize_text(once) == once


def makes_tatweel(char: str) -> bool:
    """Arabic presentation forms such as U+FE77 (fatha, medial form) become a tatweel and a mark under NFKC."""
    return char != TATWEEL and TATWEEL in unicodedata.normalize("NFKC", char)


@given(st.text().filter(lambda text: not any(makes_tatweel(char) for char in text)))
def test_normalising_any_text_twice_changes_nothing(text):
    once = normalize_text(text)
    assert normalize_text(once) == once


@pytest.mark.parametrize("text, expected", [
    (f"ا{TATWEEL}\u0653", "آ"),   # alef, tatweel, madda above
    (f"و{TATWEEL}\u0654", "ؤ"),   # waw, tatweel, hamza above
])
def test_a_letter_and_a_mark_that_a_tatweel_kept_apart_compose_at_once(text, expected):
    assert normalize_text(text) == expected
    assert normalize_text(normalize_text(text)) == expected


def test_a_tatweel_from_a_presentation_form_is_removed_too():
    typed = "م\ufe77حمد"  # the fatha typed in its medial presentation form
    assert normalize_text(typed) == "م\u064eحمد"
    assert TATWEEL not in normalize_text(typed)


# --- normalize_mobile ----------------------------------------------------------------------

@pytest.mark.parametrize("typed", [
    "09123456789",
    "+989123456789",
    "00989123456789",
    "989123456789",
    "9123456789",
    "۰۹۱۲۳۴۵۶۷۸۹",
    "٠٩١٢٣٤٥٦٧٨٩",
    "0912 345 6789",
    "+98 (912) 345-6789",
])
def test_an_iranian_mobile_number_is_stored_in_its_national_form(typed):
    assert normalize_mobile(typed) == "09123456789"


@pytest.mark.parametrize("typed", [
    "",
    "0912345678",       # 10 digits
    "091234567890",     # 12 digits
    "02112345678",      # a Tehran landline
    "08123456789",      # not a mobile prefix
    "+19123456789",     # another country
    "+9809123456789",   # the trunk zero after the country code
    "0912345678a",
    "mobile",
])
def test_what_is_not_an_iranian_mobile_number_is_refused(typed):
    assert normalize_mobile(typed) == ""


# --- persian_sort_key ----------------------------------------------------------------------

def test_persian_words_sort_in_dictionary_order():
    words = ["لرستان", "گیلان", "کرمان", "پاوه", "بوشهر", "اصفهان"]
    assert sorted(words, key=persian_sort_key) == ["اصفهان", "بوشهر", "پاوه", "کرمان", "گیلان", "لرستان"]


def test_peh_sorts_after_beh_and_gaf_between_kaf_and_lam():
    assert persian_sort_key("ب") < persian_sort_key("پ") < persian_sort_key("ت")
    assert persian_sort_key("ک") < persian_sort_key("گ") < persian_sort_key("ل")


def test_arabic_kaf_sorts_as_persian_kaf():
    assert persian_sort_key("كرمان") == persian_sort_key("کرمان")


# --- typed date-times ----------------------------------------------------------------------

def utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("typed, language", [
    ("1405/09/06 18:30", "fa"),
    ("1405-09-06 18:30", "fa"),
    ("  1405/9/6   18:30 ", "fa"),
    ("۱۴۰۵/۰۹/۰۶ ۱۸:۳۰", "fa"),
    ("2026-11-27 18:30", "en"),
    ("2026/11/27 18:30", "en"),
])
def test_a_typed_date_time_is_tehran_time_in_the_calendar_of_the_language(ctx, typed, language):
    assert parse_input_datetime(typed, language) == utc(2026, 11, 27, 15, 0)


def test_a_date_alone_means_midnight_in_tehran(ctx):
    assert parse_input_datetime("1405/09/06", "fa") == utc(2026, 11, 26, 20, 30)


@pytest.mark.parametrize("typed, expected", [
    ("1405/02/31 10:00", utc(2026, 5, 21, 6, 30)),   # the first six months have 31 days
    ("1405/07/30 10:00", utc(2026, 10, 22, 6, 30)),  # the next five have 30
    ("1405/12/29 10:00", utc(2027, 3, 20, 6, 30)),   # Esfand has 29 days...
    ("1403/12/30 10:00", utc(2025, 3, 20, 6, 30)),   # ...and 30 in a leap year
])
def test_jalali_month_lengths_are_respected(ctx, typed, expected):
    assert parse_input_datetime(typed, "fa") == expected


@pytest.mark.parametrize("typed, language", [
    ("1405/13/01 10:00", "fa"),   # no thirteenth month
    ("1405/00/10 10:00", "fa"),
    ("1405/07/31 10:00", "fa"),   # Mehr has 30 days
    ("1405/12/30 10:00", "fa"),   # 1405 is not a leap year
    ("1405/09/00 10:00", "fa"),
    ("1405/09/06 24:00", "fa"),
    ("1405/09/06 18:60", "fa"),
    ("1405/09/06 18:30:00", "fa"),
    ("1405/09", "fa"),
    ("", "fa"),
    ("فردا ساعت ده", "fa"),
    ("1405/09/06 ab:cd", "fa"),
    ("2026/11/27 18:30", "fa"),   # a Gregorian year where a Jalali one is expected
    ("1405-09-06 18:30", "en"),   # and the other way round
    ("2026-02-29 10:00", "en"),
    ("tomorrow", "en"),
])
def test_an_impossible_date_time_is_refused(ctx, typed, language):
    with pytest.raises(ValueError):
        parse_input_datetime(typed, language)


def test_a_moment_is_shown_for_editing_in_the_calendar_of_the_language(ctx):
    moment = utc(2026, 11, 27, 15, 0)
    assert format_input_datetime(moment, "fa") == "1405/09/06 18:30"
    assert format_input_datetime(moment, "en") == "2026-11-27 18:30"
    assert format_input_datetime(None, "fa") == ""


# Tehran kept daylight saving time until 2022: in the hour the clocks went back, the typed local
# time cannot say which of the two instants it means. Events are held from 1405 (2026) on.
minute_moments = st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2120, 12, 31)).map(
    lambda moment: moment.replace(second=0, microsecond=0, tzinfo=UTC))


@given(moment=minute_moments, language=st.sampled_from(["fa", "en"]))
def test_a_moment_shown_for_editing_reads_back_as_the_same_moment(app, moment, language):
    with app.app_context():
        assert parse_input_datetime(format_input_datetime(moment, language), language) == moment


# --- the language of the pages -------------------------------------------------------------

def html_tag(response) -> str:
    return re.search(r"<html[^>]*>", response.get_data(as_text=True)).group(0)


def times(response) -> list[str]:
    """The text of every <time> element: the dates and times the page shows."""
    return re.findall(r"<time[^>]*>([^<]*)</time>", response.get_data(as_text=True))


def test_the_site_is_persian_and_right_to_left_by_default(client, make):
    make.event()
    response = client.get("/")
    assert response.status_code == 200
    assert html_tag(response) == '<html lang="fa" dir="rtl">'
    shown = times(response)
    assert shown, "the home page shows the next deadline"
    for text in shown:
        assert re.search(f"[{PERSIAN_DIGITS}]", text)
        assert not re.search("[0-9]", text)


def test_choosing_english_sets_the_cookie_and_the_next_page_is_english_left_to_right(client, make):
    make.event()
    response = client.post("/language", data={"language": "en", "next": "/"})
    assert response.status_code == 302
    assert client.get_cookie("lang").value == "en"
    page = client.get("/")
    assert html_tag(page) == '<html lang="en" dir="ltr">'
    shown = times(page)
    assert shown
    for text in shown:
        assert re.search("[0-9]", text)
        assert not re.search(f"[{PERSIAN_DIGITS}{ARABIC_DIGITS}]", text)


def test_choosing_back_persian_makes_the_site_persian_again(client):
    client.post("/language", data={"language": "en"})
    client.post("/language", data={"language": "fa"})
    assert html_tag(client.get("/")) == '<html lang="fa" dir="rtl">'


def test_an_unknown_language_is_ignored(client):
    response = client.post("/language", data={"language": "de"})
    assert response.status_code == 302
    assert client.get_cookie("lang") is None
    assert html_tag(client.get("/")) == '<html lang="fa" dir="rtl">'


def test_a_signed_in_users_choice_is_kept_on_the_account_and_follows_them(app, client, login, member):
    login(member)
    client.post("/language", data={"language": "en"})
    with app.app_context():
        assert db.session.scalar(select(User.locale).where(User.id == member.id)) == "en"

    elsewhere = app.test_client()  # another browser: no language cookie
    assert html_tag(elsewhere.get("/")) == '<html lang="fa" dir="rtl">'
    assert sign_in(elsewhere, member).status_code == 302
    assert html_tag(elsewhere.get("/")) == '<html lang="en" dir="ltr">'


def test_the_language_cookie_wins_over_the_accounts_choice(app, make):
    user = make.user(email="english@example.com", locale="en")
    browser = app.test_client()
    sign_in(browser, user)
    assert html_tag(browser.get("/")) == '<html lang="en" dir="ltr">'
    browser.set_cookie("lang", "fa")
    assert html_tag(browser.get("/")) == '<html lang="fa" dir="rtl">'


def test_the_page_not_found_is_in_english_for_an_english_reader(client):
    client.set_cookie("lang", "en")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert html_tag(response) == '<html lang="en" dir="ltr">'
    assert "We could not find this page." in page_text(response)
    assert "404" in page_text(response)


def test_the_page_not_found_is_persian_by_default(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert html_tag(response) == '<html lang="fa" dir="rtl">'
    assert "۴۰۴" in page_text(response)
    assert "404" not in page_text(response)
