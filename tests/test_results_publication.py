"""Publishing results: a round split into groups with no common judge, the frozen exports of a publication,
and where an entry stands (percentile) on the team's pages and report card."""
import csv
import io
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from eventapp.auth.models import User
from eventapp.certificates import documents
from eventapp.certificates import services as certificate_services
from eventapp.certificates.enums import DocumentKind
from eventapp.core.database import utcnow
from eventapp.core.errors import Conflict as ConflictError
from eventapp.core.extensions import db
from eventapp.events.models import Event
from eventapp.judging import scoring, services
from eventapp.judging.models import Assignment, Publication, Round
from eventapp.judging.results import PublishedResult
from eventapp.judging.rubrics import weights_look_deliberate

from . import factories
from .helpers import get, page_text


def _event_with_final(app, make, organiser, judges: int, judges_per_entry: int, teams: int = 6):
    event = make.event(open_kind="judging", title_fa="جشنواره گروه‌ها", title_en="Groups Festival")
    judge_users = [make.user(name=f"داور {index}", roles=["judge"]) for index in range(judges)]
    team_ids = [factories.team_in(app, event.id, name=f"گروه {index}") for index in range(teams)]
    round_id = factories.final_round(app, organiser, event.id, team_ids, [judge.id for judge in judge_users],
                                     judges_per_entry=judges_per_entry)
    factories.submit_scores(app, round_id, team_ids, score_of=lambda index: 9 - index)
    return SimpleNamespace(event=event, team_ids=team_ids, round_id=round_id, organiser=organiser)


@pytest.fixture
def split(app, make, organiser):
    """A final round of six teams, each scored by one of two judges: two groups that share no judge."""
    world = _event_with_final(app, make, organiser, judges=2, judges_per_entry=1)
    with app.app_context():
        board = services.compute_leaderboard(get(Round, world.round_id))
        assert not board.connected and board.group_sizes() == [3, 3]
    return world


def _publications(app, round_id) -> list[Publication]:
    with app.app_context():
        return list(db.session.scalars(select(Publication).where(Publication.round_id == round_id)))


# --- a round split into groups --------------------------------------------------------------------------------

def test_a_disconnected_final_round_is_not_published_without_choosing_groups(app, split, client, login):
    with app.app_context(), pytest.raises(ConflictError, match="بدون داور مشترک"):
        services.publish(get(User, split.organiser.id), get(Round, split.round_id), {}, utcnow())
    login(split.organiser)
    client.set_cookie("lang", "en")
    response = client.post(f"/organiser/rounds/{split.round_id}/publish", follow_redirects=True)
    text = page_text(response)
    assert "fall apart into 2 groups that share no judge (of 3 and 3 entries)" in text
    assert "Add judges who score entries of more than one group" in text
    assert "The results were published." not in text
    assert _publications(app, split.round_id) == []
    assert 'name="by_group"' in response.get_data(as_text=True)  # the explicit choice is offered


def test_publishing_by_group_ranks_awards_and_shows_each_group(app, split, client, login, upload_dir):
    login(split.organiser)
    client.set_cookie("lang", "en")
    page = client.get(f"/organiser/rounds/{split.round_id}/results").get_data(as_text=True)
    assert page.count('value="first" selected') == 2  # the form's default awards: within each group
    response = client.post(f"/organiser/rounds/{split.round_id}/publish", data={"by_group": "y"},
                           follow_redirects=True)
    assert "The results were published, a ranking per group." in page_text(response)
    [publication] = _publications(app, split.round_id)
    result = publication.result
    assert result.by_group and publication.snapshot["by_group"] is True
    groups = dict(result.groups)
    assert sorted(groups) == [1, 2]
    for rows in groups.values():  # each group its own ranking from 1, and its own first place
        assert [row.rank for row in rows] == [1, 2, 3]
        assert [row.award for row in rows] == ["first", "second", "third"]
    public = page_text(client.get(f"/events/{split.event.slug}/results"))
    assert "Group 1" in public and "Group 2" in public and "share no judge" in public
    with app.app_context():
        subjects = {subject.team_id: subject for subject in
                    documents.subjects_of(get(Event, split.event.id), DocumentKind.GROUP)}
        winners = [row.team_id for rows in groups.values() for row in rows if row.award == "first"]
        assert {subjects[team].group for team in winners} == {1, 2}
        page = documents.context(DocumentKind.GROUP, subjects[winners[1]], event={"fa": "ج", "en": "F"},
                                 language="en", signatories=[], images={}, serial="S", verify_url="http://x",
                                 issued_at=utcnow())["pages"][0]
        assert page["achievement"] == "First place in group 2" and page["group"] == "2"
        certificate = certificate_services.issue_one(get(User, split.organiser.id), get(Event, split.event.id),
                                                     DocumentKind.GROUP, f"team:{winners[1]}", utcnow(), "http://x")
        db.session.commit()
        assert certificate.award_group == 2
        code = certificate.verification_code
    assert "First place in group 2" in page_text(client.get(f"/verify/{code}"))


