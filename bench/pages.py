"""Benchmark of the key pages under gunicorn, as a share of a hello-world app's; compression, static caching, start-up.

    python bench/pages.py [--teams 5000] [--judges 200] [--per-entry 5] [--winners 500] [--duration 10]
                          [--connections 8] [--wrk-threads 2] [--workers N] [--threads N] [--languages fa,en]
                          [--database-url URL] [--json]
    python bench/pages.py --profile PAGE [PAGE ...] [--profile-requests 20] [--teams ...]

Loads into a database of its own a national event in its results phase with --teams approved teams (members,
a submitted progress map each), a published final round of all of them (--judges judges, --per-entry judges per
entry through ``assign_automatically``, one score per criterion, published through ``services.publish`` with
awards for the top --winners, who become pipeline projects through the app's own signal), three indicators
with six readings per project, reference figures per province, and eleven provincial events in other phases.

Then it starts the app (``wsgi:app``) and a hello-world Flask app (one route returning a short string, written
into a temporary folder) under gunicorn with the project's ``gunicorn.conf.py`` (the same workers and threads
for both), and:

1. start-up: three times each, the wall time from starting gunicorn until the first 200 answer of ``/healthz``
   (the app) or ``/`` (hello world); the median;
2. throughput: ``wrk`` on each key page and language (the session cookie of a visitor who has been on the site
   before, of a judge or of the organiser, signed in through POST /signin; ``lang=en`` for English), and on the
   hello-world app before and after them: requests per second, latency, the servers' CPU per request, and each
   page's share of hello world's requests per second against the goal of 25 %;
3. the organiser's results page of the round: its size (raw and as sent with brotli) and its latency, over
   --results-repeat requests one after the other;
4. compression: Content-Encoding and sizes of HTML, CSS, JS, JSON and SVG for ``Accept-Encoding: br`` and
   ``gzip``; static files: the Cache-Control of every digested address the home page links to and of the fonts
   its stylesheet names, and whether each digest is the content's.

With --profile it builds the same data and, instead of all that, runs pyinstrument over --profile-requests
requests of each named page through the test client (after two warm-up requests; asking for gzip, deflate or br
as wrk does), and prints the profile and the functions with the most time. The environment reaches the app (``PAGE_CACHE_SECONDS=0`` profiles the
rendering of a cached public page).

The default database is a fresh SQLite file in a temporary folder. With a PostgreSQL URL
(``postgresql://postgres@127.0.0.1:5432/test``) the benchmark creates a database of its own named
``<name>_bench_pages`` (``test_bench_pages`` here) on that server and drops it at the end, also after an error:
the named database is never touched.

With --json the last line printed is one JSON object (see bench/README.md).
"""
import argparse
import contextlib
import hashlib
import html
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests  # noqa: E402
from _data import (  # noqa: E402
    ORGANISER_EMAIL,
    PASSWORD,
    SEED,
    TeamLoader,
    add_entries,
    add_event,
    add_final_round,
    add_judges,
    add_organiser,
    add_project_indicators,
    add_reference_indicators,
    write_scores,
)
from databases import analyze, bench_database  # noqa: E402  (bench/ is the script's own folder)
from sqlalchemy import func, select  # noqa: E402

from eventapp import create_app  # noqa: E402
from eventapp.core import jobs  # noqa: E402
from eventapp.core.database import utcnow  # noqa: E402
from eventapp.core.extensions import db  # noqa: E402
from eventapp.events.phases import PHASES  # noqa: E402
from eventapp.events.places import sync_places  # noqa: E402
from eventapp.judging import services as judging  # noqa: E402
from eventapp.judging.enums import Award  # noqa: E402
from eventapp.judging.models import Assignment, Score  # noqa: E402
from eventapp.pipeline import services as pipeline  # noqa: E402
from eventapp.pipeline.models import Project, Reading  # noqa: E402
from eventapp.teams.models import APPROVED, Team  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
SECRET_KEY = "bench-pages-secret"
EVENT_SLUG = "bench"
JUDGE_EMAIL = "judge0@bench.example.org"  # the first judge of add_judges
GOAL_PERCENT = 25.0
IMMUTABLE = "public, max-age=31536000, immutable"
STARTUP_RUNS = 3
HELLO_APP = '''"""Hello world: the baseline of bench/pages.py."""
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, world!"
'''
# Provincial events besides the national one, in other phases: the home page lists a series, not one event.
OTHER_EVENTS = [("yazd", "یزد", "Yazd"), ("fars", "فارس", "Fars"), ("gilan", "گیلان", "Gilan"),
                ("kerman", "کرمان", "Kerman"), ("khuzestan", "خوزستان", "Khuzestan"), ("isfahan", "اصفهان", "Isfahan"),
                ("mazandaran", "مازندران", "Mazandaran"), ("sistan", "سیستان و بلوچستان", "Sistan and Baluchestan"),
                ("ardabil", "اردبیل", "Ardabil"), ("hormozgan", "هرمزگان", "Hormozgan"), ("kurdistan", "کردستان", "Kurdistan")]


