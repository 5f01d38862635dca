"""The batch path's documents: drawn as a fixed layer (once per batch) under each document's text, they say
every word, date, serial and QR code the documents said when drawn in one piece (tests/data, recorded before
the change), look the same, stay PDF/A with embedded fonts and real text, and stay small."""
import io
import re

import pypdfium2
import pytest
import segno
from PIL import ImageChops
from pypdf import PdfReader

from eventapp.auth.models import User
from eventapp.certificates import rendering, sandbox, services, weasy
from eventapp.certificates.enums import DocumentKind
from eventapp.certificates.rendering import FIXED_LAYER, TEXT_LAYER, Renderer
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.events.models import Event

from . import certificate_samples as samples
from . import factories
from .helpers import get

RECORDED = samples.recorded()
MAX_PDF_BYTES = 30 * 1024  # a default document of one language


@pytest.fixture
def issuer_of(app, make, organiser):
    """``issuer_of(kind, language)``: the Issuer of an event titled as the samples' and signed by their
    signatories, with published results (call it in an app context)."""
    event = make.event(open_kind="judging", title_fa=samples.EVENT["fa"], title_en=samples.EVENT["en"])
    judge = make.user(name="داور", roles=["judge"])
    team_ids = [factories.team_in(app, event.id, name=f"گروه {index}") for index in range(2)]
    round_id = factories.final_round(app, organiser, event.id, team_ids, [judge.id])
    factories.submit_scores(app, round_id, team_ids)
    factories.publish(app, organiser, round_id)

    def issuer(kind, language, html=None) -> services.Issuer:
        """The Issuer, of the default template or of ``html`` (the event's own template of the kind)."""
        services.save_settings(get(User, organiser.id), get(Event, event.id), language, samples.SIGNATORIES, utcnow())
        if html is not None:
            services.save_template(get(User, organiser.id), get(Event, event.id), kind, html, "", utcnow())
        db.session.commit()
        return services.Issuer(get(Event, event.id), kind, samples.BASE_URL)

    return issuer


def sample_pdf(issuer: services.Issuer, index: int, name: str, subject: str) -> bytes:
    """The sample as the batch path draws it (Issuer.render: the fixed layer, then the text)."""
    return issuer.render(samples.SUBJECTS[subject], samples.serial_of(index), samples.code_of(name), samples.ISSUED_AT)


def numbered(name: str) -> tuple[int, tuple]:
    return next((index, sample) for index, sample in enumerate(samples.SAMPLES) if sample[0] == name)


@pytest.mark.parametrize(("index", "sample"), list(enumerate(samples.SAMPLES)), ids=[s[0] for s in samples.SAMPLES])
def test_the_batch_path_keeps_every_word_date_serial_and_qr_code(app, issuer_of, index, sample):
    name, kind, subject, language = sample
    with app.app_context():
        pdf = sample_pdf(issuer_of(kind, language), index, name, subject)
    assert samples.differences(RECORDED[name], samples.what_it_says(pdf)) == []
    assert samples.what_it_says(pdf)["qr"] == [samples.verify_url_of(name)] * len(RECORDED[name]["pdfium"])
    assert all(embedded for _font, embedded in samples.fonts_of(pdf))
    if language != "bilingual":
        assert len(pdf) <= MAX_PDF_BYTES, f"{name}: {len(pdf)} bytes"


def test_the_shipped_landscape_templates_are_drawn_in_layers_and_the_others_in_one_piece(app, issuer_of):
    with app.app_context():
        assert [kind for kind in DocumentKind if issuer_of(kind, "fa").layered] == [DocumentKind.GROUP,
                                                                                   DocumentKind.TRAINING]


@pytest.mark.parametrize("name", ["group-first-fa", "group-dense-en", "group-first-bilingual", "training-fa"])
def test_a_layered_document_looks_as_the_document_drawn_in_one_piece(app, issuer_of, name):
    index, (_name, kind, subject, language) = numbered(name)
    with app.app_context():
        issuer = issuer_of(kind, language)
        layered = sample_pdf(issuer, index, name, subject)
        values = issuer._context(samples.SUBJECTS[subject], samples.serial_of(index), samples.code_of(name),
                                 samples.ISSUED_AT)
        whole = issuer.renderer.pdf(sandbox.render_strict(issuer.template, values), values["verify_url"])
    drawn, reference = pages_as_images(layered), pages_as_images(whole)
    assert len(drawn) == len(reference) == len(RECORDED[name]["pdfium"])
    for page, page_in_one_piece in zip(drawn, reference):
        assert ImageChops.difference(page, page_in_one_piece).getbbox() is None  # not a pixel apart


def pages_as_images(pdf: bytes, scale: float = 1) -> list:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [page.render(scale=scale).to_pil().convert("RGB") for page in document]
    finally:
        document.close()


