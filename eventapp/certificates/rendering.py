"""HTML to PDF/A with WeasyPrint, with everything that does not change between documents done once.

A ``Renderer`` is made per batch (one kind of one event): it holds one ``FontConfiguration``, the
parsed stylesheets, the event's images and WeasyPrint's image cache, so each document only lays out
its own text. The URL fetcher serves two kinds of address and nothing else:

- ``asset:NAME``: an image the organisers uploaded for this event;
- ``font:FILE``: one of our own embedded fonts.

No ``file://``, no other host, no redirects: anything else is refused (and noted for the preview).
"""
from contextlib import contextmanager
from pathlib import Path

import segno

from ..core.text import persian_digits_in_html

FONTS_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT_FILES = {path.name: path for path in FONTS_DIR.glob("*.ttf")}
PDF_VARIANT = "pdf/a-3b"
# What a template's ``layer`` value asks for: the whole page, or the fixed parts or the text of a batch's page.
WHOLE_PAGE, FIXED_LAYER, TEXT_LAYER = "page", "fixed", "text"
QR_IMAGE = "qr:document"  # what a template shows the document's QR code with: <img src="{{ qr_image }}">
FIXED_LAYERS_KEPT = 8  # distinct fixed layers a batch keeps drawn (a template that varies them gains nothing)
BASE_CSS = """
@font-face { font-family: Vazirmatn; font-weight: 400; src: url(font:Vazirmatn-Regular.ttf); }
@font-face { font-family: Vazirmatn; font-weight: 700; src: url(font:Vazirmatn-Bold.ttf); }
html { font-family: Vazirmatn, sans-serif; }
.template-problem { color: #b00020; border: 1px solid #b00020; background: #fde7ea; padding: 0 2px;
                    font-family: monospace; direction: ltr; display: inline-block; }
"""


class QRCodeSvg:
    """The QR code of ``text`` as inline SVG (drawn as vectors in the PDF), made when a template prints it
    (``{{ qr }}``): the default templates show QR_IMAGE instead, which is drawn without an SVG to read."""

    def __init__(self, text: str):
        self.text = text

    def __html__(self) -> str:
        return segno.make(self.text, error="m").svg_inline(scale=4, border=0, omitsize=True)

    __str__ = __html__


def asset_urls(images) -> dict[str, str]:
    """What a template writes to show an image: ``<img src="{{ images.logo }}">``."""
    return {name: f"asset:{name}" for name in images}


class Renderer:
    """Renders many documents of one template (its CSS already parsed) with the same fonts and images.

    A template written in layers (see ``layer`` in the default templates) is rendered as two documents: its
    fixed layer, laid out and drawn once and kept by its HTML (a batch has one or two: dense or not), and
    each document's text, laid out and drawn over a copy of it."""

    def __init__(self, css: str, images: dict[str, tuple[bytes, str]]):
        from . import weasy  # where it is used: the app starts without WeasyPrint

        self.weasy = weasy
        self.fetcher = weasy.RestrictedFetcher(images)
        self.font_config = weasy.FontConfiguration()
        self.stylesheets = [
            weasy.CSS(string=BASE_CSS, font_config=self.font_config, url_fetcher=self.fetcher),
            weasy.CSS(string=css, font_config=self.font_config, url_fetcher=self.fetcher, base_url="asset:"),
        ]
        self.cache = {}  # WeasyPrint's image cache: each image is decoded once per batch
        self.fixed_layers = {}  # FixedLayer by the HTML of the layer, the latest FIXED_LAYERS_KEPT

    def _render(self, html: str):
        """The document laid out; its Persian pages (not those marked lang="en") in Persian digits, whatever
        the values it shows were typed with (a team's name, an event's title)."""
        document = self.weasy.HTML(string=persian_digits_in_html(html), url_fetcher=self.fetcher, base_url="asset:")
        return document.render(stylesheets=self.stylesheets, font_config=self.font_config, pdf_variant=PDF_VARIANT,
                               cache=self.cache)

    @contextmanager
    def _qr_code(self, text: str):
        """While a document is made, QR_IMAGE shows the QR code of ``text`` (its checking address)."""
        self.cache[QR_IMAGE] = self.weasy.QRCode(text)
        try:
            yield
        finally:
            del self.cache[QR_IMAGE]

    def _write(self, document) -> bytes:
        return document.write_pdf(pdf_variant=PDF_VARIANT, finisher=self.weasy.compress_streams)

    def pdf(self, html: str, qr_text: str = "") -> bytes:
        """The document, drawn in one piece; ``qr_text``: what its QR code (QR_IMAGE) says."""
        with self._qr_code(qr_text):
            return self._write(self._render(html))

    def layered_pdf(self, fixed_html: str, text_html: str, qr_text: str = "") -> bytes | None:
        """The document of the two layers of a page: the fixed one (drawn once per batch), the text over it.
        None when they do not have as many pages (the text ran over a page): draw the whole page instead."""
        fixed = self.fixed_layers.get(fixed_html)
        if fixed is None:
            fixed = self.weasy.FixedLayer(self._render(fixed_html))
            if len(self.fixed_layers) >= FIXED_LAYERS_KEPT:
                del self.fixed_layers[next(iter(self.fixed_layers))]
            self.fixed_layers[fixed_html] = fixed
        with self._qr_code(qr_text):
            text = self._render(text_html)
            if len(text.pages) != len(fixed.pages):
                return None
            return self._write(self.weasy.stacked(fixed, text))
