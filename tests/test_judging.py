"""Judging: rubrics, rounds, conflicts, assignment and scoring (rules through services, pages through the app)."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eventapp import signals
from eventapp.audit.models import AuditEntry
from eventapp.auth.models import User
from eventapp.core.database import utcnow
from eventapp.core.errors import Conflict as ConflictError
from eventapp.core.errors import DeadlinePassed, Invalid, NotAllowed
from eventapp.core.extensions import db
from eventapp.core.text import persian_digits
from eventapp.events.models import Event
from eventapp.judging import services
from eventapp.judging.enums import Award, CombiningMethod, RoundKind
from eventapp.judging.models import Assignment, ConflictOfInterest, Publication, Round, conflict_token
from eventapp.judging.results import PublishedResult, ResultComment, ResultCriterion, ResultRow
from eventapp.judging.scoring import METHODS
from eventapp.teams.models import Team

from . import factories
from .helpers import get, page_text


@pytest.fixture
def world(app, make, organiser):
    """An event in judging with four approved teams, three judges, a default rubric and a final round."""
    now = utcnow()
    event = make.event(open_kind="judging")
    judges = [make.user(name=f"داور {i}", email=f"judge{i}@example.com", roles=["judge"]) for i in range(3)]
    leaders = [make.user(email=f"leader{i}@example.com") for i in range(4)]
    team_ids = [factories.team_in(app, event.id, leader, name=f"گروه {i}") for i, leader in enumerate(leaders)]
    with app.app_context():
        actor = get(User, organiser.id)
        rubric = services.save_rubric(actor, get(Event, event.id), "شاخص‌ها", "Rubric", services.default_criteria(),
                                      now)
        round_ = services.save_round(actor, get(Event, event.id), services.RoundDetails(
            kind="screening", rubric_id=rubric.id, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=5),
            judges_per_entry=2), now)
        services.add_entries(actor, round_, team_ids, now)
        services.add_judges(actor, round_, [judge.id for judge in judges], now)
        db.session.commit()
        return type("World", (), {"event": event, "judges": judges, "team_ids": team_ids, "round_id": round_.id,
                                  "rubric_id": rubric.id, "organiser": organiser, "leaders": leaders})


def full_scores(round_, value=7):
    return {criterion.id: value for criterion in round_.rubric.criteria}


def an_assignment(world, judge_index=0) -> Assignment:
    return db.session.scalar(select(Assignment).where(Assignment.round_id == world.round_id,
                                                      Assignment.user_id == world.judges[judge_index].id)
                             .order_by(Assignment.id))


# --- rubrics and rounds ---------------------------------------------------------------------------

def test_the_default_rubric_is_the_articles(app, world):
    with app.app_context():
        round_ = get(Round, world.round_id)
        weights = [criterion.weight for criterion in round_.rubric.criteria]
        assert weights == [20, 20, 20, 15, 15, 10]
        assert round_.rubric.criteria[0].title_fa == "شناخت منطقه و مسائل"
        assert all(len(criterion.levels) == 5 for criterion in round_.rubric.criteria)


def test_a_round_reads_its_kind_and_method_back_with_their_labels(app, world):
    assert CombiningMethod.values() == METHODS  # the pure module's methods, each with its label
    with app.app_context():
        round_ = get(Round, world.round_id)
        assert round_.kind is RoundKind.SCREENING and round_.method is CombiningMethod.JUDGE_EFFECT
        assert round_.kind.label == "مرحله غربالگری" and Award.label_of("first") == "رتبه اول"
        assert Award.label_of("unknown") == "unknown"


def test_a_rubric_is_frozen_once_scoring_has_begun_and_a_copy_is_free(app, world):
    with app.app_context():
        services.assign_automatically(get(User, world.organiser.id), get(Round, world.round_id), utcnow())
        assignment = an_assignment(world)
        services.save_scores(get(User, world.judges[0].id), assignment, {assignment.round.rubric.criteria[0].id: 5},
                             {}, utcnow())
        db.session.commit()
        rubric = assignment.round.rubric
        with pytest.raises(ConflictError):
            services.save_rubric(get(User, world.organiser.id), rubric.event, "x", "x", services.default_criteria(),
                                 utcnow(), rubric=rubric)
        copy = services.copy_rubric(get(User, world.organiser.id), rubric, rubric.event, utcnow())
        assert [c.weight for c in copy.criteria] == [c.weight for c in rubric.criteria]
        services.save_rubric(get(User, world.organiser.id), rubric.event, "y", "y", services.default_criteria()[:2],
                             utcnow(), rubric=copy)


def test_only_organisers_build_rubrics_and_rounds(app, world):
    with app.app_context():
        judge, event = get(User, world.judges[0].id), get(Event, world.event.id)
        with pytest.raises(NotAllowed):
            services.save_rubric(judge, event, "x", "x", services.default_criteria(), utcnow())
        with pytest.raises(NotAllowed):
            services.assign_automatically(judge, get(Round, world.round_id), utcnow())


def test_a_round_refuses_bad_settings(app, world):
    with app.app_context():
        actor, event = get(User, world.organiser.id), get(Event, world.event.id)
        now = utcnow()
        with pytest.raises(Invalid) as refused:
            services.save_round(actor, event, services.RoundDetails(
                kind="screening", rubric_id=world.rubric_id, starts_at=now, ends_at=now - timedelta(hours=1),
                judges_per_entry=0, method="guess"), utcnow())
        assert {"kind", "ends_at", "judges_per_entry", "method"} <= set(refused.value.fields)


def test_only_approved_teams_enter_a_round(app, world, make):
    pending = factories.team_in(app, world.event.id, make.user(), status="pending", name="در انتظار")
    with app.app_context():
        with pytest.raises(ConflictError):
            services.add_entries(get(User, world.organiser.id), get(Round, world.round_id), [pending], utcnow())


# --- conflicts and assignment ---------------------------------------------------------------------

def test_automatic_assignment_covers_every_entry_and_never_a_judges_own_team(app, world, make):
    member_judge = make.user(name="داور عضو", email="judge-member@example.com", roles=["judge"])
    own_team = factories.team_in(app, world.event.id, make.user(), members=[member_judge], name="گروه داور")
    with app.app_context():
        actor, round_ = get(User, world.organiser.id), get(Round, world.round_id)
        services.add_entries(actor, round_, [own_team], utcnow())
        services.add_judges(actor, round_, [member_judge.id], utcnow())
        result = services.assign_automatically(actor, round_, utcnow())
        db.session.commit()
        assert not result.uncovered
        pairs = {(a.user_id, a.team_id) for a in services.round_assignments(round_)}
        assert (member_judge.id, own_team) not in pairs
        per_entry = {team_id: sum(1 for _, t in pairs if t == team_id) for team_id in world.team_ids + [own_team]}
        assert set(per_entry.values()) == {2}


def test_a_declared_conflict_hands_the_entry_to_another_judge(app, world, client, login):
    with app.app_context():
        services.assign_automatically(get(User, world.organiser.id), get(Round, world.round_id), utcnow())
        db.session.commit()
        assignment = an_assignment(world)
        assignment_id, team_id = assignment.id, assignment.team_id
    login(world.judges[0])
    response = client.post(f"/judging/assignments/{assignment_id}/conflict", data={"reason": "هم‌شهری هستیم"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Assignment, assignment_id) is None
        conflict = db.session.scalar(select(ConflictOfInterest).where(ConflictOfInterest.user_id == world.judges[0].id))
        assert conflict.reason == "هم‌شهری هستیم"
        judges_now = set(db.session.scalars(select(Assignment.user_id).where(Assignment.team_id == team_id)))
        assert world.judges[0].id not in judges_now and len(judges_now) == 2


# --- scoring --------------------------------------------------------------------------------------

@pytest.fixture
def assigned(app, world):
    with app.app_context():
        services.assign_automatically(get(User, world.organiser.id), get(Round, world.round_id), utcnow())
        db.session.commit()
    return world


def test_scores_outside_the_scale_are_refused_and_nothing_is_saved(app, assigned):
    with app.app_context():
        assignment = an_assignment(assigned)
        criterion = assignment.round.rubric.criteria[0]
        with pytest.raises(Invalid):
            services.save_scores(get(User, assigned.judges[0].id), assignment, {criterion.id: 11}, {}, utcnow())
        db.session.rollback()
        assert not an_assignment(assigned).scores


def test_another_judges_assignment_is_refused(app, assigned, client, login):
    with app.app_context():
        assignment = an_assignment(assigned, 0)
        with pytest.raises(NotAllowed):
            services.save_scores(get(User, assigned.judges[1].id), assignment, full_scores(assignment.round), {},
                                 utcnow())
        assignment_id = assignment.id
    login(assigned.judges[1])
    assert client.get(f"/judging/assignments/{assignment_id}").status_code == 404


def test_scoring_after_the_rounds_deadline_is_refused(app, assigned):
    with app.app_context():
        assignment = an_assignment(assigned)
        late = assignment.round.ends_at + timedelta(seconds=1)
        with pytest.raises(DeadlinePassed):
            services.save_scores(get(User, assigned.judges[0].id), assignment, full_scores(assignment.round), {}, late)
        services.save_scores(get(User, assigned.judges[0].id), assignment, full_scores(assignment.round), {},
                             assignment.round.ends_at)


def test_submit_needs_every_criterion_then_locks(app, assigned, client, login):
    with app.app_context():
        assignment = an_assignment(assigned)
        assignment_id, criteria = assignment.id, [c.id for c in assignment.round.rubric.criteria]
    login(assigned.judges[0])
    partial = {f"score-{criteria[0]}": "۸", "action": "submit"}
    response = client.post(f"/judging/assignments/{assignment_id}", data=partial)
    assert response.status_code == 422
    with app.app_context():
        assignment = get(Assignment, assignment_id)
        assert not assignment.is_submitted and assignment.scores  # the draft was kept
    complete = {**{f"score-{c}": "7" for c in criteria}, "action": "submit"}
    assert client.post(f"/judging/assignments/{assignment_id}", data=complete).status_code == 302
    with app.app_context():
        assignment = get(Assignment, assignment_id)
        assert assignment.is_submitted and services.judge_total(assignment) == pytest.approx(70.0)
        with pytest.raises(ConflictError):
            services.save_scores(get(User, assigned.judges[0].id), assignment, full_scores(assignment.round), {},
                                 utcnow())


def test_changes_after_a_reopen_are_audited(app, assigned):
    with app.app_context():
        judge, organiser = get(User, assigned.judges[0].id), get(User, assigned.organiser.id)
        assignment = an_assignment(assigned)
        services.save_scores(judge, assignment, full_scores(assignment.round, 6), {}, utcnow())
        services.submit_scores(judge, assignment, "", utcnow())
        services.reopen_scores(organiser, assignment, utcnow())
        first = assignment.round.rubric.criteria[0]
        services.save_scores(judge, assignment, {first.id: 9}, {}, utcnow())
        db.session.commit()
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions[-3:] == ["scores.submitted", "scores.reopened", "scores.changed"]


def test_a_far_off_total_asks_for_a_comment_before_submitting(app, assigned):
    with app.app_context():
        first = an_assignment(assigned, 0)
        team_id = first.team_id
        others = db.session.scalars(select(Assignment).where(Assignment.team_id == team_id,
                                                             Assignment.id != first.id)).all()
        judge = get(User, first.user_id)
        services.save_scores(judge, first, full_scores(first.round, 9), {}, utcnow())
        services.submit_scores(judge, first, "", utcnow())
        second = others[0]
        other_judge = get(User, second.user_id)
        services.save_scores(other_judge, second, full_scores(second.round, 1), {}, utcnow())
        assert services.needs_outlier_comment(second)
        with pytest.raises(Invalid):
            services.submit_scores(other_judge, second, "", utcnow())
        services.submit_scores(other_judge, second, "این نقشه شاخص سنجش‌پذیر ندارد.", utcnow())


def test_a_conflicted_judge_cannot_score(app, assigned):
    with app.app_context():
        assignment = an_assignment(assigned)
        db.session.add(ConflictOfInterest(event_id=assignment.round.event_id, user_id=assignment.user_id,
                                          team_id=assignment.team_id, reason="x"))
        db.session.flush()
        with pytest.raises(NotAllowed):
            services.save_scores(get(User, assignment.user_id), assignment, full_scores(assignment.round), {}, utcnow())


def test_the_judges_dashboard_shows_progress_and_hides_names_in_a_blind_round(app, assigned, client, login):
    login(assigned.judges[0])
    text = page_text(client.get("/judging"))
    assert "گروه 0" not in text and "گروه 1" not in text
    with app.app_context():
        total = db.session.scalar(select(func.count()).select_from(Assignment)
                                  .where(Assignment.user_id == assigned.judges[0].id))
    assert total > 0


def test_members_and_visitors_cannot_open_judging_pages(client, login, member, assigned):
    assert client.get("/judging").status_code == 302  # to sign in
    login(member)
    assert client.get("/judging").status_code == 403
    assert client.get(f"/organiser/rounds/{assigned.round_id}").status_code == 403


# --- results --------------------------------------------------------------------------------------

def _score_everything(app, world, value_of_team):
    """Every judge submits, each entry getting ``value_of_team(team_index)`` on every criterion."""
    with app.app_context():
        for assignment in db.session.scalars(select(Assignment).where(Assignment.round_id == world.round_id)).all():
            judge = get(User, assignment.user_id)
            value = value_of_team(world.team_ids.index(assignment.team_id))
            comments = {assignment.round.rubric.criteria[0].id: f"نظر داور برای {assignment.team_id}"}
            services.save_scores(judge, assignment, full_scores(assignment.round, value), comments, utcnow())
            services.submit_scores(judge, assignment, "", utcnow())
        db.session.commit()


def test_the_leaderboard_ranks_from_the_scores_and_publishing_freezes_it(app, assigned, client, login, make):
    _score_everything(app, assigned, lambda index: 9 - index)  # team 0 best
    with app.app_context():
        board = services.leaderboard(get(User, assigned.organiser.id), get(Round, assigned.round_id))
        assert [row.team.id for row in board.rows] == assigned.team_ids
        assert [row.rank for row in board.rows] == [1, 2, 3, 4]
        assert board.rows[0].award is None and board.rows[0].result.raw_mean == pytest.approx(90.0)  # screening: no awards
        services.publish(get(User, assigned.organiser.id), get(Round, assigned.round_id), {}, utcnow())
        db.session.commit()
        # A later change (after a reopen) does not alter what was published.
        assignment = db.session.scalar(select(Assignment).where(Assignment.team_id == assigned.team_ids[3]))
        services.reopen_scores(get(User, assigned.organiser.id), assignment, utcnow())
        services.save_scores(get(User, assignment.user_id), assignment, full_scores(assignment.round, 10), {}, utcnow())
        services.submit_scores(get(User, assignment.user_id), assignment, "بازبینی شد", utcnow())
        db.session.commit()
        published = services.current_publication(get(Round, assigned.round_id))
        assert [row.team_id for row in published.result.rows][-1] == assigned.team_ids[3]
    text = page_text(client.get(f"/events/{assigned.event.slug}/results"))
    assert "گروه ۰" in text and "گروه ۳" in text  # names shown with Persian digits


def test_the_published_result_reads_what_publish_wrote(app, assigned):
    _score_everything(app, assigned, lambda index: 9 - index)  # team 0 best
    with app.app_context():
        round_ = get(Round, assigned.round_id)
        publication_id = services.publish(get(User, assigned.organiser.id), round_, {}, utcnow()).id
        db.session.commit()
        db.session.expire_all()
        publication = get(Publication, publication_id)
        snapshot = publication.snapshot  # the JSON format of every publication, old and new
        assert set(snapshot) == {"method", "rows", "criteria", "averages", "scores", "tie_breakers", "by_group"}
        assert set(snapshot["rows"][0]) == {"team_id", "team", "rank", "tied", "value", "raw", "judges", "award",
                                            "criteria", "comments", "group"}
        result = publication.result
        assert result.to_snapshot() == snapshot
        assert PublishedResult.from_snapshot(result.to_snapshot()) == result
        criterion = round_.rubric.criteria[0]
        assert result.method == "judge_effect"
        assert result.criteria[0] == ResultCriterion(criterion.id, criterion.title_fa, criterion.title_en, 10, 0, 20)
        assert len(result.scores) == 8 and not result.by_group and result.rows[0].group is None
        assert result.averages[criterion.id] == 7.5  # (9 + 8 + 7 + 6) / 4
        first = result.rows[0]
        assert (first.team_id, first.team_name, first.rank, first.tied, first.judges, first.award) == (
            assigned.team_ids[0], "گروه 0", 1, False, 2, None)
        assert first.value == pytest.approx(90.0) and first.raw == 90.0 and first.criteria[criterion.id] == 9
        assert first.comments == (ResultComment(criterion.id, f"نظر داور برای {assigned.team_ids[0]}"),) * 2
        assert result.row_of(assigned.team_ids[3]).rank == 4 and result.row_of(-1) is None


def test_an_old_publication_reads_without_the_later_fields():
    old = {"method": "mean", "rows": [
        {"team_id": 3, "team": "گروه سه", "rank": 1, "tied": True, "value": 81.5, "award": "first",
         "criteria": {"12": 8.0}, "comments": [{"criterion": 12, "text": "خوب"}]},
        {"team_id": 4, "team": "گروه چهار", "rank": 1, "tied": True, "value": 81.5, "award": None,
         "criteria": {}, "comments": []},
    ]}
    result = PublishedResult.from_snapshot(old)
    assert result.method == "mean" and result.criteria == () and result.averages == {}
    assert result.rows[0] == ResultRow(team_id=3, team_name="گروه سه", rank=1, tied=True, value=81.5, raw=None,
                                       judges=None, award="first", criteria={12: 8.0},
                                       comments=(ResultComment(12, "خوب"),))
    assert result.awards == {3: "first"}
    bare = PublishedResult.from_snapshot({"rows": [{"team_id": 5, "team": "5", "rank": 1, "award": "second"}]})
    assert bare.method is None and bare.rows[0].tied is False and bare.awards == {5: "second"}


def test_republishing_supersedes_and_is_audited(app, assigned):
    _score_everything(app, assigned, lambda index: 5 + index)
    with app.app_context():
        actor, round_ = get(User, assigned.organiser.id), get(Round, assigned.round_id)
        first = services.publish(actor, round_, {}, utcnow())
        second = services.publish(actor, round_, {assigned.team_ids[0]: "honourable"}, utcnow())
        db.session.commit()
        assert first.superseded_at is not None and services.current_publication(round_).id == second.id
        actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("results.%"))).all()
        assert actions == ["results.published", "results.republished"]


def test_a_team_sees_its_own_criteria_and_comments_without_judges_names(app, assigned, client, login):
    _score_everything(app, assigned, lambda index: 8)
    with app.app_context():
        services.publish(get(User, assigned.organiser.id), get(Round, assigned.round_id), {}, utcnow())
        db.session.commit()
    login(assigned.leaders[0])
    text = page_text(client.get(f"/teams/{assigned.team_ids[0]}"))
    assert f"نظر داور برای {persian_digits(str(assigned.team_ids[0]))}" in text  # typed with Latin digits
    assert f"نظر داور برای {persian_digits(str(assigned.team_ids[1]))}" not in text
    assert "داور 0" not in text and "داور 1" not in text


def test_the_leaderboard_is_for_organisers_only_before_publication(app, assigned, client, login):
    login(assigned.judges[0])
    assert client.get(f"/organiser/rounds/{assigned.round_id}/results").status_code == 403
    assert client.post(f"/organiser/rounds/{assigned.round_id}/publish").status_code == 403


# --- exports ---------------------------------------------------------------------------------------

def test_exports_from_the_pages_and_the_command_line_have_the_same_columns(app, assigned, client, login, tmp_path):
    import csv
    import io

    from openpyxl import load_workbook

    _score_everything(app, assigned, lambda index: 6 + index)
    login(assigned.organiser)
    for what in ("scores", "leaderboard"):
        page = client.get(f"/organiser/rounds/{assigned.round_id}/{what}.csv")
        assert page.status_code == 200 and "attachment" in page.headers["Content-Disposition"]
        from_page = list(csv.reader(io.StringIO(page.get_data(as_text=True).lstrip("\ufeff"))))
        runner = app.test_cli_runner()
        result = runner.invoke(args=["results", "export", assigned.event.slug, "screening", "--what", what,
                                     "--format", "csv"])
        assert result.exit_code == 0, result.output
        from_cli = list(csv.reader(io.StringIO(result.stdout_bytes.decode("utf-8").lstrip("\ufeff"))))
        assert from_cli[0] == from_page[0] and len(from_cli) == len(from_page)
    target = tmp_path / "board.xlsx"
    result = app.test_cli_runner().invoke(args=["results", "export", assigned.event.slug, "screening",
                                                "--what", "leaderboard", "--format", "xlsx", "--output", str(target)])
    assert result.exit_code == 0
    sheet = load_workbook(target).active
    assert sheet.max_row == 1 + len(assigned.team_ids)
    missing = app.test_cli_runner().invoke(args=["results", "export", assigned.event.slug, "final"])
    assert missing.exit_code != 0


def test_the_quality_page_names_its_reliability_figure_and_draws_each_judge(app, assigned, client, login):
    _score_everything(app, assigned, lambda index: 3 + 2 * index)
    login(assigned.organiser)
    response = client.get(f"/organiser/rounds/{assigned.round_id}/quality")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "آلفای کریپندورف" in html and "Krippendorff" not in html and html.count('class="histogram"') == 3
    with app.app_context():
        quality = services.quality(get(User, assigned.organiser.id), get(Round, assigned.round_id))
        assert quality.reliability[0] == pytest.approx(1.0)  # judges agree exactly on every entry
        assert {item.stats.count for item in quality.judges} <= {2, 3, 4}


# --- invitations, conflicts and moves by hand --------------------------------------------------------

def test_an_invited_person_becomes_a_judge_with_the_invited_email_only(app, world, client, login, make, outbox):
    invitee = make.user(email="new.judge@example.com")
    stranger = make.user(email="stranger@example.com")
    login(world.organiser)
    client.post(f"/organiser/events/{world.event.id}/judges/invite", data={"email": "New.Judge@example.com"})
    link = next(word for word in outbox[-1].get_content().split() if "/judging/invitations/" in word)
    path = link.split("localhost", 1)[1]
    client.post("/signout")
    login(stranger)
    assert client.post(path).status_code == 403  # sent to another email: refused
    client.post("/signout")
    login(invitee)
    assert client.post(path).status_code == 302
    with app.app_context():
        assert get(User, invitee.id).is_judge and not get(User, stranger.id).is_judge
    assert client.post("/judging/invitations/forged-token").headers["Location"].endswith("/")


def test_an_organiser_records_a_conflict_and_moves_an_assignment_by_hand(app, assigned, client, login):
    with app.app_context():
        assignment = an_assignment(assigned, 0)
        assignment_id, team_id, judge_id = assignment.id, assignment.team_id, assignment.user_id
        others = [judge.id for judge in assigned.judges if judge.id != judge_id]
        free = next(j for j in others if (j, team_id) not in services.assignments._round_pairs(assignment.round))
    login(assigned.organiser)
    response = client.post(f"/organiser/assignments/{assignment_id}/move", data={"judge": free})
    assert response.status_code == 302
    with app.app_context():
        assert get(Assignment, assignment_id).user_id == free
    client.post(f"/organiser/rounds/{assigned.round_id}/conflicts",
                data={"judge": free, "team": team_id, "reason": "عضو همان مؤسسه"})
    with app.app_context():
        assert db.session.scalar(select(ConflictOfInterest).where(ConflictOfInterest.user_id == free,
                                                                  ConflictOfInterest.team_id == team_id))
        assert get(Assignment, assignment_id) is None
        still_there = db.session.scalar(select(Assignment).where(Assignment.team_id == team_id))
        with pytest.raises(ConflictError):  # the conflicted judge cannot be handed the team again
            services.move_assignment(get(User, assigned.organiser.id), still_there, free, utcnow())


def test_a_conflict_with_a_team_of_another_event_is_refused(app, assigned, client, login, make):
    other_event = make.event(slug="another-event")
    stranger_team = factories.team_in(app, other_event.id, make.user(), name="گروه رویداد دیگر")
    login(assigned.organiser)
    client.set_cookie("lang", "en")
    response = client.post(f"/organiser/rounds/{assigned.round_id}/conflicts", follow_redirects=True,
                           data={"judge": assigned.judges[0].id, "team": stranger_team, "reason": "x"})
    assert "Choose a judge and a team, and say what the conflict is." in page_text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConflictOfInterest)) == 0


def test_the_round_page_says_why_an_entry_cannot_be_covered(app, world, client, login):
    with app.app_context():
        round_ = get(Round, world.round_id)
        for judge in world.judges[:2]:
            db.session.add(ConflictOfInterest(event_id=round_.event_id, user_id=judge.id, team_id=world.team_ids[0],
                                              reason="x"))
        db.session.commit()
        services.assign_automatically(get(User, world.organiser.id), get(Round, world.round_id), utcnow())
        db.session.commit()
        shortfalls = services.uncovered(get(Round, world.round_id))
        assert [(s.team.id, s.assigned, s.free_judges) for s in shortfalls] == [(world.team_ids[0], 1, 1)]
    login(world.organiser)
    client.set_cookie("lang", "en")
    text = page_text(client.get(f"/organiser/rounds/{world.round_id}"))
    assert "only 1 judges of the round have no conflict with it" in text


# --- tie-breakers, selection and the other judges' scores ------------------------------------------

def test_ties_are_broken_by_the_chosen_criteria_then_stay_tied(app, assigned):
    with app.app_context():
        for assignment in db.session.scalars(select(Assignment).where(Assignment.round_id == assigned.round_id)).all():
            judge, criteria = get(User, assignment.user_id), assignment.round.rubric.criteria
            index = assigned.team_ids.index(assignment.team_id)
            # Teams 0 and 1 have the same total; team 0 is stronger on the second criterion. 2 and 3 are equal.
            values = {c.id: 6 for c in criteria}
            if index == 0:
                values[criteria[1].id], values[criteria[2].id] = 8, 4
            services.save_scores(judge, assignment, values, {}, utcnow())
            services.submit_scores(judge, assignment, "", utcnow())
        round_ = get(Round, assigned.round_id)
        round_.tie_breakers = [round_.rubric.criteria[1].id]
        db.session.commit()
        board = services.compute_leaderboard(get(Round, assigned.round_id), "mean")
        ranks = {row.team.id: (row.rank, row.tied) for row in board.rows}
        assert ranks[assigned.team_ids[0]] == (1, False)
        assert ranks[assigned.team_ids[1]][1] and ranks[assigned.team_ids[1]] == ranks[assigned.team_ids[3]]


def test_the_top_teams_of_the_published_screening_are_selected(app, assigned, client, login):
    _score_everything(app, assigned, lambda index: 9 - index)
    with app.app_context():
        services.publish(get(User, assigned.organiser.id), get(Round, assigned.round_id), {}, utcnow())
        db.session.commit()
    login(assigned.organiser)
    assert client.post(f"/organiser/rounds/{assigned.round_id}/select", data={"count": "۲"}).status_code == 302
    with app.app_context():
        selected = [get(Team, team_id).screening_selected for team_id in assigned.team_ids]
        assert selected == [True, True, False, False]


def test_judges_see_the_others_scores_only_after_submitting_and_when_the_round_allows(app, assigned):
    _score_everything(app, assigned, lambda index: 7)
    with app.app_context():
        assignment = an_assignment(assigned)
        judge = get(User, assignment.user_id)
        assert services.others_scores(judge, assignment) == []  # the round does not allow it
        assignment.round.show_others_after_submit = True
        others = services.others_scores(judge, assignment)
        assert len(others) == 1 and others[0]["total"] == pytest.approx(70.0)
        services.reopen_scores(get(User, assigned.organiser.id), assignment, utcnow())
        assert services.others_scores(judge, assignment) == []  # not while their own are open


def test_an_organiser_edits_a_round_and_its_tie_breakers(app, world, client, login):
    with app.app_context():
        criteria = [c.id for c in get(Round, world.round_id).rubric.criteria]
    login(world.organiser)
    client.set_cookie("lang", "en")
    page = client.get(f"/organiser/rounds/{world.round_id}/edit")
    assert page.status_code == 200
    response = client.post(f"/organiser/rounds/{world.round_id}/edit", data={
        "kind": "screening", "rubric": world.rubric_id, "starts_at": "2026-01-01 08:00", "ends_at": "2027-12-01 08:00",
        "judges_per_entry": "2", "method": "median", "disagreement_threshold": "20", "outlier_threshold": "30",
        "tie_breaker_1": criteria[2], "tie_breaker_2": criteria[0], "tie_breaker_3": "0"})
    assert response.status_code == 302, page_text(response)
    with app.app_context():
        round_ = get(Round, world.round_id)
        assert round_.method == "median" and round_.tie_breakers == [criteria[2], criteria[0]]


def test_reassigning_drops_an_assignment_that_became_a_conflict(app, assigned):
    with app.app_context():
        assignment = an_assignment(assigned)
        assignment_id, judge_id, team_id = assignment.id, assignment.user_id, assignment.team_id
        db.session.add(ConflictOfInterest(event_id=assignment.round.event_id, user_id=judge_id, team_id=team_id,
                                          reason="x"))
        db.session.commit()
        services.assign_automatically(get(User, assigned.organiser.id), get(Round, assigned.round_id), utcnow())
        db.session.commit()
        assert get(Assignment, assignment_id) is None
        judges = set(db.session.scalars(select(Assignment.user_id).where(Assignment.team_id == team_id)))
        assert judge_id not in judges and len(judges) == 2


def test_an_organiser_edits_a_rubric_until_it_is_used(app, world, client, login):
    login(world.organiser)
    page = client.get(f"/organiser/rubrics/{world.rubric_id}/edit")
    assert page.status_code == 200
    response = client.post(f"/organiser/rubrics/{world.rubric_id}/edit", data={
        "title_fa": "شاخص‌نامه تازه", "title_en": "New rubric",
        "criteria-0-title_fa": "شناخت منطقه", "criteria-0-weight": "۶۰", "criteria-0-scale_min": "0",
        "criteria-0-scale_max": "5", "criteria-0-levels": "0 | ندارد | None\n۵ | عالی | Excellent",
        "criteria-1-title_fa": "نقش مردم", "criteria-1-weight": "40", "criteria-1-scale_min": "0",
        "criteria-1-scale_max": "10", "criteria-1-levels": "",
        "criteria-2-title_fa": "", "criteria-2-weight": ""})
    assert response.status_code == 302, page_text(response)
    with app.app_context():
        rubric = get(Round, world.round_id).rubric
        assert [(c.title_fa, c.weight, c.scale_max) for c in rubric.criteria] == [("شناخت منطقه", 60, 5), ("نقش مردم", 40, 10)]
        assert rubric.criteria[0].levels[1] == {"value": 5, "fa": "عالی", "en": "Excellent"}
    bad = client.post(f"/organiser/rubrics/{world.rubric_id}/edit", data={
        "title_fa": "x", "criteria-0-title_fa": "معیار", "criteria-0-weight": "0"})
    assert bad.status_code == 422
    client.set_cookie("lang", "en")
    malformed = client.post(f"/organiser/rubrics/{world.rubric_id}/edit", data={
        "title_fa": "x", "criteria-0-title_fa": "معیار", "criteria-0-weight": "1", "criteria-0-levels": "خوب",
        "criteria-1-title_fa": "", "criteria-1-levels": "بی‌عدد"})  # a row without a title is dropped, unchecked
    assert malformed.status_code == 422
    assert page_text(malformed).count("Each level line starts with its score") == 1
    with app.app_context():
        assert get(Round, world.round_id).rubric.title_fa == "شاخص‌نامه تازه"  # unchanged


def test_a_judge_declares_a_conflict_with_any_team_of_their_rounds(app, assigned, client, login, make):
    outsider = factories.team_in(app, assigned.event.id, make.user(), name="گروه بیرون از مرحله")
    with app.app_context():
        judge_id = assigned.judges[0].id
        not_mine = next(team_id for team_id in assigned.team_ids if team_id not in set(db.session.scalars(
            select(Assignment.team_id).where(Assignment.user_id == judge_id))))
        token_of = {team_id: conflict_token(judge_id, team_id) for team_id in (not_mine, outsider)}
    login(assigned.judges[0])
    assert client.post("/judging/conflicts", data={"team": not_mine, "reason": "x"}).status_code == 404  # not an id
    assert client.post("/judging/conflicts", data={"team": token_of[not_mine],
                                                   "reason": "مشاور این گروه بوده‌ام"}).status_code == 302
    assert client.post("/judging/conflicts", data={"team": token_of[outsider], "reason": "x"}).status_code == 404
    with app.app_context():
        teams = set(db.session.scalars(select(ConflictOfInterest.team_id)
                                       .where(ConflictOfInterest.user_id == judge_id)))
        assert teams == {not_mine}


def test_a_final_round_gives_awards_by_rank_and_flags_bands_across_the_cut_offs(app, assigned):
    _score_everything(app, assigned, lambda index: 9 - index)
    with app.app_context():
        round_ = get(Round, assigned.round_id)
        round_.kind = "final"
        board = services.compute_leaderboard(round_, "mean")
        assert [row.award for row in board.rows] == ["first", "second", "third", "honourable"]
        assert all(row.crosses_cutoff == any(row.result.low < cut < row.result.high for cut in
                                             [(a.result.value + b.result.value) / 2
                                              for a, b in zip(board.rows, board.rows[1:])])
                   for row in board.rows)
        db.session.rollback()


def test_judging_pages_have_plain_titles(app, assigned, client, login):
    """A regression: a conflict form once landed inside the <title> of two pages."""
    import re

    login(assigned.organiser)
    for path in ("/judging", f"/organiser/rounds/{assigned.round_id}", f"/organiser/rounds/{assigned.round_id}/results",
                 f"/organiser/rounds/{assigned.round_id}/quality", f"/organiser/events/{assigned.event.id}/judging"):
        html = client.get(path).get_data(as_text=True)
        title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
        assert "<" not in title and len(title) < 150, path


# --- signals and the moment of each change -----------------------------------------------------------------

JUDGING_SIGNALS = (signals.judge_assigned, signals.assignment_reopened, signals.screening_selected,
                   signals.results_published)


@pytest.fixture
def heard():
    """What the judging signals deliver, in order: (signal name, sender, extras)."""
    seen, receivers = [], []
    for signal in JUDGING_SIGNALS:
        def receiver(sender, name=signal.name, **extras):
            seen.append((name, sender, extras))
        signal.connect(receiver)
        receivers.append((signal, receiver))
    yield seen
    for signal, receiver in receivers:
        signal.disconnect(receiver)


def test_automatic_assignment_is_heard_after_the_commit_only(app, world, heard):
    with app.app_context():
        organiser, round_, now = get(User, world.organiser.id), get(Round, world.round_id), utcnow()
        services.assign_automatically(organiser, round_, now)
        db.session.rollback()
        db.session.commit()
        assert heard == []
        services.assign_automatically(organiser, round_, now)
        assert heard == []
        db.session.commit()
        [(name, sender, extras)] = heard
        assert (name, sender.id, extras["actor"].id, extras["now"]) == ("judge-assigned", round_.id, organiser.id, now)
        assert sorted(extras["assignment_ids"]) == sorted(a.id for a in services.round_assignments(round_))
        services.assign_automatically(organiser, round_, now)  # nothing left to assign: nothing to hear
        db.session.commit()
        assert len(heard) == 1


def test_a_move_and_a_conflict_that_hands_an_entry_on_are_heard(app, assigned, heard):
    with app.app_context():
        organiser, now = get(User, assigned.organiser.id), utcnow()
        assignment = an_assignment(assigned, 0)
        free = next(judge.id for judge in assigned.judges
                    if (judge.id, assignment.team_id) not in services.assignments._round_pairs(assignment.round))
        services.move_assignment(organiser, assignment, free, now)
        db.session.rollback()
        assert heard == []
        assignment = an_assignment(assigned, 0)
        assignment_id, team = assignment.id, assignment.team
        services.move_assignment(organiser, assignment, free, now)
        db.session.commit()
        [(name, sender, extras)] = heard
        assert (name, sender.id, extras["assignment_ids"]) == ("judge-assigned", assigned.round_id, [assignment_id])
        heard.clear()
        judge = get(User, free)
        handed = services.declare_conflict(judge, team, judge, "هم‌محله‌ای هستیم", now)
        assert len(handed) == 1 and heard == []
        db.session.commit()
        [(name, sender, extras)] = heard
        assert (name, sender.id, extras["actor"].id) == ("judge-assigned", assigned.round_id, free)
        assert extras["assignment_ids"] == [handed[0].id]


def test_reopened_scores_are_heard_after_the_commit_only(app, assigned, heard):
    with app.app_context():
        organiser, now = get(User, assigned.organiser.id), utcnow()
        assignment = an_assignment(assigned)
        judge = get(User, assignment.user_id)
        services.save_scores(judge, assignment, full_scores(assignment.round), {}, now)
        services.submit_scores(judge, assignment, "", now)
        db.session.commit()
        services.reopen_scores(organiser, assignment, now)
        db.session.rollback()
        assert heard == []
        services.reopen_scores(organiser, an_assignment(assigned), now)
        db.session.commit()
        assert [(name, sender.id, extras["now"]) for name, sender, extras in heard] == [
            ("assignment-reopened", assignment.id, now)]


def test_the_selection_of_the_top_teams_is_heard_after_the_commit_only(app, assigned, heard):
    _score_everything(app, assigned, lambda index: 9 - index)  # team 0 best
    with app.app_context():
        organiser, round_, now = get(User, assigned.organiser.id), get(Round, assigned.round_id), utcnow()
        services.publish(organiser, round_, {}, now)
        db.session.rollback()
        assert heard == []
        publication = services.publish(organiser, round_, {}, now)
        db.session.commit()
        assert [(name, sender.id) for name, sender, _extras in heard] == [("results-published", publication.id)]
        heard.clear()
        services.select_top(organiser, round_, 2, now)
        db.session.rollback()
        assert heard == []
        services.select_top(organiser, round_, 2, now)
        db.session.commit()
        [(name, sender, extras)] = heard
        assert (name, sender.id, extras["team_ids"], extras["selected"], extras["now"]) == (
            "screening-selected", assigned.event.id, assigned.team_ids[:2], True, now)
        heard.clear()
        services.select_top(organiser, round_, 1, now)  # the second team is no longer selected
        db.session.commit()
        assert [(extras["team_ids"], extras["selected"]) for _name, _sender, extras in heard] == [
            ([assigned.team_ids[1]], False)]


def test_every_judging_audit_entry_is_dated_with_the_given_moment(app, world, outbox):
    moment = utcnow() - timedelta(hours=3)
    with app.app_context():
        organiser, event = get(User, world.organiser.id), get(Event, world.event.id)
        rubric = services.copy_rubric(organiser, get(Round, world.round_id).rubric, event, moment)
        final = services.save_round(organiser, event, services.RoundDetails(
            kind="final", rubric_id=rubric.id, starts_at=moment, ends_at=moment + timedelta(days=2)), moment)
        services.add_entries(organiser, final, world.team_ids, moment)
        for judge in world.judges:
            services.join_event(get(User, judge.id), event, utcnow())
        services.add_all_judges(organiser, final, moment)
        services.assign_automatically(organiser, final, moment)
        services.invite_judge(organiser, event, "someone@example.com", lambda token: token, moment)
        db.session.commit()
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.at == moment)).all()
        assert {entry.action for entry in entries} == {"rubric.saved", "round.saved", "round.entries_added",
                                                       "round.judges_added", "round.assigned", "judging.judge_invited"}
