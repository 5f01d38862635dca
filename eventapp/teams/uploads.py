"""Attachments: what a file is, by its content, and where it is kept.

Files are stored outside the web root, under UPLOAD_DIR, by the SHA-256 of their bytes; the name
the person gave is kept only as a label for downloads.
"""
import hashlib
import os
import re
from pathlib import Path

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
