"""Certificates: what the documents say, how they are verified, the template sandbox and bulk issuing
(rules through services, behaviour through the app)."""
import hashlib
import io
import os
import re
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import pypdfium2
import pytest
import zxingcpp
from flask import url_for
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import func, select

from eventapp import signals
from eventapp.audit.models import AuditEntry
from eventapp.auth.models import User
from eventapp.certificates import documents, sandbox, services
from eventapp.certificates.enums import DocumentKind, JobStatus
from eventapp.certificates.models import Certificate, CertificateJob
from eventapp.certificates.rendering import Renderer
from eventapp.certificates.weasy import RestrictedFetcher
from eventapp.core import storage
from eventapp.core.database import utcnow
from eventapp.core.errors import Conflict as ConflictError
from eventapp.core.errors import Invalid
from eventapp.core.extensions import db
from eventapp.core.i18n import format_date
from eventapp.core.text import latin_digits, persian_digits
from eventapp.events.models import Event
from eventapp.judging import services as judging
from eventapp.judging.models import Assignment, Round
from eventapp.training.models import TrainingSession, TrainingSignup

from . import factories
from .helpers import count, get, page_text

REPO_ROOT = Path(__file__).resolve().parent.parent
ZWNJ = "\u200c"
SERIAL = re.compile(r"^DP-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def plain(text: str) -> str:
    """Text as a PDF's text layer gives it back: no zero-width non-joiner, spaces folded."""
    return " ".join(text.replace(ZWNJ, "").split())


def pdf_pages(pdf: bytes) -> list[str]:
    return [plain(page.extract_text()) for page in PdfReader(io.BytesIO(pdf)).pages]


def stored_pdf(app, certificate) -> bytes:
    return storage.path_for(app.config["UPLOAD_DIR"], certificate.sha256).read_bytes()


def pdf_upload(content: bytes, name="certificate.pdf") -> dict:
    return {"document": (io.BytesIO(content), name)}


# --- building events with published results ----------------------------------------------------------


@pytest.fixture
def festival(app, make, organiser):
    """A published final round: «گروه جهادی امید» (first place: نرگس نیک‌نام, the leader, and علی رضایی)
    and «کانون مهر» (second: سارا کاظمی), judged by حمید فرهمند."""
    event = make.event(open_kind="judging", title_fa="جشنواره پیشرفت یزد", title_en="Yazd Progress Festival")
    narges = make.user(name="نرگس نیک‌نام", email="narges@example.com")
    ali = make.user(name="علی رضایی", email="ali@example.com")
    sara = make.user(name="سارا کاظمی", email="sara@example.com")
    judge = make.user(name="حمید فرهمند", email="hamid@example.com", roles=["judge"])
    omid = factories.team_in(app, event.id, narges, members=[ali], name="گروه جهادی امید")
    mehr = factories.team_in(app, event.id, sara, name="کانون مهر")
    round_id = factories.final_round(app, organiser, event.id, [omid, mehr], [judge.id])
    factories.submit_scores(app, round_id, [omid, mehr])
    factories.publish(app, organiser, round_id)
    return SimpleNamespace(event=event, organiser=organiser, omid=omid, mehr=mehr, narges=narges, ali=ali,
                           sara=sara, judge=judge, round_id=round_id)


def issue(app, world, kind=DocumentKind.GROUP, subject=None) -> Certificate:
    """Issue one document as the organiser, with this site's address (so the QR code points here)."""
    with app.app_context():
        certificate = services.issue_one(get(User, world.organiser.id), get(Event, world.event.id), kind,
                                         subject or f"team:{world.omid}", utcnow(), "http://localhost")
        db.session.commit()
        db.session.refresh(certificate)
        db.session.expunge(certificate)
        return certificate


def set_language(app, world, language):
    with app.app_context():
        services.save_settings(get(User, world.organiser.id), get(Event, world.event.id), language, [], utcnow())
        db.session.commit()


def count_certificates(app, **where) -> int:
    return count(app, Certificate, **where)


# --- what a group certificate says ---------------------------------------------------------------------


def test_a_group_certificate_names_the_team_its_members_the_event_and_the_award_in_persian(app, festival,
                                                                                           upload_dir):
    certificate = issue(app, festival)
    pages = pdf_pages(stored_pdf(app, certificate))
    assert len(pages) == 1
    for expected in ("گروه جهادی امید", "نرگس نیک‌نام", "علی رضایی", "جشنواره پیشرفت یزد", "رتبه اول"):
        assert plain(expected) in pages[0], expected
    assert "First place" not in pages[0] and "Yazd Progress Festival" not in pages[0]
    assert certificate.holder == "گروه جهادی امید" and certificate.achievement == "first"


def test_an_english_event_gets_english_certificates(app, festival, upload_dir):
    set_language(app, festival, "en")
    pages = pdf_pages(stored_pdf(app, issue(app, festival)))
    assert len(pages) == 1
    for expected in ("Yazd Progress Festival", "First place", "گروه جهادی امید", "نرگس نیک‌نام", "علی رضایی"):
        assert plain(expected) in pages[0], expected
    assert "رتبه اول" not in pages[0]


def test_a_bilingual_certificate_has_a_persian_page_then_an_english_page(app, festival, upload_dir):
    set_language(app, festival, "bilingual")
    persian, english = pdf_pages(stored_pdf(app, issue(app, festival, subject=f"team:{festival.mehr}")))
    assert "جشنواره پیشرفت یزد" in persian and "رتبه دوم" in persian
    assert "Yazd Progress Festival" in english and "Second place" in english
    assert "کانون مهر" in persian and "کانون مهر" in english


# --- the QR code and the verification pages -----------------------------------------------------------


def test_the_qr_code_opens_the_documents_verification_page(app, festival, client, login, upload_dir):
    login(festival.organiser)
    assert client.post(f"/organiser/events/{festival.event.id}/certificates/group/issue").status_code == 302
    with app.app_context():
        certificate = services.valid_certificate(get(Event, festival.event.id), DocumentKind.GROUP, f"team:{festival.omid}")
        pdf, code = stored_pdf(app, certificate), certificate.verification_code
    document = pypdfium2.PdfDocument(pdf)
    image = document[0].render(scale=3).to_pil()
    document.close()
    assert [found.text for found in zxingcpp.read_barcodes(image)] == [f"http://localhost/verify/{code}"]
    client.set_cookie("lang", "en")
    page = client.get(f"/verify/{code}")
    assert page.status_code == 200 and 'verdict--valid' in page.get_data(as_text=True)
    assert "Valid: we issued this document and it stands." in page_text(page)


def test_the_qr_code_opens_base_url_when_it_is_set_else_the_address_the_page_was_asked_at(app, festival, client,
                                                                                           login, upload_dir,
                                                                                           monkeypatch):
    login(festival.organiser)
    monkeypatch.setitem(app.config, "BASE_URL", "https://dawn.example.ir")
    client.post(f"/organiser/events/{festival.event.id}/certificates/group/issue-one",
                data={"subject": f"team:{festival.omid}"})
    with app.app_context():
        certificate = services.valid_certificate(get(Event, festival.event.id), DocumentKind.GROUP,
                                                 f"team:{festival.omid}")
        document = pypdfium2.PdfDocument(stored_pdf(app, certificate))
        image = document[0].render(scale=3).to_pil()
        document.close()
        assert [found.text for found in zxingcpp.read_barcodes(image)] == [
            f"https://dawn.example.ir/verify/{certificate.verification_code}"]
        assert services.site_address("http://localhost:8000/") == "https://dawn.example.ir"
        monkeypatch.setitem(app.config, "BASE_URL", "")
        assert services.site_address("http://localhost:8000/") == "http://localhost:8000"
        assert services.site_address() == "http://127.0.0.1:5000"  # the command line without --base-url


def test_a_serial_is_found_however_it_is_typed(app, festival, client, upload_dir):
    certificate = issue(app, festival)
    serial = certificate.serial
    for typed in (serial, serial.lower(), serial.replace("-", ""), persian_digits(serial),
                  f"  {serial[3:].lower().replace('-', ' ')} "):
        response = client.get("/verify", query_string={"serial": typed})
        assert response.status_code == 302, typed
        assert response.headers["Location"].endswith(f"/verify/{certificate.verification_code}")
    assert client.get("/verify", query_string={"serial": "DP-0000-0000-0000"}).status_code == 404
    assert client.get("/verify/not-a-code-we-made").status_code == 404


def test_serials_have_the_printed_format_and_do_not_repeat():
    serials = [services.new_serial() for _ in range(100)]
    assert all(SERIAL.match(serial) for serial in serials)
    assert len(set(serials)) == 100
    # Typed without its prefix, a serial that itself begins with D and P is still read whole.
    assert services.normalize_serial("dpk3-7m2q-xz90") == "DP-DPK3-7M2Q-XZ90"
    assert services.normalize_serial("DP-DPK3-7M2Q-XZ90") == "DP-DPK3-7M2Q-XZ90"
    assert services.normalize_serial("DP-1234") == ""


def test_an_uploaded_pdf_is_checked_byte_for_byte(app, festival, client, upload_dir):
    pdf = stored_pdf(app, issue(app, festival))
    client.set_cookie("lang", "en")
    genuine = client.post("/verify", data=pdf_upload(pdf))
    assert genuine.status_code == 200
    assert "Genuine: the file carries our signature, unchanged since it was signed" in page_text(genuine)
    tampered = bytearray(pdf)
    tampered[len(pdf) // 2] ^= 0x01
    changed = client.post("/verify", data=pdf_upload(bytes(tampered)))
    assert changed.status_code == 200 and "Changed: the file was altered after it was signed" in page_text(changed)
    not_a_pdf = client.post("/verify", data=pdf_upload(b"\x89PNG\r\n\x1a\n not a pdf", "certificate.png"))
    assert not_a_pdf.status_code == 422 and "This file is not a PDF." in page_text(not_a_pdf)


def test_a_revoked_document_says_when_and_why_on_its_verification_page(app, festival, client, login,
                                                                        upload_dir):
    certificate = issue(app, festival)
    login(festival.organiser)
    reason = "نام یکی از اعضا نادرست نوشته شده بود."
    assert client.post(f"/organiser/certificates/{certificate.id}/revoke", data={"reason": reason}).status_code == 302
    with app.app_context():
        revoked_at = get(Certificate, certificate.id).revoked_at
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        day = format_date(revoked_at)
    client.set_cookie("lang", "en")
    page = client.get(f"/verify/{certificate.verification_code}")
    assert page.status_code == 200 and "verdict--revoked" in page.get_data(as_text=True)
    assert f"Revoked on {day}. Reason: {reason}" in page_text(page)
    by_file = client.post("/verify", data=pdf_upload(stored_pdf(app, certificate)))
    assert "We issued and signed this file, but it was revoked." in page_text(by_file)


def test_a_reissued_document_points_to_its_replacement_and_every_step_is_audited(app, festival, client, login,
                                                                                   upload_dir):
    old = issue(app, festival)
    login(festival.organiser)
    response = client.post(f"/organiser/certificates/{old.id}/reissue", data={"reason": "نام گروه اصلاح شد"})
    assert response.status_code == 302
    with app.app_context():
        revoked = get(Certificate, old.id)
        new = revoked.replaced_by
        assert revoked.revoked_at is not None and revoked.revoked_reason == "نام گروه اصلاح شد"
        assert new.valid and new.subject == old.subject and new.serial != old.serial
        new_serial, new_code = new.serial, new.verification_code
        entries = db.session.execute(select(AuditEntry.action, AuditEntry.target_id)
                                     .where(AuditEntry.action.like("certificate.%")).order_by(AuditEntry.id)).all()
    assert [tuple(entry) for entry in entries] == [("certificate.issued", old.id), ("certificate.revoked", old.id),
                                                   ("certificate.issued", new.id), ("certificate.reissued", old.id)]
    html = client.get(f"/verify/{old.verification_code}").get_data(as_text=True)
    assert new_serial in html and f"/verify/{new_code}" in html


# --- templates: the sandbox, escaping, unknown values ----------------------------------------------------

VALUES = {"team": {"name": "گروه", "organisation": ""}, "members": ["زهرا"], "pages": []}


def document_values(subject: documents.Subject) -> dict:
    """What a group certificate's template sees for ``subject`` (needs an app context)."""
    return documents.context(DocumentKind.GROUP, subject, event={"fa": "رویداد", "en": "Event"}, language="fa", signatories=[],
                             images={}, serial="DP-0000-0000-0000", verify_url="http://localhost/verify/x",
                             issued_at=utcnow())


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__ }}",
    "{{ team.__class__ }}",
    "{{ members.append('x') }}",
    "{{ cycler.__init__.__globals__ }}",
])
def test_the_sandbox_refuses_templates_that_reach_into_python(source):
    values = {**VALUES, "members": ["زهرا"]}
    with pytest.raises(sandbox.TemplateRefused) as refused:
        sandbox.render_strict(sandbox.compile_strict(source), values)
    assert refused.value.problem.kind == sandbox.FORBIDDEN
    preview = sandbox.render_preview(source, values)
    assert [problem.kind for problem in preview.problems] == [sandbox.FORBIDDEN]
    assert "<class" not in preview.html and "object at" not in preview.html
    assert values["members"] == ["زهرا"]


