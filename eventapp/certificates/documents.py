"""What each kind of document says, gathered as plain values (never database objects).

``subjects_of`` finds, in a few queries, everyone who should receive a document of a kind, with the
facts their document states; ``context`` turns one subject into the values a template sees, one
``page`` per language (Persian, English, or both for a bilingual document).
"""
from dataclasses import dataclass, field
from datetime import datetime

import jdatetime
from babel.dates import format_date as babel_format_date
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..core.extensions import db
from ..core.i18n import current_language, format_number, to_tehran
from ..core.text import persian_digits, persian_sort_key
from ..events.models import Event
from ..judging.models import FINAL, Assignment, Publication, Round, RoundEntry
from ..judging.results import PublishedResult, ResultRow
from ..judging.scoring import percentile_rank
from ..teams.models import APPROVED, Team
from ..training.models import TrainingSession, TrainingSignup
from . import statistics
from .enums import Achievement, DocumentKind, DocumentLanguage, achievement_text
from .rendering import QR_IMAGE, WHOLE_PAGE, QRCodeSvg, asset_urls

# The fixed words of the default templates, in each language (organisers may write their own).
LABELS = {
    "title": lambda kind: kind.label,
    "certifies": lambda kind: _l("This certifies that"),
    "team": lambda kind: _l("Team"),
    "organisation": lambda kind: _l("Organisation"),
    "members": lambda kind: _l("Members"),
    "achieved": lambda kind: _l("has achieved"),
    "in_event": lambda kind: _l("in"),
    "issued_on": lambda kind: _l("Issued on"),
    "serial": lambda kind: _l("Serial"),
    "verify": lambda kind: _l("Check this document at"),
    "criterion": lambda kind: _l("Criterion"),
    "result": lambda kind: _l("Your result"),
    "average": lambda kind: _l("Round average"),
    "percentile": lambda kind: _l("Better than"),
    "group": lambda kind: _l("Group"),
    "overall": lambda kind: _l("Overall"),
    "rank": lambda kind: _l("Rank"),
    "of": lambda kind: _l("of"),
    "comments": lambda kind: _l("What the judges said"),
    "no_comments": lambda kind: _l("The judges left no comments."),
    "improve": lambda kind: _l("Where to improve: the criteria furthest below the round's average come first."),
    "appreciation": lambda kind: _l("With thanks for judging, fairly and on time,"),
    "entries_reviewed": lambda kind: _l("Entries reviewed"),
    "attended": lambda kind: _l("attended every required training session of"),
}


@dataclass
class Subject:
    """Whom one document is for, and the facts it states (language-neutral)."""
    key: str  # "team:12" or "judge:7"
    holder: str
    team_id: int | None = None
    user_id: int | None = None
    organisation: str = ""
    province: dict = field(default_factory=dict)  # {"fa": ..., "en": ...}
    members: list[str] = field(default_factory=list)
    achievement: Achievement | None = None  # for group certificates (given as a member or its value)
    group: int | None = None  # the group it was ranked in, in a final round published by group
    report: dict = field(default_factory=dict)  # for report cards, from the published results
    reviewed: int = 0  # for judges

    def __post_init__(self):
        self.achievement = Achievement(self.achievement) if self.achievement else None

    @property
    def achievement_text(self) -> str:
        return achievement_text(self.achievement, self.group)


# --- who receives what -------------------------------------------------------------------------------


def _sorted(subjects: list[Subject]) -> list[Subject]:
    return sorted(subjects, key=lambda subject: persian_sort_key(subject.holder))


def _team_subject(team: Team, **facts) -> Subject:
    return Subject(key=f"team:{team.id}", holder=team.name, team_id=team.id, organisation=team.organisation_name,
                   province={"fa": team.province.name_fa, "en": team.province.name_en}, **facts)


def _approved_teams(event: Event) -> list[Team]:
    return list(db.session.scalars(select(Team).options(selectinload(Team.members)).where(
        Team.event_id == event.id, Team.status == APPROVED)))


def _publications(event: Event) -> list[tuple[Round, Publication]]:
    """The current published results of the event's rounds, the final round first."""
    rows = db.session.execute(select(Round, Publication).join(Publication, Publication.round_id == Round.id).where(
        Round.event_id == event.id, Publication.superseded_at.is_(None)))
    return sorted(rows.all(), key=lambda pair: (pair[0].kind != FINAL, -pair[0].id))


def has_published_results(event: Event) -> bool:
    return bool(_publications(event))


