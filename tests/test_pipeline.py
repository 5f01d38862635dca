"""The collaboration pipeline: winners taken in, stages, owners, milestones, notes, readings, attention and
the weekly digest (rules through services, with the acting user and the moment; the digest command)."""
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from eventapp import signals
from eventapp.audit.models import AuditEntry
from eventapp.auth.models import User
from eventapp.core import storage
from eventapp.core.database import utcnow
from eventapp.core.errors import Conflict, Invalid, NotAllowed, NotFound
from eventapp.core.extensions import db
from eventapp.events.models import Province
from eventapp.judging import services as judging
from eventapp.judging.models import Round
from eventapp.notifications import scheduling
from eventapp.pipeline import services
from eventapp.pipeline.enums import TrackingStatus
from eventapp.pipeline.models import (
    Milestone,
    Note,
    NoteAttachment,
    Project,
    ProjectIndicator,
    Reading,
    Stage,
    StageMove,
)
from eventapp.teams.models import DRAFT, SUBMITTED, ProgressMap, Team

from . import factories
from .factories import project_for, team_with_map, today
from .helpers import get
from .test_maps import PNG

pytestmark = pytest.mark.rolled_back  # services only: no test client, no other thread

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


# --- building teams, maps and projects --------------------------------------------------------------------


def stage_id(key) -> int:
    services.ensure_stages()
    return db.session.scalar(select(Stage.id).where(Stage.key == key))


def project_of_team(team_id) -> Project | None:
    return db.session.scalar(select(Project).where(Project.team_id == team_id))


def count(model, **where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


def moves_audited(project_id) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "pipeline.project_moved", AuditEntry.target_id == project_id).order_by(AuditEntry.id)))


@pytest.fixture
def site(app, make, organiser, member, judge):
    """A project of «گروه جهادی امید» (led by ``member``), and «کانون مهر» of another leader with a submitted
    map that is not in the pipeline."""
    event = make.event(open_kind="results", title_fa="جشنواره پیشرفت یزد", title_en="Yazd Progress Festival")
    outsider = make.user(name="سارا کاظمی", email="sara@example.com")
    omid = team_with_map(app, event.id, member, name="گروه جهادی امید")
    mehr = team_with_map(app, event.id, outsider, name="کانون مهر")
    project_id = project_for(app, organiser, omid)
    return SimpleNamespace(event=event, organiser=organiser, member=member, judge=judge, outsider=outsider,
                           omid=omid, mehr=mehr, project_id=project_id)


# --- winners into the pipeline ------------------------------------------------------------------------------


def judged_round(app, organiser, event_id, team_ids, judge, kind):
    """A round of ``kind``, every entry scored by ``judge`` (the first team best), not yet published."""
    round_id = factories.assigned_round(app, organiser, event_id, team_ids, [judge.id], kind)
    factories.submit_scores(app, round_id, team_ids)
    return round_id


@pytest.fixture
def finalists(app, make, organiser, judge):
    """Seven teams of a final round, ranked in this order: first, second, third, then three honourable
    mentions, then one without an award. Some have a submitted map, some a draft, some none."""
    event = make.event(open_kind="judging")
    maps = [SUBMITTED, None, DRAFT, SUBMITTED, None, SUBMITTED, SUBMITTED]
    team_ids = [team_with_map(app, event.id, name=f"گروه {i}", status=status) for i, status in enumerate(maps)]
    round_id = judged_round(app, organiser, event.id, team_ids, judge, "final")
    return SimpleNamespace(event=event, team_ids=team_ids, round_id=round_id)


