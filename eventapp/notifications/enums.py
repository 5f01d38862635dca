"""The kinds of notification, the channels, and the states of a delivery and an announcement, with labels."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from ..core.enums import LabelledEnum


class Kind(LabelledEnum):
    """What a notification is about; its template is ``templates/notifications/kinds/<value>.html``."""

    TEAM_REGISTERED = "team_registered", _l("Registration received")
    TEAM_APPROVED = "team_approved", _l("Team approved")
    TEAM_REJECTED = "team_rejected", _l("Team rejected")
    MEMBER_JOINED = "member_joined", _l("A member joined the team")
    MEMBER_LEFT = "member_left", _l("A member left the team")
    MAP_SUBMITTED = "map_submitted", _l("Map submitted (receipt)")
    MAP_REOPENED = "map_reopened", _l("Map reopened for changes")
    SCREENING_SELECTED = "screening_selected", _l("Selected in screening")
    SCREENING_NOT_SELECTED = "screening_not_selected", _l("Not selected in screening")
    TRAINING_TOMORROW = "training_tomorrow", _l("Training session tomorrow")
    REGISTRATION_REMINDER = "registration_reminder", _l("Reminder: registration incomplete")
    SUBMISSION_REMINDER = "submission_reminder", _l("Reminder: map not submitted")
    RESULTS_PUBLISHED = "results_published", _l("Results published")
    CERTIFICATE_READY = "certificate_ready", _l("Certificate ready")
    JUDGE_ASSIGNED = "judge_assigned", _l("Entries assigned to you")
    JUDGING_REMINDER = "judging_reminder", _l("Reminder: judging deadline")
    ASSIGNMENT_REOPENED = "assignment_reopened", _l("Scores reopened")
    MILESTONE_DUE = "milestone_due", _l("Milestone due soon")
    MILESTONE_OVERDUE = "milestone_overdue", _l("Milestone overdue")
    PIPELINE_DIGEST = "pipeline_digest", _l("Weekly pipeline digest")
    ANNOUNCEMENT = "announcement", _l("Announcements")

    @property
    def essential(self) -> bool:
        """A decision about the person's team: it cannot be turned off."""
        return self in ESSENTIAL

    @property
    def sms_by_default(self) -> bool:
        return self in ESSENTIAL or self in SMS_BY_DEFAULT


ESSENTIAL = frozenset({Kind.TEAM_APPROVED, Kind.TEAM_REJECTED, Kind.SCREENING_SELECTED, Kind.SCREENING_NOT_SELECTED})
# Texts cost money and attention: besides the essential ones, only what has a deadline or ends an edition.
SMS_BY_DEFAULT = frozenset({Kind.REGISTRATION_REMINDER, Kind.SUBMISSION_REMINDER, Kind.JUDGING_REMINDER,
                            Kind.TRAINING_TOMORROW, Kind.RESULTS_PUBLISHED, Kind.ANNOUNCEMENT})


class Channel(LabelledEnum):
    EMAIL = "email", _lp("channel", "Email")
    SMS = "sms", _lp("channel", "SMS")


class DeliveryStatus(LabelledEnum):
    PENDING = "pending", _lp("delivery", "Waiting")
    SENDING = "sending", _lp("delivery", "Sending")
    SENT = "sent", _lp("delivery", "Sent")
    FAILED = "failed", _lp("delivery", "Failed")


class AnnouncementAudience(LabelledEnum):
    ALL_TEAMS = "all_teams", _l("All teams of the event")
    APPROVED = "approved", _l("Approved teams")
    SCREENING_SELECTED = "selected", _l("Teams selected in screening")
    FINALISTS = "finalists", _l("Finalists (teams in a final round)")
    WINNERS = "winners", _l("Winners (with an award in published results)")
    JUDGES = "judges", _l("The event's judges")
    PROVINCE = "province", _l("The teams of one province")
    NOT_SUBMITTED = "not_submitted", _l("Active teams that have not submitted their map")


class AnnouncementStatus(LabelledEnum):
    DRAFT = "draft", _lp("announcement", "Draft")
    SCHEDULED = "scheduled", _lp("announcement", "Scheduled")
    SENT = "sent", _lp("announcement", "Sent")