@dataclass(frozen=True)
class Page:
    """A key page: its address (filled with the ids of the data) and who asks for it."""
    path: str
    who: str  # "visitor", "judge" or "organiser"


PAGES = {
    "home": Page("/", "visitor"),
    "event": Page("/events/{slug}", "visitor"),
    "results": Page("/events/{slug}/results", "visitor"),
    "observatory": Page("/observatory", "visitor"),
    "judge": Page("/judging", "judge"),
    "teams": Page("/organiser/events/{event_id}/teams", "organiser"),
}
# Too slow for wrk at 5,000 entries (and with its own goal): its size and latency, request after request.
ORGANISER_RESULTS = Page("/organiser/rounds/{round_id}/results", "organiser")
PROFILED = {**PAGES, "organiser_results": ORGANISER_RESULTS}


# --- the data ----------------------------------------------------------------------------------

@contextlib.contextmanager
def jobs_not_run():
    """The mails and SMS the loading tells people of are stored in the outbox but never sent (no worker, no
    thread competing with the measurements)."""
    original = jobs.enqueue
    jobs.enqueue = lambda task, *args, key=None: True
    try:
        yield
    finally:
        jobs.enqueue = original


def build(args) -> dict:
    """Every row of the benchmark; the ids and counts the pages and the report need."""
    timings = {}
    started = time.perf_counter()
    db.create_all()
    sync_places()
    pipeline.ensure_stages()
    organiser = add_organiser()
    event = add_event(EVENT_SLUG, "رویداد ملی طلوع پیشرفت ۱۴۰۴", "Dawn of Progress national event 1404", "results")
    for number, (slug, name_fa, name_en) in enumerate(OTHER_EVENTS):
        add_event(f"bench-{slug}", f"رویداد استانی {name_fa}", f"{name_en} provincial event",
                  PHASES[number % len(PHASES)])
    db.session.commit()
    timings["schema_s"] = time.perf_counter() - started

    started = time.perf_counter()
    TeamLoader(event.id, statuses=[(APPROVED, 1)], submitted_share=1.0).load(0, args.teams)
    timings["teams_s"] = time.perf_counter() - started

    started = time.perf_counter()
    now = utcnow()
    judging_phase = next(phase for phase in event.phases if phase.kind == "judging")
    round_ = add_final_round(organiser, event, args.per_entry, judging_phase.starts_at, judging_phase.ends_at)
    add_entries(round_.id, db.session.scalars(select(Team.id).where(Team.event_id == event.id)
                                              .order_by(Team.id)).all())
    add_judges(round_.id, args.judges)
    db.session.commit()
    analyze()
    judging.assign_automatically(organiser, round_, now)
    db.session.commit()
    analyze()
    timings["assignments_s"] = time.perf_counter() - started
    started = time.perf_counter()
    write_scores(round_.id)
    timings["scores_s"] = time.perf_counter() - started

    started = time.perf_counter()
    board = judging.compute_leaderboard(round_)
    awards = {row.team.id: row.award or Award.HONOURABLE for row in board.rows[:args.winners]}
    judging.publish(organiser, round_, awards, utcnow())
    db.session.commit()  # the receivers make the winners' projects after the commit
    timings["publish_s"] = time.perf_counter() - started

    started = time.perf_counter()
    project_ids = db.session.scalars(select(Project.id).order_by(Project.id)).all()
    add_project_indicators(project_ids, random.Random(SEED), utcnow())
    db.session.commit()
    add_reference_indicators(random.Random(SEED + 2))
    timings["pipeline_s"] = time.perf_counter() - started

    def count(model) -> int:
        return db.session.scalar(select(func.count()).select_from(model))

    return {"event_id": event.id, "round_id": round_.id, "teams": count(Team), "entries": len(board.rows),
            "judges": args.judges, "assignments": count(Assignment), "scores": count(Score),
            "projects": len(project_ids), "readings": count(Reading), "timings": timings}


