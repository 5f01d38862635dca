"""The observatory's map, province pages, need against support and open data: what the pages show in both
languages, bad input, and a number of SQL statements that does not grow with the data."""
import csv
import io
import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import insert, select

from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.events.models import County, Province
from eventapp.events.places import read_places
from eventapp.judging.models import FINAL
from eventapp.pipeline import choropleth, observatory, services
from eventapp.pipeline.models import Project, ProjectIndicator, Reading
from eventapp.teams.models import DRAFT, SUBMITTED, ProgressMap, Team

from .helpers import visible
from .observatory_figures import NEED_INDEX, POPULATION, import_figures
from .test_observatory import (
    FARS,
    HEADER,
    ISFAHAN,
    TEHRAN,
    YAZD,
    add_indicator,
    add_project,
    add_publication,
    add_team,
    upload,
)

PROVINCES, _ = read_places()
NAMES = {"fa": {row["code"]: row["name_fa"] for row in PROVINCES}, "en": {row["code"]: row["name_en"] for row in PROVINCES}}
AREA = re.compile(r'<a class="choropleth__area" href="(?P<href>[^"]+)" aria-label="(?P<label>[^"]+)">\s*'
                  r'<path d="(?P<path>[^"]+)" fill="(?P<fill>[^"]+)"')
PERSIAN_DIGITS = "۰۱۲۳۴۵۶۷۸۹"


def areas(response) -> list[dict]:
    """The provinces of the page's map: href, label, path and fill of each."""
    html = response.get_data(as_text=True)
    figure = html[html.index('<figure class="choropleth">'):html.index("</figure>", html.index('<figure class="choropleth">'))]
    return [match.groupdict() for match in AREA.finditer(figure)]


def fetch(client, url: str, language: str = "fa"):
    client.set_cookie("lang", language)
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


@pytest.fixture
def event(make):
    return make.event(open_kind="judging", slug="national", title_fa="رویداد ملی", title_en="National event")


def teams_in(app, event_id: int, counts: dict[int, int]) -> None:
    """``counts[code]`` approved teams in each province, each with a submitted map."""
    with app.app_context():
        for code, count in counts.items():
            for _ in range(count):
                add_team(event_id, code, map_status=SUBMITTED)
        db.session.commit()


# --- the map ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fa", "en"])
def test_every_province_has_exactly_one_shape_named_and_linked_to_its_page(app, client, event, language):
    teams_in(app, event.id, {TEHRAN: 3, YAZD: 1})
    for url, suffix in (("/observatory", ""), (f"/events/{event.slug}/observatory", f"?event={event.slug}")):
        shapes = areas(fetch(client, url, language))
        assert len(shapes) == 31
        assert sorted(shape["href"] for shape in shapes) == sorted(f"/observatory/{code}{suffix}" for code in range(31))
        paths = {shape.code: shape.path for shape in choropleth.load_shapes().shapes}
        for shape in shapes:
            code = int(shape["href"].split("/")[-1].split("?")[0])
            name, figure = shape["label"].rsplit(": ", 1)
            assert name == NAMES[language][code]
            assert shape["path"] == paths[code]
        labels = {int(shape["href"].split("/")[-1].split("?")[0]): shape["label"] for shape in shapes}
        assert labels[TEHRAN].endswith("۳" if language == "fa" else ": 3")
        assert labels[FARS].endswith("۰" if language == "fa" else ": 0")
        response = fetch(client, shape["href"], language)  # the link leads to the province's page
        assert NAMES[language][code] in visible(response)


def test_colour_classes_follow_the_figures_and_the_legend_gives_the_breaks(app, client, event):
    counts = {TEHRAN: 12, YAZD: 5, FARS: 5, ISFAHAN: 1, 0: 2, 1: 3, 2: 8, 30: 1}
    teams_in(app, event.id, counts)
    response = fetch(client, "/observatory?map=teams", "en")
    shapes = {int(shape["href"].split("/")[-1]): shape["fill"] for shape in areas(response)}
    palette = choropleth.PALETTES[5]
    classes = {code: palette.index(fill) for code, fill in shapes.items()}
    teams = {code: counts.get(code, 0) for code in range(31)}
    for a in range(31):
        for b in range(31):
            if teams[a] > teams[b]:
                assert classes[a] >= classes[b], (a, b)
            if teams[a] == teams[b]:
                assert classes[a] == classes[b], (a, b)
    assert classes[TEHRAN] == 4 and classes[5] == 0  # most teams: the darkest; none: the lightest
    expected = choropleth.choropleth(choropleth.load_shapes(), teams)
    assert shapes == {area.code: area.fill for area in expected.areas}
    legend = visible(response).split("Map of the provinces", 1)[1].split("Go to the table", 1)[0]
    for entry in expected.legend:
        span = f"{entry.low} – {entry.high}" if entry.low != entry.high else f"{entry.low}"
        assert f"{span} ({entry.count} province" in legend


