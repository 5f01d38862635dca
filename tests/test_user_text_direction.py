"""What people type (team names, map titles, next steps...) keeps its own language and direction in a page of
either language: Persian on an English page is marked lang="fa" and isolated (a screen reader reads it with a
Persian voice, the words around it stay in order), table cells keep the page's alignment, and every text input
takes the direction of what is typed in it."""
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from eventapp.auth.models import User
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.pipeline import services as pipeline
from eventapp.pipeline.models import Project

from . import factories
from .helpers import client_of

TEAM = "گروه جهادی امید"
MILESTONE = "لایروبی سیصد متر نخست"
NEXT_STEP = "جلسه با فرمانداری"
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Placed:
    """Where a text stands in a page: the elements around it, innermost last, with their attributes."""
    ancestors: list[tuple[str, dict]] = field(default_factory=list)

    @property
    def language(self) -> str | None:
        return next((attrs["lang"] for _, attrs in reversed(self.ancestors) if "lang" in attrs), None)

    @property
    def isolated_by(self) -> str | None:
        """The innermost element that gives the text a direction of its own (a bdi, or dir="auto")."""
        return next((tag for tag, attrs in reversed(self.ancestors) if tag == "bdi" or attrs.get("dir") == "auto"),
                    None)

    def nearest(self, tag: str) -> dict:
        return next(attrs for name, attrs in reversed(self.ancestors) if name == tag)


class _Finder(HTMLParser):
    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.text, self.stack, self.found, self.fields = text, [], [], []

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag in ("input", "textarea"):
            self.fields.append((tag, attributes))
        if tag not in VOID_ELEMENTS:
            self.stack.append((tag, attributes))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        in_body = any(tag == "body" for tag, _ in self.stack)  # the <title> is plain text: it cannot be marked
        if self.text and self.text in data and in_body:
            self.found.append(Placed(list(self.stack)))


def places_of(html: str, text: str) -> list[Placed]:
    """Every place ``text`` appears in the text of ``html``."""
    finder = _Finder(text)
    finder.feed(html)
    assert finder.found, f"{text!r} is not in the page"
    return finder.found


def text_fields(html: str) -> list[tuple[str, dict]]:
    """The page's inputs people type text in, and its text areas."""
    finder = _Finder(None)
    finder.feed(html)
    return [(tag, attrs) for tag, attrs in finder.fields
            if tag == "textarea" or attrs.get("type", "text") in ("text", "search")]


@pytest.fixture
def published(app, make, organiser):
    """A published final round of an event with an English title: a Persian team (whose map's first action
    was due in 2020: an overdue milestone of its pipeline project, with an overdue next step) and an English one."""
    event = make.event(open_kind="judging", title_fa="جشنواره یزد", title_en="Yazd Festival")
    judge = make.user(name="Judge", roles=["judge"])
    leader = make.user(name="نرگس نیک‌نام", email="narges@example.com")
    omid = factories.team_with_map(app, event.id, leader=leader, name=TEAM,
                                   actions=[(MILESTONE, date(2020, 1, 1), date(2020, 3, 1))])
    other = factories.team_with_map(app, event.id, name="Mehr Circle")
    round_id = factories.final_round(app, organiser, event.id, [omid, other], [judge.id])
    factories.submit_scores(app, round_id, [omid, other])
    factories.publish(app, organiser, round_id)
    with app.app_context():
        project = db.session.scalar(select(Project).where(Project.team_id == omid))
        pipeline.update_plan(db.session.get(User, organiser.id), project, pipeline.Plan(
            owner_id=None, next_step=NEXT_STEP, next_step_due=pipeline.today() - timedelta(days=3)), utcnow())
        db.session.commit()
    return event, omid, leader


def test_a_persian_team_name_on_an_english_page_is_marked_persian_and_isolated(app, published):
    event, omid, leader = published
    pages = {"public results": f"/events/{event.slug}/results", "team dashboard": f"/teams/{omid}"}
    client = client_of(app, leader, "en")
    for name, path in pages.items():
        html = client.get(path).get_data(as_text=True)
        for place in places_of(html, TEAM):
            assert place.language == "fa" and place.isolated_by, (name, place.ancestors[-3:])
        if name == "public results":
            assert all(place.language == "en" for place in places_of(html, "Mehr Circle"))  # Latin: the page's


def test_in_an_english_results_table_a_persian_team_name_keeps_the_cells_alignment(app, published):
    event, _, _ = published
    html = app.test_client().get(f"/events/{event.slug}/results", headers={"Cookie": "lang=en"}).get_data(as_text=True)
    [place] = [place for place in places_of(html, TEAM) if any(tag == "td" for tag, _ in place.ancestors)]
    assert place.isolated_by == "bdi"  # an inline isolate: the cell's direction (and alignment) is the page's
    assert "dir" not in place.nearest("td")


def test_a_persian_page_does_not_mark_persian_as_another_language(app, published):
    event, _, _ = published
    html = app.test_client().get(f"/events/{event.slug}/results").get_data(as_text=True)
    assert all(place.language == "fa" and place.isolated_by for place in places_of(html, TEAM))
    assert 'lang="fa"' not in html.split("<body", 1)[1]  # only the page itself says it


def test_each_item_needing_attention_has_its_title_and_text_as_blocks_of_their_own_direction(app, published,
                                                                                           organiser):
    html = client_of(app, organiser, "en").get("/organiser/pipeline").get_data(as_text=True)
    for text in (MILESTONE, NEXT_STEP, f"نقشه پیشرفت {TEAM}"):  # the project's title is its map's
        in_panel = [place for place in places_of(html, text)
                    if any(attrs.get("aria-labelledby") == "attention-title" for _, attrs in place.ancestors)]
        assert in_panel, text
        assert all(place.isolated_by == "div" and place.language == "fa" for place in in_panel), text


@pytest.mark.parametrize("language", ["fa", "en"])
def test_every_text_input_and_text_area_takes_the_direction_of_what_is_typed(app, make, language):
    event = make.event(open_kind="submission")
    leader = make.user(name="Bahar Karimi", email="bahar@example.com")
    team_id = factories.team_with_map(app, event.id, leader=leader, status="draft")
    client = client_of(app, leader, language)
    for path in (f"/teams/{team_id}/map", f"/teams/{team_id}/edit", f"/teams/{team_id}"):
        fields = text_fields(client.get(path).get_data(as_text=True))
        assert fields, path
        for tag, attrs in fields:
            # dir="auto", unless the template names the direction (ltr for e-mail addresses, numbers, codes)
            assert attrs.get("dir") in ("auto", "ltr", "rtl"), (path, tag, attrs)
        assert any(attrs.get("dir") == "auto" for _, attrs in fields), path


def test_the_organisers_and_admins_text_fields_take_the_direction_of_what_is_typed(app, published, organiser, make):
    event, _, _ = published
    admin = make.user(name="Admin", email="admin@example.com", roles=["admin"])
    pages = {organiser: [f"/organiser/events/{event.id}/teams", f"/organiser/events/{event.id}/edit"],
             admin: ["/admin/users"]}
    for user, paths in pages.items():
        client = client_of(app, user, "en")
        for path in paths:
            fields = text_fields(client.get(path).get_data(as_text=True))
            assert fields, path
            assert all(attrs.get("dir") in ("auto", "ltr", "rtl") for _, attrs in fields), (path, fields)
