"""A published result, typed: what ``Publication.snapshot`` holds, read into frozen dataclasses.

Pure: no database, no Flask. The snapshot stays the JSON it always was, so publications of every age read::

    {"method": "judge_effect",
     "rows": [{"team_id": 7, "team": "...", "rank": 1, "tied": false, "value": 81.5, "raw": 80.25, "judges": 3,
               "award": "first", "criteria": {"12": 8.5}, "comments": [{"criterion": 12, "text": "..."}]}],
     "criteria": [{"id": 12, "fa": "...", "en": "...", "max": 10}],
     "averages": {"12": 7.25}}

The earliest publications have no ``raw`` or ``judges`` in their rows and no ``criteria`` or ``averages``: those
read as None (or empty). Criterion ids are ints here and strings in the JSON.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ResultCriterion:
    """A criterion of the rubric as it was when the results were published."""
    id: int
    fa: str
    en: str
    max: float


@dataclass(frozen=True)
class ResultComment:
    """A judge's comment on a criterion of a team's entry (never the judge's name)."""
    criterion: int
    text: str


@dataclass(frozen=True)
class ResultRow:
    team_id: int
    team_name: str
    rank: int
    tied: bool = False
    value: float | None = None  # the round's method, 0-100
    raw: float | None = None  # plain mean of the judges' totals
    judges: int | None = None
    award: str | None = None
    criteria: dict[int, float] = field(default_factory=dict)  # criterion id -> mean of the judges' scores
    comments: tuple[ResultComment, ...] = ()

    @classmethod
    def from_snapshot(cls, row: dict) -> ResultRow:
        return cls(
            team_id=row["team_id"], team_name=row.get("team", ""), rank=row["rank"], tied=bool(row.get("tied")),
            value=row.get("value"), raw=row.get("raw"), judges=row.get("judges"), award=row.get("award") or None,
            criteria={int(key): value for key, value in (row.get("criteria") or {}).items()},
            comments=tuple(ResultComment(int(comment["criterion"]), comment["text"])
                           for comment in row.get("comments") or ()),
        )

    def to_snapshot(self) -> dict:
        return {
            "team_id": self.team_id, "team": self.team_name, "rank": self.rank, "tied": self.tied,
            "value": self.value, "raw": self.raw, "judges": self.judges, "award": self.award,
            "criteria": {str(key): value for key, value in self.criteria.items()},
            "comments": [{"criterion": comment.criterion, "text": comment.text} for comment in self.comments],
        }


@dataclass(frozen=True)
class PublishedResult:
    method: str | None
    rows: tuple[ResultRow, ...]
    criteria: tuple[ResultCriterion, ...] = ()
    averages: dict[int, float] = field(default_factory=dict)  # criterion id -> average over the rows

    @classmethod
    def from_snapshot(cls, snapshot: dict) -> PublishedResult:
        return cls(
            method=snapshot.get("method"),
            rows=tuple(ResultRow.from_snapshot(row) for row in snapshot.get("rows") or ()),
            criteria=tuple(ResultCriterion(criterion["id"], criterion.get("fa", ""), criterion.get("en", ""),
                                           criterion.get("max"))
                           for criterion in snapshot.get("criteria") or ()),
            averages={int(key): value for key, value in (snapshot.get("averages") or {}).items()},
        )

    @classmethod
    def with_averages(cls, method: str, rows: tuple[ResultRow, ...],
                      criteria: tuple[ResultCriterion, ...]) -> PublishedResult:
        """A result whose averages are the rows' mean per criterion, to 2 places (a row without it counts 0)."""
        averages = {criterion.id: round(sum(row.criteria.get(criterion.id, 0) for row in rows) / len(rows), 2)
                    for criterion in criteria} if rows else {}
        return cls(method, rows, criteria, averages)

    def to_snapshot(self) -> dict:
        return {
            "method": self.method,
            "rows": [row.to_snapshot() for row in self.rows],
            "criteria": [{"id": criterion.id, "fa": criterion.fa, "en": criterion.en, "max": criterion.max}
                         for criterion in self.criteria],
            "averages": {str(key): value for key, value in self.averages.items()},
        }

    def row_of(self, team_id: int) -> ResultRow | None:
        return next((row for row in self.rows if row.team_id == team_id), None)

    @property
    def awards(self) -> dict[int, str]:
        """Team id -> award, for the rows that have one."""
        return {row.team_id: row.award for row in self.rows if row.award}
