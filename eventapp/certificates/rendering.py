"""HTML to PDF/A with WeasyPrint, with everything that does not change between documents done once.

A ``Renderer`` is made per batch (one kind of one event): it holds one ``FontConfiguration``, the
parsed stylesheets, the event's images and WeasyPrint's image cache, so each document only lays out
its own text. The URL fetcher serves two kinds of address and nothing else:

- ``asset:NAME``: an image the organisers uploaded for this event;
- ``font:FILE``: one of our own embedded fonts.

No ``file://``, no other host, no redirects: anything else is refused (and noted for the preview).
"""
import logging
from pathlib import Path

import pydyf
import segno
from markupsafe import Markup

from ..core.text import persian_digits_in_html

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # else a line per step of every document
from weasyprint import CSS, HTML  # noqa: E402  (after quieting its logger, which it uses on import)
from weasyprint.images import RasterImage  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

FONTS_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONT_FILES = {path.name: path for path in FONTS_DIR.glob("*.ttf")}
PDF_VARIANT = "pdf/a-3b"

BASE_CSS = """
@font-face { font-family: Vazirmatn; font-weight: 400; src: url(font:Vazirmatn-Regular.ttf); }
@font-face { font-family: Vazirmatn; font-weight: 700; src: url(font:Vazirmatn-Bold.ttf); }
html { font-family: Vazirmatn, sans-serif; }
.template-problem { color: #b00020; border: 1px solid #b00020; background: #fde7ea; padding: 0 2px;
                    font-family: monospace; direction: ltr; display: inline-block; }
"""


class RestrictedFetcher(URLFetcher):
    """Serves the event's own images and our fonts; refuses every other address."""

    def __init__(self, images: dict[str, tuple[bytes, str]]):
        super().__init__(allowed_protocols=(), allow_redirects=False, fail_on_errors=False)
        self.images = images
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        scheme, _, name = url.partition(":")
        if scheme == "asset" and name in self.images:
            content, content_type = self.images[name]
            return URLFetcherResponse(url, content, {"Content-Type": content_type})
        if scheme == "font" and name in FONT_FILES:
            return URLFetcherResponse(url, FONT_FILES[name].read_bytes(), {"Content-Type": "font/ttf"})
        if url not in self.refused:
            self.refused.append(url)
        raise ValueError(f"refused: {url}")


def qr_svg(text: str) -> Markup:
    """The QR code of ``text`` as inline SVG (drawn as vectors in the PDF)."""
    return Markup(segno.make(text, error="m").svg_inline(scale=4, border=0, omitsize=True))


def asset_urls(images) -> dict[str, str]:
    """What a template writes to show an image: ``<img src="{{ images.logo }}">``."""
    return {name: f"asset:{name}" for name in images}


_encode_image = RasterImage.get_x_object


def _encode_image_once(self, interpolate, dpi_ratio):
    """WeasyPrint 70 decodes and re-encodes a PNG for every document that shows it (about 360 ms for a
    1200×850 background), before it looks in the image cache it is given. Keep the encoded stream in
    that cache, which a Renderer shares across its batch, and wrap it in fresh PDF objects each time:
    the documents are byte for byte the same, and each image is encoded once per batch. (A document
    rendered with WeasyPrint's own per-document cache is unaffected.)"""
    key = ("encoded", self.id, interpolate, dpi_ratio)
    if key not in self._cache:
        x_object = _encode_image(self, interpolate, dpi_ratio)
        mask = x_object.extra.get("SMask")
        self._cache[key] = (x_object.stream, dict(x_object.extra),
                            (mask.stream, dict(mask.extra)) if mask is not None else None)
    stream, extra, mask = self._cache[key]
    extra = pydyf.Dictionary(extra)
    if mask is not None:
        extra["SMask"] = pydyf.Stream(mask[0], pydyf.Dictionary(mask[1]))
    return pydyf.Stream(stream, extra)


RasterImage.get_x_object = _encode_image_once


class Renderer:
    """Renders many documents of one template (its CSS already parsed) with the same fonts and images."""

    def __init__(self, css: str, images: dict[str, tuple[bytes, str]]):
        self.fetcher = RestrictedFetcher(images)
        self.font_config = FontConfiguration()
        self.stylesheets = [
            CSS(string=BASE_CSS, font_config=self.font_config, url_fetcher=self.fetcher),
            CSS(string=css, font_config=self.font_config, url_fetcher=self.fetcher, base_url="asset:"),
        ]
        self.cache = {}  # WeasyPrint's image cache: each image is decoded once per batch

    def pdf(self, html: str) -> bytes:
        """The document; its Persian pages (not those marked lang="en") in Persian digits, whatever the
        values it shows were typed with (a team's name, an event's title)."""
        document = HTML(string=persian_digits_in_html(html), url_fetcher=self.fetcher, base_url="asset:")
        return document.write_pdf(stylesheets=self.stylesheets, font_config=self.font_config,
                                  pdf_variant=PDF_VARIANT, cache=self.cache)
