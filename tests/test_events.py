"""Events: what organisers create and change through the pages, the rules the services keep,
and what the public pages show of the phases and deadlines."""
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, text

from eventapp.audit.models import AuditEntry
from eventapp.core.database import utcnow
from eventapp.core.errors import NotAllowed
from eventapp.core.extensions import db
from eventapp.events import services
from eventapp.events.models import Event, Phase, Province

from .helpers import audit_entries, count, forget_cached, page_text

SECOND = timedelta(seconds=1)
UTC = UTC

# What an organiser types in Persian: Jalali dates, Persian digits (one Arabic-Indic), Arabic ي and ك.
PERSIAN_FORM = {
    "title_fa": "طلوع پيشرفت  يزد و كرمان",
    "title_en": "Dawn of Progress Yazd and Kerman",
    "slug": "dawn-1405-yazd",
    "scope": "national",
    "province": "0",
    "description_fa": "",
    "description_en": "",
    "registration-starts_at": "۱۴۰۵/۰۹/۰۶ ۱۸:۳۰",
    "registration-ends_at": "۱۴۰۵/۰۹/٢٠ ۲۳:۵۹",
    "screening-starts_at": "",
    "screening-ends_at": "",
    "training-starts_at": "",
    "training-ends_at": "",
    "submission-starts_at": "۱۴۰۵/۱۰/۰۱ ۰۸:۰۰",
    "submission-ends_at": "۱۴۰۵/۱۱/۰۱ ۱۸:۰۰",
    "judging-starts_at": "۱۴۰۵/۱۱/۰۲ ۰۸:۰۰",
    "judging-ends_at": "۱۴۰۵/۱۱/۲۰ ۱۸:۰۰",
    "results-starts_at": "۱۴۰۵/۱۱/۲۲ ۱۰:۰۰",
    "results-ends_at": "۱۴۰۵/۱۲/۲۹ ۲۳:۰۰",
}

# The same schedule typed in English: Gregorian dates.
ENGLISH_FORM = {
    **PERSIAN_FORM,
    "title_fa": "طلوع پیشرفت یزد",
    "registration-starts_at": "2026-11-27 18:30",
    "registration-ends_at": "2026-12-11 23:59",
    "submission-starts_at": "2026-12-22 08:00",
    "submission-ends_at": "2027-01-21 18:00",
    "judging-starts_at": "2027-01-22 08:00",
    "judging-ends_at": "2027-02-09 18:00",
    "results-starts_at": "2027-02-11 10:00",
    "results-ends_at": "2027-03-20 23:00",
}

# The instants both forms mean: Tehran is UTC+03:30.
EXPECTED_UTC = {
    "registration": (datetime(2026, 11, 27, 15, 0, tzinfo=UTC), datetime(2026, 12, 11, 20, 29, tzinfo=UTC)),
    "submission": (datetime(2026, 12, 22, 4, 30, tzinfo=UTC), datetime(2027, 1, 21, 14, 30, tzinfo=UTC)),
    "judging": (datetime(2027, 1, 22, 4, 30, tzinfo=UTC), datetime(2027, 2, 9, 14, 30, tzinfo=UTC)),
    "results": (datetime(2027, 2, 11, 6, 30, tzinfo=UTC), datetime(2027, 3, 20, 19, 30, tzinfo=UTC)),
}

# A schedule in whole minutes (as organisers type it) around NOW, and the time the event pages
# see, with seconds so that the countdown shows them.
NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
CLOCK = NOW + timedelta(seconds=51)
SCHEDULE = {
    "registration": (NOW - timedelta(days=2), NOW + timedelta(days=3, hours=4, minutes=12)),
    "submission": (NOW + timedelta(days=10), NOW + timedelta(days=20)),
    "judging": (NOW + timedelta(days=21), NOW + timedelta(days=30)),
    "results": (NOW + timedelta(days=31), NOW + timedelta(days=40)),
}


