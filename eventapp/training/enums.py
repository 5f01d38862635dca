"""Who a training session is open to, and the state of a sign-up, with their labels."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from ..core.enums import LabelledEnum


class Audience(LabelledEnum):
    """Who may sign up: every approved team of the event, or only the approved teams selected in screening."""

    APPROVED_TEAMS = "approved", _l("All approved teams")
    SELECTED_TEAMS = "selected", _l("Only the teams selected in screening")


class SignupStatus(LabelledEnum):
    CONFIRMED = "confirmed", _lp("training sign-up", "Confirmed")
    WAITLISTED = "waitlisted", _lp("training sign-up", "Waitlisted")
