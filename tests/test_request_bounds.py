"""Whole numbers beyond 64 bits and NUL characters, in URLs, query arguments and forms: a 4xx (or the page
without the bad filter), never a 500, on both databases."""
import re

import pytest
from wtforms import IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField

from eventapp.core.forms import BaseForm, LocalIntegerField, RichTextField
from eventapp.core.web import INT64_MAX, INT64_MIN, arg_int, bounded_int

from .factories import assigned_round, team_in
from .helpers import client_of, places, visible

TOO_BIG = str(INT64_MAX + 1)
TOO_SMALL = str(INT64_MIN - 1)
HUGE_INTS = [TOO_BIG, TOO_SMALL, "9" * 40, "۹" * 30]
NULS = ["\x00", "1\x00", "a\x00b"]
BAD_VALUES = [*HUGE_INTS, *NULS, "²", "abc"]


@pytest.fixture
def world(app, make, organiser, judge):
    """An event with a team (led by a member), a round with the judge, and an organiser's client."""
    event = make.event(open_kind="judging")
    leader = make.user(name="سرگروه", email="leader@example.com")
    team_id = team_in(app, event.id, leader_user=leader)
    round_id = assigned_round(app, organiser, event.id, [team_id], [judge.id])
    return {"event": event, "team": team_id, "round": round_id, "organiser": client_of(app, organiser),
            "leader": client_of(app, leader), "judge": client_of(app, judge)}


# --- the helpers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("12", 12), (" 7 ", 7), ("-3", -3), ("۱۲", 12), (str(INT64_MAX), INT64_MAX), (str(INT64_MIN), INT64_MIN),
    (TOO_BIG, None), (TOO_SMALL, None), ("9" * 40, None), ("²", None), ("", None), (None, None), ("1.5", None),
])
def test_bounded_int_reads_whole_numbers_within_64_bits(text, expected):
    assert bounded_int(text) == expected


def test_arg_int_falls_back_to_the_default_beyond_64_bits(app):
    with app.test_request_context(f"/?page={TOO_BIG}&province=4"):
        assert arg_int("page", 1) == 1
        assert arg_int("province") == 4
        assert arg_int("missing") is None


class _TextForm(BaseForm):
    name = StringField()
    note = TextAreaField()
    section = RichTextField()


@pytest.mark.parametrize("field", ["name", "note", "section"])
def test_the_form_base_refuses_nul_in_every_text_field(app, field):
    with app.test_request_context(method="POST", data={"name": "x", "note": "y", "section": "z", field: "a\x00b"}):
        form = _TextForm()
        assert not form.validate()
        assert list(form.errors) == [field]


def test_the_form_base_keeps_each_field_s_own_filters(app):
    from eventapp.auth.forms import SignInForm

    with app.test_request_context(method="POST", data={"email": "Someone@Example.COM", "password": "x" * 10}):
        assert SignInForm().email.data == "someone@example.com"


class _NumberForm(BaseForm):
    typed = LocalIntegerField()
    plain = IntegerField()
    chosen = SelectField(coerce=int, validate_choice=False)
    several = SelectMultipleField(coerce=int, validate_choice=False)


@pytest.mark.parametrize("field", ["typed", "plain", "chosen", "several"])
@pytest.mark.parametrize("value", [TOO_BIG, TOO_SMALL])
def test_the_form_base_bounds_whole_numbers_typed_or_chosen(app, field, value):
    data = {"typed": "1", "plain": "2", "chosen": "3", "several": "4", field: value}
    with app.test_request_context(method="POST", data=data):
        form = _NumberForm()
        assert not form.validate()
        assert list(form.errors) == [field]


def test_the_form_base_keeps_numbers_within_64_bits(app):
    data = {"typed": str(INT64_MAX), "plain": str(INT64_MIN), "chosen": "3", "several": "4"}
    with app.test_request_context(method="POST", data=data):
        form = _NumberForm()
        assert form.validate(), form.errors
        assert (form.typed.data, form.plain.data) == (INT64_MAX, INT64_MIN)


# --- URLs ----------------------------------------------------------------------------------------------------


def _int_routes(app):
    """Every route with an unbounded <int:...> part, and a method it answers."""
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        method = "GET" if "GET" in rule.methods else "POST"
        yield rule, method


def test_every_int_in_a_path_beyond_64_bits_is_a_404(app, world):
    client = world["organiser"]
    checked = 0
    for rule, method in _int_routes(app):
        path = re.sub(r"<int:[^>]+>", TOO_BIG, rule.rule)
        path = re.sub(r"<any\(([^,)]+)[^>]*>", r"\1", path)
        path = re.sub(r"<[^>]+>", "x", path)
        response = client.open(path, method=method)
        assert response.status_code == 404, (path, response.status_code)
        checked += 1
    assert checked > 50


def test_a_nul_in_the_path_is_a_400(world):
    assert world["organiser"].get("/events/a%00b").status_code == 400
    assert world["organiser"].get("/verify/a%00b").status_code == 400


