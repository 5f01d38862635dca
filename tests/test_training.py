"""Training sessions: organisers schedule them and record attendance, members of eligible teams sign up
with a waiting list, and no one sees another team's sign-ups."""
import io
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from flask import render_template
from openpyxl import load_workbook
from sqlalchemy import func, select

from eventapp.auth.models import User
from eventapp.core.database import utcnow
from eventapp.core.errors import Conflict, DeadlinePassed, NotAllowed
from eventapp.core.extensions import db
from eventapp.teams.models import Team
from eventapp.training import services
from eventapp.training.models import CONFIRMED, WAITLISTED, TrainingSession, TrainingSignup

from . import factories
from .helpers import audit_entries, client_of, forget_cached, page_text

UTC = UTC
HOUR = timedelta(hours=1)


# --- helpers -------------------------------------------------------------------------------

@pytest.fixture
def event(make):
    return make.event(slug="dawn-training", title_en="Dawn training")


def add_session(app, event_id, **fields) -> int:
    starts = fields.pop("starts_at", utcnow() + timedelta(days=7))
    values = {"title": "آموزش نقشهٔ پیشرفت", "place": "یزد، حسینیه", "capacity": 2,
              "starts_at": starts, "ends_at": starts + 2 * HOUR, **fields}
    with app.app_context():
        session = TrainingSession(event_id=event_id, **values)
        db.session.add(session)
        db.session.commit()
        return session.id


def sign_up(app, user, session_id, now=None) -> str:
    """Sign ``user`` up through the service; return the status given."""
    with app.app_context():
        signup = services.sign_up(db.session.get(User, user.id), db.session.get(TrainingSession, session_id),
                                  now or utcnow())
        db.session.commit()
        return signup.status


def statuses(app, session_id) -> dict[int, str]:
    """{user_id: status} of a session's sign-ups."""
    with app.app_context():
        return dict(db.session.execute(
            select(TrainingSignup.user_id, TrainingSignup.status).where(TrainingSignup.session_id == session_id)).all())


@pytest.fixture
def members(make):
    return [make.user(name=name) for name in ("علی رضایی", "Bahar Karimi", "سارا احمدی", "Dara Nouri")]


@pytest.fixture
def team(app, event, members):
    """An approved team of the event, not selected in screening, with every one of ``members``."""
    return factories.team_in(app, event.id, members[0], members=members[1:], name="گروه جهادی فجر")


# --- organisers schedule sessions ----------------------------------------------------------

PERSIAN_FORM = {
    "title": "آموزش نوشتن نقشهٔ پيشرفت",  # an Arabic yeh, as some keyboards type it
    "description": "جلسهٔ اول",
    "starts_at": "۱۴۰۵/۰۹/۱۰ ۱۶:۰۰",
    "ends_at": "۱۴۰۵/۰۹/۱۰ ۱۸:۳۰",
    "place": "یزد، خیابان امام",
    "online_link": "",
    "capacity": "۲۰",
    "audience": "selected",
    "required": "y",
}


def test_an_organiser_creates_a_session_typed_in_persian(app, login, organiser, event):
    client = login(organiser)
    response = client.post(f"/organiser/training/new?event={event.id}", data=PERSIAN_FORM)

    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == f"/organiser/events/{event.id}/training"
    with app.app_context():
        session = db.session.scalar(select(TrainingSession))
        assert session.event_id == event.id
        assert session.title == "آموزش نوشتن نقشهٔ پیشرفت"
        assert session.starts_at == datetime(2026, 12, 1, 12, 30, tzinfo=UTC)  # 16:00 in Tehran
        assert session.ends_at == datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
        assert (session.capacity, session.audience, session.required) == (20, "selected", True)
        assert session.created_by_id == organiser.id
    [entry] = audit_entries(app, "training.created")
    assert (entry.actor_id, entry.target_type, entry.target_id) == (organiser.id, "TrainingSession", session.id)
    assert entry.changes["capacity"] == [None, 20]

    listing = page_text(client.get(f"/organiser/events/{event.id}/training"))
    assert "آموزش نوشتن نقشهٔ پیشرفت" in listing
    assert "۱۰ آذر ۱۴۰۵" in listing


