"""Benchmark of a national announcement: storing its outbox and delivering it through a real SMTP server.

    python bench/notifications.py [--teams 5000] [--members 3] [--batch-size 500] [--baseline-sample 2000]
                                  [--database-url URL] [--json]

Loads into a database of its own one event with --teams approved teams of --members members each, every
member with an account (a unique email, an Iranian mobile 0912xxxxxxx, about 20 % reading English), and
an organiser. Starts an SMTP server (aiosmtpd, a handler that counts connections and messages and answers
250) in a process of its own, so that its CPU is not the app's, and points MAIL_SERVER at it (no TLS);
SMS_BACKEND stays ``log`` (the ``eventapp.sms`` and ``eventapp.mail`` loggers are set to WARNING). Then:

1. enqueue, timed: ``announcements.send`` of an announcement to the approved teams, with the job queue
   replaced by a recorder (``jobs.enqueue`` stores ``deliver_batch(ids)`` and returns): the recipients'
   query, ``outbox.notify`` (a notification per person, a delivery per channel), the audit row, the
   commit, and ``delivery.dispatch`` cutting the ids into batches of --batch-size;
2. deliver, timed: every recorded batch through ``delivery.deliver_batch(batch)``, each in an app
   context of its own, as a worker runs the jobs: one SMTP connection per batch for its emails, the
   SMS to the log, each message marked sent in a commit of its own;
3. memory: a second announcement to the same people, sent and its first two batches (at most all but one)
   delivered under ``tracemalloc`` (not timed: tracing slows Python down);
4. baseline, timed: the next --baseline-sample deliveries of the second announcement (0: all of them)
   sent one by one, ``deliver_batch([id])`` each (NOTIFY_BATCH_SIZE=1: a connection per email).

It prints wall and CPU time, statements, messages per second (an email or an SMS is one message), the
SMTP connections and messages the server counted, a breakdown of the delivery, the ratio batched /
one-by-one, the memory, and whether a national announcement (15,000 recipients) is delivered within
the target of 10 minutes by one worker.

The default database is a fresh SQLite file in a temporary folder. With a PostgreSQL URL
(``postgresql://postgres@127.0.0.1:5432/test``) the benchmark creates a database of its own named
``<name>_bench_notify`` (``test_bench_notify`` here) on that server and drops it at the end, also after
an error: the named database is never touched.

With --json the last line printed is one JSON object (see bench/README.md).
"""
import argparse
import gc
import json
import logging
import math
import multiprocessing
import os
import random
import resource
import socket
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _data import PASSWORD, SEED, add_event, add_organiser  # noqa: E402
from databases import analyze, bench_database  # noqa: E402  (bench/ is the script's own folder)
from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import func, insert, select

from eventapp import create_app  # noqa: E402
from eventapp.auth.models import User  # noqa: E402
from eventapp.auth.passwords import hash_password  # noqa: E402
from eventapp.core import jobs, mail, sms  # noqa: E402
from eventapp.core.database import utcnow  # noqa: E402
from eventapp.core.extensions import db  # noqa: E402
from eventapp.events.models import County, Event  # noqa: E402
from eventapp.events.places import sync_places  # noqa: E402
from eventapp.notifications import announcements, delivery, messages  # noqa: E402
from eventapp.notifications.models import Delivery, Notification  # noqa: E402
from eventapp.teams.models import APPROVED, Team, TeamMember  # noqa: E402

BATCH = 500  # teams per insert batch
BASE_URL = "https://dawn.example.ir"
ENGLISH_SHARE = 0.2
TRACED_BATCHES = 2  # batches of the second announcement delivered under tracemalloc
TARGET_SECONDS = 600  # a national announcement delivered within 10 minutes
NATIONAL_RECIPIENTS = 15_000

FIRST_NAMES = ["علی", "محمد", "حسین", "رضا", "مهدی", "امیر", "حمید", "سعید", "مصطفی", "جواد",
               "زهرا", "فاطمه", "مریم", "سارا", "نرگس", "معصومه", "لیلا", "سمیه", "کوثر", "ریحانه"]
