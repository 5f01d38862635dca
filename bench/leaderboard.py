"""Benchmark of the judging results: the leaderboard of a large round and its automatic assignment.

    python bench/leaderboard.py [--entries 5000] [--judges 200] [--per-entry 5] [--repeat 3]
                                [--database-url URL] [--json]

Loads into a database of its own one event, the default rubric (six criteria), a final round (the
one that gives awards), --entries approved teams and --judges judges, all of them entries and judges
of the round (the entries go in directly, so the teams need no maps). Then:

1. times ``eventapp.judging.assignment.assign`` on the plain objects (every entry gets --per-entry
   judges; no database), and the service ``services.assign_automatically`` end to end: it reads the
   round, assigns and adds the assignments, and the commit writes them (25,000 rows by default);
2. writes one score per criterion of every assignment (150,000 by default: integers 0-10, each
   judge a leniency of up to ±2) and marks every assignment submitted, with Core inserts;
3. times ``services.compute_leaderboard(round_)`` in a fresh app context and session each time (--repeat
   times: median wall time, best CPU time of the process), counting the SQL statements it runs;
4. times and counts the same way the previous implementation, written in this script as the reference
   (``previous_leaderboard``: the pure-Python maths of ``tests/scoring_reference.py``), and a naive
   per-entry ORM loop (for each entry a query for its assignments, for each assignment a lazy load of its
   scores, ``scoring.weighted_total``, a plain mean and a sort), once when it takes 5 s or more;
5. the organiser's results page, signed in: its size and time with nothing cached and cached, a search,
   page 2 of the flagged rows, and as a baseline every row on one page;

and prints the CPU ratios previous / now and naive / now. The ``check:`` line compares the leaderboard with
the previous implementation (the same ranks, ties, cut-off flags and awards; the largest difference of a
value, band edge or raw mean) and its raw means with the naive loop's.

The default database is a fresh SQLite file in a temporary folder. With a PostgreSQL URL
(``postgresql://postgres@127.0.0.1:5432/test``) the benchmark creates a database of its own named
``<name>_bench2`` (``test_bench2`` here) on that server, and drops it at the end, also after an
error: the named database is never touched. On PostgreSQL the tables are ANALYZEd after each load.

With --json the last line printed is one JSON object:
{"database": "sqlite"|"postgresql", "entries": N, "judges": M, "scores": S,
 "assignment_pure_s": s, "assignment_service_s": s, "leaderboard_s": s, "leaderboard_cpu_s": s,
 "leaderboard_queries": n, "previous_s": s, "previous_cpu_s": s, "previous_queries": n, "naive_s": s,
 "naive_cpu_s": s, "naive_queries": n, "ratio_cpu_previous": x, "ratio_cpu_naive": x, "same_ranks": bool,
 "max_value_difference": points, "page_<cold|warm|search|flagged|all_rows>_<kb|wall|cpu>": x,
 "page_warm_queries": n}
"""
import argparse
import json
import logging
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _data import (  # noqa: E402
    ORGANISER_EMAIL,
    PASSWORD,
    SEED,
    add_entries,
    add_event,
    add_final_round,
    add_judges,
    add_organiser,
    write_scores,
)
from databases import analyze, bench_database, insert_rows  # noqa: E402  (bench/ is the script's own folder)
from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import func, select
from sqlalchemy.orm import lazyload  # noqa: E402

from eventapp import create_app  # noqa: E402
from eventapp.auth.models import User  # noqa: E402
from eventapp.core.database import utcnow  # noqa: E402
from eventapp.core.extensions import cache, db  # noqa: E402
from eventapp.events.models import County  # noqa: E402
from eventapp.events.places import sync_places  # noqa: E402
from eventapp.judging import scoring, services, views  # noqa: E402
from eventapp.judging.assignment import Entry, Judge, assign  # noqa: E402
from eventapp.judging.models import Assignment, Round, RoundEntry  # noqa: E402
from eventapp.judging.services import leaderboards  # noqa: E402
from eventapp.judging.services import results as results_services  # noqa: E402
from eventapp.teams.models import APPROVED, ORGANISATION_TYPES, Team  # noqa: E402
from tests import scoring_reference as reference  # noqa: E402  (the maths before the arrays)

NAIVE_SLOW = 5.0  # seconds: a naive run this slow is not repeated



class Place(NamedTuple):
    """A row of a leaderboard as plain values, to compare implementations."""
    team: int
    rank: int
    tied: bool
    value: float
    raw: float  # the plain mean of the judges' totals
    low: float
    high: float
    crosses: bool  # the band crosses an award cut-off
    award: str | None