def test_a_teams_name_is_escaped_in_the_document(app):
    html, _css = services.default_template(DocumentKind.GROUP)
    subject = documents.Subject(key="team:1", holder="<script>alert(1)</script>", members=["<b>زهرا</b>"],
                                achievement="first")
    with app.app_context():
        values = document_values(subject)
    for rendered in (sandbox.render_strict(sandbox.compile_strict(html), values),
                     sandbox.render_preview(html, values).html):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered and "&lt;b&gt;زهرا&lt;/b&gt;" in rendered
        assert "<script>" not in rendered and "<b>" not in rendered


def with_motto(kind=DocumentKind.GROUP) -> tuple[str, str]:
    html, css = services.default_template(kind)
    return html.replace("</main>", "<p>{{ team.motto }}</p></main>", 1), css


def test_an_unknown_value_is_marked_in_the_preview_and_issuing_refuses_the_template(app, festival, client, login,
                                                                                     upload_dir):
    html, css = with_motto()
    with app.app_context():
        marked = sandbox.render_preview(html, document_values(documents.sample_subject(DocumentKind.GROUP)))
        assert '<span class="template-problem">{{ motto }}</span>' in marked.html
        assert [(problem.kind, problem.detail) for problem in marked.problems] == [(sandbox.UNKNOWN, "motto")]
        actor, event = get(User, festival.organiser.id), get(Event, festival.event.id)
        preview = services.preview(actor, event, DocumentKind.GROUP, html, css, utcnow())
        assert len(preview.problems) == 1 and "motto" in preview.problems[0]
        assert preview.pages[0].startswith("data:image/png;base64,")
        services.save_template(actor, event, DocumentKind.GROUP, html, css, utcnow())
        db.session.commit()
        with pytest.raises(Invalid, match="motto"):
            services.start_job(actor, event, DocumentKind.GROUP, utcnow())
        db.session.rollback()
    login(festival.organiser)
    client.set_cookie("lang", "en")
    response = client.post(f"/organiser/events/{festival.event.id}/certificates/group/issue", follow_redirects=True)
    assert "“motto”, which is not a value documents have" in page_text(response)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CertificateJob)) == 0
    assert count_certificates(app) == 0


