"""The states and choices of certificates, with their labels (see core/enums.py)."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from ..core.enums import LabelledEnum
from ..core.i18n import format_number


class DocumentKind(LabelledEnum):
    """What a document is; each kind has its default template and its own way of finding its holders."""
    GROUP = "group", _l("Group certificate")
    REPORT = "report", _l("Group report card")
    JUDGE = "judge", _l("Judge's certificate of appreciation")
    TRAINING = "training", _l("Training certificate")


class Achievement(LabelledEnum):
    """What a group certificate says the team achieved: its award in the published final round, else
    finalist (it was in the final round), else participation."""
    FIRST = "first", _l("First place")
    SECOND = "second", _l("Second place")
    THIRD = "third", _l("Third place")
    HONOURABLE = "honourable", _l("Honourable mention")
    FINALIST = "finalist", _lp("achievement", "Finalist")
    PARTICIPATION = "participation", _lp("achievement", "Participation")


def achievement_text(achievement: Achievement | None, group: int | None) -> str:
    """An achievement in the current language, with the group it was won in (a final round published by group)."""
    if not achievement:
        return ""
    if group:
        return _("%(achievement)s in group %(group)s", achievement=achievement.label, group=format_number(group))
    return str(achievement.label)


class DocumentLanguage(LabelledEnum):
    FA = "fa", _lp("document language", "Persian")
    EN = "en", _lp("document language", "English")
    BILINGUAL = "bilingual", _l("Both, Persian and English, in one document")

    @property
    def codes(self) -> list[str]:
        """The language of each page: Persian, English, or both for a bilingual document."""
        return ["fa", "en"] if self is DocumentLanguage.BILINGUAL else [self.value]


class JobStatus(LabelledEnum):
    """Where a bulk issue stands. INTERRUPTED is never stored: it is how a running job whose heartbeat
    stopped is shown (see services.progress)."""
    QUEUED = "queued", _l("Waiting to start")
    RUNNING = "running", _l("Issuing now")
    DONE = "done", _lp("bulk issue", "Finished")
    FAILED = "failed", _lp("bulk issue", "Stopped")
    INTERRUPTED = "interrupted", _lp("bulk issue", "Interrupted")


class FileVerdict(LabelledEnum):
    """What an uploaded PDF proves (services.verification.FileCheck.verdict), as the page and the command line
    say it."""
    GENUINE = "genuine", _l("Genuine: the file carries our signature, unchanged since it was signed, and it is a "
                            "document we issued.")
    REVOKED = "revoked", _l("We issued and signed this file, but it was revoked.")
    CHANGED = "changed", _l("Changed: the file was altered after it was signed (its signature no longer matches its "
                            "content).")
    APPENDED = "appended", _l("Changed: pages or content were added to the file after it was signed.")
    FOREIGN_KEY = "foreign_key", _l("Not ours: the file is signed, but by a key that is not one of ours.")
    GENUINE_UNSIGNED = "genuine_unsigned", _l("Genuine: this file is exactly a document we issued before documents "
                                              "were signed.")
    REVOKED_UNSIGNED = "revoked_unsigned", _l("We issued this file, but it was revoked.")
    UNKNOWN = "unknown", _l("Not a document we issued: it carries no signature of ours and no document of ours has "
                            "exactly these bytes.")

    @property
    def genuine(self) -> bool:
        return self in (FileVerdict.GENUINE, FileVerdict.GENUINE_UNSIGNED)

    @property
    def tone(self) -> str:
        """valid, revoked or unknown: how the page colours it."""
        if self.genuine:
            return "valid"
        return "revoked" if self in (FileVerdict.REVOKED, FileVerdict.REVOKED_UNSIGNED) else "unknown"