@pytest.fixture
def frozen_now(monkeypatch):
    """The event pages see ``CLOCK`` as the current time."""
    monkeypatch.setattr("eventapp.events.views.utcnow", lambda: CLOCK)
    monkeypatch.setattr("eventapp.portal.views.utcnow", lambda: CLOCK)
    return CLOCK


@pytest.fixture
def organiser_client(client, login, organiser):
    return login(organiser)


@pytest.fixture
def english(client):
    client.set_cookie("lang", "en")
    return client


BIDI_ISOLATES = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069"))


def field_errors(response, field_id) -> list[str]:
    """The error messages under a field, as read (without the invisible bidi isolates)."""
    html = response.get_data(as_text=True)
    match = re.search(rf'<div id="{re.escape(field_id)}-help">(.*?)</div>', html, re.S)
    assert match, f"no field {field_id} on the page"
    return [message.strip().translate(BIDI_ISOLATES)
            for message in re.findall(r'<p class="field__error">(.*?)</p>', match.group(1), re.S)]


class _FormValues(HTMLParser):
    """What a browser would send back, unchanged, from the page's main form (class "form")."""

    def __init__(self):
        super().__init__()
        self.values, self._in_form, self._textarea, self._select = {}, False, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "form" in (attrs.get("class") or "").split():
            self._in_form = True
        elif not self._in_form:
            return
        elif tag == "input" and attrs.get("name"):
            self.values[attrs["name"]] = attrs.get("value", "")
        elif tag == "textarea":
            self._textarea = attrs["name"]
            self.values[self._textarea] = ""
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and ("selected" in attrs or self._select not in self.values):
            self.values[self._select] = attrs.get("value", "")

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._in_form = False


def form_values(response) -> dict:
    parser = _FormValues()
    parser.feed(response.get_data(as_text=True))
    return parser.values


def make_details(**overrides) -> services.EventDetails:
    fields = {"title_fa": "رویداد آزمایشی", "title_en": "Test event", "slug": "test-event", "windows": SCHEDULE}
    return services.EventDetails(**{**fields, **overrides})


# --- creating an event ---------------------------------------------------------------------

def test_an_organiser_creates_an_event_typed_in_persian(app, organiser_client):
    response = organiser_client.post("/organiser/events/new", data=PERSIAN_FORM)

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/events/dawn-1405-yazd"
    with app.app_context():
        event = db.session.scalar(select(Event))
        assert event.title_fa == "طلوع پیشرفت یزد و کرمان"  # Persian yeh and kaf, spaces folded
        assert event.slug == "dawn-1405-yazd"
        assert {phase.kind: (phase.starts_at, phase.ends_at) for phase in event.phases} == EXPECTED_UTC


def test_phases_are_stored_as_utc(app, organiser_client):
    organiser_client.post("/organiser/events/new", data=PERSIAN_FORM)
    with app.app_context():
        stored = db.session.execute(text("SELECT starts_at FROM phases WHERE kind = 'registration'")).scalar()
    assert str(stored).startswith("2026-11-27 15:00:00")  # 18:30 in Tehran


def test_creating_an_event_is_recorded_in_the_audit_log(app, organiser_client, organiser):
    organiser_client.post("/organiser/events/new", data=PERSIAN_FORM)
    [entry] = audit_entries(app, "event.created")
    with app.app_context():
        event = db.session.scalar(select(Event))
    assert entry.actor_id == organiser.id
    assert (entry.target_type, entry.target_id) == ("Event", event.id)
    assert entry.changes["slug"] == [None, "dawn-1405-yazd"]
    old, new = entry.changes["registration.starts_at"]
    assert old is None
    assert datetime.fromisoformat(new) == EXPECTED_UTC["registration"][0]
    assert event.created_by_id == organiser.id


def test_an_organiser_reading_english_types_gregorian_dates(app, english, login, organiser):
    login(organiser)
    response = english.post("/organiser/events/new", data=ENGLISH_FORM)
    assert response.status_code == 302
    with app.app_context():
        event = db.session.scalar(select(Event))
        assert {phase.kind: (phase.starts_at, phase.ends_at) for phase in event.phases} == EXPECTED_UTC


