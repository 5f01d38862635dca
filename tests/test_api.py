"""The partners' JSON API: tokens, scopes, what it shows and hides, writes, errors, limits, and its OpenAPI
document checked by Schemathesis."""
import hashlib
import json
import re
from datetime import date, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance
from sqlalchemy import select

from eventapp.api import services as api
from eventapp.api.enums import ApiScope
from eventapp.api.models import ApiToken
from eventapp.audit.models import AuditEntry
from eventapp.auth.models import User
from eventapp.core.database import utcnow
from eventapp.core.errors import Conflict, NotAllowed
from eventapp.core.extensions import db
from eventapp.pipeline.models import Project, Reading
from eventapp.teams.models import SUBMITTED, Indicator, MapAction, ProgressMap, Team, TeamMember

from . import factories
from .helpers import make_app, page_text
from .observatory_figures import POPULATION, import_figures

MEMBER_MOBILE, MEMBER_NATIONAL_ID, LEADER_EMAIL = "09351234567", "0012345678", "leader.private@example.com"
LEADER_MOBILE = "09127654321"
PRIVATE = (MEMBER_MOBILE, MEMBER_NATIONAL_ID, LEADER_EMAIL, LEADER_MOBILE, "team@example.com", "09120000000")


def issue(app, organiser, scopes=(ApiScope.READ, ApiScope.WRITE_PIPELINE), name="Partner Foundation") -> str:
    with app.app_context():
        _token, plaintext = api.issue_token(db.session.get(User, organiser.id), name, list(scopes), utcnow())
        db.session.commit()
        return plaintext


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def submitted_map(app, team_id: int, title: str = "نقشهٔ آب روستا") -> None:
    with app.app_context():
        team = db.session.get(Team, team_id)
        db.session.add(ProgressMap(
            team_id=team_id, title=title, province_id=team.province_id, county_id=team.county_id,
            knowledge="<p>چشمه‌های <strong>روستا</strong></p><p>دومین بند</p>", goals="<p>آب سالم</p>",
            status=SUBMITTED, submitted_at=utcnow(),
            indicators=[Indicator(position=0, name="خانوار با آب سالم", unit="خانوار", baseline=10, target=80,
                                  target_date=date(2027, 3, 20))],
            actions=[MapAction(position=0, what="لوله‌کشی", responsible="گروه", ends_on=date(2026, 9, 1))],
        ))
        db.session.commit()


@pytest.fixture
def world(app, make, organiser):
    """An event with approved and pending teams, a submitted map, published final results (which carry the
    winning map into the pipeline as a project with an indicator), and another event whose round is unpublished."""
    event = make.event(open_kind="judging", slug="dawn-1405", title_en="Dawn 1405")
    leader = make.user(name="سارا رهبر", email=LEADER_EMAIL, mobile=LEADER_MOBILE)
    judge = make.user(name="داور پنهان", roles=["judge"])
    winner = factories.team_in(app, event.id, leader_user=leader, name="گروه امید")
    runner_up = factories.team_in(app, event.id, name="گروه نور")
    pending = factories.team_in(app, event.id, status="pending", name="گروه در انتظار")
    with app.app_context():
        db.session.add(TeamMember(team_id=winner, event_id=event.id, name="عضو بی‌حساب", mobile=MEMBER_MOBILE,
                                  national_id=MEMBER_NATIONAL_ID))
        db.session.commit()
    submitted_map(app, winner)
    round_id = factories.final_round(app, organiser, event.id, [winner, runner_up], [judge.id])
    factories.submit_scores(app, round_id, [winner, runner_up])
    factories.publish(app, organiser, round_id)

    hidden = make.event(open_kind="judging", slug="hidden-results")
    hidden_team = factories.team_in(app, hidden.id, name="گروه بی‌نتیجه")
    hidden_round = factories.final_round(app, organiser, hidden.id, [hidden_team], [judge.id])
    factories.submit_scores(app, hidden_round, [hidden_team])  # scored, never published

    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.team_id == winner))
        assert project is not None, "publishing the final round carries the winning map into the pipeline"
        indicator_id = project.indicators[0].id
        return {"event": event, "slug": event.slug, "winner": winner, "runner_up": runner_up, "pending": pending,
                "project": project.id, "indicator": indicator_id, "judge": judge, "hidden_round": hidden_round}


