"""Progress maps: drafts that any member saves at any time, concurrent saves, sanitised rich text, the
leader's submission during the submission phase, locking and reopening, revisions and their differences,
attachments checked by their content, and the organisers' list of maps."""
import hashlib
import html
import io
import re
from datetime import date, timedelta
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from eventapp.audit.models import AuditEntry
from eventapp.auth.models import User
from eventapp.core.database import utcnow
from eventapp.core.errors import Conflict, DeadlinePassed, Invalid
from eventapp.core.extensions import db
from eventapp.core.text import text_of_html
from eventapp.teams import richtext, services
from eventapp.teams.models import MapRevision, ProgressMap, Team
from eventapp.teams.services.maps import STALE_DRAFT

from . import factories
from .factories import complete_draft
from .helpers import get, places, visible

SECOND = timedelta(seconds=1)
SECTIONS = ("knowledge", "capacities", "goals", "people_role", "sustainability")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")
STALE = ("Someone else in your team saved the map while you were editing it. Your changes were not saved: "
         "copy what you wrote, reload the page to see the latest version, and add your changes to it.")
LOCKED = "The map was submitted and is locked. Ask the organisers to reopen it."


# --- helpers ---------------------------------------------------------------------------------------

@pytest.fixture
def crew(app, make):
    """An approved team of an event in its submission phase: a leader and two members (the minimum is 3)."""
    return make_crew(app, make, "submission")


def make_crew(app, make, open_kind, status="approved", members=2, name="گروه نقشه"):
    leader = make.user(name="لیلا رهبر")
    others = [make.user(name=f"عضو {n}") for n in range(members)]
    event = make.event(open_kind=open_kind)
    team_id = factories.team_in(app, event.id, leader, members=others, status=status, name=name)
    return SimpleNamespace(leader=leader, members=others, member=others[0] if others else None, event=event,
                           team_id=team_id, place=places(app))


def save(app, crew, draft=None, user=None) -> int:
    """Save a draft through the service, as ``user`` (the leader by default); returns the new version."""
    with app.app_context():
        team = get(Team, crew.team_id)
        current = services.map_of(team)
        progress_map = services.save_draft(get(User, (user or crew.leader).id), team,
                                           draft or complete_draft(crew.place),
                                           current.version if current else None, utcnow())
        db.session.commit()
        return progress_map.version


def submit(app, crew, now=None):
    with app.app_context():
        revision = services.submit_map(get(User, crew.leader.id), get(Team, crew.team_id), now or utcnow())
        db.session.commit()
        return revision.number


def stored(app, crew) -> SimpleNamespace | None:
    """The map as the database holds it, read in a fresh context."""
    with app.app_context():
        progress_map = db.session.scalar(select(ProgressMap).where(ProgressMap.team_id == crew.team_id))
        if progress_map is None:
            return None
        return SimpleNamespace(
            **{name: getattr(progress_map, name) for name in (
                "id", "title", "province_id", "county_id", "district", "latitude", "longitude", "status", "version",
                "updated_by_id", *SECTIONS)},
            indicators=[(i.name, i.unit, i.baseline, i.target, i.target_date) for i in progress_map.indicators],
            actions=[(a.what, a.responsible, a.starts_on, a.ends_on, a.resources) for a in progress_map.actions],
            attachments=[(a.original_name, a.content_type, a.size, a.sha256) for a in progress_map.attachments],
        )


def form_data(place, version="", **overrides) -> dict:
    """What the editor posts: every field, one indicator row and one action row."""
    data = {
        "version": str(version), "title": "نقشه روستا", "province": str(place.province),
        "county": str(place.county), "district": "", "latitude": "", "longitude": "",
        **dict.fromkeys(SECTIONS, ""),
        **{f"indicators-0-{name}": "" for name in ("name", "unit", "baseline", "target", "target_date")},
        **{f"actions-0-{name}": "" for name in ("what", "responsible", "starts_on", "ends_on", "resources")},
    }
    return {**data, **overrides}


def version_in(response) -> str:
    return re.search(r'<input[^>]*name="version"[^>]*value="(\d*)"', response.get_data(as_text=True)).group(1)