def test_the_template_page_shows_the_problems_and_a_preview_image(app, festival, client, login, upload_dir):
    login(festival.organiser)
    client.set_cookie("lang", "en")
    path = f"/organiser/events/{festival.event.id}/certificates/group/template"
    page = client.get(path)
    assert page.status_code == 200 and 'src="data:image/png;base64,' in page.get_data(as_text=True)
    assert "Problems in this template" not in page_text(page)
    html, css = with_motto()
    preview = client.post(path, data={"html": html, "css": css, "action": "preview"})
    assert preview.status_code == 200
    assert "Problems in this template" in page_text(preview) and "motto" in page_text(preview)
    assert 'src="data:image/png;base64,' in preview.get_data(as_text=True)


# --- what the renderer may fetch ---------------------------------------------------------------------------


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def test_the_fetcher_serves_the_events_own_images():
    logo = png_bytes()
    response = RestrictedFetcher({"logo": (logo, "image/png")}).fetch("asset:logo")
    assert response.read() == logo and response.content_type == "image/png"


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://example.com/x.png",
    "https://127.0.0.1/",
    "asset:unknown",
    "asset:../../../etc/passwd",
    "data:image/png;base64,iVBORw0KGgo=",
])
def test_the_fetcher_refuses_every_other_address(url):
    fetcher = RestrictedFetcher({"logo": (png_bytes(), "image/png")})
    with pytest.raises(ValueError):
        fetcher.fetch(url)
    assert fetcher.refused == [url]


