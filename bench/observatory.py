"""Benchmark of the public observatory pages with a series of realistic size.

    python bench/observatory.py [--teams 5000] [--projects 500] [--repeat 20] [--database-url URL] [--json]

Loads into a database of its own two events (80 % and 20 % of --teams), their teams spread over the
448 counties (approved 80 %, pending 10 %, rejected 10 %), a progress map each (70 % submitted), a
published final round per event whose awards go to --projects teams, a pipeline project for each
of those winners at one of the default stages, three indicators per project with six readings each
(70 % verified), and two reference indicators (population, a deprivation index) for all 31
provinces. Rows go in with Core inserts; the random choices are seeded.

Then, through the test client (anonymous: the pages are public), for ``/observatory`` (the whole
series) and ``/events/<slug>/observatory`` (the larger event), it counts the SQL statements of one
request with the first 50 teams (and 5 projects) loaded and with everything loaded (the two counts
must be equal), and times --repeat requests after one warm-up: median and 90th percentile. It also
times ``observatory.figures()`` alone (the queries and the arithmetic, no template, no chart), so
that the page's time splits into figures and rendering.

The default database is a fresh SQLite file in a temporary folder. With a PostgreSQL URL
(``postgresql://postgres@127.0.0.1:5432/test``) the benchmark creates a database of its own named
``<name>_bench_obs`` on that server and drops it at the end, also after an error: the named
database is never touched. On PostgreSQL the tables are ANALYZEd after each load.

With --json the last line printed is one JSON object:
{"database": ..., "teams": N, "projects": P, "indicators": I, "readings": R, "load_seconds": s,
 "pages": {name: {"median_ms": ..., "p90_ms": ..., "figures_ms": ..., "queries": n, "queries_at_50": n}}}
"""
import argparse
import json
import math
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _data import add_event, add_project_indicators, add_reference_indicators  # noqa: E402
from databases import analyze, bench_database, insert_rows  # noqa: E402  (bench/ is the script's own folder)
from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import func, select

from eventapp import create_app  # noqa: E402
from eventapp.core.database import utcnow  # noqa: E402
from eventapp.core.extensions import db  # noqa: E402
from eventapp.events.models import County  # noqa: E402
from eventapp.events.places import sync_places  # noqa: E402
from eventapp.judging.models import FINAL, Publication, Round, Rubric  # noqa: E402
from eventapp.pipeline import observatory, services  # noqa: E402
from eventapp.pipeline.models import Project, ProjectIndicator, Reading  # noqa: E402
from eventapp.teams.models import APPROVED, DRAFT, PENDING, REJECTED, SUBMITTED, ProgressMap, Team  # noqa: E402

SEED = 1405
BATCH = 2000  # teams generated per chunk
SMALL_TEAMS, SMALL_PROJECTS = 50, 5
AWARDS = ("first", "second", "third", "honourable")
STATUS_WEIGHTS = [(APPROVED, 80), (PENDING, 10), (REJECTED, 10)]
GROUP_KINDS = ["گروه جهادی", "کانون", "انجمن", "هیئت", "قرارگاه", "مؤسسه", "جمعیت", "حلقه"]
GROUP_NAMES = ["امید", "طلوع", "بصیرت", "سپیده", "ایثار", "نور", "رویش", "همدلی", "آبادانی", "مهر"]

PAGES = {"series": "/observatory", "event": "/events/bench-national/observatory"}


# --- the database ----------------------------------------------------------------------------

def build_schema() -> list[int]:
    """Tables, places, the default stages, two events with their phases; the events' ids."""
    db.create_all()
    sync_places()
    services.ensure_stages()
    # The results phase open now.
    events = [add_event("bench-national", "رویداد ملی طلوع پیشرفت", "National event", "results"),
              add_event("bench-yazd", "رویداد استانی یزد", "Yazd provincial event", "results")]
    db.session.commit()
    return [event.id for event in events]