def test_publishing_a_final_round_makes_its_winners_with_submitted_maps_projects(app, finalists, organiser):
    first, _second, draft, honourable, _none, honourable_too, no_award = finalists.team_ids
    published_at = utcnow() - timedelta(hours=1)
    with app.app_context():
        judging.publish(get(User, organiser.id), get(Round, finalists.round_id), {}, published_at)
        db.session.commit()
        projects = {project.team_id: project for project in db.session.scalars(select(Project))}
        assert set(projects) == {first, honourable, honourable_too}
        assert (projects[first].award, projects[honourable].award) == ("first", "honourable")
        assert draft not in projects and no_award not in projects

        project = projects[first]
        progress_map = db.session.scalar(select(ProgressMap).where(ProgressMap.team_id == first))
        assert project.title == progress_map.title and project.map_id == progress_map.id
        assert project.event_id == finalists.event.id and project.province_id == progress_map.province_id
        assert [(i.name, i.unit, i.baseline, i.target, i.target_date) for i in project.indicators] == \
            [(i.name, i.unit, i.baseline, i.target, i.target_date) for i in progress_map.indicators]
        assert [(m.title, m.due_on, m.done_on) for m in project.milestones] == \
            [(a.what, a.ends_on, None) for a in progress_map.actions]
        assert project.stage.key == "selected" and project.created_at == published_at
        [entry] = services.stage_history(project)
        assert entry.from_stage_id is None and entry.to_stage_id == project.stage_id
        assert entry.moved_by_id == organiser.id and entry.moved_at == published_at
        assert count(AuditEntry, action="pipeline.project_created") == 3


def test_publishing_again_takes_in_nobody_twice(app, finalists, organiser):
    factories.publish(app, organiser, finalists.round_id)
    with app.app_context():
        before = (count(Project), count(ProjectIndicator), count(Milestone), count(StageMove))
    factories.publish(app, organiser, finalists.round_id)
    with app.app_context():
        assert (count(Project), count(ProjectIndicator), count(Milestone), count(StageMove)) == before
        assert count(Project) == 3


def test_a_winner_without_a_submitted_map_is_skipped(app, finalists, organiser):
    factories.publish(app, organiser, finalists.round_id)
    second, third = finalists.team_ids[1:3]  # second place without a map, third with a draft
    with app.app_context():
        assert project_of_team(second) is None and project_of_team(third) is None
        for team_id in (second, third):
            with pytest.raises(Conflict):
                services.create_project(get(User, organiser.id), get(Team, team_id), utcnow(), "second")


def test_a_screening_round_takes_in_nobody_even_with_awards(app, make, organiser, judge):
    event = make.event(open_kind="screening")
    team_ids = [team_with_map(app, event.id, name=f"گروه {i}") for i in range(3)]
    round_id = judged_round(app, organiser, event.id, team_ids, judge, "screening")
    with app.app_context():
        publication = judging.publish(get(User, organiser.id), get(Round, round_id), {team_ids[0]: "first"},
                                      utcnow())
        db.session.commit()
        assert publication.snapshot["rows"][0]["award"] == "first"
        assert count(Project) == 0


# --- adding by hand ------------------------------------------------------------------------------------------


def test_an_organiser_adds_any_team_with_a_submitted_map_but_only_once(app, site, make):
    draft = team_with_map(app, site.event.id, name="گروه پیش‌نویس", status=DRAFT)
    no_map = team_with_map(app, site.event.id, name="گروه بی‌نقشه", status=None)
    now = utcnow()
    with app.app_context():
        actor = get(User, site.organiser.id)
        project = services.create_project(actor, get(Team, site.mehr), now, "honourable")
        db.session.commit()
        assert project.award == "honourable" and project.created_at == now == project.last_update_at
        assert len(project.indicators) == 2 and len(project.milestones) == 2
        with pytest.raises(Conflict):
            services.create_project(actor, get(Team, site.mehr), now)
        with pytest.raises(Conflict):
            services.create_project(actor, get(Team, site.omid), now)
        with pytest.raises(Conflict):
            services.create_project(actor, get(Team, draft), now)
        with pytest.raises(Conflict):
            services.create_project(actor, get(Team, no_map), now)
        for someone in (site.member, site.judge):
            with pytest.raises(NotAllowed):
                services.create_project(get(User, someone.id), get(Team, draft), now)
        db.session.rollback()
        assert count(Project) == 2


# --- stages --------------------------------------------------------------------------------------------------