def test_a_template_cannot_put_a_local_file_into_a_document(app, festival, upload_dir):
    passwd = Path("/etc/passwd").read_text()
    first_line = passwd.splitlines()[0]
    html = ('<p>سلام</p><img src="file:///etc/passwd"><link rel="stylesheet" href="file:///etc/passwd">'
            '<a rel="attachment" href="file:///etc/passwd">پیوست</a>')
    renderer = Renderer("body { background: url(file:///etc/passwd) }", {})
    pdf = renderer.pdf(html)
    text = " ".join(pdf_pages(pdf))
    assert "سلام" in text and first_line not in text and first_line.encode() not in pdf
    assert not PdfReader(io.BytesIO(pdf)).attachments
    assert renderer.fetcher.refused == ["file:///etc/passwd"]
    with app.app_context():
        preview = services.preview(get(User, festival.organiser.id), get(Event, festival.event.id), DocumentKind.GROUP,
                                   html, "", utcnow())
        assert any("file:///etc/passwd" in problem for problem in preview.problems)


# --- bulk issuing -----------------------------------------------------------------------------------------


def test_a_bulk_issue_makes_every_document_but_the_one_that_fails_and_names_it(app, make, organiser, upload_dir):
    names = [f"گروه شماره {persian_digits(str(index))}" for index in range(29)] + ["گروه خراب"]
    event, team_ids = factories.many_teams(app, make, organiser, 30, names)
    html, css = services.default_template(DocumentKind.GROUP)
    with app.app_context():
        actor = get(User, organiser.id)
        services.save_template(actor, get(Event, event.id), DocumentKind.GROUP,
                               html + '{% if team.name == "گروه خراب" %}{{ 1 // 0 }}{% endif %}', css, utcnow())
        job = services.start_job(actor, get(Event, event.id), DocumentKind.GROUP, utcnow()).job
        db.session.commit()
        services.run_job(job.id)
        job = get(CertificateJob, job.id)
        assert (job.status, job.total, job.done, job.failed) == (JobStatus.DONE, 30, 29, 1)
        assert [(failure["subject"], failure["holder"]) for failure in job.failures] == [
            (f"team:{team_ids[-1]}", "گروه خراب")]
        assert "ZeroDivisionError" in job.failures[0]["error"]
        assert count_certificates(app) == 29
        # Corrected, the job runs again and makes only the missing document.
        services.reset_template(actor, get(Event, event.id), DocumentKind.GROUP, utcnow())
        services.resume_job(actor, job, utcnow())
        db.session.commit()
        services.run_job(job.id)
        job = get(CertificateJob, job.id)
        assert (job.status, job.done, job.skipped, job.failed) == (JobStatus.DONE, 30, 29, 0)
    assert count_certificates(app) == 30