def test_a_connected_final_round_publishes_one_ranking(app, make, organiser):
    world = _event_with_final(app, make, organiser, judges=2, judges_per_entry=2, teams=4)
    with app.app_context():
        publication = services.publish(get(User, organiser.id), get(Round, world.round_id), {}, utcnow(),
                                       by_group=True)  # nothing to group: one ranking
        result = publication.result
        assert not result.by_group and [row.rank for row in result.rows] == [1, 2, 3, 4]
        assert {row.group for row in result.rows} == {None}
        db.session.rollback()


def test_the_awards_read_from_a_stored_publication_are_those_of_the_whole_result(app, make, organiser):
    world = _event_with_final(app, make, organiser, judges=2, judges_per_entry=2, teams=6)
    with app.app_context():
        snapshot = services.publish(get(User, organiser.id), get(Round, world.round_id), {}, utcnow()).snapshot
        awards = PublishedResult.from_snapshot(snapshot).awards
        assert awards and PublishedResult.awards_in(snapshot) == awards
        assert PublishedResult.awards_in({}) == {}
        db.session.rollback()


# --- exports of what was published ----------------------------------------------------------------------------

def _recomputed(sheets: dict) -> dict[int, tuple[float, float]]:
    """From the exported sheets alone: each team's (value, raw mean) by the exported method and rubric."""
    rubric_headers, *rubric = sheets["rubric"]
    about = {row[0]: row[1] for row in sheets["about"][1:]}
    criteria = [scoring.Criterion(str(row[0]), float(row[3]), float(row[4]), float(row[5])) for row in rubric]
    header, *scores = sheets["scores"]
    columns = {criterion.key: header.index(next(h for h in header if h.startswith(f"{criterion.key}: ")))
               for criterion in criteria}
    totals = [scoring.Total(int(row[0]), int(row[2]), scoring.weighted_total(
        {key: float(row[index]) for key, index in columns.items()}, criteria)) for row in scores]
    value = scoring.combine(totals, about["Method"])
    raw = scoring.combine(totals, "mean")
    return {team: (entry.value, raw.entries[team].value) for team, entry in value.entries.items()}


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def test_a_publication_exports_what_was_published_and_recomputes_from_its_files(app, make, organiser, client, login):
    world = _event_with_final(app, make, organiser, judges=3, judges_per_entry=2, teams=6)
    with app.app_context():  # a lenient judge, so the method's value differs from the raw mean
        lenient = db.session.scalars(select(Assignment).where(Assignment.round_id == world.round_id)).first().user_id
    with app.app_context():
        for assignment in db.session.scalars(select(Assignment).where(Assignment.round_id == world.round_id,
                                                                      Assignment.user_id == lenient)):
            for score in assignment.scores:
                score.value = min(10, score.value + 1)
        db.session.commit()
    factories.publish(app, organiser, world.round_id)
    [publication] = _publications(app, world.round_id)
    published = {row.team_id: row for row in publication.result.rows}
    with app.app_context():  # a later change: reopened and scored again
        assignment = db.session.scalars(select(Assignment).where(Assignment.round_id == world.round_id)).first()
        services.reopen_scores(get(User, organiser.id), assignment, utcnow())
        services.save_scores(get(User, assignment.user_id), assignment,
                             {criterion.id: 0 for criterion in assignment.round.rubric.criteria}, {}, utcnow())
        services.submit_scores(get(User, assignment.user_id), assignment, "بازبینی", utcnow())
        db.session.commit()
        changed_team = assignment.team_id
    login(organiser)
    client.set_cookie("lang", "en")
    assert f"/organiser/publications/{publication.id}/results.xlsx" in client.get(
        f"/organiser/rounds/{world.round_id}/results").get_data(as_text=True)

    sheets = {what: _csv(client.get(f"/organiser/publications/{publication.id}/{what}.csv"))
              for what in ("results", "scores", "rubric", "about")}
    header, *rows = sheets["results"]
    exported = {int(row[header.index("Team ID")]): row for row in rows}
    for team, row in published.items():  # the published values, not the live ones
        assert float(exported[team][header.index("Result")]) == row.value
        assert int(exported[team][header.index("Rank")]) == row.rank
    about = {row[0]: row[1] for row in sheets["about"][1:]}
    assert about["Method"] == "judge_effect" and about["Published at (UTC)"] == publication.published_at.isoformat()
    assert [row[3:] for row in sheets["rubric"][1:]] == [["20.0", "0", "10"], ["20.0", "0", "10"], ["20.0", "0", "10"],
                                                       ["15.0", "0", "10"], ["15.0", "0", "10"], ["10.0", "0", "10"]]
    for team, (value, raw) in _recomputed(sheets).items():
        assert round(value, 2) == published[team].value and round(raw, 2) == published[team].raw
    live = _csv(client.get(f"/organiser/rounds/{world.round_id}/leaderboard.csv"))
    live_value = {int(row[2]): float(row[4]) for row in live[1:]}
    assert round(live_value[changed_team], 2) != published[changed_team].value  # the live export moved on

    workbook = load_workbook(io.BytesIO(client.get(f"/organiser/publications/{publication.id}/results.xlsx").data))
    assert workbook.sheetnames == ["Results", "Raw scores", "Rubric", "Method and moment"]
    from_xlsx = {name: [["" if cell is None else str(cell) for cell in row]
                        for row in workbook[title].iter_rows(values_only=True)]
                 for name, title in zip(("results", "scores", "rubric", "about"), workbook.sheetnames)}
    for team, (value, _raw) in _recomputed(from_xlsx).items():
        assert round(value, 2) == published[team].value


