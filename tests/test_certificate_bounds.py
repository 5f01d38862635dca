"""What organisers and teams send is bounded: templates (time, output, values), images (pixels), imported
workbooks (rows, unpacked size); a template's relative addresses; the printed verification address."""
import io
import re
import subprocess
import time
import zipfile

import pytest
from PIL import Image

from eventapp.auth.models import User
from eventapp.certificates import sandbox, services
from eventapp.certificates.enums import DocumentKind
from eventapp.certificates.rendering import Renderer
from eventapp.core import storage
from eventapp.core.database import utcnow
from eventapp.core.errors import Invalid
from eventapp.core.extensions import db
from eventapp.events.models import Event
from eventapp.pipeline import observatory

from .helpers import get, page_text
from .test_certificates import festival, issue, pdf_pages, stored_pdf  # noqa: F401  (the fixture)


def in_english(app):
    return app.test_request_context(headers={"Cookie": "lang=en"})


def cpu_seconds(action):
    started = time.process_time()
    result = action()
    return result, time.process_time() - started


# --- item 12: relative addresses in a template's CSS ------------------------------------------------------


@pytest.mark.parametrize("css", ['@import url(other.css);', '@import "other.css";', "@import url('../x.css');",
                                 "p { background: url(paper.png) }"])
def test_a_relative_address_in_the_css_is_refused_and_named_not_fatal(css):
    renderer = Renderer(css, {})
    assert "سلام" in " ".join(pdf_pages(renderer.pdf("<p>سلام</p>")))
    assert len(renderer.fetcher.refused) == 1


def test_a_template_with_a_relative_import_previews_and_issues(app, festival, upload_dir):  # noqa: F811
    html, css = services.default_template(DocumentKind.GROUP)
    css = "@import url(fonts.css);\n" + css
    with app.app_context():
        actor, event = get(User, festival.organiser.id), get(Event, festival.event.id)
        preview = services.preview(actor, event, DocumentKind.GROUP, html, css, utcnow())
        assert preview.pages and any("fonts.css" in problem for problem in preview.problems)
        services.save_template(actor, event, DocumentKind.GROUP, html, css, utcnow())
        db.session.commit()
    certificate = issue(app, festival)
    assert "گروه جهادی امید" in " ".join(pdf_pages(stored_pdf(app, certificate)))


# --- item 13: templates bounded in values, output and time ------------------------------------------------

BOMBS = [
    ("{{ 'x' * 20000000 }}", sandbox.TOO_LONG_VALUE),
    ("{{ 20000000 * 'x' }}", sandbox.TOO_LONG_VALUE),
    ("{{ ['a'] * 10**8 }}", sandbox.TOO_LONG_VALUE),
    ("{{ 'x'|center(10**9) }}", sandbox.TOO_WIDE),
    ("{{ 'x'.ljust(10**9) }}", sandbox.TOO_WIDE),
    ("{{ 'ab'|indent(10**9) }}", sandbox.TOO_WIDE),
    ("{{ 'a b'|wordwrap(10**9) }}", sandbox.TOO_WIDE),
    ("{{ '%999999999s' % 'x' }}", sandbox.TOO_WIDE),
    ("{{ '%999999999s'|format('x') }}", sandbox.TOO_WIDE),
    ("{{ '%*s' % (999999999, 'x') }}", sandbox.WIDTH_FROM_VALUES),
    ("{{ '{:>999999999}'.format(1) }}", sandbox.TOO_WIDE),
    ("{{ '{0:{1}}'.format(1, 999999999) }}", sandbox.WIDTH_FROM_VALUES),
    ("{{ 2 ** 100000000 }}", sandbox.TOO_WIDE),
    ("{% set s = 'x' * 50000 %}{{ s|replace('x', s) }}", sandbox.TOO_LONG_VALUE),
    ("{{ ('x' * 50000).replace('x', 'yyy') }}", sandbox.TOO_LONG_VALUE),
    ("{{ ''.join(['x' * 90000, 'x' * 90000]) }}", sandbox.TOO_LONG_VALUE),
    ("{% set a = 'x' * 90000 %}{% set b = a ~ a %}{% set c = b ~ b %}{{ c|length }}", sandbox.TOO_LONG_VALUE),
    ("{{ 'x' * 90000 + 'x' * 90000 }}", sandbox.TOO_LONG_VALUE),
    ("{% for i in range(50000) %}aaaaa{% endfor %}", sandbox.TOO_LONG_DOCUMENT),
    ("{% for i in range(100000) %}<p>a</p>{% endfor %}", sandbox.TOO_MANY_ELEMENTS),
    ("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", sandbox.TOO_SLOW),
    ("{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
     sandbox.TOO_SLOW),
]