def test_moves_are_recorded_and_audited_with_who_and_when(app, site):
    first, second = utcnow() + timedelta(minutes=1), utcnow() + timedelta(minutes=2)
    with app.app_context():
        actor, project = get(User, site.organiser.id), get(Project, site.project_id)
        services.move(actor, project, stage_id("agreement"), "", first)
        services.move(actor, project, stage_id("planning"), "  تفاهم‌نامه امضا شد  ", second)
        db.session.commit()
        assert project.stage.key == "planning" and project.last_update_at >= second
        history = services.stage_history(project)
        assert [(m.from_stage.key if m.from_stage else None, m.to_stage.key) for m in history] == \
            [(None, "selected"), ("selected", "agreement"), ("agreement", "planning")]
        assert [m.moved_at for m in history[1:]] == [first, second]
        assert {m.moved_by_id for m in history} == {site.organiser.id}
        assert history[-1].reason == "تفاهم‌نامه امضا شد"
        audited = moves_audited(project.id)
        assert [entry.changes["stage"] for entry in audited] == [["selected", "agreement"], ["agreement", "planning"]]
        assert {entry.actor_id for entry in audited} == {site.organiser.id}
        assert [entry.at for entry in audited] == [first, second]  # at the moments given, as the moves
        with pytest.raises(Conflict):
            services.move(actor, project, stage_id("planning"), "", second)


@pytest.fixture
def moves_heard():
    heard = []

    def receiver(project, **extras):
        heard.append((project, extras))

    signals.project_moved.connect(receiver)
    yield heard
    signals.project_moved.disconnect(receiver)


def test_a_move_is_announced_after_its_commit_and_not_when_it_is_rolled_back(app, site, moves_heard):
    now = utcnow()
    with app.app_context():
        actor, project = get(User, site.organiser.id), get(Project, site.project_id)
        services.move(actor, project, stage_id("agreement"), "", now)
        db.session.rollback()
        db.session.commit()
        assert moves_heard == []

        project = get(Project, site.project_id)
        services.move(actor, project, stage_id("on_hold"), "منتظر اعتبار", now)
        assert moves_heard == []
        db.session.commit()
        assert len(moves_heard) == 1
        sender, extras = moves_heard[0]
        assert sender is project and extras["actor"] is actor and extras["now"] == now
        assert (extras["from_stage"].key, extras["to_stage"].key) == ("selected", "on_hold")


@pytest.mark.parametrize("key", ["on_hold", "dropped"])
def test_on_hold_and_dropped_need_a_reason(app, site, key):
    now = utcnow()
    with app.app_context():
        actor, project = get(User, site.organiser.id), get(Project, site.project_id)
        for reason in ("", "   "):
            with pytest.raises(Invalid) as refused:
                services.move(actor, project, stage_id(key), reason, now)
            assert "reason" in refused.value.fields
        db.session.commit()
        assert project.stage.key == "selected" and project.stage_reason == ""
        assert count(StageMove, project_id=project.id) == 1 and moves_audited(project.id) == []

        services.move(actor, project, stage_id(key), "اعتبار استانی امسال تخصیص نیافت", now)
        db.session.commit()
        assert project.stage.key == key and project.stage_reason == "اعتبار استانی امسال تخصیص نیافت"
        services.move(actor, project, stage_id("implementation"), "", now + timedelta(days=30))
        db.session.commit()
        assert project.stage.key == "implementation" and project.stage_reason == ""
        assert moves_audited(project.id)[0].changes["reason"] == "اعتبار استانی امسال تخصیص نیافت"


def test_members_and_judges_cannot_move_a_project(app, site):
    with app.app_context():
        project = get(Project, site.project_id)
        for someone in (site.member, site.judge, site.outsider):
            with pytest.raises(NotAllowed):
                services.move(get(User, someone.id), project, stage_id("agreement"), "", utcnow())
        with pytest.raises(Invalid):
            services.move(get(User, site.organiser.id), project, 10**6, "", utcnow())
        db.session.rollback()
        assert get(Project, site.project_id).stage.key == "selected"


