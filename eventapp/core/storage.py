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


# --- staged files: kept only once the database records them ------------------------------------------------
# A background job writes each file into its staging folder before its commit and publishes it after: a
# job that loses its claim or its commit removes what it staged, and whoever takes the job over settles
# what a killed process left there (publishing what was committed, removing the rest).


def _staging(upload_dir: str, name: str) -> Path:
    return Path(upload_dir) / ".staging" / name


def stage(upload_dir: str, name: str, content: bytes) -> str:
    """Write the bytes into the staging folder ``name``; return their hash (see publish and discard)."""
    sha256 = digest(content)
    folder = _staging(upload_dir, name)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f"{sha256}.{os.getpid()}.part"
    temporary.write_bytes(content)
    os.replace(temporary, folder / sha256)
    return sha256


def publish(upload_dir: str, name: str, sha256: str) -> None:
    """Move a staged file to where path_for finds it (its row is committed)."""
    target = path_for(upload_dir, sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.replace(_staging(upload_dir, name) / sha256, target)
    except FileNotFoundError:
        if not target.exists():  # else whoever settled the folder published it first
            raise


def discard(upload_dir: str, name: str, sha256: str) -> None:
    (_staging(upload_dir, name) / sha256).unlink(missing_ok=True)


def staged(upload_dir: str, name: str) -> set[str]:
    """The hashes of the files waiting in the staging folder ``name``."""
    folder = _staging(upload_dir, name)
    return {path.name for path in folder.iterdir() if "." not in path.name} if folder.is_dir() else set()


def settle(upload_dir: str, name: str, recorded: set[str]) -> None:
    """Publish the staged files the database records, remove every other one (and the emptied folder)."""
    folder = _staging(upload_dir, name)
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name in recorded:
            publish(upload_dir, name, path.name)
        else:
            path.unlink(missing_ok=True)
    try:
        folder.rmdir()
    except OSError:  # another process staged a file meanwhile
        pass