# --- tokens ----------------------------------------------------------------------------------------------------


def test_an_organiser_issues_a_token_that_is_shown_once_and_stored_hashed(app, login, organiser):
    client = login(organiser)
    client.set_cookie("lang", "en")
    response = client.post("/organiser/api-tokens", data={"name": "بنیاد همراه", "scopes": [ApiScope.READ, ApiScope.WRITE_PIPELINE]})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    token = re.search(r"dp_[A-Za-z0-9_-]{43}", response.get_data(as_text=True)).group(0)
    assert "it is shown this once and cannot be shown again" in page_text(response)

    with app.app_context():
        row = db.session.scalar(select(ApiToken))
        assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert row.prefix == token[:10] and row.scopes == [ApiScope.READ, ApiScope.WRITE_PIPELINE]
        stored = json.dumps([str(getattr(row, column.key)) for column in ApiToken.__table__.columns])
        audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api.token_issued"))
        assert audit.actor_id == organiser.id and audit.changes["prefix"] == token[:10]
        every_entry = json.dumps([entry.changes for entry in db.session.scalars(select(AuditEntry))],
                                 ensure_ascii=False)
    assert token not in stored and token not in every_entry

    listed = client.get("/organiser/api-tokens")
    assert token not in listed.get_data(as_text=True), "the token is shown only once"
    assert token[:10] in listed.get_data(as_text=True) and "بنیاد همراه" in page_text(listed)
    assert client.get("/api/v1/events", headers=bearer(token)).status_code == 200


def test_a_token_needs_a_name_and_a_known_scope(app, login, organiser):
    client = login(organiser)
    response = client.post("/organiser/api-tokens", data={"name": "", "scopes": []})
    assert response.status_code == 422
    response = client.post("/organiser/api-tokens", data={"name": "x", "scopes": ["admin"]})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(ApiToken)) is None


def test_only_organisers_manage_tokens(app, login, member, organiser):
    client = login(member)
    assert client.get("/organiser/api-tokens").status_code == 403
    assert client.post("/organiser/api-tokens", data={"name": "x", "scopes": [ApiScope.READ]}).status_code == 403
    with app.app_context():
        with pytest.raises(NotAllowed):
            api.issue_token(db.session.get(User, member.id), "x", [ApiScope.READ], utcnow())


def test_a_revoked_token_is_refused(app, login, organiser):
    token = issue(app, organiser)
    client = app.test_client()
    assert client.get("/api/v1/events", headers=bearer(token)).status_code == 200
    with app.app_context():
        token_id = db.session.scalar(select(ApiToken.id))
    organiser_client = login(organiser)
    organiser_client.set_cookie("lang", "en")
    assert organiser_client.post(f"/organiser/api-tokens/{token_id}/revoke").status_code == 302
    assert "Revoked" in page_text(organiser_client.get("/organiser/api-tokens"))

    response = client.get("/api/v1/events", headers=bearer(token))
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    with app.app_context():
        assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "api.token_revoked")) is not None
        with pytest.raises(Conflict):
            api.revoke_token(db.session.get(User, organiser.id), token_id, utcnow())


@pytest.mark.parametrize("headers", [{}, {"Authorization": ""}, {"Authorization": "Bearer"},
                                     {"Authorization": "Basic dXNlcjpwYXNz"},
                                     {"Authorization": "Bearer dp_not-a-real-token"}])
def test_a_request_without_a_valid_token_gets_a_json_401(app, client, headers):
    response = client.get("/api/v1/events", headers=headers)
    assert response.status_code == 401
    assert response.is_json and set(response.json["error"]) >= {"code", "message"}


def test_the_session_cookie_of_a_signed_in_organiser_is_not_accepted(app, login, organiser, world):
    client = login(organiser)
    assert client.get("/organiser/api-tokens").status_code == 200  # signed in indeed
    assert client.get("/api/v1/events").status_code == 401
    assert client.get(f"/api/v1/projects/{world['project']}").status_code == 401
    response = client.post(f"/api/v1/projects/{world['project']}/notes", json={"body": "از مرورگر"})
    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers


def test_a_read_token_cannot_post(app, client, organiser, world):
    token = issue(app, organiser, [ApiScope.READ])
    response = client.post(f"/api/v1/projects/{world['project']}/notes", json={"body": "به‌روزرسانی"},
                           headers=bearer(token))
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"


def test_a_write_only_token_cannot_read(app, client, organiser, world):
    token = issue(app, organiser, [ApiScope.WRITE_PIPELINE])
    assert client.get("/api/v1/events", headers=bearer(token)).status_code == 403


def test_last_used_is_written_at_most_once_a_minute(app, organiser, ctx):
    actor = db.session.get(User, organiser.id)
    token, plaintext = api.issue_token(actor, "p", [ApiScope.READ], utcnow())
    start = utcnow()
    assert api.authenticate(f"Bearer {plaintext}", start).last_used_at == start
    assert api.authenticate(f"bearer {plaintext}", start + timedelta(seconds=30)).last_used_at == start
    later = start + timedelta(seconds=61)
    assert api.authenticate(f"Bearer {plaintext}", later).last_used_at == later


# --- reading -------------------------------------------------------------------------------------------------------


def test_lists_are_paginated(app, client, make, organiser):
    for _ in range(30):
        make.event()
    token = issue(app, organiser)
    first = client.get("/api/v1/events", headers=bearer(token)).json
    assert (len(first["items"]), first["page"], first["per_page"], first["total"], first["pages"]) == (25, 1, 25, 30, 2)
    second = client.get("/api/v1/events?page=2&per_page=25", headers=bearer(token)).json
    assert len(second["items"]) == 5
    assert {item["id"] for item in first["items"]}.isdisjoint(item["id"] for item in second["items"])
    assert len(client.get("/api/v1/events?per_page=100", headers=bearer(token)).json["items"]) == 30
    assert client.get("/api/v1/events?page=9", headers=bearer(token)).json["items"] == []
    for query, field in (("per_page=101", "per_page"), ("page=0", "page"), ("page=abc", "page"),
                         ("per_page=-1", "per_page"), ("page=1.5", "page")):
        response = client.get(f"/api/v1/events?{query}", headers=bearer(token))
        assert response.status_code == 400, query
        assert field in response.json["error"]["fields"]


def test_what_partners_read_never_shows_members_or_contacts(app, client, organiser, world):
    token = issue(app, organiser)
    paths = ["/api/v1/events", f"/api/v1/events/{world['slug']}", f"/api/v1/events/{world['slug']}/teams",
             f"/api/v1/events/{world['slug']}/results", f"/api/v1/teams/{world['winner']}",
             f"/api/v1/teams/{world['winner']}/map", "/api/v1/projects", f"/api/v1/projects/{world['project']}"]
    for path in paths:
        response = client.get(path, headers=bearer(token))
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        assert not [secret for secret in PRIVATE if secret in text], path
        assert "national_id" not in text and "mobile" not in text and "email" not in text, path
        assert "سارا رهبر" not in json.dumps(response.json, ensure_ascii=False), path  # no member names either
        assert "داور پنهان" not in json.dumps(response.json, ensure_ascii=False), path  # nor judges


def test_only_approved_teams_and_submitted_maps_are_shown(app, client, organiser, world):
    token = issue(app, organiser)
    teams = client.get(f"/api/v1/events/{world['slug']}/teams", headers=bearer(token)).json
    assert {team["id"] for team in teams["items"]} == {world["winner"], world["runner_up"]}
    assert teams["items"][0]["organisation"] == {"type": "jihadi", "name": "گروه جهادی نمونه"}
    assert client.get(f"/api/v1/teams/{world['pending']}", headers=bearer(token)).status_code == 404
    assert client.get(f"/api/v1/teams/{world['runner_up']}/map", headers=bearer(token)).status_code == 404
    progress_map = client.get(f"/api/v1/teams/{world['winner']}/map", headers=bearer(token)).json
    assert progress_map["sections"]["knowledge"] == "چشمه‌های روستا\nدومین بند"
    assert progress_map["indicators"][0]["target_date"] == "2027-03-20"
    assert progress_map["actions"][0]["what"] == "لوله‌کشی"