def page_path(page: Page, site: dict) -> str:
    return page.path.format(slug=EVENT_SLUG, event_id=site["event_id"], round_id=site["round_id"])


# --- signing in --------------------------------------------------------------------------------

_CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(page: str) -> str:
    found = _CSRF.search(page)
    if not found:
        raise SystemExit("no csrf_token field on the sign-in page")
    return found.group(1)


def cookie_header(base: str, who: str) -> str:
    """The Cookie header of a browser that has been on the site: a visitor's (the session a first page gives),
    or that of the judge or the organiser, signed in through the sign-in form."""
    browser = requests.Session()
    if who == "visitor":
        browser.get(f"{base}/", timeout=60).raise_for_status()
    else:
        form = browser.get(f"{base}/signin", timeout=60)
        email = ORGANISER_EMAIL if who == "organiser" else JUDGE_EMAIL
        answer = browser.post(f"{base}/signin", timeout=60, allow_redirects=False, data={
            "csrf_token": csrf_token(form.text), "email": email, "password": PASSWORD})
        if answer.status_code != 302:
            raise SystemExit(f"signing in as {email} answered {answer.status_code}")
    return "; ".join(f"{cookie.name}={cookie.value}" for cookie in browser.cookies)


def language_headers(cookies: str, language: str) -> dict:
    """What a browser reading ``language`` sends (the app follows the ``lang`` cookie; fa is its default)."""
    cookie = f"{cookies}; lang={language}" if cookies else f"lang={language}"
    return {"Cookie": cookie, "Accept-Language": language, "Accept-Encoding": "gzip, deflate, br"}


