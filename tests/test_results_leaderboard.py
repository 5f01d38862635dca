"""The organiser's leaderboard: computed on arrays as the pure-Python code did, a page at a time with filters,
cached per round until a score changes (never stale), the same statements at any size, and bad arguments
ignored, never a 500."""
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from eventapp.auth.models import User
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.judging import scoring, services, views
from eventapp.judging.models import Assignment, Round, entry_code
from eventapp.teams.models import Team

from . import factories
from . import scoring_reference as reference
from .helpers import get, page_text


def _round(app, make, organiser, names, judges=3, per_entry=2, kind="screening"):
    """A round of teams named ``names``, ``judges`` judges, ``per_entry`` of them per entry, assigned."""
    event = make.event(open_kind="judging")
    judge_users = [make.user(name=f"داور {index}", roles=["judge"]) for index in range(judges)]
    team_ids = [factories.team_in(app, event.id, name=name) for name in names]
    round_id = factories.assigned_round(app, organiser, event.id, team_ids, [judge.id for judge in judge_users],
                                        kind=kind, judges_per_entry=per_entry)
    return SimpleNamespace(event=event, team_ids=team_ids, round_id=round_id, organiser=organiser,
                           judges=judge_users)


def _submit(app, world, value_of, teams=None):
    """Every assignment of ``teams`` (default: all) scored ``value_of(team index, judge index)`` on every criterion
    and submitted."""
    judge_index = {judge.id: index for index, judge in enumerate(world.judges)}
    with app.app_context():
        for assignment in db.session.scalars(select(Assignment).where(Assignment.round_id == world.round_id)
                                             .order_by(Assignment.id)).all():
            team = world.team_ids.index(assignment.team_id)
            if teams is not None and team not in teams:
                continue
            judge = get(User, assignment.user_id)
            value = value_of(team, judge_index[judge.id])
            services.save_scores(judge, assignment, {c.id: value for c in assignment.round.rubric.criteria}, {},
                                 utcnow())
            services.submit_scores(judge, assignment, "نظر داور", utcnow())  # a comment, should the total be far off
        db.session.commit()


def _resubmit(app, world, team_index, value):
    """An organiser reopens one judge's scores of the team, and the judge submits ``value`` everywhere."""
    with app.app_context():
        assignment = db.session.scalar(select(Assignment).where(
            Assignment.round_id == world.round_id, Assignment.team_id == world.team_ids[team_index])
            .order_by(Assignment.id))
        services.reopen_scores(get(User, world.organiser.id), assignment, utcnow())
        db.session.commit()
        judge = get(User, assignment.user_id)
        services.save_scores(judge, assignment, {c.id: value for c in assignment.round.rubric.criteria}, {}, utcnow())
        services.submit_scores(judge, assignment, "بازبینی", utcnow())
        db.session.commit()


def _rows(response) -> list[str]:
    """The team cells of the leaderboard page, in order."""
    html = response.get_data(as_text=True)
    return [re.sub(r"<[^>]+>", " ", cell).split()[:3] for cell in
            re.findall(r"<tr>\s*<td><strong>.*?</strong>.*?</td>\s*<td>(.*?)</td>", html, re.S)]


def _names(response) -> list[str]:
    return [" ".join(cell[:2]) for cell in _rows(response)]


@pytest.fixture
def nine(app, make, organiser):
    """Nine teams in a screening round; team i gets 9 − i from every judge (team 0 first)."""
    world = _round(app, make, organiser, [f"گروه {index}" for index in range(9)])
    _submit(app, world, lambda team, judge: 9 - team)
    return world


# --- the computation -----------------------------------------------------------------------------------------

def test_the_leaderboard_is_what_the_pure_python_computed_from_the_same_scores(app, make, organiser):
    world = _round(app, make, organiser, [f"گروه {index}" for index in range(12)], judges=4, per_entry=3,
                   kind="final")
    _submit(app, world, lambda team, judge: (3 * team + 5 * judge) % 11)
    with app.app_context():
        round_ = get(Round, world.round_id)
        board = services.compute_leaderboard(round_)
        criteria = services.scoring_criteria(round_.rubric)
        totals = []
        for assignment in db.session.scalars(select(Assignment).where(Assignment.round_id == round_.id)):
            values = {str(score.criterion_id): score.value for score in assignment.scores}
            totals.append(scoring.Total(assignment.team_id, assignment.user_id,
                                        scoring.weighted_total(values, criteria)))
        expected = reference.combine(totals, round_.method, round_.disagreement_threshold)
        ranked = reference.rank({team: entry.value for team, entry in expected.entries.items()})
        assert [(row.team.id, row.rank, row.tied) for row in board.rows] == [(r.entry, r.rank, r.tied) for r in ranked]
        for row in board.rows:
            want = expected.entries[row.team.id]
            assert row.result.value == pytest.approx(want.value, rel=1e-12, abs=1e-12)
            assert (row.result.low, row.result.high) == pytest.approx((want.low, want.high), rel=1e-12, abs=1e-12)
            assert row.result.raw_mean == want.raw_mean and row.result.disagreement == want.disagreement
        awards = {1: "first", 2: "second", 3: "third", 4: "honourable", 5: "honourable", 6: "honourable"}
        assert [row.award for row in board.rows] == [awards.get(r.rank) for r in ranked]


