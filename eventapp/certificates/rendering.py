"""HTML to PDF/A with WeasyPrint, with everything that does not change between documents done once.

A ``Renderer`` is made per batch (one kind of one event): it holds one ``FontConfiguration``, the
parsed stylesheets, the event's images and WeasyPrint's image cache, so each document only lays out
its own text. The URL fetcher serves two kinds of address and nothing else:

- ``asset:NAME``: an image the organisers uploaded for this event;
- ``font:FILE``: one of our own embedded fonts.

No ``file://``, no other host, no redirects: anything else is refused (and noted for the preview).
"""
from pathlib import Path

import segno
from markupsafe import Markup

from ..core.text import persian_digits_in_html

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


def qr_svg(text: str) -> Markup:
    """The QR code of ``text`` as inline SVG (drawn as vectors in the PDF)."""
    return Markup(segno.make(text, error="m").svg_inline(scale=4, border=0, omitsize=True))


def asset_urls(images) -> dict[str, str]:
    """What a template writes to show an image: ``<img src="{{ images.logo }}">``."""
    return {name: f"asset:{name}" for name in images}


class Renderer:
    """Renders many documents of one template (its CSS already parsed) with the same fonts and images."""

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

    def pdf(self, html: str) -> bytes:
        """The document; its Persian pages (not those marked lang="en") in Persian digits, whatever the
        values it shows were typed with (a team's name, an event's title)."""
        document = self.weasy.HTML(string=persian_digits_in_html(html), url_fetcher=self.fetcher, base_url="asset:")
        return document.write_pdf(stylesheets=self.stylesheets, font_config=self.font_config,
                                  pdf_variant=PDF_VARIANT, cache=self.cache)