def flashed_on_editor(client, crew) -> str:
    return visible(client.get(f"/teams/{crew.team_id}/map"))


# --- drafts ----------------------------------------------------------------------------------------

def test_any_member_saves_a_draft(app, client_for, crew):
    response = client_for(crew.member).post(f"/teams/{crew.team_id}/map", data=form_data(
        crew.place, title="نقشه روستاي كوچك", knowledge="شناخت منطقه"))
    assert response.status_code == 302
    saved = stored(app, crew)
    assert (saved.title, saved.status, saved.updated_by_id) == ("نقشه روستای کوچک", "draft", crew.member.id)
    assert saved.knowledge == "<p>شناخت منطقه</p>"


def test_a_draft_is_saved_and_kept_after_the_submission_phase_ended(app, client_for, make):
    crew = make_crew(app, make, "judging")
    save(app, crew)
    client = client_for(crew.member)
    version = version_in(client.get(f"/teams/{crew.team_id}/map"))
    response = client.post(f"/teams/{crew.team_id}/map", data=form_data(crew.place, version, title="بعد از مهلت"))
    assert response.status_code == 302
    assert stored(app, crew).title == "بعد از مهلت"


def test_a_team_writes_its_map_only_once_approved(app, client_for, make):
    crew = make_crew(app, make, "submission", status="pending")
    client = client_for(crew.leader)
    client.set_cookie("lang", "en")
    response = client.post(f"/teams/{crew.team_id}/map", data=form_data(crew.place))
    assert response.status_code == 409
    assert "Your team can write its progress map once the organisers approve it." in visible(response)
    assert stored(app, crew) is None


@pytest.mark.parametrize("existing", [True, False], ids=["a saved map", "a map not saved yet"])
def test_the_second_of_two_concurrent_saves_is_refused_and_told_what_to_do(app, client_for, crew, existing):
    if existing:
        save(app, crew)
    maryam, hossein = client_for(crew.members[0]), client_for(crew.members[1])
    hossein.set_cookie("lang", "en")
    maryam_version = version_in(maryam.get(f"/teams/{crew.team_id}/map"))
    hossein_version = version_in(hossein.get(f"/teams/{crew.team_id}/map"))

    first = maryam.post(f"/teams/{crew.team_id}/map", data=form_data(crew.place, maryam_version,
                                                                     knowledge="نوشته مریم"))
    assert first.status_code == 302
    second = hossein.post(f"/teams/{crew.team_id}/map", data=form_data(crew.place, hossein_version,
                                                                       knowledge="نوشته حسین"))
    assert second.status_code == 409
    assert STALE in visible(second)
    assert "نوشته حسین" in visible(second)  # still in the form, to copy
    saved = stored(app, crew)
    assert (saved.knowledge, saved.updated_by_id) == ("<p>نوشته مریم</p>", crew.members[0].id)


def test_a_save_that_loses_the_race_between_reading_and_writing_overwrites_nothing(app, crew, monkeypatch):
    save(app, crew)
    clean_html, raced = richtext.clean_html, []

    def another_save_lands_meanwhile(value):
        if not raced:
            raced.append(True)
            with db.engine.begin() as other:
                other.execute(text("UPDATE progress_maps SET knowledge = :text, version = version + 1 "
                                   "WHERE team_id = :team"), {"text": "<p>نوشته دیگری</p>", "team": crew.team_id})
        return clean_html(value)

    monkeypatch.setattr(richtext, "clean_html", another_save_lands_meanwhile)
    with app.app_context():
        team = get(Team, crew.team_id)
        version = services.map_of(team).version
        with pytest.raises(Conflict) as refused:
            services.save_draft(get(User, crew.member.id), team,
                                complete_draft(crew.place, sections={"knowledge": "نوشته من"}), version, utcnow())
        db.session.rollback()
    assert raced
    assert str(refused.value) == str(STALE_DRAFT)
    assert stored(app, crew).knowledge == "<p>نوشته دیگری</p>"


