"""Roles and the checks that services make with them."""
from flask_babel import lazy_gettext as _l

from .errors import NotAllowed

ADMIN, ORGANISER, JUDGE, MEMBER = "admin", "organiser", "judge", "member"
# Every account is a member; these are the roles granted on top of that.
GRANTED_ROLES = (ADMIN, ORGANISER, JUDGE)
# The roles an admin grants and removes from the web pages (admin itself only from the CLI).
MANAGED_ROLES = (ORGANISER, JUDGE)
ROLE_LABELS = {
    ADMIN: _l("Admin"),
    ORGANISER: _l("Organiser"),
    JUDGE: _l("Judge"),
    MEMBER: _l("Member"),
}


def require_admin(actor, message) -> None:
    if actor is None or not actor.is_admin:
        raise NotAllowed(message)


def require_organiser(actor, message) -> None:
    if actor is None or not actor.is_organiser:
        raise NotAllowed(message)
