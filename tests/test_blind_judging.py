"""Blind judging stays blind: opaque entry codes on every page a judge reads, a conflict form that maps no
code to its team, attachments under neutral names and without metadata; and a closed round's form is read-only."""
import io
import re
from datetime import timedelta
from html import unescape

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject
from sqlalchemy import select

from eventapp.auth.models import User
from eventapp.core import storage
from eventapp.core.database import utcnow
from eventapp.core.errors import NotAllowed
from eventapp.core.extensions import db
from eventapp.core.text import persian_sort_key
from eventapp.judging import codes
from eventapp.judging.models import Assignment, Round
from eventapp.judging.redaction import Redactor
from eventapp.judging.services import assignments
from eventapp.teams.models import Attachment, ProgressMap, Team

from . import factories
from .helpers import client_of, get, visible

TEAM_NAMES = ["Team Falcon", "زنبق", "آلاله", "نرگس", "پرستو", "گلپر"]
MAP_TITLE = "نقشه پیشرفت روستا"  # the same for every team: the tests look for what the platform shows


def pdf_naming(team: str) -> bytes:
    """A one-page PDF whose document information, XMP and annotation name ``team``."""
    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    writer.add_metadata({"/Author": team, "/Title": f"Map of {team}", "/Subject": team, "/Creator": team,
                         "/Producer": team})
    writer.xmp_metadata = (f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
                           f'22-rdf-syntax-ns#"><rdf:Description><dc:creator>{team}</dc:creator></rdf:Description>'
                           f'</rdf:RDF></x:xmpmeta>').encode()
    note = DictionaryObject({NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Text"),
                             NameObject("/Rect"): ArrayObject([]), NameObject("/T"): TextStringObject(team),
                             NameObject("/Contents"): TextStringObject("see page 2")})
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(note)])
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def jpeg_naming(team: str) -> bytes:
    exif = Image.Exif()
    exif[0x013B] = team  # Artist
    exif[0x0112] = 1  # Orientation
    output = io.BytesIO()
    Image.new("RGB", (8, 6), "red").save(output, "JPEG", exif=exif, comment=team.encode())
    return output.getvalue()


def png_naming(team: str) -> bytes:
    info = PngInfo()
    info.add_text("Author", team)
    output = io.BytesIO()
    Image.new("RGB", (8, 6), "blue").save(output, "PNG", pnginfo=info)
    return output.getvalue()


FILES = [("falcon-report.pdf", pdf_naming), ("falcon-photo.jpg", jpeg_naming), ("falcon-map.png", png_naming)]


@pytest.fixture
def blind(app, make, organiser, upload_dir):
    """A blind final round of six teams judged by one judge; the first team ("Team Falcon") attached three
    files whose names and metadata name it."""
    event = make.event(open_kind="judging")
    judge = make.user(name="داور نابینا", email="blind-judge@example.com", roles=["judge"])
    leaders = [make.user(name="سارا مرادی")] + [None] * (len(TEAM_NAMES) - 1)
    team_ids = [factories.team_with_map(app, event.id, leader, name=name, title=MAP_TITLE)
                for name, leader in zip(TEAM_NAMES, leaders)]
    round_id = factories.final_round(app, organiser, event.id, team_ids, [judge.id])
    with app.app_context():
        progress_map = db.session.scalar(select(ProgressMap).where(ProgressMap.team_id == team_ids[0]))
        for name, build in FILES:
            content = build(TEAM_NAMES[0])
            kind, _extension = storage.sniff(content[:16])
            db.session.add(Attachment(map_id=progress_map.id, original_name=name, content_type=kind,
                                      size=len(content), sha256=storage.store(str(upload_dir), content)))
        db.session.commit()
        attachment_ids = list(db.session.scalars(select(Attachment.id).where(Attachment.map_id == progress_map.id)
                                                 .order_by(Attachment.id)))
        assignments = {a.team_id: (a.id, a.entry_code) for a in db.session.scalars(
            select(Assignment).where(Assignment.round_id == round_id))}
    return type("Blind", (), {"event": event, "judge": judge, "team_ids": team_ids, "round_id": round_id,
                              "attachment_ids": attachment_ids, "assignments": assignments,
                              "organiser": organiser})


def _select(html: str, select_id: str) -> list[tuple[str, str]]:
    """(value, text) of the options of the page's select ``select_id``."""
    body = re.search(rf'<select id="{select_id}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', body)