def test_results_show_only_published_rounds_without_judges_or_comments(app, client, organiser, world):
    token = issue(app, organiser)
    results = client.get(f"/api/v1/events/{world['slug']}/results", headers=bearer(token)).json
    assert [item["round"] for item in results["items"]] == ["final"]
    rows = results["items"][0]["rows"]
    assert [row["team"]["id"] for row in rows] == [world["winner"], world["runner_up"]]
    assert set(rows[0]) == {"rank", "tied", "team", "value", "award", "group"} and rows[0]["group"] is None
    assert results["items"][0]["by_group"] is False
    assert rows[0]["award"]
    text = json.dumps(results, ensure_ascii=False)
    assert "برنامهٔ زمانی روشن است." not in text  # the judges' comment
    hidden = client.get("/api/v1/events/hidden-results/results", headers=bearer(token))
    assert hidden.status_code == 200 and hidden.json["items"] == []


def test_projects_are_listed_with_filters_and_read_in_full(app, client, organiser, world):
    token = issue(app, organiser)
    listed = client.get("/api/v1/projects", headers=bearer(token)).json
    assert [item["id"] for item in listed["items"]] == [world["project"]]
    assert listed["items"][0]["stage"]["key"] == "selected"
    for query, count in ((f"event={world['slug']}", 1), ("event=hidden-results", 0), ("stage=selected", 1),
                         ("stage=completed", 0), ("province=999999", 0)):
        assert client.get(f"/api/v1/projects?{query}", headers=bearer(token)).json["total"] == count, query
    assert client.get("/api/v1/projects?province=x", headers=bearer(token)).status_code == 400
    assert client.get("/api/v1/projects?event=Bad%00", headers=bearer(token)).status_code == 400
    details = client.get(f"/api/v1/projects/{world['project']}", headers=bearer(token)).json
    assert details["indicators"][0]["name"] == "خانوار با آب سالم" and details["indicators"][0]["readings"] == []
    assert details["milestones"][0]["title"] == "لوله‌کشی"
    assert client.get("/api/v1/projects/2147483647", headers=bearer(token)).status_code == 404
    assert client.get("/api/v1/projects/99999999999", headers=bearer(token)).status_code == 404


def test_the_observatory_gives_the_figures_of_the_open_data_per_province(app, client, organiser, world):
    import_figures(app, organiser)
    token = issue(app, organiser)
    with app.app_context():
        province = db.session.get(Team, world["winner"]).province
        code, province_id = province.code, province.id
    figures = client.get("/api/v1/observatory", headers=bearer(token)).json
    assert figures["licence"]["name"] == "CC BY 4.0" and figures["event"] is None and figures["need"] == "deprivation"
    assert [row["code"] for row in figures["provinces"]] == list(range(31))
    row = next(row for row in figures["provinces"] if row["code"] == code)
    # Both events' teams; the pending one counts as registered, not as approved; both awards of the final round.
    assert (row["id"], row["teams"], row["approved_teams"], row["maps"], row["winners"], row["projects"]) == (
        province_id, 4, 3, 1, 2, 1)
    assert row["references"]["population"] == POPULATION[code]
    assert row["support_per_100k"]["winners"] == pytest.approx(2 * 100_000 / POPULATION[code])
    assert figures["totals"]["winners"] == 2 and {stage["key"] for stage in figures["stages"]} >= {"selected"}
    published = client.get("/observatory/data.json").json
    assert {**published, "computed_at": None} == {**figures, "computed_at": None}

    def get(query):
        return client.get(f"/api/v1/observatory?{query}", headers=bearer(token))

    assert get(f"event={world['slug']}").json["totals"]["teams"] == 3
    assert get("event=hidden-results").json["totals"]["winners"] == 0
    assert get("need=population").json["need"] == "population"
    assert get("need=nothing-like-it").status_code == 404 and get("event=no-such-event").status_code == 404
    for query, field in (("need=Bad!", "need"), ("event=Not_A_Slug", "event")):
        response = get(query)
        assert response.status_code == 400 and field in response.json["error"]["fields"], query
    assert client.get("/api/v1/observatory").status_code == 401