GROUP_KINDS = ["گروه جهادی", "کانون", "انجمن", "هیئت", "قرارگاه", "مؤسسه", "جمعیت", "حلقه"]
GROUP_NAMES = ["امید", "طلوع", "بصیرت", "سپیده", "ایثار", "نور", "رویش", "همدلی", "آبادانی", "مهر"]


# --- the database ----------------------------------------------------------------------------

def build_round(args) -> dict:
    """Tables, places, an organiser, an event, the default rubric, a round, its entries and judges."""
    db.create_all()
    sync_places()
    now = utcnow()
    organiser = add_organiser()
    # The judging phase open now.
    event = add_event("bench", "رویداد ملی طلوع پیشرفت", "Dawn of Progress national event", "judging")
    db.session.flush()
    round_ = add_final_round(organiser, event, args.per_entry, now - timedelta(days=1), now + timedelta(days=5))
    db.session.commit()
    ids = {"organiser": organiser.id, "event": event.id, "round": round_.id}

    rnd = random.Random(SEED)
    counties = [(c.id, c.province_id) for c in db.session.scalars(select(County).order_by(County.id))]
    teams = []
    for n in range(args.entries):
        county_id, province_id = rnd.choice(counties)
        teams.append({
            "event_id": event.id, "name": f"{rnd.choice(GROUP_KINDS)} {rnd.choice(GROUP_NAMES)} {n + 1}",
            "organisation_type": rnd.choice(ORGANISATION_TYPES), "organisation_name": "",
            "province_id": province_id, "county_id": county_id, "introduction": "",
            "contact_email": f"team{n}@bench.example.org", "contact_phone": f"0913{n:07d}",
            "status": APPROVED, "status_reason": "", "screening_selected": False, "created_at": now,
        })
    team_ids = insert_rows(Team, teams, Team.id)
    add_judges(round_.id, args.judges)
    add_entries(round_.id, team_ids)
    db.session.commit()
    analyze()
    return ids


# --- the measurements --------------------------------------------------------------------------

class QueryCounter:
    """Counts the statements the engine runs while it is entered (a before_cursor_execute listener)."""

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

    def __len__(self) -> int:
        return len(self.statements)


def time_pure_assignment(round_id: int, per_entry: int) -> tuple[float, object]:
    """``assign`` on plain objects built as the service builds them; (seconds, result)."""
    round_ = db.session.get(Round, round_id)
    team_ids = services.entry_team_ids(round_)
    provinces = dict(db.session.execute(select(Team.id, Team.province_id).where(Team.id.in_(team_ids))).all())
    entries = [Entry(team_id, provinces[team_id]) for team_id in team_ids]
    judges = [Judge(user.id, None) for user in services.judges_of(round_)]  # no judge has a profile
    conflicts = services.conflict_pairs(round_.event_id)
    started = time.perf_counter()
    result = assign(entries, judges, per_entry, conflicts=conflicts, existing=set(), seed=0)
    return time.perf_counter() - started, result


def naive_leaderboard(round_: Round) -> list[tuple[Team, float]]:
    """What one writes without thinking about queries: one query per entry, one per assignment.

    Assignment.scores is ``lazy="selectin"`` on the model; ``lazyload`` makes it load on first access,
    one SELECT per assignment, as a plain relationship would.
    """
    criteria = services.scoring_criteria(round_.rubric)
    results = []
    for entry in db.session.scalars(select(RoundEntry).where(RoundEntry.round_id == round_.id)).all():
        assignments = db.session.scalars(
            select(Assignment).where(Assignment.round_id == round_.id, Assignment.team_id == entry.team_id)
            .options(lazyload(Assignment.scores))).all()
        totals = []
        for assignment in assignments:
            if assignment.submitted_at is None:
                continue
            values = {str(score.criterion_id): score.value for score in assignment.scores}
            totals.append(scoring.weighted_total(values, criteria))
        if totals:
            results.append((entry.team, sum(totals) / len(totals)))
    results.sort(key=lambda pair: -pair[1])
    return results


