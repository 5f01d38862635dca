"""Hiding names in what a team wrote: the map a blind judge reads says "(name hidden)" where it named the
team, its organisation or its members. Pure functions (no Flask)."""
import re

from markupsafe import escape

from ..core.text import latin_digits, persian_digits

# Shorter names (initials, "ما") would hide ordinary words.
MIN_LENGTH = 3
_TAG = re.compile(r"(<[^>]*>)")


class Redactor:
    """Replaces ``names`` (as whole words, in any case, with Latin or Persian digits) by ``placeholder``."""

    def __init__(self, names, placeholder: str):
        kept = {name.strip() for name in names if name and len(name.strip()) >= MIN_LENGTH}
        variants = {variant for name in kept for variant in (name, latin_digits(name), persian_digits(name))}
        longest_first = sorted(variants, key=len, reverse=True)
        self.placeholder = placeholder
        self._plain = _alternatives(longest_first)
        self._escaped = _alternatives([str(escape(name)) for name in longest_first])

    def text(self, value: str | None) -> str:
        """Plain text with the names hidden."""
        if not value or self._plain is None:
            return value or ""
        return self._plain.sub(self.placeholder, value)

    def html(self, value: str | None) -> str:
        """Sanitised HTML with the names hidden in its text (tags and their attributes are left whole)."""
        if not value or self._escaped is None:
            return value or ""
        placeholder = str(escape(self.placeholder))
        return "".join(part if part.startswith("<") else self._escaped.sub(placeholder, part)
                       for part in _TAG.split(value))


def _alternatives(names: list[str]) -> re.Pattern | None:
    if not names:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(name) for name in names) + r")(?!\w)", re.IGNORECASE)