def test_stages_are_renamed_and_reordered_but_every_stage_keeps_a_place(app, site):
    with app.app_context():
        actor, stages = get(User, site.organiser.id), services.ensure_stages()
        ids = [stage.id for stage in stages]
        with pytest.raises(Invalid):
            services.save_stages(actor, {}, ids[:-1], utcnow())
        with pytest.raises(Invalid):
            services.save_stages(actor, {}, ids + ids[:1], utcnow())
        with pytest.raises(Invalid) as unnamed:
            services.save_stages(actor, {ids[0]: (" ", "Proposed")}, ids, utcnow())
        assert f"name_fa-{ids[0]}" in unnamed.value.fields
        with pytest.raises(NotAllowed):
            services.save_stages(get(User, site.member.id), {}, ids, utcnow())
        db.session.rollback()
        assert [stage.id for stage in services.ensure_stages()] == ids

        order = [ids[1], ids[0], *ids[2:]]
        services.save_stages(actor, {ids[0]: (" پیشنهادشده ", "Proposed")}, order, utcnow())
        db.session.commit()
        stages = services.ensure_stages()
        assert [stage.id for stage in stages] == order
        assert (stages[1].key, stages[1].name_fa, stages[1].name_en) == ("selected", "پیشنهادشده", "Proposed")
        assert stages[0].name_fa == "امضای تفاهم‌نامه"
        assert count(AuditEntry, action="pipeline.stages_saved") == 1


# --- the plan: owner and next step -------------------------------------------------------------------------------


def test_the_owner_must_be_an_organiser_and_a_due_date_needs_a_step(app, site):
    due = today() + timedelta(days=7)
    with app.app_context():
        actor, project = get(User, site.organiser.id), get(Project, site.project_id)
        with pytest.raises(Invalid) as refused:
            services.update_plan(actor, project, services.Plan(site.member.id, "امضای تفاهم‌نامه", due), utcnow())
        assert "owner" in refused.value.fields
        with pytest.raises(Invalid):
            services.update_plan(actor, project, services.Plan(10**6, "", None), utcnow())
        with pytest.raises(Invalid) as stepless:
            services.update_plan(actor, project, services.Plan(site.organiser.id, "  ", due), utcnow())
        assert "next_step" in stepless.value.fields
        with pytest.raises(NotAllowed):
            services.update_plan(get(User, site.member.id), project, services.Plan(None, "x", None), utcnow())
        db.session.rollback()
        project = get(Project, site.project_id)
        assert project.owner_id is None and project.next_step == ""

        services.update_plan(actor, project, services.Plan(site.organiser.id, " جلسه با فرمانداری ", due), utcnow())
        db.session.commit()
        assert (project.owner_id, project.next_step, project.next_step_due) == \
            (site.organiser.id, "جلسه با فرمانداری", due)
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "pipeline.plan_updated")).all()
        assert entry.changes["owner"] == [None, site.organiser.id] and entry.changes["due"][1] == due.isoformat()


# --- what the team posts ---------------------------------------------------------------------------------------


