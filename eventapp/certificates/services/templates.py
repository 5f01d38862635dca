"""Certificates: each event's settings (language and signatories), images and templates, and the preview
of a template with sample data."""
import base64
import re
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

import pypdfium2
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ...audit import services as audit
from ...core import storage
from ...core.errors import Invalid, NotFound
from ...core.extensions import db
from ...core.i18n import format_number
from ...events.models import Event
from .. import documents, sandbox
from ..enums import DocumentKind, DocumentLanguage
from ..models import MAX_SIGNATORIES, CertificateSettings, CertificateTemplate, TemplateImage
from ..rendering import Renderer
from ._shared import document_kind, event_titles, require_certificate_organiser, site_address, verify_url

audit.register_actions({
    "certificate.template_saved": _l("Document template saved"),
    "certificate.template_reset": _l("Document template reset to the default"),
    "certificate.image_uploaded": _l("Document image uploaded"),
    "certificate.image_removed": _l("Document image removed"),
    "certificate.settings_saved": _l("Document settings saved"),
})

DEFAULTS_DIR = Path(__file__).resolve().parent.parent / "defaults"
SHARED_LANDSCAPE = (DocumentKind.GROUP, DocumentKind.TRAINING)  # kinds whose default CSS starts with defaults/landscape.css
IMAGE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp")
PREVIEW_PAGES = 4

PROBLEM_MESSAGES = {
    sandbox.UNKNOWN: _l("The template uses “%(detail)s”, which is not a value documents have."),
    sandbox.SYNTAX: _l("The template cannot be read: %(detail)s"),
    sandbox.FORBIDDEN: _l("The template tries something templates may not do: %(detail)s"),
    sandbox.FAILED: _l("The template failed: %(detail)s"),
}
LIMIT_MESSAGES = {
    sandbox.TOO_LONG_VALUE: _l("The template makes a value longer than %(count)s characters."),
    sandbox.TOO_WIDE: _l("The template asks for a width, count or power above %(count)s."),
    sandbox.WIDTH_FROM_VALUES: _l("The template takes a width from its values; write the width in the template."),
    sandbox.TOO_LONG_DOCUMENT: _l("The template makes a document longer than %(count)s characters."),
    sandbox.TOO_MANY_ELEMENTS: _l("The template makes a document of more than %(count)s elements."),
    sandbox.TOO_SLOW: _l("The template takes more than %(count)s seconds to fill in."),
}
LIMIT_NUMBERS = {sandbox.TOO_LONG_VALUE: sandbox.MAX_VALUE_CHARS, sandbox.TOO_WIDE: sandbox.MAX_WIDTH,
                 sandbox.TOO_LONG_DOCUMENT: sandbox.MAX_OUTPUT_CHARS, sandbox.TOO_MANY_ELEMENTS: sandbox.MAX_ELEMENTS,
                 sandbox.TOO_SLOW: sandbox.MAX_RENDER_SECONDS}


def describe(problem: sandbox.Problem) -> str:
    if problem.kind == sandbox.LIMIT:
        message = LIMIT_MESSAGES[problem.detail] % {"count": format_number(LIMIT_NUMBERS.get(problem.detail, 0))}
    else:
        message = PROBLEM_MESSAGES[problem.kind] % {"detail": problem.detail}
    return _("Line %(line)d: %(message)s", line=problem.line, message=message) if problem.line else message


# --- settings and images ----------------------------------------------------------------------------------


def settings_of(event: Event) -> CertificateSettings:
    found = db.session.scalar(select(CertificateSettings).where(CertificateSettings.event_id == event.id))
    return found or CertificateSettings(event_id=event.id, language=DocumentLanguage.FA, signatories=[])


