"""A notification as a person reads it, in their language: the subject, the HTML body, the plain text, the SMS.

Each kind has one template, ``templates/notifications/kinds/<kind>.html``, with the blocks ``subject``, ``body``
(an HTML fragment) and ``sms`` (one short line), written with gettext and rendered under the reader's locale.
In Persian every digit a person reads is Persian (links keep theirs).
"""
import html
import re
import string
from dataclasses import dataclass
from datetime import date, datetime
from types import SimpleNamespace

from flask import current_app
from flask_babel import force_locale
from markupsafe import Markup
from sqlalchemy import select

from ..certificates.enums import DocumentKind
from ..core.extensions import db
from ..core.i18n import format_datetime, format_day
from ..core.text import persian_digits, persian_digits_in_html, text_of_html
from ..judging.enums import Award, RoundKind
from .models import Announcement

_URL = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class Message:
    subject: str
    html: Markup  # the body, a fragment
    text: str
    sms: str


def language_for(locale: str | None) -> str:
    """The language a person reads their messages in: their account's, else the site's default."""
    return locale if locale in current_app.config["LANGUAGES"] else current_app.config["BABEL_DEFAULT_LOCALE"]


@dataclass(frozen=True)
class AnnouncementText:
    """An announcement's words, as plain values that outlive a commit."""

    title_fa: str
    title_en: str
    body_fa: str
    body_en: str
    event_fa: str
    event_en: str

    def title_in(self, language: str) -> str:
        return self.title_en if language == "en" and self.title_en else self.title_fa

    def body_in(self, language: str) -> str:
        return self.body_en if language == "en" and self.body_en else self.body_fa

    def event_in(self, language: str) -> str:
        return self.event_en if language == "en" else self.event_fa


PLACEHOLDERS = ("name", "team", "event")


def fill(text: str, name: str, team: str, event: str, escape: bool = True) -> str:
    """An announcement's text with its placeholders ({name}, {team}, {event}) filled, escaped for HTML when
    ``escape``; a placeholder it does not know stays as written (announcements.check_placeholders refuses them)."""
    values = {"name": name or "", "team": team or "", "event": event or ""}
    if escape:
        values = {key: html.escape(value) for key, value in values.items()}
    return string.Formatter().vformat(text, (), _Known(values))


class _Known(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def _when(iso: str, with_time: bool = True) -> str:
    """A moment stored in the params (ISO 8601) as the reader's calendar shows it, Tehran time."""
    return format_datetime(datetime.fromisoformat(iso), with_time) if iso else ""


def _day(iso: str) -> str:
    return format_day(date.fromisoformat(iso)) if iso else ""


# What the templates use besides their params: the labels of stored values (``labels.award("first")``) and
# moments in the reader's calendar (``when(ends_at)``, ``day(due_on)``).
HELPERS = {"labels": SimpleNamespace(award=Award.label_of, document=DocumentKind.label_of, round=RoundKind.label_of),
           "when": _when, "day": _day, "fill": fill}

def render(kind: str, params: dict, link: str, language: str, extra: dict | None = None) -> Message:
    """``extra``: what the kind's template needs besides the params (an announcement's row)."""
    with force_locale(language):
        template = current_app.jinja_env.get_template(f"notifications/kinds/{kind}.html")
        event = params.get("event_en") if language == "en" else params.get("event_fa")
        context = template.new_context({**params, **(extra or {}), "event": event, "link": link, "lang": language,
                                        "rtl": language == "fa", **HELPERS})
        subject, body, sms = ("".join(template.blocks[name](context)).strip() for name in ("subject", "body", "sms"))
    subject, sms = (" ".join(html.unescape(part).split()) for part in (subject, sms))  # plain text, not HTML
    text = text_of_html(body) + (f"\n\n{link}" if link else "")
    if language == "fa":
        subject, sms, text = _persian(subject), _persian(sms), _persian(text)
        body = persian_digits_in_html(body)
    return Message(subject=subject, html=Markup(body), text=text, sms=sms)


def extras_for(notifications, id_of=lambda notification: notification.id) -> dict[int, dict]:
    """What each notification's template needs besides its params, by notification id (``id_of``): the
    announcement an announcement's notification shows (one query for a page or a batch)."""
    ids = {notification.announcement_id for notification in notifications if notification.announcement_id}
    if not ids:
        return {}
    announcements = {row.id: AnnouncementText(row.title_fa, row.title_en, row.body_fa, row.body_en,
                                              row.event.title_fa, row.event.title_en or row.event.title_fa)
                     for row in db.session.scalars(select(Announcement).where(Announcement.id.in_(ids)))}
    return {id_of(notification): {"announcement": announcements[notification.announcement_id]}
            for notification in notifications if notification.announcement_id in announcements}


def _persian(text: str) -> str:
    """Persian digits, but in the addresses."""
    pieces = _URL.split(text)
    links = _URL.findall(text)
    return "".join(persian_digits(piece) + (links[index] if index < len(links) else "")
                   for index, piece in enumerate(pieces))