def _list_urls(world):
    event_id, round_id = world["event"].id, world["round"]
    return {
        "/": ["page"],
        "/admin/users": ["page", "q"],
        "/organiser/events": ["page"],
        "/organiser/audit/": ["page", "action"],
        f"/organiser/events/{event_id}/teams": ["page", "province", "status", "type", "q"],
        f"/organiser/events/{event_id}/maps": ["page", "status"],
        "/organiser/pipeline": ["event", "province", "stage", "owner", "overdue"],
        "/organiser/pipeline/list": ["page", "event", "province", "stage", "owner", "overdue"],
        "/organiser/training/new": ["event"],
        f"/organiser/rounds/{round_id}/results": ["method"],
        "/verify": ["serial"],
        "/observatory": ["event", "province"],
        "/api/v1/projects": ["page", "per_page", "event", "stage"],
        "/api/v1/events": ["page", "per_page"],
    }


@pytest.mark.parametrize("value", BAD_VALUES, ids=repr)
def test_list_and_filter_pages_never_fail_on_huge_numbers_or_nul(app, make, world, value):
    client = world["organiser"]
    for url, names in _list_urls(world).items():
        for name in names:
            response = client.get(url, query_string={name: value})
            assert response.status_code < 500, (url, name, response.status_code)
            if "\x00" in value:
                assert response.status_code == 400, (url, name)
            if value in HUGE_INTS and url.startswith("/organiser/events/"):
                assert response.status_code == 200, (url, name)  # the bad filter is left out


def test_a_nul_in_a_query_argument_s_name_is_a_400(world):
    assert world["organiser"].get("/organiser/events", query_string={"a\x00": "1"}).status_code == 400


# --- forms ---------------------------------------------------------------------------------------------------


def _form_posts(app, world):
    """(client, url, form data) for the forms that read whole numbers or text, each given bad values."""
    event_id, round_id, team_id = world["event"].id, world["round"], world["team"]
    place = places(app)
    team = {"name": "گروه", "organisation_type": "ngo", "organisation_name": "سازمان", "contact_email": "t@example.com",
            "contact_phone": "09121234567", "province": place.province, "county": place.county}
    return [
        (world["leader"], f"/teams/{team_id}/edit", team, ["province", "county", "name", "introduction"]),
        (world["leader"], f"/teams/{team_id}/members", {"name": "عضو", "mobile": "09121234567"},
         ["name", "mobile", "national_id"]),
        (world["leader"], f"/teams/{team_id}/invitations", {"email": "x@example.com"}, ["email"]),
        (world["organiser"], f"/organiser/rounds/{round_id}/edit",
         {"kind": "final", "rubric": 1, "starts_at": "2026-11-27 18:30", "ends_at": "2026-12-27 18:30",
          "judges_per_entry": 1, "method": "mean"}, ["judges_per_entry", "rubric", "tie_breaker_1"]),
        (world["organiser"], f"/organiser/rounds/{round_id}/entries", {}, ["team"]),
        (world["organiser"], f"/organiser/rounds/{round_id}/conflicts", {"reason": "خویشاوند"},
         ["judge", "team", "reason"]),
        (world["organiser"], f"/organiser/rounds/{round_id}/publish", {}, [f"award-{TOO_BIG}"]),
        (world["organiser"], f"/organiser/rounds/{round_id}/select", {}, ["count"]),
        (world["organiser"], f"/organiser/events/{event_id}/rubrics", {}, ["rubric"]),
        (world["organiser"], f"/organiser/events/{event_id}/judges/invite", {}, ["email"]),
        (world["organiser"], f"/organiser/events/{event_id}/edit", {"title_fa": "رویداد", "title_en": "Event"},
         ["min_team_size", "max_team_size", "province", "title_fa"]),
        (world["organiser"], "/organiser/events/new", {"title_fa": "رویداد", "title_en": "Event"},
         ["min_team_size", "province"]),
        (world["organiser"], "/organiser/pipeline/projects", {}, ["event", "team"]),
        (world["judge"], "/judging/conflicts", {"reason": "خویشاوند"}, ["team", "reason"]),
        (world["judge"], "/judging/profile", {}, ["province", "expertise"]),
    ]


@pytest.mark.parametrize("value", [*HUGE_INTS, "a\x00b"], ids=repr)
def test_forms_never_fail_on_huge_numbers_or_nul(app, world, value):
    for client, url, data, names in _form_posts(app, world):
        for name in names:
            response = client.post(url, data={**data, name: value})
            assert response.status_code < 500, (url, name, response.status_code)
            if "\x00" in value:
                assert response.status_code == 400, (url, name)


def test_a_huge_number_in_a_form_is_shown_as_an_error(app, world):
    response = world["organiser"].post(f"/organiser/rounds/{world['round']}/edit", data={"judges_per_entry": TOO_BIG})
    assert response.status_code == 422


@pytest.mark.parametrize(("url", "data", "messages"), [
    ("/teams/{team}/invitations", {"email": ""}, ["Enter your email address."]),
    ("/teams/{team}/invitations", {"email": "not an address"}, ["Enter a valid email address."]),
    ("/teams/{team}/members", {"name": "", "mobile": ""}, ["Enter the member's name.", "Enter your mobile number."]),
])
def test_an_invalid_team_form_says_what_is_wrong(world, url, data, messages):
    """The messages of an invalid form posted from the dashboard are flashed (they are lazy strings)."""
    client = world["leader"]
    client.set_cookie("lang", "en")
    response = client.post(url.format(team=world["team"]), data=data)
    assert response.status_code == 302
    page = visible(client.get(response.headers["Location"]))
    for message in messages:
        assert message in page