def test_the_optional_phases_are_saved_when_given(app, organiser_client):
    form = {**PERSIAN_FORM, "screening-starts_at": "۱۴۰۵/۰۹/۲۱ ۰۸:۰۰", "screening-ends_at": "۱۴۰۵/۰۹/۲۵ ۱۸:۰۰"}
    assert organiser_client.post("/organiser/events/new", data=form).status_code == 302
    with app.app_context():
        event = db.session.scalar(select(Event))
        assert [window.kind for window in event.windows] == [
            "registration", "screening", "submission", "judging", "results"]
        assert event.phase("screening").starts_at == datetime(2026, 12, 12, 4, 30, tzinfo=UTC)


def test_a_provincial_event_keeps_its_province(app, organiser_client):
    with app.app_context():
        yazd = db.session.scalar(select(Province).where(Province.name_en == "Yazd"))
    form = {**PERSIAN_FORM, "scope": "provincial", "province": str(yazd.id)}
    assert organiser_client.post("/organiser/events/new", data=form).status_code == 302
    with app.app_context():
        event = db.session.scalar(select(Event))
        assert (event.scope, event.province_id) == ("provincial", yazd.id)


def test_the_new_event_form_shows_the_persian_date_example(organiser_client):
    response = organiser_client.get("/organiser/events/new")
    assert response.status_code == 200
    assert "۱۴۰۵/۰۹/۰۶ ۱۸:۳۰" in page_text(response).translate(BIDI_ISOLATES)
    for kind in ("registration", "screening", "training", "submission", "judging", "results"):
        assert f'name="{kind}-starts_at"' in response.get_data(as_text=True)


# --- refusing bad input --------------------------------------------------------------------

def blank(form, kind):
    return {**form, f"{kind}-starts_at": "", f"{kind}-ends_at": ""}


BAD_INPUT = [
    pytest.param(blank(ENGLISH_FORM, "judging"), "judging-ends_at",
                 "Give this phase its start and end.", id="missing required phase"),
    pytest.param({**ENGLISH_FORM, "judging-ends_at": ""}, "judging-ends_at",
                 "Give this phase its start and end.", id="phase without its end"),
    pytest.param({**ENGLISH_FORM, "registration-ends_at": "2026-11-27 18:00"}, "registration-ends_at",
                 "The end must come after the start.", id="end before start"),
    pytest.param({**ENGLISH_FORM, "registration-ends_at": "2026-11-27 18:30"}, "registration-ends_at",
                 "The end must come after the start.", id="end at start"),
    pytest.param({**ENGLISH_FORM, "submission-starts_at": "2026-11-20 08:00"}, "submission-ends_at",
                 "This phase cannot start before the phase above it.", id="phase out of order"),
    pytest.param({**ENGLISH_FORM, "scope": "provincial", "province": "0"}, "province",
                 "Choose the province of a provincial event.", id="provincial without province"),
    pytest.param({**ENGLISH_FORM, "registration-starts_at": "2026-13-01 10:00"}, "registration-starts_at",
                 "Enter a valid date and time, like 2026-11-27 18:30.", id="impossible date"),
    pytest.param({**ENGLISH_FORM, "registration-starts_at": "next Friday"}, "registration-starts_at",
                 "Enter a valid date and time, like 2026-11-27 18:30.", id="unparsable date"),
    pytest.param({**ENGLISH_FORM, "registration-starts_at": "1405/09/06 18:30"}, "registration-starts_at",
                 "Enter a valid date and time, like 2026-11-27 18:30.", id="jalali date in english"),
    pytest.param({**ENGLISH_FORM, "slug": "Dawn Yazd"}, "slug",
                 "Use 3 to 60 lower-case Latin letters, digits and hyphens.", id="slug not for an address"),
    pytest.param({**ENGLISH_FORM, "title_fa": ""}, "title_fa", "Enter the Persian title.", id="no persian title"),
]