def test_a_submitted_assignment_without_a_score_is_refused_as_before(app, nine):
    with app.app_context():
        assignment = db.session.scalar(select(Assignment).where(Assignment.round_id == nine.round_id))
        db.session.delete(assignment.scores[0])
        db.session.commit()
        with pytest.raises(ValueError, match="missing score|finite number"):
            services.compute_leaderboard(get(Round, nine.round_id))


def test_the_leaderboard_sees_what_the_session_has_not_flushed_yet(app, make, organiser):
    """Publishing right after a submission in the same transaction ranks with that submission."""
    world = _round(app, make, organiser, ["گروه الف", "گروه ب"], judges=1, per_entry=1)
    with app.app_context():
        for assignment in db.session.scalars(select(Assignment).where(Assignment.round_id == world.round_id)):
            judge = get(User, assignment.user_id)
            value = 9 if assignment.team_id == world.team_ids[1] else 3
            services.save_scores(judge, assignment, {c.id: value for c in assignment.round.rubric.criteria}, {},
                                 utcnow())
            services.submit_scores(judge, assignment, "", utcnow())
        board = services.compute_leaderboard(get(Round, world.round_id))  # nothing committed yet
        assert [row.team.id for row in board.rows] == [world.team_ids[1], world.team_ids[0]]
        db.session.rollback()


# --- pages and filters ---------------------------------------------------------------------------------------

def test_the_leaderboard_comes_a_page_at_a_time_in_rank_order(app, nine, client, login, monkeypatch):
    monkeypatch.setattr(views, "LEADERBOARD_PAGE_SIZE", 4)
    login(nine.organiser)
    address = f"/organiser/rounds/{nine.round_id}/results"
    first, second, third = (client.get(address, query_string={"page": page}) for page in (1, 2, 3))
    assert [_names(page) for page in (first, second, third)] == [
        ["گروه ۰", "گروه ۱", "گروه ۲", "گروه ۳"], ["گروه ۴", "گروه ۵", "گروه ۶", "گروه ۷"], ["گروه ۸"]]
    assert "صفحه ۲ از ۳" in page_text(second)
    assert 'page=3' in second.get_data(as_text=True) and 'page=1' in second.get_data(as_text=True)
    # The exports keep every row.
    exported = client.get(f"/organiser/rounds/{nine.round_id}/leaderboard.csv").get_data(as_text=True)
    assert len(exported.strip().splitlines()) == 1 + 9


def test_the_pager_keeps_the_filters(app, nine, client, login, monkeypatch):
    monkeypatch.setattr(views, "LEADERBOARD_PAGE_SIZE", 2)
    login(nine.organiser)
    page = client.get(f"/organiser/rounds/{nine.round_id}/results", query_string={"q": "گروه", "method": "mean",
                                                                                  "other": "x"})
    html = page.get_data(as_text=True)
    links = re.findall(r'href="([^"]*page=2[^"]*)"', html)
    assert links and all("method=mean" in link and "q=" in link and "other" not in link for link in links)


def test_search_finds_a_team_by_its_name_as_any_keyboard_types_it_or_by_its_entry_code(app, make, organiser, client,
                                                                                     login):
    world = _round(app, make, organiser, ["گروه کوثر", "کانون یاس 12", "انجمن نور"])  # stored as the forms store
    _submit(app, world, lambda team, judge: 5 + team)
    login(organiser)
    address = f"/organiser/rounds/{world.round_id}/results"
    arabic_letters = client.get(address, query_string={"q": "كوثر"})  # Arabic kaf, as some keyboards type it
    assert _names(arabic_letters) == ["گروه کوثر"]
    latin_digits = client.get(address, query_string={"q": "یاس ۱۲"})  # Persian digits typed
    assert _names(latin_digits) == ["کانون یاس"]
    with app.app_context():
        code = entry_code(world.round_id, world.team_ids[2])
    by_code = client.get(address, query_string={"q": code.lower().replace("-", "")})
    assert _names(by_code) == ["انجمن نور"] and code in by_code.get_data(as_text=True)
    client.set_cookie("lang", "en")
    nothing = client.get(address, query_string={"q": "ناموجود"})
    assert _names(nothing) == [] and "No entry matches." in page_text(nothing) and "0 of 3 entries" in page_text(nothing)