def test_the_live_exports_carry_the_rubric_and_the_method(app, make, organiser, client, login):
    world = _event_with_final(app, make, organiser, judges=1, judges_per_entry=1, teams=3)
    login(organiser)
    client.set_cookie("lang", "en")
    workbook = load_workbook(io.BytesIO(client.get(f"/organiser/rounds/{world.round_id}/scores.xlsx").data))
    assert workbook.sheetnames == ["Raw scores", "Leaderboard", "Rubric", "Method and moment"]
    client.set_cookie("lang", "fa")
    persian = load_workbook(io.BytesIO(client.get(f"/organiser/rounds/{world.round_id}/leaderboard.xlsx").data))
    assert persian.sheetnames[0] == "جدول رتبه‌بندی" and all(not title.isascii() for title in persian.sheetnames)
    client.set_cookie("lang", "en")
    about = {row[0]: row[1] for row in _csv(client.get(f"/organiser/rounds/{world.round_id}/about.csv"))[1:]}
    assert about["Method"] == "judge_effect" and "Exported at (UTC)" in about
    assert len(_csv(client.get(f"/organiser/rounds/{world.round_id}/rubric.csv"))) == 1 + 6


def test_only_organisers_export_a_publication(app, make, organiser, client, login):
    world = _event_with_final(app, make, organiser, judges=1, judges_per_entry=1, teams=2)
    factories.publish(app, organiser, world.round_id)
    [publication] = _publications(app, world.round_id)
    login(make.user(roles=["judge"]))
    assert client.get(f"/organiser/publications/{publication.id}/results.csv").status_code == 403
    client.post("/signout")
    login(organiser)
    assert client.get("/organiser/publications/999999/results.csv").status_code == 404


# --- where an entry stands ------------------------------------------------------------------------------------

def test_the_team_page_and_report_card_give_the_percentile_in_words(app, make, organiser, client, login):
    leader = make.user(email="leader.percentile@example.com")
    event = make.event(open_kind="judging")
    judge = make.user(roles=["judge"])
    team_ids = [factories.team_in(app, event.id, leader if index == 0 else None, name=f"تیم {index}")
                for index in range(4)]
    round_id = factories.final_round(app, organiser, event.id, team_ids, [judge.id])
    factories.submit_scores(app, round_id, team_ids, score_of=lambda index: 9 - index)  # team 0 best of four
    factories.publish(app, organiser, round_id)
    login(leader)
    client.set_cookie("lang", "en")
    assert "Percentile 88 of 100: better than about 88% of the teams it was ranked among." in page_text(
        client.get(f"/teams/{team_ids[0]}"))  # (3 below + ½ itself) / 4
    client.set_cookie("lang", "fa")
    assert "۸۸" in page_text(client.get(f"/teams/{team_ids[0]}"))
    with app.app_context():
        [subject] = [s for s in documents.subjects_of(get(Event, event.id), DocumentKind.REPORT)
                     if s.team_id == team_ids[0]]
        pages = documents.context(DocumentKind.REPORT, subject, event={"fa": "ج", "en": "F"}, language="bilingual",
                                  signatories=[], images={}, serial="S", verify_url="http://x",
                                  issued_at=utcnow())["pages"]
        words = {page["lang"]: page["report"]["overall"]["percentile_words"] for page in pages}
        assert words["en"] == "Percentile 88 of 100: better than about 88% of the teams it was ranked among."
        assert "۸۸" in words["fa"] and "88" not in words["fa"]