def test_the_legend_is_in_persian_digits_in_persian(app, client, event):
    teams_in(app, event.id, {TEHRAN: 12, YAZD: 5})
    html = fetch(client, "/observatory").get_data(as_text=True)
    legend = html[html.index('class="choropleth__legend"'):html.index("</ul>", html.index('class="choropleth__legend"'))]
    assert "۱۲" in legend and "۵" in legend and not re.search(r">[^<]*[0-9][^<]*<", legend)


def test_every_measure_colours_the_map_and_an_unknown_one_is_the_default(app, client, organiser, event):
    teams_in(app, event.id, {TEHRAN: 4})
    import_figures(app, organiser)
    default = areas(fetch(client, "/observatory"))
    assert areas(fetch(client, "/observatory?map=zzz")) == default
    assert areas(fetch(client, "/observatory?map=")) == default
    assert areas(fetch(client, "/observatory?map=%3Cscript%3E&need=%ff")) == default
    for key in ("teams", "teams_per_100k", "maps", "winners", "projects", "met", "on_track", "ref-population",
                "ref-deprivation"):
        response = fetch(client, f"/observatory?map={key}", "en")
        assert f'<option value="{key}" selected>' in response.get_data(as_text=True), key
        assert len(areas(response)) == 31
    by_need = {int(shape["href"].split("/")[-1]): shape["fill"] for shape in
               areas(fetch(client, "/observatory?map=ref-deprivation"))}
    assert by_need[11] == choropleth.PALETTES[5][-1]  # Sistan and Baluchestan: the highest index
    assert by_need[TEHRAN] == choropleth.PALETTES[5][0]
    # The chosen figure's column is marked in the table of provinces, which the map links to.
    html = fetch(client, "/observatory?map=maps", "en").get_data(as_text=True)
    assert '<th scope="col" class="table__chosen">Maps submitted</th>' in html
    assert 'href="#provinces-table"' in html and 'id="provinces-table"' in html


def test_provinces_without_a_figure_are_hatched_and_counted_as_no_data(app, client, login, organiser, event):
    login(organiser)
    assert upload(client, (HEADER + "Tehran,water,آب,Water,,3\nYazd,water,آب,Water,,1\n").encode()).status_code == 302
    client.set_cookie("lang", "en")
    response = client.get("/observatory?map=ref-water")
    fills = [shape["fill"] for shape in areas(response)]
    assert fills.count(choropleth.NO_DATA_FILL) == 29
    assert "No data (29 provinces)" in visible(response)
    assert f'id="{choropleth.NO_DATA_PATTERN}"' in response.get_data(as_text=True)


def test_the_cached_map_follows_a_new_team(app, client, event):
    """The pages are cached (core/page_cache.py) and a change of the teams' table renders them afresh."""
    assert app.config["PAGE_CACHE_SECONDS"] > 0
    teams_in(app, event.id, {TEHRAN: 1})
    first = {shape["href"]: shape["label"] for shape in areas(fetch(client, "/observatory", "en"))}
    assert first["/observatory/23"] == "Tehran: 1"
    teams_in(app, event.id, {TEHRAN: 1})
    again = {shape["href"]: shape["label"] for shape in areas(fetch(client, "/observatory", "en"))}
    assert again["/observatory/23"] == "Tehran: 2"


# --- the province page ----------------------------------------------------------------------------------------