def test_team_members_post_notes_with_files_checked_by_their_content(app, site, upload_dir):
    now = utcnow() + timedelta(minutes=1)
    with app.app_context():
        member, project = get(User, site.member.id), get(Project, site.project_id)
        note = services.post_note(member, project, "  کار لایروبی آغاز شد.  ",
                                  [("photo.pdf", PNG), ("agreement.pdf", PDF)], now)
        db.session.commit()
        assert note.body == "کار لایروبی آغاز شد." and note.author_id == member.id and note.created_at == now
        assert [(a.original_name, a.content_type, a.size) for a in note.attachments] == \
            [("photo.pdf", "image/png", len(PNG)), ("agreement.pdf", "application/pdf", len(PDF))]
        assert storage.path_for(str(upload_dir), note.attachments[0].sha256).read_bytes() == PNG
        assert project.last_update_at == now
        attachment, path = services.note_attachment_for_download(member, note.attachments[1].id)
        assert path.read_bytes() == PDF
        with pytest.raises(NotFound):
            services.note_attachment_for_download(get(User, site.outsider.id), note.attachments[1].id)

        for name, content in (("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(40)),
                              ("report.pdf", b"<!DOCTYPE html><script>alert(1)</script>"),
                              ("page.html", b"<html><body>hi</body></html>"), ("empty.pdf", b""),
                              ("../x.pdf", PDF)):
            with pytest.raises(Invalid):
                services.post_note(member, project, "فایل", [(name, content)], now)
        with pytest.raises(Invalid):
            services.post_note(member, project, "   ", [], now)
        db.session.rollback()
        assert count(Note) == 1 and count(NoteAttachment) == 2

        services.post_note(get(User, site.organiser.id), get(Project, site.project_id), "بازدید میدانی انجام شد.",
                           [], now)
        db.session.commit()
        assert [n.body for n in services.timeline(get(Project, site.project_id))][0] == "بازدید میدانی انجام شد."


def test_people_outside_the_team_cannot_post_or_see_the_project(app, site):
    with app.app_context():
        project = get(Project, site.project_id)
        indicator = project.indicators[0]
        for someone in (site.outsider, site.judge):
            user = get(User, someone.id)
            with pytest.raises(NotFound):
                services.get_project(user, project.id)
            with pytest.raises(NotAllowed):
                services.post_note(user, project, "سلام", [], utcnow())
            with pytest.raises(NotAllowed):
                services.post_reading(user, project, indicator.id, services.ReadingDetails(today(), 50.0), utcnow())
            with pytest.raises(NotAllowed):
                services.mark_milestone(user, project, project.milestones[0].id, today(), utcnow())
        with pytest.raises(NotFound):
            services.get_project(None, project.id)
        assert services.get_project(get(User, site.member.id), project.id) is project
        db.session.rollback()
        assert count(Note) == count(Reading) == 0


@pytest.mark.rolled_back(False)  # a project made in its own context outlives this session's rollback
def test_readings_are_checked_and_only_verified_ones_count(app, site):
    now = utcnow()
    with app.app_context():
        member, organiser = get(User, site.member.id), get(User, site.organiser.id)
        project = get(Project, site.project_id)
        water = project.indicators[0]  # 40 -> 100 litres a second, in two years
        with pytest.raises(Invalid) as future:
            services.post_reading(member, project, water.id,
                                  services.ReadingDetails(today() + timedelta(days=1), 50.0), now)
        assert set(future.value.fields) == {"taken_on"}
        with pytest.raises(Invalid) as empty:
            services.post_reading(member, project, water.id, services.ReadingDetails(None, None), now)
        assert set(empty.value.fields) == {"taken_on", "value"}
        other = project_for(app, site.organiser, site.mehr)
        with pytest.raises(NotFound):
            services.post_reading(member, project, get(Project, other).indicators[0].id,
                                  services.ReadingDetails(today(), 1.0), now)
        db.session.rollback()

        project, water = get(Project, site.project_id), get(ProjectIndicator, water.id)
        reading = services.post_reading(member, project, water.id, services.ReadingDetails(
            today() - timedelta(days=20), 70.0, " اداره آب منطقه‌ای ", ""), now)
        db.session.commit()
        assert reading.source == "اداره آب منطقه‌ای" and reading.posted_by_id == member.id
        assert reading.verified_at is None and project.last_update_at == now
        assert services.indicator_status(water, today()) == TrackingStatus.NO_DATA  # not verified yet

        with pytest.raises(NotAllowed):
            services.verify_reading(member, project, reading.id, now)
        services.verify_reading(organiser, project, reading.id, now)
        db.session.commit()
        assert reading.verified_by_id == organiser.id and reading.verified_at == now
        assert services.indicator_status(water, today()) == TrackingStatus.ON_TRACK  # half the way in a month of two years
        with pytest.raises(Conflict):
            services.verify_reading(organiser, project, reading.id, now)
        with pytest.raises(NotFound):
            services.verify_reading(organiser, get(Project, other), reading.id, now)

        met = services.post_reading(member, project, water.id, services.ReadingDetails(today(), 104.0), now)
        db.session.commit()
        assert services.indicator_status(water, today()) == TrackingStatus.ON_TRACK
        services.verify_reading(organiser, project, met.id, now)
        db.session.commit()
        assert services.indicator_status(water, today()) == TrackingStatus.MET
        assert count(AuditEntry, action="pipeline.reading_verified") == 2


def test_members_mark_milestones_done_but_not_in_the_future(app, site):
    now = utcnow()
    with app.app_context():
        member, project = get(User, site.member.id), get(Project, site.project_id)
        milestone = project.milestones[0]
        with pytest.raises(Invalid):
            services.mark_milestone(member, project, milestone.id, today() + timedelta(days=1), now)
        with pytest.raises(NotFound):
            services.mark_milestone(member, project, 10**6, today(), now)
        services.mark_milestone(member, project, milestone.id, today(), now)
        db.session.commit()
        assert get(Milestone, milestone.id).done_on == today() and project.last_update_at == now
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "pipeline.milestone_marked"))
        assert entry.actor_id == member.id
        services.mark_milestone(get(User, site.organiser.id), project, milestone.id, None, now)
        db.session.commit()
        assert get(Milestone, milestone.id).done_on is None


