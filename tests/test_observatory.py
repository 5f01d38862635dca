"""The observatory: counts per province, only published and verified figures, the reference import."""
import io
from datetime import date, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from eventapp.audit.models import AuditEntry
from eventapp.auth.models import User
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.events.models import County, Province
from eventapp.judging.models import FINAL, SCREENING, Publication, Round, Rubric
from eventapp.pipeline import observatory, services
from eventapp.pipeline.models import Project, ProjectIndicator, Reading, ReferenceIndicator, ReferenceValue
from eventapp.teams.models import DRAFT, REJECTED, SUBMITTED, ProgressMap, Team

from .helpers import page_text

TEHRAN, YAZD, FARS, ISFAHAN = 23, 21, 7, 10  # province codes


# --- building data ---------------------------------------------------------------------------------------------


def province_id(code: int) -> int:
    return db.session.scalar(select(Province.id).where(Province.code == code))


def add_team(event_id: int, code: int, status: str = "approved", map_status: str | None = None,
             map_code: int | None = None) -> int:
    """A team of the province with that code, and optionally its map (about another province)."""
    county = db.session.scalars(select(County).where(County.province_id == province_id(code))
                                .order_by(County.id)).first()
    number = db.session.scalar(select(func.count()).select_from(Team)) + 1
    team = Team(event_id=event_id, name=f"گروه {number}", organisation_type="jihadi", organisation_name="نمونه",
                province_id=county.province_id, county_id=county.id, contact_email="t@example.com",
                contact_phone="09120000000", status=status)
    db.session.add(team)
    db.session.flush()
    if map_status:
        db.session.add(ProgressMap(team_id=team.id, title=f"نقشه {number}", status=map_status, version=1,
                                   province_id=province_id(map_code) if map_code is not None else None))
    return team.id


def add_project(event_id: int, team_id: int, code: int, stage_key: str = "selected") -> Project:
    stage = next(stage for stage in services.ensure_stages() if stage.key == stage_key)
    project = Project(event_id=event_id, team_id=team_id, title="پروژه", province_id=province_id(code),
                      stage_id=stage.id)
    db.session.add(project)
    db.session.flush()
    return project


def add_indicator(project: Project, readings: list[tuple[int, float, bool]], baseline=0.0, target=10.0,
                  target_date=None) -> ProjectIndicator:
    """An indicator with readings (days ago, value, verified)."""
    indicator = ProjectIndicator(project_id=project.id, name="شاغلان", unit="نفر", baseline=baseline, target=target,
                                 target_date=target_date)
    for days_ago, value, verified in readings:
        indicator.readings.append(Reading(taken_on=date.today() - timedelta(days=days_ago), value=value,
                                          verified_at=utcnow() if verified else None))
    db.session.add(indicator)
    db.session.flush()
    return indicator


def add_publication(event_id: int, kind: str, awards: dict[int, str | None], superseded: bool = False) -> None:
    rubric = db.session.scalar(select(Rubric).where(Rubric.event_id == event_id))
    if rubric is None:
        rubric = Rubric(event_id=event_id, title_fa="شاخص‌ها")
        db.session.add(rubric)
        db.session.flush()
    round_ = db.session.scalar(select(Round).where(Round.event_id == event_id, Round.kind == kind))
    if round_ is None:
        round_ = Round(event_id=event_id, kind=kind, rubric_id=rubric.id, starts_at=utcnow() - timedelta(days=2),
                       ends_at=utcnow() - timedelta(days=1))
        db.session.add(round_)
        db.session.flush()
    rows = [{"team_id": team_id, "team": str(team_id), "rank": rank, "award": award}
            for rank, (team_id, award) in enumerate(awards.items(), start=1)]
    db.session.add(Publication(round_id=round_.id, published_at=utcnow(), snapshot={"rows": rows},
                               superseded_at=utcnow() if superseded else None))


def row_of(figures, code: int):
    return next(row for row in figures.provinces if row.province.code == code)


