"""The public pages' cache (core/page_cache.py): served without the database to visitors who are not signed in,
per language, never stale after a commit that changes what they show, on every app server alike."""
import gzip
import os
import signal
from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import delete

from eventapp.auth.models import RoleGrant
from eventapp.core import page_cache
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.events.models import Event
from eventapp.notifications.enums import Kind
from eventapp.notifications.models import Notification

from . import factories
from .helpers import get, make_app, signed_in

PUBLIC_PAGES = ("/", "/events/{slug}", "/events/{slug}/results", "/observatory", "/events/{slug}/observatory")


def _page(client, path, language="fa"):
    client.set_cookie("lang", language)
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _rename(app, event_id, title_fa, title_en):
    with app.app_context():
        event = get(Event, event_id)
        event.title_fa, event.title_en = title_fa, title_en
        db.session.commit()


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_public_page_is_served_again_without_the_database(app, make, client, count_queries, path):
    event = make.event(open_kind="registration")
    address = path.format(slug=event.slug)
    first = _page(client, address)
    with count_queries() as queries:
        again = _page(app.test_client(), address)
    assert queries == []
    # The same page, but for the token of the forms, which is each visitor's own.
    assert again.replace(_token(again), "") == first.replace(_token(first), "")


def _token(page: str) -> str:
    start = page.index('name="csrf_token" value="') + len('name="csrf_token" value="')
    return page[start:page.index('"', start)]


