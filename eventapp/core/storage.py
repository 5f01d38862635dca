"""Attachments: what a file is, by its content, and where it is kept.

Files are stored outside the web root, under UPLOAD_DIR, by the SHA-256 of their bytes; the name
the person gave is kept only as a label for downloads.
"""
import hashlib
import io
import os
import re
import warnings
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError

from .errors import Invalid
from .i18n import format_number

# The kinds we accept, recognised by their first bytes; anything else (SVG, HTML, ...) is refused.
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an accepted kind, or None."""
    for signature, content_type, extension in SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def check_image(content: bytes) -> None:
    """Refuse an image that is not readable or has more pixels than MAX_IMAGE_PIXELS, from its header alone
    (nothing is decoded: a small file can hold a huge image)."""
    limit = current_app.config["MAX_IMAGE_PIXELS"]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
    except Image.DecompressionBombError as error:  # past Pillow's own bound, which is above ours
        raise Invalid(_("This image has more than %(megapixels)s million pixels. Make it smaller and upload it "
                        "again.", megapixels=format_number(limit // 1_000_000))) from error
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise Invalid(_("This image cannot be read.")) from error
    if width * height > limit:
        raise Invalid(_("This image is %(width)s × %(height)s pixels; at most %(megapixels)s million pixels are "
                        "accepted. Make it smaller and upload it again.",
                        width=format_number(width), height=format_number(height),
                        megapixels=format_number(limit // 1_000_000)))


def acceptable_name(name: str) -> bool:
    """A plain file name: no folders, no parent references, no control characters."""
    return bool(name) and name == os.path.basename(name) and "/" not in name and "\\" not in name \
        and name not in (".", "..") and not re.search(r"[\x00-\x1f]", name) and len(name) <= 255


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def path_for(upload_dir: str, sha256: str) -> Path:
    return Path(upload_dir) / sha256[:2] / sha256


def store(upload_dir: str, content: bytes) -> str:
    """Write the bytes under their hash (once: equal files share one copy); return the hash."""
    sha256 = digest(content)
    target = path_for(upload_dir, sha256)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(f".{os.getpid()}.part")
        temporary.write_bytes(content)
        os.replace(temporary, target)
    return sha256


def store_attachment(filename: str, content: bytes) -> tuple[str, str]:
    """Check an attached file (a plain name, not empty, not too large, a PDF or an image by its content)
    and keep it: (its content type, its SHA-256). Maps, pipeline notes and certificate images share these rules."""
    config = current_app.config
    if not acceptable_name(filename):
        raise Invalid(_("The file name must be a plain name, without folders."))
    if not content:
        raise Invalid(_("The file is empty."))
    if len(content) > config["MAX_ATTACHMENT_BYTES"]:
        raise Invalid(_("The file is larger than %(size)s MB.", size=format_number(config["MAX_ATTACHMENT_BYTES"] // 2**20)))
    kind = sniff(content[:16])
    if kind is None:
        raise Invalid(_("Only PDF files and PNG, JPEG or WebP images can be attached; this file is none of them."))
    if kind[0].startswith("image/"):
        check_image(content)
    return kind[0], store(config["UPLOAD_DIR"], content)