def test_a_job_run_again_issues_nothing_twice(app, festival, upload_dir):
    with app.app_context():
        actor, event = get(User, festival.organiser.id), get(Event, festival.event.id)
        for _run in range(2):
            job = services.start_job(actor, event, DocumentKind.GROUP, utcnow()).job
            db.session.commit()
            services.run_job(job.id)
        job = get(CertificateJob, job.id)
        assert (job.status, job.total, job.skipped, job.done) == (JobStatus.DONE, 2, 2, 2)
    assert count_certificates(app) == 2


class Interrupted(Exception):
    """The worker stopped (a deploy, a crash) in the middle of a job."""


def test_an_interrupted_job_resumes_where_it_stopped(app, make, organiser, upload_dir, monkeypatch):
    monkeypatch.setitem(app.config, "CERTIFICATE_CHUNK_SIZE", 1)
    event, team_ids = factories.many_teams(app, make, organiser, 8)
    rendered = []
    make_document = services.Issuer.make

    def counting(self, subject, now):
        rendered.append(subject.key)
        return make_document(self, subject, now)

    def stop_after_five(job):
        if job.done == 5:
            raise Interrupted

    monkeypatch.setattr(services.Issuer, "make", counting)
    with app.app_context():
        job = services.start_job(get(User, organiser.id), get(Event, event.id), DocumentKind.GROUP, utcnow()).job
        db.session.commit()
        with pytest.raises(Interrupted):
            services.run_job(job.id, on_progress=stop_after_five)
        db.session.rollback()
        job = get(CertificateJob, job.id)
        assert job.status == JobStatus.RUNNING and job.done == 5 and len(rendered) == 5
        assert services.progress(job, utcnow() + timedelta(minutes=2)).status == "interrupted"
        first_run = set(db.session.scalars(select(Certificate.serial)))
        services.recover_job(job, utcnow() + timedelta(minutes=2))  # resumed without a person
        job = get(CertificateJob, job.id)
        assert (job.status, job.done, job.skipped) == (JobStatus.DONE, 8, 5)
        subjects = db.session.scalars(select(Certificate.subject)).all()
        assert sorted(subjects) == sorted(f"team:{team_id}" for team_id in team_ids)
        assert first_run < set(db.session.scalars(select(Certificate.serial)))
    assert len(rendered) == 8  # the first run's five were not made again


def test_the_issue_button_runs_the_job_and_its_page_shows_the_progress(app, festival, client, login, upload_dir):
    login(festival.organiser)
    response = client.post(f"/organiser/events/{festival.event.id}/certificates/group/issue")
    job_path = urlsplit(response.headers["Location"]).path
    assert re.fullmatch(r"/organiser/certificate-jobs/\d+", job_path)
    assert "<progress" in client.get(job_path).get_data(as_text=True)
    progress = client.get(f"{job_path}/progress").get_json()
    assert {key: progress[key] for key in ("done", "total", "failed", "status")} == {
        "done": 2, "total": 2, "failed": 0, "status": "done"}