# --- attention and the weekly digest ----------------------------------------------------------------------------


@pytest.fixture
def watched(app, make, organiser):
    """Projects in every state the attention list cares about, owned by ``organiser`` (but ``fresh``,
    owned by another organiser, and ``unowned``)."""
    other_owner = make.user(name="حسین نوری", email="hossein@example.com", roles=["organiser"])
    event = make.event(open_kind="results")
    now = utcnow()
    yesterday, week_ago = today() - timedelta(days=1), today() - timedelta(days=7)
    late = [("ساخت استخر ذخیره آب", week_ago - timedelta(days=60), week_ago),
            ("آموزش مقنی‌های جوان", week_ago - timedelta(days=60), yesterday - timedelta(days=20))]
    names = ("overdue", "done", "step", "silent", "quiet", "held", "fresh", "unowned")
    ids = {}
    for name in names:
        team_id = team_with_map(app, event.id, name=f"گروه {name}", title=f"طرح {name}",
                                actions=late if name in ("overdue", "done", "held") else None)
        ids[name] = project_for(app, organiser, team_id, now - timedelta(days=90))
    with app.app_context():
        actor = get(User, organiser.id)
        projects = {name: get(Project, project_id) for name, project_id in ids.items()}
        for name, project in projects.items():
            owner = None if name == "unowned" else other_owner.id if name == "fresh" else organiser.id
            due = yesterday if name in ("step", "held") else today() + timedelta(days=10) if name == "fresh" else None
            services.update_plan(actor, project, services.Plan(owner, "پیگیری تفاهم‌نامه" if due else "", due), utcnow())
            project.last_update_at = now - timedelta(days=2)
        projects["done"].milestones[0].done_on = yesterday
        projects["done"].milestones[1].done_on = yesterday
        services.move(actor, projects["held"], stage_id("on_hold"), "منتظر اعتبار", now - timedelta(days=60))
        projects["silent"].last_update_at = now - timedelta(days=services.STALE_AFTER_DAYS + 1)
        projects["quiet"].last_update_at = now - timedelta(days=services.STALE_AFTER_DAYS - 1)
        projects["held"].last_update_at = now - timedelta(days=60)
        db.session.commit()
    return SimpleNamespace(ids=ids, owner=organiser, other_owner=other_owner, event=event)


def test_attention_lists_what_is_overdue_or_silent_at_active_stages_only(app, watched, member):
    with app.app_context():
        found = services.attention(get(User, watched.owner.id), utcnow())
        names = {project_id: name for name, project_id in watched.ids.items()}
        assert [(names[m.project_id], m.title) for m in found.overdue_milestones] == \
            [("overdue", "آموزش مقنی‌های جوان"), ("overdue", "ساخت استخر ذخیره آب")]  # the longest overdue first
        assert [names[p.id] for p in found.overdue_steps] == ["step"]
        assert [names[p.id] for p in found.silent] == ["silent"]
        mine = services.attention(None, utcnow(), watched.other_owner.id)
        assert (mine.overdue_milestones, mine.overdue_steps, mine.silent) == ([], [], [])
        with pytest.raises(NotAllowed):
            services.attention(get(User, member.id), utcnow())


