"""Static files for phones on slow links: every address carries a digest of the file's content
(``/static/css/app.css?v=3f2a9c1b04de``), so a browser keeps it for a year without asking again
(``immutable``) and a changed file gets a new address. The fonts the stylesheet names are addressed the same
way: the stylesheet is served with its ``url(...)`` references digested, and its own digest covers them.
An address without the current digest (an old page, a hand-typed URL) is still served, revalidated each time.

Compression is Flask-Compress's (``create_app``): static files are buffered here so it can compress them.
"""
import hashlib
import re
from functools import lru_cache
from pathlib import Path

from flask import current_app, request

YEAR = 365 * 24 * 3600
DIGEST_LENGTH = 12
_CSS_URL = re.compile(r"""url\((["']?)(?!data:|https?:|/)([^"')?#]+)\1\)""")


def _folder() -> Path:
    return Path(current_app.static_folder)


@lru_cache(maxsize=512)
def _references(path: Path, mtime_ns: int) -> tuple[Path, ...]:
    """The files a stylesheet names (as it is at ``mtime_ns``)."""
    if path.suffix != ".css":
        return ()
    return tuple((path.parent / match.group(2)).resolve() for match in _CSS_URL.finditer(path.read_text("utf-8")))


def _version(path: Path) -> tuple:
    """What the served content depends on: the file's modification time, and those of the files it names."""
    mtime = path.stat().st_mtime_ns
    return (mtime, *(target.stat().st_mtime_ns if target.is_file() else 0
                     for target in _references(path, mtime)))


@lru_cache(maxsize=512)
def _content(path: Path, version: tuple) -> bytes:
    """What is served for ``path`` (a stylesheet with its references digested); cached per version."""
    data = path.read_bytes()
    if path.suffix != ".css":
        return data

    def digested(match: re.Match) -> str:
        target = (path.parent / match.group(2)).resolve()
        try:
            version = digest_of(target.relative_to(_folder().resolve()).as_posix())
        except (ValueError, FileNotFoundError):
            return match.group(0)
        return f'url("{match.group(2)}?v={version}")'

    return _CSS_URL.sub(digested, data.decode("utf-8")).encode("utf-8")


def _file(filename: str) -> Path:
    path = (_folder() / filename).resolve()
    if not path.is_relative_to(_folder().resolve()) or not path.is_file():
        raise FileNotFoundError(filename)
    return path


def served(filename: str) -> bytes:
    path = _file(filename)
    return _content(path, _version(path))


def digest_of(filename: str) -> str:
    path = _file(filename)
    return _digest(path, _version(path))


@lru_cache(maxsize=512)
def _digest(path: Path, version: tuple) -> str:
    return hashlib.sha256(_content(path, version)).hexdigest()[:DIGEST_LENGTH]


def add_digest(endpoint: str, values: dict) -> None:
    """``url_defaults``: ``url_for('static', filename=...)`` carries the file's digest."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        try:
            values["v"] = digest_of(values["filename"])
        except FileNotFoundError:
            pass


def cache_static(response):
    """``after_request`` for static files: a year and ``immutable`` under the current digest, else revalidate;
    the body buffered (and a stylesheet's references digested) so that it can be compressed."""
    if request.endpoint != "static" or response.status_code != 200:
        return response
    filename = (request.view_args or {}).get("filename", "")
    try:
        body, version = served(filename), digest_of(filename)
    except FileNotFoundError:
        return response
    response.direct_passthrough = False
    response.set_data(body)
    response.set_etag(version)
    if request.args.get("v") == version:
        response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)