@pytest.fixture
def event(make):
    return make.event(open_kind="judging", slug="national", title_fa="رویداد ملی", title_en="National event")


# --- the figures ----------------------------------------------------------------------------------------------


def test_counts_per_province_for_an_event_and_for_the_series(app, make, event):
    other = make.event(slug="yazd-event")
    with app.app_context():
        add_team(event.id, TEHRAN, map_status=SUBMITTED)
        add_team(event.id, TEHRAN, map_status=DRAFT)
        add_team(event.id, TEHRAN, status=REJECTED, map_status=SUBMITTED)  # not counted at all
        add_team(event.id, TEHRAN, status="pending")
        add_team(event.id, YAZD, map_status=SUBMITTED, map_code=FARS)  # the map is about Fars
        add_team(other.id, YAZD, map_status=SUBMITTED)
        db.session.commit()

        of_event = observatory.figures(event.id)
        assert len(of_event.provinces) == 31
        assert (row_of(of_event, TEHRAN).teams, row_of(of_event, TEHRAN).maps) == (3, 1)
        assert (row_of(of_event, YAZD).teams, row_of(of_event, YAZD).maps) == (1, 0)
        assert (row_of(of_event, FARS).teams, row_of(of_event, FARS).maps) == (0, 1)
        assert (of_event.totals.teams, of_event.totals.maps) == (4, 2)
        assert of_event.event.id == event.id

        series = observatory.figures(None)
        assert (row_of(series, YAZD).teams, row_of(series, YAZD).maps) == (2, 1)
        assert (series.totals.teams, series.totals.maps) == (5, 3)
        assert series.event is None


def test_the_pages_show_the_figures_in_both_languages(app, client, event):
    with app.app_context():
        for _ in range(12):
            add_team(event.id, TEHRAN, map_status=SUBMITTED)
        db.session.commit()
    page = client.get("/observatory")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('role="img"') >= 3 and "<svg" in html
    assert "تهران" in html and "۱۲" in page_text(page)
    assert 'style="' not in html and "<script>" not in html.split("</head>")[1]
    client.set_cookie("lang", "en")
    english = client.get(f"/events/{event.slug}/observatory")
    assert english.status_code == 200
    text = page_text(english)
    assert "Tehran" in text and "12" in text and "National event" in text
    assert client.get("/events/no-such-event/observatory").status_code == 404


def test_winners_come_only_from_the_current_publication_of_a_final_round(app, client, event):
    with app.app_context():
        first, second, third, fourth = (add_team(event.id, code) for code in (TEHRAN, YAZD, YAZD, FARS))
        add_publication(event.id, SCREENING, {first: "first", second: None})  # screening: no winners
        add_publication(event.id, FINAL, {first: "first", fourth: "second"}, superseded=True)  # replaced
        db.session.commit()
        assert observatory.figures(event.id).totals.winners == 0

        add_publication(event.id, FINAL, {second: "first", third: "honourable", first: None})
        db.session.commit()
        figures = observatory.figures(event.id)
        assert figures.totals.winners == 2
        assert row_of(figures, YAZD).winners == 2
        assert row_of(figures, TEHRAN).winners == 0 and row_of(figures, FARS).winners == 0


def test_only_verified_readings_count_for_the_indicators(app, client, event):
    with app.app_context():
        team = add_team(event.id, ISFAHAN, map_status=SUBMITTED)
        project = add_project(event.id, team, ISFAHAN, stage_key="implementation")
        unverified = add_indicator(project, [(3, 10.0, False)])  # would be met if verified
        add_indicator(project, [(10, 2.0, True), (1, 20.0, False)])  # on track by its verified reading
        add_indicator(project, [(5, 0.0, True)])  # not moved: behind
        add_indicator(project, [(5, 12.0, True)])  # met
        db.session.commit()

        figures = observatory.figures(event.id)
        assert figures.totals.statuses == {"met": 1, "on_track": 1, "behind": 1, "no_data": 1}
        assert row_of(figures, ISFAHAN).statuses == figures.totals.statuses
        assert row_of(figures, ISFAHAN).projects == 1
        assert {stage.key: count for stage, count in figures.stages}["implementation"] == 1

        db.session.get(Reading, unverified.readings[0].id).verified_at = utcnow()
        db.session.commit()
        assert observatory.figures(None).totals.statuses == {"met": 2, "on_track": 1, "behind": 1, "no_data": 0}

    client.set_cookie("lang", "en")
    text = page_text(client.get("/observatory"))
    assert "Implementation" in text and "Indicators met" in text