def test_the_digest_goes_to_owners_with_something_flagged_only(app, watched, outbox):
    with app.app_context():
        assert scheduling.send_weekly_digests(utcnow()) == 1
        assert scheduling.send_weekly_digests(utcnow()) == 0  # once a week
    [message] = outbox
    assert message["To"] == watched.owner.email
    body = message.get_body(("plain",)).get_content()
    for expected in ("ساخت استخر ذخیره آب", "طرح overdue", "طرح step", "طرح silent"):
        assert expected in body, expected
    for absent in ("طرح held", "طرح quiet", "طرح fresh", "طرح done", "طرح unowned"):
        assert absent not in body, absent


def test_the_digest_command_sends_the_weekly_emails(app, watched, outbox):
    result = app.test_cli_runner().invoke(args=["pipeline", "digest"])
    assert result.exit_code == 0, result.output
    assert "Digests sent: 1." in result.output and len(outbox) == 1 and outbox[0]["To"] == watched.owner.email


def test_the_digest_command_with_nothing_flagged_sends_nothing(app, outbox):
    result = app.test_cli_runner().invoke(args=["pipeline", "digest"])
    assert result.exit_code == 0, result.output
    assert "Digests sent: 0." in result.output and outbox == []


# --- the list and its filters -------------------------------------------------------------------------------------


def test_the_project_list_filters_by_event_province_stage_owner_and_overdue(app, make, organiser, member):
    other_owner = make.user(name="حسین نوری", email="hossein@example.com", roles=["organiser"])
    first, second = make.event(open_kind="results"), make.event(open_kind="results")
    with app.app_context():
        yazd, kerman = (db.session.scalar(select(Province.id).where(Province.name_en == name))
                        for name in ("Yazd", "Kerman"))
    ids = {
        "a": project_for(app, organiser, team_with_map(app, first.id, name="الف", province=yazd)),
        "b": project_for(app, organiser, team_with_map(app, first.id, name="ب", province=kerman)),
        "c": project_for(app, organiser, team_with_map(app, second.id, name="ج", province=yazd)),
    }
    with app.app_context():
        actor = get(User, organiser.id)
        services.update_plan(actor, get(Project, ids["a"]), services.Plan(organiser.id, "", None), utcnow())
        services.update_plan(actor, get(Project, ids["b"]), services.Plan(
            other_owner.id, "جلسه با بنیاد برکت", today() - timedelta(days=3)), utcnow())
        services.move(actor, get(Project, ids["b"]), stage_id("planning"), "", utcnow())
        db.session.commit()
        names = {project_id: name for name, project_id in ids.items()}

        def listed(**filters):
            page = services.projects_page(actor, services.Filters(**filters), 1, 20)
            return sorted(names[project.id] for project in page.items)

        assert listed() == ["a", "b", "c"]
        assert listed(event_id=first.id) == ["a", "b"]
        assert listed(province_id=yazd) == ["a", "c"]
        assert listed(stage_id=stage_id("planning")) == ["b"]
        assert listed(owner_id=organiser.id) == ["a"]
        assert listed(overdue=True) == ["b"]
        assert listed(event_id=second.id, province_id=kerman) == []
        assert services.projects_page(actor, services.Filters(), 2, 2).items and \
            len(services.projects_page(actor, services.Filters(), 1, 2).items) == 2
        for nobody in (None, get(User, member.id)):
            with pytest.raises(NotAllowed):
                services.projects_page(nobody, services.Filters(), 1, 20)
        board = {stage.key: [names[p.id] for p in projects]
                     for stage, projects in services.board(actor, services.Filters(event_id=first.id))}
        assert board["selected"] == ["a"] and board["planning"] == ["b"]
