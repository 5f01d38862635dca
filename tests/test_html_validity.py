"""Every main page, in both languages and with realistic data, is valid HTML for the Nu HTML checker
(vnu-jar, run once over all of them with the machine's Java): 0 errors, warnings allowed."""
import json
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from eventapp.api import services as api
from eventapp.auth.models import User
from eventapp.certificates import services as certificates
from eventapp.certificates.enums import DocumentKind
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.events.models import Event
from eventapp.judging.models import Assignment, Round
from eventapp.pipeline.models import Project
from eventapp.training.models import TrainingSession

from . import factories
from .helpers import client_of, get

VNU_JAR = Path(__file__).resolve().parent.parent / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
LANGUAGES = ("fa", "en")


def run_checker(files: list[Path]) -> list[dict]:
    """The checker's messages about ``files`` (one JVM for all)."""
    result = subprocess.run(["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout", *map(str, files)],
                            capture_output=True, text=True, timeout=300)
    return json.loads(result.stdout)["messages"]


@pytest.fixture
def checker():
    if shutil.which("java") is None:
        pytest.skip("the Nu HTML checker needs Java (apt-get install default-jre-headless)")
    if not VNU_JAR.exists():
        pytest.skip(f"the Nu HTML checker is not installed at {VNU_JAR} (npm install)")
    return run_checker


def _world(app, make, organiser):
    """An event whose final round is published, with a certificate issued, a pipeline project, a training
    session and an API token; an event open for submission with a team's map; an event open for registration.
    Team names, titles and people are Persian, some English, as they come."""
    festival = make.event(open_kind="judging", slug="yazd", title_fa="جشنواره پیشرفت یزد",
                          title_en="Yazd Progress Festival")
    submission = make.event(open_kind="submission", slug="kerman", title_fa="جشنواره کرمان", title_en="Kerman Festival")
    registration = make.event(open_kind="registration", slug="fars", title_fa="جشنواره فارس", title_en="Fars Festival")
    leader = make.user(name="نرگس نیک‌نام", email="narges@example.com")
    mapper = make.user(name="Bahar Karimi", email="bahar@example.com")
    judge = make.user(name="حمید فرهمند", email="hamid@example.com", roles=["judge"])
    admin = make.user(name="Admin", email="admin@example.com", roles=["admin", "organiser"])
    omid = factories.team_with_map(app, festival.id, leader=leader, name="گروه جهادی امید")
    mehr = factories.team_with_map(app, festival.id, name="Mehr Circle")
    round_id = factories.final_round(app, organiser, festival.id, [omid, mehr], [judge.id])
    factories.submit_scores(app, round_id, [omid, mehr])
    factories.publish(app, organiser, round_id)
    mapping_team = factories.team_with_map(app, submission.id, leader=mapper, name="کانون مهر", status="draft")
    with app.app_context():
        actor = get(User, organiser.id)
        certificate = certificates.issue_one(actor, get(Event, festival.id), DocumentKind.GROUP, f"team:{omid}",
                                             utcnow(), "http://localhost")
        starts = utcnow() + timedelta(days=3)
        session = TrainingSession(event_id=festival.id, title="آموزش نقشهٔ پیشرفت", place="یزد، حسینیه", capacity=20,
                                  starts_at=starts, ends_at=starts + timedelta(hours=2), created_by_id=organiser.id)
        db.session.add(session)
        api.issue_token(actor, "سازمان همکار", ["read"], utcnow())
        round_ = get(Round, round_id)
        assignment_id = db.session.scalar(select(Assignment.id).where(Assignment.round_id == round_id))
        project_id = db.session.scalar(select(Project.id).where(Project.team_id == omid))  # published: in the pipeline
        db.session.commit()
        ids = {"festival": festival.id, "slug": festival.slug, "submission": submission.id, "omid": omid,
               "round": round_id, "rubric": round_.rubric_id, "assignment": assignment_id, "project": project_id,
               "session": session.id, "code": certificate.verification_code, "mapping_team": mapping_team,
               "registration": registration.slug}
    return ids, {"leader": leader, "mapper": mapper, "judge": judge, "admin": admin, "organiser": organiser}