@pytest.mark.parametrize("change, field, message", [
    ({"ends_at": "2026-12-01 15:00"}, "ends_at", "The end must come after the start."),
    ({"place": "", "online_link": ""}, "place", "Give the place, the online link, or both."),
    ({"online_link": "javascript:alert(1)"}, "online_link", "Enter a web address starting with https://."),
    ({"capacity": "0"}, "capacity", "Enter a number from 1 to 10000."),
    ({"starts_at": "1405/09/10 16:00"}, "starts_at", "Enter a valid date and time, like 2026-11-27 18:30."),
])
def test_bad_session_input_is_refused_next_to_the_field(app, login, organiser, event, change, field, message):
    client = login(organiser)
    client.set_cookie("lang", "en")
    form = {**PERSIAN_FORM, "starts_at": "2026-12-01 16:00", "ends_at": "2026-12-01 18:00", "capacity": "20",
            **change}
    response = client.post(f"/organiser/training/new?event={event.id}", data=form)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    help_block = html.split(f'id="{field}-help"', 1)[1].split("</div>", 1)[0]
    assert message in help_block.replace("\u2066", "").replace("\u2069", "")
    with app.app_context():
        assert db.session.scalar(select(func.count(TrainingSession.id))) == 0


def test_the_edit_form_shows_jalali_and_more_places_move_the_waiting_list_up(app, login, organiser, event,
                                                                              members, team):
    session_id = add_session(app, event.id, capacity=1, starts_at=datetime(2026, 12, 1, 12, 30, tzinfo=UTC))
    now = datetime(2026, 11, 20, tzinfo=UTC)
    assert [sign_up(app, person, session_id, now) for person in members[:3]] == [CONFIRMED, WAITLISTED, WAITLISTED]

    client = login(organiser)
    page = client.get(f"/organiser/training/{session_id}/edit")
    assert page.status_code == 200
    assert 'value="۱۴۰۵/۰۹/۱۰ ۱۶:۰۰"' in page.get_data(as_text=True)

    form = {**PERSIAN_FORM, "title": "آموزش نقشهٔ پیشرفت", "place": "یزد، حسینیه", "audience": "approved",
            "capacity": "2", "starts_at": "1405/09/10 16:00", "ends_at": "1405/09/10 18:00"}
    del form["required"]  # an unticked box is not sent
    assert client.post(f"/organiser/training/{session_id}/edit", data=form).status_code == 302

    assert statuses(app, session_id) == {members[0].id: CONFIRMED, members[1].id: CONFIRMED,
                                         members[2].id: WAITLISTED}
    [entry] = audit_entries(app, "training.updated")
    assert entry.changes["capacity"] == [1, 2]
    assert entry.changes["promoted"] == [None, 1]
    assert set(entry.changes) == {"capacity", "promoted", "description"}


def test_an_organiser_cancels_a_session_and_nobody_can_sign_up_any_more(app, login, organiser, event, members,
                                                                        team):
    session_id = add_session(app, event.id)
    client = login(organiser)
    assert client.post(f"/organiser/training/{session_id}/cancel").status_code == 302
    with app.app_context():
        assert db.session.get(TrainingSession, session_id).cancelled_at is not None
    assert len(audit_entries(app, "training.cancelled")) == 1
    with pytest.raises(Conflict):
        sign_up(app, members[1], session_id)


ORGANISER_PAGES = [
    ("get", "/organiser/events/{event}/training"),
    ("get", "/organiser/training/new?event={event}"),
    ("post", "/organiser/training/new?event={event}"),
    ("get", "/organiser/training/{session}/edit"),
    ("post", "/organiser/training/{session}/edit"),
    ("post", "/organiser/training/{session}/cancel"),
    ("get", "/organiser/training/{session}/attendance"),
    ("post", "/organiser/training/{session}/attendance"),
    ("get", "/organiser/events/{event}/training/attendance.xlsx"),
]


@pytest.mark.parametrize("method, url", ORGANISER_PAGES)
def test_a_member_who_is_not_an_organiser_gets_403(app, login, member, event, method, url):
    session_id = add_session(app, event.id)
    client = login(member)
    response = getattr(client, method)(url.format(event=event.id, session=session_id), data=PERSIAN_FORM)
    assert response.status_code == 403
    with app.app_context():
        assert db.session.get(TrainingSession, session_id).cancelled_at is None
        assert db.session.scalar(select(func.count(TrainingSession.id))) == 1