@pytest.mark.parametrize("form, field_id, message", BAD_INPUT)
def test_bad_input_is_refused_with_a_message_next_to_the_field(app, english, login, organiser, form, field_id,
                                                                message):
    login(organiser)
    response = english.post("/organiser/events/new", data=form)
    assert response.status_code == 422
    assert field_errors(response, field_id) == [message]
    assert f'id="{field_id}"' in response.get_data(as_text=True)
    assert count(app, Event) == 0
    assert count(app, Phase) == 0
    assert count(app, AuditEntry) == 0


def test_the_fields_without_a_problem_keep_what_was_typed(english, login, organiser):
    login(organiser)
    response = english.post("/organiser/events/new", data=blank(ENGLISH_FORM, "judging"))
    assert response.status_code == 422
    values = form_values(response)
    assert values["title_en"] == "Dawn of Progress Yazd and Kerman"
    assert values["registration-starts_at"] == "2026-11-27 18:30"
    assert field_errors(response, "registration-ends_at") == []


def test_a_title_of_spaces_only_is_refused(app, english, login, organiser):
    login(organiser)
    response = english.post("/organiser/events/new", data={**ENGLISH_FORM, "title_fa": " \u00a0 "})
    assert response.status_code == 422
    assert field_errors(response, "title_fa") == ["Enter the Persian title."]
    assert count(app, Event) == 0


def test_a_short_name_already_in_use_is_refused(app, english, login, organiser, make):
    make.event(slug="dawn-1405-yazd")
    login(organiser)
    response = english.post("/organiser/events/new", data=ENGLISH_FORM)
    assert response.status_code == 422
    assert field_errors(response, "slug") == ["Another event already uses this short name."]
    assert "The event was not saved: correct the marked fields." in page_text(response)
    assert count(app, Event) == 1


def test_an_unparsable_persian_date_is_refused_with_a_persian_example(app, organiser_client):
    response = organiser_client.post("/organiser/events/new",
                                     data={**PERSIAN_FORM, "registration-starts_at": "۱۴۰۵/۱۳/۰۱ ۱۰:۰۰"})
    assert response.status_code == 422
    [message] = field_errors(response, "registration-starts_at")
    assert "۱۴۰۵/۰۹/۰۶ ۱۸:۳۰" in message
    assert form_values(response)["registration-starts_at"] == "۱۴۰۵/۱۳/۰۱ ۱۰:۰۰"  # kept for correcting
    assert count(app, Event) == 0


def test_a_missing_phase_is_marked_on_the_persian_form(app, organiser_client):
    response = organiser_client.post("/organiser/events/new", data=blank(PERSIAN_FORM, "submission"))
    assert response.status_code == 422
    assert len(field_errors(response, "submission-ends_at")) == 1
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="submission-ends_at"', response.get_data(as_text=True))
    assert count(app, Event) == 0


# --- editing an event ----------------------------------------------------------------------

@pytest.fixture
def event(make):
    return make.event(slug="dawn-1405", title_fa="طلوع پیشرفت 1405", title_en="Dawn 1405", schedule=SCHEDULE)


def test_the_edit_form_shows_the_event_in_jalali(organiser_client, event):
    response = organiser_client.get(f"/organiser/events/{event.id}/edit")
    assert response.status_code == 200
    values = form_values(response)
    assert values["slug"] == "dawn-1405"
    assert values["registration-starts_at"] == "۱۴۰۵/۰۹/۰۴ ۱۵:۳۰"  # NOW - 2 days, in Tehran, in Persian digits
    assert values["screening-starts_at"] == ""


