"""In Chromium on a phone, in Persian: a judge declares a conflict on one entry, scores another,
saves a draft, comes back, submits."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from eventapp.auth.models import User
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.core.text import normalize_text, persian_digits
from eventapp.judging import services
from eventapp.judging.models import Assignment, ConflictOfInterest, Round
from eventapp.teams import services as team_services
from eventapp.teams.models import Team

from .. import factories
from ..helpers import get, sign_in_page

pytestmark = pytest.mark.e2e

# What the judge types, criterion by criterion (the default rubric: weights 20, 20, 20, 15, 15, 10),
# with a Persian phone keyboard: Persian digits and the Persian decimal separator.
DRAFT = ["۷", "۸", "۶٫۵"]
REST = ["۹", "۵", "۱۰"]
VALUES = [7.0, 8.0, 6.5, 9.0, 5.0, 10.0]
TOTAL = (20 * 7 + 20 * 8 + 20 * 6.5 + 15 * 9 + 15 * 5 + 10 * 10) / 10  # of 100: 74.0

REASON = "عضو هیئت‌مدیره این گروه جهادی هستم."


@pytest.fixture
def judging_round(app, make, organiser):
    """An event in judging; six approved teams (three with a map draft), two judges, the default
    rubric and a blind screening round with one judge per entry, assigned automatically."""
    now = utcnow()
    event = make.event(slug="judging-browser", open_kind="judging")
    judge = make.user(name="داور اول", email="judge-a@example.com", roles=["judge"])
    other = make.user(name="داور دوم", email="judge-b@example.com", roles=["judge"])
    leaders = [make.user(email=f"leader{i}@example.com") for i in range(6)]
    team_ids = [factories.team_in(app, event.id, leader, name=f"گروه {i}") for i, leader in enumerate(leaders)]
    with app.app_context():
        for leader, team_id in list(zip(leaders, team_ids))[::2]:
            team_services.save_draft(get(User, leader.id), get(Team, team_id), team_services.MapDraft(
                title="احیای قنات روستا", sections={"knowledge": "<p>قنات‌ها خشک شده‌اند.</p>",
                                                    "goals": "<p>آبدهی قنات به ۳۰ لیتر بر ثانیه برسد.</p>"}),
                None, now)
        db.session.commit()
    round_id = factories.assigned_round(app, organiser, event.id, team_ids, [judge.id, other.id], "screening")
    with app.app_context():
        loads = {user_id: len(services.assignments_of(get(User, user_id))) for user_id in (judge.id, other.id)}
        assert loads == {judge.id: 3, other.id: 3}
        criteria = [criterion.id for criterion in get(Round, round_id).rubric.criteria]
        return type("JudgingRound", (), {"judge": judge, "other": other, "round_id": round_id,
                                          "criteria": criteria, "team_ids": team_ids})


def typed_number(value: str) -> float:
    """An input's value as a number, whichever digits the page shows it in."""
    return float(normalize_text(value).replace("٫", "."))


def entry_links(page):
    return page.locator("table.table tbody tr a")


def assignment_id_of(link) -> int:
    return int(link.get_attribute("href").rstrip("/").rsplit("/", 1)[-1])