@pytest.mark.parametrize("method, url", ORGANISER_PAGES + [("post", "/training/{session}/signup"),
                                                            ("post", "/training/{session}/cancel-signup")])
def test_an_anonymous_visitor_is_sent_to_sign_in(app, client, event, method, url):
    session_id = add_session(app, event.id)
    response = getattr(client, method)(url.format(event=event.id, session=session_id))
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/signin"


def test_services_refuse_a_member_the_organisers_work(app, ctx, event, members, team):
    session_id = add_session(app, event.id)
    person, session = db.session.get(User, members[0].id), services.get_session(session_id)
    details = services.SessionDetails(title="x", starts_at=utcnow(), ends_at=utcnow() + HOUR, capacity=3,
                                      place="یزد")
    with pytest.raises(NotAllowed):
        services.create_session(person, session.event, details, utcnow())
    with pytest.raises(NotAllowed):
        services.update_session(person, session, details, utcnow())
    with pytest.raises(NotAllowed):
        services.cancel_session(person, session, utcnow())
    with pytest.raises(NotAllowed):
        services.record_attendance(person, session, {}, utcnow())
    with pytest.raises(NotAllowed):
        services.attendance_sheet(person, session.event)


# --- members sign up -----------------------------------------------------------------------

def test_capacity_two_with_three_sign_ups_puts_the_third_on_the_waiting_list_and_a_cancel_moves_them_up(
        app, event, members, team):
    session_id = add_session(app, event.id, capacity=2)
    first, second, third = (client_of(app, person, "en") for person in members[:3])
    signup_url, cancel_url = f"/training/{session_id}/signup", f"/training/{session_id}/cancel-signup"

    assert first.post(signup_url).status_code == 302
    assert second.post(signup_url).status_code == 302
    response = third.post(signup_url, follow_redirects=True)
    assert "you are on the waiting list, in position 1" in page_text(response)
    assert "Waitlisted (position 1)" in page_text(third.get("/events/dawn-training/training"))
    assert statuses(app, session_id) == {members[0].id: CONFIRMED, members[1].id: CONFIRMED,
                                         members[2].id: WAITLISTED}

    assert first.post(cancel_url).status_code == 302

    assert statuses(app, session_id) == {members[1].id: CONFIRMED, members[2].id: CONFIRMED}
    assert "Confirmed" in page_text(third.get("/events/dawn-training/training"))


def test_the_waiting_list_is_first_come_first_served(app, event, members, team):
    session_id = add_session(app, event.id, capacity=1)
    for person in members:
        sign_up(app, person, session_id)
    with app.app_context():
        session = db.session.get(TrainingSession, session_id)
        positions = [services.waitlist_position(signup) for signup in db.session.scalars(
            select(TrainingSignup).where(TrainingSignup.session_id == session_id).order_by(TrainingSignup.id))]
        assert positions == [None, 1, 2, 3]
        services.cancel_signup(db.session.get(User, members[2].id), session, utcnow())  # the second waiting
        services.cancel_signup(db.session.get(User, members[0].id), session, utcnow())  # the one with a place
        db.session.commit()
    assert statuses(app, session_id) == {members[1].id: CONFIRMED, members[3].id: WAITLISTED}


def test_the_sessions_page_shows_a_reader_their_own_status_and_only_counts_of_the_others(app, event, members,
                                                                                         team):
    session_id = add_session(app, event.id, capacity=1)
    sign_up(app, members[0], session_id)
    sign_up(app, members[1], session_id)
    page = page_text(client_of(app, members[1]).get("/events/dawn-training/training"))
    assert "آموزش نقشهٔ پیشرفت" in page
    assert "۱" in page  # the waiting-list position, in Persian digits
    assert members[0].name not in page
    assert members[1].name in page  # the reader's own name, in the top bar


@pytest.mark.parametrize("status", ["pending", "rejected", "withdrawn"])
def test_a_member_of_a_team_that_is_not_approved_is_refused(app, make, event, status):
    person = make.user()
    factories.team_in(app, event.id, person, status=status)
    session_id = add_session(app, event.id)
    with pytest.raises(NotAllowed):
        sign_up(app, person, session_id)
    response = client_of(app, person).post(f"/training/{session_id}/signup")
    assert response.status_code == 403
    assert statuses(app, session_id) == {}