# --- gunicorn ----------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """``gunicorn -c gunicorn.conf.py APP`` in ``folder``, bound to a free local port; stopped on exit."""

    def __init__(self, name: str, app: str, folder: Path, env: dict, log_folder: Path):
        self.name, self.app, self.folder = name, app, folder
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "BIND": f"127.0.0.1:{self.port}"}
        self.log_path = log_folder / f"{name}.log"
        self.process = None

    def start(self) -> float:
        """Starts the server; the perf_counter at the start."""
        log = self.log_path.open("ab")
        started = time.perf_counter()
        self.process = subprocess.Popen([str(GUNICORN), "-c", str(GUNICORN_CONF), "--chdir", str(self.folder),
                                         self.app], env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        return started

    def wait_ready(self, path: str, timeout: float = 120.0) -> float:
        """The perf_counter of the first 200 answer to ``path``."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.name}: gunicorn ended with {self.process.returncode}:\n{self.log_tail()}")
            try:
                # Once the port is bound, the request waits in the listen queue until a worker takes it.
                if requests.get(self.base + path, timeout=(0.2, timeout)).status_code == 200:
                    return time.perf_counter()
            except requests.ConnectionError:
                pass
            except requests.Timeout:
                continue
            time.sleep(0.01)
        raise SystemExit(f"{self.name}: no answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def cpu_seconds(self) -> float:
        """CPU time of the master and its workers, living and ended (the master's cutime/cstime)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, ppid = int(stat.parent.name), int(fields[1])
            if pid == self.process.pid:
                total += sum(int(value) for value in fields[11:15]) / ticks  # utime, stime, cutime, cstime
            elif ppid == self.process.pid:
                total += (int(fields[11]) + int(fields[12])) / ticks
        return total

    def worker_boots(self) -> int:
        """Workers booted so far (gunicorn.conf.py restarts each after max_requests: an import of the app)."""
        try:
            return self.log_path.read_text(errors="replace").count("Booting worker")
        except OSError:
            return 0

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def startup_seconds(server: Gunicorn, path: str) -> float:
    started = server.start()
    try:
        return server.wait_ready(path) - started
    finally:
        server.stop()


def import_cost(server: Gunicorn) -> tuple[float, float]:
    """(wall, CPU) seconds of a fresh interpreter importing the server's app: what each worker does at start."""
    module, name = server.app.split(":")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", f"from {module} import {name}"], cwd=server.folder, env=server.env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"{server.name}: importing {server.app} failed:\n{done.stderr[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


# --- wrk ---------------------------------------------------------------------------------------

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}
_SIZES = {"B": 1, "KB": 1024, "MB": 1024 ** 2, "GB": 1024 ** 3}


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output: str) -> dict:
    """Requests per second, latency percentiles (ms), bytes per response and errors from wrk's report."""
    def find(pattern: str, default=None):
        found = re.search(pattern, output, re.MULTILINE)
        if found is None and default is None:
            raise SystemExit(f"wrk's report has no {pattern!r}:\n{output}")
        return found.groups() if found else default

    requests_done = int(find(r"(\d+) requests in")[0])
    transfer, unit = find(r"Transfer/sec:\s+([\d.]+)(\w+)")
    rps = float(find(r"Requests/sec:\s+([\d.]+)")[0])
    errors = sum(int(n) for n in find(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                                      ("0",) * 4))
    return {
        "rps": rps, "requests": requests_done,
        **{f"p{share}_ms": _milliseconds(find(rf"^\s+{share}%\s+(\S+)\s*$")[0]) for share in (50, 90, 99)},
        "bytes_per_response": float(transfer) * _SIZES[unit] / rps if rps else 0.0,
        "errors": errors + int(find(r"Non-2xx or 3xx responses: (\d+)", ("0",))[0]),
    }


def run_wrk(args, url: str, headers: dict, seconds: float) -> str:
    command = ["wrk", f"-t{args.wrk_threads}", f"-c{args.connections}", f"-d{seconds}s", "--latency",
               "--timeout", "30s", *[part for name, value in headers.items() for part in ("-H", f"{name}: {value}")],
               url]
    return subprocess.run(command, check=True, capture_output=True, text=True).stdout


def measure(args, server: Gunicorn, path: str, headers: dict) -> dict:
    """A warm-up run, then the measured run of wrk on one address, with the server's CPU over it."""
    check = requests.get(server.base + path, headers=headers, allow_redirects=False, timeout=120)
    if check.status_code != 200:
        raise SystemExit(f"{server.name} GET {path} answered {check.status_code} (signed in?): {check.text[:500]}")
    if args.warmup:
        run_wrk(args, server.base + path, headers, args.warmup)
    cpu_before, boots_before = server.cpu_seconds(), server.worker_boots()
    figures = parse_wrk(run_wrk(args, server.base + path, headers, args.duration))
    cpu = server.cpu_seconds() - cpu_before
    figures["worker_boots"] = server.worker_boots() - boots_before
    figures["cpu_ms_per_request"] = cpu * 1000 / figures["requests"] if figures["requests"] else float("nan")
    return figures


# --- organiser results, compression, static files ------------------------------------------------

def timed_page(base: str, path: str, headers: dict, repeat: int) -> dict:
    """Size (raw, as sent) and latency of ``repeat`` requests one after the other."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer = requests.get(base + path, headers=headers, allow_redirects=False, timeout=600, stream=True)
        sent = len(answer.raw.read(decode_content=False))
        samples.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise SystemExit(f"GET {path} answered {answer.status_code}")
    raw = len(requests.get(base + path, headers={**headers, "Accept-Encoding": "identity"}, timeout=600).content)
    return {"median_s": statistics.median(samples), "samples_s": samples, "kb": raw / 1024, "sent_kb": sent / 1024,
            "encoding": answer.headers.get("Content-Encoding", "")}


def linked_static(base: str, home: str) -> list[str]:
    """The static addresses the home page links to, and those its stylesheets name (the fonts)."""
    found = [html.unescape(url) for url in re.findall(r'(?:href|src)="(/static/[^"]+)"', home)]
    for url in list(found):
        if url.split("?")[0].endswith(".css"):
            css = requests.get(base + url, timeout=60).text
            found += [urljoin(url, ref) for ref in re.findall(r"""url\(["']?([^"')]+)["']?\)""", css)
                      if not ref.startswith(("data:", "http"))]
    return list(dict.fromkeys(found))


def static_caching(base: str, home: str) -> list[dict]:
    rows = []
    for url in linked_static(base, home):
        answer = requests.get(base + url, headers={"Accept-Encoding": "identity"}, timeout=60)
        digest = re.search(r"[?&]v=([0-9a-f]+)", url)
        rows.append({
            "url": url, "status": answer.status_code, "cache_control": answer.headers.get("Cache-Control", ""),
            "digested": bool(digest),
            "content_hashed": bool(digest) and hashlib.sha256(answer.content).hexdigest().startswith(digest.group(1)),
        })
    return rows


def compression(base: str, home: str) -> dict:
    """For HTML, CSS, JS, JSON and SVG: the raw size, and the encoding and size sent for br and for gzip."""
    static = linked_static(base, home)

    def first(suffix: str) -> str:
        return next((url for url in static if url.split("?")[0].endswith(suffix)), f"/static/missing{suffix}")

    addresses = {"html": "/", "css": first(".css"), "js": first(".js"), "json": "/api/v1/openapi.json",
                 "svg": first(".svg")}
    found = {}
    for kind, url in addresses.items():
        plain = requests.get(base + url, headers={"Accept-Encoding": "identity"}, timeout=60)
        row = {"url": url, "type": plain.headers.get("Content-Type", "").split(";")[0], "raw_bytes": len(plain.content)}
        for encoding in ("br", "gzip"):
            answer = requests.get(base + url, headers={"Accept-Encoding": encoding}, timeout=60, stream=True)
            row[encoding] = {"encoding": answer.headers.get("Content-Encoding", ""),
                             "bytes": len(answer.raw.read(decode_content=False))}
        found[kind] = row
    return found


# --- the run -----------------------------------------------------------------------------------

def server_env(url: str) -> dict:
    """The app's environment under gunicorn: this one, with the bench's database and key, and no ticker thread
    (where cron would run ``flask notifications send-due``)."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "NOTIFY_TICKER": "0"}
    env.setdefault("APP_ENV", "development")  # plain HTTP: cookies without Secure
    return env


def gunicorn_env(args, env: dict) -> dict:
    if args.workers:
        env = {**env, "WEB_CONCURRENCY": str(args.workers)}
    if args.threads:
        env = {**env, "GUNICORN_THREADS": str(args.threads)}
    return env


def serve_and_measure(args, url: str, site: dict) -> dict:
    out = {"load": [os.getloadavg()[0]]}
    with tempfile.TemporaryDirectory(prefix="bench-pages-") as folder:
        folder = Path(folder)
        (folder / "hello.py").write_text(HELLO_APP)
        app = Gunicorn("app", "wsgi:app", ROOT, gunicorn_env(args, server_env(url)), folder)
        hello = Gunicorn("hello", "hello:app", folder, gunicorn_env(args, dict(os.environ)), folder)
        try:
            startup = {"app": [], "hello": [], "app_import": [], "hello_import": []}
            for _ in range(STARTUP_RUNS):
                startup["app"].append(startup_seconds(app, "/healthz"))
                startup["hello"].append(startup_seconds(hello, "/"))
                startup["app_import"].append(import_cost(app))
                startup["hello_import"].append(import_cost(hello))
            out["startup"] = startup
            print(f"start-up, {STARTUP_RUNS} runs each: app {fmt_list(startup['app'])} s, "
                  f"hello world {fmt_list(startup['hello'])} s", flush=True)

            for server, path in ((app, "/healthz"), (hello, "/")):
                server.start()
                server.wait_ready(path)
            cookies = {who: cookie_header(app.base, who) for who in ("visitor", "judge", "organiser")}
            plain = {"Accept-Encoding": "gzip, deflate, br"}
            out["hello"] = [measure(args, hello, "/", plain)]
            print(f"hello world: {out['hello'][0]['rps']:.0f} requests/s", flush=True)
            out["pages"] = {}
            for name, page in PAGES.items():
                for language in args.languages:
                    figures = measure(args, app, page_path(page, site), language_headers(cookies[page.who], language))
                    out["pages"].setdefault(name, {})[language] = figures
                    print(f"{name} ({language}): {figures['rps']:.1f} requests/s", flush=True)
            out["hello"].append(measure(args, hello, "/", plain))
            print(f"hello world again: {out['hello'][1]['rps']:.0f} requests/s", flush=True)

            out["organiser_results"] = timed_page(app.base, page_path(ORGANISER_RESULTS, site),
                                                  language_headers(cookies["organiser"], "fa"), args.results_repeat)
            home = requests.get(app.base + "/", timeout=60).text
            out["compression"] = compression(app.base, home)
            out["static"] = static_caching(app.base, home)
            out["load"].append(os.getloadavg()[0])
        finally:
            app.stop()
            hello.stop()
    return out


def profile_pages(args, app, site: dict) -> None:
    from pyinstrument import Profiler

    clients = {"visitor": app.test_client()}
    for who, email in (("judge", JUDGE_EMAIL), ("organiser", ORGANISER_EMAIL)):
        client = app.test_client()
        form = client.get("/signin").get_data(as_text=True)
        answer = client.post("/signin", data={"csrf_token": csrf_token(form), "email": email, "password": PASSWORD})
        if answer.status_code != 302:
            raise SystemExit(f"signing in as {email} answered {answer.status_code}")
        clients[who] = client
    names = list(PROFILED) if "all" in args.profile else args.profile
    for name in names:
        page = PROFILED[name]
        client, path = clients[page.who], page_path(page, site)
        client.set_cookie("lang", args.languages[0])
        for _ in range(2):
            client.get(path)
        profiler = Profiler(interval=0.0005)
        started_cpu = time.process_time()
        profiler.start()
        for _ in range(args.profile_requests):
            answer = client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})  # as wrk asks
            if answer.status_code != 200:
                raise SystemExit(f"GET {path} answered {answer.status_code}")
        profiler.stop()
        cpu_ms = (time.process_time() - started_cpu) * 1000 / args.profile_requests
        print(f"\n=== profile: {name} ({args.languages[0]}) {path}: {args.profile_requests} requests, "
              f"{cpu_ms:.1f} ms CPU each, {len(answer.data) / 1024:.0f} KB sent")
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        print_top_costs(profiler.last_session.root_frame(), args.profile_requests)