def group_subjects(event: Event) -> list[Subject]:
    """Every approved team: its award in the published final round, else finalist if it was in the
    final round, else participation."""
    awards, groups, finalists = {}, {}, set()
    for round_, publication in _publications(event):
        if round_.kind == FINAL:
            result = publication.result
            awards.update(result.awards)
            groups.update({row.team_id: row.group for row in result.rows if row.award and row.group})
            finalists.update(db.session.scalars(select(RoundEntry.team_id).where(RoundEntry.round_id == round_.id)))
    return _sorted([
        _team_subject(team, members=[member.name for member in team.members], group=groups.get(team.id),
                      achievement=awards.get(team.id) or (Achievement.FINALIST if team.id in finalists
                                                          else Achievement.PARTICIPATION))
        for team in _approved_teams(event)])


def report_subjects(event: Event) -> list[Subject]:
    """Every team judged in a published round (its latest: the final round if it was in it)."""
    reports = {}
    for _round, publication in _publications(event):
        result = publication.result
        for row in result.rows:
            reports.setdefault(row.team_id, _report_facts(row, result))
    teams = db.session.scalars(select(Team).options(selectinload(Team.members)).where(Team.id.in_(list(reports))))
    return _sorted([_team_subject(team, members=[member.name for member in team.members], report=reports[team.id])
                    for team in teams])


def _report_facts(row: ResultRow, result: PublishedResult) -> dict:
    """Per criterion: the team's mean, the round's average and the percentile; overall likewise. In a result
    published by group, the team is compared with its group only."""
    rows = result.peers_of(row)
    criteria = []
    for criterion in result.criteria:
        key = criterion.id
        values = [other.criteria[key] for other in rows if key in other.criteria]
        if key not in row.criteria or not values:
            continue
        criteria.append({
            "fa": criterion.fa, "en": criterion.en or criterion.fa, "max": criterion.max,
            "result": row.criteria[key], "average": statistics.mean(values),
            "percentile": percentile_rank(row.criteria[key], values),
        })
    # The criteria furthest below the average first: the card says what to improve before what went well.
    criteria.sort(key=lambda item: (item["result"] - item["average"]) / (item["max"] or 1))
    titles = {criterion.id: criterion for criterion in result.criteria}
    totals = [other.value for other in rows]
    return {
        "criteria": criteria,
        "overall": {"result": row.value, "average": statistics.mean(totals),
                    "percentile": result.percentile_of(row), "rank": row.rank, "of": len(rows), "group": row.group},
        "comments": [{"fa": titles[comment.criterion].fa if comment.criterion in titles else "",
                      "en": titles[comment.criterion].en if comment.criterion in titles else "",
                      "text": comment.text} for comment in row.comments],
    }


def judge_subjects(event: Event) -> list[Subject]:
    """Every judge with assignments in the event's rounds, all of them submitted."""
    rows = db.session.execute(
        select(Assignment.user_id, func.count(), func.count(Assignment.submitted_at))
        .join(Round, Round.id == Assignment.round_id).where(Round.event_id == event.id)
        .group_by(Assignment.user_id)).all()
    finished = {user_id: submitted for user_id, assigned, submitted in rows if assigned == submitted}
    users = db.session.scalars(select(User).where(User.id.in_(list(finished))))
    return _sorted([Subject(key=f"judge:{user.id}", holder=user.name, user_id=user.id, reviewed=finished[user.id])
                    for user in users])


def training_subjects(event: Event) -> list[Subject]:
    """Every approved team with members who attended every required session of the event."""
    required = set(db.session.scalars(select(TrainingSession.id).where(
        TrainingSession.event_id == event.id, TrainingSession.required.is_(True),
        TrainingSession.cancelled_at.is_(None))))
    if not required:
        return []
    attended = {}
    for user_id, session_id in db.session.execute(select(TrainingSignup.user_id, TrainingSignup.session_id).where(
            TrainingSignup.session_id.in_(required), TrainingSignup.attended.is_(True))):
        attended.setdefault(user_id, set()).add(session_id)
    subjects = []
    for team in _approved_teams(event):
        names = [member.name for member in team.members if attended.get(member.user_id) == required]
        if names:
            subjects.append(_team_subject(team, members=names))
    return _sorted(subjects)


SUBJECTS = {DocumentKind.GROUP: group_subjects, DocumentKind.REPORT: report_subjects,
            DocumentKind.JUDGE: judge_subjects, DocumentKind.TRAINING: training_subjects}


def subjects_of(event: Event, kind: DocumentKind) -> list[Subject]:
    return SUBJECTS[kind](event)


# --- what a template sees --------------------------------------------------------------------------------


def _dates(moment: datetime, language: str) -> tuple[str, str]:
    """(Jalali, Gregorian) of the day, written in the language."""
    day = to_tehran(moment).date()
    jalali = jdatetime.date.fromgregorian(date=day, locale="fa_IR" if language == "fa" else "en_US")
    if language == "fa":
        return (persian_digits(f"{jalali.day} {jalali.strftime('%B')} {jalali.year}"),
                persian_digits(babel_format_date(day, "d MMMM y", locale="fa")))
    return f"{jalali.day} {jalali.strftime('%B')} {jalali.year}", babel_format_date(day, "d MMMM y", locale="en")