def test_editing_records_only_the_fields_that_changed(app, organiser_client, organiser, event):
    form = form_values(organiser_client.get(f"/organiser/events/{event.id}/edit"))
    form["title_en"] = "Dawn of Progress 1405"
    form["registration-ends_at"] = "1405/09/10 18:00"

    response = organiser_client.post(f"/organiser/events/{event.id}/edit", data=form)

    assert response.status_code == 302
    [entry] = audit_entries(app, "event.updated")
    assert entry.actor_id == organiser.id
    assert entry.target_id == event.id
    assert set(entry.changes) == {"title_en", "registration.ends_at"}
    assert entry.changes["title_en"] == ["Dawn 1405", "Dawn of Progress 1405"]
    old, new = (datetime.fromisoformat(value) for value in entry.changes["registration.ends_at"])
    assert old == SCHEDULE["registration"][1]
    assert new == datetime(2026, 12, 1, 14, 30, tzinfo=UTC)
    with app.app_context():
        assert db.session.get(Event, event.id).phase_end("registration") == new


def test_saving_an_unchanged_event_records_nothing(app, organiser_client, event):
    url = f"/organiser/events/{event.id}/edit"
    response = organiser_client.post(url, data=form_values(organiser_client.get(url)))
    assert response.status_code == 302
    assert audit_entries(app, "event.updated") == []


def test_removing_an_optional_phase_is_recorded(app, organiser_client, make):
    schedule = {**SCHEDULE, "training": (NOW + timedelta(days=5), NOW + timedelta(days=9))}
    event = make.event(schedule=schedule)
    url = f"/organiser/events/{event.id}/edit"
    form = {**form_values(organiser_client.get(url)), "training-starts_at": "", "training-ends_at": ""}
    assert organiser_client.post(url, data=form).status_code == 302
    [entry] = audit_entries(app, "event.updated")
    assert set(entry.changes) == {"training.starts_at", "training.ends_at"}
    assert entry.changes["training.starts_at"][1] is None
    with app.app_context():
        assert db.session.get(Event, event.id).phase("training") is None


def test_an_edit_with_bad_input_changes_nothing(app, organiser_client, event):
    url = f"/organiser/events/{event.id}/edit"
    form = {**form_values(organiser_client.get(url)), "title_en": "Changed", "judging-starts_at": ""}
    response = organiser_client.post(url, data=form)
    assert response.status_code == 422
    assert len(field_errors(response, "judging-ends_at")) == 1
    with app.app_context():
        assert db.session.get(Event, event.id).title_en == "Dawn 1405"
    assert audit_entries(app, "event.updated") == []


def test_an_event_keeps_its_own_short_name_when_edited_but_cannot_take_another(organiser_client, event, make):
    make.event(slug="taken-slug")
    url = f"/organiser/events/{event.id}/edit"
    form = form_values(organiser_client.get(url))
    response = organiser_client.post(url, data={**form, "slug": "taken-slug"})
    assert response.status_code == 422
    assert len(field_errors(response, "slug")) == 1


def test_editing_an_unknown_event_is_not_found(organiser_client):
    assert organiser_client.get("/organiser/events/999999/edit").status_code == 404


# --- who may manage events -----------------------------------------------------------------

def member_refusals(event_id):
    return [
        ("get", "/organiser/events/new"),
        ("post", "/organiser/events/new"),
        ("get", "/organiser/events"),
        ("get", f"/organiser/events/{event_id}/edit"),
        ("post", f"/organiser/events/{event_id}/edit"),
    ]


def test_a_member_may_not_manage_events(app, client, login, member, event):
    login(member)
    for method, url in member_refusals(event.id):
        data = {**PERSIAN_FORM, "slug": "sneaky-event"} if method == "post" else None
        response = getattr(client, method)(url, data=data)
        assert response.status_code == 403, (method, url)
    assert count(app, Event) == 1
    with app.app_context():
        assert db.session.get(Event, event.id).slug == "dawn-1405"


def test_an_anonymous_visitor_is_sent_to_sign_in(client, event):
    for method, url in member_refusals(event.id):
        response = getattr(client, method)(url)
        assert response.status_code == 302, (method, url)
        location = urlsplit(response.headers["Location"])
        assert location.path == "/signin", (method, url)