def test_two_first_saves_at_once_tell_the_second_what_to_do(app, crew, monkeypatch):
    clean_html, raced = richtext.clean_html, []

    def another_first_save_lands_meanwhile(value):
        if not raced:
            raced.append(True)
            with Session(db.engine) as other:
                other.add(ProgressMap(team_id=crew.team_id, knowledge="<p>نوشته دیگری</p>",
                                      updated_by_id=crew.members[1].id))
                other.commit()
        return clean_html(value)

    monkeypatch.setattr(richtext, "clean_html", another_first_save_lands_meanwhile)
    with app.app_context():
        try:
            with pytest.raises(Conflict):
                services.save_draft(get(User, crew.member.id), get(Team, crew.team_id),
                                    complete_draft(crew.place, sections={"knowledge": "نوشته من"}), None, utcnow())
        finally:
            db.session.rollback()
    assert raced
    assert stored(app, crew).knowledge == "<p>نوشته دیگری</p>"


@pytest.mark.parametrize("dangerous, gone", [
    ('<p>متن</p><script>alert("x")</script>', ("<script", "alert")),
    ('<p>متن</p><img src="x" onerror="alert(1)">', ("onerror", "alert", "<img")),
    ('<p><a href="javascript:alert(1)">پیوند</a></p>', ("javascript:", "alert")),
    ('<p onclick="alert(1)" style="color:red">متن</p>', ("onclick", "style", "alert")),
    ('<iframe src="https://evil.example"></iframe><p>متن</p>', ("iframe", "evil")),
])
def test_rich_text_is_sanitised_on_save(app, client_for, crew, dangerous, gone):
    client_for(crew.member).post(f"/teams/{crew.team_id}/map", data=form_data(crew.place, knowledge=dangerous))
    knowledge = stored(app, crew).knowledge
    assert "متن" in knowledge or "پیوند" in knowledge
    for part in gone:
        assert part not in knowledge


def test_rich_text_keeps_strong_lists_and_safe_links(app, client_for, crew):
    written = ('<p>یک <strong>مهم</strong> و <em>تاکید</em></p><ul><li>اول</li><li>دوم</li></ul>'
               '<ol><li>گام</li></ol><p><a href="https://example.org/a">منبع</a></p>')
    client_for(crew.member).post(f"/teams/{crew.team_id}/map", data=form_data(crew.place, goals=written))
    goals = stored(app, crew).goals
    for kept in ("<strong>مهم</strong>", "<em>تاکید</em>", "<ul><li>اول</li><li>دوم</li></ul>", "<ol><li>گام</li></ol>",
                 'href="https://example.org/a"'):
        assert kept in goals


def test_plain_text_with_blank_lines_becomes_paragraphs(app, client_for, crew):
    written = "بند اول\r\nادامه بند اول\r\n\r\nبند دوم & سوم"
    client_for(crew.member).post(f"/teams/{crew.team_id}/map", data=form_data(crew.place, people_role=written))
    people_role = stored(app, crew).people_role
    paragraphs = re.findall(r"<p>(.*?)</p>", people_role, re.S)
    assert [re.sub(r"\s*<br>\s*", " / ", p).strip() for p in paragraphs] == [
        "بند اول / ادامه بند اول", "بند دوم &amp; سوم"]


@pytest.mark.parametrize("latitude, longitude", [
    ("10", "51.4"),      # south of Iran
    ("41.5", "51.4"),    # north of Iran
    ("35.7", "40"),      # west of Iran
    ("35.7", "70.1"),    # east of Iran
])
def test_a_point_outside_iran_is_refused(app, client_for, crew, latitude, longitude):
    client = client_for(crew.member)
    client.set_cookie("lang", "en")
    response = client.post(f"/teams/{crew.team_id}/map", data=form_data(
        crew.place, latitude=latitude, longitude=longitude))
    assert response.status_code == 422
    assert "This point is not in Iran: check the latitude and the longitude." in visible(response)
    assert stored(app, crew) is None


def test_a_point_needs_both_its_latitude_and_its_longitude(app, client_for, crew):
    client = client_for(crew.member)
    client.set_cookie("lang", "en")
    response = client.post(f"/teams/{crew.team_id}/map", data=form_data(crew.place, latitude="35.7"))
    assert response.status_code == 422
    assert "Give both the latitude and the longitude, or neither." in visible(response)