def organiser_routes(app, **values):
    """(method, path) of every organiser page of certificates, filled with ``values``."""
    with app.test_request_context():
        return [("GET" if "GET" in rule.methods else "POST",
                 url_for(rule.endpoint, **{name: values[name] for name in rule.arguments}))
                for rule in app.url_map.iter_rules()
                if rule.endpoint.startswith("certificates.") and rule.rule.startswith("/organiser")]


def test_only_organisers_reach_the_certificate_pages(app, festival, client, client_for, member, judge, upload_dir):
    certificate = issue(app, festival)
    with app.app_context():
        job = services.start_job(get(User, festival.organiser.id), get(Event, festival.event.id), DocumentKind.JUDGE, utcnow()).job
        db.session.commit()
        job_id = job.id
    routes = organiser_routes(app, event_id=festival.event.id, kind=DocumentKind.GROUP, name="logo", job_id=job_id,
                              certificate_id=certificate.id)
    assert len(routes) >= 14
    for method, path in routes:
        anonymous = client.open(path, method=method, data={"reason": "x"})
        assert anonymous.status_code == 302 and "/signin" in anonymous.headers["Location"], path
    for user in (member, judge, festival.narges):
        signed_in = client_for(user)
        for method, path in routes:
            assert signed_in.open(path, method=method, data={"reason": "x"}).status_code in (403, 404), (user, path)
    with app.app_context():
        assert get(Certificate, certificate.id).valid


@pytest.fixture
def heard():
    """(signal name, sender, extras) of every certificate_issued, certificates_issued and certificate_revoked
    delivered."""
    seen = []
    receivers = {}
    for signal in (signals.certificate_issued, signals.certificates_issued, signals.certificate_revoked):
        def receiver(sender, name=signal.name, **extras):
            seen.append((name, sender, extras))
        receivers[signal] = receiver
        signal.connect(receiver)
    yield seen
    for signal, receiver in receivers.items():
        signal.disconnect(receiver)


def test_issuing_revoking_and_reissuing_are_announced_after_their_commit_only(app, festival, upload_dir, heard):
    now = utcnow()
    with app.app_context():
        actor, event, omid = get(User, festival.organiser.id), get(Event, festival.event.id), f"team:{festival.omid}"
        services.issue_one(actor, event, DocumentKind.GROUP, omid, now)
        db.session.rollback()
        db.session.commit()
        assert heard == []

        certificate = services.issue_one(actor, event, DocumentKind.GROUP, omid, now)
        assert heard == []
        db.session.commit()
        assert heard == [("certificate-issued", certificate, {"actor": actor, "now": now})]

        heard.clear()
        services.revoke(actor, certificate, "اشتباه در نام", now)
        db.session.rollback()
        db.session.commit()
        assert heard == []

        replacement = services.reissue(actor, certificate, "اشتباه در نام", now)
        assert heard == []
        db.session.commit()
        assert heard == [("certificate-revoked", certificate, {"actor": actor, "now": now, "reason": "اشتباه در نام"}),
                         ("certificate-issued", replacement, {"actor": actor, "now": now})]


def test_the_documents_of_a_bulk_issue_are_announced_together_when_they_are_committed(app, festival, upload_dir,
                                                                                     heard):
    with app.app_context():
        job = services.start_job(get(User, festival.organiser.id), get(Event, festival.event.id), DocumentKind.GROUP,
                                 utcnow()).job
        db.session.commit()
        services.run_job(job.id)
        issued = db.session.scalars(select(Certificate).where(Certificate.job_id == job.id)).all()
        assert len(issued) == 2
        [(name, sender, extras)] = heard
        assert (name, sender.id, extras["actor"].id) == ("certificates-issued", job.id, festival.organiser.id)
        assert sorted(certificate.id for certificate in extras["certificates"]) == sorted(
            certificate.id for certificate in issued)


def test_an_unknown_kind_of_document_is_not_found(app, festival, login, upload_dir):
    client = login(festival.organiser)
    kinds = {path for method, path in organiser_routes(app, event_id=festival.event.id, kind="diploma", name="logo",
                                                       job_id=1, certificate_id=1) if "diploma" in path}
    assert len(kinds) == 5  # its list, template, ZIP, bulk issue and single issue
    for path in kinds:
        method = "POST" if path.endswith(("/issue", "/issue-one")) else "GET"
        assert client.open(path, method=method, data={"subject": f"team:{festival.omid}"}).status_code == 404, path
    assert count_certificates(app) == 0


