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
3. times ``services.compute_leaderboard(round_)`` in a fresh app context and session each time
   (median of --repeat), counting the SQL statements it runs;
4. times and counts the same way a naive per-entry ORM loop written in this script: for each
   entry a query for its assignments, for each assignment a lazy load of its scores, the weighted
   totals by ``scoring.weighted_total``, a plain mean per entry and a sort. It runs once when it
   takes 5 s or more, else --repeat times (median);

and prints the ratios naive / compute_leaderboard for time and for statements. The naive loop's
means are checked against the leaderboard's raw means (``row.raw.value``): the two compute the
same figure, so the comparison is of like with like (the leaderboard does much more besides: the
judge-effect fit, ranks, bands, flags).

The default database is a fresh SQLite file in a temporary folder. With a PostgreSQL URL
(``postgresql://postgres@127.0.0.1:5432/test``) the benchmark creates a database of its own named
``<name>_bench2`` (``test_bench2`` here) on that server, and drops it at the end, also after an
error: the named database is never touched. On PostgreSQL the tables are ANALYZEd after each load.

With --json the last line printed is one JSON object:
{"database": "sqlite"|"postgresql", "entries": N, "judges": M, "scores": S,
 "assignment_pure_s": s, "assignment_service_s": s, "leaderboard_s": s, "leaderboard_queries": n,
 "naive_s": s, "naive_queries": n, "ratio_time": x, "ratio_queries": x}
"""
import argparse
import json
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from databases import analyze, bench_database, insert_rows  # noqa: E402  (bench/ is the script's own folder)
from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import func, select, update
from sqlalchemy.orm import lazyload  # noqa: E402

from eventapp import create_app  # noqa: E402
from eventapp.auth.models import RoleGrant, User  # noqa: E402
from eventapp.auth.passwords import hash_password  # noqa: E402
from eventapp.core.database import utcnow  # noqa: E402
from eventapp.core.extensions import db  # noqa: E402
from eventapp.core.roles import JUDGE, ORGANISER  # noqa: E402
from eventapp.events.models import County, Event, Phase  # noqa: E402
from eventapp.events.phases import PHASES  # noqa: E402
from eventapp.events.places import sync_places  # noqa: E402
from eventapp.judging import scoring, services  # noqa: E402
from eventapp.judging.assignment import Entry, Judge, assign  # noqa: E402
from eventapp.judging.models import FINAL, Assignment, Round, RoundEntry, RoundJudge, Score  # noqa: E402
from eventapp.teams.models import APPROVED, ORGANISATION_TYPES, Team  # noqa: E402

SEED = 1405
PASSWORD = "bench password"
ORGANISER_EMAIL = "organiser@bench.example.org"
LENIENCY = 2.0  # each judge's leniency is uniform in ±LENIENCY points of the 0-10 scale
NOISE_SD = 1.0  # per score, in points
NAIVE_SLOW = 5.0  # seconds: a naive run this slow is not repeated

GROUP_KINDS = ["گروه جهادی", "کانون", "انجمن", "هیئت", "قرارگاه", "مؤسسه", "جمعیت", "حلقه"]
GROUP_NAMES = ["امید", "طلوع", "بصیرت", "سپیده", "ایثار", "نور", "رویش", "همدلی", "آبادانی", "مهر"]


# --- the database ----------------------------------------------------------------------------

def build_round(args) -> dict:
    """Tables, places, an organiser, an event, the default rubric, a round, its entries and judges."""
    db.create_all()
    sync_places()
    now = utcnow()
    organiser = User(email=ORGANISER_EMAIL, name="سازمان‌دهنده آزمون", mobile="09120000000",
                     password_hash=hash_password(PASSWORD))
    organiser.role_grants.append(RoleGrant(role=ORGANISER))
    event = Event(slug="bench", title_fa="رویداد ملی طلوع پیشرفت", title_en="Dawn of Progress national event")
    # Back-to-back phases of ten days, the judging phase open now.
    start = now - timedelta(days=5) - timedelta(days=10) * PHASES.index("judging")
    for i, kind in enumerate(PHASES):
        event.phases.append(Phase(kind=kind, starts_at=start + timedelta(days=10 * i),
                                  ends_at=start + timedelta(days=10 * (i + 1)) - timedelta(seconds=1)))
    db.session.add_all([organiser, event])
    db.session.flush()
    rubric = services.save_rubric(organiser, event, "شاخص‌های داوری", "Judging rubric", services.default_criteria(),
                                  now)
    round_ = services.save_round(organiser, event, services.RoundDetails(
        kind=FINAL, rubric_id=rubric.id, starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=5),
        judges_per_entry=args.per_entry), now)
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

    shared_hash = hash_password(PASSWORD)  # the judges share one hash: Argon2 is slow
    judge_ids = insert_rows(User, [
        {"email": f"judge{j}@bench.example.org", "name": f"داور {j + 1}", "mobile": f"0912{j:07d}",
         "password_hash": shared_hash, "active": True, "session_version": 1, "created_at": now}
        for j in range(args.judges)
    ], User.id)
    insert_rows(RoleGrant, [{"user_id": user_id, "role": JUDGE, "granted_at": now} for user_id in judge_ids])
    insert_rows(RoundEntry, [{"round_id": round_.id, "team_id": team_id, "added_at": now} for team_id in team_ids])
    insert_rows(RoundJudge, [{"round_id": round_.id, "user_id": user_id} for user_id in judge_ids])
    db.session.commit()
    analyze()
    return ids


def write_scores(round_id: int) -> int:
    """One score per criterion of every assignment, and every assignment submitted; the scores' count.

    A score is round(entry quality + criterion offset + judge leniency + noise), clipped to the scale.
    """
    rnd = random.Random(SEED + 1)
    now = utcnow()
    round_ = db.session.get(Round, round_id)
    criteria = [(c.id, c.scale_min, c.scale_max) for c in round_.rubric.criteria]
    pairs = db.session.execute(select(Assignment.id, Assignment.user_id, Assignment.team_id)
                               .where(Assignment.round_id == round_id).order_by(Assignment.id)).all()
    quality, leniency = {}, {}
    rows = []
    for assignment_id, user_id, team_id in pairs:
        if team_id not in quality:
            quality[team_id] = [rnd.uniform(2.0, 8.0) + rnd.gauss(0.0, 1.0) for _ in criteria]
        if user_id not in leniency:
            leniency[user_id] = rnd.uniform(-LENIENCY, LENIENCY)
        for (criterion_id, low, high), level in zip(criteria, quality[team_id]):
            value = round(level + leniency[user_id] + rnd.gauss(0.0, NOISE_SD))
            rows.append({"assignment_id": assignment_id, "criterion_id": criterion_id,
                         "value": float(min(high, max(low, value))), "comment": "", "updated_at": now})
    insert_rows(Score, rows)
    db.session.execute(update(Assignment.__table__).where(Assignment.__table__.c.round_id == round_id)
                       .values(submitted_at=now, ever_submitted=True))
    db.session.commit()
    analyze()
    return len(rows)


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


def measure(app, round_id: int, function) -> tuple[float, int, object]:
    """(seconds, statements, result) of function(round_) in a fresh app context and session."""
    with app.app_context():
        round_ = db.session.get(Round, round_id)  # loaded before the clock starts
        with QueryCounter(db.engine) as counter:
            started = time.perf_counter()
            result = function(round_)
            seconds = time.perf_counter() - started
        # What the callers use: plain values, so that nothing loads after the session closes.
        if isinstance(result, services.Leaderboard):
            summary = {row.team.id: row.raw.value for row in result.rows}
        else:
            summary = {team.id: mean for team, mean in result}
    return seconds, len(counter), summary


def run(args) -> dict:
    with bench_database(args.database_url, "_bench2") as (dialect, url):
        app = create_app({
            "TESTING": True, "SECRET_KEY": "bench-secret", "SQLALCHEMY_DATABASE_URI": url,
            "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False, "SERVER_NAME": "localhost",
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

            samples, counts = [], []
            for _ in range(args.repeat):
                seconds, queries, board = measure(app, ids["round"], services.compute_leaderboard)
                samples.append(seconds)
                counts.append(queries)
            out["leaderboard_samples"], out["leaderboard_counts"] = samples, counts

            naive_samples, naive_counts = [], []
            while True:
                seconds, queries, naive = measure(app, ids["round"], naive_leaderboard)
                naive_samples.append(seconds)
                naive_counts.append(queries)
                if seconds >= NAIVE_SLOW or len(naive_samples) >= args.repeat:
                    break
            out["naive_samples"], out["naive_counts"] = naive_samples, naive_counts

            out["rows"], out["naive_rows"] = len(board), len(naive)
            out["max_mean_difference"] = max((abs(board[team] - naive[team]) for team in board), default=0.0) \
                if board.keys() == naive.keys() else None
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
    return out


def report(args, result: dict) -> dict:
    leaderboard_s = statistics.median(result["leaderboard_samples"])
    naive_s = statistics.median(result["naive_samples"])
    leaderboard_queries = result["leaderboard_counts"][-1]
    naive_queries = result["naive_counts"][-1]
    figures = {
        "database": result["dialect"], "entries": args.entries, "judges": args.judges, "scores": result["scores"],
        "assignment_pure_s": round(result["pure_s"], 3), "assignment_service_s": round(result["service_s"], 3),
        "leaderboard_s": round(leaderboard_s, 3), "leaderboard_queries": leaderboard_queries,
        "naive_s": round(naive_s, 3), "naive_queries": naive_queries,
        "ratio_time": round(naive_s / leaderboard_s, 2),
        "ratio_queries": round(naive_queries / leaderboard_queries, 2),
    }

    def seconds_list(samples):
        return ", ".join(f"{s:.2f}" for s in samples)

    print(f"database: {result['dialect']}; {args.entries} entries, {args.judges} judges, {args.per_entry} per entry: "
          f"{result['assignments']} assignments, {result['scores']} scores; round loaded in "
          f"{result['load_round_s']:.2f} s, scores in {result['load_scores_s']:.2f} s")
    header = f"{'measure':<34} {'seconds':>9} {'queries':>8}  notes"
    print(header)
    print("-" * len(header))
    print(f"{'assign() on plain objects':<34} {result['pure_s']:>9.3f} {'-':>8}  "
          f"{result['pure_pairs']} pairs, balanced {result['pure_balanced']}, connected {result['pure_connected']}")
    print(f"{'assign_automatically() + commit':<34} {result['service_s']:>9.3f} {result['service_queries']:>8}  "
          f"call {result['service_call_s']:.2f} s + commit {result['service_commit_s']:.2f} s; "
          f"{result['assignments']} rows, {result['service_uncovered']} uncovered, "
          f"same pairs as assign(): {result['same_pairs']}")
    counts = result["leaderboard_counts"]
    print(f"{'compute_leaderboard()':<34} {leaderboard_s:>9.3f} {leaderboard_queries:>8}  "
          f"median of {len(counts)}: {seconds_list(result['leaderboard_samples'])} s"
          + ("" if len(set(counts)) == 1 else f"  <- counts differ between runs: {counts}"))
    counts = result["naive_counts"]
    print(f"{'naive per-entry ORM loop':<34} {naive_s:>9.3f} {naive_queries:>8}  "
          f"{'median of ' + str(len(counts)) if len(counts) > 1 else 'one run'}: "
          f"{seconds_list(result['naive_samples'])} s"
          + ("" if len(set(counts)) == 1 else f"  <- counts differ between runs: {counts}"))
    print(f"{'naive / compute_leaderboard':<34} {figures['ratio_time']:>8.2f}x {figures['ratio_queries']:>7.1f}x")
    difference = result["max_mean_difference"]
    print(f"check: {result['rows']} leaderboard rows, {result['naive_rows']} naive rows; "
          + ("the entries differ!" if difference is None
             else f"largest |raw mean - naive mean| = {difference:.2e} points"))
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
    figures = report(args, run(args))
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
