"""Certificates: the public look-ups, by the serial printed on a document, by the code of its QR
code, and by the PDF file itself."""
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from ...core import storage
from ...core.errors import Invalid, NotFound
from ...core.extensions import db
from ...core.text import latin_digits
from .. import signing
from ..enums import FileVerdict
from ..models import Certificate
from . import credentials


def normalize_serial(text: str) -> str:
    """What a person typed, as a serial: Latin capitals, Persian digits read, O and I and L as 0 and 1."""
    cleaned = re.sub(r"[^0-9A-Z]", "", latin_digits(text or "").upper())
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    if len(cleaned) == 14 and cleaned.startswith("DP"):  # a serial may itself begin with D and P
        cleaned = cleaned[2:]
    if len(cleaned) != 12:
        return ""
    return f"DP-{cleaned[:4]}-{cleaned[4:8]}-{cleaned[8:]}"


def by_address(text: str) -> Certificate:
    """The document of a checking address's last part: the QR code's verification code, or the printed serial
    (typed any way by_serial accepts)."""
    certificate = db.session.scalar(select(Certificate).where(Certificate.verification_code == text))
    if certificate is None and normalize_serial(text) is None:
        raise NotFound(_("We did not issue a document with this code."))
    return certificate if certificate is not None else by_serial(text)


def by_serial(text: str) -> Certificate:
    serial = normalize_serial(text)
    certificate = db.session.scalar(select(Certificate).where(Certificate.serial == serial)) if serial else None
    if certificate is None:
        raise NotFound(_("We did not issue a document with this serial. Check the serial and try again."))
    return certificate


@dataclass(frozen=True)
class FileCheck:
    """What an uploaded file proves: its own signature (``signature``), and the document we stored with exactly
    these bytes, if any (for its revocation)."""
    signature: signing.SignatureCheck
    certificate: Certificate | None

    @property
    def verdict(self) -> FileVerdict:
        status, certificate = self.signature.status, self.certificate
        if status in ("changed", "appended", "foreign_key"):
            return FileVerdict(status)
        if certificate is None:
            return FileVerdict.UNKNOWN
        if status == "genuine":
            return FileVerdict.GENUINE if certificate.valid else FileVerdict.REVOKED
        return FileVerdict.GENUINE_UNSIGNED if certificate.valid else FileVerdict.REVOKED_UNSIGNED

    @property
    def genuine(self) -> bool:
        return self.verdict.genuine


def check_file(content: bytes) -> FileCheck:
    """The file's signature checked by itself (integrity, which key, whether the key is ours), then whether the
    document was revoked since. A file that is not a PDF: Invalid."""
    signature = credentials.check_file(content)
    if signature.status == "not_pdf":
        raise Invalid(_("This file is not a PDF."), {"document": _("Choose the PDF you received.")})
    certificate = by_file(content) if signature.status in ("genuine", "unsigned") else None
    return FileCheck(signature, certificate)


def by_file(content: bytes) -> Certificate | None:
    """The document whose stored bytes are exactly these, or None (changed by even one byte: None)."""
    if not content.startswith(b"%PDF-"):
        raise Invalid(_("This file is not a PDF."), {"document": _("Choose the PDF you received.")})
    return db.session.scalar(select(Certificate).where(Certificate.sha256 == storage.digest(content))
                             .order_by(Certificate.id.desc()))