# --- the team's and the judges' own pages --------------------------------------------------------------------


def test_a_team_downloads_its_certificate_from_its_page_and_is_told_by_email(app, festival, client_for, outbox,
                                                                            upload_dir):
    certificate = issue(app, festival)
    recipients = {message["To"] for message in outbox
                  if certificate.serial in latin_digits(message.get_body(("plain",)).get_content())}
    assert recipients == {"narges@example.com", "ali@example.com"}  # the members with an account, by notification
    team = client_for(festival.ali)
    link = f"/certificates/{certificate.id}/download"
    assert link in team.get(f"/teams/{festival.omid}").get_data(as_text=True)
    download = team.get(link)
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "sandbox" in download.headers["Content-Security-Policy"]
    assert hashlib.sha256(download.data).hexdigest() == certificate.sha256
    assert client_for(festival.sara).get(link).status_code == 404


def test_only_judges_who_submitted_every_assignment_get_a_certificate(app, make, organiser, client_for,
                                                                      upload_dir):
    event = make.event(open_kind="judging", title_fa="جشنواره داوران", title_en="Judges' Festival")
    done = make.user(name="لیلا صدری", email="leila@example.com", roles=["judge"])
    late = make.user(name="رضا توانا", email="reza@example.com", roles=["judge"])
    make.user(name="داور بی‌کار", email="idle@example.com", roles=["judge"])
    team_ids = [factories.team_in(app, event.id, name=name) for name in ("گروه الف", "گروه ب")]
    round_id = factories.final_round(app, organiser, event.id, team_ids, [done.id, late.id], judges_per_entry=2)
    factories.submit_scores(app, round_id, team_ids, keep_open={late.id})
    with app.app_context():
        one_of_two = db.session.scalar(select(Assignment).where(Assignment.user_id == late.id))
        judging.submit_scores(get(User, late.id), one_of_two, "", utcnow())  # not enough
        db.session.commit()
        subjects = documents.subjects_of(get(Event, event.id), DocumentKind.JUDGE)
        assert [(subject.key, subject.holder, subject.reviewed) for subject in subjects] == [
            (f"judge:{done.id}", "لیلا صدری", 2)]
    world = SimpleNamespace(organiser=organiser, event=event)
    certificate = issue(app, world, DocumentKind.JUDGE, f"judge:{done.id}")
    assert "لیلا صدری" in pdf_pages(stored_pdf(app, certificate))[0]
    with app.app_context(), pytest.raises(ConflictError):
        services.issue_one(get(User, organiser.id), get(Event, event.id), DocumentKind.JUDGE, f"judge:{late.id}", utcnow())
    assert f"/certificates/{certificate.id}/download" in client_for(done).get("/judging").get_data(as_text=True)


def test_a_training_certificate_lists_only_the_members_who_attended_every_required_session(app, make, organiser,
                                                                                          upload_dir):
    event = make.event(open_kind="submission", title_fa="دوره آموزشی پیشرفت", title_en="Progress Training")
    every = make.user(name="نرگس نیک‌نام")
    one_missed = make.user(name="محمد امینی")
    unrecorded = make.user(name="زینب قاسمی")
    other_team = make.user(name="امیر حیدری")
    team = factories.team_in(app, event.id, every, members=[one_missed, unrecorded], name="گروه یادگیری")
    other = factories.team_in(app, event.id, other_team, name="گروه دیگر")
    start = utcnow() - timedelta(days=10)
    with app.app_context():
        def session(title, required, cancelled=False):
            found = TrainingSession(event_id=event.id, title=title, starts_at=start, ends_at=start + timedelta(hours=2),
                                    capacity=30, required=required, cancelled_at=start if cancelled else None)
            db.session.add(found)
            db.session.flush()
            return found.id

        first, second = session("نقشه پیشرفت", True), session("مشارکت مردم", True)
        optional, cancelled = session("عکاسی", False), session("لغو شده", True, cancelled=True)
        attendance = {every: {first: True, second: True, cancelled: False},
                      one_missed: {first: True, second: False, optional: True},
                      unrecorded: {first: True, second: None},
                      other_team: {first: True}}
        for user, sessions in attendance.items():
            for session_id, attended in sessions.items():
                db.session.add(TrainingSignup(session_id=session_id, user_id=user.id, attended=attended,
                                              team_id=team if user is not other_team else other))
        db.session.commit()
        subjects = documents.subjects_of(get(Event, event.id), DocumentKind.TRAINING)
        assert [(subject.key, subject.members) for subject in subjects] == [(f"team:{team}", ["نرگس نیک‌نام"])]
    world = SimpleNamespace(organiser=organiser, event=event)
    text = pdf_pages(stored_pdf(app, issue(app, world, DocumentKind.TRAINING, f"team:{team}")))[0]
    assert plain("نرگس نیک‌نام") in text and "گروه یادگیری" in text
    assert "محمد امینی" not in text and "زینب قاسمی" not in text


