"""Fifty judges save and submit their scores at the same moment, through the app, on PostgreSQL:
no score lost, none duplicated, no error page."""
import os
import threading

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from eventapp.audit.models import AuditEntry
from eventapp.auth import passwords
from eventapp.auth.models import User
from eventapp.core.extensions import db
from eventapp.core.text import persian_digits
from eventapp.judging import services
from eventapp.judging.models import Assignment, Round, Score

from . import factories
from .helpers import TEST_PASSWORD, get, make_app, sign_in

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql"),
    reason="needs PostgreSQL (set TEST_DATABASE_URL=postgresql://...): SQLite serialises every write, "
           "so judges scoring at the same time are only a real race on PostgreSQL",
)

JUDGES = 50
TEAMS = 20
PER_ENTRY = 5  # 20 entries x 5 judges = 100 assignments, two for each judge
STEPS = [6.0, 6.5, 7.0, 7.5, 8.0]  # totals stay within 60-80: never far enough off to need a comment


def final_value(judge_index: int, assignment_index: int, position: int) -> float:
    return STEPS[(judge_index + assignment_index + position) % len(STEPS)]


@pytest.fixture
def cheap_passwords(monkeypatch):
    """Argon2 with light parameters: 50 sign-ins at once with the real ones (64 MiB and ~0.2 s of CPU
    each) would take most of the test's time and memory. The judges sign in normally, through /signin;
    their hashes use the light parameters, so none is rehashed."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    return passwords.hash_password(TEST_PASSWORD)


@pytest.fixture
def crowd(app, make, organiser, cheap_passwords):
    """An event in judging, 20 approved teams, 50 judges and a round of 5 judges per entry."""
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    event = make.event(slug="crowded-judging", open_kind="judging")
    judges = [make.user(name=f"داور {i}", email=f"crowd-judge{i}@example.com", roles=["judge"],
                        password_hash=cheap_passwords) for i in range(JUDGES)]
    leaders = [make.user(email=f"crowd-leader{i}@example.com") for i in range(TEAMS)]
    team_ids = [factories.team_in(app, event.id, leader, name=f"گروه {i}") for i, leader in enumerate(leaders)]
    round_id = factories.assigned_round(app, organiser, event.id, team_ids, [judge.id for judge in judges],
                                        "screening", judges_per_entry=PER_ENTRY)
    with app.app_context():
        criteria = [criterion.id for criterion in get(Round, round_id).rubric.criteria]
        work = {judge.id: [a.id for a in services.assignments_of(get(User, judge.id))] for judge in judges}
        assert sorted({len(ids) for ids in work.values()}) == [TEAMS * PER_ENTRY // JUDGES]
        return type("Crowd", (), {"judges": judges, "round_id": round_id, "criteria": criteria, "work": work})


@pytest.fixture
def served(app, database_url):
    """Another instance of the app (CSRF off) on the suite's database, with a connection for every judge."""
    served = make_app(database_url, SQLALCHEMY_ENGINE_OPTIONS={
        "pool_pre_ping": True, "pool_size": JUDGES, "max_overflow": 0, "pool_timeout": 30})
    yield served
    with served.app_context():
        db.engine.dispose()


