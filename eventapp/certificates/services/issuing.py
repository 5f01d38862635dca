"""Certificates: issuing documents (one at a time here, all of a kind in bulk.py), revoking and reissuing them,
and the downloads (one PDF, or a kind's ZIP)."""
import re
import secrets
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select

from ... import signals
from ...audit import services as audit
from ...audit.models import AuditEntry
from ...core import storage
from ...core.database import utcnow
from ...core.errors import Conflict as ConflictError
from ...core.errors import Invalid, NotFound
from ...core.extensions import db
from ...core.text import persian_sort_key
from ...events.models import Event
from ...teams.models import Team, TeamMember
from .. import documents, sandbox
from ..enums import DocumentKind
from ..models import Certificate, CertificateJob
from ..rendering import FIXED_LAYER, TEXT_LAYER, WHOLE_PAGE, Renderer
from . import credentials
from ._shared import document_kind, event_titles, require_certificate_organiser, site_address, verify_url
from .templates import describe, image_files, settings_of, template_of

audit.register_actions({
    "certificate.issued": _l("Document issued"),
    "certificate.revoked": _l("Document revoked"),
    "certificate.reissued": _l("Document reissued"),
    "certificate.job_started": _l("Bulk issue started"),
    "certificate.job_resumed": _l("Bulk issue resumed"),
})

SERIAL_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U


# --- issuing ------------------------------------------------------------------------------------------------


def new_serial() -> str:
    """DP-XXXX-XXXX-XXXX: 60 random bits, so serials can be neither guessed nor counted through."""
    characters = "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(12))
    return f"DP-{characters[:4]}-{characters[4:8]}-{characters[8:]}"


@dataclass
class Made:
    """A document rendered, not yet recorded: whom it is for, its serial, code, moment and PDF."""
    subject: documents.Subject
    serial: str
    code: str
    issued_at: datetime
    pdf: bytes

    @property
    def sha256(self) -> str:
        return storage.digest(self.pdf)


class Issuer:
    """Issues documents of one kind for one event, preparing once what every document shares:
    the checked template, the parsed CSS, the fonts, the images, the settings, and (for a template written
    in layers, as the default ones) the fixed layer of its pages, drawn once."""

    def __init__(self, event: Event, kind: str, base_url: str):
        kind = document_kind(kind)
        if kind in (DocumentKind.GROUP, DocumentKind.REPORT) and not documents.has_published_results(event):
            raise ConflictError(_("Publish the results before issuing group certificates or report cards."))
        self.event, self.kind, self.base_url = event, kind, base_url
        self.event_titles = event_titles(event)
        self.settings = settings_of(event)
        self.images = image_files(event)
        html, css, shipped = template_of(event, kind)
        self.timed = not shipped  # an organiser's template is stopped after MAX_RENDER_SECONDS; ours need no clock
        try:
            self.template = sandbox.compile_strict(html)
            # Refuse a template that names an unknown value before making any document with it.
            sandbox.render_strict(self.template, self._context(documents.sample_subject(kind), "DP-0000-0000-0000",
                                                               "sample", utcnow()))
        except sandbox.TemplateRefused as error:
            raise Invalid(_("This template cannot be used yet: %(problem)s Correct it in the template editor.",
                            problem=describe(error.problem))) from error
        self.renderer = Renderer(css, self.images)
        # A shipped template written in layers is drawn as its fixed layer, once, and each document's text over it;
        # an organiser's own template, whose parts may follow one another, is always drawn in one piece.
        self.layered = shipped and sandbox.uses(html, "layer")
        # Every document is signed: without usable keys nothing is issued (KeysUnusable says why).
        self.keys = credentials.require_keys(utcnow(), base_url)
        self.signing_reason = f"{kind.label} · {event.title_fa}"

    def _context(self, subject: documents.Subject, serial: str, code: str, issued_at: datetime) -> dict:
        return documents.context(self.kind, subject, event=self.event_titles, language=self.settings.language,
                                 signatories=self.settings.signatories, images=self.images, serial=serial,
                                 verify_url=verify_url(self.base_url, code), issued_at=issued_at)

    def render(self, subject: documents.Subject, serial: str, code: str, issued_at: datetime) -> bytes:
        """The document's PDF. Raises sandbox.TemplateRefused if the subject's values break the template."""
        values = self._context(subject, serial, code, issued_at)
        if self.layered:
            pdf = self.renderer.layered_pdf(self._html(values, FIXED_LAYER), self._html(values, TEXT_LAYER),
                                            values["verify_url"])
            if pdf is not None:
                return pdf
        return self.renderer.pdf(self._html(values, WHOLE_PAGE), values["verify_url"])

    def _html(self, values: dict, layer: str) -> str:
        return sandbox.render_strict(self.template, {**values, "layer": layer}, self.timed)

    def finish(self, pdf: bytes) -> bytes:
        """The document's final bytes, once per document after it is drawn: signed by the organisation (PAdES)."""
        return credentials.sign_document(pdf, self.keys, self.signing_reason)

    def make(self, subject: documents.Subject, now: datetime) -> Made:
        """Render one document (recorded by ``record``). Raises sandbox.TemplateRefused if the subject's values
        break the template."""
        serial, code = new_serial(), secrets.token_urlsafe(18)
        return Made(subject, serial, code, now, self.finish(self.render(subject, serial, code, now)))

    def record(self, actor, made: list[Made], now: datetime, job: CertificateJob | None = None) -> list[Certificate]:
        """Write the rows of documents made, and their audit entries, in one INSERT of each (a valid document
        made meanwhile for one of them refuses them all: IntegrityError, before any file is written). They are
        announced once the transaction commits. The caller stores the PDFs."""
        signing_key_id = self.keys.record(now)
        db.session.execute(insert(Certificate), [{
            "event_id": self.event.id, "kind": self.kind, "subject": item.subject.key, "team_id": item.subject.team_id,
            "user_id": item.subject.user_id, "serial": item.serial, "verification_code": item.code,
            "language": self.settings.language, "holder": item.subject.holder, "achievement": item.subject.achievement,
            "award_group": item.subject.group, "sha256": item.sha256, "size": len(item.pdf),
            "issued_at": item.issued_at, "issued_by_id": actor.id if actor else None,
            "job_id": job.id if job else None, "signing_key_id": signing_key_id} for item in made])
        certificates = db.session.scalars(select(Certificate).where(
            Certificate.serial.in_([item.serial for item in made])).order_by(Certificate.id)).all()
        credentials.issue_credentials(certificates, self.keys, now)
        _written_together([audit.record(actor, "certificate.issued", certificate,
                                        {"kind": self.kind, "holder": certificate.holder},
                                        label=f"{certificate.serial} · {certificate.holder}", now=now)
                           for certificate in certificates])
        _announce(certificates, actor, now, job)
        return certificates