def _names_no_team(text: str, blind) -> None:
    for name in TEAM_NAMES:
        assert name not in text
    for team_id in blind.team_ids:
        for label in (f"Entry {team_id}", f"اثر شماره {team_id}", f"اثر شماره {factories.persian_digits(str(team_id))}"):
            assert label not in text
    assert "falcon" not in text.lower()


# --- entry codes -----------------------------------------------------------------------------------------

def test_an_entry_code_is_opaque_stable_and_different_in_every_round():
    code = codes.entry_code("secret", 7, 12)
    assert re.fullmatch(r"[A-Z]{4}-[A-Z]{4}", code) and not set(code) & set("IOSZ0123456789")
    assert codes.entry_code("secret", 7, 12) == code  # stable
    assert codes.entry_code("secret", 8, 12) != code  # another round
    assert codes.entry_code("another secret", 7, 12) != code  # unguessable without the secret
    assert len({codes.entry_code("secret", 7, team_id) for team_id in range(2000)}) == 2000
    assert codes.conflict_token("secret", 7, 12) != codes.conflict_token("secret", 8, 12)


@pytest.mark.parametrize("language", ["fa", "en"])
def test_a_blind_judges_pages_show_codes_and_name_no_team(app, blind, language):
    client = client_of(app, blind.judge, language)
    dashboard = client.get("/judging")
    html = dashboard.get_data(as_text=True)
    entries = re.search(r"<tbody>(.*?)</tbody>", html, re.S).group(1)
    # Team names are only in the conflict form's list (tested below), never next to an entry.
    _names_no_team(unescape(re.sub(r"<[^>]+>", " ", re.sub(r"<select.*?</select>", "", html, flags=re.S))), blind)
    shown_codes = re.findall(r"[A-Z]{4}-[A-Z]{4}", entries)
    assert shown_codes == sorted(code for _id, code in blind.assignments.values())  # in code order, not by team
    for assignment_id, code in blind.assignments.values():
        page = client.get(f"/judging/assignments/{assignment_id}")
        assert page.status_code == 200
        assert code in visible(page)
        _names_no_team(visible(page), blind)
        for attachment_id in blind.attachment_ids:
            assert f"/attachments/{attachment_id}" not in page.get_data(as_text=True)


def test_a_blind_judges_links_follow_the_codes_not_the_order_of_registration(app, blind):
    with app.app_context():
        rows = db.session.execute(select(Assignment.id, Assignment.team_id)
                                  .where(Assignment.round_id == blind.round_id).order_by(Assignment.id)).all()
        round_ = get(Round, blind.round_id)
        assert [codes.entry_code(app.config["SECRET_KEY"], round_.id, team_id) for _id, team_id in rows] == \
            sorted(code for _id, code in blind.assignments.values())


def test_the_conflict_form_keys_teams_by_tokens_in_alphabetical_order(app, blind):
    client = client_of(app, blind.judge, "en")
    options = _select(client.get("/judging").get_data(as_text=True), "conflict-team")
    values = [value for value, _name in options]
    assert [name for _value, name in options] == sorted(TEAM_NAMES, key=persian_sort_key)  # never by id
    assert not {str(team_id) for team_id in blind.team_ids} & set(values)
    assert not {code for _id, code in blind.assignments.values()} & set(values)
    assert all(re.fullmatch(r"[0-9a-f]{24}", value) for value in values) and len(set(values)) == len(values)
    assert client.post("/judging/conflicts", data={"team": str(blind.team_ids[2]), "reason": "x"}).status_code == 404
    token = {name: value for value, name in options}[TEAM_NAMES[2]]
    declared = client.post("/judging/conflicts", data={"team": token, "reason": "مشاور این گروه بوده‌ام"})
    assert declared.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Assignment.id).where(Assignment.round_id == blind.round_id,
                                                             Assignment.team_id == blind.team_ids[2])) is None