def test_declare_a_conflict_then_score_save_a_draft_come_back_and_submit(app, live_server, new_page,
                                                                        judging_round):
    world = judging_round
    page = new_page()
    sign_in_page(page, live_server, world.judge.email)
    page.goto(f"{live_server}/judging")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("h1").first.inner_text() == "داوری"
    assert entry_links(page).count() == 3

    # The first entry: the judge has a conflict of interest with it.
    first = entry_links(page).first
    conflicted_id = assignment_id_of(first)
    with app.app_context():
        conflicted = get(Assignment, conflicted_id)
        conflicted_team, conflicted_code = conflicted.team_id, conflicted.entry_code
    with page.expect_navigation():
        first.click()
    heading = page.locator("h1").first.inner_text()
    assert conflicted_code in heading and persian_digits(str(conflicted_team)) not in heading
    assert "گروه" not in heading  # a blind round: no team name, no team id: its entry code
    page.locator("details.danger summary").filter(has_text="با این اثر تعارض منافع دارم").click()
    page.fill("#reason", REASON)
    with page.expect_navigation():
        page.get_by_role("button", name="اعلام تعارض منافع").click()
    assert page.url == f"{live_server}/judging"
    assert "تعارض منافع شما ثبت شد" in page.locator(".flash--success").inner_text()
    # The entry went to the other judge (4 to 2), and one of theirs came back: loads stay at 3 and 3.
    assert entry_links(page).count() == 3
    assert conflicted_id not in [assignment_id_of(link) for link in entry_links(page).all()]

    # Another entry: score half of the criteria with Persian digits and save the draft.
    second = entry_links(page).first
    scored_id = assignment_id_of(second)
    with page.expect_navigation():
        second.click()
    for criterion_id, typed in zip(world.criteria, DRAFT):
        page.fill(f"#score-{criterion_id}", typed)
    page.fill(f"#comment-{world.criteria[0]}", "شناخت خوبی از روستا دارند.")
    with page.expect_navigation():
        page.get_by_role("button", name="ذخیره پیش‌نویس").click()
    assert "پیش‌نویس شما ذخیره شد" in page.locator(".flash--success").inner_text()

    # Back to the list, where the entry is a draft, and into it again: the draft is still there.
    with page.expect_navigation():
        page.get_by_role("link", name="همه آثار من").click()
    assert page.url == f"{live_server}/judging"
    row = page.locator("table.table tbody tr").filter(has=page.locator(f"a[href$='/assignments/{scored_id}']"))
    assert "پیش‌نویس" in row.inner_text()
    with page.expect_navigation():
        row.locator("a").click()
    for criterion_id, expected in zip(world.criteria, VALUES[:len(DRAFT)]):
        assert typed_number(page.input_value(f"#score-{criterion_id}")) == expected
    for criterion_id in world.criteria[len(DRAFT):]:
        assert page.input_value(f"#score-{criterion_id}") == ""
    assert page.input_value(f"#comment-{world.criteria[0]}") == "شناخت خوبی از روستا دارند."

    # Fill the rest and submit: the scores are locked.
    for criterion_id, typed in zip(world.criteria[len(DRAFT):], REST):
        page.fill(f"#score-{criterion_id}", typed)
    with page.expect_navigation():
        page.get_by_role("button", name="ثبت نهایی امتیازها").click()
    notices = " ".join(page.locator(".flash--success").all_inner_texts())
    assert "امتیازهای شما ثبت نهایی شد" in notices and "قفل است" in notices
    assert page.locator(".score-input").count() == len(world.criteria)
    for field in page.locator(".score-input").all():
        assert field.is_disabled()
    assert page.get_by_role("button", name="ثبت نهایی امتیازها").count() == 0
    assert page.locator("details.danger").count() == 0  # no conflict to declare once submitted
    assert persian_digits("74") in page.locator(".score-layout__rubric").inner_text()

    with app.app_context():
        conflict = db.session.scalar(select(ConflictOfInterest).where(ConflictOfInterest.user_id == world.judge.id))
        assert conflict is not None
        assert conflict.team_id == conflicted_team and conflict.reason == normalize_text(REASON)
        # The conflicted entry went to the other judge, and to nobody else.
        assert get(Assignment, conflicted_id) is None
        holders = db.session.scalars(select(Assignment.user_id).where(
            Assignment.round_id == world.round_id, Assignment.team_id == conflicted_team)).all()
        assert holders == [world.other.id]
        # ...and one of the other judge's unscored entries came back to even the loads.
        assert len(services.assignments_of(get(User, world.judge.id))) == 3
        assert len(services.assignments_of(get(User, world.other.id))) == 3
        # The scored entry is submitted with what the judge typed.
        scored = get(Assignment, scored_id)
        assert scored.user_id == world.judge.id and scored.is_submitted
        assert {score.criterion_id: score.value for score in scored.scores} == dict(zip(world.criteria, VALUES))
        assert services.judge_total(scored) == pytest.approx(TOTAL)


def test_a_draft_is_saved_as_the_judge_goes(app, live_server, new_page, judging_round):
    """Without pressing any button, a score typed on the scoring page reaches the database."""
    world = judging_round
    page = new_page()
    sign_in_page(page, live_server, world.judge.email)
    page.goto(f"{live_server}/judging")
    link = entry_links(page).first
    assignment_id = assignment_id_of(link)
    link.click()
    page.wait_for_load_state()
    page.fill(f"#score-{world.criteria[0]}", "۸")
    status = page.locator("[data-autosave-status]")
    expect(status).to_have_text(status.get_attribute("data-saved"), timeout=15000)  # no button pressed
    with app.app_context():
        assignment = get(Assignment, assignment_id)
        assert {score.criterion_id: score.value for score in assignment.scores}[world.criteria[0]] == 8.0
        assert not assignment.is_submitted