def test_the_target_county_must_belong_to_the_target_province(app, client_for, crew):
    client = client_for(crew.member)
    client.set_cookie("lang", "en")
    response = client.post(f"/teams/{crew.team_id}/map",
                           data=form_data(crew.place, county=str(crew.place.other_county)))
    assert response.status_code == 422
    assert "Choose a county of the chosen province." in visible(response)
    assert stored(app, crew) is None


def test_indicator_and_action_rows_come_from_the_form_and_blank_rows_are_ignored(app, client_for, crew):
    rows = {}
    for index, name in enumerate(["سواد", "", "درآمد"]):
        rows |= {f"indicators-{index}-name": name, f"indicators-{index}-unit": "درصد" if name else "",
                 f"indicators-{index}-baseline": "", f"indicators-{index}-target": "",
                 f"indicators-{index}-target_date": ""}
    for index, what in enumerate(["", "جلسه با دهیاری"]):
        rows |= {f"actions-{index}-what": what, f"actions-{index}-responsible": "",
                 f"actions-{index}-starts_on": "", f"actions-{index}-ends_on": "", f"actions-{index}-resources": ""}
    response = client_for(crew.member).post(f"/teams/{crew.team_id}/map", data=form_data(crew.place, **rows))
    assert response.status_code == 302
    saved = stored(app, crew)
    assert [row[:2] for row in saved.indicators] == [("سواد", "درصد"), ("درآمد", "درصد")]
    assert [row[0] for row in saved.actions] == ["جلسه با دهیاری"]


def test_a_row_posted_with_only_its_name_is_saved(app, client_for, crew):
    response = client_for(crew.member).post(f"/teams/{crew.team_id}/map", data={
        "version": "", "title": "نقشه", "indicators-0-name": "سواد", "actions-0-what": "جلسه"})
    assert response.status_code == 302
    saved = stored(app, crew)
    assert ([row[0] for row in saved.indicators], [row[0] for row in saved.actions]) == (["سواد"], ["جلسه"])


def test_persian_digits_and_jalali_dates_are_accepted(app, client_for, crew):
    response = client_for(crew.member).post(f"/teams/{crew.team_id}/map", data=form_data(
        crew.place, latitude="۳۵٫۷", longitude="٥١٫٤",
        **{"indicators-0-name": "اشتغال", "indicators-0-baseline": "۱۲٫۵", "indicators-0-target": "١,٢٠٠",
           "indicators-0-target_date": "۱۴۰۵/۰۱/۱۵", "actions-0-what": "کارگاه",
           "actions-0-starts_on": "۱۴۰۵/۰۱/۱۵", "actions-0-ends_on": "1405/02/01"}))
    assert response.status_code == 302
    saved = stored(app, crew)
    assert (saved.latitude, saved.longitude) == (35.7, 51.4)
    assert saved.indicators == [("اشتغال", "", 12.5, 1200.0, date(2026, 4, 4))]
    assert saved.actions[0][2:4] == (date(2026, 4, 4), date(2026, 4, 21))


def test_an_action_cannot_end_before_it_starts(app, client_for, crew):
    client = client_for(crew.member)
    client.set_cookie("lang", "en")
    response = client.post(f"/teams/{crew.team_id}/map", data=form_data(crew.place, **{
        "actions-0-what": "کارگاه", "actions-0-starts_on": "2026-05-01", "actions-0-ends_on": "2026-04-01"}))
    assert response.status_code == 422
    assert "The end must come after the start." in visible(response)


# --- submission ---------------------------------------------------------------------------------------

def test_the_leader_submits_the_map_which_is_then_locked_with_a_revision(app, client_for, crew):
    save(app, crew)
    client = client_for(crew.leader)
    client.set_cookie("lang", "en")
    response = client.post(f"/teams/{crew.team_id}/map/submit")
    assert response.status_code == 302
    assert "Your progress map was submitted." in visible(client.get(response.headers["Location"]))
    saved = stored(app, crew)
    assert saved.status == "submitted"
    with app.app_context():
        [revision] = db.session.scalars(select(MapRevision)).all()
        assert (revision.number, revision.submitted_by_id, revision.snapshot["title"]) == (
            1, crew.leader.id, "نقشه پیشرفت روستای نمونه")
        assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.action == "map.submitted"))