LAST_NAMES = ["حسینی", "رضایی", "احمدی", "کریمی", "موسوی", "محمدی", "جعفری", "صادقی", "رحیمی", "کاظمی",
              "علیزاده", "قاسمی", "نوری", "مرادی", "یزدانی", "شریفی", "باقری", "هاشمی", "اکبری", "طاهری"]
GROUP_KINDS = ["گروه جهادی", "کانون", "انجمن", "هیئت", "قرارگاه", "مؤسسه", "جمعیت", "حلقه"]
GROUP_NAMES = ["امید", "طلوع", "بصیرت", "سپیده", "ایثار", "نور", "رویش", "همدلی", "آبادانی", "مهر"]
ORGANISATION_TYPES = ["jihadi", "student", "ngo", "other"]

# The announcement: a deadline on the same day, Persian and English, with every placeholder.
DRAFT = {
    "title_fa": "مهلت ارسال نقشه پیشرفت امشب ساعت ۲۴ به پایان می‌رسد",
    "title_en": "The progress map deadline is tonight at midnight",
    "body_fa": ("<p>{name} عزیز، سلام.</p><p>مهلت ارسال نقشه پیشرفت تیم <strong>{team}</strong> در {event} "
                "<strong>امشب ساعت ۲۴</strong> به پایان می‌رسد. نقشه‌ای که تا آن زمان ارسال نشود در داوری "
                "بررسی نمی‌شود.</p><ul><li>همه بخش‌های نقشه را کامل کنید.</li><li>دست کم دو شاخص و دو اقدام "
                "بنویسید.</li><li>پیش از ارسال، پیش‌نمایش را ببینید.</li></ul><p>با آرزوی موفقیت،<br>دبیرخانه "
                "رویداد</p>"),
    "body_en": ("<p>Dear {name},</p><p>The deadline to submit the progress map of <strong>{team}</strong> in "
                "{event} is <strong>tonight at midnight</strong>. A map not submitted by then is not judged.</p>"
                "<ul><li>Complete every section of the map.</li><li>Write at least two indicators and two "
                "actions.</li><li>Look at the preview before you submit.</li></ul><p>Good luck,<br>The event's "
                "secretariat</p>"),
    "audience": "approved",
}


# --- the SMTP server, in a process of its own ---------------------------------------------------

class CountingHandler:
    """aiosmtpd handler: counts connections (EHLO/HELO), messages, recipients and bytes; accepts everything."""

    def __init__(self):
        self.connections = self.messages = self.recipients = self.bytes = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_HELO(self, server, session, envelope, hostname):
        self.connections += 1
        session.host_name = hostname
        return f"250 {server.hostname}"

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        self.recipients += len(envelope.rcpt_tos)
        self.bytes += len(envelope.content)
        return "250 Message accepted for delivery"