class Loader:
    """Loads teams (with maps) and projects (with indicators and readings) in steps."""

    def __init__(self, event_ids: list[int]):
        self.event_ids = event_ids
        self.random = random.Random(SEED)
        self.counties = [(c.id, c.province_id) for c in db.session.scalars(select(County).order_by(County.id))]
        self.stages = [stage.id for stage in services.ensure_stages()]
        self.now = utcnow()
        self.teams: list[tuple[int, int, int, int | None]] = []  # (team id, event id, province id, map id)
        self.winners: list[tuple[int, int, int, int | None]] = []

    def load_teams(self, first: int, last: int) -> None:
        rnd = self.random
        for start in range(first, last, BATCH):
            numbers = range(start, min(start + BATCH, last))
            rows = []
            for n in numbers:
                county_id, province_id = rnd.choice(self.counties)
                rows.append({
                    "event_id": self.event_ids[0] if rnd.random() < 0.8 else self.event_ids[1],
                    "name": f"{rnd.choice(GROUP_KINDS)} {rnd.choice(GROUP_NAMES)} {n + 1}",
                    "organisation_type": "jihadi", "organisation_name": "", "province_id": province_id,
                    "county_id": county_id, "introduction": "", "contact_email": f"team{n}@bench.example.org",
                    "contact_phone": f"0913{n:07d}", "screening_selected": False, "status_reason": "",
                    "status": rnd.choices([s for s, _w in STATUS_WEIGHTS], [w for _s, w in STATUS_WEIGHTS])[0],
                    "created_at": self.now,
                })
            team_ids = insert_rows(Team, rows, Team.id)
            maps = [{"team_id": team_id, "title": f"نقشه پیشرفت {n + 1}", "province_id": row["province_id"],
                     "county_id": row["county_id"], "status": SUBMITTED if rnd.random() < 0.7 else DRAFT,
                     "version": 1, "updated_at": self.now}
                    for n, team_id, row in zip(numbers, team_ids, rows)]
            map_ids = insert_rows(ProgressMap, maps, ProgressMap.id)
            self.teams += [(team_id, row["event_id"], row["province_id"], map_id if m["status"] == SUBMITTED else None)
                           for team_id, row, map_id, m in zip(team_ids, rows, map_ids, maps)]
        db.session.commit()
        analyze()

    def load_projects(self, count: int) -> None:
        """Winners of the final rounds (the publications are rewritten with every winner so far), and a
        project for each new one, with three indicators of six readings."""
        rnd = self.random
        chosen = {team_id for team_id, *_rest in self.winners}
        candidates = [team for team in self.teams if team[3] is not None and team[0] not in chosen]
        new = rnd.sample(candidates, min(count - len(self.winners), len(candidates)))
        self.winners += new
        projects = [{"event_id": event_id, "team_id": team_id, "map_id": map_id, "title": f"پروژه {team_id}",
                     "province_id": province_id, "award": rnd.choice(AWARDS), "stage_id": rnd.choice(self.stages),
                     "stage_reason": "", "next_step": "", "created_at": self.now, "last_update_at": self.now}
                    for team_id, event_id, province_id, map_id in new]
        project_ids = insert_rows(Project, projects, Project.id)
        add_project_indicators(project_ids, rnd, self.now)

        # One current publication per event with every winner so far (the earlier one superseded).
        db.session.execute(Publication.__table__.update().values(superseded_at=self.now))
        for event_id in self.event_ids:
            round_id = db.session.scalar(select(Round.id).where(Round.event_id == event_id, Round.kind == FINAL))
            if round_id is None:
                rubric = Rubric(event_id=event_id, title_fa="شاخص‌های داوری")
                db.session.add(rubric)
                db.session.flush()
                round_ = Round(event_id=event_id, kind=FINAL, rubric_id=rubric.id,
                               starts_at=self.now - timedelta(days=20), ends_at=self.now - timedelta(days=10))
                db.session.add(round_)
                db.session.flush()
                round_id = round_.id
            rows = [{"team_id": team_id, "team": f"team {team_id}", "rank": rank, "tied": False,
                     "value": 90 - rank / 10, "award": AWARDS[rank % len(AWARDS)]}
                    for rank, (team_id, winner_event, _province, _map) in enumerate(self.winners, start=1)
                    if winner_event == event_id]
            db.session.add(Publication(round_id=round_id, published_at=self.now, snapshot={"rows": rows}))
        db.session.commit()
        analyze()

    def load_references(self) -> None:
        add_reference_indicators(self.random)


# --- the measurements --------------------------------------------------------------------------

class QueryCounter:
    """The statements the engine runs while it is entered."""

    def __init__(self, engine):
        self.engine = engine
        self.statements: list[str] = []

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def __enter__(self):
        self.statements = []
        sa_event.listen(self.engine, "before_cursor_execute", self._before)
        return self

    def __exit__(self, *exc):
        sa_event.remove(self.engine, "before_cursor_execute", self._before)


def get(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}:\n{response.get_data(as_text=True)[:2000]}")
    return response


def count_queries(client, engine) -> dict[str, int]:
    counts = {}
    for name, url in PAGES.items():
        get(client, url)
        with QueryCounter(engine) as counter:
            get(client, url)
        counts[name] = len(counter.statements)
    return counts


def percentile_90(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, math.ceil(0.9 * len(ordered)) - 1)]