def test_a_judge_of_more_teams_than_a_form_lists_finds_the_team_by_name(app, blind, monkeypatch):
    monkeypatch.setattr(assignments, "CONFLICT_CHOICES_LISTED", 3)
    client = client_of(app, blind.judge, "en")
    desk = client.get("/judging").get_data(as_text=True)
    assert 'id="conflict-team"' not in desk and 'id="conflict-name"' in desk  # a search, not 6 names
    assert "Team Falcon" not in desk
    found = client.get("/judging/conflicts?q=FALCON")
    assert found.status_code == 200
    assert [name for _value, name in _select(found.get_data(as_text=True), "conflict-team")] == ["Team Falcon"]
    many = _select(client.get("/judging/conflicts?q=" + "ا").get_data(as_text=True), "conflict-team")
    assert [name for _value, name in many] == sorted(
        [name for name in TEAM_NAMES if "ا" in name], key=persian_sort_key)[:3]  # alphabetical, the first three
    nothing = client.get("/judging/conflicts?q=nobody").get_data(as_text=True)
    assert 'id="conflict-team"' not in nothing and "No team of your rounds" in nothing
    token = {name: value for value, name in _select(found.get_data(as_text=True), "conflict-team")}
    declared = client.post("/judging/conflicts", data={"team": token["Team Falcon"], "reason": "مشاور این گروه بوده‌ام"})
    assert declared.status_code == 302
    with app.app_context():
        falcon = blind.team_ids[TEAM_NAMES.index("Team Falcon")]
        assert db.session.scalar(select(Assignment.id).where(Assignment.round_id == blind.round_id,
                                                             Assignment.team_id == falcon)) is None


def test_only_a_judge_finds_teams_to_declare_a_conflict_with(app, blind, member):
    assert client_of(app, member, "en").get("/judging/conflicts?q=Team").status_code == 403
    assert client_of(app, member, "en").get("/judging/conflicts").status_code == 403  # the empty search too
    with app.app_context():
        for name in ("Team", "", "   "):
            with pytest.raises(NotAllowed):
                assignments.find_conflict_teams(get(User, member.id), name)
        assert assignments.find_conflict_teams(get(User, blind.judge.id), "  ") is None


# --- what the team wrote ---------------------------------------------------------------------------------

def test_a_redactor_hides_whole_names_in_text_and_in_the_text_of_html():
    hide = Redactor(["Team Falcon", "گروه ۱۲", "ما", "", None, "strong"], "(hidden)")
    assert hide.text("We are team falcon, Team Falconry is not us") == "We are (hidden), Team Falconry is not us"
    assert hide.text("گروه 12 و گروه ۱۲ و ما") == "(hidden) و (hidden) و ما"  # any digits; short names stay
    assert hide.html('<p><strong>Team Falcon</strong> &amp; <a href="https://x.ir/strong">strong</a></p>') == \
        '<p><strong>(hidden)</strong> &amp; <a href="https://x.ir/strong">(hidden)</a></p>'
    assert Redactor([], "(hidden)").text("Team Falcon") == "Team Falcon"


def test_a_blind_judge_reads_the_map_with_the_teams_names_hidden(app, blind):
    with app.app_context():
        team = get(Team, blind.team_ids[0])
        member, organisation = team.members[0].name, team.organisation_name
        progress_map = db.session.scalar(select(ProgressMap).where(ProgressMap.team_id == team.id))
        progress_map.title = f"نقشه پیشرفت {TEAM_NAMES[0]}"
        progress_map.goals = f"<p>ما، <strong>{TEAM_NAMES[0]}</strong> از {organisation}</p>"
        progress_map.actions[0].responsible = member
        progress_map.indicators[0].name = f"شاخص {TEAM_NAMES[0]}"
        db.session.commit()
    assignment_id, _code = blind.assignments[blind.team_ids[0]]
    page = client_of(app, blind.judge, "en").get(f"/judging/assignments/{assignment_id}")
    text = visible(page)
    for name in (TEAM_NAMES[0], member, organisation):
        assert name not in text
    assert text.count("(name hidden)") >= 5 and "<strong>(name hidden)</strong>" in page.get_data(as_text=True)
    with app.app_context():
        get(Round, blind.round_id).blind = False
        db.session.commit()
    assert f"<strong>{TEAM_NAMES[0]}</strong>" in client_of(app, blind.judge, "en").get(
        f"/judging/assignments/{assignment_id}").get_data(as_text=True)


# --- files -------------------------------------------------------------------------------------------------