def test_the_service_refuses_to_create_an_event_for_a_member(ctx, member):
    with pytest.raises(NotAllowed):
        services.create_event(member, make_details(), utcnow())
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0


def test_the_service_refuses_to_update_an_event_for_a_member(ctx, member, event):
    stored = db.session.get(Event, event.id)
    with pytest.raises(NotAllowed):
        services.update_event(member, stored, make_details(slug="dawn-1405"), utcnow())


def test_an_admin_may_create_an_event_through_the_service(ctx, admin):
    created = services.create_event(admin, make_details(), utcnow())
    assert created.id is not None
    assert created.created_by_id == admin.id


def test_the_service_dates_the_event_and_its_audit_entries_with_the_moment_it_is_given(ctx, admin):
    created_at, updated_at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC), datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    event = services.create_event(admin, make_details(), created_at)
    services.update_event(admin, event, make_details(title_en="Renamed"), updated_at)
    db.session.flush()
    entries = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(entry.action, entry.at) for entry in entries] == [("event.created", created_at), ("event.updated", updated_at)]
    assert event.created_at == created_at


def test_the_organisers_event_list_shows_the_events(organiser_client, event):
    response = organiser_client.get("/organiser/events")
    assert response.status_code == 200
    assert f"/organiser/events/{event.id}/edit" in response.get_data(as_text=True)
    assert "طلوع پیشرفت ۱۴۰۵" in page_text(response)  # stored with Latin digits, shown with Persian ones


# --- the public pages ----------------------------------------------------------------------