def test_the_token_of_a_cached_page_is_the_visitors_own_and_accepted(app, make):
    csrf_app = make_app(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    make.event()
    first, second = csrf_app.test_client(), csrf_app.test_client()
    _page(first, "/")
    page = _page(second, "/")  # from the cache
    token = _token(page)
    assert token and token != _token(_page(first, "/"))
    switched = second.post("/language", data={"csrf_token": token, "language": "en", "next": "/"})
    assert switched.status_code == 302
    refused = second.post("/language", data={"csrf_token": _token(_page(first, "/")), "language": "en", "next": "/"})
    assert refused.status_code == 400


def test_each_language_has_its_own_copy_with_its_digits(app, make, client):
    event = make.event(title_fa="جشنواره ۱۴۰۵", title_en="Festival 1405")
    address = f"/events/{event.slug}"
    persian, english = _page(client, address, "fa"), _page(client, address, "en")
    assert "جشنواره ۱۴۰۵" in persian and 'lang="fa"' in persian
    assert "Festival 1405" in english and 'lang="en"' in english
    assert _page(client, address, "fa").count("۱۴۰۵") == persian.count("۱۴۰۵")  # digits put in once, not twice


def test_an_edit_shows_at_once(app, make, client):
    event = make.event(title_fa="نام نخست", title_en="First name")
    for path in PUBLIC_PAGES:
        _page(client, path.format(slug=event.slug))
    _rename(app, event.id, "نام تازه", "New name")
    assert "نام تازه" in _page(client, f"/events/{event.slug}")
    assert "نام تازه" in _page(client, "/")
    assert "New name" in _page(client, "/", "en")


def test_a_publication_shows_at_once_on_the_public_results(app, make, organiser, client):
    event = make.event(open_kind="judging")
    judge = make.user(roles=["judge"])
    team_ids = [factories.team_in(app, event.id, name=name) for name in ("گروه آبی", "گروه سبز")]
    round_id = factories.final_round(app, organiser, event.id, team_ids, [judge.id])
    factories.submit_scores(app, round_id, team_ids)
    before = _page(client, f"/events/{event.slug}/results")
    assert "گروه آبی" not in before
    factories.publish(app, organiser, round_id)
    assert "گروه آبی" in _page(client, f"/events/{event.slug}/results")


def test_a_signed_in_page_is_each_persons_own(app, make, client, member, organiser):
    make.event()
    _page(client, "/")
    signed_in(client, member)
    assert member.name in _page(client, "/")
    other = signed_in(app.test_client(), organiser)
    page = _page(other, "/")
    assert organiser.name in page and member.name not in page


def test_a_waiting_message_gets_a_fresh_page_and_is_not_kept(app, make):
    make.event()
    anonymous = app.test_client()
    with anonymous.session_transaction() as session:
        session["_flashes"] = [("success", "پیام شما")]
    assert "پیام شما" in _page(anonymous, "/")
    assert "پیام شما" not in _page(app.test_client(), "/")


def test_a_write_to_a_table_the_page_did_not_read_leaves_it_cached(app, make, member, count_queries):
    make.event()
    _page(app.test_client(), "/")
    with app.app_context():
        db.session.add(Notification(recipient_id=member.id, kind=Kind.ANNOUNCEMENT, subject="x", created_at=utcnow()))
        db.session.commit()
    with count_queries() as queries:
        _page(app.test_client(), "/")
    assert queries == []


def test_the_unread_count_of_a_cached_page_follows_new_notifications(app, make, member):
    make.event()
    client = signed_in(app.test_client(), member)
    assert 'data-testid="unread-count"' not in _page(client, "/")
    with app.app_context():
        db.session.add(Notification(recipient_id=member.id, kind=Kind.ANNOUNCEMENT, subject="x", created_at=utcnow()))
        db.session.commit()
    assert 'data-testid="unread-count"' in _page(client, "/")


def test_an_organiser_who_loses_the_role_no_longer_gets_the_cached_list(app, make, organiser):
    event = make.event()
    client = signed_in(app.test_client(), organiser)
    address = f"/organiser/events/{event.id}/teams"
    assert client.get(address).status_code == 200
    assert client.get(address).status_code == 200  # from the cache
    with app.app_context():
        db.session.execute(delete(RoleGrant).where(RoleGrant.user_id == organiser.id))
        db.session.commit()
    assert client.get(address).status_code in (403, 404)


def test_a_page_expires_by_the_next_phase_boundary(app, make):
    soon = utcnow() + timedelta(seconds=20)
    with app.test_request_context("/"):
        page_cache.expire_by(soon + timedelta(seconds=40))
        page_cache.expire_by(soon)
        page_cache.expire_by(soon + timedelta(hours=1))
        assert g.page_cache_expires == soon
        assert 1 <= page_cache._timeout() <= 20


@pytest.mark.parametrize("shared", ["file", "redis"])
def test_a_change_on_one_server_is_seen_by_the_others(app, make, shared, request):
    """Two app servers (two apps on the same database: two processes of gunicorn, or two machines with Redis)."""
    overrides = {}
    if shared == "redis":
        overrides["REDIS_URL"] = request.getfixturevalue("redis_url")
    first, second = (make_app(app.config["SQLALCHEMY_DATABASE_URI"], **overrides) for _ in range(2))
    event = make.event(title_fa="نام نخست", title_en="First name")
    address = f"/events/{event.slug}"
    assert "نام نخست" in _page(second.test_client(), address)
    _rename(first, event.id, "نام تازه", "New name")
    assert "نام تازه" in _page(second.test_client(), address)


def test_a_cache_that_does_not_answer_never_fails_a_page(app, make, caplog):
    unreachable = make_app(app.config["SQLALCHEMY_DATABASE_URI"], REDIS_URL="redis://127.0.0.1:9/0",
                           JOBS_BACKEND="inline")
    make.event(title_fa="بی‌حافظه")
    assert "بی‌حافظه" in _page(unreachable.test_client(), "/")
    assert "rendered afresh" in caplog.text


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_a_cached_page_is_sent_compressed_once_with_the_visitors_token_put_in(app, make, path):
    csrf_app = make_app(app.config["SQLALCHEMY_DATABASE_URI"], WTF_CSRF_ENABLED=True)
    event = make.event(open_kind="registration")
    address = path.format(slug=event.slug)
    _page(csrf_app.test_client(), address)  # stored
    visitor = csrf_app.test_client()
    visitor.set_cookie("lang", "fa")
    packed = visitor.get(address, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    page = gzip.decompress(packed.data).decode()
    plain = _page(visitor, address)
    assert page.replace(_token(page), "") == plain.replace(_token(plain), "")
    assert page.count(_token(page)) == page.count('name="csrf_token"') > 0
    switched = visitor.post("/language", data={"csrf_token": _token(page), "language": "en", "next": "/"})
    assert switched.status_code == 302


def test_the_workers_of_one_start_share_pages_and_a_new_start_takes_none_of_them(app, make):
    """Without Redis the pages are files of the machine: a gunicorn worker forked from the same app (one restarted
    after max_requests) finds them, and an app started again, whose database may have been replaced meanwhile
    without a commit it could see, renders afresh."""
    event = make.event(title_fa="نام نخست", title_en="First name")
    address = f"/events/{event.slug}"
    started = make_app(app.config["SQLALCHEMY_DATABASE_URI"])
    assert "نام نخست" in _page(started.test_client(), address)
    with app.app_context(), db.engine.begin() as connection:  # a change no session of these apps saw (a backup)
        connection.execute(Event.__table__.update().where(Event.id == event.id).values(title_fa="نام تازه"))
    worker = os.fork()
    if worker == 0:  # a worker forked from the same start: the stored page
        signal.alarm(30)  # a lock another thread held at the fork can never stop the suite
        try:
            os._exit(0 if "نام نخست" in _page(started.test_client(), address) else 1)
        finally:
            os._exit(2)
    assert os.waitpid(worker, 0)[1] == 0
    assert "نام تازه" in _page(make_app(app.config["SQLALCHEMY_DATABASE_URI"]).test_client(), address)


def test_a_signed_in_persons_cached_page_is_served_without_the_database_until_their_rows_change(
        app, make, organiser, count_queries):
    event = make.event()
    client = signed_in(app.test_client(), organiser)
    address = f"/organiser/events/{event.id}/teams"
    assert client.get(address).status_code == 200
    with count_queries() as queries:
        assert client.get(address).status_code == 200  # the person and the page from the cache
    assert queries == []
    with app.app_context():  # signed out everywhere: the session's version is no longer the account's
        get(type(organiser), organiser.id).session_version += 1
        db.session.commit()
    assert client.get(address).status_code == 302


def test_what_changes_something_loads_the_person_afresh(app, make, organiser, count_queries):
    event = make.event()
    client = signed_in(app.test_client(), organiser)
    client.get(f"/organiser/events/{event.id}/teams")
    with count_queries() as queries:
        client.post("/language", data={"language": "en", "next": "/"})
    assert any("FROM users" in statement for statement in queries)


def test_no_copy_of_a_person_in_the_cache_holds_their_password_hash(app, make, member):
    make.event()
    client = signed_in(app.test_client(), member)
    _page(client, "/")
    with app.test_request_context("/"):
        stored = page_cache.cached(f"user:{member.id}")
    assert stored is not None and stored["object"].id == member.id
    assert "password_hash" not in vars(stored["object"])