def print_top_costs(root, requests_count: int, count: int = 15) -> None:
    """The functions with the most self time, and the project's functions and templates with the most time
    inside them (each counted once per stack), in ms per request."""
    own, inside = {}, {}

    def walk(frame, on_stack: frozenset) -> None:
        if frame.is_synthetic:  # "[self]" and the like: already in their parent's total_self_time
            return
        key = f"{frame.function} {frame.file_path_short}:{frame.line_no}"
        own[key] = own.get(key, 0.0) + frame.total_self_time
        project = frame.file_path and (str(ROOT / "eventapp") in frame.file_path
                                       or str(ROOT / "templates") in frame.file_path)
        if project and key not in on_stack:
            inside[key] = inside.get(key, 0.0) + frame.time
        for child in frame.children:
            walk(child, on_stack | {key})

    if root is None:
        return
    walk(root, frozenset())
    for title, table in (("self time", own), ("time inside the project's functions and templates", inside)):
        print(f"-- top {count} by {title}, ms per request")
        for key, seconds in sorted(table.items(), key=lambda item: -item[1])[:count]:
            print(f"{seconds * 1000 / requests_count:9.2f}  {key}")


def compression_verdict(row: dict, settings: dict) -> str:
    if all(row[encoding]["encoding"] == encoding for encoding in ("br", "gzip")):
        return "compressed"
    if row["raw_bytes"] < settings["min_size"] and row["type"] in settings["mimetypes"] \
            and not row["br"]["encoding"] and not row["gzip"]["encoding"]:
        return f"sent as is: under COMPRESS_MIN_SIZE ({settings['min_size']} bytes), its type is compressed above"
    return "MISSED"


