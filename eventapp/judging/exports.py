"""Raw scores and the leaderboard as rows: the same columns on the pages and on the command line.

Every export carries what recomputing it needs: the rubric (criteria, weights, scales), the method, the
tie-breakers and its moment (of the export, or of the publication). A publication's export is its frozen
snapshot (the scores it was computed from included), never the live scores.
"""
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..core.exports import xlsx_bytes
from .enums import CombiningMethod
from .models import Publication, Round
from .results import PublishedResult
from .services import Leaderboard, round_assignments

Sheets = dict[str, tuple[list[str], list[list]]]

SHEET_TITLES = {"leaderboard": _l("Leaderboard"), "results": _l("Results"), "scores": _l("Raw scores"),
                "rubric": _l("Rubric"), "about": _l("Method and moment")}


def workbook(sheets: Sheets, first: str, right_to_left: bool = True) -> bytes:
    """Every sheet in one XLSX, ``first`` first, each titled in the current language."""
    order = [first, *(name for name in sheets if name != first)]
    return xlsx_bytes({str(SHEET_TITLES[name]): sheets[name] for name in order}, right_to_left=right_to_left)


def score_rows(round_) -> tuple[list[str], list[list]]:
    criteria = round_.rubric.criteria
    headers = [_("Team ID"), _("Team"), _("Judge ID"), _("Judge"), _("Submitted"),
               *[f"{c.title_fa} ({c.scale_min}-{c.scale_max})" for c in criteria], _("Comments")]
    rows = []
    for assignment in round_assignments(round_):
        values = {score.criterion_id: score for score in assignment.scores}
        rows.append([
            assignment.team_id, assignment.team.name, assignment.user_id, assignment.user.name,
            assignment.submitted_at.isoformat() if assignment.submitted_at else "",
            *[values[c.id].value if c.id in values else None for c in criteria],
            " | ".join(score.comment for score in assignment.scores if score.comment),
        ])
    return headers, rows


def leaderboard_rows(board: Leaderboard) -> tuple[list[str], list[list]]:
    criteria = board.round.rubric.criteria
    headers = [_("Rank"), _("Tied"), _("Team ID"), _("Team"), _("Result"), _("Raw mean"), _("Judges"),
               _("Band low"), _("Band high"), _("Spread"), _("Judges disagree"), _("Group"), _("Award"),
               *[c.title_fa for c in criteria]]
    rows = [[
        row.rank, row.tied, row.team.id, row.team.name, round(row.result.value, 3), round(row.result.raw_mean, 3),
        row.result.judges, round(row.result.low, 3), round(row.result.high, 3), round(row.result.spread, 3),
        row.result.disagreement, row.result.group + 1, row.award or "",
        *[round(row.criteria[c.id], 3) if c.id in row.criteria else None for c in criteria],
    ] for row in board.rows]
    return headers, rows


def _rubric_rows(criteria) -> tuple[list[str], list[list]]:
    """``criteria``: (id, Persian title, English title, weight, lowest, highest) each."""
    headers = [_("Criterion ID"), _("Criterion"), _("Criterion in English"), _("Weight"), _("Lowest score"),
               _("Highest score")]
    return headers, [list(criterion) for criterion in criteria]


def _about_rows(round_: Round, method: str | None, tie_breakers, moment_label: str, moment: datetime,
                by_group: bool) -> tuple[list[str], list[list]]:
    label = CombiningMethod(method).label if method in CombiningMethod.values() else ""
    return [_("Field"), _("Value")], [
        [_("Event"), round_.event.title_fa],
        [_("Round"), str(round_.kind.label)],
        [_("Method"), method or ""],
        [_("Method, in words"), str(label)],
        [_("Tie-breakers (criterion IDs, in order)"), " ".join(str(criterion) for criterion in tie_breakers)],
        [_("Ranking"), _("within each group of entries that share judges") if by_group else _("one ranking")],
        [_("A judge's total"), _("100 × Σ weight × (score − lowest) / (highest − lowest) / Σ weight")],
        [moment_label, moment.isoformat()],
    ]


def round_sheets(round_: Round, board: Leaderboard, now: datetime) -> Sheets:
    """The live exports: the leaderboard, the raw scores, the rubric and what they were computed by."""
    rubric = _rubric_rows((c.id, c.title_fa, c.title_en, c.weight, c.scale_min, c.scale_max)
                          for c in round_.rubric.criteria)
    about = _about_rows(round_, round_.method, round_.tie_breakers, _("Exported at (UTC)"), now, board.by_group)
    return {"leaderboard": leaderboard_rows(board), "scores": score_rows(round_), "rubric": rubric, "about": about}


def publication_sheets(publication: Publication) -> Sheets:
    """A publication's frozen snapshot: its results, the scores behind them, its rubric and how it was made."""
    result: PublishedResult = publication.result
    criteria = result.criteria
    results = ([_("Rank"), _("Tied"), _("Group"), _("Team ID"), _("Team"), _("Result"), _("Raw mean"), _("Judges"),
                _("Award"), *[criterion.fa for criterion in criteria]],
               [[row.rank, row.tied, row.group or "", row.team_id, row.team_name, row.value, row.raw, row.judges,
                 row.award or "", *[row.criteria.get(criterion.id) for criterion in criteria]]
                for row in result.rows])
    names = {row.team_id: row.team_name for row in result.rows}
    scores = ([_("Team ID"), _("Team"), _("Judge ID"), *[f"{criterion.id}: {criterion.fa}" for criterion in criteria]],
              [[item.team_id, names.get(item.team_id, ""), item.judge_id,
                *[item.values.get(criterion.id) for criterion in criteria]] for item in result.scores])
    rubric = _rubric_rows((c.id, c.fa, c.en, c.weight, c.min, c.max) for c in criteria)
    about = _about_rows(publication.round, result.method, result.tie_breakers, _("Published at (UTC)"),
                        publication.published_at, result.by_group)
    return {"results": results, "scores": scores, "rubric": rubric, "about": about}