def test_a_report_card_shows_the_criteria_and_the_rank_but_not_the_judges(app, festival, upload_dir):
    set_language(app, festival, "bilingual")
    with app.app_context():
        criteria = [(criterion.title_fa, criterion.title_en)
                    for criterion in get(Round, festival.round_id).rubric.criteria]
    text = " ".join(pdf_pages(stored_pdf(app, issue(app, festival, DocumentKind.REPORT, f"team:{festival.mehr}"))))
    for title_fa, title_en in criteria:
        assert plain(title_fa) in text and title_en in text
    assert "Rank: 2 / 2" in text
    assert "برنامهٔ زمانی روشن است." in plain(text)  # the judges' comments, without their names
    assert "حمید فرهمند" not in text and "hamid@example.com" not in text


# --- the command line and the queue ---------------------------------------------------------------------------


def test_the_command_line_issues_every_document_once_and_exports_them(app, festival, tmp_path, upload_dir):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["certificates", "issue", festival.event.slug, "--kind", "group",
                                 "--base-url", "https://dawn.example.org"])
    assert result.exit_code == 0, result.output
    assert count_certificates(app, kind=DocumentKind.GROUP) == 2
    again = runner.invoke(args=["certificates", "issue", festival.event.slug, "--kind", "group",
                                 "--base-url", "https://dawn.example.org"])
    assert again.exit_code == 0 and "(2 were issued before), 0 failed" in again.output
    assert count_certificates(app, kind=DocumentKind.GROUP) == 2
    target = tmp_path / "x.zip"
    export = runner.invoke(args=["certificates", "export", festival.event.slug, "--kind", "group",
                                 "--output", str(target)])
    assert export.exit_code == 0, export.output
    no_address = runner.invoke(args=["certificates", "issue", festival.event.slug, "--kind", "report"])
    assert no_address.exit_code != 0 and "--base-url" in no_address.output
    with zipfile.ZipFile(target) as archive, app.app_context():
        names = archive.namelist()
        digests = {hashlib.sha256(archive.read(name)).hexdigest() for name in names}
        stored = set(db.session.scalars(select(Certificate.sha256)))
    assert len(names) == 2 and all(name.endswith(".pdf") for name in names) and digests == stored


def test_a_worker_process_runs_a_job_from_the_redis_queue(app, festival, database_url, upload_dir, monkeypatch):
    redis_url = os.environ.get("TEST_REDIS_URL")
    if not redis_url:
        pytest.skip("set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15) to run the queue worker")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "redis")
    monkeypatch.setitem(app.config, "REDIS_URL", redis_url)
    with app.test_request_context():
        job = services.start_job(get(User, festival.organiser.id), get(Event, festival.event.id), DocumentKind.GROUP, utcnow()).job
        db.session.commit()
        services.enqueue(job)
        job_id = job.id
    environment = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "JOBS_BACKEND": "redis",
                   "UPLOAD_DIR": str(upload_dir), "APP_ENV": "development"}
    worker = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi.py", "jobs", "worker", "--burst"],
                            cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=120)
    assert worker.returncode == 0, worker.stderr
    with app.app_context():
        job = get(CertificateJob, job_id)
        assert (job.status, job.done, job.total, job.failed) == (JobStatus.DONE, 2, 2, 0)
        for team_id in (festival.omid, festival.mehr):
            certificate = services.valid_certificate(get(Event, festival.event.id), DocumentKind.GROUP, f"team:{team_id}")
            assert stored_pdf(app, certificate).startswith(b"%PDF-")


def test_the_organisers_list_is_in_persian_alphabetical_order(app, make, organiser, upload_dir):
    # گ comes before ه in Persian, though its code point comes after: a plain ORDER BY puts هلال first.
    event, _team_ids = factories.many_teams(app, make, organiser, 2, names=["کانون هلال", "کانون گلستان"])
    with app.test_request_context():
        actor, found = get(User, organiser.id), get(Event, event.id)
        services.run_job(services.start_job(actor, found, DocumentKind.GROUP, utcnow()).job.id)
        holders = [item.holder for item in services.certificates_of_event(actor, found, DocumentKind.GROUP)]
    assert holders == ["کانون گلستان", "کانون هلال"]