def _written_together(entries: list[AuditEntry]) -> None:
    """Audit entries, as audit.record makes them, written in one INSERT (the session would insert them one by one)."""
    for entry in entries:
        db.session.expunge(entry)
    columns = [column.key for column in AuditEntry.__table__.columns if column.key != "id"]
    db.session.execute(insert(AuditEntry), [{column: getattr(entry, column) for column in columns} for entry in entries])


def _announce(certificates: list[Certificate], actor, now: datetime, job: CertificateJob | None) -> None:
    """The documents issued are announced once the transaction commits: a bulk issue's together
    (certificates_issued), one issued by hand alone (certificate_issued)."""
    if job is not None:
        signals.send_after_commit(signals.certificates_issued, job, actor=actor, now=now, certificates=certificates)
        return
    for certificate in certificates:
        signals.send_after_commit(signals.certificate_issued, certificate, actor=actor, now=now)


def valid_certificate(event: Event, kind: str, subject_key: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(
        Certificate.event_id == event.id, Certificate.kind == kind, Certificate.subject == subject_key,
        Certificate.revoked_at.is_(None)))


def _subject(event: Event, kind: str, subject_key: str) -> documents.Subject:
    subject = next((found for found in documents.subjects_of(event, kind) if found.key == subject_key), None)
    if subject is None:
        raise ConflictError(_("This team or judge does not qualify for this document."))
    return subject


def issue_one(actor, event: Event, kind: str, subject_key: str, now: datetime, base_url: str = "") -> Certificate:
    """Issue one document (refused if a valid one exists: revoke it or reissue it instead).
    ``base_url``: the site's address for the QR code (see site_address)."""
    require_certificate_organiser(actor)
    kind = document_kind(kind)
    if valid_certificate(event, kind, subject_key) is not None:
        raise ConflictError(_("A valid document of this kind was already issued. Reissue it to replace it."))
    issuer = Issuer(event, kind, base_url.rstrip("/") or site_address())
    certificate = _issue_checked(issuer, actor, _subject(event, kind, subject_key), now)
    return certificate


def _issue_checked(issuer: Issuer, actor, subject, now) -> Certificate:
    try:
        made = issuer.make(subject, now)
    except sandbox.TemplateRefused as error:
        raise Invalid(_("The document for %(holder)s could not be made: %(problem)s",
                        holder=subject.holder, problem=describe(error.problem))) from error
    [certificate] = issuer.record(actor, [made], now)
    storage.store(current_app.config["UPLOAD_DIR"], made.pdf)
    return certificate