def test_a_session_for_selected_teams_refuses_a_team_not_selected(app, make, event, members, team):
    chosen = make.user()
    factories.team_in(app, event.id, chosen, screening_selected=True, name="گروه برگزیده")
    session_id = add_session(app, event.id, audience="selected")

    with pytest.raises(NotAllowed):
        sign_up(app, members[0], session_id)
    assert client_of(app, members[1]).post(f"/training/{session_id}/signup").status_code == 403
    assert sign_up(app, chosen, session_id) == CONFIRMED
    assert statuses(app, session_id) == {chosen.id: CONFIRMED}


def test_someone_in_no_team_of_the_event_is_refused(app, make, event, member):
    other_event = make.event(slug="another-event")
    factories.team_in(app, other_event.id, member)
    session_id = add_session(app, event.id)
    with pytest.raises(NotAllowed):
        sign_up(app, member, session_id)


def test_signing_up_is_refused_once_the_session_starts(app, event, members, team):
    starts = datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
    session_id = add_session(app, event.id, starts_at=starts)
    with pytest.raises(DeadlinePassed):
        sign_up(app, members[0], session_id, now=starts)
    assert sign_up(app, members[0], session_id, now=starts - timedelta(seconds=1)) == CONFIRMED


def test_signing_up_twice_is_refused(app, event, members, team):
    session_id = add_session(app, event.id)
    sign_up(app, members[0], session_id)
    with pytest.raises(Conflict):
        sign_up(app, members[0], session_id)
    client = client_of(app, members[0], "en")
    response = client.post(f"/training/{session_id}/signup", follow_redirects=True)
    assert "You have already signed up for this session." in page_text(response)


def test_an_anonymous_visitor_sees_the_sessions_and_a_link_to_sign_in(app, client, event):
    add_session(app, event.id, online_link="https://meet.example.org/secret-room")
    client.set_cookie("lang", "en")
    response = client.get("/events/dawn-training/training")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Sign in to sign up" in page_text(response)
    assert "secret-room" not in html  # the link is for the people with a place


def test_the_online_link_is_shown_to_a_confirmed_member_only(app, event, members, team):
    session_id = add_session(app, event.id, capacity=1, online_link="https://meet.example.org/room")
    sign_up(app, members[0], session_id)
    sign_up(app, members[1], session_id)
    page = client_of(app, members[0]).get("/events/dawn-training/training").get_data(as_text=True)
    assert 'href="https://meet.example.org/room" dir="ltr"' in page
    assert "meet.example.org" not in client_of(app, members[1]).get("/events/dawn-training/training").get_data(
        as_text=True)


def test_the_sessions_page_runs_the_same_queries_for_one_session_or_many(app, event, members, team,
                                                                          count_queries):
    reader = client_of(app, members[0])
    add_session(app, event.id)
    forget_cached(app)
    with count_queries() as one:
        reader.get("/events/dawn-training/training")
    for _ in range(5):
        sign_up(app, members[0], add_session(app, event.id, capacity=1))
    forget_cached(app)
    with count_queries() as six:
        reader.get("/events/dawn-training/training")
    assert len(six) == len(one)


# --- attendance ----------------------------------------------------------------------------

@pytest.fixture
def held_session(app, event, members, team):
    """A session that started an hour ago, for which the first three members signed up (capacity 2)."""
    starts = utcnow() - HOUR
    session_id = add_session(app, event.id, capacity=2, starts_at=starts, required=True)
    for person in members[:3]:
        sign_up(app, person, session_id, now=starts - timedelta(days=1))
    return session_id


def signup_ids(app, session_id) -> dict[int, int]:
    """{user_id: signup id}."""
    with app.app_context():
        return dict(db.session.execute(
            select(TrainingSignup.user_id, TrainingSignup.id).where(TrainingSignup.session_id == session_id)).all())


