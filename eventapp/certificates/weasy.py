"""WeasyPrint's side of the rendering: imported when the first document is made, not when the app starts
(WeasyPrint and its libraries take about half a second to load). See rendering.py for what it serves."""
import copy
import logging
import zlib

import pydyf
import segno

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # else a line per step of every document
from weasyprint import CSS, HTML  # noqa: E402, F401  (after quieting its logger, which it uses on import)
from weasyprint.images import RasterImage  # noqa: E402
from weasyprint.pdf.stream import Stream  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402, F401
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

from .rendering import FONT_FILES  # noqa: E402


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


class QRCode:
    """A QR code as WeasyPrint draws an image: its dark modules filled, row by row, as its SVG draws them
    (without WeasyPrint reading an SVG path of some four hundred commands for each document)."""

    MODULE_PX = 4  # its size when nothing sets one, as the SVG's

    def __init__(self, text: str):
        rows = segno.make(text, error="m").matrix
        self.modules = len(rows)
        # Each run of dark modules of a row as a rectangle, in modules: drawn as one path, scaled when drawn.
        self.path = b" ".join(f"{start} {y} {end - start} 1 re".encode() for y, row in enumerate(rows)
                              for start, end in _dark_runs(row))

    def get_intrinsic_size(self, resolution, font_size):
        size = self.modules * self.MODULE_PX
        return size, size, 1

    def draw(self, stream, concrete_width, concrete_height, style):
        with stream.stacked():
            stream.transform(a=concrete_width / self.modules, d=concrete_height / self.modules)
            stream.set_color_rgb(0, 0, 0)
            stream.stream.append(self.path)
            stream.fill()


def _dark_runs(row) -> list[tuple[int, int]]:
    """(start, end) of each run of dark modules in a row of a QR code's matrix."""
    runs, start = [], None
    for x, dark in enumerate(row):
        if dark and start is None:
            start = x
        elif not dark and start is not None:
            runs.append((start, x))
            start = None
    if start is not None:
        runs.append((start, len(row)))
    return runs


COMPRESSION_LEVEL = 6  # zlib's own default: as small within 0.5 %, twice as fast as the 9 pydyf writes with


def compress_streams(document, pdf) -> None:
    """Compress the PDF's streams (its fonts, text, colour profile) at COMPRESSION_LEVEL: a ``finisher``."""
    for item in pdf.objects:
        if isinstance(item, pydyf.Stream) and item.compress:
            item.stream = [zlib.compress(b"\n".join(pydyf._to_bytes(part) for part in item.stream), COMPRESSION_LEVEL)]
            item.extra["Filter"] = "/FlateDecode"
            item.compress = False


# --- the fixed layer of a batch: laid out and drawn once ---------------------------------------------------

SCALE = 0.75  # WeasyPrint draws in PDF points: 72 per inch, for CSS's 96 pixels


def _copied(value, color_space):
    """A fresh copy of a drawing's resources (dictionaries, arrays, streams) for one more PDF, which turns each
    of its objects into references of its own; their colour spaces become that PDF's."""
    if isinstance(value, pydyf.Stream):
        return pydyf.Stream(list(value.stream), _copied(value.extra, color_space), value.compress)
    if isinstance(value, pydyf.Dictionary):
        return pydyf.Dictionary({key: color_space if key == "ColorSpace" and item is None else
                                 _copied(item, color_space) for key, item in value.items()})
    if isinstance(value, pydyf.Array):
        return pydyf.Array(_copied(item, color_space) for item in value)
    return value


class FixedLayer:
    """The pages of what every document of a batch shows the same (the paper, the frame, the header...),
    drawn once, each as the compressed content of a form XObject with the resources it uses. Each document
    draws a fresh copy of it under its own text, and subsets its fonts with the glyphs the layer shows too, so
    its PDF embeds one subset of each font, as a document drawn in one piece does."""

    def __init__(self, document):
        self.pages = document.pages
        self.fonts = {}  # WeasyPrint's fonts by key, with the glyphs (widths, Unicode) the layer shows
        self.images = {}  # the images it shows, as a document's stream records them
        self.drawings = [self._draw(page, document) for page in document.pages]

    def _draw(self, page, document) -> tuple[bytes, pydyf.Dictionary, pydyf.Array]:
        resources = pydyf.Dictionary({"ExtGState": pydyf.Dictionary(), "XObject": pydyf.Dictionary(),
                                      "Pattern": pydyf.Dictionary(), "Shading": pydyf.Dictionary(),
                                      "ColorSpace": None, "Font": None})  # both set for each PDF
        stream = Stream(self.fonts, (0, 0, page.width, page.height), resources, self.images, None,
                        document.color_profiles, document.output_intent, compress=True)
        page.paint(stream, SCALE)
        content = zlib.compress(b"\n".join(pydyf._to_bytes(item) for item in stream.stream), 9)  # once a batch
        return content, resources, pydyf.Array((0, 0, page.width * SCALE, page.height * SCALE))

    def draw(self, number: int, stream) -> None:
        """Draw the layer's page ``number`` on a document's page ``stream``."""
        content, resources, box = self.drawings[number]
        name = f"fixed{number}"
        stream._resources["XObject"][name] = pydyf.Stream([content], pydyf.Dictionary({
            "Type": "/XObject", "Subtype": "/Form", "BBox": box, "Filter": "/FlateDecode",
            "Resources": _copied(resources, stream._resources["ColorSpace"])}))
        for key, image in self.images.items():
            stream._images.setdefault(key, {**image, "dpi_ratios": set(image["dpi_ratios"]), "x_object": None})
        if number == 0:  # before anything else is drawn: the document's fonts start as the layer's
            for key, font in self.fonts.items():
                stream._fonts[key] = mine = copy.copy(font)
                mine.widths, mine.to_unicode = dict(font.widths), dict(font.to_unicode)
                mine.missing, mine.variations = dict(font.missing), dict(font.variations)
        stream.draw_x_object(name)


class StackedPage:
    """A document's page: its fixed layer's page, then its own text over it (WeasyPrint's Page, as PDF
    writing reads it)."""

    def __init__(self, fixed: FixedLayer, number: int, text_page):
        self.fixed, self.number, self.text = fixed, number, text_page
        under = fixed.pages[number]
        self.width, self.height, self.bleed = text_page.width, text_page.height, text_page.bleed
        self.links = under.links + text_page.links
        self.anchors = {**under.anchors, **text_page.anchors}
        self.bookmarks = under.bookmarks + text_page.bookmarks
        self.forms = text_page.forms

    def paint(self, stream, scale=1):
        self.fixed.draw(self.number, stream)
        self.text.paint(stream, scale)


def stacked(fixed: FixedLayer, text_document):
    """The document of ``text_document``'s pages drawn over the fixed layer's (as many pages in both)."""
    return text_document.copy([StackedPage(fixed, number, page) for number, page in enumerate(text_document.pages)])
