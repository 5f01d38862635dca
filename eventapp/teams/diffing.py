"""Differences between two revisions of a progress map: pure functions on their snapshots."""
import difflib

from .richtext import plain_text

SNAPSHOT_FIELDS = ("title", "province", "county", "district", "latitude", "longitude")


def text_changes(before: str, after: str) -> list[tuple[str, str]]:
    """Line by line: ('same'|'removed'|'added', line)."""
    changes = []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        tag, text = line[:2], line[2:]
        if tag == "  ":
            changes.append(("same", text))
        elif tag == "- ":
            changes.append(("removed", text))
        elif tag == "+ ":
            changes.append(("added", text))
    return changes


def _rows(items: list[dict]) -> list[str]:
    return [" | ".join("" if value is None else str(value) for value in item.values()) for item in items]


def compare(before: dict, after: dict, sections: tuple[str, ...]) -> dict:
    """What changed from one snapshot to the next: fields, sections, indicator and action rows.

    Only what changed is listed; a section that did not change is left out.
    """
    fields = {name: (before.get(name), after.get(name)) for name in SNAPSHOT_FIELDS
              if before.get(name) != after.get(name)}
    texts = {}
    for section in sections:
        old, new = plain_text(before.get(section, "")), plain_text(after.get(section, ""))
        if old != new:
            texts[section] = text_changes(old, new)
    tables = {}
    for table in ("indicators", "actions"):
        old, new = _rows(before.get(table, [])), _rows(after.get(table, []))
        if old != new:
            tables[table] = text_changes("\n".join(old), "\n".join(new))
    return {"fields": fields, "sections": texts, "tables": tables}