def test_an_organiser_records_attendance_in_one_form_and_the_team_sees_it(app, login, organiser, members,
                                                                         team, held_session):
    ids = signup_ids(app, held_session)
    client = login(organiser)
    page = client.get(f"/organiser/training/{held_session}/attendance")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('type="checkbox" name="attended"') == 3

    response = client.post(f"/organiser/training/{held_session}/attendance", data={
        "signup": [ids[person.id] for person in members[:3]],
        "attended": [ids[members[0].id], ids[members[2].id]],
    })

    assert response.status_code == 302
    with app.app_context():
        recorded = {signup.user_id: (signup.attended, signup.attendance_recorded_by_id)
                    for signup in db.session.scalars(select(TrainingSignup))}
        assert recorded == {members[0].id: (True, organiser.id), members[1].id: (False, organiser.id),
                            members[2].id: (True, organiser.id)}
        [(session, names)] = services.team_attendance(db.session.get(Team, team))
        assert session.id == held_session
        assert names == ["سارا احمدی", "علی رضایی"]  # Persian dictionary order
    [entry] = audit_entries(app, "training.attendance")
    assert entry.actor_id == organiser.id
    assert entry.changes[f"Bahar Karimi #{members[1].id}"] == [None, False]

    # Saving again unchanged records nothing more.
    client.post(f"/organiser/training/{held_session}/attendance", data={
        "signup": [ids[person.id] for person in members[:3]],
        "attended": [ids[members[0].id], ids[members[2].id]],
    })
    assert len(audit_entries(app, "training.attendance")) == 1


def test_a_sign_up_not_on_the_submitted_page_keeps_its_attendance(app, ctx, organiser, members, held_session):
    ids = signup_ids(app, held_session)
    session = db.session.get(TrainingSession, held_session)
    actor = db.session.get(User, organiser.id)
    assert services.record_attendance(actor, session, {ids[members[0].id]: True}, utcnow()) == 1
    db.session.commit()
    assert services.record_attendance(actor, session, {ids[members[1].id]: True}, utcnow()) == 1
    db.session.commit()
    assert db.session.get(TrainingSignup, ids[members[0].id]).attended is True
    assert db.session.get(TrainingSignup, ids[members[2].id]).attended is None


def test_attendance_is_refused_before_the_session_starts(app, login, organiser, event, members, team):
    session_id = add_session(app, event.id)
    sign_up(app, members[0], session_id)
    ids = signup_ids(app, session_id)
    client = login(organiser)
    client.set_cookie("lang", "en")
    response = client.post(f"/organiser/training/{session_id}/attendance",
                           data={"signup": [ids[members[0].id]], "attended": [ids[members[0].id]]},
                           follow_redirects=True)
    assert "Attendance can be recorded once the session has started." in page_text(response)
    with app.app_context():
        assert db.session.get(TrainingSignup, ids[members[0].id]).attended is None


def test_team_attendance_loads_without_a_query_per_session(app, event, members, team, count_queries):
    for _ in range(3):
        add_session(app, event.id, starts_at=utcnow() - HOUR)
    with app.app_context():
        loaded = db.session.get(Team, team)
        with count_queries() as queries:
            attendance = services.team_attendance(loaded)
            [(session.title, names) for session, names in attendance]
    assert len(attendance) == 3
    assert len(queries) == 2


def test_team_attendance_leaves_out_sessions_for_selected_teams_the_team_could_not_join(app, event, team):
    add_session(app, event.id, title="for everyone")
    add_session(app, event.id, title="for the selected", audience="selected")
    add_session(app, event.id, title="cancelled", cancelled_at=utcnow())
    with app.app_context():
        assert [session.title for session, _ in services.team_attendance(db.session.get(Team, team))] == [
            "for everyone"]


def test_the_team_dashboard_partial_lists_who_attended(app, organiser, members, team, held_session):
    ids = signup_ids(app, held_session)
    with app.app_context():
        services.record_attendance(db.session.get(User, organiser.id), db.session.get(TrainingSession, held_session),
                                   {ids[members[1].id]: True}, utcnow())
        db.session.commit()
    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        html = render_template("training/_team_attendance.html",
                               attendance=services.team_attendance(db.session.get(Team, team)))
    assert "آموزش نقشهٔ پیشرفت" in html
    assert "Bahar Karimi" in html
    assert "Required" in html


# --- the export ----------------------------------------------------------------------------

