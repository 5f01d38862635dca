"""Rows the benchmarks load: an organiser, events with their phases, teams with members and maps, a judged
round, the indicators of pipeline projects, reference figures per province.

Rows go in with Core inserts where there are many; the random choices are seeded, so every run of a
benchmark loads the same data. Nothing here commits unless its docstring says so.
"""
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from databases import analyze, insert_rows
from sqlalchemy import insert, select, update

from eventapp.auth.models import RoleGrant, User
from eventapp.auth.passwords import hash_password
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.core.roles import JUDGE, ORGANISER
from eventapp.events.models import County, Event, Phase, Province
from eventapp.events.phases import PHASES
from eventapp.judging import services as judging
from eventapp.judging.models import FINAL, Assignment, Round, RoundEntry, RoundJudge, Score
from eventapp.pipeline.models import ProjectIndicator, Reading, ReferenceIndicator, ReferenceValue
from eventapp.teams.models import (
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

SEED = 1405
PASSWORD = "bench password"
ORGANISER_EMAIL = "organiser@bench.example.org"
TEAM_BATCH = 500  # teams per insert batch of TeamLoader
LENIENCY = 2.0  # each judge's leniency is uniform in ±LENIENCY points of the 0-10 scale
NOISE_SD = 1.0  # per score, in points

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
PROJECT_INDICATORS = [("تعداد شاغلان", "نفر"), ("درآمد ماهانه خانوار", "میلیون تومان"), ("سطح زیر کشت", "هکتار"),
                      ("دوره‌های آموزشی", "دوره")]


# --- people and events -------------------------------------------------------------------------

def signing_keys(folder: Path) -> dict:
    """Settings of a signing key and a credential key made in ``folder`` as ``flask certificates keygen`` makes
    them: the bulk path signs every document (PAdES) and credential, as it does in production."""
    from eventapp.certificates.services.credentials import write_keys

    key_file, credential_file = folder / "signing-key.p12", folder / "credential-key.jwk"
    write_keys(key_file, credential_file, "Dawn of Progress (bench)", "bench key password", datetime.now(UTC))
    return {"CERTIFICATE_SIGNING_KEY_FILE": str(key_file), "CERTIFICATE_SIGNING_KEY_PASSWORD": "bench key password",
            "CREDENTIAL_KEY_FILE": str(credential_file)}


def add_organiser() -> User:
    """The organiser ``ORGANISER_EMAIL`` (password ``PASSWORD``), added to the session."""
    organiser = User(email=ORGANISER_EMAIL, name="سازمان‌دهنده آزمون", mobile="09120000000",
                     password_hash=hash_password(PASSWORD))
    organiser.role_grants.append(RoleGrant(role=ORGANISER))
    db.session.add(organiser)
    return organiser


def add_event(slug: str, title_fa: str, title_en: str, open_phase: str) -> Event:
    """An event with its phases back to back, ten days each, ``open_phase`` open now; added to the session."""
    now = utcnow()
    event = Event(slug=slug, title_fa=title_fa, title_en=title_en)
    start = now - timedelta(days=5) - timedelta(days=10) * PHASES.index(open_phase)
    for i, kind in enumerate(PHASES):
        event.phases.append(Phase(kind=kind, starts_at=start + timedelta(days=10 * i),
                                  ends_at=start + timedelta(days=10 * (i + 1)) - timedelta(seconds=1)))
    db.session.add(event)
    return event


# --- teams -----------------------------------------------------------------------------------

class TeamLoader:
    """Inserts teams in batches with Core inserts; ``load(a, b)`` adds the teams numbered a..b-1 and commits.

    Teams are spread over the counties, the kinds of organisation and ``statuses`` (weights), with Persian
    names; each has 3-6 members (the leader with an account, all leaders sharing one password hash) and a
    progress map (five short HTML sections, 2 indicators, 2 actions), submitted for ``submitted_share`` of the
    approved teams.
    """

    def __init__(self, event_id: int, statuses=TEAM_STATUS_WEIGHTS, submitted_share: float = 0.6):
        self.event_id = event_id
        self.statuses = statuses
        self.submitted_share = submitted_share
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
        for start in range(first, last, TEAM_BATCH):
            self._batch(start, min(start + TEAM_BATCH, last))
            db.session.commit()
        # What autovacuum does a minute after a bulk load: without statistics the planner guesses
        # five rows per table and picks plans a running server would not.
        analyze()

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
                "status": rnd.choices([s for s, _w in self.statuses], [w for _s, w in self.statuses])[0],
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
            submitted = team["status"] == APPROVED and rnd.random() < self.submitted_share
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


# --- judging -----------------------------------------------------------------------------------

def add_final_round(organiser: User, event: Event, per_entry: int, starts_at, ends_at) -> Round:
    """The default rubric (six criteria, 0-10) and a final round of ``per_entry`` judges per entry, through the
    services (flushed, not committed)."""
    now = utcnow()
    rubric = judging.save_rubric(organiser, event, "شاخص‌های داوری", "Judging rubric", judging.default_criteria(),
                                 now)
    return judging.save_round(organiser, event, judging.RoundDetails(
        kind=FINAL, rubric_id=rubric.id, starts_at=starts_at, ends_at=ends_at, judges_per_entry=per_entry), now)


def add_judges(round_id: int, count: int) -> list[int]:
    """``count`` judges ``judge<j>@bench.example.org`` (password ``PASSWORD``, one shared hash), judges of the
    round; their ids."""
    now = utcnow()
    shared_hash = hash_password(PASSWORD)  # the judges share one hash: Argon2 is slow
    judge_ids = insert_rows(User, [
        {"email": f"judge{j}@bench.example.org", "name": f"داور {j + 1}", "mobile": f"0912{j:07d}",
         "password_hash": shared_hash, "active": True, "session_version": 1, "created_at": now}
        for j in range(count)
    ], User.id)
    insert_rows(RoleGrant, [{"user_id": user_id, "role": JUDGE, "granted_at": now} for user_id in judge_ids])
    insert_rows(RoundJudge, [{"round_id": round_id, "user_id": user_id} for user_id in judge_ids])
    return judge_ids


def add_entries(round_id: int, team_ids: list[int]) -> None:
    now = utcnow()
    insert_rows(RoundEntry, [{"round_id": round_id, "team_id": team_id, "added_at": now} for team_id in team_ids])


def write_scores(round_id: int) -> int:
    """One score per criterion of every assignment, and every assignment submitted; commits; the scores' count.

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


# --- the pipeline and the observatory ----------------------------------------------------------

def add_project_indicators(project_ids: list[int], rnd: random.Random, now) -> None:
    """Three indicators per project, each with six monthly readings (70 % of them verified)."""
    today = date.today()
    indicators = []
    for project_id in project_ids:
        for name, unit in rnd.sample(PROJECT_INDICATORS, 3):
            baseline = float(rnd.randint(0, 50))
            indicators.append({"project_id": project_id, "name": name, "unit": unit, "baseline": baseline,
                               "target": baseline + rnd.randint(20, 150),
                               "target_date": today + timedelta(days=rnd.randint(-30, 540))})
    indicator_ids = insert_rows(ProjectIndicator, indicators, ProjectIndicator.id)
    readings = []
    for indicator_id, indicator in zip(indicator_ids, indicators):
        value = indicator["baseline"]
        for step in range(6):
            value += rnd.uniform(-3, 25)
            readings.append({"indicator_id": indicator_id, "taken_on": today - timedelta(days=30 * (6 - step)),
                             "value": round(value, 1), "source": "", "note": "", "posted_at": now,
                             "verified_at": now if rnd.random() < 0.7 else None})
    insert_rows(Reading, readings)


def add_reference_indicators(rnd: random.Random) -> None:
    """Two reference indicators (population, a deprivation index) for every province; commits."""
    provinces = db.session.scalars(select(Province.id).order_by(Province.code)).all()
    for key, name_fa, name_en, unit, make in (
            ("population", "جمعیت", "Population", "نفر", lambda: rnd.randint(500_000, 13_000_000)),
            ("deprivation", "شاخص محرومیت", "Deprivation index", "", lambda: round(rnd.uniform(0.1, 0.9), 2))):
        indicator = ReferenceIndicator(key=key, name_fa=name_fa, name_en=name_en, unit=unit)
        db.session.add(indicator)
        db.session.flush()
        insert_rows(ReferenceValue, [{"indicator_id": indicator.id, "province_id": province_id, "value": make()}
                                     for province_id in provinces])
    db.session.commit()
    analyze()