def test_fifty_judges_save_and_submit_at_once(app, served, crowd):
    barrier = threading.Barrier(JUDGES)
    results: dict[int, list] = {judge.id: [] for judge in crowd.judges}
    failures: list = []
    posted: dict[int, dict[int, tuple[float, str]]] = {}

    def form_for(judge_index, assignment_index, assignment_id, action):
        data = {"action": action}
        for position, criterion_id in enumerate(crowd.criteria):
            value = final_value(judge_index, assignment_index, position)
            if action == "save":
                value -= 1  # the draft differs: the submission must leave the final values
            # half the judges type on a Persian keyboard
            text = f"{value:g}"
            data[f"score-{criterion_id}"] = persian_digits(text) if judge_index % 2 else text
            data[f"comment-{criterion_id}"] = f"نظر داور {judge_index} درباره اثر {assignment_id}"
        return data

    for judge_index, judge in enumerate(crowd.judges):
        for assignment_index, assignment_id in enumerate(crowd.work[judge.id]):
            posted[assignment_id] = {
                criterion_id: (final_value(judge_index, assignment_index, position),
                               f"نظر داور {judge_index} درباره اثر {assignment_id}")
                for position, criterion_id in enumerate(crowd.criteria)}

    def judge_works(judge_index, judge):
        client = served.test_client()
        signed_in = False
        try:
            response = sign_in(client, judge)
            signed_in = response.status_code == 302 and "/signin" not in response.headers.get("Location", "")
            if not signed_in:
                failures.append((judge.email, "signin", response.status_code))
        except Exception as error:  # noqa: BLE001 - reported below, with the judge
            failures.append((judge.email, "signin", repr(error)))
        finally:
            barrier.wait(timeout=60)  # everyone starts scoring together
        if not signed_in:
            return
        for assignment_index, assignment_id in enumerate(crowd.work[judge.id]):
            for action in ("save", "submit"):
                try:
                    response = client.post(f"/judging/assignments/{assignment_id}",
                                           data=form_for(judge_index, assignment_index, assignment_id, action))
                    results[judge.id].append((assignment_id, action, response.status_code,
                                              response.headers.get("Location", "")))
                except Exception as error:  # noqa: BLE001 - reported below, with the judge
                    failures.append((judge.email, assignment_id, action, repr(error)))

    threads = [threading.Thread(target=judge_works, args=(index, judge), name=f"judge-{index}")
               for index, judge in enumerate(crowd.judges)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not [thread.name for thread in threads if thread.is_alive()]
    assert not failures, failures[:5]

    # Every request answered with the redirect back to the scoring page: no error page, no refusal.
    answers = [answer for answers in results.values() for answer in answers]
    assert len(answers) == len(posted) * 2
    wrong = [answer for answer in answers
             if answer[2] != 302 or not answer[3].endswith(f"/judging/assignments/{answer[0]}")]
    assert not wrong, wrong[:5]

    with app.app_context():
        assignments = db.session.scalars(select(Assignment).where(Assignment.round_id == crowd.round_id)).all()
        assert {a.id for a in assignments} == set(posted)
        assert all(a.is_submitted for a in assignments)
        # Exactly one score per criterion of each assignment: none lost, none duplicated.
        per_pair = db.session.execute(
            select(Score.assignment_id, Score.criterion_id, func.count())
            .join(Assignment).where(Assignment.round_id == crowd.round_id)
            .group_by(Score.assignment_id, Score.criterion_id)).all()
        assert len(per_pair) == len(posted) * len(crowd.criteria)
        assert {count for _, _, count in per_pair} == {1}
        assert db.session.scalar(select(func.count()).select_from(Score)) == len(posted) * len(crowd.criteria)
        # The values are the submitted ones, not the drafts, and each judge's own.
        stored = {a.id: {s.criterion_id: (s.value, s.comment) for s in a.scores} for a in assignments}
        assert stored == posted
        owners = {a.id: a.user_id for a in assignments}
        assert all(owners[assignment_id] == judge_id
                   for judge_id, ids in crowd.work.items() for assignment_id in ids)
        # One submission recorded for each assignment.
        submitted = db.session.scalar(select(func.count()).select_from(AuditEntry)
                                      .where(AuditEntry.action == "scores.submitted"))
        assert submitted == len(posted)


def test_the_same_draft_saved_twice_at_once_answers_without_an_error_page(app, served, crowd):
    answers = []
    for judge_index, judge in enumerate(crowd.judges[:10]):
        assignment_id = crowd.work[judge.id][0]
        data = {"action": "save", **{f"score-{criterion_id}": f"{final_value(judge_index, 0, position):g}"
                                     for position, criterion_id in enumerate(crowd.criteria)}}
        taps = [served.test_client() for _ in range(2)]
        for client in taps:
            assert sign_in(client, judge).status_code == 302
        barrier = threading.Barrier(len(taps))

        def tap(client):
            barrier.wait(timeout=30)
            response = client.post(f"/judging/assignments/{assignment_id}", data=data)
            answers.append((assignment_id, response.status_code))

        threads = [threading.Thread(target=tap, args=(client,)) for client in taps]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

    with app.app_context():
        duplicated = db.session.execute(
            select(Score.assignment_id, Score.criterion_id).group_by(Score.assignment_id, Score.criterion_id)
            .having(func.count() > 1)).all()
        assert not duplicated
        saved = db.session.scalars(select(Assignment).where(Assignment.id.in_([a for a, _ in answers]))).all()
        assert all(len(assignment.scores) == len(crowd.criteria) for assignment in saved)
    assert len(answers) == 20
    assert [answer for answer in answers if answer[1] >= 500] == []