def test_the_province_page_shows_its_teams_winners_projects_and_the_median(app, client, organiser, make, event):
    other = make.event(slug="yazd-event", title_en="Yazd event")
    import_figures(app, organiser)
    with app.app_context():
        winner = add_team(event.id, TEHRAN, map_status=SUBMITTED)
        student = add_team(event.id, TEHRAN, map_status=SUBMITTED, map_code=FARS)  # its map is about Fars
        db.session.get(Team, student).organisation_type = "student"
        add_team(other.id, TEHRAN, map_status=SUBMITTED)
        for code in (YAZD, FARS, ISFAHAN):
            add_team(event.id, code)
        add_publication(event.id, FINAL, {winner: "first", student: None})
        project = add_project(event.id, winner, TEHRAN, "implementation")
        project.title = "احیای قنات"
        add_indicator(project, [(5, 12.0, True)])  # met
        add_indicator(project, [(5, 12.0, False)])  # not verified: no data
        db.session.commit()

    client.set_cookie("lang", "en")
    response = client.get(f"/observatory/{TEHRAN}")
    assert response.status_code == 200
    text = visible(response)
    assert "Province of Tehran" in text
    kinds = text.split("Teams and maps by kind of organisation", 1)[1]
    # Teams of Tehran, and maps about it: the student team's map is about Fars.
    assert "Jihadi group 2 2" in kinds and "Student association 1 0" in kinds
    assert "First place" in text.split("Winners", 2)[-1]
    assert "احیای قنات" in text and "Met" in text and "No verified reading yet" in text
    # Teams: Tehran 3 of the series, the others 1 or 0: the median is 0; the population median is Kerman's.
    assert "Teams registered 3 0 Above the median" in text
    populations = sorted(POPULATION.values())
    assert f"Population (نفر) {POPULATION[TEHRAN]:,} {populations[15]:,} Above the median" in text
    assert "Need rank (Deprivation index):" in text
    assert 'aria-current="page"' in response.get_data(as_text=True)  # the province on its locator map

    scoped = visible(client.get(f"/observatory/{TEHRAN}?event={other.slug}"))
    assert "Figures of Yazd event" in scoped and "Teams registered 1 0 Above the median" in scoped
    assert "احیای قنات" not in scoped

    client.set_cookie("lang", "fa")
    persian = visible(client.get(f"/observatory/{TEHRAN}"))
    assert "تهران" in persian and "۳" in persian


def test_an_unknown_province_or_event_is_a_404_with_a_message(client):
    client.set_cookie("lang", "en")
    response = client.get("/observatory/31")
    assert response.status_code == 404 and "There is no such province." in visible(response)
    assert client.get("/observatory/99999999999999999999").status_code == 404
    assert client.get("/observatory/tehran").status_code == 404
    assert client.get("/observatory/-1").status_code == 404
    response = client.get(f"/observatory/{TEHRAN}?event=no-such-event")
    assert response.status_code == 404 and "There is no such event." in visible(response)


# --- need against support -------------------------------------------------------------------------------------


def test_need_against_support_marks_needy_provinces_with_little_support_and_says_how(app, client, organiser, event):
    import_figures(app, organiser)
    # Teams in the provinces of least need and in Sistan and Baluchestan (the most need): it is not marked.
    teams_in(app, event.id, {TEHRAN: 3, YAZD: 2, 11: 4})
    response = fetch(client, "/observatory", "en")
    text = visible(response)
    section = text.split("Need against support", 1)[1].split("Open data", 1)[0]
    assert "How this is worked out" in section and "percentile rank" in section and "at least 66.67" in section
    marked = section.split("Need high, support low:", 1)[1].split("The largest gap", 1)[0]
    assert "Ilam" in marked and "Kohgiluyeh and Boyer-Ahmad" in marked
    assert "Sistan and Baluchestan" not in marked and "Tehran" not in marked
    with app.app_context():
        from eventapp.pipeline import measures

        with app.test_request_context():
            need = measures.need_support(observatory.figures(), None)
        assert need.need.key == "deprivation"
        expected = sorted(row.figures.province.name_en for row in need.marked)
        largest_gap = need.rows[0]
        assert largest_gap.assessment.gap == max(row.assessment.gap for row in need.rows)
        ilam = next(row for row in need.rows if row.figures.province.code == 16)
        assert ilam.assessment.support_rank == 0 and ilam.support["approved_teams"] == 0
    assert [name for name in expected if name in marked] == expected
    html = response.get_data(as_text=True)
    assert html.count('class="need-table__marked"') == len(expected)
    # The largest gap first, and it is marked.
    first_row = html.split('class="table table--stack table--figures need-table"', 1)[1].split("<tbody>", 1)[1]
    assert first_row.lstrip().startswith('<tr class="need-table__marked">')
    assert largest_gap.figures.province.name_en in first_row.split("</tr>", 1)[0]


def test_the_need_figure_is_chosen_and_a_bad_choice_is_the_default(app, client, organiser, event):
    import_figures(app, organiser)
    default = fetch(client, "/observatory", "en").get_data(as_text=True)
    assert '<option value="deprivation" selected>' in default
    assert fetch(client, "/observatory?need=abc", "en").get_data(as_text=True).count('<option value="deprivation" selected>') == 1
    by_population = fetch(client, "/observatory?need=population&map=maps", "en").get_data(as_text=True)
    assert '<option value="population" selected>' in by_population
    assert '<input type="hidden" name="map" value="maps">' in by_population  # the other form's choice is kept
    assert '<input type="hidden" name="need" value="population">' in by_population


