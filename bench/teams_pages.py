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
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _data import ORGANISER_EMAIL, PASSWORD, TeamLoader, add_event, add_organiser  # noqa: E402
from databases import bench_database  # noqa: E402  (bench/ is the script's own folder)
from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import func, select

from eventapp import create_app  # noqa: E402
from eventapp.core.extensions import db  # noqa: E402
from eventapp.events.models import Province  # noqa: E402
from eventapp.events.places import sync_places  # noqa: E402
from eventapp.teams.models import APPROVED, ProgressMap, Team, TeamMember  # noqa: E402

SMALL = 50  # teams loaded before the first measurement of the query counts

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
    add_organiser()
    # The submission phase open now.
    event = add_event("bench", "رویداد ملی طلوع پیشرفت", "Dawn of Progress national event", "submission")
    db.session.commit()
    return event.id


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
                loader = TeamLoader(event_id)
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