# --- writing -------------------------------------------------------------------------------------------------------


def test_a_partner_posts_a_reading_that_shows_in_the_project_and_the_audit_log(app, client, organiser, world):
    token = issue(app, organiser, name="Partner Foundation")
    path = f"/api/v1/projects/{world['project']}/indicators/{world['indicator']}/readings"
    response = client.post(path, json={"taken_on": "2025-01-10", "value": 42.5, "source": "سرشماری"},
                           headers=bearer(token))
    assert response.status_code == 201, response.json
    assert response.json["value"] == 42.5 and response.json["verified"] is False

    details = client.get(f"/api/v1/projects/{world['project']}", headers=bearer(token)).json
    readings = details["indicators"][0]["readings"]
    assert [(item["taken_on"], item["value"], item["verified"]) for item in readings] == [("2025-01-10", 42.5, False)]
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "pipeline.reading_posted"))
        assert entry.actor_id is None
        assert entry.changes["api_token"] == f"Partner Foundation ({token[:10]}…)"
        assert db.session.scalar(select(Reading)).posted_by_id is None


def test_a_partner_posts_an_update(app, client, organiser, world):
    token = issue(app, organiser)
    response = client.post(f"/api/v1/projects/{world['project']}/notes", json={"body": "  تفاهم‌نامه امضا شد  "},
                           headers=bearer(token))
    assert response.status_code == 201
    assert response.json["body"] == "تفاهم‌نامه امضا شد"
    assert client.get(f"/api/v1/projects/{world['project']}", headers=bearer(token)).json["notes"] == 1
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "pipeline.note_posted"))
        assert entry.changes["api_token"].startswith("Partner Foundation")


def test_a_bad_reading_is_refused_with_a_message_for_each_field(app, client, organiser, world):
    token = issue(app, organiser)
    path = f"/api/v1/projects/{world['project']}/indicators/{world['indicator']}/readings"
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    response = client.post(path, json={"taken_on": tomorrow, "value": "many"}, headers=bearer(token))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "invalid"
    assert set(response.json["error"]["fields"]) == {"taken_on", "value"}
    for body, fields in (({}, {"taken_on", "value"}), ({"taken_on": "10/01/2025", "value": 1}, {"taken_on"}),
                         ({"taken_on": "2025-02-30", "value": 1}, {"taken_on"}),
                         ({"taken_on": "2025-01-01", "value": True}, {"value"}),
                         ({"taken_on": "2025-01-01", "value": 1, "source": "x" * 301}, {"source"}),
                         ({"taken_on": "2025-01-01", "value": 1, "note": "a\x00b"}, {"note"})):
        response = client.post(path, json=body, headers=bearer(token))
        assert response.status_code == 422, body
        assert set(response.json["error"]["fields"]) == fields, body
    with app.app_context():
        assert db.session.scalar(select(Reading)) is None


def test_bodies_must_be_json_objects(app, client, organiser, world):
    token = issue(app, organiser)
    path = f"/api/v1/projects/{world['project']}/notes"
    assert client.post(path, data="body=x", headers=bearer(token)).status_code == 415
    response = client.post(path, data="{not json", content_type="application/json", headers=bearer(token))
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"
    assert client.post(path, data="[1]", content_type="application/json", headers=bearer(token)).status_code == 400
    assert client.post(path, data='{"body": NaN}', content_type="application/json",
                       headers=bearer(token)).status_code == 400
    assert client.post(path, json={"body": "   "}, headers=bearer(token)).status_code == 422
    assert client.post(f"/api/v1/projects/{world['project']}/indicators/2147483647/readings",
                       json={"taken_on": "2025-01-01", "value": 1}, headers=bearer(token)).status_code == 404


# --- errors and limits --------------------------------------------------------------------------------------------


def test_unknown_addresses_and_methods_answer_json_but_the_site_stays_html(app, client, organiser):
    token = issue(app, organiser)
    response = client.get("/api/v1/nothing/here", headers=bearer(token))
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    response = client.delete("/api/v1/events", headers=bearer(token))
    assert response.status_code == 405 and response.json["error"]["code"] == "method_not_allowed"
    assert "GET" in response.headers["Allow"]
    assert client.get("/api/v1/teams/0", headers=bearer(token)).status_code == 404
    site = client.get("/no-such-page")
    assert site.status_code == 404 and site.mimetype == "text/html"