def test_the_attendance_export_opens_in_a_spreadsheet_with_one_row_per_sign_up(app, make, login, organiser, event,
                                                                             members, team, held_session):
    other = make.user(name="=HYPERLINK(\"x\")")
    factories.team_in(app, event.id, other, name="گروه دوم")
    later = add_session(app, event.id, title="Second session", capacity=5)
    sign_up(app, other, later)
    ids = signup_ids(app, held_session)
    with app.app_context():
        services.record_attendance(db.session.get(User, organiser.id), db.session.get(TrainingSession, held_session),
                                   {ids[members[0].id]: True, ids[members[1].id]: False}, utcnow())
        db.session.commit()
    client = login(organiser)
    client.set_cookie("lang", "en")

    response = client.get(f"/organiser/events/{event.id}/training/attendance.xlsx")

    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "training-attendance-dawn-training.xlsx" in response.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0] == ("Session", "Date", "Team", "Member", "Status", "Attended")
    body = [(row[0], row[2], row[3], row[4], row[5]) for row in rows[1:]]
    assert body == [
        ("آموزش نقشهٔ پیشرفت", "گروه جهادی فجر", "علی رضایی", "Confirmed", "Yes"),
        ("آموزش نقشهٔ پیشرفت", "گروه جهادی فجر", "Bahar Karimi", "Confirmed", "No"),
        ("آموزش نقشهٔ پیشرفت", "گروه جهادی فجر", "سارا احمدی", "Waitlisted", None),
        ("Second session", "گروه دوم", "'=HYPERLINK(\"x\")", "Confirmed", None),
    ]
    assert all(row[1] for row in rows[1:])


# --- one team does not see another's -------------------------------------------------------

def test_a_member_of_team_a_cannot_see_team_b_sign_ups_by_any_route(app, make, event, members, team):
    outsider = make.user(name="Nasrin Team-B")
    team_b = factories.team_in(app, event.id, outsider, name="Team B")
    session_id = add_session(app, event.id, capacity=1)
    sign_up(app, outsider, session_id)
    sign_up(app, members[1], session_id)
    reader = client_of(app, members[0], "en")

    for url in ["/events/dawn-training/training", f"/organiser/events/{event.id}/training",
                f"/organiser/training/{session_id}/attendance", f"/organiser/training/{session_id}/edit",
                f"/organiser/events/{event.id}/training/attendance.xlsx", "/events/dawn-training"]:
        response = reader.get(url)
        assert response.status_code in (200, 403), url
        assert "Nasrin" not in response.get_data(as_text=True), url
        assert "Team B" not in response.get_data(as_text=True), url
    # Cancelling acts on the reader's own sign-up only: there is none, so nothing changes.
    reader.post(f"/training/{session_id}/cancel-signup")
    assert statuses(app, session_id) == {outsider.id: CONFIRMED, members[1].id: WAITLISTED}
    with app.app_context():
        assert [names for _, names in services.team_attendance(db.session.get(Team, team))] == [[]]
        assert [names for _, names in services.team_attendance(db.session.get(Team, team_b))] == [[]]


# --- capacity under concurrent sign-ups ----------------------------------------------------

def test_ten_concurrent_sign_ups_for_three_places_confirm_exactly_three(app, make, event, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has no row locks (it lets one writer at a time); the race needs PostgreSQL")
    people = [make.user() for _ in range(10)]
    factories.team_in(app, event.id, people[0], members=people[1:], name="گروه بزرگ")
    session_id = add_session(app, event.id, capacity=3)
    start = threading.Barrier(len(people))
    errors = []

    def sign_up_in_own_context(person):
        with app.app_context():
            try:
                user, session = db.session.get(User, person.id), db.session.get(TrainingSession, session_id)
                start.wait()
                services.sign_up(user, session, utcnow())
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported below
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sign_up_in_own_context, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    given = list(statuses(app, session_id).values())
    assert (given.count(CONFIRMED), given.count(WAITLISTED)) == (3, 7)
    with app.app_context():
        in_order = db.session.scalars(select(TrainingSignup.status).where(TrainingSignup.session_id == session_id)
                                      .order_by(TrainingSignup.id)).all()
    assert in_order == [CONFIRMED] * 3 + [WAITLISTED] * 7  # first come, first served