def test_flagged_only_shows_the_entries_whose_judges_disagree(app, make, organiser, client, login):
    world = _round(app, make, organiser, [f"گروه {index}" for index in range(5)], judges=2, per_entry=2)
    # Team 1 gets 0 from one judge and 10 from the other: a spread of 100 points.
    _submit(app, world, lambda team, judge: (10 * judge) if team == 1 else 6)
    login(organiser)
    page = client.get(f"/organiser/rounds/{world.round_id}/results", query_string={"flagged": "1"})
    assert _names(page) == ["گروه ۱"]
    assert "judges disagree" not in page.get_data(as_text=True)  # in Persian
    everything = client.get(f"/organiser/rounds/{world.round_id}/results")
    assert len(_names(everything)) == 5


def test_near_the_cut_off_shows_the_bands_across_the_screenings_cut(app, make, organiser, client, login):
    world = _round(app, make, organiser, [f"گروه {index}" for index in range(8)], judges=3, per_entry=2)
    # Close values with disagreeing judges around the middle, clear ones at both ends.
    _submit(app, world, lambda team, judge: [10, 10, 6, 5, 6, 5, 0, 0][team] if judge % 2 else
            [10, 10, 5, 6, 5, 6, 0, 0][team])
    login(organiser)
    address = f"/organiser/rounds/{world.round_id}/results"
    with app.app_context():
        board = services.compute_leaderboard(get(Round, world.round_id))
        rows = board.rows
        cut = (rows[3].result.value + rows[4].result.value) / 2
        expected = [row.team.name for row in rows if row.result.low < cut < row.result.high]
    assert expected and len(expected) < 8
    client.set_cookie("lang", "en")  # the names with their digits as stored
    assert _names(client.get(address, query_string={"near": "1", "cut": "4"})) == expected
    assert _names(client.get(address, query_string={"near": "1"})) == []  # no cut given: nothing is near it