def test_without_a_need_figure_or_a_population_the_page_says_what_is_missing(app, client, login, organiser):
    client.set_cookie("lang", "en")
    assert "No need figure has been imported yet" in visible(client.get("/observatory"))
    login(organiser)
    assert upload(client, (HEADER + "Tehran,unemployment,بیکاری,Unemployment,%,9\n").encode()).status_code == 302
    text = visible(client.get("/observatory"))
    assert "The population of the provinces has not been imported" in text
    assert "No province has both a high need and a low support." in text


# --- open data --------------------------------------------------------------------------------------------------


def test_the_figures_download_as_csv_and_json_with_the_date_and_the_licence(app, client, organiser, make, event):
    import_figures(app, organiser)
    other = make.event(slug="yazd-event")
    teams_in(app, event.id, {TEHRAN: 3})
    teams_in(app, other.id, {YAZD: 2})
    before = utcnow()
    response = client.get("/observatory/data.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.json
    assert data["licence"] == {"name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}
    assert before.isoformat() <= data["computed_at"] <= utcnow().isoformat()
    assert data["need"] == "deprivation" and data["event"] is None
    rows = {row["code"]: row for row in data["provinces"]}
    assert len(rows) == 31 and rows[TEHRAN]["teams"] == 3 and rows[YAZD]["teams"] == 2
    assert rows[TEHRAN]["teams_per_100k"] == pytest.approx(3 / POPULATION[TEHRAN] * 100_000)
    assert rows[11]["references"] == {"deprivation": NEED_INDEX[11], "population": POPULATION[11]}
    assert set(rows[TEHRAN]["support_per_100k"]) == {"approved_teams", "winners", "projects", "verified_progress"}
    assert data["totals"]["teams"] == 5

    response = client.get("/observatory/data.csv?need=population")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="observatory-' in response.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert len(table) == 31
    tehran = next(row for row in table if row["code"] == str(TEHRAN))
    assert (tehran["name_en"], tehran["teams"], tehran["need"]) == ("Tehran", "3", "population")
    assert tehran["reference:population"] == str(float(POPULATION[TEHRAN]))
    assert tehran["licence"] == "CC BY 4.0 https://creativecommons.org/licenses/by/4.0/" and tehran["computed_at"]
    assert float(tehran["need_rank"]) == 1.0  # the largest population

    scoped = client.get(f"/events/{other.slug}/observatory/data.json").json
    assert scoped["event"] == other.slug and scoped["totals"]["teams"] == 2
    assert client.get("/events/no-such-event/observatory/data.csv").status_code == 404
    assert client.get("/observatory/data.xml").status_code == 404
    page = fetch(client, "/observatory", "en").get_data(as_text=True)
    assert 'href="/observatory/data.csv?need=deprivation" download' in page and "CC BY 4.0" in page
    assert f'href="/events/{other.slug}/observatory/data.json' in fetch(client, f"/events/{other.slug}/observatory",
                                                                        "en").get_data(as_text=True)


def test_the_json_counts_only_public_figures(app, client, event):
    with app.app_context():
        winner = add_team(event.id, FARS, map_status=SUBMITTED)
        add_team(event.id, FARS, status="rejected", map_status=SUBMITTED)
        add_publication(event.id, FINAL, {winner: "first"})
        project = add_project(event.id, winner, FARS)
        add_indicator(project, [(3, 5.0, True)], target_date=date.today() + timedelta(days=300))
        add_indicator(project, [(3, 50.0, False)])
        db.session.commit()
    fars = next(row for row in client.get("/observatory/data.json").json["provinces"] if row["code"] == FARS)
    assert (fars["teams"], fars["maps"], fars["winners"], fars["projects"]) == (1, 1, 1, 1)
    assert fars["indicators"] == {"met": 0, "on_track": 1, "behind": 0, "no_data": 1}
    assert fars["teams_per_100k"] is None and fars["need_rank"] is None


# --- the number of SQL statements ---------------------------------------------------------------------------------

KINDS = ("jihadi", "student", "ngo", "other")


def load(event_id: int, first: int, last: int) -> None:
    """Teams ``first``..``last`` with Core inserts: spread over the counties, 3 in 4 approved, 2 in 3 with a
    submitted map; a project with two indicators (a verified and an unverified reading each) for every tenth, and
    the event's final round published again with an award for every fifth."""
    counties = db.session.execute(select(County.id, County.province_id).order_by(County.id)).all()
    now = utcnow()
    teams = [{"event_id": event_id, "name": f"گروه {n}", "organisation_type": KINDS[n % 4], "organisation_name": "نمونه",
              "province_id": counties[n * 7 % len(counties)][1], "county_id": counties[n * 7 % len(counties)][0],
              "contact_email": "t@example.com", "contact_phone": "09120000000",
              "status": "pending" if n % 4 == 3 else "approved", "created_at": now} for n in range(first, last)]
    ids = db.session.scalars(insert(Team).returning(Team.id, sort_by_parameter_order=True), teams).all()
    db.session.execute(insert(ProgressMap), [
        {"team_id": team_id, "title": "نقشه", "status": DRAFT if n % 3 == 0 else SUBMITTED, "version": 1,
         "province_id": row["province_id"], "updated_at": now}
        for n, team_id, row in zip(range(first, last), ids, teams)])
    stages = [stage.id for stage in services.ensure_stages()]
    chosen = [(team_id, row) for n, team_id, row in zip(range(first, last), ids, teams) if n % 10 == 0]
    projects = db.session.scalars(insert(Project).returning(Project.id, sort_by_parameter_order=True), [
        {"event_id": event_id, "team_id": team_id, "title": "پروژه", "province_id": row["province_id"],
         "stage_id": stages[team_id % len(stages)], "created_at": now, "last_update_at": now}
        for team_id, row in chosen]).all()
    indicators = db.session.scalars(insert(ProjectIndicator).returning(ProjectIndicator.id,
                                                                        sort_by_parameter_order=True), [
        {"project_id": project_id, "name": "شاغلان", "baseline": 0.0, "target": 10.0,
         "target_date": date.today() + timedelta(days=100)} for project_id in projects for _ in range(2)]).all()
    db.session.execute(insert(Reading), [
        {"indicator_id": indicator_id, "taken_on": date.today() - timedelta(days=days), "value": value,
         "verified_at": now if verified else None, "posted_at": now}
        for indicator_id in indicators for days, value, verified in ((20, 1.0, True), (2, 6.0, False))])
    awards = {team_id: "first" for n, team_id in zip(range(first, last), ids) if n % 5 == 0}
    add_publication(event_id, FINAL, awards)
    db.session.commit()


# {code}: the province of the first county, which has a project, a winner and teams at both sizes.
PAGES = ("/observatory", "/events/{slug}/observatory", "/observatory/{code}", "/observatory/{code}?event={slug}",
         "/observatory/data.json", "/observatory?map=ref-deprivation&need=population")


def test_the_number_of_queries_does_not_grow_with_the_data(app, client, organiser, event, count_queries, monkeypatch):
    """At 50 teams and at 5,000 (Core inserts), every observatory page runs the same statements, rendered
    afresh (the page cache off)."""
    monkeypatch.setitem(app.config, "PAGE_CACHE_SECONDS", 0)
    import_figures(app, organiser)
    counts = {}
    loaded = 0
    with app.app_context():
        code = db.session.scalar(select(Province.code).join(County, County.province_id == Province.id)
                                 .order_by(County.id).limit(1))
    for teams in (50, 5000):
        with app.app_context():
            load(event.id, loaded, teams)
            assert db.session.scalar(select(db.func.count()).select_from(Team)) == teams
        loaded = teams
        for page in PAGES:
            url = page.format(slug=event.slug, code=code)
            assert client.get(url).status_code == 200  # warm-up
            with count_queries() as queries:
                response = client.get(url)
            assert response.status_code == 200, url
            counts[(page, teams)] = len(queries)
    assert {page: counts[(page, 5000)] for page in PAGES} == {page: counts[(page, 50)] for page in PAGES}
    assert counts[("/observatory", 5000)] <= 13 and counts[("/observatory/{code}", 5000)] <= 20, counts
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Project)) == 500
    tehran = next(row for row in client.get("/observatory/data.json").json["provinces"] if row["code"] == TEHRAN)
    with app.app_context():
        tehran_id = db.session.scalar(select(Province.id).where(Province.code == TEHRAN))
        assert tehran["teams"] == db.session.scalar(select(db.func.count()).select_from(Team)
                                                    .where(Team.province_id == tehran_id))
    print("statements per page at 50 and 5,000 teams:", json.dumps({f"{page} @ {teams}": count
                                                                     for (page, teams), count in counts.items()}))


def test_the_province_page_carries_no_inline_style_and_persian_digits(app, client, organiser, event):
    import_figures(app, organiser)
    teams_in(app, event.id, {TEHRAN: 2})
    response = fetch(client, f"/observatory/{TEHRAN}")
    html = response.get_data(as_text=True)
    assert 'style="' not in html and "<script>" not in html.split("</head>")[1]
    assert f"{POPULATION[TEHRAN]:,}".replace(",", "٬").translate(str.maketrans("0123456789", PERSIAN_DIGITS)) in html
