"""Benchmark of bulk certificate issuing: N group certificates through the real bulk path.

    python bench/certificates.py [--count 1000] [--naive-count 100] [--profile-count 100] [--no-profile]
                                 [--language fa|en|bilingual] [--database-url URL] [--json]

Loads into a database of its own one event with --count approved teams (Persian names, some with a
zero-width non-joiner; 3-6 members each, the leader with an account), a final round of a few of
them scored and published (so group certificates may be issued: six awards, the other entries
finalists, every other team participation), two signatories and four images uploaded through
``certificates.services.upload_image`` (a 600x400 logo, a 1200x850 background, two 480x180
signatures; PNGs drawn with Pillow) into a temporary UPLOAD_DIR. Then:

1. the bulk path, timed: ``services.start_job`` and ``services.run_job`` in this process (what
   ``flask certificates issue`` and the queue's worker run): the template, the PDF/A-3b rendering,
   the files written under UPLOAD_DIR, a row, an audit row and a commit per document, the mails
   (logged: MAIL_SERVER is not set). Wall time and CPU time, documents per second, the SQL
   statements it runs, the resident memory (the RSS when the job starts, after 10 % of it and at the
   end, and the peak: VmHWM, reset when the job starts), the median size of the PDFs;
2. the naive loop, timed, on the first --naive-count of the same subjects: the same sandboxed
   template rendered with the same values, the CSS (BASE_CSS with file:// fonts, then the
   template's CSS) inlined in a <style> element, the images as file:// copies, and
   ``weasyprint.HTML(string=html, base_url=folder).write_pdf()`` with every default (a new font
   configuration and image cache each time, no PDF/A variant); no database, no files. Then the
   same loop again with ``pdf_variant="pdf/a-3b"``, the bulk path's variant;
3. unless --no-profile, cProfile over the bulk path of a second event of --profile-count teams:
   the self time grouped by what it is spent on (fonts, CSS, layout, images, PDF writing, database,
   ...), the cumulative time of the steps of one document, and the 15 functions of WeasyPrint,
   fontTools, tinycss2, pydyf, Pillow, SQLAlchemy and eventapp with the largest cumulative time.

The default database is a fresh SQLite file in a temporary folder. With a PostgreSQL URL
(``postgresql://postgres@127.0.0.1:5432/test``) the benchmark creates a database of its own named
``<name>_bench3`` (``test_bench3`` here) on that server and drops it at the end, also after an
error: the named database is never touched.

With --json the last line printed is one JSON object:
{"database": "sqlite"|"postgresql", "count": N, "language": "fa", "bulk_s": s, "bulk_docs_per_s": x,
 "bulk_ms_per_doc": ms, "bulk_statements_per_doc": x, "rss_before_mb": mb, "peak_rss_mb": mb, "median_pdf_kb": kb,
 "naive_count": n, "naive_docs_per_s": x, "naive_ms_per_doc": ms, "naive_median_pdf_kb": kb,
 "naive_pdfa_docs_per_s": x, "naive_pdfa_ms_per_doc": ms, "ratio": x, "ratio_pdfa": x, "ratio_cpu": x,
 "profile": {"count": n, "groups_ms_per_doc": {...}, "steps_ms_per_doc": {...}}}
("ratio" is bulk documents per second / naive documents per second, both in wall time.)
"""
import argparse
import cProfile
import io
import json
import logging
import math
import os
import pstats
import random
import re
import resource
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import jinja2  # noqa: E402
import weasyprint  # noqa: E402
from _data import signing_keys  # noqa: E402  (bench/ is the script's own folder)
from databases import bench_database  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402
from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import func, insert, select, text, update

from eventapp import create_app  # noqa: E402
from eventapp.auth.models import RoleGrant, User  # noqa: E402
from eventapp.auth.passwords import hash_password  # noqa: E402
from eventapp.certificates import documents, rendering, sandbox, services  # noqa: E402
from eventapp.certificates.enums import DocumentKind, JobStatus  # noqa: E402
from eventapp.certificates.models import Certificate, CertificateJob  # noqa: E402
from eventapp.certificates.services import bulk  # noqa: E402
from eventapp.core import jobs, storage  # noqa: E402
from eventapp.core.database import utcnow  # noqa: E402
from eventapp.core.extensions import db  # noqa: E402
from eventapp.core.roles import JUDGE, ORGANISER  # noqa: E402
from eventapp.events.models import County, Event, Phase  # noqa: E402
from eventapp.events.phases import PHASES  # noqa: E402
from eventapp.events.places import sync_places  # noqa: E402
from eventapp.judging import services as judging  # noqa: E402
from eventapp.judging.models import FINAL, Assignment, Score  # noqa: E402
from eventapp.notifications import delivery, receivers  # noqa: E402
from eventapp.teams.models import APPROVED, Team, TeamMember  # noqa: E402

SEED = 1405
BASELINE = Path(__file__).resolve().parent / "certificates_baseline"  # the naive loop's certificate
BATCH = 500  # teams per insert batch
PASSWORD = "bench password"
ORGANISER_EMAIL = "organiser@bench.example.org"
BASE_URL = "https://dawn.example.ir"
FINALISTS = 12  # teams in the final round: 6 awards (3 places, 3 honourable mentions), 6 finalists
JUDGES = 3

ZWNJ = "\u200c"
GROUP_KINDS = ["گروه جهادی", "کانون", "انجمن", "هیئت", "قرارگاه", "مؤسسه", "جمعیت", "حلقه"]
GROUP_NAMES = ["امید", "طلوع", "بصیرت", "سپیده", "ایثار", "نور", "رویش", "همدلی", "آبادانی", "مهر",
               "شهید باکری", "شهید همت", "فجر", "کوثر", "سرو", "البرز", "یاس", "ریحانه", "صبح", "بهار",
               f"آینده{ZWNJ}سازان", f"روشن{ZWNJ}دلان", f"پیش{ZWNJ}گامان", f"هم{ZWNJ}افزایی"]
