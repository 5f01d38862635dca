"""Raw scores and the leaderboard as rows: the same columns on the pages and on the command line."""
from flask_babel import gettext as _

from .services import Leaderboard, round_assignments


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
        row.rank, row.tied, row.team.id, row.team.name, round(row.result.value, 3), round(row.raw.value, 3),
        row.result.judges, round(row.result.low, 3), round(row.result.high, 3), round(row.result.spread, 3),
        row.result.disagreement, row.result.group + 1, row.award or "",
        *[round(row.criteria[c.id], 3) if c.id in row.criteria else None for c in criteria],
    ] for row in board.rows]
    return headers, rows
