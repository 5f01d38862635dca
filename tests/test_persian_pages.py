"""Persian pages show Persian digits and Persian words wherever a person reads them.

A crawler signs in as each role over the demo's data, reads every page it reaches in Persian as a person
reads it (text, and the attributes and field values shown; not scripts, styles, code, machine-read values,
or what is marked as written in another language), and reports every Latin digit and English word, with
the page. Then the places outside pages: flashes, the certificate's PDF, the spreadsheets' sheet names.
"""
import io
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from eventapp.audit import services as audit
from eventapp.auth.models import User
from eventapp.certificates import services as certificates
from eventapp.certificates.enums import DocumentKind
from eventapp.core import storage
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.core.text import persian_digits_in_html
from eventapp.demo.loader import DEMO_ACCOUNTS, DEMO_PASSWORD
from eventapp.events.models import Event
from eventapp.judging.models import Round

from . import factories
from .helpers import client_of, get

# Latin words a Persian page may show: names of file formats and standards, of the other language, and of
# the template language organisers write in.
ALLOWED_WORDS = {"PDF", "CSV", "XLSX", "ZIP", "QR", "PNG", "JPEG", "JPG", "WebP", "SVG", "UTF-8", "HTML", "CSS",
                 "API", "JSON", "Jinja", "English"}
# E-mail and web addresses, and file names (they are typed or clicked as written).
ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|\bhttps?://\S+|\b[\w-]+\.(?:json|csv|xlsx|pdf|zip)\b")
LEAK = re.compile(r"[A-Za-z][A-Za-z0-9'-]*[A-Za-z0-9]|[A-Za-z]|[0-9]+")
SHOWN_VALUE_INPUTS = {"text", "search", "tel", "submit", "button", "reset"}
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "label"}
KEPT_ELEMENTS = {"script", "style", "code", "kbd", "samp", "pre", "var"}
VOID_ELEMENTS = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class ReadText(HTMLParser):
    """What a person reads in a page, piece by piece, and the page's links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pieces, self.links = [], []
        self.kept, self.depth = None, 0  # the element kept as written (and nesting of its name)
        self.rich_text = False

    @staticmethod
    def kept_as_written(tag, attributes) -> bool:
        return (tag in KEPT_ELEMENTS or attributes.get("translate") == "no"
                or not (attributes.get("lang") or "fa").startswith("fa"))

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "a" and attributes.get("href"):
            self.links.append(attributes["href"])
        if self.kept:
            self.depth += tag == self.kept
            return
        if self.kept_as_written(tag, attributes):
            if tag not in VOID_ELEMENTS:
                self.kept, self.depth = tag, 1
            return
        self.pieces += [attributes[name] for name in READ_ATTRIBUTES if attributes.get(name)]
        if tag == "input" and attributes.get("type", "text") in SHOWN_VALUE_INPUTS and attributes.get("value"):
            self.pieces.append(attributes["value"])
        self.rich_text = tag == "textarea" and "data-rich-text" in attributes

    def handle_endtag(self, tag):
        if tag == self.kept:
            self.depth -= 1
            if not self.depth:
                self.kept = None

    def handle_data(self, data):
        if self.kept or not data.strip():
            return
        if self.rich_text:  # the editor shows the text of the HTML it holds
            self.rich_text = False
            self.pieces += read_text(data)[0]
        else:
            self.pieces.append(data)


def read_text(markup: str) -> tuple[list[str], list[str]]:
    parser = ReadText()
    parser.feed(markup)
    parser.close()
    return parser.pieces, parser.links


def leaks(pieces: list[str]) -> list[str]:
    """Latin digits and English words in what is read, each with a little of the text around it."""
    found = []
    for piece in pieces:
        text = ADDRESS.sub(" ", " ".join(piece.split()))
        for match in LEAK.finditer(text):
            if match.group(0) not in ALLOWED_WORDS:
                found.append(f"{match.group(0)!r} in «{text[max(0, match.start() - 30):match.end() + 30]}»")
    return found


# --- the crawler ---------------------------------------------------------------------------------------------

# Not pages: downloads, files, the API, and what ends the session.
NOT_PAGES = re.compile(r"\.(csv|xlsx|zip|pdf|json)$|/download$|/attachments/|^/static/|^/api/|/progress$|^/signout")
PAGES_PER_ROLE = 45


def pattern_of(path: str) -> str:
    """One page of each kind: /teams/12/map and /teams/13/map are the same page."""
    return re.sub(r"/\d+", "/N", path)


def crawl(client, start: list[str]) -> dict[str, list[str]]:
    """The leaks of each page reached from ``start`` through the site's own links (a page of each kind)."""
    found, seen, queue = {}, set(), list(start)
    while queue and len(seen) < PAGES_PER_ROLE:
        url = queue.pop(0)
        path = urlsplit(url).path
        if NOT_PAGES.search(path) or pattern_of(path) in seen:
            continue
        seen.add(pattern_of(path))
        response = client.get(url)
        assert response.status_code < 500, url
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        pieces, links = read_text(response.get_data(as_text=True))
        if page_leaks := leaks(pieces):
            found[url] = page_leaks
        queue += [link for link in links if link.startswith("/") and not link.startswith("//")]
    return found