GROUP_PLACES = ["روستا", "محله", "دانشگاه", "مسجد", "بسیج", "دانشجویی", "جوانان", "بانوان", "خیریه", "کشاورزان"]
ORGANISATIONS = ["بسیج سازندگی", "جهاد دانشگاهی", "انجمن اسلامی دانشجویان", "هلال احمر", "کانون فرهنگی",
                 f"مؤسسه خیریه نیک{ZWNJ}اندیشان", "شورای محله", "گروه مردمی"]
FIRST_NAMES = ["علی", "محمد", "حسین", "رضا", "مهدی", "امیر", "حمید", "سعید", "مصطفی", "جواد",
               f"علی{ZWNJ}رضا", f"محمد{ZWNJ}حسین", "زهرا", "فاطمه", "مریم", "سارا", "نرگس", "معصومه",
               "لیلا", "سمیه", "کوثر", "ریحانه", f"فاطمه{ZWNJ}سادات", f"زینب{ZWNJ}السادات"]
LAST_NAMES = ["حسینی", "رضایی", "احمدی", "کریمی", "موسوی", "محمدی", "جعفری", "صادقی", "رحیمی", "کاظمی",
              "علیزاده", "قاسمی", "نوری", "مرادی", "یزدانی", "شریفی", "باقری", "هاشمی", "اکبری", "طاهری",
              f"حسین{ZWNJ}زاده", f"رضایی{ZWNJ}نژاد", f"نیک{ZWNJ}پور", f"امیری{ZWNJ}فر", f"شاه{ZWNJ}محمدی"]
ORGANISATION_TYPES = ["jihadi", "student", "ngo", "other"]
SIGNATORIES = [
    {"name_fa": f"دکتر مهدی حسین{ZWNJ}زاده", "name_en": "Dr Mahdi Hosseinzadeh",
     "position_fa": "دبیر رویداد", "position_en": "Secretary of the event", "image": "signature-1"},
    {"name_fa": "زهرا کریمی", "name_en": "Zahra Karimi",
     "position_fa": "رئیس کمیته داوری", "position_en": "Head of the judging committee", "image": "signature-2"},
]


# --- the images -------------------------------------------------------------------------------

