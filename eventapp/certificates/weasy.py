"""WeasyPrint's side of the rendering: imported when the first document is made, not when the app starts
(WeasyPrint and its libraries take about half a second to load). See rendering.py for what it serves."""
import logging

import pydyf

logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # else a line per step of every document
from weasyprint import CSS, HTML  # noqa: E402, F401  (after quieting its logger, which it uses on import)
from weasyprint.images import RasterImage  # noqa: E402
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