def fmt_list(values: list[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)


def run(args) -> dict | None:
    with bench_database(args.database_url, "_bench_pages") as (dialect, url):
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY, "NOTIFY_TICKER": False})
        try:
            with app.app_context(), jobs_not_run():
                site = build(args)
            times = site["timings"]
            print(f"database: {dialect}; {site['teams']} teams, {site['entries']} entries, {site['judges']} judges, "
                  f"{site['assignments']} assignments, {site['scores']} scores, {site['projects']} projects, "
                  f"{site['readings']} readings; loaded in {sum(times.values()):.1f} s ("
                  + ", ".join(f"{name.removesuffix('_s')} {seconds:.1f}" for name, seconds in times.items()) + ")",
                  flush=True)
            if args.profile:
                with jobs_not_run():
                    profile_pages(args, app, site)
                return None
            with app.app_context():
                db.session.remove()
                db.engine.dispose()  # the servers open their own connections
            measured = serve_and_measure(args, url, site)
            measured["compress_settings"] = {"min_size": app.config["COMPRESS_MIN_SIZE"],
                                             "mimetypes": app.config["COMPRESS_MIMETYPES"]}
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    return {"dialect": dialect, "site": site, **measured}


def commit_state() -> dict:
    def git(*command) -> str:
        return subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    changed = git("status", "--short").splitlines()
    return {"commit": git("log", "--oneline", "-1"), "changed_files": len(changed)}