def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def make_images() -> dict[str, bytes]:
    """A logo (600x400 RGBA), a background (1200x850 RGB, a paper grain) and two signatures (480x180 RGBA)."""
    rnd = random.Random(SEED)
    navy, teal, gold = (18, 48, 74), (13, 84, 97), (176, 138, 58)

    logo = Image.new("RGBA", (600, 400), (0, 0, 0, 0))
    draw = ImageDraw.Draw(logo)
    for ray in range(24):  # a sun of rays behind a ring
        angle = ray * math.pi / 12
        draw.polygon([(300, 200), (300 + 190 * math.cos(angle - 0.06), 200 + 190 * math.sin(angle - 0.06)),
                      (300 + 190 * math.cos(angle + 0.06), 200 + 190 * math.sin(angle + 0.06))], fill=gold + (200,))
    draw.ellipse((170, 70, 430, 330), fill=navy + (255,))
    draw.ellipse((190, 90, 410, 310), outline=gold + (255,), width=8)
    draw.polygon([(300, 120), (360, 250), (240, 250)], fill=teal + (255,))
    draw.rectangle((230, 255, 370, 275), fill=gold + (255,))
    logo = logo.filter(ImageFilter.SMOOTH)

    # Paper: a warm gradient with grain and a faint guilloche-like pattern, as a scanned design has.
    background = Image.linear_gradient("L").resize((1200, 850)).convert("RGB")
    background = Image.blend(Image.new("RGB", (1200, 850), (255, 250, 235)),
                             Image.merge("RGB", [background.getchannel(0).point(lambda v: 230 + v // 12),
                                                 background.getchannel(0).point(lambda v: 222 + v // 10),
                                                 background.getchannel(0).point(lambda v: 200 + v // 8)]), 0.6)
    grain = Image.effect_noise((1200, 850), 6).convert("RGB")
    background = Image.blend(background, grain, 0.05)
    draw = ImageDraw.Draw(background)
    for k in range(0, 1200 + 850, 14):
        draw.line([(k, 0), (k - 850, 850)], fill=(236, 226, 200), width=1)
    draw.rectangle((30, 30, 1169, 819), outline=navy, width=6)
    draw.rectangle((46, 46, 1153, 803), outline=gold, width=3)

    signatures = {}
    for name in ("signature-1", "signature-2"):
        signature = Image.new("RGBA", (480, 180), (0, 0, 0, 0))
        draw = ImageDraw.Draw(signature)
        x, y = 40, 110
        points = [(x, y)]
        for _ in range(40):
            x += rnd.uniform(5, 14)
            y = min(160, max(20, y + rnd.uniform(-30, 30)))
            points.append((x, y))
        draw.line(points, fill=(20, 30, 110, 255), width=5, joint="curve")
        draw.line([(60, 150), (420, 135)], fill=(20, 30, 110, 255), width=3)
        signatures[name] = png_bytes(signature.filter(ImageFilter.SMOOTH))
    return {"logo": png_bytes(logo), "background": png_bytes(background), **signatures}


# --- the database ---------------------------------------------------------------------------------

def build_schema() -> int:
    """Tables, places, the organiser (its id) and the judges' accounts."""
    db.create_all()
    sync_places()
    organiser = User(email=ORGANISER_EMAIL, name=f"سازمان{ZWNJ}دهنده آزمون", mobile="09120000000",
                     password_hash=hash_password(PASSWORD))
    organiser.role_grants.append(RoleGrant(role=ORGANISER))
    db.session.add(organiser)
    for j in range(JUDGES):
        judge = User(email=f"judge{j}@bench.example.org", name=f"داور {j + 1}", mobile=f"0912{j + 1:07d}",
                     password_hash=organiser.password_hash)
        judge.role_grants.append(RoleGrant(role=JUDGE))
        db.session.add(judge)
    db.session.commit()
    return organiser.id


class Loader:
    """Events with approved teams, a published final round, images and signatories."""

    def __init__(self, organiser_id: int, images: dict[str, bytes]):
        self.organiser = db.session.get(User, organiser_id)
        self.images = images
        self.random = random.Random(SEED)
        self.counties = [(c.id, c.province_id) for c in db.session.scalars(select(County).order_by(County.id))]
        self.user_hash = self.organiser.password_hash
        self.mobile = 0
        self.team_number = 0

    def _mobile(self) -> str:
        self.mobile += 1
        return f"0913{self.mobile:07d}"

    def _person(self) -> str:
        return f"{self.random.choice(FIRST_NAMES)} {self.random.choice(LAST_NAMES)}"

    def event(self, slug: str, count: int, language: str) -> int:
        """An event of ``count`` approved teams, ready for group certificates; its id."""
        now = utcnow()
        event = Event(slug=slug, title_fa="رویداد ملی طلوع پیشرفت", title_en="Dawn of Progress national event",
                      created_by_id=self.organiser.id)
        # Back-to-back phases of ten days, the last one (results) open now.
        start = now - timedelta(days=5) - timedelta(days=10) * (len(PHASES) - 1)
        for i, kind in enumerate(PHASES):
            event.phases.append(Phase(kind=kind, starts_at=start + timedelta(days=10 * i),
                                      ends_at=start + timedelta(days=10 * (i + 1)) - timedelta(seconds=1)))
        db.session.add(event)
        db.session.flush()
        team_ids = []
        for first in range(0, count, BATCH):
            team_ids += self._teams(event.id, min(BATCH, count - first), now)
        self._final_round(event, team_ids[:FINALISTS], now)
        for name, content in self.images.items():
            services.upload_image(self.organiser, event, name, content, now)
        signatories = SIGNATORIES if self.images else [{**person, "image": ""} for person in SIGNATORIES]
        services.save_settings(self.organiser, event, language, signatories, now)
        db.session.commit()
        return event.id

    def _teams(self, event_id: int, count: int, now) -> list[int]:
        rnd, session = self.random, db.session
        numbers = range(self.team_number, self.team_number + count)
        self.team_number += count
        leaders = [self._person() for _ in numbers]
        user_ids = session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), [
            {"email": f"leader{n}@bench.example.org", "name": leader, "mobile": self._mobile(),
             "password_hash": self.user_hash, "created_at": now}
            for n, leader in zip(numbers, leaders)
        ]).all()
        teams = []
        for n in numbers:
            county_id, province_id = rnd.choice(self.counties)
            teams.append({
                "event_id": event_id,
                "name": f"{rnd.choice(GROUP_KINDS)} {rnd.choice(GROUP_NAMES)} {rnd.choice(GROUP_PLACES)} {n + 1}",
                "organisation_type": rnd.choice(ORGANISATION_TYPES),
                "organisation_name": f"{rnd.choice(ORGANISATIONS)} {rnd.choice(GROUP_NAMES)}"
                if rnd.random() < 0.8 else "",
                "province_id": province_id, "county_id": county_id,
                "introduction": "", "contact_email": f"team{n}@bench.example.org", "contact_phone": self._mobile(),
                "status": APPROVED, "status_reason": "", "screening_selected": False, "created_at": now,
            })
        team_ids = session.scalars(insert(Team).returning(Team.id, sort_by_parameter_order=True), teams).all()
        members = []
        for team_id, user_id, leader in zip(team_ids, user_ids, leaders):
            members.append({"team_id": team_id, "event_id": event_id, "user_id": user_id, "name": leader,
                            "mobile": self._mobile(), "national_id": "", "is_leader": True, "joined_at": now})
            for _ in range(rnd.randint(2, 5)):  # 3 to 6 members with the leader
                members.append({"team_id": team_id, "event_id": event_id, "user_id": None,
                                "name": self._person(), "mobile": self._mobile(), "national_id": "",
                                "is_leader": False, "joined_at": now})
        session.execute(insert(TeamMember), members)
        return list(team_ids)

    def _final_round(self, event: Event, team_ids: list[int], now) -> None:
        """A final round of the given teams, every judge scoring every entry, published with the
        default awards (first to third place, three honourable mentions, the others finalists)."""
        organiser = self.organiser
        rubric = judging.save_rubric(organiser, event, f"شاخص{ZWNJ}های داوری", "Judging rubric",
                                     judging.default_criteria(), now)
        round_ = judging.save_round(organiser, event, judging.RoundDetails(
            kind=FINAL, rubric_id=rubric.id, starts_at=now - timedelta(days=2), ends_at=now - timedelta(days=1),
            judges_per_entry=JUDGES), now)
        judging.add_entries(organiser, round_, team_ids, now)
        for judge in db.session.scalars(select(User).join(RoleGrant, RoleGrant.user_id == User.id)
                                      .where(RoleGrant.role == JUDGE)):
            judging.join_event(judge, event, now)  # as if each had accepted an invitation to the event
        judging.add_all_judges(organiser, round_, now)
        judging.assign_automatically(organiser, round_, now - timedelta(days=2), seed=0)
        db.session.flush()
        criteria = [(c.id, c.scale_min, c.scale_max) for c in rubric.criteria]
        rows = []
        for assignment_id, team_id in db.session.execute(select(Assignment.id, Assignment.team_id).where(
                Assignment.round_id == round_.id).order_by(Assignment.id)):
            level = 3 + (team_id * 7919) % 60 / 10  # a stable, spread-out level per team
            for criterion_id, low, high in criteria:
                rows.append({"assignment_id": assignment_id, "criterion_id": criterion_id,
                             "value": float(min(high, max(low, round(level + self.random.gauss(0, 1))))),
                             "comment": "", "updated_at": now})
        db.session.execute(insert(Score), rows)
        db.session.execute(update(Assignment.__table__).where(Assignment.__table__.c.round_id == round_.id)
                           .values(submitted_at=now - timedelta(days=1, hours=2), ever_submitted=True))
        judging.publish(organiser, round_, {}, now - timedelta(hours=20))


# --- measuring ------------------------------------------------------------------------------------

class StatementCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _before(self, *args):
        self.count += 1

    def __enter__(self):
        sa_event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *exc):
        sa_event.remove(self.engine, "before_cursor_execute", self._before)


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def rss_mb() -> float:
    """The resident set size now (Linux), in MB."""
    return _status_mb("VmRSS")


def reset_peak_rss() -> bool:
    """Start the peak RSS (VmHWM) again from the current RSS (Linux 4.0+); whether it could."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    """The peak RSS since the last reset (VmHWM), else since the start (getrusage's ru_maxrss)."""
    peak = _status_mb("VmHWM")
    return peak if not math.isnan(peak) else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_bulk(event_id: int, organiser_id: int, profiler: cProfile.Profile | None = None,
             naive: "NaiveLoop | None" = None, naive_per_chunk: int = 0) -> dict:
    """start_job and run_job for the event's group certificates, timed (and profiled when asked). With ``naive``,
    ``naive_per_chunk`` documents of the naive loop are made after each chunk, so that both are measured under
    the same load; their time is taken out of the bulk path's."""
    organiser = db.session.get(User, organiser_id)
    event = db.session.get(Event, event_id)
    started, cpu_started = time.perf_counter(), time.process_time()
    job = services.start_job(organiser, event, DocumentKind.GROUP, utcnow()).job
    db.session.commit()
    job_id = job.id
    samples = {}

    def on_progress(progress_job):
        made = progress_job.done + progress_job.failed
        if made and made >= max(1, progress_job.total // 10) and "rss_10pct_mb" not in samples:
            samples["rss_10pct_mb"] = rss_mb()
        if naive is not None and made > progress_job.skipped:
            naive.render(naive_per_chunk)

    peak_reset = reset_peak_rss()
    rss_before, load_before = rss_mb(), os.getloadavg()[0]
    with StatementCounter(db.engine) as counter, HeldMail() as mail:
        if profiler:
            profiler.enable()
        services.run_job(job_id, on_progress=on_progress)
        if profiler:
            profiler.disable()
    mail.send()
    started += mail.seconds
    cpu_started += mail.cpu_seconds
    naive_seconds, naive_cpu = (naive.seconds, naive.cpu_seconds) if naive is not None else (0, 0)
    seconds = time.perf_counter() - started - naive_seconds
    cpu_seconds = time.process_time() - cpu_started - naive_cpu
    out = {"seconds": seconds, "cpu_seconds": cpu_seconds, "statements": counter.count, "rss_before_mb": rss_before,
           "mail": {"jobs": len(mail.held), "seconds": mail.seconds, "cpu_seconds": mail.cpu_seconds,
                    "statements": mail.statements},
           "rss_end_mb": rss_mb(), "peak_rss_mb": peak_rss_mb(), "peak_reset": peak_reset,
           "load": (load_before, os.getloadavg()[0]), **samples}
    db.session.expire_all()
    job = db.session.get(CertificateJob, job_id)
    out.update(status=job.status, done=job.done, failed=job.failed, total=job.total, failures=job.failures[:3])
    sizes = list(db.session.scalars(select(Certificate.size).where(Certificate.job_id == job_id)))
    out["issued"] = len(sizes)
    out["median_size"] = statistics.median(sizes) if sizes else 0
    out["sample"] = db.session.scalar(select(Certificate.sha256).where(Certificate.job_id == job_id).limit(1))
    return out


def naive_html(issuer: services.Issuer, template, subject, style: str, asset_urls: dict[str, str]) -> str:
    """The whole document's HTML (its page in one piece) from the same values as ``Issuer.make`` and a plain
    Jinja ``template``, with the CSS inlined, the images as file:// addresses and the QR code as inline SVG."""
    values = issuer._context(subject, services.new_serial(), secrets.token_urlsafe(18), utcnow())
    html = template.render(values)
    html = re.sub(f'<img [^>]*src="{rendering.QR_IMAGE}"[^>]*>', f'<span class="qr">{values["qr"].__html__()}</span>',
                  html)
    html = re.sub(r"asset:([a-z][a-z0-9-]{0,39})", lambda found: asset_urls[found.group(1)], html)
    return html.replace("</head>", f"<style>\n{style}\n</style>\n</head>", 1)


class HeldMail:
    """The outbox's sending jobs (notifications' deliver_batch) held while the bulk path is timed, as the queue
    holds them for a worker with REDIS_URL, then run and timed on their own: ``with HeldMail() as mail: ...``."""

    def __init__(self):
        self.held, self.seconds, self.cpu_seconds, self.statements = [], 0.0, 0.0, 0

    def __enter__(self):
        self.enqueue = jobs.enqueue

        def holding(task, *args, key=None):
            if task is delivery.deliver_batch:
                self.held.append(args)
                return True
            return self.enqueue(task, *args, key=key)

        jobs.enqueue = holding
        return self

    def __exit__(self, *exc):
        jobs.enqueue = self.enqueue

    def send(self) -> None:
        started, cpu_started = time.perf_counter(), time.process_time()
        with StatementCounter(db.engine) as counter:
            for args in self.held:
                delivery.deliver_batch(*args)
        self.seconds, self.cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
        self.statements = counter.count


class NaiveLoop:
    """The naive loop on the event's subjects, in turn: a fresh WeasyPrint with defaults each time (a new font
    configuration, the CSS parsed again), ``HTML(string=...).write_pdf()``; no database, no files.

    (``rendering`` keeps each image's encoded stream in the image cache WeasyPrint is given; here that
    is a new cache per document, so every document encodes its images again, as plain WeasyPrint does.)"""

    def __init__(self, event_id: int, folder: Path, pdf_variant: str | None, baseline: bool = True):
        event = db.session.get(Event, event_id)
        self.issuer = services.Issuer(event, DocumentKind.GROUP, BASE_URL)  # the same settings and values
        if baseline:  # the comparable certificate: the default of c5061de, laid out in one piece
            html, css = ((BASELINE / name).read_text(encoding="utf-8") for name in ("group.html", "group.css"))
        else:
            html, css, _default = services.template_of(event, DocumentKind.GROUP)
        self.template = jinja2.Environment(autoescape=True).from_string(html)
        self.asset_urls, self.folder, self.pdf_variant = {}, folder, pdf_variant
        for name, (content, _content_type) in self.issuer.images.items():
            path = folder / f"{name}.png"
            path.write_bytes(content)
            self.asset_urls[name] = path.as_uri()
        fonts = rendering.FONTS_DIR.as_uri()
        self.style = rendering.BASE_CSS.replace("url(font:", f"url({fonts}/") + "\n" + css
        self.subjects = documents.subjects_of(event, DocumentKind.GROUP)
        self.times, self.sizes, self.last = [], [], b""
        self.seconds = self.cpu_seconds = 0.0
        self.load = [os.getloadavg()[0]] * 2

    def render(self, count: int) -> None:
        started, cpu_started = time.perf_counter(), time.process_time()
        for _ in range(count):
            subject = self.subjects[len(self.times) % len(self.subjects)]
            began = time.perf_counter()
            html = naive_html(self.issuer, self.template, subject, self.style, self.asset_urls)
            document = weasyprint.HTML(string=html, base_url=str(self.folder))
            self.last = document.write_pdf(pdf_variant=self.pdf_variant) if self.pdf_variant else document.write_pdf()
            self.times.append(time.perf_counter() - began)
            self.sizes.append(len(self.last))
        self.seconds += time.perf_counter() - started
        self.cpu_seconds += time.process_time() - cpu_started
        self.load[1] = os.getloadavg()[0]

    def figures(self) -> dict:
        return {"seconds": self.seconds, "cpu_seconds": self.cpu_seconds, "count": len(self.times),
                "times": self.times, "load": tuple(self.load), "median_size": statistics.median(self.sizes),
                "sample": self.last}


def pdf_facts(pdf: bytes) -> dict:
    """What a PDF shows, read back with pdfium: pages, images drawn, fonts used (embedded or not), and
    whether its text can be extracted (the serial): to check that both loops made the same thing."""
    import ctypes

    import pypdfium2
    import pypdfium2.raw as pdfium

    document = pypdfium2.PdfDocument(pdf)
    try:
        images, fonts, text = 0, set(), ""
        for page in document:
            images += sum(1 for _ in page.get_objects(filter=(pdfium.FPDF_PAGEOBJ_IMAGE,)))
            for found in page.get_objects(filter=(pdfium.FPDF_PAGEOBJ_TEXT,)):
                font = pdfium.FPDFTextObj_GetFont(found.raw)
                buffer = ctypes.create_string_buffer(200)
                length = pdfium.FPDFFont_GetBaseFontName(font, buffer, 200)
                name = buffer.raw[:max(0, length - 1)].decode("latin-1").split("+")[-1]
                fonts.add(name + ("" if pdfium.FPDFFont_GetIsEmbedded(font) else " (not embedded)"))
            text += page.get_textpage().get_text_range()
        return {"pages": len(document), "images": images, "fonts": sorted(fonts),
                "serial": bool(re.search(r"DP-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", text))}
    finally:
        document.close()


# --- the profile ----------------------------------------------------------------------------------

# (group, test on "path:function") in order: the first that matches names the group of a function.
GROUPS = [
    ("fonts: subsetting, embedding (fontTools, pdf/fonts)", ("fontTools/", "weasyprint/pdf/fonts.py")),
    ("text: shaping, line breaking (Pango via weasyprint.text)", ("weasyprint/text/",)),
    ("CSS: parsing, cascade, computed values", ("weasyprint/css/", "tinycss2/", "cssselect2/")),
    ("HTML parsing, box tree", ("html5lib/", "tinyhtml5/", "weasyprint/html.py", "weasyprint/formatting_structure/",
                                "xml/etree", "webencodings/")),
    ("layout", ("weasyprint/layout/",)),
    ("drawing (stream, SVG of the QR code)", ("weasyprint/draw/", "weasyprint/stacking.py", "weasyprint/svg/",
                                              "weasyprint/matrix.py", "weasyprint/pdf/stream.py")),
    ("images (decode, re-encode, Pillow)", ("weasyprint/images.py", "PIL/")),
    ("PDF: objects, PDF/A metadata, serialising (pydyf)", ("weasyprint/pdf/", "pydyf/", "weasyprint/document.py",
                                                           "weasyprint/anchors.py", "weasyprint/__init__.py")),
    ("template: Jinja sandbox, context, QR code (segno)", ("jinja2/", "markupsafe/", "segno/", "<template>",
                                                           "eventapp/certificates/documents.py",
                                                           "eventapp/certificates/sandbox.py", "babel/",
                                                           "jdatetime/", "flask_babel/")),
    ("database (SQLAlchemy, driver)", ("sqlalchemy/", "sqlite3/", "psycopg/", "<sqlite3.", "psycopg")),
    ("mail and logging", ("eventapp/core/mail.py", "email/", "logging/", "blinker/")),
    ("files: storage.store", ("eventapp/core/storage.py",)),
    ("eventapp (the rest)", ("eventapp/",)),
]
OTHER = "other (Python itself, weasyprint.urls, ...)"

def steps() -> list[tuple[str, object]]:
    """(label, function) of the steps of one document, found in the profile by their code objects."""
    from pydyf import PDF
    from sqlalchemy.orm import Session
    from weasyprint.css import get_all_computed_styles
    from weasyprint.document import Document
    from weasyprint.draw import draw_page
    from weasyprint.formatting_structure.build import build_formatting_structure
    from weasyprint.images import RasterImage
    from weasyprint.layout import layout_document
    from weasyprint.pdf import generate_pdf
    from weasyprint.pdf.fonts import Font, build_fonts_dictionary
    from weasyprint.pdf.pdfa import pdfa

    from eventapp.certificates import weasy
    from eventapp.certificates.services import bulk

    return [
        ("run_job: the plan, then every chunk (in-process)", services.run_job),
        ("  Issuer(): template check, CSS, fonts, images (once)", services.Issuer.__init__),
        ("  documents.subjects_of: who gets what (once)", documents.subjects_of),
        ("  _run_chunk: a chunk's documents, then its transaction", bulk._run_chunk),
        ("    Issuer.make: one document", services.Issuer.make),
        ("      documents.context: dates, labels", documents.context),
        ("      sandbox.render_strict (Jinja; two layers)", sandbox.render_strict),
        ("      Renderer.layered_pdf", rendering.Renderer.layered_pdf),
        ("        FixedLayer(): the fixed layer, laid out and drawn", weasy.FixedLayer.__init__),
        ("        weasy.QRCode (segno)", weasy.QRCode.__init__),
        ("        HTML(): parse the HTML", weasyprint.HTML.__init__),
        ("        Document._render: style, boxes, layout", Document._render.__func__),
        ("          get_all_computed_styles (cascade)", get_all_computed_styles),
        ("          build_formatting_structure (boxes)", build_formatting_structure),
        ("          layout_document", layout_document),
        ("        Document.write_pdf", Document.write_pdf),
        ("          generate_pdf", generate_pdf),
        ("            draw_page (content streams)", draw_page),
        ("            FixedLayer.draw (a copy of the fixed layer)", weasy.FixedLayer.draw),
        ("            RasterImage.get_x_object (images)", RasterImage.get_x_object),
        ("            build_fonts_dictionary (fonts)", build_fonts_dictionary),
        ("              Font.clean (subsetting)", Font.clean),
        ("            pdfa (PDF/A metadata, ICC profile)", pdfa),
        ("          pydyf PDF.write (serialise, compress)", PDF.write),
        ("    bulk._write: rows, audit entries, progress, files, commit", bulk._write),
        ("      Issuer.record: the chunk's rows and audit entries", services.Issuer.record),
        ("      storage.stage (write the files)", storage.stage),
        ("  Session.commit (and what runs after it)", Session.commit),
        ("  certificate_ready (notification rows, after the commit)", receivers.certificate_ready),
        ("    deliver_batch (mails)", delivery.deliver_batch),
    ]


TOP_PATHS = ("weasyprint/", "fontTools/", "tinycss2/", "cssselect2/", "pydyf/", "PIL/", "sqlalchemy/", "eventapp/")


def _group_of(filename: str, function: str) -> str | None:
    name = f"{filename}:{function}"
    for group, tests in GROUPS:
        if any(test in name for test in tests):
            return group
    return None


def profile_groups(stats: pstats.Stats) -> dict[str, float]:
    """Self time per group, in seconds. A built-in's self time (zlib, a C call of Pango or sqlite3)
    counts for the group of the Python function that called it."""
    raw = stats.stats  # {(file, line, function): (cc, nc, tt, ct, callers)}
    groups: dict[str, float] = {}

    def add(key, seconds, depth=0):
        filename, _line, function = key
        group = None if filename == "~" else _group_of(filename, function)
        if group is None and filename == "~":
            group = _group_of("~", function)  # e.g. "<method 'execute' of 'sqlite3.Cursor' objects>"
            if group is None and depth < 4:
                callers = raw[key][4] if key in raw else {}
                total = sum(edge[2] for edge in callers.values())
                if total > 0:
                    for caller, edge in callers.items():
                        add(caller, seconds * edge[2] / total, depth + 1)
                    return
        groups[group or OTHER] = groups.get(group or OTHER, 0.0) + seconds

    for key, (_cc, _nc, tt, _ct, _callers) in raw.items():
        if tt:
            add(key, tt)
    return groups


def profile_steps(stats: pstats.Stats) -> list[tuple[str, float, int]]:
    """(label, cumulative seconds, calls) of each of steps()."""
    found = []
    for label, function in steps():
        code = function.__code__
        _cc, calls, _tt, seconds, _callers = stats.stats.get(
            (code.co_filename, code.co_firstlineno, code.co_name), (0, 0, 0.0, 0.0, {}))
        found.append((label, seconds, calls))
    return found


def top_cumulative(stats: pstats.Stats, limit: int = 15) -> list[tuple[float, float, int, str]]:
    rows = []
    for (filename, line, function), (_cc, nc, tt, ct, _callers) in stats.stats.items():
        path = filename.replace("\\", "/")
        hit = next((part for part in TOP_PATHS if part in path), None)
        if hit is None:
            continue
        short = path[path.index(hit):]
        rows.append((ct, tt, nc, f"{short}:{line}({function})"))
    rows.sort(reverse=True)
    return rows[:limit]


def run_profile(event_id: int, organiser_id: int) -> dict:
    profiler = cProfile.Profile()
    result = run_bulk(event_id, organiser_id, profiler)
    stats = pstats.Stats(profiler)
    return {"bulk": result, "groups": profile_groups(stats), "steps": profile_steps(stats),
            "top": top_cumulative(stats), "total": sum(row[2] for row in stats.stats.values())}


# --- the run --------------------------------------------------------------------------------------

def run(args) -> dict:
    with bench_database(args.database_url, "_bench3") as (dialect, url), \
            tempfile.TemporaryDirectory(prefix="bench-certificates-") as folder:
        folder = Path(folder)
        (folder / "uploads").mkdir()
        (folder / "naive").mkdir()
        app = create_app({
            "TESTING": True, "SECRET_KEY": "bench-secret", "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "SERVER_NAME": "localhost",
            "UPLOAD_DIR": str(folder / "uploads"), "JOBS_BACKEND": "inline", "BASE_URL": BASE_URL,
            "MAIL_SERVER": None, **signing_keys(folder),
        })
        # Every mail is logged at INFO when MAIL_SERVER is not set: two lines per document would
        # bury the figures. The messages are still built and signalled.
        logging.getLogger("eventapp.mail").setLevel(logging.WARNING)
        try:
            out: dict = {"dialect": dialect}
            with app.app_context():
                started = time.perf_counter()
                images = {} if args.no_images else make_images()
                out["image_sizes"] = {name: len(content) for name, content in images.items()}
                organiser_id = build_schema()
                loader = Loader(organiser_id, images)
                event_id = loader.event("bench", args.count, args.language)
                profile_event_id = loader.event("bench-profile", args.profile_count, args.language) \
                    if args.profile_count else None
                if dialect == "postgresql":
                    db.session.execute(text("ANALYZE"))
                    db.session.commit()
                out["members"] = db.session.scalar(select(func.count()).select_from(TeamMember).join(Team).where(
                    Team.event_id == event_id))
                out["load_s"] = time.perf_counter() - started

            with app.app_context():
                naive = NaiveLoop(event_id, folder / "naive", None)
                chunks = math.ceil(args.count / bulk.CHUNK_SIZE)
                out["bulk"] = run_bulk(event_id, organiser_id, naive=naive,
                                       naive_per_chunk=math.ceil(args.naive_count / chunks))
                out["naive"] = naive.figures()
                out["naive_facts"] = pdf_facts(out["naive"].pop("sample"))
                out["achievements"] = dict(Counter(subject.achievement for subject in
                                                   documents.subjects_of(db.session.get(Event, event_id), DocumentKind.GROUP)))
                sample = out["bulk"].pop("sample")
                out["bulk_facts"] = pdf_facts((folder / "uploads" / sample[:2] / sample).read_bytes()) \
                    if sample else {}
                out["files"] = sum(1 for path in (folder / "uploads").rglob("*") if path.is_file())

            for key, variant, baseline in (("naive_pdfa", rendering.PDF_VARIANT, True), ("naive_current", None, False)):
                with app.app_context():
                    loop = NaiveLoop(event_id, folder / "naive", variant, baseline)
                    loop.render(args.naive_count)
                    out[key] = loop.figures()
                    out[f"{key}_facts"] = pdf_facts(out[key].pop("sample"))

            if profile_event_id is not None:
                with app.app_context():
                    out["profile"] = run_profile(profile_event_id, organiser_id)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    return out


def report(args, result: dict) -> dict:
    bulk, naive, naive_pdfa = result["bulk"], result["naive"], result["naive_pdfa"]
    count = bulk["issued"]
    bulk_rate = count / bulk["seconds"]
    naive_rate = naive["count"] / naive["seconds"]
    pdfa_rate = naive_pdfa["count"] / naive_pdfa["seconds"]
    figures = {
        "database": result["dialect"], "count": count, "language": args.language,
        "bulk_s": round(bulk["seconds"], 2), "bulk_docs_per_s": round(bulk_rate, 2),
        "bulk_ms_per_doc": round(1000 / bulk_rate, 1),
        "bulk_statements_per_doc": round(bulk["statements"] / max(1, count), 1),
        "rss_before_mb": round(bulk["rss_before_mb"], 1), "peak_rss_mb": round(bulk["peak_rss_mb"], 1),
        "median_pdf_kb": round(bulk["median_size"] / 1024, 1),
        "naive_count": naive["count"], "naive_docs_per_s": round(naive_rate, 2),
        "naive_ms_per_doc": round(1000 / naive_rate, 1), "naive_median_pdf_kb": round(naive["median_size"] / 1024, 1),
        "naive_pdfa_docs_per_s": round(pdfa_rate, 2), "naive_pdfa_ms_per_doc": round(1000 / pdfa_rate, 1),
        "ratio": round(bulk_rate / naive_rate, 2), "ratio_pdfa": round(bulk_rate / pdfa_rate, 2),
    }
    kinds = ", ".join(f"{name} {count}" for name, count in sorted(result["achievements"].items(),
                                                                  key=lambda item: -item[1]))
    print(f"database: {result['dialect']}; {args.count} approved teams ({result['members']} members), language "
          f"{args.language}, achievements: {kinds}; loaded in {result['load_s']:.1f} s")
    print("images uploaded: " + ", ".join(f"{name} {size / 1024:.0f} KB" for name, size in
                                         result["image_sizes"].items()))
    status = "" if bulk["status"] == JobStatus.DONE and bulk["failed"] == 0 and count == args.count else \
        f"  <- job {bulk['status']}, {bulk['done']} done, {bulk['failed']} failed: {bulk['failures']}"
    header = f"{'measure':<44} {'docs':>5} {'wall s':>8} {'docs/s':>7} {'ms/doc':>7} {'cpu ms/doc':>10}  notes"
    print(header)
    print("-" * (len(header) + 30))
    print(f"{'bulk path (start_job + run_job)':<44} {count:>5} {bulk['seconds']:>8.2f} {bulk_rate:>7.2f} "
          f"{1000 / bulk_rate:>7.0f} {1000 * bulk['cpu_seconds'] / max(1, count):>10.0f}  "
          f"load average {bulk['load'][0]:.1f} -> {bulk['load'][1]:.1f}{status}")
    for label, run_ in (("naive loop (baseline), between the chunks", naive),
                        ("naive loop (baseline), PDF/A-3b, after", naive_pdfa),
                        ("naive loop, today's template, after", result["naive_current"])):
        rate = run_["count"] / run_["seconds"]
        print(f"{label:<44} {run_['count']:>5} {run_['seconds']:>8.2f} {rate:>7.2f} {1000 / rate:>7.0f} "
              f"{1000 * run_['cpu_seconds'] / run_['count']:>10.0f}  median {1000 * statistics.median(run_['times']):.0f}"
              f" ms, first {1000 * run_['times'][0]:.0f} ms; load average {run_['load'][0]:.1f} -> "
              f"{run_['load'][1]:.1f}")
    mail = bulk["mail"]
    print(f"{'  and its mails, sent afterwards':<44} {count:>5} {mail['seconds']:>8.2f} {'':>7} "
          f"{1000 * mail['seconds'] / max(1, count):>7.0f} {1000 * mail['cpu_seconds'] / max(1, count):>10.0f}  "
          f"{mail['jobs']} sending jobs of the outbox (deliver_batch, one mail connection each), "
          f"{mail['statements']} SQL statements")
    naive_cpu = naive["cpu_seconds"] / naive["count"]
    cpu_ratio = naive_cpu / (bulk["cpu_seconds"] / max(1, count))
    cpu_ratio_mail = naive_cpu / ((bulk["cpu_seconds"] + mail["cpu_seconds"]) / max(1, count))
    figures.update(ratio_cpu=round(cpu_ratio, 2), ratio_cpu_with_mail=round(cpu_ratio_mail, 2),
                   mail_cpu_ms_per_doc=round(1000 * mail["cpu_seconds"] / max(1, count), 1))
    print(f"bulk / naive: {cpu_ratio:.2f}x in CPU time per document, {cpu_ratio_mail:.2f}x with its mails sent; "
          f"{figures['ratio']:.2f}x in documents per second of wall time (against the naive PDF/A loop: "
          f"{figures['ratio_pdfa']:.2f}x wall); the goal is 2.5x")
    print(f"bulk path: {bulk['statements']} SQL statements ({figures['bulk_statements_per_doc']} per document); "
          f"{result['files']} files in UPLOAD_DIR; median PDF {figures['median_pdf_kb']} KB "
          f"(naive {figures['naive_median_pdf_kb']} KB, naive PDF/A {naive_pdfa['median_size'] / 1024:.1f} KB)")
    peak = "VmHWM, reset when the job started" if bulk["peak_reset"] else "ru_maxrss: the whole process"
    print(f"memory (resident set size of this process): {bulk['rss_before_mb']:.0f} MB when the job started, "
          f"{bulk.get('rss_10pct_mb', float('nan')):.0f} MB after 10 % of it, {bulk['rss_end_mb']:.0f} MB at the end; "
          f"peak {bulk['peak_rss_mb']:.0f} MB ({peak})")
    facts = [f"{name}: {result[key]['pages']} page(s), {result[key]['images']} images, "
             f"fonts {', '.join(result[key]['fonts'])}, serial readable {result[key]['serial']}"
             for name, key in (("bulk", "bulk_facts"), ("naive", "naive_facts"), ("naive PDF/A", "naive_pdfa_facts"))]
    print("check: " + "; ".join(facts))

    profile = result.get("profile")
    if profile:
        issued = profile["bulk"]["issued"]
        per_doc = 1000 / max(1, issued)
        wall = profile["bulk"]["seconds"]
        print()
        print(f"profile: cProfile over the bulk path of {issued} documents of another event: {wall:.2f} s under the "
              f"profiler ({1000 * wall / max(1, issued):.0f} ms/doc; the profiler slows Python code, "
              f"not C calls, so shares lean towards Python-heavy parts)")
        print(f"{'self time by group (a built-in counts for its caller)':<60} {'ms/doc':>8} {'share':>7}")
        total = sum(profile["groups"].values())
        for group, seconds in sorted(profile["groups"].items(), key=lambda item: -item[1]):
            print(f"  {group:<58} {seconds * per_doc:>8.1f} {100 * seconds / total:>6.1f}%")
        print(f"{'steps (cumulative time)':<60} {'ms/doc':>8} {'calls':>7}")
        for label, seconds, calls in profile["steps"]:
            print(f"  {label:<58} {seconds * per_doc:>8.1f} {calls:>7}")
        print("top 15 by cumulative time (WeasyPrint, fontTools, CSS, pydyf, Pillow, SQLAlchemy, eventapp):")
        print(f"  {'cumtime':>8} {'ms/doc':>7} {'tottime':>8} {'ncalls':>8}  function")
        for ct, tt, nc, name in profile["top"]:
            print(f"  {ct:>8.2f} {ct * per_doc:>7.1f} {tt:>8.2f} {nc:>8}  {name}")
        figures["profile"] = {
            "count": issued,
            "groups_ms_per_doc": {group: round(seconds * per_doc, 1) for group, seconds in profile["groups"].items()},
            "steps_ms_per_doc": {label.strip(): round(seconds * per_doc, 1) for label, seconds, _ in profile["steps"]},
        }
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="group certificates to issue (default 1000)")
    parser.add_argument("--naive-count", type=int, default=100,
                        help="documents of each naive loop (default 100; at most --count)")
    parser.add_argument("--profile-count", type=int, default=100,
                        help="documents of the profiled bulk run (default 100)")
    parser.add_argument("--no-images", action="store_true", help="no uploaded image")
    parser.add_argument("--no-profile", action="store_true", help="skip the profiled run")
    parser.add_argument("--language", choices=["fa", "en", "bilingual"], default="fa",
                        help="the documents' language (bilingual: two pages; default fa)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server to use, e.g. postgresql://postgres@127.0.0.1:5432/test "
                             "(a database <name>_bench3 is created and dropped); default: a temporary SQLite file")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object, last")
    args = parser.parse_args(argv)
    if args.count < 1 or args.naive_count < 1 or args.profile_count < 0:
        parser.error("--count and --naive-count must be at least 1, --profile-count at least 0")
    args.naive_count = min(args.naive_count, args.count)
    if args.no_profile:
        args.profile_count = 0
    figures = report(args, run(args))
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
