"""What the certificate services share: who may manage documents, the kinds, the site's address."""
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ...core.errors import NotFound
from ...core.roles import require_organiser
from ...events.models import Event
from ..enums import DocumentKind

DEVELOPMENT_ADDRESS = "http://127.0.0.1:5000"


def require_certificate_organiser(actor) -> None:
    require_organiser(actor, _l("Only organisers can manage certificates."))


def document_kind(kind: str) -> DocumentKind:
    """The kind named (by its value, as in an address), or NotFound."""
    try:
        return DocumentKind(kind)
    except ValueError:
        raise NotFound(_("There is no such kind of document.")) from None


def site_address(page_address: str = "") -> str:
    """The site's public address, printed in the QR codes: BASE_URL when it is set, else the address a
    page was asked at (the views give ``request.host_url``), else the development server's."""
    return current_app.config["BASE_URL"] or page_address.rstrip("/") or DEVELOPMENT_ADDRESS


def event_titles(event: Event) -> dict:
    return {"fa": event.title_fa, "en": event.title_en}


def verify_url(base_url: str, code: str) -> str:
    return f"{base_url}/verify/{code}"