# --- the reference import -----------------------------------------------------------------------------------------

HEADER = "province,key,name_fa,name_en,unit,value\n"


def upload(client, content: bytes, filename="figures.csv"):
    return client.post("/organiser/observatory/references", data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def test_a_bad_row_is_reported_with_its_line_and_nothing_is_imported(app, login, organiser):
    client = login(organiser)
    client.set_cookie("lang", "en")
    content = (HEADER
               + "Tehran,population,جمعیت,Population,نفر,13267637\n"  # line 2: good
               + "Atlantis,population,جمعیت,Population,نفر,5\n"  # 3: unknown province
               + "Yazd,population,جمعیت,Population,نفر,many\n"  # 4: not a number
               + "تهران,population,جمعیت,Population,نفر,1\n"  # 5: Tehran twice
               + "Fars,,جمعیت,Population,نفر,1\n"  # 6: no key
               + "Qom,population,جمعیت,Population,نفر,1\n").encode()  # 7: good
    response = upload(client, content)
    assert response.status_code == 422
    text = page_text(response)
    for line, words in ((3, "Unknown province “Atlantis”"), (4, "“many” is not a number"),
                        (5, "appears twice"), (6, "indicator key is missing")):
        assert f"Line {line}" in text and words in text
    assert "Line 2 " not in text and "Line 7" not in text
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReferenceIndicator)) == 0
        assert db.session.scalar(select(func.count()).select_from(ReferenceValue)) == 0
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0

        result = observatory.import_references(db.session.get(User, organiser.id), "f.csv", content, utcnow())
        assert [(problem.line, bool(problem.message)) for problem in result.problems] == [
            (3, True), (4, True), (5, True), (6, True)]
        db.session.rollback()


def test_a_good_csv_is_imported_and_imported_again_replaces_the_values(app, client, login, organiser):
    login(organiser)
    content = ("\ufeff" + HEADER
               + "استان تهران,population,جمعیت,Population,نفر,۱۳٬۲۶۷٬۶۳۷\n"  # Persian digits and separators
               + "isfahan,population,جمعیت,Population,نفر,\"5,120,850\"\n"  # English name, any case
               + "9,population,,,,6434501\n"  # a code
               + "كرمان,deprivation,شاخص محرومیت,Deprivation index,,۰٫۴۵\n"  # Arabic kaf; Persian decimal
               ).encode("utf-8")
    response = upload(client, content)
    assert response.status_code == 302, page_text(response)
    with app.app_context():
        indicators = {ind.key: ind for ind in db.session.scalars(select(ReferenceIndicator))}
        assert set(indicators) == {"population", "deprivation"}
        assert (indicators["population"].name_fa, indicators["population"].unit) == ("جمعیت", "نفر")
        values = {(ind, code): value for ind, code, value in db.session.execute(
            select(ReferenceIndicator.key, Province.code, ReferenceValue.value)
            .join(ReferenceValue, ReferenceValue.indicator_id == ReferenceIndicator.id)
            .join(Province, Province.id == ReferenceValue.province_id))}
        assert values == {("population", TEHRAN): 13267637, ("population", ISFAHAN): 5120850,
                          ("population", 9): 6434501, ("deprivation", 8): 0.45}
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "pipeline.references_imported"))
        assert entry.changes["values"] == 4 and entry.changes["indicators"] == ["deprivation", "population"]

    response = upload(client, (HEADER + "Yazd,population,,,,1138533\n").encode())
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReferenceValue)) == 2  # Yazd, and Kerman's index
        assert db.session.scalar(select(ReferenceIndicator.name_fa).where(ReferenceIndicator.key == "population")) \
            == "جمعیت"  # kept: the file gave no name
    page = client.get("/organiser/observatory/references")
    assert page.status_code == 200 and "deprivation" in page.get_data(as_text=True)