def previous_leaderboard(round_: Round) -> list[Place]:
    """``compute_leaderboard`` as it was before the arrays (commit 07ce64e), kept here as the reference: the
    scores by a lean query, a weighted total per assignment, the pure-Python maths of ``tests/scoring_reference``
    for the method and again for the raw means, full ``Team`` objects for the names."""
    criteria = services.scoring_criteria(round_.rubric)
    totals, per_criterion = [], {}
    for (team_id, judge_id), scores in results_services._submitted_scores(round_).items():
        values = {str(criterion_id): value for criterion_id, (value, _comment) in scores.items()}
        totals.append(scoring.Total(team_id, judge_id, scoring.weighted_total(values, criteria)))
        for criterion_id, (value, _comment) in scores.items():
            per_criterion.setdefault(team_id, {}).setdefault(criterion_id, []).append(value)
    db.session.scalar(select(func.count()).select_from(Assignment).where(
        Assignment.round_id == round_.id, Assignment.submitted_at.is_(None)))
    result = reference.combine(totals, round_.method, round_.disagreement_threshold)
    raw = reference.combine(totals, "mean", round_.disagreement_threshold)
    means = {team: {c: sum(v) / len(v) for c, v in by.items()} for team, by in per_criterion.items()}
    tie_breakers = [{team: means[team].get(c, 0.0) for team in means} for c in round_.tie_breakers]
    by_group = round_.kind == "final" and not result.connected
    teams = {team.id: team for team in db.session.scalars(select(Team).where(Team.id.in_(list(result.entries))))}
    places = []
    for group in result.groups if by_group else [result.entries]:
        ranked = reference.rank({team: result.entries[team].value for team in group}, tie_breakers)
        awards = leaderboards._default_awards(ranked) if round_.kind == "final" else {}
        by_rank = sorted((result.entries[team] for team in group), key=lambda entry: -entry.value)
        count = 3 + services.HONOURABLE_MENTIONS if round_.kind == "final" else 0
        cutoffs = [(a.value + b.value) / 2 for a, b in zip(by_rank[:count], by_rank[1:count + 1])]
        for place in ranked:
            entry = result.entries[place.entry]
            places.append(Place(teams[place.entry].id, place.rank, place.tied, entry.value, raw.entries[place.entry].value,
                                entry.low, entry.high, scoring.band_crosses(entry, cutoffs), awards.get(place.entry)))
    return places


def current_leaderboard(round_: Round) -> list[Place]:
    return [Place(row.team.id, row.rank, row.tied, row.result.value, row.result.raw_mean, row.result.low,
                  row.result.high, row.crosses_cutoff, row.award) for row in services.compute_leaderboard(round_).rows]


def measure(app, round_id: int, function) -> tuple[float, float, int, object]:
    """(wall seconds, CPU seconds, statements, result) of function(round_) in a fresh app context and session; the
    CPU time is the process's (SQLite runs in it; PostgreSQL's server does not)."""
    with app.app_context():
        round_ = db.session.get(Round, round_id)  # loaded before the clock starts
        with QueryCounter(db.engine) as counter:
            started, cpu = time.perf_counter(), time.process_time()
            result = function(round_)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        if result and not isinstance(result[0], Place):  # the naive loop: (team, mean), plain values
            result = {team.id: mean for team, mean in result}
    return seconds, cpu, len(counter), result


def repeated(app, round_id: int, function, times: int, slow: float | None = None) -> dict:
    """Samples of ``measure``: ``times`` of them, or one when the first takes ``slow`` seconds or more."""
    samples = {"wall": [], "cpu": [], "queries": []}
    for _ in range(times):
        wall, cpu, queries, result = measure(app, round_id, function)
        samples["wall"].append(wall)
        samples["cpu"].append(cpu)
        samples["queries"].append(queries)
        if slow is not None and wall >= slow:
            break
    samples["result"] = result
    return samples


def compare(current: list[Place], previous: list[Place]) -> dict:
    """The same places, ranks, ties, flags and awards; the largest difference of the values and bands."""
    same = [(p.team, p.rank, p.tied, p.crosses, p.award) for p in current] == [
        (p.team, p.rank, p.tied, p.crosses, p.award) for p in previous]
    return {"same_ranks": same, "max_value_difference": max(
        (max(abs(a.value - b.value), abs(a.low - b.low), abs(a.high - b.high), abs(a.raw - b.raw))
         for a, b in zip(current, previous)), default=0.0) if same else None}


def time_page(client, url: str, times: int = 1) -> dict:
    """The page's size (KB, uncompressed) and the best wall and CPU time of ``times`` requests."""
    walls, cpus = [], []
    for _ in range(times):
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        walls.append(time.perf_counter() - started)
        cpus.append(time.process_time() - cpu)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code}")
    return {"kb": len(response.data) / 1024, "wall": min(walls), "cpu": min(cpus)}