def test_a_member_who_is_not_the_leader_cannot_submit(app, client_for, crew):
    save(app, crew)
    assert client_for(crew.member).post(f"/teams/{crew.team_id}/map/submit").status_code == 403
    assert stored(app, crew).status == "draft"


def test_the_map_is_refused_one_second_after_the_submission_phase_ends(app, ctx, crew):
    save(app, crew)
    team = get(Team, crew.team_id)
    with pytest.raises(DeadlinePassed):
        services.submit_map(get(User, crew.leader.id), team, team.event.phase_end("submission") + SECOND)
    assert services.map_of(team).status == "draft"


def test_the_map_is_accepted_at_the_last_second_of_the_submission_phase(app, ctx, crew):
    save(app, crew)
    team = get(Team, crew.team_id)
    revision = services.submit_map(get(User, crew.leader.id), team, team.event.phase_end("submission"))
    assert (revision.number, services.map_of(team).status) == (1, "submitted")


def test_the_map_is_not_accepted_before_the_submission_phase_starts(app, ctx, make):
    crew = make_crew(app, make, "registration")
    save(app, crew)
    team = get(Team, crew.team_id)
    start = team.event.phase("submission").starts_at
    with pytest.raises(DeadlinePassed):
        services.submit_map(get(User, crew.leader.id), team, start - SECOND)
    assert services.submit_map(get(User, crew.leader.id), team, start).number == 1


def test_a_late_submission_says_so_clearly_and_keeps_the_draft(app, client_for, make):
    crew = make_crew(app, make, "judging")
    save(app, crew)
    client = client_for(crew.leader)
    client.set_cookie("lang", "en")
    client.post(f"/teams/{crew.team_id}/map/submit")
    assert ("The submission phase is closed: the map cannot be submitted now. Your draft is saved."
            in flashed_on_editor(client, crew))
    saved = stored(app, crew)
    assert (saved.status, saved.title) == ("draft", "نقشه پیشرفت روستای نمونه")


MISSING = {
    "title": ({"title": ""}, "a title"),
    "place": ({"province_id": None, "county_id": None}, "the target province and county"),
    "county": ({"county_id": None}, "the target province and county"),
    **{section: ({"sections": {s: f"<p>{s}</p>" for s in SECTIONS if s != section}}, label) for section, label in (
        ("knowledge", "Knowledge of the region and its problems"),
        ("capacities", "The region's capacities and drivers"),
        ("goals", "Goals"),
        ("people_role", "The people's role"),
        ("sustainability", "Sustainability"))},
    "indicators": ({"indicators": []}, "at least one measurable indicator"),
    "actions": ({"actions": []}, "at least one action"),
    "members": ({}, "at least 3 team members"),
}


@pytest.mark.parametrize("part", MISSING)
def test_submission_is_refused_with_what_is_missing(app, client_for, make, part):
    crew = make_crew(app, make, "submission", members=1 if part == "members" else 2)
    changes, label = MISSING[part]
    save(app, crew, complete_draft(crew.place, **changes))
    client = client_for(crew.leader)
    client.set_cookie("lang", "en")
    client.post(f"/teams/{crew.team_id}/map/submit")
    assert f"The map cannot be submitted yet. It still needs: {label}." in flashed_on_editor(client, crew)
    assert stored(app, crew).status == "draft"


def test_an_almost_empty_map_lists_everything_it_still_needs(app, client_for, crew):
    save(app, crew, services.MapDraft(title="فقط عنوان"))
    client = client_for(crew.leader)
    client.set_cookie("lang", "en")
    client.post(f"/teams/{crew.team_id}/map/submit")
    message = flashed_on_editor(client, crew).split("It still needs: ", 1)[1]
    for label in ("the target province and county", "Knowledge of the region and its problems",
                  "The region's capacities and drivers", "Goals", "The people's role", "Sustainability",
                  "at least one measurable indicator", "at least one action"):
        assert label in message
    assert "a title" not in message


def test_a_map_must_be_saved_before_it_is_submitted(app, client_for, crew):
    client = client_for(crew.leader)
    client.set_cookie("lang", "en")
    client.post(f"/teams/{crew.team_id}/map/submit")
    assert "Write and save the map before submitting it." in flashed_on_editor(client, crew)