@pytest.mark.parametrize(("source", "bound"), BOMBS)
def test_a_template_past_a_bound_is_refused_within_seconds(source, bound):
    with pytest.raises(sandbox.TemplateRefused) as refused:
        _result, seconds = cpu_seconds(lambda: sandbox.render_strict(sandbox.compile_strict(source), {}))
    assert (refused.value.problem.kind, refused.value.problem.detail) == (sandbox.LIMIT, bound)
    started = time.process_time()
    preview = sandbox.render_preview(source, {})
    assert preview.html == "" and [(p.kind, p.detail) for p in preview.problems] == [(sandbox.LIMIT, bound)]
    assert time.process_time() - started < 4


@pytest.mark.parametrize(("source", "expected"), [
    ("{{ 'a'|center(5) }}|{{ 'abc'|replace('b', 'c') }}|{{ 'x'|truncate(5) }}", "  a  |acc|x"),
    ("{{ 'سال 1404: {}'.format(3) }} {{ '%s از 2024' % 'x' }}", "سال 1404: 3 x از 2024"),
    ("{{ '{:>5}|{:.2f}'.format('a', 3.14159) }} {{ '%5.1f'|format(2.25) }}", "    a|3.14   2.2"),
    ("{{ 'a' ~ 'b' ~ 3 }} {{ 10 ** 3 }} {{ [1, 2] * 2 }}", "ab3 1000 [1, 2, 1, 2]"),
])
def test_ordinary_templates_are_not_hindered(source, expected):
    assert sandbox.render_strict(sandbox.compile_strict(source), {}) == expected


def test_the_template_editor_says_which_bound_in_the_organisers_language(app, festival, client, login,  # noqa: F811
                                                                          upload_dir):
    login(festival.organiser)
    client.set_cookie("lang", "en")
    path = f"/organiser/events/{festival.event.id}/certificates/group/template"
    started = time.monotonic()
    response = client.post(path, data={"html": "{{ 'x' * 20000000 }}", "css": "", "action": "preview"})
    assert time.monotonic() - started < 10
    assert response.status_code == 200
    assert "The template makes a value longer than 100,000 characters." in page_text(response)
    client.set_cookie("lang", "fa")
    response = client.post(path, data={"html": "{% for i in range(100000) %}<p>a</p>{% endfor %}", "css": "",
                                       "action": "preview"})
    assert "۱٬۰۰۰" in page_text(response)


def test_issuing_with_a_template_past_a_bound_is_refused_with_the_reason(app, festival, upload_dir):  # noqa: F811
    with in_english(app):
        actor, event = get(User, festival.organiser.id), get(Event, festival.event.id)
        services.save_template(actor, event, DocumentKind.GROUP, "<p>{{ holder * 100000 }}</p>", "", utcnow())
        db.session.commit()
        with pytest.raises(Invalid, match="longer than"):
            services.issue_one(actor, event, DocumentKind.GROUP, f"team:{festival.omid}", utcnow())


# --- item 13: images bounded in pixels ------------------------------------------------------------------


