"""Routes of the observatory: the public figures with their map and charts, a province's page, need against
support, the figures as open data, and the organisers' reference figures."""
from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..core.database import utcnow
from ..core.exports import csv_bytes, download
from ..core.i18n import current_language, format_number, localize_digits
from ..core.page_cache import cached_page
from ..core.text import persian_sort_key
from ..core.web import perform
from ..events import services as events
from ..events.models import Event
from . import allocation, charts, choropleth, measures, observatory, open_data, services
from .enums import TrackingStatus
from .forms import ReferenceImportForm


def _name_key(language: str):
    return (lambda text: text.casefold()) if language == "en" else persian_sort_key

bp = Blueprint("observatory", __name__)


def _page(event: Event | None):
    language = current_language()
    figures = observatory.figures(event.id if event else None)
    key = _name_key(language)
    empty = _("Nothing to show yet.")

    def by_province(value, title: str, unit: str = ""):
        """A bar per province that has a value, the largest first (ties by name)."""
        rows = [(row.province.name, value(row)) for row in figures.provinces if value(row) is not None]
        rows.sort(key=lambda pair: (-pair[1], key(pair[0])))
        return charts.bar_chart(rows, language=language, title=title, unit=unit, empty=empty)

    province_charts = [
        (_("Teams registered"), by_province(lambda row: row.teams, _("Teams registered per province"))),
        (_("Maps submitted"), by_province(lambda row: row.maps, _("Progress maps submitted per province"))),
    ]
    if figures.population is not None:
        per_people = measures.per_people_label()
        province_charts.append((per_people, by_province(
            lambda row: round(row.teams_per_people, 2) if row.teams_per_people is not None else None, per_people)))
    chart = {
        "stages": charts.bar_chart([(localize_digits(stage.name), count) for stage, count in figures.stages],
                                   language=language, title=_("Projects per stage"), empty=empty),
        "indicators": charts.bar_chart([(status.public_label, figures.totals.statuses[status])
                                        for status in TrackingStatus], language=language,
                                       title=_("Indicators of the projects by status"), empty=empty),
    }
    reference_charts = [(indicator, by_province(lambda row, id=indicator.id: row.references.get(id),
                                                localize_digits(indicator.name), localize_digits(indicator.unit)))
                        for indicator in figures.references]
    shown = measures.measures(figures)
    measure = measures.chosen(shown, request.args.get("map"))
    return render_template(
        "pipeline/observatory.html", figures=figures, event=event, statuses=TrackingStatus,
        provinces=sorted(figures.provinces, key=lambda row: key(row.province.name)), chart=chart,
        province_charts=province_charts, reference_charts=reference_charts, per_people=observatory.PER_PEOPLE,
        scopes=[(scope.slug, scope.title) for scope in services.events_for_filters()],
        measures=shown, measure=measure, shown_map=_map(figures, measure.value), names=_names(figures),
        need=measures.need_support(figures, request.args.get("need"), key), allocation=allocation,
        computed_at=utcnow(), licence=open_data.LICENCE)


def _map(figures: observatory.Observatory, value) -> choropleth.Choropleth:
    return choropleth.choropleth(choropleth.load_shapes(), {row.province.code: value(row) for row in figures.provinces})


@bp.context_processor
def _map_patterns():
    """What the maps' templates draw "no data" with (pipeline/_choropleth.html)."""
    return {"NO_DATA_PATTERN": choropleth.NO_DATA_PATTERN, "NO_DATA_FILL": choropleth.NO_DATA_FILL,
            "NO_DATA_BACKGROUND": choropleth.NO_DATA_BACKGROUND, "NO_DATA_HATCH": choropleth.NO_DATA_HATCH}


def _names(figures: observatory.Observatory) -> dict[int, str]:
    return {row.province.code: row.province.name for row in figures.provinces}


@bp.get("/observatory")
@cached_page
def index():
    return _page(None)


@bp.get("/events/<slug>/observatory")
@cached_page
def event(slug):
    return _page(events.get_event(slug))


@bp.get("/observatory/<int:code>")
@cached_page
def province(code):
    slug = request.args.get("event")
    event = events.get_event(slug) if slug else None
    figures = observatory.figures(event.id if event else None)
    row = figures.row_of(code)
    need = measures.need_support(figures, request.args.get("need"))
    scopes = services.events_for_filters()
    return render_template(
        "pipeline/province.html", figures=figures, event=event, province=row.province, row=row,
        comparisons=measures.compare(figures, row),
        details=observatory.province_details(figures, row.province),
        need=need, need_row=next(item for item in need.rows if item.figures is row), statuses=TrackingStatus,
        shapes=choropleth.load_shapes(), names=_names(figures),
        scopes=[(scope.slug, scope.title) for scope in scopes], event_titles={scope.id: scope.title for scope in scopes})


@bp.get("/observatory/data.<any(csv, json):kind>")
def data(kind):
    return _data(None, kind)


@bp.get("/events/<slug>/observatory/data.<any(csv, json):kind>")
def event_data(slug, kind):
    return _data(events.get_event(slug), kind)


def _data(event: Event | None, kind: str):
    """Every figure of the observatory page as open data (the page's ?need= chooses the need figure read)."""
    computed_at = utcnow()
    document = open_data.figures_document(event.id if event else None, request.args.get("need"), computed_at)
    name = f"observatory-{event.slug + '-' if event else ''}{computed_at.date().isoformat()}"
    if kind == "json":
        response = jsonify(document)
        response.headers["Content-Disposition"] = f'inline; filename="{name}.json"'
        return response
    return download(csv_bytes(*open_data.table(document)), f"{name}.csv")


@bp.route("/organiser/observatory/references", methods=["GET", "POST"])
@login_required
def reference_figures():
    form = ReferenceImportForm()
    result = None
    if form.validate_on_submit():
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            form.file.errors = [*form.file.errors, _("Choose a CSV or XLSX file.")]
        else:
            content = upload.read(observatory.MAX_IMPORT_BYTES + 1)
            # All or nothing: a file with problems changes nothing, and its result lists them.
            result = perform(observatory.import_references, current_user, upload.filename, content, utcnow()).result
            if result.ok:
                flash(_("%(values)s figures of %(count)s indicators were imported.",
                        values=format_number(result.values), count=localize_digits(len(result.indicators))),
                      "success")
                return redirect(url_for("observatory.reference_figures"))
            flash(_("Nothing was imported: correct the rows below and send the file again."), "error")
    status = 422 if form.is_submitted() else 200
    return render_template("pipeline/references.html", form=form, result=result,
                           indicators=observatory.reference_list(current_user),
                           max_mb=observatory.MAX_IMPORT_BYTES // (1024 * 1024)), status


@bp.get("/organiser/observatory/references/sample.csv")
@login_required
def reference_sample():
    headers, rows = observatory.sample_table(current_user)
    return download(csv_bytes(headers, rows), "reference-figures-sample.csv")
