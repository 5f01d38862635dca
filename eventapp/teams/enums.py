"""The states of teams and maps, and the kinds of organisation a team comes from, with their labels."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from ..core.enums import LabelledEnum


class TeamStatus(LabelledEnum):
    PENDING = "pending", _l("Waiting for approval")
    APPROVED = "approved", _lp("team status", "Approved")
    REJECTED = "rejected", _lp("team status", "Rejected")
    WITHDRAWN = "withdrawn", _lp("team status", "Withdrawn")


class MapStatus(LabelledEnum):
    DRAFT = "draft", _lp("map status", "Draft")
    SUBMITTED = "submitted", _lp("map status", "Submitted")


class OrganisationType(LabelledEnum):
    JIHADI = "jihadi", _l("Jihadi group")
    STUDENT = "student", _l("Student association")
    NGO = "ngo", _l("NGO or people-based institute")
    OTHER = "other", _lp("organisation type", "Other")
