"""Benchmark of the organisers' team list and map list with many teams.

    python bench/teams_pages.py [--teams 5000] [--repeat 15] [--database-url URL] [--json] [--show-sql]

Loads one event with N teams (Persian names, 3-6 members each, a progress map each with two
indicators and two actions) into a database of its own, signs an organiser in through the real app
and times five pages with the test client: the team list (first page, a status and province filter,
a search typed with Arabic ي), and the map list (first page, submitted maps only). For each page it
prints the median and 90th percentile of the wall time over --repeat requests (after one warm-up)
and the number of SQL statements one request runs, both with the first 50 teams loaded and with all
N: the two counts must be equal.

The default database is a fresh SQLite file in a temporary folder. With a PostgreSQL URL
(``postgresql://postgres@127.0.0.1:5432/test``) the benchmark creates a database of its own named
``<name>_bench`` (``test_bench`` here) on that server, and drops it at the end: the tables of the
named database are never touched. On PostgreSQL the tables are ANALYZEd after each load, as
autovacuum would do shortly after a real bulk import.

With --json the last line printed is one JSON object:
{"database": "sqlite"|"postgresql", "teams": N, "load_seconds": s,
 "pages": {name: {"median_ms": ..., "p90_ms": ..., "queries": n, "queries_at_50": n}}}
"""
import argparse
import json
import math
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from databases import bench_database  # noqa: E402  (bench/ is the script's own folder)
from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import func, insert, select, text

from eventapp import create_app  # noqa: E402
from eventapp.auth.models import RoleGrant, User  # noqa: E402
from eventapp.auth.passwords import hash_password  # noqa: E402
from eventapp.core.database import utcnow  # noqa: E402
from eventapp.core.extensions import db  # noqa: E402
from eventapp.events.models import County, Event, Phase, Province  # noqa: E402
from eventapp.events.phases import PHASES  # noqa: E402
from eventapp.events.places import sync_places  # noqa: E402
from eventapp.teams.models import (  # noqa: E402
    APPROVED,
    DRAFT,
    PENDING,
    REJECTED,
    SUBMITTED,
    WITHDRAWN,
    Indicator,
    MapAction,
    ProgressMap,
    Team,
    TeamMember,
)

SMALL = 50  # teams loaded before the first measurement of the query counts
BATCH = 500  # teams per insert batch
PASSWORD = "bench password"
ORGANISER_EMAIL = "organiser@bench.example.org"
SEED = 1405

# Persian words combined into team, organisation and member names.
GROUP_KINDS = ["گروه جهادی", "کانون", "انجمن", "هیئت", "قرارگاه", "مؤسسه", "جمعیت", "حلقه"]
GROUP_NAMES = ["امید", "طلوع", "بصیرت", "سپیده", "ایثار", "نور", "رویش", "همدلی", "آبادانی", "مهر",
               "شهید باکری", "شهید همت", "فجر", "کوثر", "سرو", "البرز", "یاس", "ریحانه", "صبح", "بهار"]
GROUP_PLACES = ["روستا", "محله", "دانشگاه", "مسجد", "بسیج", "دانشجویی", "جوانان", "بانوان", "خیریه", "کشاورزان"]
ORGANISATIONS = ["بسیج سازندگی", "جهاد دانشگاهی", "انجمن اسلامی دانشجویان", "هلال احمر", "کانون فرهنگی",
                 "مؤسسه خیریه", "شورای محله", "گروه مردمی"]
FIRST_NAMES = ["علی", "محمد", "حسین", "رضا", "مهدی", "امیر", "حمید", "سعید", "مصطفی", "جواد",
               "زهرا", "فاطمه", "مریم", "سارا", "نرگس", "معصومه", "لیلا", "سمیه", "کوثر", "ریحانه"]
LAST_NAMES = ["حسینی", "رضایی", "احمدی", "کریمی", "موسوی", "محمدی", "جعفری", "صادقی", "رحیمی", "کاظمی",
              "علیزاده", "قاسمی", "نوری", "مرادی", "یزدانی", "شریفی", "باقری", "هاشمی", "اکبری", "طاهری"]
TOPICS = ["آب و کشاورزی", "اشتغال جوانان", "آموزش کودکان", "سلامت خانواده", "گردشگری روستایی",
          "صنایع دستی", "مدیریت پسماند", "انرژی خورشیدی"]
TEAM_STATUS_WEIGHTS = [(PENDING, 35), (APPROVED, 45), (REJECTED, 12), (WITHDRAWN, 8)]
ORGANISATION_TYPES = ["jihadi", "student", "ngo", "other"]

# name -> (path under the event, query string)
PAGES = {
    "teams_first_page": ("teams", {}),
    "teams_filtered": ("teams", {"status": "approved", "province": None}),  # province filled in later
    "teams_search": ("teams", {"q": "علي"}),  # typed with the Arabic yeh; the app searches for علی
    "maps_first_page": ("maps", {}),
    "maps_submitted": ("maps", {"status": "submitted"}),
}