# --- rubric weights that sum to nothing sensible ----------------------------------------------------------------

def test_weights_look_deliberate_when_positive_and_summing_to_100_or_1():
    assert weights_look_deliberate([20, 20, 20, 15, 15, 10]) and weights_look_deliberate([0.25, 0.25, 0.5])
    assert weights_look_deliberate([0.1] * 10)  # 0.9999999999999999 in floats
    for weights in ([20, 30], [0.3, 0.3, 0.3], [], [110, -10], [100, 0], [float("nan")]):
        assert not weights_look_deliberate(weights), weights


def test_the_rubric_pages_warn_of_weights_that_sum_to_neither_100_nor_1(app, make, organiser, client, login):
    event = make.event(open_kind="judging")
    with app.app_context():
        rubric_id = services.save_rubric(get(User, organiser.id), get(Event, event.id), "شاخص‌ها", "Rubric",
                                         services.default_criteria(), utcnow()).id
        db.session.commit()
    login(organiser)
    client.set_cookie("lang", "en")
    assert "neither 100 nor 1" not in page_text(client.get(f"/organiser/rubrics/{rubric_id}/edit"))
    data = {"title_fa": "شاخص‌ها", "criteria-0-title_fa": "الف", "criteria-0-weight": "20", "criteria-0-scale_min": "0",
            "criteria-0-scale_max": "10", "criteria-1-title_fa": "ب", "criteria-1-weight": "30",
            "criteria-1-scale_min": "0", "criteria-1-scale_max": "10"}
    saved = page_text(client.post(f"/organiser/rubrics/{rubric_id}/edit", data=data, follow_redirects=True))
    assert "The rubric was saved." in saved and "The weights sum to 50, neither 100 nor 1." in saved
    assert "The weights sum to 50, neither 100 nor 1." in page_text(client.get(f"/organiser/events/{event.id}/judging"))
    assert "The weights sum to 50, neither 100 nor 1." in page_text(client.get(f"/organiser/rubrics/{rubric_id}/edit"))
    refused = client.post(f"/organiser/rubrics/{rubric_id}/edit", data={**data, "criteria-1-weight": "0"})
    assert refused.status_code == 422
    assert "Every weight must be above zero" in page_text(refused)
    client.set_cookie("lang", "fa")
    fractions = {**data, "criteria-0-weight": "۰٫۴", "criteria-1-weight": "۰٫۶"}
    page = page_text(client.post(f"/organiser/rubrics/{rubric_id}/edit", data=fractions, follow_redirects=True))
    assert "۰٫۴" in page and "۰٫۶" in page  # fractional weights are shown as they are, not rounded to 0


def test_the_command_line_exports_the_publication_not_the_live_scores(app, make, organiser):
    world = _event_with_final(app, make, organiser, judges=1, judges_per_entry=1, teams=3)
    runner = app.test_cli_runner()
    unpublished = runner.invoke(args=["results", "export", world.event.slug, "final", "--published"])
    assert unpublished.exit_code != 0 and "no published results" in unpublished.output
    factories.publish(app, organiser, world.round_id)
    [publication] = _publications(app, world.round_id)
    with app.app_context():  # a later change
        assignment = db.session.scalars(select(Assignment).where(Assignment.round_id == world.round_id)).first()
        services.reopen_scores(get(User, organiser.id), assignment, utcnow())
        db.session.commit()
    result = runner.invoke(args=["results", "export", world.event.slug, "final", "--published", "--what", "results"])
    assert result.exit_code == 0, result.output
    header, *rows = list(csv.reader(io.StringIO(result.stdout_bytes.decode("utf-8").lstrip("\ufeff"))))
    assert len(rows) == 3 and [row[0] for row in rows] == [str(row.rank) for row in publication.result.rows]
    live_results = runner.invoke(args=["results", "export", world.event.slug, "final", "--what", "results"])
    assert live_results.exit_code != 0