def demo_start_pages(app) -> dict[str, list[str]]:
    """Where each role starts: its own pages of the national event (the one with every kind of data)."""
    with app.app_context():
        national = db.session.scalar(select(Event).where(Event.slug == "dawn-of-progress-1405"))
        screening = db.session.scalar(select(Round).where(Round.event_id == national.id))
        event_pages = [f"/organiser/events/{national.id}/{page}" for page in
                       ("edit", "teams", "maps", "judging", "training", "certificates")]
        round_pages = [f"/organiser/rounds/{screening.id}/{page}" for page in ("", "results", "quality", "edit")]
        public = ["/", f"/events/{national.slug}", f"/events/{national.slug}/results", "/observatory", "/verify"]
        organiser = [*event_pages, *round_pages, "/organiser/events", "/organiser/audit/", "/organiser/pipeline",
                     f"/organiser/rubrics/{screening.rubric_id}/edit", "/organiser/events/new"]
    return {
        "public": public,
        "team leader": ["/teams", *public],
        "judge": ["/judging", "/judging/profile"],
        "organiser": organiser,
        "admin": ["/admin/users", "/organiser/api-tokens", *organiser],
    }


def test_persian_pages_show_no_latin_digits_and_no_english_words_to_any_role(app):
    assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
    found = {}
    for role, start in demo_start_pages(app).items():
        if role == "public":
            client = app.test_client()
            client.set_cookie("lang", "fa")
        else:
            email = DEMO_ACCOUNTS[role][0]
            client = app.test_client()
            client.set_cookie("lang", "fa")
            response = client.post("/signin", data={"email": email, "password": DEMO_PASSWORD})
            assert response.status_code == 302, role
        for url, page_leaks in crawl(client, start).items():
            found[f"{role} {url}"] = page_leaks
    report = "\n".join(f"{page}:\n    " + "\n    ".join(page_leaks[:12]) for page, page_leaks in found.items())
    print(report)
    assert not found, report


# --- the rule itself -----------------------------------------------------------------------------------------

def test_digits_are_made_persian_only_where_a_person_reads_them():
    page = ('<p title="3 teams" data-id="5">سال 1405 و <a href="/teams/5">گروه 12</a> member2@x.org '
            'https://x.org/3 &#39;7 A4</p><input type="text" name="a1" value="12"><input type="hidden" value="12">'
            '<input lang="en" value="Round 3"><select><option value="3">3</option></select>'
            '<code>1 <code>2</code> 3</code> 4 <span translate="no">5<br>6</span> 7'
            '<script>var x = 1 < 2;</script><style>p { margin: 0 1px; }</style><!-- 13 -->'
            '<textarea name="t">9</textarea><textarea data-rich-text>&lt;h3 class="a1"&gt;10&lt;/h3&gt;</textarea>')
    assert persian_digits_in_html(page) == (
        '<p title="۳ teams" data-id="5">سال ۱۴۰۵ و <a href="/teams/5">گروه ۱۲</a> member2@x.org '
        'https://x.org/3 &#39;۷ A4</p><input type="text" name="a1" value="۱۲"><input type="hidden" value="12">'
        '<input lang="en" value="Round 3"><select><option value="3">۳</option></select>'
        '<code>1 <code>2</code> 3</code> ۴ <span translate="no">5<br>6</span> ۷'
        '<script>var x = 1 < 2;</script><style>p { margin: 0 1px; }</style><!-- 13 -->'
        '<textarea name="t">۹</textarea><textarea data-rich-text>&lt;h3 class="a1"&gt;۱۰&lt;/h3&gt;</textarea>')


def test_an_element_in_another_language_keeps_its_digits_and_a_persian_one_inside_it_does_not():
    document = '<html lang="en"><section lang="en">Page 1 <section lang="fa">صفحه 2</section> of 3</section></html>'
    assert persian_digits_in_html(document) == (
        '<html lang="en"><section lang="en">Page 1 <section lang="fa">صفحه ۲</section> of 3</section></html>')