def test_an_unexpected_error_is_a_logged_json_500(app, client, organiser, monkeypatch, caplog):
    token = issue(app, organiser)

    def broken(page, per_page):
        raise RuntimeError("boom")

    monkeypatch.setattr(api, "events_page", broken)
    response = client.get("/api/v1/events", headers=bearer(token))
    assert response.status_code == 500 and response.json["error"]["code"] == "server_error"
    assert "boom" not in response.get_data(as_text=True) and "boom" in caplog.text


def test_requests_are_rate_limited_per_token(app, client, organiser, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    token, other = issue(app, organiser), issue(app, organiser, name="Another partner")
    for _ in range(3):
        assert client.get("/api/v1/events", headers=bearer(token)).status_code == 200
    response = client.get("/api/v1/events", headers=bearer(token))
    assert response.status_code == 429
    assert response.json["error"]["code"] == "rate_limited" and "Retry-After" in response.headers
    assert client.get("/api/v1/events", headers=bearer(other)).status_code == 200


def test_the_api_takes_no_csrf_token_but_the_token_page_does(app, database_url, organiser, world):
    protected = make_app(database_url, WTF_CSRF_ENABLED=True).test_client()
    token = issue(app, organiser)
    response = protected.post(f"/api/v1/projects/{world['project']}/notes", json={"body": "بدون CSRF"},
                              headers=bearer(token))
    assert response.status_code == 201
    html = protected.get("/signin").get_data(as_text=True)
    csrf = html.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
    protected.post("/signin", data={"email": organiser.email, "password": factories.TEST_PASSWORD, "csrf_token": csrf})
    assert protected.post("/organiser/api-tokens", data={"name": "x", "scopes": [ApiScope.READ]}).status_code == 400


def test_messages_follow_accept_language_not_the_language_cookie(app, client, organiser):
    token = issue(app, organiser)
    client.set_cookie("lang", "fa")
    english = client.get("/api/v1/events/no-such-event", headers={**bearer(token), "Accept-Language": "en"})
    persian = client.get("/api/v1/events/no-such-event", headers={**bearer(token), "Accept-Language": "fa"})
    assert english.json["error"]["message"] == "There is no such event."
    assert persian.json["error"]["message"] != "There is no such event."


# --- the OpenAPI document, and Schemathesis against it -------------------------------------------------------------


def test_the_openapi_document_is_served_without_a_token(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.json
    assert document["openapi"].startswith("3.") and document["servers"] == [{"url": "/api/v1"}]
    assert set(document["paths"]) == {
        "/events", "/events/{slug}", "/events/{slug}/teams", "/events/{slug}/results", "/teams/{team_id}",
        "/teams/{team_id}/map", "/projects", "/projects/{project_id}", "/projects/{project_id}/notes",
        "/projects/{project_id}/indicators/{indicator_id}/readings", "/observatory"}
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_schemathesis_finds_no_server_error_and_every_answer_matches_the_document(app, organiser, world,
                                                                                   monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "100000 per minute")
    import_figures(app, organiser)  # so that the observatory's answers have reference figures and ranks
    token = issue(app, organiser)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # Real ids and slugs half the time, so that the answers with data are checked too, not only the 404s.
    known = {"slug": world["slug"], "team_id": world["winner"], "project_id": world["project"],
             "indicator_id": world["indicator"]}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 11
    for operation in operations:
        fixed = {parameter.name: known[parameter.name] for parameter in operation.path_parameters}
        strategy = st.one_of(operation.as_strategy(), operation.as_strategy(path_parameters=fixed)) if fixed \
            else operation.as_strategy()

        @given(case=strategy)
        @settings(max_examples=25, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            # Schemathesis' WSGI transport asks for compressed answers and does not decompress them (an HTTP
            # client would); the answers themselves are what is checked here, so they come uncompressed.
            case.call_and_validate(headers={**bearer(token), "Accept-Encoding": "identity"},
                                   checks=[not_a_server_error, response_schema_conformance])

        check()