def _in_digits(text: str, language: str) -> str:
    return persian_digits(text) if language == "fa" else text


def _percent(value: float) -> str:
    return format_number(round(value)) + ("٪" if current_language() == "fa" else "%")


def percentile_in_words(percentile: float) -> str:
    """The percentile rank as a sentence, in the current language."""
    return _("Percentile %(value)s of 100: better than about %(value)s%% of the teams it was ranked among.",
             value=format_number(round(percentile)))


def _report_page(report: dict, language: str) -> dict:
    overall = report["overall"]
    return {
        "criteria": [{"title": item[language], "result": format_number(round(item["result"], 2)),
                      "average": format_number(round(item["average"], 2)), "max": format_number(item["max"]),
                      "percentile": _percent(item["percentile"]),
                      "below_average": item["result"] < item["average"]} for item in report["criteria"]],
        "overall": {"result": format_number(round(overall["result"], 2)),
                    "average": format_number(round(overall["average"], 2)),
                    "percentile": _percent(overall["percentile"]),
                    "percentile_words": percentile_in_words(overall["percentile"]),
                    "rank": format_number(overall["rank"]), "of": format_number(overall["of"]),
                    "group": format_number(overall.get("group"))},
        "comments": [{"criterion": comment[language] or comment["fa"], "text": comment["text"]}
                     for comment in report["comments"]],
    }


def _page(kind: DocumentKind, subject: Subject, event: dict, signatories: list[dict], images, issued_at: datetime,
          language: str) -> dict:
    with force_locale(language):
        jalali, gregorian = _dates(issued_at, language)
        page = {
            "lang": language, "dir": "rtl" if language == "fa" else "ltr",
            "labels": {name: str(label(kind)) for name, label in LABELS.items()},
            "event": _in_digits(event[language] or event["fa"], language),
            "achievement": subject.achievement_text,
            "group": format_number(subject.group),
            "issued_jalali": jalali, "issued_gregorian": gregorian,
            "province": subject.province.get(language, ""),
            "signatories": [{"name": person[f"name_{language}"] or person["name_fa"],
                             "position": person[f"position_{language}"] or person["position_fa"],
                             "image": f"asset:{person['image']}" if person.get("image") in images else ""}
                            for person in signatories],
            "reviewed": format_number(subject.reviewed),
            "report": _report_page(subject.report, language) if subject.report else {},
        }
    return page


def context(kind: DocumentKind | str, subject: Subject, *, event: dict, language: DocumentLanguage | str,
            signatories: list[dict], images, serial: str, verify_url: str, issued_at: datetime) -> dict:
    """The values a template sees: plain strings, numbers, lists and dicts only (the kind and the
    language may be given as members or as their values)."""
    kind, language = DocumentKind(kind), DocumentLanguage(language)
    return {
        "kind": kind.value, "layer": WHOLE_PAGE, "serial": serial, "verify_url": verify_url,
        "qr": QRCodeSvg(verify_url), "qr_image": QR_IMAGE,
        # What is printed: the checking page by the serial (shorter than verify_url, and what people can type).
        "verify_site": verify_url.rsplit("/", 1)[0] + "/", "verify_address": verify_url.rsplit("/", 1)[0] + "/" + serial,
        "images": asset_urls(images), "holder": subject.holder,
        "team": {"name": subject.holder, "organisation": subject.organisation},
        "members": list(subject.members),
        "pages": [_page(kind, subject, event, signatories, images, issued_at, code)
                  for code in language.codes],
    }


def sample_subject(kind: DocumentKind) -> Subject:
    """Invented facts for the template editor's preview."""
    if kind == DocumentKind.JUDGE:
        return Subject(key="judge:0", holder="مریم احمدی", reviewed=12)
    report = {}
    if kind == DocumentKind.REPORT:
        report = {
            "criteria": [
                {"fa": "شناخت مسئله", "en": "Understanding of the problem", "max": 10, "result": 6.5,
                 "average": 7.2, "percentile": 35.0},
                {"fa": "امکان‌پذیری", "en": "Feasibility", "max": 10, "result": 8.0, "average": 6.9,
                 "percentile": 80.0},
            ],
            "overall": {"result": 72.5, "average": 68.1, "percentile": 64.0, "rank": 9, "of": 25, "group": None},
            "comments": [{"fa": "امکان‌پذیری", "en": "Feasibility", "text": "برنامهٔ زمانی روشن و دقیق است."}],
        }
    return Subject(key="team:0", holder="گروه جهادی نمونه", organisation="کانون نمونه",
                   province={"fa": "یزد", "en": "Yazd"},
                   members=["زهرا کریمی", "علی رضایی", "فاطمه موسوی"],
                   achievement=Achievement.FIRST if kind == DocumentKind.GROUP else None, report=report)