# --- locked, reopened, revisions ---------------------------------------------------------------------

def test_a_submitted_map_cannot_be_saved(app, client_for, crew):
    version = save(app, crew)
    submit(app, crew)
    client = client_for(crew.member)
    client.set_cookie("lang", "en")
    response = client.post(f"/teams/{crew.team_id}/map", data=form_data(crew.place, version, title="تغییر"))
    assert response.status_code == 409
    assert LOCKED in visible(response)
    assert stored(app, crew).title == "نقشه پیشرفت روستای نمونه"


def test_a_submitted_map_takes_no_attachment(app, client_for, crew, upload_dir):
    save(app, crew)
    submit(app, crew)
    client = client_for(crew.member)
    client.set_cookie("lang", "en")
    client.post(f"/teams/{crew.team_id}/map/attachments", data={"file": (io.BytesIO(PDF), "report.pdf")})
    assert LOCKED in flashed_on_editor(client, crew)
    assert stored(app, crew).attachments == []
    assert not upload_dir.exists() or not any(upload_dir.rglob("*"))


def test_a_submitted_map_keeps_its_attachments(app, client_for, crew, upload_dir):
    save(app, crew)
    with app.app_context():
        attachment = services.add_attachment(get(User, crew.member.id), get(Team, crew.team_id), "a.pdf", PDF,
                                             utcnow())
        db.session.commit()
        attachment_id = attachment.id
    submit(app, crew)
    client = client_for(crew.member)
    client.post(f"/teams/{crew.team_id}/map/attachments/{attachment_id}/delete")
    assert [row[0] for row in stored(app, crew).attachments] == ["a.pdf"]


def test_an_organiser_reopens_a_submitted_map_and_members_can_save_again(app, client_for, crew, organiser):
    save(app, crew)
    submit(app, crew)
    response = client_for(organiser).post(f"/organiser/teams/{crew.team_id}/map/reopen")
    assert response.status_code == 302
    assert stored(app, crew).status == "draft"
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.actor_id).where(AuditEntry.action == "map.reopened")) == organiser.id
    client = client_for(crew.member)
    version = version_in(client.get(f"/teams/{crew.team_id}/map"))
    assert client.post(f"/teams/{crew.team_id}/map", data=form_data(crew.place, version, title="پس از بازگشایی")
                       ).status_code == 302
    assert stored(app, crew).title == "پس از بازگشایی"


def _two_revisions(app, crew):
    first = complete_draft(crew.place, sections={**{s: f"<p>متن {s}</p>" for s in SECTIONS},
                                                 "knowledge": "<p>سطر یک</p><p>سطر دو</p>"})
    save(app, crew, first)
    submit(app, crew)
    with app.app_context():
        services.reopen_map(get(User, crew.organiser.id), get(Team, crew.team_id), utcnow())
        db.session.commit()
    second = complete_draft(crew.place, title="عنوان دوم",
                            sections={**{s: f"<p>متن {s}</p>" for s in SECTIONS},
                                      "knowledge": "<p>سطر یک</p><p>سطر سه</p>"},
                            indicators=[services.IndicatorRow(name="اشتغال جوانان", unit="نفر", baseline=10,
                                                              target=40),
                                        services.IndicatorRow(name="مهاجرت معکوس", unit="خانوار")])
    save(app, crew, second)
    submit(app, crew)


def test_every_submission_keeps_a_revision(app, crew, organiser):
    crew.organiser = organiser
    _two_revisions(app, crew)
    with app.app_context():
        revisions = services.revisions_of(get(User, organiser.id), get(Team, crew.team_id))
        assert [r.number for r in revisions] == [1, 2]
        assert "سطر دو" in revisions[0].snapshot["knowledge"]
        assert "سطر سه" in revisions[1].snapshot["knowledge"]
        assert [i["name"] for i in revisions[1].snapshot["indicators"]] == ["اشتغال جوانان", "مهاجرت معکوس"]