def test_near_the_cut_off_in_a_final_round_is_the_award_cut_offs(app, make, organiser):
    world = _round(app, make, organiser, [f"گروه {index}" for index in range(10)], judges=3, per_entry=2,
                   kind="final")
    _submit(app, world, lambda team, judge: max(0, min(10, 9 - team // 2 + judge % 2)))
    with app.app_context():
        round_, actor = get(Round, world.round_id), get(User, organiser.id)
        board = services.compute_leaderboard(round_)
        page = services.leaderboard_page(actor, round_, None, services.LeaderboardFilters(near_cutoff=True), 1, 50)
        assert [row.team.id for row in page.board.rows] == [row.team.id for row in board.rows if row.crosses_cutoff]
        assert page.near_cutoff == sum(row.crosses_cutoff for row in board.rows)


# --- the cache ------------------------------------------------------------------------------------------------

def _statements_of(count_queries, client, address, **query):
    with count_queries() as statements:
        response = client.get(address, query_string=query)
    assert response.status_code == 200
    return response, statements


def test_the_standings_are_computed_once_then_read_from_the_cache(app, nine, client, login, count_queries):
    login(nine.organiser)
    address = f"/organiser/rounds/{nine.round_id}/results"
    _first, cold = _statements_of(count_queries, client, address)
    again, warm = _statements_of(count_queries, client, address)
    _searched, searched = _statements_of(count_queries, client, address, q="گروه", flagged="1")

    def computing(statements):
        return [s for s in statements if "FILTER (WHERE" in s]  # the pivot of the scores

    assert len(computing(cold)) == 1 and computing(warm) == [] and computing(searched) == []
    assert _names(again) == [f"گروه {digit}" for digit in "۰۱۲۳۴۵۶۷۸"]


def test_a_changed_score_shows_at_once_never_the_cached_total(app, nine, client, login):
    login(nine.organiser)
    client.set_cookie("lang", "en")
    address = f"/organiser/rounds/{nine.round_id}/results"
    assert _names(client.get(address))[-1] == "گروه 8"
    _resubmit(app, nine, 8, 10)  # the last team's first judge now gives it everything: (10 + 1) / 2
    page = client.get(address)
    with app.app_context():
        fresh = services.compute_leaderboard(get(Round, nine.round_id)).rows
    assert _names(page) == [row.team.name for row in fresh]
    assert _names(page)[3:6] == ["گروه 3", "گروه 8", "گروه 4"]  # 55 lies between 60 and 50
    assert re.search(r'data-label="Raw mean">55(\.0)?</td>', page.get_data(as_text=True))  # its new raw mean


def test_a_reopened_assignment_leaves_the_standings_at_once(app, nine, client, login):
    login(nine.organiser)
    address = f"/organiser/rounds/{nine.round_id}/results"
    client.get(address)
    with app.app_context():
        for assignment in db.session.scalars(select(Assignment).where(
                Assignment.round_id == nine.round_id, Assignment.team_id == nine.team_ids[0])).all():
            services.reopen_scores(get(User, nine.organiser.id), assignment, utcnow())
        db.session.commit()
    names = _names(client.get(address))
    assert "گروه ۰" not in names and len(names) == 8


def test_changed_round_settings_are_a_new_computation(app, nine):
    with app.app_context():
        round_ = get(Round, nine.round_id)
        before, _pending = services.cached_standings(round_)
        assert before.result.method == "judge_effect"
        round_.method = "median"
        db.session.commit()
        after, _pending = services.cached_standings(get(Round, nine.round_id))
        assert after.result.method == "median"
        again, _pending = services.cached_standings(get(Round, nine.round_id))
        assert again.rows == after.rows


def test_a_renamed_team_shows_its_new_name_from_the_cached_standings(app, nine, client, login):
    login(nine.organiser)
    address = f"/organiser/rounds/{nine.round_id}/results"
    client.get(address)
    with app.app_context():
        get(Team, nine.team_ids[0]).name = "گروه تازه‌نام"
        db.session.commit()
    assert _names(client.get(address))[0] == "گروه تازه‌نام"


def test_a_cache_that_does_not_answer_costs_a_computation_not_an_error(app, nine, monkeypatch):
    from redis.exceptions import ConnectionError as RedisDown

    from eventapp.core.extensions import cache

    def down(*_args, **_kwargs):
        raise RedisDown("no server")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    with app.app_context():
        standings, pending = services.cached_standings(get(Round, nine.round_id))
        assert len(standings.rows) == 9 and pending == 0


# --- the same statements at any size, bad arguments ---------------------------------------------------------

@pytest.mark.parametrize("warm", [False, True])
def test_the_page_takes_the_same_statements_for_six_entries_or_ninety(app, make, organiser, client_for,
                                                                      count_queries, monkeypatch, warm):
    monkeypatch.setattr(views, "LEADERBOARD_PAGE_SIZE", 5)
    counts = []
    for teams, judges in ((6, 3), (90, 12)):
        world = _round(app, make, organiser, [f"گروه {index}" for index in range(teams)], judges=judges)
        _submit(app, world, lambda team, judge: (team * 7 + judge) % 11)
        client = client_for(organiser)
        address = f"/organiser/rounds/{world.round_id}/results"
        if warm:
            client.get(address)
        for query in ({}, {"page": 2, "flagged": "1"}, {"q": "گروه ۱"}):
            _response, statements = _statements_of(count_queries, client, address, **query)
            counts.append(len(statements))
    small, large = counts[:3], counts[3:]
    assert small == large, (small, large)


@pytest.mark.parametrize("query", [
    {"page": "-1"}, {"page": "abc"}, {"page": "0"}, {"page": "99999"}, {"page": "9" * 40},
    {"cut": "abc"}, {"cut": "-3"}, {"cut": "100000"}, {"flagged": "yes"}, {"near": "2"}, {"method": "guess"},
    {"filter": "unknown", "sort": "name"}, {"q": "%_\\'\""}, {"q": "x" * 2000},
])
def test_bad_arguments_are_ignored_never_a_server_error(app, nine, client, login, query):
    login(nine.organiser)
    response = client.get(f"/organiser/rounds/{nine.round_id}/results", query_string=query)
    assert response.status_code == 200
    # An odd search finds nothing; any other argument it cannot read is ignored (a page out of range: the nearest).
    assert len(_names(response)) == (0 if "q" in query else 9)


def test_the_leaderboard_page_is_for_organisers_only(app, nine, client, login):
    login(nine.judges[0])
    assert client.get(f"/organiser/rounds/{nine.round_id}/results", query_string={"page": 2}).status_code == 403