def revoke(actor, certificate: Certificate, reason: str, now: datetime) -> Certificate:
    require_certificate_organiser(actor)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid(_("Say why the document is revoked."), {"reason": _("Say why the document is revoked.")})
    if certificate.revoked_at is not None:
        raise ConflictError(_("This document was already revoked."))
    certificate.revoked_at, certificate.revoked_reason, certificate.revoked_by_id = now, reason, actor.id
    credentials.revoke_credentials(certificate, now)  # the revocation lists say so from now on
    db.session.flush()
    audit.record(actor, "certificate.revoked", certificate, {"reason": reason},
                 label=f"{certificate.serial} · {certificate.holder}", now=now)
    signals.send_after_commit(signals.certificate_revoked, certificate, actor=actor, now=now, reason=reason)
    return certificate


def reissue(actor, certificate: Certificate, reason: str, now: datetime, base_url: str = "") -> Certificate:
    """Revoke the document and issue a new one from today's facts (after a correction); the old one
    points to the new one. ``base_url``: the site's address for the QR code (see site_address)."""
    require_certificate_organiser(actor)
    revoke(actor, certificate, reason, now)
    issuer = Issuer(certificate.event, certificate.kind, base_url.rstrip("/") or site_address())
    replacement = _issue_checked(issuer, actor, _subject(certificate.event, certificate.kind, certificate.subject), now)
    certificate.replaced_by_id = replacement.id
    audit.record(actor, "certificate.reissued", certificate, {"replaced_by": replacement.serial},
                 label=f"{certificate.serial} · {certificate.holder}", now=now)
    return replacement


# --- reading and downloading --------------------------------------------------------------------------------


def certificates_of_event(actor, event: Event, kind: str) -> list[Certificate]:
    """The event's documents of a kind: the valid ones first, each group in Persian alphabetical order
    (the database's own order puts ک and گ after ی)."""
    require_certificate_organiser(actor)
    kind = document_kind(kind)
    found = db.session.scalars(select(Certificate).where(Certificate.event_id == event.id, Certificate.kind == kind))
    return sorted(found, key=lambda item: (item.revoked_at is not None, persian_sort_key(item.holder)))


def certificates_of_team(team: Team) -> list[Certificate]:
    """The team's valid documents (its members see them on the team's page)."""
    return list(db.session.scalars(select(Certificate).where(Certificate.team_id == team.id,
                                                             Certificate.revoked_at.is_(None))
                                   .order_by(Certificate.kind)))


def certificates_of_user(user) -> list[Certificate]:
    return list(db.session.scalars(select(Certificate).where(Certificate.user_id == user.id,
                                                             Certificate.revoked_at.is_(None))))


@dataclass
class KindDocuments:
    """An event's documents of one kind, and who qualifies for one without a valid one yet."""
    kind: DocumentKind
    certificates: list[Certificate]  # as certificates_of_event orders them
    waiting: list[documents.Subject]


def kind_documents(actor, event: Event, kind: str) -> KindDocuments:
    certificates = certificates_of_event(actor, event, kind)
    valid_subjects = {found.subject for found in certificates if found.valid}
    kind = document_kind(kind)
    return KindDocuments(kind, certificates, [subject for subject in documents.subjects_of(event, kind)
                                              if subject.key not in valid_subjects])


def get_certificate_for_organiser(actor, certificate_id: int) -> Certificate:
    require_certificate_organiser(actor)
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None:
        raise NotFound(_("There is no such document."))
    return certificate


def _may_download(actor, certificate: Certificate) -> bool:
    if actor is None or not actor.is_authenticated:
        return False
    if actor.is_organiser or certificate.user_id == actor.id:
        return True
    return certificate.team_id is not None and db.session.scalar(select(TeamMember.id).where(
        TeamMember.team_id == certificate.team_id, TeamMember.user_id == actor.id)) is not None


def file_for_download(actor, certificate_id: int) -> tuple[Certificate, Path]:
    """The stored PDF, for the team's members, the judge it names, and organisers."""
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or not _may_download(actor, certificate):
        raise NotFound(_("There is no such document."))
    return certificate, storage.path_for(current_app.config["UPLOAD_DIR"], certificate.sha256)


def download_name(certificate: Certificate) -> str:
    holder = re.sub(r"[^\w\u0600-\u06FF\u200c-]+", "-", certificate.holder).strip("-")[:60]
    return f"{certificate.kind}-{holder}-{certificate.serial}.pdf"


def write_zip(actor, event: Event, kind: str, target) -> int:
    """Write every valid document of the kind into a ZIP at ``target`` (a path or a file); return how many."""
    require_certificate_organiser(actor)
    kind = document_kind(kind)
    certificates = [found for found in certificates_of_event(actor, event, kind) if found.valid]
    upload_dir = current_app.config["UPLOAD_DIR"]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as archive:  # PDFs are compressed already
        for certificate in certificates:
            archive.write(storage.path_for(upload_dir, certificate.sha256), download_name(certificate))
    return len(certificates)