def test_the_history_shows_what_changed_between_revisions(app, client_for, crew, organiser):
    crew.organiser = organiser
    _two_revisions(app, crew)
    client = client_for(organiser)
    client.set_cookie("lang", "en")
    page = client.get(f"/organiser/teams/{crew.team_id}/map/history").get_data(as_text=True)
    text_ = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))
    assert "Revision 1" in text_ and "Revision 2" in text_
    changes = page.split("What changed in revision 2", 1)[1]
    assert re.search(r'class="diff__removed">\s*سطر دو\s*<', changes)
    assert re.search(r'class="diff__added">\s*سطر سه\s*<', changes)
    assert re.search(r'class="diff__same">\s*سطر یک\s*<', changes)
    assert "Knowledge of the region and its problems" in changes
    assert "Measurable indicators" in changes and "مهاجرت معکوس" in changes
    assert "عنوان دوم" in changes
    assert "Goals" not in changes  # unchanged sections are left out


# --- attachments ---------------------------------------------------------------------------------------

def upload(client, crew, name, content):
    return client.post(f"/teams/{crew.team_id}/map/attachments", data={"file": (io.BytesIO(content), name)})


@pytest.mark.parametrize("name, content, content_type", [
    ("گزارش میدانی.pdf", PDF, "application/pdf"),
    ("photo.png", PNG, "image/png"),
])
def test_a_pdf_or_an_image_is_stored_by_its_sha256(app, client_for, crew, upload_dir, name, content, content_type):
    save(app, crew)
    response = upload(client_for(crew.member), crew, name, content)
    assert response.status_code == 302
    digest = hashlib.sha256(content).hexdigest()
    assert stored(app, crew).attachments == [(name, content_type, len(content), digest)]
    files = [path for path in upload_dir.rglob("*") if path.is_file()]
    assert [path.relative_to(upload_dir).as_posix() for path in files] == [f"{digest[:2]}/{digest}"]
    assert files[0].read_bytes() == content


REFUSED_UPLOADS = {
    "not really a pdf": ("report.pdf", b"<html><body>not a pdf</body></html>",
                         "Only PDF files and PNG, JPEG or WebP images can be attached; this file is none of them."),
    "svg": ("drawing.svg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script>'
                           b"</svg>",
            "Only PDF files and PNG, JPEG or WebP images can be attached; this file is none of them."),
    "svg named png": ("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>',
                      "Only PDF files and PNG, JPEG or WebP images can be attached; this file is none of them."),
    "html": ("page.html", b"<!DOCTYPE html><html><script>alert(1)</script></html>",
             "Only PDF files and PNG, JPEG or WebP images can be attached; this file is none of them."),
    "oversized": ("big.pdf", PDF + b"0" * (1024 * 1024), "The file is larger than 1 MB."),
    "empty": ("empty.pdf", b"", "The file is empty."),
    "parent folder": ("../x.pdf", PDF, "The file name must be a plain name, without folders."),
    "sub folder": ("a/b.pdf", PDF, "The file name must be a plain name, without folders."),
}


@pytest.mark.parametrize("case", REFUSED_UPLOADS)
def test_a_refused_upload_says_why_and_stores_nothing(app, client_for, crew, upload_dir, monkeypatch, case):
    monkeypatch.setitem(app.config, "MAX_ATTACHMENT_BYTES", 1024 * 1024)
    name, content, message = REFUSED_UPLOADS[case]
    save(app, crew)
    client = client_for(crew.member)
    client.set_cookie("lang", "en")
    upload(client, crew, name, content)
    assert message in flashed_on_editor(client, crew)
    assert stored(app, crew).attachments == []
    assert not upload_dir.exists() or not [path for path in upload_dir.rglob("*") if path.is_file()]


def test_a_sixth_file_is_refused(app, client_for, crew, upload_dir):
    save(app, crew)
    client = client_for(crew.member)
    client.set_cookie("lang", "en")
    for n in range(5):
        assert upload(client, crew, f"{n}.pdf", PDF + str(n).encode()).status_code == 302
    upload(client, crew, "5.pdf", PDF + b"5")
    assert "A map can have at most 5 files. Remove one first." in flashed_on_editor(client, crew)
    assert [row[0] for row in stored(app, crew).attachments] == [f"{n}.pdf" for n in range(5)]