def save_settings(actor, event: Event, language: str, signatories: list[dict], now: datetime) -> CertificateSettings:
    """The language of the event's documents and up to three people who sign them."""
    require_certificate_organiser(actor)
    if language not in DocumentLanguage.values():
        raise Invalid(_("Choose a language from the list."), {"language": _("Choose a language from the list.")})
    people = [person for person in signatories if person.get("name_fa", "").strip()]
    if len(people) > MAX_SIGNATORIES:
        raise Invalid(_("At most %(count)d people can sign.", count=MAX_SIGNATORIES))
    known = set(image_names(event))
    errors = {}
    for index, person in enumerate(signatories):
        if person.get("image") and person["image"] not in known:
            errors[f"signatories-{index}-image"] = _("Upload this image first.")
        if not person.get("name_fa", "").strip() and any(person.get(key) for key in ("name_en", "position_fa")):
            errors[f"signatories-{index}-name_fa"] = _("Write the name in Persian.")
    if errors:
        raise Invalid(_("Correct the marked fields."), errors)
    settings = settings_of(event)
    before = {"language": settings.language, "signatories": settings.signatories}
    settings.language = DocumentLanguage(language)
    settings.signatories = [{key: person.get(key, "").strip() for key in
                             ("name_fa", "name_en", "position_fa", "position_en", "image")} for person in people]
    db.session.add(settings)
    db.session.flush()
    audit.record(actor, "certificate.settings_saved", event,
                 audit.diff(before, {"language": settings.language, "signatories": settings.signatories}), now=now)
    return settings


def image_names(event: Event) -> list[str]:
    return list(db.session.scalars(select(TemplateImage.name).where(TemplateImage.event_id == event.id)
                                   .order_by(TemplateImage.name)))


def images_of(event: Event) -> list[TemplateImage]:
    return list(db.session.scalars(select(TemplateImage).where(TemplateImage.event_id == event.id)
                                   .order_by(TemplateImage.name)))


def image_files(event: Event) -> dict[str, tuple[bytes, str]]:
    """The event's images, {name: (content, type)}, for rendering its documents."""
    upload_dir = current_app.config["UPLOAD_DIR"]
    return {image.name: (storage.path_for(upload_dir, image.sha256).read_bytes(), image.content_type)
            for image in images_of(event)}


def upload_image(actor, event: Event, name: str, content: bytes, now: datetime) -> TemplateImage:
    """Add or replace one of the event's images: PNG, JPEG or WebP, recognised by its content."""
    require_certificate_organiser(actor)
    name = (name or "").strip().lower()
    if not IMAGE_NAME.match(name):
        raise Invalid(_("Name the image with small Latin letters, digits and dashes, such as logo or signature-1."),
                      {"name": _("Use small Latin letters, digits and dashes.")})
    kind = storage.sniff(content[:16])
    if kind is None or kind[0] not in IMAGE_TYPES:
        raise Invalid(_("This file is not a PNG, JPEG or WebP image."), {"image": _("Choose a PNG, JPEG or WebP image.")})
    if len(content) > current_app.config["MAX_ATTACHMENT_BYTES"]:
        raise Invalid(_("This image is too large."), {"image": _("This image is too large.")})
    storage.check_image(content)
    sha256 = storage.store(current_app.config["UPLOAD_DIR"], content)
    image = db.session.scalar(select(TemplateImage).where(TemplateImage.event_id == event.id,
                                                          TemplateImage.name == name))
    if image is None:
        image = TemplateImage(event_id=event.id, name=name)
        db.session.add(image)
    image.sha256, image.content_type, image.size = sha256, kind[0], len(content)
    image.uploaded_by_id, image.uploaded_at = actor.id, now
    db.session.flush()
    audit.record(actor, "certificate.image_uploaded", event, {"image": name, "sha256": sha256}, now=now)
    return image


def remove_image(actor, event: Event, name: str, now: datetime) -> None:
    require_certificate_organiser(actor)
    image = db.session.scalar(select(TemplateImage).where(TemplateImage.event_id == event.id,
                                                          TemplateImage.name == name))
    if image is None:
        raise NotFound(_("There is no such image."))
    db.session.delete(image)
    audit.record(actor, "certificate.image_removed", event, {"image": name}, now=now)


# --- templates ---------------------------------------------------------------------------------------------