def test_the_audit_log_names_fields_and_values_in_persian(app, make):
    organiser = make.user(name="زهرا احمدی", email="zahra@example.com", roles=["organiser"])
    event = make.event()
    with app.app_context():
        audit.record(get(User, organiser.id), "event.updated", get(Event, event.id), changes={
            "status": ["pending", "approved"], "due": [None, "2026-12-13"], "blind": [None, True],
            "registration.ends_at": [None, "2026-11-22T20:29:00+00:00"], "judges": [3, 5]}, now=utcnow())
        db.session.commit()
    pieces, _links = read_text(client_of(app, organiser, "fa").get("/organiser/audit/").get_data(as_text=True))
    text = " ".join(pieces)
    for label in ("وضعیت", "تأییدشده", "بله", "ثبت‌نام · پایان", "۲۲ آذر ۱۴۰۵", "۱ آذر ۱۴۰۵، ساعت ۲۳:۵۹"):
        assert label in text, label
    assert not leaks(pieces), leaks(pieces)


def test_an_english_page_keeps_latin_digits(app, make):
    event = make.event(title_fa="رویداد 1405", title_en="Event 1405")
    client = app.test_client()
    client.set_cookie("lang", "en")
    assert "Event 1405" in client.get(f"/events/{event.slug}").get_data(as_text=True)
    client.set_cookie("lang", "fa")
    assert "رویداد ۱۴۰۵" in client.get(f"/events/{event.slug}").get_data(as_text=True)


def test_a_field_shows_persian_digits_and_takes_back_either(app, make, organiser):
    event = make.event(title_fa="رویداد 1405", title_en="Event 1405")
    client = client_of(app, organiser, "fa")
    form = client.get(f"/organiser/events/{event.id}/edit").get_data(as_text=True)
    assert 'value="رویداد ۱۴۰۵"' in form and 'value="Event 1405"' in form  # the English title stays English
    with app.app_context():
        assert db.session.get(Event, event.id).title_fa == "رویداد 1405"  # stored with Latin digits


# --- flashes, the certificate, the spreadsheets ----------------------------------------------------------------

def test_a_flash_shows_the_numbers_it_names_in_persian_digits(app, client):
    client.set_cookie("lang", "fa")
    client.post("/signup", data={"name": "کاربر 3210", "email": "user3210@example.com", "mobile": "09123456789",
                                 "password": "a long password", "confirm": "a long password"})
    pieces, _links = read_text(client.get("/").get_data(as_text=True))
    welcome = next(piece for piece in pieces if "خوش آمدید" in piece)
    assert "کاربر ۳۲۱۰" in welcome and not re.search("[0-9]", welcome)


def test_the_certificate_shows_the_team_name_in_persian_digits(app, make, organiser, judge, upload_dir):
    event = make.event(open_kind="judging")
    team_id = factories.team_in(app, event.id, name="گروه جهادی 313")
    other_id = factories.team_in(app, event.id, name="کانون مهر")
    round_id = factories.final_round(app, organiser, event.id, [team_id, other_id], [judge.id])
    factories.submit_scores(app, round_id, [team_id, other_id])
    factories.publish(app, organiser, round_id)
    with app.app_context():
        certificate = certificates.issue_one(get(User, organiser.id), get(Event, event.id), DocumentKind.GROUP,
                                             f"team:{team_id}", utcnow(), "http://localhost")
        db.session.commit()
        pdf = storage.path_for(app.config["UPLOAD_DIR"], certificate.sha256).read_bytes()
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "۳۱۳" in text and "313" not in text


@pytest.mark.parametrize("what, sheet", [("leaderboard", "جدول رتبه‌بندی"), ("scores", "امتیازهای خام")])
def test_a_rounds_spreadsheet_names_its_sheet_in_persian(app, make, organiser, judge, what, sheet):
    event = make.event(open_kind="judging")
    team_id = factories.team_with_map(app, event.id)
    round_id = factories.final_round(app, organiser, event.id, [team_id], [judge.id])
    client = client_of(app, organiser, "fa")
    workbook = load_workbook(io.BytesIO(client.get(f"/organiser/rounds/{round_id}/{what}.xlsx").data))
    assert workbook.sheetnames[0] == sheet
    assert not [name for name in workbook.sheetnames if re.search("[A-Za-z]", name)]
    english = client_of(app, organiser, "en")
    workbook = load_workbook(io.BytesIO(english.get(f"/organiser/rounds/{round_id}/{what}.xlsx").data))
    assert all(name.isascii() for name in workbook.sheetnames)


def test_the_map_editors_toolbar_is_labelled_in_persian(app, make, member):
    event = make.event(open_kind="submission")
    team_id = factories.team_in(app, event.id, leader_user=member)
    page = client_of(app, member, "fa").get(f"/teams/{team_id}/map").get_data(as_text=True)
    bar = '<div class="editor__bar"' + page.split('<div class="editor__bar"', 1)[1].split("</div>", 1)[0]
    pieces, _links = read_text(bar)
    assert {"قالب‌بندی متن", "درشت", "کج", "فهرست نقطه‌ای", "فهرست شماره‌دار"} <= {piece.strip() for piece in pieces}
    assert not leaks(pieces)