def png_of(width: int, height: int) -> bytes:
    """A PNG of any size whose file stays small (one colour, compressed), made without holding its pixels."""
    buffer = io.BytesIO()
    Image.new("1", (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def huge_png() -> bytes:
    return png_of(30000, 30000)  # 900 million pixels in about 100 KB


def test_an_attachment_with_too_many_pixels_is_refused_quickly(app, huge_png):
    assert len(huge_png) < app.config["MAX_ATTACHMENT_BYTES"]
    with in_english(app):
        started = time.process_time()
        with pytest.raises(Invalid, match="more than 50 million pixels"):
            storage.store_attachment("plan.png", huge_png)
        assert time.process_time() - started < 2
        with pytest.raises(Invalid, match="8,000 × 7,000 pixels; at most 50 million"):
            storage.store_attachment("plan.png", png_of(8000, 7000))
        storage.store_attachment("photo.png", png_of(8000, 6000))  # a 48-megapixel phone photo passes


def test_a_certificate_image_with_too_many_pixels_is_refused(app, festival, client, login, huge_png,  # noqa: F811
                                                             upload_dir):
    login(festival.organiser)
    client.set_cookie("lang", "en")
    response = client.post(f"/organiser/events/{festival.event.id}/certificates/images",
                           data={"name": "background", "image": (io.BytesIO(huge_png), "background.png")},
                           follow_redirects=True)
    assert response.status_code in (200, 422)
    assert "more than 50 million pixels" in page_text(response)
    with app.app_context():
        assert services.image_names(get(Event, festival.event.id)) == []


def test_an_image_that_cannot_be_read_is_refused(app):
    with in_english(app), pytest.raises(Invalid, match="cannot be read"):
        storage.store_attachment("broken.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)


# --- item 13: imported workbooks bounded in rows and unpacked size ------------------------------------------


def sheet_xml(rows: int) -> bytes:
    body = '<row><c t="inlineStr"><is><t>یزد</t></is></c><c><v>1</v></c></row>' * rows  # compresses ~1000×
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><sheetData>{body}</sheetData></worksheet>').encode()


def workbook(rows: int) -> bytes:
    """A minimal XLSX with ``rows`` rows, written directly (openpyxl would take minutes for millions)."""
    buffer = io.BytesIO()
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    relations = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
            'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"'
            '/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.worksheet+xml"/></Types>'))
        archive.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId1" Type="{relations}/officeDocument" Target="xl/workbook.xml"'
            '/></Relationships>'))
        archive.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{main}" xmlns:r="{relations}"><sheets>'
            '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'))
        archive.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            f'2006/relationships"><Relationship Id="rId1" Type="{relations}/worksheet" Target="worksheets/sheet1.xml"'
            '/></Relationships>'))
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml(rows))
    return buffer.getvalue()


def problems_of(app, content: bytes) -> list[str]:
    with in_english(app):
        rows, problems = observatory._parse(content, observatory._Provinces())
        return [problem.message for problem in problems]


def test_a_workbook_that_unpacks_to_millions_of_rows_is_refused_at_once(app):
    bomb = workbook(2_000_000)
    assert len(bomb) < observatory.MAX_IMPORT_BYTES
    problems, seconds = cpu_seconds(lambda: problems_of(app, bomb))
    assert seconds < 3 and len(problems) == 1 and "unpacks to more than" in problems[0]


def test_a_workbook_of_too_many_rows_is_read_only_until_the_bound(app, monkeypatch):
    content = workbook(60_000)
    assert sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(content)).infolist()) \
        < observatory.MAX_IMPORT_UNPACKED_BYTES
    read = []
    stream = observatory._read_rows

    def counted(data):
        for row in stream(data):
            read.append(row[0])
            yield row

    monkeypatch.setattr(observatory, "_read_rows", counted)
    assert problems_of(app, content) == ["The file has more than 20,000 rows."]
    assert len(read) == observatory.MAX_IMPORT_ROWS + 2  # it stopped reading at the bound


# --- item 23: the printed verification address ------------------------------------------------------------


def test_the_verification_page_opens_by_the_printed_serial_however_typed(app, festival, client,  # noqa: F811
                                                                        upload_dir):
    certificate = issue(app, festival)
    client.set_cookie("lang", "en")
    for typed in (certificate.serial, certificate.serial.lower(), certificate.serial.replace("-", "")):
        page = client.get(f"/verify/{typed}")
        assert page.status_code == 200, typed
        assert "Valid: we issued this document and it stands." in page_text(page)
    assert client.get("/verify/DP-0000-0000-0000").status_code == 404


def test_the_certificate_prints_its_whole_verification_address_without_breaking_the_serial(
        app, festival, upload_dir):  # noqa: F811
    for kind, subject in ((DocumentKind.GROUP, f"team:{festival.omid}"), (DocumentKind.REPORT, f"team:{festival.omid}"),
                          (DocumentKind.JUDGE, f"judge:{festival.judge.id}")):
        with app.app_context():
            certificate = services.issue_one(get(User, festival.organiser.id), get(Event, festival.event.id), kind,
                                             subject, utcnow(), "https://dawn-of-progress.example.ir")
            db.session.commit()
            path = storage.path_for(app.config["UPLOAD_DIR"], certificate.sha256)
            serial = certificate.serial
        text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                              check=True).stdout
        text = re.sub("[\u200e\u200f\u202a-\u202e]", "", text)  # pdftotext's direction marks
        flat = "".join(text.split())
        assert f"https://dawn-of-progress.example.ir/verify/{serial}" in flat, kind  # all of it, in order
        for line in text.splitlines():  # the serial is never cut across two lines
            assert not any(line.rstrip().endswith(serial[:cut]) for cut in range(2, len(serial))), (kind, line)
        pdftoppm = subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "1", str(path),
                                   str(upload_dir / kind.value)], capture_output=True)
        assert pdftoppm.returncode == 0