def measure_pages(app, round_id: int, repeat: int) -> dict:
    """The organiser's results page: the first page cold (nothing cached) and warm, a search and the flagged rows
    warm, and — the baseline — every row on one page, as the page was before it had pages."""
    client = app.test_client()
    response = client.post("/signin", data={"email": ORGANISER_EMAIL, "password": PASSWORD})
    if response.status_code != 302:
        raise SystemExit(f"signing in failed: {response.status_code}")
    url = f"/organiser/rounds/{round_id}/results"
    client.get(url)  # the first request of the process: templates compiled, catalogues read
    with app.app_context():
        cache.clear()
    pages = {"cold": time_page(client, url)}
    pages["warm"] = time_page(client, url, repeat)
    pages["search"] = time_page(client, url + "?q=" + quote("امید"), repeat)
    pages["flagged"] = time_page(client, url + "?flagged=1&page=2", repeat)
    with app.app_context():
        engine = db.engine
    with QueryCounter(engine) as counter:
        client.get(url)
    pages["warm"]["queries"] = len(counter)
    page_size, views.LEADERBOARD_PAGE_SIZE = views.LEADERBOARD_PAGE_SIZE, 10 ** 9
    try:
        pages["all_rows"] = time_page(client, url)
    finally:
        views.LEADERBOARD_PAGE_SIZE = page_size
    return pages


def run(args) -> dict:
    with bench_database(args.database_url, "_bench2") as (dialect, url):
        app = create_app({
            "TESTING": True, "SECRET_KEY": "bench-secret", "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "SERVER_NAME": "localhost",
            "NOTIFY_TICKER": False, "JOBS_BACKEND": "inline",  # no thread of the app runs statements meanwhile
        })
        try:
            out: dict = {"dialect": dialect}
            with app.app_context():
                started = time.perf_counter()
                ids = build_round(args)
                out["load_round_s"] = time.perf_counter() - started

            with app.app_context():
                out["pure_s"], pure = time_pure_assignment(ids["round"], args.per_entry)
                out["pure_pairs"], out["pure_balanced"], out["pure_connected"] = (
                    len(pure.pairs), pure.balanced, pure.connected)

            with app.app_context():
                actor = db.session.get(User, ids["organiser"])
                round_ = db.session.get(Round, ids["round"])
                with QueryCounter(db.engine) as counter:
                    started = time.perf_counter()
                    result = services.assign_automatically(actor, round_, utcnow())
                    called = time.perf_counter()
                    db.session.commit()
                    committed = time.perf_counter()
                out["service_call_s"], out["service_commit_s"] = called - started, committed - called
                out["service_s"] = committed - started
                out["service_queries"] = len(counter)
                out["service_uncovered"] = len(result.uncovered)
                out["assignments"] = db.session.scalar(
                    select(func.count()).select_from(Assignment).where(Assignment.round_id == ids["round"]))
                out["same_pairs"] = result.pairs == pure.pairs
                analyze()

            with app.app_context():
                started = time.perf_counter()
                out["scores"] = write_scores(ids["round"])
                out["load_scores_s"] = time.perf_counter() - started

            out["leaderboard"] = repeated(app, ids["round"], current_leaderboard, args.repeat)
            out["previous"] = repeated(app, ids["round"], previous_leaderboard, args.repeat)
            out["naive"] = repeated(app, ids["round"], naive_leaderboard, args.repeat, slow=NAIVE_SLOW)
            current, naive = out["leaderboard"]["result"], out["naive"]["result"]
            out["check"] = compare(current, out["previous"]["result"])
            out["max_mean_difference"] = (max(abs(place.raw - naive[place.team]) for place in current)
                                          if {place.team for place in current} == naive.keys() else None)
            out["pages"] = measure_pages(app, ids["round"], args.repeat)
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    return out