def test_a_document_of_the_batch_path_is_pdf_a_with_real_text(app, issuer_of):
    name, kind, subject, language = samples.SAMPLES[0]
    with app.app_context():
        pdf = sample_pdf(issuer_of(kind, language), 0, name, subject)
    reader = PdfReader(io.BytesIO(pdf))
    metadata = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")3", metadata) and re.search(r"pdfaid:conformance(>|=\")B", metadata)
    [intent] = reader.trailer["/Root"]["/OutputIntents"]
    assert intent.get_object()["/S"] == "/GTS_PDFA1"
    page = reader.pages[0]
    assert "/fixed0" in page["/Resources"]["/XObject"]  # the fixed layer, drawn once for the batch
    assert samples.SUBJECTS["first"].holder.replace("\u200c", "") in page.extract_text().replace("\u200c", "")


def test_the_fixed_layer_is_laid_out_once_for_a_batch(app, issuer_of, monkeypatch):
    """Documents whose fixed parts read the same share one drawing of them; a dense one has its own."""
    laid_out = []
    layer = weasy.FixedLayer.__init__
    monkeypatch.setattr(weasy.FixedLayer, "__init__", lambda self, document: laid_out.append(1) or
                        layer(self, document))
    with app.app_context():
        issuer = issuer_of(DocumentKind.GROUP, "fa")
        for index, subject in enumerate(["first", "group-award", "no-organisation", "first", "dense", "dense"]):
            issuer.render(samples.SUBJECTS[subject], samples.serial_of(index), f"code-{index}", samples.ISSUED_AT)
    assert len(laid_out) == 2  # the common page, and the dense one


def test_a_document_whose_text_has_more_pages_than_its_fixed_layer_is_drawn_in_one_piece(app, issuer_of):
    """A template's layers that do not make as many pages (its text ran on) cannot be laid one over the other.
    (An organiser's template is drawn whole anyway: here one is drawn in layers as a shipped one would be.)"""
    html = ('<html><body>{% if layer != "text" %}<p>{{ pages[0].event }}</p>{% endif %}{% if layer != "fixed" %}'
            '{% for member in members %}<p style="break-before: page">{{ member }}</p>{% endfor %}{% endif %}'
            '</body></html>')
    with app.app_context():
        issuer = issuer_of(DocumentKind.GROUP, "fa", html)
        assert not issuer.layered
        issuer.layered = True
        values = issuer._context(samples.SUBJECTS["first"], "DP-0000-0000-0000", "many-pages", samples.ISSUED_AT)
        layers = [sandbox.render_strict(issuer.template, {**values, "layer": layer}) for layer in (FIXED_LAYER, TEXT_LAYER)]
        assert issuer.renderer.layered_pdf(*layers, values["verify_url"]) is None
        pdf = issuer.render(samples.SUBJECTS["first"], "DP-0000-0000-0000", "many-pages", samples.ISSUED_AT)
    pages = [samples.words(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) == 4 and sorted(word for page in pages for word in page) == samples.words(
        " ".join([samples.EVENT["fa"], *samples.SUBJECTS["first"].members]))


def test_the_qr_code_drawn_without_an_svg_has_the_modules_of_its_svg(app):
    """QR_IMAGE fills the modules the SVG of ``{{ qr }}`` strokes: the same symbol, not only the same text."""
    url = "https://dawn.example.ir/verify/abcdefghijklmnopqrstuvwx"
    size = len(segno.make(url, error="m").matrix) * 4  # 4 CSS pixels a module, as the SVG's viewBox
    html = (f'<img style="display: block; width: {size}px; height: {size}px" src="{rendering.QR_IMAGE}">'
            f'<div style="width: {size}px; height: {size}px">{rendering.QRCodeSvg(url).__html__()}</div>')
    with app.app_context():
        pdf = Renderer(f"@page {{ size: {size}px {2 * size}px; margin: 0 }} body {{ margin: 0 }} "
                       f"svg {{ display: block; width: {size}px; height: {size}px }}", {}).pdf(html, url)
    image = pages_as_images(pdf, scale=4)[0].convert("L")
    pixels_per_module = image.width / (size / 4)
    modules = size // 4

    def module_is_dark(row, column, top):
        centre = (round((column + 0.5) * pixels_per_module), round((top + row + 0.5) * pixels_per_module))
        return image.getpixel(centre) < 128

    drawn = [[module_is_dark(row, column, 0) for column in range(modules)] for row in range(modules)]
    stroked = [[module_is_dark(row, column, modules) for column in range(modules)] for row in range(modules)]
    assert drawn == stroked == [list(map(bool, row)) for row in segno.make(url, error="m").matrix]