@pytest.mark.parametrize("name", ["../x.pdf", "a/b.pdf", "..\\x.pdf", "C:\\Users\\x.pdf", "/etc/x.pdf", "..", ".",
                                  "x\x00.pdf", "x\n.pdf"])
def test_the_service_refuses_a_file_name_with_path_parts(app, ctx, crew, upload_dir, name):
    save(app, crew)
    with pytest.raises(Invalid):
        services.add_attachment(get(User, crew.member.id), get(Team, crew.team_id), name, PDF, utcnow())
    assert not upload_dir.exists()


NAME = 'گزارش "نهایی" <1>.pdf'


@pytest.fixture
def attached(app, crew, upload_dir):
    save(app, crew)
    with app.app_context():
        attachment = services.add_attachment(get(User, crew.member.id), get(Team, crew.team_id), NAME,
                                             PDF, utcnow())
        db.session.commit()
        return attachment.id


def test_a_download_is_an_attachment_that_browsers_do_not_sniff(client_for, crew, attached):
    response = client_for(crew.leader).get(f"/attachments/{attached}")
    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_name_of_a_file_is_shown_as_text(client_for, crew, attached):
    page = client_for(crew.leader).get(f"/teams/{crew.team_id}/map").get_data(as_text=True)
    assert "&lt;1&gt;.pdf" in page
    assert "<1>" not in page


def test_a_download_is_refused_to_another_team(app, make, client_for, crew, attached):
    other = make_crew(app, make, "submission", members=0, name="گروه دیگر")
    assert client_for(other.leader).get(f"/attachments/{attached}").status_code == 404


def test_a_download_sends_an_anonymous_visitor_to_sign_in(client, attached):
    response = client.get(f"/attachments/{attached}")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/signin"


# --- the organisers' list of maps ---------------------------------------------------------------------------

def test_the_organisers_map_list_takes_as_many_queries_for_fifteen_maps_as_for_three(app, make, organiser,
                                                                                   client_for, count_queries):
    client = client_for(organiser)

    def queries_for(count):
        event = make.event(open_kind="submission")
        place = places(app)
        for n in range(count):
            leader = make.user()
            crew = SimpleNamespace(team_id=factories.team_in(app, event.id, leader, members=[make.user()],
                                                            name=f"گروه {count}-{n}"),
                                   leader=leader, place=place)
            save(app, crew)
        with count_queries() as queries:
            response = client.get(f"/organiser/events/{event.id}/maps")
        assert response.status_code == 200
        assert len(re.findall(r'href="/teams/\d+/map/print"', response.get_data(as_text=True))) == count
        return len(queries)

    assert queries_for(15) == queries_for(3)


def test_the_maps_export_opens_with_one_row_per_map(app, make, organiser, client_for, crew):
    from openpyxl import load_workbook

    save(app, crew)
    client = client_for(organiser)
    client.set_cookie("lang", "en")
    response = client.get(f"/organiser/events/{crew.event.id}/maps.xlsx")
    assert response.status_code == 200
    maps, indicators, actions = (list(sheet.iter_rows(values_only=True))
                                 for sheet in load_workbook(io.BytesIO(response.data)).worksheets)
    assert maps[0][:3] == ("ID", "Team name", "Title of the map")
    assert [row[2] for row in maps[1:]] == ["نقشه پیشرفت روستای نمونه"]
    assert [row[2] for row in indicators[1:]] == ["اشتغال جوانان"]
    assert [row[2] for row in actions[1:]] == ["کارگاه آموزش"]


def test_a_sections_words_without_its_markup_are_saved_back_as_the_same_paragraphs():
    """What the editor's textarea shows a browser without JavaScript, and what it sends back on save."""
    section = "<p>قنات &amp; آب</p><p>یک<br>دو</p><ul><li>الف</li><li>ب</li></ul><h3>پایان</h3>"
    words = text_of_html(section)
    assert words == "قنات & آب\n\nیک\nدو\n\nالف\nب\n\nپایان"
    assert richtext.plain_text(richtext.clean_html(words)) == richtext.plain_text(section)
    assert text_of_html(words) == words  # text without markup is left as typed