def test_the_event_list_shows_the_open_phase_and_the_next_deadline_with_a_countdown(english, frozen_now, event):
    response = english.get("/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Now: Registration" in text
    assert "Registration ends" in text
    html = response.get_data(as_text=True)
    assert f'datetime="{SCHEDULE["registration"][1].isoformat()}"' in html
    assert re.search(r'<span class="countdown"[^>]*>3 days 04:11:09</span>', html)


def test_the_persian_event_list_counts_down_in_persian_digits(client, frozen_now, event):
    response = client.get("/")
    html = response.get_data(as_text=True)
    countdown = re.search(r'<span class="countdown"[^>]*>([^<]*)</span>', html).group(1)
    assert countdown.startswith("۳ ")
    assert countdown.endswith("۰۴:۱۱:۰۹")


def test_the_event_page_shows_the_open_phase_and_the_next_deadline(english, frozen_now, event):
    response = english.get("/events/dawn-1405")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Dawn 1405" in page_text(response)
    assert "Next deadline" in page_text(response)
    [open_phase] = re.findall(r'<li class="timeline__item timeline__item--open">(.*?)</li>', html, re.S)
    assert "Registration" in open_phase
    assert "Open now" in open_phase
    assert html.count("timeline__item--later") == 3
    assert re.search(r'<span class="countdown"[^>]*>3 days 04:11:09</span>', html)


def test_before_the_event_the_next_deadline_is_the_start_of_registration(english, frozen_now, make):
    later = {kind: (start + timedelta(days=5), end + timedelta(days=5)) for kind, (start, end) in SCHEDULE.items()}
    make.event(slug="later-event", schedule=later)
    response = english.get("/events/later-event")
    text = page_text(response)
    assert "Upcoming" in text
    assert "Registration starts" in text
    assert "Open now" not in text


def test_after_the_event_there_is_no_next_deadline(english, frozen_now, make):
    past = {kind: (start - timedelta(days=60), end - timedelta(days=60)) for kind, (start, end) in SCHEDULE.items()}
    make.event(slug="past-event", schedule=past)
    response = english.get("/events/past-event")
    text = page_text(response)
    assert "Finished" in text
    assert "Next deadline" not in text
    assert 'class="countdown"' not in response.get_data(as_text=True)


def test_the_persian_event_page_shows_jalali_dates_in_persian_digits(client, frozen_now, event):
    response = client.get("/events/dawn-1405")
    dates = re.findall(r"<time[^>]*>([^<]*)</time>", response.get_data(as_text=True))
    assert dates
    assert all(re.search("[۰-۹]", date) and not re.search("[0-9]", date) for date in dates)
    assert any("۱۴۰۵" in date for date in dates)


def test_a_phase_is_open_until_the_last_second_of_its_end(event):
    end = event.phase_end("registration")
    assert event.phase_open("registration", end)
    assert not event.phase_open("registration", end + SECOND)
    assert event.phase_open("registration", event.phase("registration").starts_at)
    assert not event.phase_open("registration", event.phase("registration").starts_at - SECOND)


def test_a_phase_the_event_does_not_hold_is_never_open(event):
    assert not event.phase_open("screening", NOW)


def test_an_unknown_event_is_not_found(english):
    response = english.get("/events/no-such-event")
    assert response.status_code == 404
    assert "There is no such event." in page_text(response)


# --- the audit log -------------------------------------------------------------------------

def test_the_organiser_reads_the_creation_in_the_audit_log(english, login, organiser):
    login(organiser)
    english.post("/organiser/events/new", data=ENGLISH_FORM)
    response = english.get("/organiser/audit/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Event created" in text
    assert "طلوع پیشرفت یزد" in text
    assert "Zahra Organiser" in text


def test_the_audit_log_can_be_filtered_by_what_was_done(english, login, organiser):
    login(organiser)
    english.post("/organiser/events/new", data=ENGLISH_FORM)
    response = english.get("/organiser/audit/?action=event.updated")
    assert response.status_code == 200
    assert "Nothing has been recorded yet." in page_text(response)


def test_an_unknown_action_in_the_audit_filter_shows_everything(english, login, organiser):
    login(organiser)
    english.post("/organiser/events/new", data=ENGLISH_FORM)
    response = english.get("/organiser/audit/?action=no.such_action")
    assert response.status_code == 200
    assert "طلوع پیشرفت یزد" in page_text(response)  # the event created, in the log's table


def test_a_member_may_not_read_the_audit_log(client, login, member):
    login(member)
    assert client.get("/organiser/audit/").status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in_for_the_audit_log(client):
    response = client.get("/organiser/audit/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/signin"


def test_the_audit_log_shows_what_an_edit_changed(english, login, organiser, event):
    login(organiser)
    url = f"/organiser/events/{event.id}/edit"
    english.post(url, data={**form_values(english.get(url)), "title_en": "Dawn of Progress 1405"})
    response = english.get("/organiser/audit/")
    changes = re.search(r'<ul class="changes">(.*?)</ul>', response.get_data(as_text=True), re.S).group(1)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", changes))
    assert "Title in English" in text  # the field, by its name
    assert "Dawn 1405" in text
    assert "Dawn of Progress 1405" in text
    assert "Short name in addresses" not in text


def test_the_audit_log_shows_a_short_name_of_digits_as_it_is(english, login, organiser):
    login(organiser)
    english.post("/organiser/events/new", data={**ENGLISH_FORM, "slug": "14050906"})
    response = english.get("/organiser/audit/")
    changes = re.search(r'<ul class="changes">(.*?)</ul>', response.get_data(as_text=True), re.S).group(1)
    slug_line = re.search(r"<li>Short name in addresses:(.*?)</li>", changes, re.S).group(1)
    assert "14050906" in slug_line


# --- lists do not grow their queries with their rows ---------------------------------------------

@pytest.mark.parametrize("path", ["/", "/organiser/events"])
def test_event_lists_take_the_same_queries_for_two_events_or_twenty(app, make, organiser_client, count_queries,
                                                                     path):
    def queries_for_page():
        forget_cached(app)
        with count_queries() as statements:
            assert organiser_client.get(path).status_code == 200
        return len(statements)

    for _ in range(2):
        make.event()
    few = queries_for_page()
    for _ in range(18):
        make.event()
    assert 0 < few == queries_for_page()