# --- the database ----------------------------------------------------------------------------

def build_schema() -> int:
    """Tables, places, an organiser and an event with its phases; the event's id."""
    db.create_all()
    sync_places()
    organiser = User(email=ORGANISER_EMAIL, name="سازمان‌دهنده آزمون", mobile="09120000000",
                     password_hash=hash_password(PASSWORD))
    organiser.role_grants.append(RoleGrant(role="organiser"))
    now = utcnow()
    event = Event(slug="bench", title_fa="رویداد ملی طلوع پیشرفت", title_en="Dawn of Progress national event")
    # Back-to-back phases of ten days, the submission phase open now.
    start = now - timedelta(days=5) - timedelta(days=10) * PHASES.index("submission")
    for i, kind in enumerate(PHASES):
        event.phases.append(Phase(kind=kind, starts_at=start + timedelta(days=10 * i),
                                  ends_at=start + timedelta(days=10 * (i + 1)) - timedelta(seconds=1)))
    db.session.add_all([organiser, event])
    db.session.commit()
    return event.id


class Loader:
    """Inserts teams in batches with Core inserts; ``load(a, b)`` adds the teams numbered a..b-1."""

    def __init__(self, event_id: int):
        self.event_id = event_id
        self.random = random.Random(SEED)
        self.counties = [(c.id, c.province_id) for c in db.session.scalars(select(County).order_by(County.id))]
        self.user_hash = hash_password(PASSWORD)  # the leaders' accounts share one hash: Argon2 is slow
        self.now = utcnow()
        self.mobile = 0

    def _mobile(self) -> str:
        self.mobile += 1
        return f"0913{self.mobile:07d}"

    def _person(self) -> str:
        return f"{self.random.choice(FIRST_NAMES)} {self.random.choice(LAST_NAMES)}"

    def load(self, first: int, last: int) -> None:
        for start in range(first, last, BATCH):
            self._batch(start, min(start + BATCH, last))
            db.session.commit()
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does a minute after a bulk load: without statistics the planner guesses
            # five rows per table and picks plans a running server would not.
            db.session.execute(text("ANALYZE"))
            db.session.commit()

    def _batch(self, first: int, last: int) -> None:
        rnd, session = self.random, db.session
        numbers = range(first, last)
        leaders = [self._person() for _ in numbers]
        user_ids = session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), [
            {"email": f"leader{n}@bench.example.org", "name": leader, "mobile": self._mobile(),
             "password_hash": self.user_hash, "created_at": self.now}
            for n, leader in zip(numbers, leaders)
        ]).all()

        teams = []
        for n in numbers:
            county_id, province_id = rnd.choice(self.counties)
            words = (rnd.choice(GROUP_KINDS), rnd.choice(GROUP_NAMES), rnd.choice(GROUP_PLACES))
            teams.append({
                "event_id": self.event_id, "name": f"{words[0]} {words[1]} {words[2]} {n + 1}",
                "organisation_type": rnd.choice(ORGANISATION_TYPES),
                "organisation_name": f"{rnd.choice(ORGANISATIONS)} {rnd.choice(GROUP_NAMES)}",
                "province_id": province_id, "county_id": county_id,
                "introduction": f"ما گروهی از {rnd.choice(GROUP_PLACES)} هستیم و برای {rnd.choice(TOPICS)} کار می‌کنیم.",
                "contact_email": f"team{n}@bench.example.org", "contact_phone": self._mobile(),
                "status": rnd.choices([s for s, _w in TEAM_STATUS_WEIGHTS], [w for _s, w in TEAM_STATUS_WEIGHTS])[0],
                "status_reason": "", "screening_selected": False,
                "created_at": self.now - timedelta(days=30) + timedelta(seconds=n * 97 % (30 * 86400), milliseconds=n),
            })
        team_ids = session.scalars(insert(Team).returning(Team.id, sort_by_parameter_order=True), teams).all()

        members = []
        for team_id, user_id, leader in zip(team_ids, user_ids, leaders):
            members.append({"team_id": team_id, "event_id": self.event_id, "user_id": user_id, "name": leader,
                            "mobile": self._mobile(), "national_id": "", "is_leader": True, "joined_at": self.now})
            for _ in range(rnd.randint(2, 5)):  # 3 to 6 members with the leader
                members.append({"team_id": team_id, "event_id": self.event_id, "user_id": None,
                                "name": self._person(), "mobile": self._mobile(), "national_id": "",
                                "is_leader": False, "joined_at": self.now})
        session.execute(insert(TeamMember), members)

        maps = []
        for team, team_id, user_id in zip(teams, team_ids, user_ids):
            topic = rnd.choice(TOPICS)
            submitted = team["status"] == APPROVED and rnd.random() < 0.6
            updated = team["created_at"] + timedelta(days=rnd.randint(1, 25), minutes=rnd.randint(0, 1440))
            maps.append({
                "team_id": team_id, "title": f"نقشه پیشرفت {topic} در {rnd.choice(GROUP_PLACES)}",
                "province_id": team["province_id"], "county_id": team["county_id"],
                "district": f"دهستان {rnd.choice(GROUP_NAMES)}", "latitude": None, "longitude": None,
                "knowledge": f"<p>مسئله اصلی منطقه <strong>{topic}</strong> است.</p>",
                "capacities": "<p>نیروی جوان، زمین کشاورزی و همراهی <em>شورای روستا</em>.</p>",
                "goals": "<ul><li>ایجاد اشتغال پایدار</li><li>افزایش درآمد خانوارها</li></ul>",
                "people_role": "<p>مردم در همه مراحل از طرح تا اجرا همراه‌اند.</p>",
                "sustainability": "<p>صندوق محلی و آموزش نیروهای بومی.</p>",
                "status": SUBMITTED if submitted else DRAFT, "version": 1,
                "updated_at": updated, "updated_by_id": user_id, "submitted_at": updated if submitted else None,
            })
        map_ids = session.scalars(insert(ProgressMap).returning(ProgressMap.id, sort_by_parameter_order=True),
                                  maps).all()

        indicators, actions = [], []
        today = date.today()
        for map_id in map_ids:
            for position in range(2):
                indicators.append({"map_id": map_id, "position": position,
                                   "name": rnd.choice(["تعداد شاغلان", "درآمد ماهانه خانوار", "سطح زیر کشت",
                                                       "تعداد دوره‌های آموزشی"]),
                                   "unit": rnd.choice(["نفر", "میلیون تومان", "هکتار", "دوره"]),
                                   "baseline": float(rnd.randint(0, 50)), "target": float(rnd.randint(60, 200)),
                                   "target_date": today + timedelta(days=rnd.randint(90, 720))})
                actions.append({"map_id": map_id, "position": position,
                                "what": rnd.choice(["برگزاری کارگاه آموزشی", "راه‌اندازی تعاونی",
                                                    "ساخت گلخانه", "تأمین تجهیزات"]),
                                "responsible": self._person(), "starts_on": today + timedelta(days=30 * position),
                                "ends_on": today + timedelta(days=30 * position + 60),
                                "resources": "اعتبار خیرین و مشارکت مردم"})
        session.execute(insert(Indicator), indicators)
        session.execute(insert(MapAction), actions)