def _pages(ids) -> dict[str, list[tuple[str, str]]]:
    """Who asks for which pages: (name, path) for each person (None: no one signed in)."""
    festival, round_ = ids["festival"], ids["round"]
    return {
        None: [("home", "/"), ("sign in", "/signin"), ("sign up", "/signup"), ("forgot password", "/password/forgot"),
               ("verify", "/verify"), ("verified", f"/verify/{ids['code']}"),
               ("observatory", "/observatory"), ("event", f"/events/{ids['slug']}"),
               ("public results", f"/events/{ids['slug']}/results"),
               ("event observatory", f"/events/{ids['slug']}/observatory"),
               ("training sessions", f"/events/{ids['slug']}/training"), ("404", "/no-such-page")],
        "leader": [("my teams", "/teams"), ("team dashboard", f"/teams/{ids['omid']}"),
                   ("team edit", f"/teams/{ids['omid']}/edit"), ("map print", f"/teams/{ids['omid']}/map/print"),
                   ("register", f"/events/{ids['registration']}/register")],
        "mapper": [("map editor", f"/teams/{ids['mapping_team']}/map"),
                   ("team dashboard (submission)", f"/teams/{ids['mapping_team']}")],
        "judge": [("judge dashboard", "/judging"), ("scoring page", f"/judging/assignments/{ids['assignment']}"),
                  ("judge profile", "/judging/profile"), ("conflict search", "/judging/conflicts?q=a")],
        "organiser": [
            ("manage events", "/organiser/events"), ("new event", "/organiser/events/new"),
            ("edit event", f"/organiser/events/{festival}/edit"),
            ("teams list", f"/organiser/events/{festival}/teams"), ("maps list", f"/organiser/events/{festival}/maps"),
            ("map history", f"/organiser/teams/{ids['omid']}/map/history"),
            ("event judging", f"/organiser/events/{festival}/judging"),
            ("new round", f"/organiser/events/{festival}/rounds/new"), ("round", f"/organiser/rounds/{round_}"),
            ("edit round", f"/organiser/rounds/{round_}/edit"), ("quality", f"/organiser/rounds/{round_}/quality"),
            ("results", f"/organiser/rounds/{round_}/results"), ("rubric", f"/organiser/rubrics/{ids['rubric']}/edit"),
            ("certificates", f"/organiser/events/{festival}/certificates"),
            ("issued certificates", f"/organiser/events/{festival}/certificates/group"),
            ("certificate template", f"/organiser/events/{festival}/certificates/group/template"),
            ("training", f"/organiser/events/{festival}/training"), ("new training", f"/organiser/training/new?event={festival}"),
            ("edit training", f"/organiser/training/{ids['session']}/edit"),
            ("attendance", f"/organiser/training/{ids['session']}/attendance"),
            ("pipeline board", "/organiser/pipeline"), ("pipeline list", "/organiser/pipeline/list"),
            ("pipeline stages", "/organiser/pipeline/stages"), ("project", f"/pipeline/projects/{ids['project']}"),
            ("reference figures", "/organiser/observatory/references"), ("audit", "/organiser/audit/"),
            ("API tokens", "/organiser/api-tokens")],
        "admin": [("accounts", "/admin/users")],
    }


def test_every_main_page_is_valid_html_in_both_languages(app, make, organiser, checker, upload_dir, tmp_path,
                                                         monkeypatch):
    ids, people = _world(app, make, organiser)
    clients = {(who, language): client_of(app, people[who], language) if who else _anonymous(app, language)
               for who in [None, *people] for language in LANGUAGES}
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)  # signed in: now the forms carry their tokens
    files = {}
    for who, pages in _pages(ids).items():
        for language in LANGUAGES:
            client = clients[(who, language)]
            for name, path in pages:
                response = client.get(path)
                expected = 404 if name == "404" else 200
                assert response.status_code == expected, f"{name} ({language}) {path}: {response.status_code}"
                files[_save(tmp_path, response, len(files))] = f"{name} ({language}) {path}"
            response = client.post("/signin", data={"email": "x@example.com"})  # no CSRF token: the 400 page
            assert response.status_code == 400
            files[_save(tmp_path, response, len(files))] = f"400 ({language}, {who or 'anonymous'})"
    errors = [message for message in checker(list(files)) if message["type"] == "error"]
    report = [f"{files[Path(message['url'].removeprefix('file:'))]}: line {message.get('lastLine')}: "
              f"{message['message']} {message.get('extract', '')!r}" for message in errors]
    report += [f"{name}: {problem}" for path, name in files.items() if (problem := skipped_heading(path.read_text()))]
    assert not report, "\n".join(report)


def skipped_heading(html: str) -> str | None:
    """The first heading more than one level below the one before it (h1 then h3), if any."""
    levels = [int(level) for level in re.findall(r"<h([1-6])\b", html)]
    for before, level in zip([0, *levels], levels):
        if level > before + 1:
            return f"skipped heading level: h{before} then h{level}" if before else f"the first heading is h{level}"
    return None


def _anonymous(app, language):
    client = app.test_client()
    client.set_cookie("lang", language)
    return client


def _save(folder: Path, response, index: int) -> Path:
    path = folder / f"page-{index:03d}.html"
    path.write_bytes(response.get_data())
    return path
