"""States that carry their labels: ``TeamStatus.APPROVED.label``.

A member is a ``str`` (it compares equal to its stored value, ``TeamStatus.APPROVED == "approved"``) and
carries a lazy, translated label, written with ``lazy_pgettext`` where a short word needs its context in
Persian ("Submitted" of a map and of a judge's scores are different words)::

    class TeamStatus(LabelledEnum):
        PENDING = "pending", lazy_pgettext("team status", "Pending")

Models store members with ``database.EnumText(TeamStatus)``: the column stays a string, reads back a member.
"""
from enum import StrEnum


class LabelledEnum(StrEnum):
    def __new__(cls, value: str, label):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label
        return member

    @property
    def label(self) -> str:
        return str(self._label)

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        """(value, label) pairs for a form's select field, in declaration order."""
        return [(member.value, member.label) for member in cls]

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)

    @classmethod
    def label_of(cls, value: str) -> str:
        """The label of a stored value; the value itself if it is not a member (an old or unknown state)."""
        try:
            return cls(value).label
        except ValueError:
            return value