def time_pages(app, client, event_id: int, repeat: int) -> dict[str, dict]:
    figures = {}
    for name, url in PAGES.items():
        get(client, url)
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            get(client, url)
            samples.append((time.perf_counter() - started) * 1000)
        alone = []
        for _ in range(repeat):
            with app.test_request_context(url):  # Province.name and Stage.name need a locale
                started = time.perf_counter()
                observatory.figures(event_id if name == "event" else None)
                alone.append((time.perf_counter() - started) * 1000)
                db.session.remove()
        figures[name] = {"median_ms": statistics.median(samples), "p90_ms": percentile_90(samples),
                         "figures_ms": statistics.median(alone)}
    return figures


def run(args) -> dict:
    with bench_database(args.database_url, "_bench_obs") as (dialect, url):
        app = create_app({
            "TESTING": True, "SECRET_KEY": "bench-secret", "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "SERVER_NAME": "localhost",
        })
        try:
            with app.app_context():
                event_ids = build_schema()
                engine = db.engine
                loader = Loader(event_ids)
                started = time.perf_counter()
                loader.load_references()
                loader.load_teams(0, min(SMALL_TEAMS, args.teams))
                loader.load_projects(min(SMALL_PROJECTS, args.projects))
                load_seconds = time.perf_counter() - started
            client = app.test_client()
            at_small = count_queries(client, engine)

            with app.app_context():
                started = time.perf_counter()
                loader.load_teams(min(SMALL_TEAMS, args.teams), args.teams)
                loader.load_projects(args.projects)
                load_seconds += time.perf_counter() - started
                totals = {
                    "teams": db.session.scalar(select(func.count()).select_from(Team)),
                    "maps_submitted": db.session.scalar(select(func.count()).select_from(ProgressMap)
                                                        .where(ProgressMap.status == SUBMITTED)),
                    "projects": db.session.scalar(select(func.count()).select_from(Project)),
                    "indicators": db.session.scalar(select(func.count()).select_from(ProjectIndicator)),
                    "readings": db.session.scalar(select(func.count()).select_from(Reading)),
                    "verified": db.session.scalar(select(func.count()).select_from(Reading)
                                                  .where(Reading.verified_at.is_not(None))),
                }
            at_full = count_queries(client, engine)
            timings = time_pages(app, client, event_ids[0], args.repeat)
            page_bytes = {name: len(get(client, url).data) for name, url in PAGES.items()}
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    return {"dialect": dialect, "load_seconds": load_seconds, "totals": totals, "at_small": at_small,
            "at_full": at_full, "timings": timings, "page_bytes": page_bytes}


def report(args, result: dict) -> dict:
    totals = result["totals"]
    figures = {
        "database": result["dialect"], "teams": totals["teams"], "projects": totals["projects"],
        "indicators": totals["indicators"], "readings": totals["readings"],
        "load_seconds": round(result["load_seconds"], 2),
        "pages": {name: {"median_ms": round(result["timings"][name]["median_ms"], 1),
                         "p90_ms": round(result["timings"][name]["p90_ms"], 1),
                         "figures_ms": round(result["timings"][name]["figures_ms"], 1),
                         "queries": result["at_full"][name], "queries_at_50": result["at_small"][name]}
                  for name in PAGES},
    }
    print(f"database: {result['dialect']}; {totals['teams']} teams, {totals['maps_submitted']} maps submitted, "
          f"{totals['projects']} projects, {totals['indicators']} indicators, {totals['readings']} readings "
          f"({totals['verified']} verified); loaded in {result['load_seconds']:.2f} s; "
          f"{args.repeat} timed requests per page after one warm-up")
    header = (f"{'page':<8} {'median ms':>10} {'p90 ms':>8} {'figures() ms':>13} {'queries':>8} {'q@50':>5} "
              f"{'KB':>6}  url")
    print(header)
    print("-" * len(header))
    for name, url in PAGES.items():
        page = figures["pages"][name]
        flag = "" if page["queries"] == page["queries_at_50"] else "  <- the query count changes with the data"
        print(f"{name:<8} {page['median_ms']:>10.1f} {page['p90_ms']:>8.1f} {page['figures_ms']:>13.1f} "
              f"{page['queries']:>8} {page['queries_at_50']:>5} {result['page_bytes'][name] / 1024:>6.0f}  {url}{flag}")
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=5000, help="teams to load (default 5000)")
    parser.add_argument("--projects", type=int, default=500, help="winners with a pipeline project (default 500)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per page (default 20)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server to use, e.g. postgresql://postgres@127.0.0.1:5432/test "
                             "(a database <name>_bench_obs is created and dropped); default: a temporary SQLite file")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object, last")
    args = parser.parse_args(argv)
    if args.teams < SMALL_TEAMS or args.repeat < 1 or not SMALL_PROJECTS <= args.projects <= args.teams // 2:
        parser.error(f"--teams at least {SMALL_TEAMS}, --projects from {SMALL_PROJECTS} to half the teams, "
                     "--repeat at least 1")
    figures = report(args, run(args))
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