def test_a_blind_judge_gets_the_files_under_neutral_names_without_metadata(app, blind):
    client = client_of(app, blind.judge, "en")
    assignment_id, code = blind.assignments[blind.team_ids[0]]
    page = client.get(f"/judging/assignments/{assignment_id}")
    for number, extension in enumerate((".pdf", ".jpg", ".png"), start=1):
        assert f"{code}-attachment-{number}{extension}" in visible(page)
        response = client.get(f"/judging/assignments/{assignment_id}/files/{number}")
        assert response.status_code == 200
        assert f'filename={code}-attachment-{number}{extension}' in response.headers["Content-Disposition"]
        assert response.headers["Cache-Control"] == "private, no-store"
        assert b"Falcon" not in response.data and "Falcon".encode("utf-16-be") not in response.data
    document = PdfReader(io.BytesIO(client.get(f"/judging/assignments/{assignment_id}/files/1").data))
    assert document.metadata is None and document.xmp_metadata is None and len(document.pages) == 1
    assert document.pages[0]["/Annots"][0].get_object()["/Contents"] == "see page 2"  # what it shows stays
    photo = Image.open(io.BytesIO(client.get(f"/judging/assignments/{assignment_id}/files/2").data))
    assert photo.size == (8, 6) and not photo.getexif() and "comment" not in photo.info
    drawing = Image.open(io.BytesIO(client.get(f"/judging/assignments/{assignment_id}/files/3").data))
    assert "Author" not in drawing.info
    assert client.get(f"/judging/assignments/{assignment_id}/files/4").status_code == 404
    # The team's own download (its file name, its metadata) is not for a blind judge.
    assert client.get(f"/attachments/{blind.attachment_ids[0]}").status_code == 404


def test_a_judge_of_an_open_round_gets_the_files_as_they_are(app, blind):
    with app.app_context():
        get(Round, blind.round_id).blind = False
        db.session.commit()
    client = client_of(app, blind.judge, "en")
    assignment_id, _code = blind.assignments[blind.team_ids[0]]
    assert "falcon-report.pdf" in visible(client.get(f"/judging/assignments/{assignment_id}"))
    response = client.get(f"/judging/assignments/{assignment_id}/files/1")
    assert "falcon-report.pdf" in response.headers["Content-Disposition"]
    assert PdfReader(io.BytesIO(response.data)).metadata.author == TEAM_NAMES[0]
    assert client.get(f"/attachments/{blind.attachment_ids[0]}").status_code == 200


def test_a_file_that_cannot_be_cleaned_is_refused_not_sent(app, blind, upload_dir):
    with app.app_context():
        attachment = get(Attachment, blind.attachment_ids[0])
        broken = b"%PDF-1.7 Team Falcon, not a PDF after all"
        attachment.sha256 = storage.store(str(upload_dir), broken)
        db.session.commit()
    assignment_id, _code = blind.assignments[blind.team_ids[0]]
    response = client_of(app, blind.judge, "en").get(f"/judging/assignments/{assignment_id}/files/1")
    assert response.status_code == 422 and b"Falcon" not in response.data


def test_another_judge_gets_no_file_of_an_entry(app, blind, make):
    stranger = make.user(name="داور دیگر", email="other-judge@example.com", roles=["judge"])
    assignment_id, _code = blind.assignments[blind.team_ids[0]]
    assert client_of(app, stranger, "en").get(f"/judging/assignments/{assignment_id}/files/1").status_code == 404


# --- a closed round ------------------------------------------------------------------------------------------

def test_a_closed_rounds_form_is_read_only_and_a_save_is_refused(app, blind):
    with app.app_context():
        round_ = get(Round, blind.round_id)
        round_.ends_at = utcnow() - timedelta(hours=1)
        criteria = [criterion.id for criterion in round_.rubric.criteria]
        db.session.commit()
    client = client_of(app, blind.judge, "en")
    assignment_id, _code = blind.assignments[blind.team_ids[1]]
    page = client.get(f"/judging/assignments/{assignment_id}")
    html = page.get_data(as_text=True)
    assert "The round is closed for scoring. The form is read-only." in visible(page)
    score_inputs = re.findall(r'<input[^>]*name="score-\d+"[^>]*>', html)
    assert len(score_inputs) == len(criteria) and all("disabled" in field for field in score_inputs)
    assert 'value="submit"' not in html and "data-autosave" not in html
    refused = client.post(f"/judging/assignments/{assignment_id}", data={
        **{f"score-{criterion_id}": "5" for criterion_id in criteria}, "action": "save"})
    assert refused.status_code == 409 and "The round is closed for scoring." in visible(refused)
    with app.app_context():
        assert get(Assignment, assignment_id).scores == []


def test_an_open_rounds_form_is_editable(app, blind):
    assignment_id, _code = blind.assignments[blind.team_ids[1]]
    html = client_of(app, blind.judge, "en").get(f"/judging/assignments/{assignment_id}").get_data(as_text=True)
    assert 'value="submit"' in html and "data-autosave" in html
    assert not any("disabled" in field for field in re.findall(r'<input[^>]*name="score-\d+"[^>]*>', html))
