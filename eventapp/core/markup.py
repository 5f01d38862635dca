"""Markup of what people typed (team names, map titles and bodies, event names...): its direction and
language marked for browsers and screen readers, whatever the language of the page."""
from datetime import datetime

from markupsafe import Markup, escape

from .i18n import current_language
from .text import has_persian_script


def machine_datetime(moment: datetime) -> str:
    """A moment as the ``datetime`` attribute of ``<time>`` takes it: to the second."""
    return moment.isoformat(timespec="seconds")


def user_text(value, tag: str = "bdi", class_: str = "") -> Markup:
    """``value`` (text, or Markup that was sanitised) isolated in an element of its own direction, marked
    ``lang="fa"`` when it is written in Persian script in a page of another language.

    ``tag``: ``bdi`` (inline, the default: a name inside a sentence or a table cell, which keeps the page's
    alignment) or a block element (``div``, ``p``, ``h2``...) that takes the direction of its text; ``class_``:
    the element's class.
    """
    if value is None or value == "":
        return Markup("")
    content = escape(value)
    attributes = f' class="{escape(class_)}"' if class_ else ""
    if tag != "bdi":  # a bdi takes the direction of its text by itself
        attributes += ' dir="auto"'
    if current_language() != "fa" and has_persian_script(Markup(content).striptags()):
        attributes += ' lang="fa"'
    return Markup(f"<{tag}{attributes}>{content}</{tag}>")
