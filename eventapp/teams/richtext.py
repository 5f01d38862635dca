"""Rich but safe text for the sections of a progress map: pure functions, no Flask.

What a browser sends is cleaned with nh3 (the Ammonia sanitiser) on save: a short list of tags,
links with safe schemes only, nothing that runs. Text typed without any tag (a phone without the
editor's JavaScript) becomes paragraphs.
"""
import html
import re

import nh3

from ..core.text import text_of_html

ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "ul", "ol", "li", "h3", "h4", "blockquote", "a"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
_TAG = re.compile(r"<[^>]+>")


def clean_html(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if not _TAG.search(value):
        paragraphs = [part.strip() for part in re.split(r"\n\s*\n", value) if part.strip()]
        value = "".join(f"<p>{html.escape(part).replace(chr(10), '<br>')}</p>" for part in paragraphs)
    cleaned = nh3.clean(
        value, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return "" if not plain_text(cleaned) else cleaned


def plain_text(value: str) -> str:
    """The words of a cleaned section, one paragraph a line, for differences and exports."""
    return "\n".join(line for line in text_of_html(value).splitlines() if line.strip())