def report(args, result: dict) -> dict:
    hello_rps = statistics.mean(run["rps"] for run in result["hello"])
    hello_cpu = statistics.mean(run["cpu_ms_per_request"] for run in result["hello"])
    site, state = result["site"], commit_state()
    pages = {}
    for name, by_language in result["pages"].items():
        pages[name] = {}
        for language, figures in by_language.items():
            pages[name][language] = {
                **{key: round(value, 2) for key, value in figures.items() if key != "requests"},
                "percent_of_hello": round(100 * figures["rps"] / hello_rps, 1),
                "cpu_percent_of_hello": round(100 * hello_cpu / figures["cpu_ms_per_request"], 1),
            }
    worst = {name: min(by["percent_of_hello"] for by in pages[name].values()) for name in pages}
    startup = result["startup"]
    results_page = result["organiser_results"]
    statics = result["static"]
    compressed = {kind: {**row, "verdict": compression_verdict(row, result["compress_settings"])}
                  for kind, row in result["compression"].items()}
    figures = {
        "database": result["dialect"], "teams": site["teams"], "entries": site["entries"], "judges": site["judges"],
        "assignments": site["assignments"], "scores": site["scores"], "projects": site["projects"],
        "commit": state["commit"], "changed_files": state["changed_files"],
        "workers": args.workers or "gunicorn.conf.py", "threads": args.threads or "gunicorn.conf.py",
        "wrk": f"-t{args.wrk_threads} -c{args.connections} -d{args.duration}s",
        "hello_rps": [round(run["rps"], 1) for run in result["hello"]],
        "hello_cpu_ms_per_request": round(hello_cpu, 3),
        "pages": pages, "goal_percent": GOAL_PERCENT,
        "goal_met": {name: value >= GOAL_PERCENT for name, value in worst.items()},
        "organiser_results": {"kb": round(results_page["kb"], 1), "sent_kb": round(results_page["sent_kb"], 1),
                              "encoding": results_page["encoding"], "median_s": round(results_page["median_s"], 3),
                              "goal_met": results_page["kb"] <= 150 and results_page["median_s"] <= 0.3},
        "compression": compressed,
        "compression_ok": all(row["verdict"] != "MISSED" for row in compressed.values()),
        "static": {"checked": len(statics), "immutable": sum(row["cache_control"] == IMMUTABLE for row in statics),
                   "content_hashed": sum(row["content_hashed"] for row in statics)},
        "startup_s": {"app": round(statistics.median(startup["app"]), 2),
                      "hello": round(statistics.median(startup["hello"]), 2)},
        "import_s": {name: {"wall": round(statistics.median(wall for wall, _cpu in startup[f"{name}_import"]), 2),
                            "cpu": round(statistics.median(cpu for _wall, cpu in startup[f"{name}_import"]), 2)}
                     for name in ("app", "hello")},
        "startup_goal_met": statistics.median(startup["app"]) <= 2.0,
        "load": [round(value, 2) for value in result["load"]],
    }

    print(f"\ncode: {state['commit']} with {state['changed_files']} files changed or new in the working tree; "
          f"gunicorn workers {figures['workers']}, threads {figures['threads']}; wrk {figures['wrk']}; "
          f"load average {figures['load'][0]} at the start, {figures['load'][1]} at the end")
    print(f"hello world: {fmt_list(figures['hello_rps'])} requests/s (before, after the pages), "
          f"{hello_cpu:.3f} ms of server CPU per request, "
          f"{' and '.join(str(run['worker_boots']) for run in result['hello'])} workers booted during the runs")
    header = (f"{'page':<12} {'lang':<4} {'req/s':>8} {'% hello':>8} {'p50 ms':>8} {'p99 ms':>8} "
              f"{'CPU ms/req':>10} {'CPU % hello':>11} {'KB sent':>8} {'errors':>6} {'boots':>5}  "
              f"goal ≥ {GOAL_PERCENT:.0f} %")
    print(header)
    print("-" * len(header))
    for name, by_language in pages.items():
        for language, row in by_language.items():
            verdict = "met" if row["percent_of_hello"] >= GOAL_PERCENT else "MISSED"
            print(f"{name:<12} {language:<4} {row['rps']:>8.1f} {row['percent_of_hello']:>8.1f} {row['p50_ms']:>8.1f} "
                  f"{row['p99_ms']:>8.1f} {row['cpu_ms_per_request']:>10.2f} {row['cpu_percent_of_hello']:>11.1f} "
                  f"{row['bytes_per_response'] / 1024:>8.1f} {row['errors']:>6} {row['worker_boots']:>5}  {verdict}")
    shown = figures["organiser_results"]
    print(f"\norganiser results page ({site['entries']} entries): {shown['kb']:.0f} KB of HTML, {shown['sent_kb']:.0f} KB "
          f"sent ({shown['encoding'] or 'not compressed'}); {shown['median_s']:.2f} s median of "
          f"{fmt_list(results_page['samples_s'])} s; goal ≤ 150 KB and ≤ 0.3 s: "
          f"{'met' if shown['goal_met'] else 'MISSED'}")

    print("\ncompression (bytes)")
    for kind, row in figures["compression"].items():
        print(f"  {kind:<5} raw {row['raw_bytes']:>8}  br: {row['br']['encoding'] or '-':<5} {row['br']['bytes']:>8}  "
              f"gzip: {row['gzip']['encoding'] or '-':<5} {row['gzip']['bytes']:>8}  {row['url']}: {row['verdict']}")
    print(f"  every kind compressed as asked (or too small to be worth it): "
          f"{'met' if figures['compression_ok'] else 'MISSED'}")
    print(f"\nstatic files linked from the home page and its stylesheet: {len(statics)}; "
          f"'{IMMUTABLE}': {figures['static']['immutable']}; digest = content: {figures['static']['content_hashed']}")
    for row in statics:
        flag = "" if row["cache_control"] == IMMUTABLE and row["content_hashed"] else "  <- MISSED"
        print(f"  {row['status']} {row['cache_control'] or '(no Cache-Control)':<40} {row['url']}{flag}")
    print(f"\nstart-up to the first 200 answer, median of {STARTUP_RUNS}: app {figures['startup_s']['app']:.2f} s "
          f"(/healthz), hello world {figures['startup_s']['hello']:.2f} s; goal ≤ 2 s: "
          f"{'met' if figures['startup_goal_met'] else 'MISSED'}")
    imports = figures["import_s"]
    print(f"  importing the app in a fresh interpreter (each worker does): {imports['app']['wall']:.2f} s, "
          f"{imports['app']['cpu']:.2f} s CPU; hello world {imports['hello']['wall']:.2f} s, "
          f"{imports['hello']['cpu']:.2f} s CPU")
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=5000, help="approved teams, all entries of the final round")
    parser.add_argument("--judges", type=int, default=200, help="judges of the final round (default 200)")
    parser.add_argument("--per-entry", type=int, default=5, help="judges per entry (default 5)")
    parser.add_argument("--winners", type=int, default=500, help="entries with an award, each a project (500)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page and language (10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of wrk before each measured run (2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--wrk-threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=None,
                        help="gunicorn workers of both apps (default: gunicorn.conf.py's, 2 × cores + 1)")
    parser.add_argument("--threads", type=int, default=None,
                        help="threads per gunicorn worker of both apps (default: gunicorn.conf.py's, 2)")
    parser.add_argument("--languages", type=lambda text: text.split(","), default=["fa", "en"],
                        help="comma-separated: fa,en (default); the first is the profiled one")
    parser.add_argument("--results-repeat", type=int, default=3, help="requests of the organiser results page (3)")
    parser.add_argument("--profile", nargs="+", choices=[*PROFILED, "all"], default=None,
                        help="profile these pages through the test client instead of serving them")
    parser.add_argument("--profile-requests", type=int, default=20, help="requests per profiled page (20)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server to use, e.g. postgresql://postgres@127.0.0.1:5432/test "
                             "(a database <name>_bench_pages is created and dropped); default: a temporary SQLite file")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object, last")
    args = parser.parse_args(argv)
    if args.teams < 10 or args.judges < args.per_entry or not 1 <= args.per_entry <= 20 or args.duration < 1:
        parser.error("--teams at least 10, --per-entry from 1 to 20 and at most --judges, --duration at least 1")
    if set(args.languages) - {"fa", "en"}:
        parser.error("--languages: fa, en or both")
    if not args.profile and not GUNICORN.exists():
        parser.error(f"{GUNICORN} is missing: make setup")
    if not args.profile and shutil.which("wrk") is None:
        parser.error("wrk is missing: apt-get install -y wrk")
    result = run(args)
    if result is None:
        return 0
    figures = report(args, result)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