def test_an_xlsx_file_is_imported(app, login, organiser):
    client = login(organiser)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["استان", "کلید", "نام", "name", "واحد", "مقدار"])
    sheet.append(["Tehran", "population", "جمعیت", "Population", "نفر", 13267637])
    sheet.append([21, "population", "جمعیت", "Population", "نفر", 1138533.0])  # a code as a number
    sheet.append([None, None, None, None, None, None])  # a blank row is skipped
    sheet.append(["فارس", "population", "جمعیت", "Population", "نفر", "۴٬۸۵۱٬۲۷۴"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, buffer.getvalue(), "figures.xlsx")
    assert response.status_code == 302, page_text(response)
    with app.app_context():
        assert sorted(db.session.scalars(select(ReferenceValue.value))) == [1138533, 4851274, 13267637]

    sheet.append(["Mordor", "population", "جمعیت", "Population", "نفر", 1])  # line 6
    buffer = io.BytesIO()
    workbook.save(buffer)
    client.set_cookie("lang", "en")
    response = upload(client, buffer.getvalue(), "figures.xlsx")
    assert response.status_code == 422 and "Line 6" in page_text(response)


def test_the_sample_csv_downloads_and_imports_as_it_is(app, login, organiser):
    client = login(organiser)
    sample = client.get("/organiser/observatory/references/sample.csv")
    assert sample.status_code == 200 and sample.mimetype == "text/csv"
    assert sample.data.startswith("\ufeff".encode())
    assert upload(client, sample.data).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReferenceValue)) == 3


def test_a_damaged_or_empty_file_is_refused(app, login, organiser):
    client = login(organiser)
    client.set_cookie("lang", "en")
    assert "could not be read" in page_text(upload(client, b"PK\x03\x04 not really a workbook", "x.xlsx"))
    assert "could not be read" in page_text(upload(client, "تهران".encode("utf-16")))
    assert "no rows" in page_text(upload(client, HEADER.encode()))
    assert upload(client, b"").status_code == 422


def test_only_organisers_import_reference_figures(app, client, login, member):
    assert client.get("/organiser/observatory/references").status_code == 302  # to sign in
    login(member)
    assert client.get("/organiser/observatory/references").status_code == 403
    assert client.get("/organiser/observatory/references/sample.csv").status_code == 403
    assert upload(client, (HEADER + "Tehran,population,جمعیت,,,1\n").encode()).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ReferenceIndicator)) == 0


def test_reference_figures_and_teams_per_people_on_the_page(app, client, login, organiser, event):
    with app.app_context():
        for _ in range(3):
            add_team(event.id, YAZD)
        db.session.commit()
    login(organiser)
    assert upload(client, (HEADER + "Yazd,population,جمعیت,Population,people,1200000\n"
                           + "Tehran,population,جمعیت,Population,people,13267637\n").encode()).status_code == 302
    with app.app_context():
        figures = observatory.figures(None)
        assert row_of(figures, YAZD).teams_per_people == pytest.approx(0.25)
        assert row_of(figures, TEHRAN).teams_per_people == 0
        assert row_of(figures, FARS).teams_per_people is None
        assert figures.totals.teams_per_people == pytest.approx(3 / 14467637 * 100000)
    client.set_cookie("lang", "en")
    text = page_text(client.get("/observatory"))
    assert "Teams per 100,000 people" in text and "0.25" in text and "1,200,000" in text