def serve_smtp(pipe) -> None:
    """The server process: starts aiosmtpd on a free port, sends the port, then answers "stats" until "stop"."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:  # the controller needs its port before it starts
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = CountingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    pipe.send(port)
    try:
        while True:
            command = pipe.recv()
            if command == "stop":
                break
            pipe.send({"connections": handler.connections, "messages": handler.messages,
                       "recipients": handler.recipients, "bytes": handler.bytes, "cpu_s": time.process_time()})
    finally:
        controller.stop()


class SmtpServer:
    """``with SmtpServer() as server``: ``server.port``, ``server.stats()``; the process stops at the end."""

    def __enter__(self):
        context = multiprocessing.get_context("spawn")  # a clean interpreter: nothing of the app's state
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=serve_smtp, args=(child,), name="bench-smtp", daemon=True)
        self.process.start()
        if not self.pipe.poll(60):
            raise SystemExit("the SMTP server process did not start")
        self.port = self.pipe.recv()
        return self

    def stats(self) -> dict:
        self.pipe.send("stats")
        return self.pipe.recv()

    def __exit__(self, *exc):
        try:
            self.pipe.send("stop")
        except OSError:
            pass
        self.process.join(10)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join()


# --- the database ----------------------------------------------------------------------------

def build_schema() -> tuple[int, int]:
    """Tables, places, an organiser and an event with its phases (submission open); their ids."""
    db.create_all()
    sync_places()
    organiser = add_organiser()
    event = add_event("bench", "رویداد ملی طلوع پیشرفت", "Dawn of Progress national event", "submission")
    db.session.commit()
    return organiser.id, event.id


def load_teams(event_id: int, count: int, members: int) -> None:
    """``count`` approved teams of ``members`` members, each with an account, with Core inserts of 500 teams."""
    rnd = random.Random(SEED)
    counties = [(c.id, c.province_id) for c in db.session.scalars(select(County).order_by(County.id))]
    password_hash = hash_password(PASSWORD)  # one shared hash: Argon2 is slow on purpose
    now = utcnow()
    session = db.session
    for first in range(0, count, BATCH):
        numbers = range(first, min(first + BATCH, count))
        people = [(n * members + m, f"{rnd.choice(FIRST_NAMES)} {rnd.choice(LAST_NAMES)}")
                  for n in numbers for m in range(members)]
        user_ids = session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), [
            {"email": f"member{p}@bench.example.org", "name": name, "mobile": f"0912{p + 1:07d}",
             "password_hash": password_hash, "locale": "en" if rnd.random() < ENGLISH_SHARE else "fa",
             "active": True, "session_version": 1, "created_at": now}
            for p, name in people
        ]).all()
        teams = []
        for n in numbers:
            county_id, province_id = rnd.choice(counties)
            teams.append({
                "event_id": event_id, "name": f"{rnd.choice(GROUP_KINDS)} {rnd.choice(GROUP_NAMES)} {n + 1}",
                "organisation_type": rnd.choice(ORGANISATION_TYPES), "organisation_name": "",
                "province_id": province_id, "county_id": county_id, "introduction": "",
                "contact_email": f"team{n}@bench.example.org", "contact_phone": f"0935{n + 1:07d}",
                "status": APPROVED, "status_reason": "", "screening_selected": False, "created_at": now,
            })
        team_ids = session.scalars(insert(Team).returning(Team.id, sort_by_parameter_order=True), teams).all()
        session.execute(insert(TeamMember), [
            {"team_id": team_ids[i // members], "event_id": event_id, "user_id": user_id, "name": name,
             "mobile": f"0912{p + 1:07d}", "national_id": "", "is_leader": i % members == 0, "joined_at": now}
            for i, (user_id, (p, name)) in enumerate(zip(user_ids, people))
        ])
        session.commit()
    analyze()


# --- the measurements --------------------------------------------------------------------------

class RecordingQueue:
    """Stands in for ``jobs.enqueue``: keeps each job (task, args) and runs nothing."""

    def __init__(self):
        self.jobs: list[tuple] = []
        self._original = None

    def enqueue(self, task, *args, key=None) -> bool:
        self.jobs.append((task, args))
        return True

    def batches(self) -> list[list[int]]:
        """The deliver_batch jobs recorded since the last call, as lists of delivery ids."""
        found = [list(args[0]) for task, args in self.jobs if task is delivery.deliver_batch]
        others = [task.__name__ for task, _args in self.jobs if task is not delivery.deliver_batch]
        if others:
            raise SystemExit(f"unexpected jobs queued: {others}")
        self.jobs = []
        return found

    def __enter__(self):
        self._original, jobs.enqueue = jobs.enqueue, self.enqueue
        return self

    def __exit__(self, *exc):
        jobs.enqueue = self._original


class StatementCounter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _before(self, *args):
        self.count += 1

    def __enter__(self):
        self.count = 0
        sa_event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *exc):
        sa_event.remove(self.engine, "before_cursor_execute", self._before)


class Breakdown:
    """Wraps the steps of ``deliver_batch`` with timers while it is entered (the functions are put back after):

    - ``claim``: from the start of a batch to the end of ``messages.extras_for`` (the claiming UPDATE and its
      commit, the SELECT of the claimed rows, the announcement's row);
    - ``email_render``: ``delivery._email`` (the kind's template, the HTML layout, the MIME message);
    - ``smtp_send``: ``mail._Connection.send`` (smtplib's ``send_message``: MAIL, RCPT, DATA; and the signal);
    - ``sms``: ``delivery._send_sms`` (the SMS text and the log backend);
    - ``rest``: the remainder: opening and closing the SMTP connections, marking every message sent (an
      UPDATE, an INSERT of the attempt and a COMMIT per message) and the loop itself.
    """

    def __init__(self):
        self.seconds = Counter()
        self.calls = Counter()
        self._started = None
        self._saved = []

    def _wrap(self, owner, name, key, after=None):
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                ended = time.perf_counter()
                if after:
                    after(ended)
                else:
                    self.seconds[key] += ended - started
                    self.calls[key] += 1

        self._saved.append((owner, name, original))
        setattr(owner, name, timed)

    def batch_started(self):
        self._started = time.perf_counter()

    def _claimed(self, ended):
        self.seconds["claim"] += ended - self._started
        self.calls["claim"] += 1

    def __enter__(self):
        self._wrap(messages, "extras_for", "claim", after=self._claimed)
        self._wrap(delivery, "_email", "email_render")
        self._wrap(mail._Connection, "send", "smtp_send")
        self._wrap(delivery, "_send_sms", "sms")
        return self

    def __exit__(self, *exc):
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)
        self._saved = []


class SentCounter:
    """Counts the messages the app announces as sent (``mail.message_sent``, ``sms.message_sent``)."""

    def __init__(self):
        self.emails = self.sms = 0

    def _email(self, sender, **extra):
        self.emails += 1

    def _sms(self, sender, **extra):
        self.sms += 1

    def __enter__(self):
        mail.message_sent.connect(self._email)
        sms.message_sent.connect(self._sms)
        return self

    def __exit__(self, *exc):
        mail.message_sent.disconnect(self._email)
        sms.message_sent.disconnect(self._sms)


def _status_mb(field: str) -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def reset_peak_rss() -> bool:
    """Start the peak RSS (VmHWM) again from the current RSS (Linux 4.0+); whether it could."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def ru_maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def new_announcement(app, organiser_id: int, event_id: int, suffix: str = "") -> int:
    with app.app_context():
        organiser, event = db.session.get(User, organiser_id), db.session.get(Event, event_id)
        draft = announcements.Draft(**{**DRAFT, "title_fa": DRAFT["title_fa"] + suffix,
                                       "title_en": DRAFT["title_en"] + suffix})
        announcement = announcements.create(organiser, event, draft, utcnow())
        db.session.commit()
        return announcement.id


def send(app, organiser_id: int, announcement_id: int, queue: RecordingQueue) -> dict:
    """``announcements.send`` with the recording queue: wall, CPU, statements, the batches it queued."""
    with app.app_context():
        organiser = db.session.get(User, organiser_id)
        announcement = db.session.get(announcements.Announcement, announcement_id)
        gc.collect()
        with StatementCounter(db.engine) as counter:
            started, cpu_started = time.perf_counter(), time.process_time()
            recipients = announcements.send(organiser, announcement, utcnow())
            seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    batches = queue.batches()
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "statements": counter.count, "recipients": recipients,
            "batches": batches, "deliveries": sum(len(batch) for batch in batches)}


def deliver(app, batches: list[list[int]], server: SmtpServer, breakdown: Breakdown | None = None) -> dict:
    """Each batch through ``deliver_batch`` in an app context of its own: wall, CPU, statements, server counts."""
    totals = Counter()
    gc.collect()
    with app.app_context():
        engine = db.engine
    server_before = server.stats()
    with StatementCounter(engine) as counter, SentCounter() as sent:
        started, cpu_started = time.perf_counter(), time.process_time()
        for batch in batches:
            if breakdown:
                breakdown.batch_started()
            with app.app_context():
                totals.update(delivery.deliver_batch(batch))
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu_started
    server_after = server.stats()
    smtp = {key: server_after[key] - server_before[key] for key in server_after}
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "statements": counter.count, "counts": dict(totals),
            "emails": sent.emails, "sms": sent.sms, "messages": sent.emails + sent.sms, "batches": len(batches),
            "smtp": smtp}


def outcome(app, announcement_id: int) -> dict:
    """(channel, status) -> deliveries of the announcement, as stored."""
    with app.app_context():
        rows = db.session.execute(select(Delivery.channel, Delivery.status, func.count()).join(Notification).where(
            Notification.announcement_id == announcement_id).group_by(Delivery.channel, Delivery.status)).all()
        return {f"{channel.value}:{status.value}": number for channel, status, number in rows}


def run(args) -> dict:
    out: dict = {}
    with SmtpServer() as server, bench_database(args.database_url, "_bench_notify") as (dialect, url):
        out["dialect"] = dialect
        app = create_app({
            "TESTING": True, "SECRET_KEY": "bench-secret", "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "SERVER_NAME": "localhost",
            "BASE_URL": BASE_URL, "JOBS_BACKEND": "inline",  # jobs.enqueue is replaced by the recorder anyway
            "NOTIFY_BATCH_SIZE": args.batch_size, "SMS_BACKEND": "log",
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": server.port, "MAIL_USE_TLS": False, "MAIL_USE_SSL": False,
            "MAIL_USERNAME": None, "MAIL_PASSWORD": None,
        })
        # Every SMS (and every mail when MAIL_SERVER is unset) is logged at INFO: 15,000 lines would bury the
        # figures and time the terminal. The messages are still rendered and signalled.
        for name in ("eventapp.sms", "eventapp.mail"):
            logging.getLogger(name).setLevel(logging.WARNING)
        try:
            with app.app_context():
                started = time.perf_counter()
                organiser_id, event_id = build_schema()
                load_teams(event_id, args.teams, args.members)
                out["load_s"] = time.perf_counter() - started
                out["users"] = db.session.scalar(select(func.count()).select_from(User))
                out["english"] = db.session.scalar(select(func.count()).select_from(User).where(User.locale == "en"))
            first = new_announcement(app, organiser_id, event_id)
            second = new_announcement(app, organiser_id, event_id, " (2)")

            with RecordingQueue() as queue:
                # 1-2. The timed run: enqueue, then deliver every batch.
                out["load_before"] = os.getloadavg()[0]
                peak_reset = reset_peak_rss()
                rss_before = _status_mb("VmRSS")
                out["enqueue"] = send(app, organiser_id, first, queue)
                with Breakdown() as breakdown:
                    out["deliver"] = deliver(app, out["enqueue"]["batches"], server, breakdown)
                out["breakdown"] = {"seconds": dict(breakdown.seconds), "calls": dict(breakdown.calls)}
                out["rss"] = {"before_mb": rss_before, "peak_mb": _status_mb("VmHWM") if peak_reset else math.nan,
                              "after_mb": _status_mb("VmRSS")}
                out["load_after"] = os.getloadavg()[0]
                out["outcome"] = outcome(app, first)

                # 3. Memory: the second announcement sent, and its first batches delivered, under tracemalloc.
                tracemalloc.start()
                traced = send(app, organiser_id, second, queue)
                out["traced_send_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
                batch_peaks = []
                # Leave at least one batch for the baseline (with a single batch, no batch is traced).
                traced_batches = min(TRACED_BATCHES, len(traced["batches"]) - 1)
                for batch in traced["batches"][:traced_batches]:
                    tracemalloc.reset_peak()
                    base = tracemalloc.get_traced_memory()[0]
                    deliver(app, [batch], server)
                    batch_peaks.append((tracemalloc.get_traced_memory()[1] - base) / 2**20)
                tracemalloc.stop()
                out["traced_batch_peak_mb"] = max(batch_peaks) if batch_peaks else math.nan
                out["second_enqueue_statements"] = traced["statements"]

                # 4. Baseline: one delivery per job (a connection per email), on what of the second is left.
                left = [delivery_id for batch in traced["batches"][traced_batches:] for delivery_id in batch]
                sample = left if args.baseline_sample == 0 else left[:args.baseline_sample]
                out["baseline_load_before"] = os.getloadavg()[0]
                out["baseline"] = deliver(app, [[delivery_id] for delivery_id in sample], server)
                out["baseline_load_after"] = os.getloadavg()[0]
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    out["ru_maxrss_mb"] = ru_maxrss_mb()
    return out


# --- the report --------------------------------------------------------------------------------

def per(a: float, b: float) -> float:
    return a / b if b else math.nan


def rate(part: dict) -> float:
    return per(part["messages"], part["seconds"])


def finite(value):
    """The figures for JSON: NaN (a figure that could not be measured) as null."""
    if isinstance(value, dict):
        return {key: finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [finite(item) for item in value]
    return None if isinstance(value, float) and math.isnan(value) else value


def report(args, result: dict) -> dict:
    enqueue, batched, baseline = result["enqueue"], result["deliver"], result["baseline"]
    recipients = enqueue["recipients"]
    total_s = enqueue["seconds"] + batched["seconds"]
    projected = total_s * NATIONAL_RECIPIENTS / recipients if recipients else math.nan
    batched_rate, baseline_rate = rate(batched), rate(baseline)
    cpu_rate = per(batched["messages"], batched["cpu_seconds"])
    baseline_cpu_rate = per(baseline["messages"], baseline["cpu_seconds"])
    seconds = result["breakdown"]["seconds"]
    rest = batched["seconds"] - sum(seconds.values())
    figures = {
        "database": result["dialect"], "teams": args.teams, "members": args.members, "users": result["users"],
        "recipients": recipients, "deliveries": enqueue["deliveries"], "emails": batched["emails"],
        "sms": batched["sms"], "batch_size": args.batch_size, "batches": batched["batches"],
        "load_s": round(result["load_s"], 2),
        "enqueue_s": round(enqueue["seconds"], 3), "enqueue_cpu_s": round(enqueue["cpu_seconds"], 3),
        "enqueue_statements": enqueue["statements"],
        "deliver_s": round(batched["seconds"], 2), "deliver_cpu_s": round(batched["cpu_seconds"], 2),
        "deliver_statements": batched["statements"], "messages_per_s": round(batched_rate, 1),
        "ms_per_message": round(per(1000, batched_rate), 3), "cpu_ms_per_message": round(per(1000, cpu_rate), 3),
        "smtp_connections": batched["smtp"]["connections"], "smtp_messages": batched["smtp"]["messages"],
        "smtp_server_cpu_s": round(batched["smtp"]["cpu_s"], 2),
        "baseline_messages": baseline["messages"], "baseline_emails": baseline["emails"],
        "baseline_s": round(baseline["seconds"], 2), "baseline_cpu_s": round(baseline["cpu_seconds"], 2),
        "baseline_statements": baseline["statements"], "baseline_messages_per_s": round(baseline_rate, 1),
        "baseline_ms_per_message": round(per(1000, baseline_rate), 3),
        "baseline_cpu_ms_per_message": round(per(1000, baseline_cpu_rate), 3),
        "baseline_smtp_connections": baseline["smtp"]["connections"],
        "ratio": round(per(batched_rate, baseline_rate), 2), "ratio_cpu": round(per(cpu_rate, baseline_cpu_rate), 2),
        "breakdown_ms_per_message": {key: round(per(1000 * value, batched["messages"]), 3)
                                     for key, value in [*seconds.items(), ("rest", rest)]},
        "tracemalloc_send_peak_mb": round(result["traced_send_peak_mb"], 1),
        "tracemalloc_batch_peak_mb": round(result["traced_batch_peak_mb"], 1),
        "peak_rss_mb": round(result["rss"]["peak_mb"], 1), "ru_maxrss_mb": round(result["ru_maxrss_mb"], 1),
        "target_s": TARGET_SECONDS, "enqueue_plus_deliver_s": round(total_s, 2),
        "projected_national_s": round(projected, 1), "met_target": bool(projected <= TARGET_SECONDS),
        "load": [round(result["load_before"], 2), round(result["load_after"], 2)],
    }

    print(f"database: {result['dialect']}; {args.teams} approved teams of {args.members}, {result['users']} accounts "
          f"({result['english']} read English), loaded in {result['load_s']:.1f} s; batch size {args.batch_size}; "
          f"load average {result['load_before']:.2f} -> {result['load_after']:.2f} (baseline "
          f"{result['baseline_load_before']:.2f} -> {result['baseline_load_after']:.2f})")
    print(f"announcement to {recipients} people: {enqueue['deliveries']} deliveries "
          f"({batched['emails']} emails, {batched['sms']} SMS to the log backend) in {batched['batches']} batches; "
          f"stored: {result['outcome']}")
    rows = [
        ("enqueue: send() + commit + dispatch", enqueue["seconds"], enqueue["cpu_seconds"], enqueue["statements"],
         f"{1000 * enqueue['seconds'] / max(1, enqueue['deliveries']):.3f} ms/delivery"),
        (f"deliver: {batched['batches']} batches of {args.batch_size}", batched["seconds"], batched["cpu_seconds"],
         batched["statements"], f"{batched_rate:.0f} msg/s, {per(1000, batched_rate):.2f} ms/msg "
                                f"({per(1000, cpu_rate):.2f} CPU)"),
        (f"baseline: {baseline['messages']} one per job", baseline["seconds"], baseline["cpu_seconds"],
         baseline["statements"], f"{baseline_rate:.0f} msg/s, {per(1000, baseline_rate):.2f} ms/msg "
                                 f"({per(1000, baseline_cpu_rate):.2f} CPU)"),
    ]
    header = f"{'step':<40} {'wall s':>8} {'CPU s':>8} {'statements':>10}  rate"
    print(header)
    print("-" * len(header))
    for name, wall, cpu, statements, note in rows:
        print(f"{name:<40} {wall:>8.2f} {cpu:>8.2f} {statements:>10}  {note}")
    print(f"batched / one per job: {figures['ratio']:.2f}x messages/s (wall), {figures['ratio_cpu']:.2f}x (CPU)")
    smtp, base_smtp = batched["smtp"], baseline["smtp"]
    print(f"SMTP server (own process): batched {smtp['connections']} connections for {smtp['messages']} messages "
          f"({smtp['bytes'] / max(1, smtp['messages']) / 1024:.1f} KB each), {smtp['cpu_s']:.2f} s CPU; "
          f"baseline {base_smtp['connections']} connections for {base_smtp['messages']} messages, "
          f"{base_smtp['cpu_s']:.2f} s CPU")
    calls = result["breakdown"]["calls"]
    parts = ", ".join(f"{key} {per(1000 * value, batched['messages']):.3f} ({calls.get(key, 0)} calls)"
                      for key, value in seconds.items())
    print(f"deliver, ms per message: {parts}, rest {per(1000 * rest, batched['messages']):.3f} "
          f"(connections, the UPDATE + INSERT + COMMIT per message)")
    batch_peak = figures["tracemalloc_batch_peak_mb"]
    batch_peak = "not measured (a single batch)" if math.isnan(batch_peak) else f"{batch_peak} MB"
    print(f"memory: tracemalloc peak of send() {figures['tracemalloc_send_peak_mb']} MB, of one deliver_batch "
          f"{batch_peak}; RSS {result['rss']['before_mb']:.0f} MB before send, peak "
          f"{result['rss']['peak_mb']:.0f} MB during send+deliver (VmHWM); ru_maxrss of the process "
          f"{figures['ru_maxrss_mb']:.0f} MB")
    scale = "" if recipients == NATIONAL_RECIPIENTS else f", {projected:.0f} s scaled to {NATIONAL_RECIPIENTS:,}"
    verdict = "met" if figures["met_target"] else "MISSED"
    print(f"target: {NATIONAL_RECIPIENTS:,} recipients delivered within {TARGET_SECONDS} s by one worker: "
          f"enqueue + deliver {total_s:.1f} s for {recipients:,}{scale}: {verdict}")
    if batched["counts"].get("failed") or batched["counts"].get("retry"):
        print(f"warning: deliveries failed or wait for a retry: {batched['counts']}")
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=5000, help="approved teams (default 5000)")
    parser.add_argument("--members", type=int, default=3, help="members with an account per team (default 3)")
    parser.add_argument("--batch-size", type=int, default=500,
                        help="NOTIFY_BATCH_SIZE: deliveries per job and SMTP connection (default 500)")
    parser.add_argument("--baseline-sample", type=int, default=2000,
                        help="deliveries sent one per job for the baseline (default 2000; 0: all)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server to use, e.g. postgresql://postgres@127.0.0.1:5432/test (a "
                             "database <name>_bench_notify is created and dropped); default: a temporary SQLite file")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object, last")
    args = parser.parse_args(argv)
    if args.teams < 1 or args.members < 1 or args.batch_size < 1 or args.baseline_sample < 0:
        parser.error("--teams, --members and --batch-size must be at least 1, --baseline-sample at least 0")
    figures = report(args, run(args))
    if args.json:
        print(json.dumps(finite(figures), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
