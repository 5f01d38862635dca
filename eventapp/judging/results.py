"""A published result, typed: what ``Publication.snapshot`` holds, read into frozen dataclasses.

Pure: no database, no Flask. The snapshot stays the JSON it always was, so publications of every age read::

    {"method": "judge_effect", "by_group": false, "tie_breakers": [12],
     "rows": [{"team_id": 7, "team": "...", "rank": 1, "tied": false, "value": 81.5, "raw": 80.25, "judges": 3,
               "award": "first", "group": null, "criteria": {"12": 8.5},
               "comments": [{"criterion": 12, "text": "..."}]}],
     "criteria": [{"id": 12, "fa": "...", "en": "...", "min": 0, "max": 10, "weight": 20}],
     "averages": {"12": 7.25},
     "scores": [{"team_id": 7, "judge_id": 3, "values": {"12": 8.5}}]}

``scores`` freezes every submitted score the result was computed from, so that (with the rubric's weights and
scales, the method and the tie-breakers) every published value and rank can be recomputed. ``by_group``: the
round's judges and entries fell apart into groups that share no judge and the organiser published a ranking per
group: ``group`` (1, 2, ...) is the row's group, its rank and award are within it.

The earliest publications have no ``raw``, ``judges`` or ``group`` in their rows and no ``criteria``,
``averages``, ``scores`` or ``by_group``, nor a criterion's ``min`` or ``weight``: those read as None (or empty,
or false). Criterion ids are ints here and strings in the JSON.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .scoring import percentile_rank


@dataclass(frozen=True)
class ResultCriterion:
    """A criterion of the rubric as it was when the results were published."""
    id: int
    fa: str
    en: str
    max: float
    min: float | None = None
    weight: float | None = None


@dataclass(frozen=True)
class ResultComment:
    """A judge's comment on a criterion of a team's entry (never the judge's name)."""
    criterion: int
    text: str


@dataclass(frozen=True)
class ResultScores:
    """One judge's submitted scores of one entry, as they were when the results were published."""
    team_id: int
    judge_id: int
    values: dict[int, float]


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
    group: int | None = None  # 1, 2, ... in a result published by group

    @classmethod
    def from_snapshot(cls, row: dict) -> ResultRow:
        return cls(
            team_id=row["team_id"], team_name=row.get("team", ""), rank=row["rank"], tied=bool(row.get("tied")),
            value=row.get("value"), raw=row.get("raw"), judges=row.get("judges"), award=row.get("award") or None,
            criteria={int(key): value for key, value in (row.get("criteria") or {}).items()},
            comments=tuple(ResultComment(int(comment["criterion"]), comment["text"])
                           for comment in row.get("comments") or ()),
            group=row.get("group"),
        )

    def to_snapshot(self) -> dict:
        return {
            "team_id": self.team_id, "team": self.team_name, "rank": self.rank, "tied": self.tied,
            "value": self.value, "raw": self.raw, "judges": self.judges, "award": self.award,
            "criteria": {str(key): value for key, value in self.criteria.items()},
            "comments": [{"criterion": comment.criterion, "text": comment.text} for comment in self.comments],
            "group": self.group,
        }


@dataclass(frozen=True)
class PublishedResult:
    method: str | None
    rows: tuple[ResultRow, ...]
    criteria: tuple[ResultCriterion, ...] = ()
    averages: dict[int, float] = field(default_factory=dict)  # criterion id -> average over the rows
    scores: tuple[ResultScores, ...] = ()
    tie_breakers: tuple[int, ...] = ()  # criterion ids, in the order that broke ties
    by_group: bool = False

    @classmethod
    def from_snapshot(cls, snapshot: dict) -> PublishedResult:
        return cls(
            method=snapshot.get("method"),
            rows=tuple(ResultRow.from_snapshot(row) for row in snapshot.get("rows") or ()),
            criteria=tuple(ResultCriterion(criterion["id"], criterion.get("fa", ""), criterion.get("en", ""),
                                           criterion.get("max"), criterion.get("min"), criterion.get("weight"))
                           for criterion in snapshot.get("criteria") or ()),
            averages={int(key): value for key, value in (snapshot.get("averages") or {}).items()},
            scores=tuple(ResultScores(item["team_id"], item["judge_id"],
                                      {int(key): value for key, value in item["values"].items()})
                         for item in snapshot.get("scores") or ()),
            tie_breakers=tuple(snapshot.get("tie_breakers") or ()),
            by_group=bool(snapshot.get("by_group")),
        )

    @classmethod
    def with_averages(cls, method: str, rows: tuple[ResultRow, ...], criteria: tuple[ResultCriterion, ...],
                      **details) -> PublishedResult:
        """A result whose averages are the rows' mean per criterion, to 2 places (a row without it counts 0);
        ``details`` are the other fields."""
        averages = {criterion.id: round(sum(row.criteria.get(criterion.id, 0) for row in rows) / len(rows), 2)
                    for criterion in criteria} if rows else {}
        return cls(method, rows, criteria, averages, **details)

    def to_snapshot(self) -> dict:
        return {
            "method": self.method,
            "rows": [row.to_snapshot() for row in self.rows],
            "criteria": [{"id": criterion.id, "fa": criterion.fa, "en": criterion.en, "min": criterion.min,
                          "max": criterion.max, "weight": criterion.weight} for criterion in self.criteria],
            "averages": {str(key): value for key, value in self.averages.items()},
            "scores": [{"team_id": item.team_id, "judge_id": item.judge_id,
                        "values": {str(key): value for key, value in item.values.items()}} for item in self.scores],
            "tie_breakers": list(self.tie_breakers),
            "by_group": self.by_group,
        }

    def row_of(self, team_id: int) -> ResultRow | None:
        return next((row for row in self.rows if row.team_id == team_id), None)

    def peers_of(self, row: ResultRow) -> tuple[ResultRow, ...]:
        """The rows a row is ranked among: its group's in a result published by group, else every row."""
        return tuple(other for other in self.rows if other.group == row.group) if self.by_group else self.rows

    def percentile_of(self, row: ResultRow) -> float | None:
        """The row's percentile rank (0-100) among its peers by the published value; None without values."""
        values = [other.value for other in self.peers_of(row) if other.value is not None]
        return percentile_rank(row.value, values) if row.value is not None and values else None

    @property
    def groups(self) -> list[tuple[int | None, tuple[ResultRow, ...]]]:
        """(group, its rows) in order: one pair (None, every row) unless the result is published by group."""
        if not self.by_group:
            return [(None, self.rows)]
        numbers = sorted({row.group for row in self.rows})
        return [(number, tuple(row for row in self.rows if row.group == number)) for number in numbers]

    @property
    def awards(self) -> dict[int, str]:
        """Team id -> award, for the rows that have one."""
        return {row.team_id: row.award for row in self.rows if row.award}

    @staticmethod
    def awards_in(snapshot: dict) -> dict[int, str]:
        """``from_snapshot(snapshot).awards``, read from the stored rows without building the whole result (its
        scores are thousands of rows in a national round)."""
        return {row["team_id"]: row["award"] for row in snapshot.get("rows") or () if row.get("award")}