def default_template(kind: str) -> tuple[str, str]:
    """The shipped HTML and CSS of a kind; group and training certificates share one landscape sheet,
    followed by their own few rules (an organiser edits the two as one CSS)."""
    kind = document_kind(kind)
    css = (DEFAULTS_DIR / f"{kind}.css").read_text(encoding="utf-8")
    if kind in SHARED_LANDSCAPE:
        css = (DEFAULTS_DIR / "landscape.css").read_text(encoding="utf-8") + "\n" + css
    return (DEFAULTS_DIR / f"{kind}.html").read_text(encoding="utf-8"), css


def template_of(event: Event, kind: str) -> tuple[str, str, bool]:
    """(HTML, CSS, whether it is the default) of the event's template for the kind."""
    kind = document_kind(kind)
    own = db.session.scalar(select(CertificateTemplate).where(CertificateTemplate.event_id == event.id,
                                                              CertificateTemplate.kind == kind))
    if own is None:
        return (*default_template(kind), True)
    return own.html, own.css, False


def save_template(actor, event: Event, kind: str, html: str, css: str, now: datetime) -> CertificateTemplate:
    """Keep the organisers' HTML and CSS (a template with problems may be kept; issuing refuses it)."""
    require_certificate_organiser(actor)
    kind = document_kind(kind)
    if not html.strip():
        raise Invalid(_("The template's HTML is empty."), {"html": _("Write the template's HTML.")})
    own = db.session.scalar(select(CertificateTemplate).where(CertificateTemplate.event_id == event.id,
                                                              CertificateTemplate.kind == kind))
    if own is None:
        own = CertificateTemplate(event_id=event.id, kind=kind)
        db.session.add(own)
    own.html, own.css, own.updated_by_id, own.updated_at = html, css, actor.id, now
    db.session.flush()
    audit.record(actor, "certificate.template_saved", event, {"kind": kind}, now=now)
    return own


def reset_template(actor, event: Event, kind: str, now: datetime) -> None:
    require_certificate_organiser(actor)
    kind = document_kind(kind)
    own = db.session.scalar(select(CertificateTemplate).where(CertificateTemplate.event_id == event.id,
                                                              CertificateTemplate.kind == kind))
    if own is not None:
        db.session.delete(own)
        audit.record(actor, "certificate.template_reset", event, {"kind": kind}, now=now)


# --- preview ---------------------------------------------------------------------------------------------


@dataclass
class Preview:
    pages: list[str]  # PNG images of the first pages, as data: URLs
    problems: list[str]


def preview(actor, event: Event, kind: str, html: str, css: str, now: datetime, base_url: str = "") -> Preview:
    """Render the template with sample data, marking unknown values instead of refusing them.
    ``base_url``: the site's address for the sample QR code (see site_address)."""
    require_certificate_organiser(actor)
    kind = document_kind(kind)
    settings = settings_of(event)
    images = image_files(event)
    values = documents.context(kind, documents.sample_subject(kind), event=event_titles(event),
                               language=settings.language, signatories=settings.signatories, images=images,
                               serial="DP-0000-0000-0000", verify_url=verify_url(base_url.rstrip("/") or site_address(), "sample"),
                               issued_at=now)
    rendered = sandbox.render_preview(html, values)
    problems = [describe(problem) for problem in rendered.problems]
    if not rendered.html:
        return Preview([], problems)
    renderer = Renderer(css, images)
    pdf = renderer.pdf(rendered.html, values["verify_url"])
    problems += [_("The address “%(url)s” cannot be used: only the event's own images can.", url=url)
                 for url in renderer.fetcher.refused]
    return Preview(_png_pages(pdf), problems)


def _png_pages(pdf: bytes) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        pages = []
        for index in range(min(len(document), PREVIEW_PAGES)):
            image = document[index].render(scale=1.2).to_pil()
            buffer = BytesIO()
            image.save(buffer, "PNG", optimize=True)
            pages.append("data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode())
        return pages
    finally:
        document.close()
