"""Roles and the checks that services make with them."""
from flask_babel import lazy_pgettext as _lp

from .enums import LabelledEnum
from .errors import NotAllowed


class Role(LabelledEnum):
    ADMIN = "admin", _lp("role", "Admin")
    ORGANISER = "organiser", _lp("role", "Organiser")
    JUDGE = "judge", _lp("role", "Judge")
    MEMBER = "member", _lp("role", "Member")


ADMIN, ORGANISER, JUDGE, MEMBER = Role.ADMIN, Role.ORGANISER, Role.JUDGE, Role.MEMBER
# Every account is a member; these are the roles granted on top of that.
GRANTED_ROLES = (ADMIN, ORGANISER, JUDGE)
# The roles an admin grants and removes from the web pages (admin itself only from the CLI).
MANAGED_ROLES = (ORGANISER, JUDGE)


def require_admin(actor, message) -> None:
    if actor is None or not actor.is_admin:
        raise NotAllowed(message)


def require_organiser(actor, message) -> None:
    if actor is None or not actor.is_organiser:
        raise NotAllowed(message)