# --- the measurements --------------------------------------------------------------------------

class QueryCounter:
    """The statements the engine runs while it is entered: [statement, milliseconds] each."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[list] = []
        self._started = 0.0

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append([statement, None])
        self._started = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        self.statements[-1][1] = (time.perf_counter() - self._started) * 1000

    def __enter__(self):
        self.statements = []
        sa_event.listen(self.engine, "before_cursor_execute", self._before)
        sa_event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc):
        sa_event.remove(self.engine, "before_cursor_execute", self._before)
        sa_event.remove(self.engine, "after_cursor_execute", self._after)


def page_urls(event_id: int, province_id: int) -> dict[str, str]:
    from urllib.parse import urlencode
    urls = {}
    for name, (kind, params) in PAGES.items():
        params = {key: (province_id if key == "province" else value) for key, value in params.items()}
        urls[name] = f"/organiser/events/{event_id}/{kind}" + (f"?{urlencode(params)}" if params else "")
    return urls


def get(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}:\n{response.get_data(as_text=True)[:2000]}")
    return response


def rows_shown(response) -> int:
    body = response.get_data(as_text=True)
    tbody = body[body.find("<tbody>"):body.find("</tbody>")]
    return tbody.count("<tr>") - tbody.count('class="empty"')


def count_queries(client, engine, urls: dict[str, str]) -> dict[str, tuple[int, list[str], int]]:
    """name -> (statements of one request, the statements, rows on the page), after a warm-up request."""
    counts = {}
    for name, url in urls.items():
        get(client, url)
        with QueryCounter(engine) as counter:
            response = get(client, url)
        counts[name] = (len(counter.statements), counter.statements, rows_shown(response))
    return counts


def time_pages(client, urls: dict[str, str], repeat: int) -> dict[str, tuple[float, float]]:
    """name -> (median ms, p90 ms) over ``repeat`` requests after one warm-up."""
    figures = {}
    for name, url in urls.items():
        get(client, url)
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            get(client, url)
            samples.append((time.perf_counter() - started) * 1000)
        samples.sort()
        p90 = samples[min(len(samples) - 1, math.ceil(0.9 * len(samples)) - 1)]
        figures[name] = (statistics.median(samples), p90)
    return figures


def run(args) -> dict:
    with bench_database(args.database_url, "_bench") as (dialect, url):
        app = create_app({
            "TESTING": True, "SECRET_KEY": "bench-secret", "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "SERVER_NAME": "localhost",
        })
        try:
            with app.app_context():
                started = time.perf_counter()
                event_id = build_schema()
                schema_seconds = time.perf_counter() - started
                loader = Loader(event_id)
                engine = db.engine

            client = app.test_client()
            response = client.post("/signin", data={"email": ORGANISER_EMAIL, "password": PASSWORD})
            if response.status_code != 302:
                raise SystemExit(f"signing in failed: {response.status_code}")

            small = min(SMALL, args.teams)
            with app.app_context():
                started = time.perf_counter()
                loader.load(0, small)
                load_seconds = time.perf_counter() - started
                # The filter's province: the one with the most approved teams among the first ones, so
                # that the filtered page has rows at both sizes and its two query counts compare alike.
                province = db.session.get(Province, db.session.scalar(
                    select(Team.province_id).where(Team.status == APPROVED)
                    .group_by(Team.province_id).order_by(func.count().desc(), Team.province_id).limit(1)
                ) or db.session.scalar(select(Province.id).order_by(Province.id)))
                province_id, province_name = province.id, province.name_en
            urls = page_urls(event_id, province_id)
            at_small = count_queries(client, engine, urls)

            with app.app_context():
                started = time.perf_counter()
                loader.load(small, args.teams)
                load_seconds += time.perf_counter() - started
                totals = {
                    "teams": db.session.scalar(select(func.count()).select_from(Team)),
                    "members": db.session.scalar(select(func.count()).select_from(TeamMember)),
                    "maps": db.session.scalar(select(func.count()).select_from(ProgressMap)),
                }
            at_full = count_queries(client, engine, urls)
            timings = time_pages(client, urls, args.repeat)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()

    return {
        "dialect": dialect, "urls": urls, "province": province_name, "schema_seconds": schema_seconds,
        "load_seconds": load_seconds, "totals": totals, "small": small, "at_small": at_small, "at_full": at_full,
        "timings": timings,
    }


def report(args, result: dict) -> dict:
    figures = {
        "database": result["dialect"], "teams": args.teams, "load_seconds": round(result["load_seconds"], 2),
        "pages": {
            name: {"median_ms": round(result["timings"][name][0], 2), "p90_ms": round(result["timings"][name][1], 2),
                   "queries": result["at_full"][name][0], "queries_at_50": result["at_small"][name][0]}
            for name in PAGES
        },
    }
    totals = result["totals"]
    print(f"database: {result['dialect']}; {totals['teams']} teams, {totals['members']} members, "
          f"{totals['maps']} maps; schema {result['schema_seconds']:.2f} s, teams loaded in "
          f"{result['load_seconds']:.2f} s; {args.repeat} timed requests per page after one warm-up; "
          f"province filter: {result['province']}")
    small = result["small"]
    header = (f"{'page':<18} {'median ms':>10} {'p90 ms':>8} {'queries':>8} {f'q@{small}':>6} "
              f"{'rows':>5} {f'rows@{small}':>8}  url")
    print(header)
    print("-" * len(header))
    for name in PAGES:
        page = figures["pages"][name]
        rows, rows_small = result["at_full"][name][2], result["at_small"][name][2]
        flag = ""
        if page["queries"] != page["queries_at_50"]:
            flag = "  <- the query count changes with the data"
            if min(rows, rows_small) == 0:
                flag += " (an empty page skips the eager loads)"
        print(f"{name:<18} {page['median_ms']:>10.1f} {page['p90_ms']:>8.1f} {page['queries']:>8} "
              f"{page['queries_at_50']:>6} {rows:>5} {rows_small:>8}  {result['urls'][name]}{flag}")
    if args.show_sql:
        for name in PAGES:
            print(f"\n-- {name}: {result['at_full'][name][0]} statements (milliseconds each, executing only)")
            for statement, milliseconds in result["at_full"][name][1]:
                print(f"{milliseconds or 0:8.2f}  " + " ".join(statement.split()))
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=5000, help="teams to load (default 5000)")
    parser.add_argument("--repeat", type=int, default=15, help="timed requests per page (default 15)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server to use, e.g. postgresql://postgres@127.0.0.1:5432/test "
                             "(a database <name>_bench is created and dropped); default: a temporary SQLite file")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object, last")
    parser.add_argument("--show-sql", action="store_true", help="print the statements each page runs")
    args = parser.parse_args(argv)
    if args.teams < 1 or args.repeat < 1:
        parser.error("--teams and --repeat must be at least 1")
    figures = report(args, run(args))
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