def report(args, result: dict) -> dict:
    def best(name, kind="cpu"):
        return min(result[name][kind])

    def median(name, kind="wall"):
        return statistics.median(result[name][kind])

    pages = result["pages"]
    figures = {
        "database": result["dialect"], "entries": args.entries, "judges": args.judges, "scores": result["scores"],
        "assignment_pure_s": round(result["pure_s"], 3), "assignment_service_s": round(result["service_s"], 3),
        "leaderboard_s": round(median("leaderboard"), 3), "leaderboard_cpu_s": round(best("leaderboard"), 3),
        "leaderboard_queries": result["leaderboard"]["queries"][-1],
        "previous_s": round(median("previous"), 3), "previous_cpu_s": round(best("previous"), 3),
        "previous_queries": result["previous"]["queries"][-1],
        "naive_s": round(median("naive"), 3), "naive_cpu_s": round(best("naive"), 3),
        "naive_queries": result["naive"]["queries"][-1],
        "ratio_cpu_previous": round(best("previous") / best("leaderboard"), 2),
        "ratio_cpu_naive": round(best("naive") / best("leaderboard"), 2),
        "same_ranks": result["check"]["same_ranks"], "max_value_difference": result["check"]["max_value_difference"],
        **{f"page_{name}_{key}": round(value, 3) for name, figures in pages.items() for key, value in figures.items()},
    }

    def seconds_list(samples):
        return ", ".join(f"{s:.2f}" for s in samples)

    print(f"database: {result['dialect']}; {args.entries} entries, {args.judges} judges, {args.per_entry} per entry: "
          f"{result['assignments']} assignments, {result['scores']} scores; round loaded in "
          f"{result['load_round_s']:.2f} s, scores in {result['load_scores_s']:.2f} s")
    header = f"{'measure':<34} {'seconds':>9} {'CPU s':>7} {'queries':>8}  notes"
    print(header)
    print("-" * len(header))
    print(f"{'assign() on plain objects':<34} {result['pure_s']:>9.3f} {'':>7} {'-':>8}  "
          f"{result['pure_pairs']} pairs, balanced {result['pure_balanced']}, connected {result['pure_connected']}")
    print(f"{'assign_automatically() + commit':<34} {result['service_s']:>9.3f} {'':>7} {result['service_queries']:>8}  "
          f"call {result['service_call_s']:.2f} s + commit {result['service_commit_s']:.2f} s; "
          f"{result['assignments']} rows, {result['service_uncovered']} uncovered, "
          f"same pairs as assign(): {result['same_pairs']}")
    for name, label in (("leaderboard", "compute_leaderboard()"), ("previous", "previous implementation"),
                        ("naive", "naive per-entry ORM loop")):
        counts = result[name]["queries"]
        print(f"{label:<34} {median(name):>9.3f} {best(name):>7.3f} {counts[-1]:>8}  "
              f"median wall, best CPU of {len(counts)}: {seconds_list(result[name]['wall'])} s wall"
              + ("" if len(set(counts)) == 1 else f"  <- counts differ between runs: {counts}"))
    print(f"{'CPU: previous / compute_leaderboard':<34} {figures['ratio_cpu_previous']:>8.2f}x; "
          f"naive / compute_leaderboard {figures['ratio_cpu_naive']:.1f}x")
    check = result["check"]
    print("check: " + ("the same ranks, ties, flags and awards as the previous implementation; largest difference "
                       f"of a value, band or raw mean {check['max_value_difference']:.1e} points"
                       if check["same_ranks"] else "THE RANKS DIFFER FROM THE PREVIOUS IMPLEMENTATION")
          + ("; naive means: the entries differ!" if result["max_mean_difference"] is None
             else f"; largest |raw mean - naive mean| = {result['max_mean_difference']:.1e}"))
    print(f"\norganiser results page ({args.entries} entries, {views.LEADERBOARD_PAGE_SIZE} rows a page), "
          f"best of {args.repeat} when warm:")
    for name, label in (("cold", "first page, nothing cached"), ("warm", "first page, cached"),
                        ("search", "a search, cached"), ("flagged", "flagged only, page 2, cached"),
                        ("all_rows", "baseline: every row on one page")):
        page = pages[name]
        print(f"  {label:<34} {page['kb']:>8.1f} KB {page['wall']:>7.3f} s wall {page['cpu']:>7.3f} s CPU"
              + (f"  {page['queries']} statements" if "queries" in page else ""))
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=5000, help="approved teams in the round (default 5000)")
    parser.add_argument("--judges", type=int, default=200, help="judges of the round (default 200)")
    parser.add_argument("--per-entry", type=int, default=5, help="judges per entry (default 5)")
    parser.add_argument("--repeat", type=int, default=3, help="timed leaderboards, median (default 3)")
    parser.add_argument("--database-url", default=None,
                        help="a PostgreSQL server to use, e.g. postgresql://postgres@127.0.0.1:5432/test "
                             "(a database <name>_bench2 is created and dropped); default: a temporary SQLite file")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object, last")
    args = parser.parse_args(argv)
    if args.entries < 1 or args.judges < 1 or args.repeat < 1:
        parser.error("--entries, --judges and --repeat must be at least 1")
    if not 1 <= args.per_entry <= min(20, args.judges):
        parser.error("--per-entry must be from 1 to 20 and at most --judges")
    logging.getLogger("eventapp.core.mail").setLevel(logging.WARNING)  # the judges' assignment mails, logged
    figures = report(args, run(args))
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
