"""Routes of the observatory: the public figures with their charts, and the organisers' reference figures."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
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
from . import charts, observatory, services
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
        per_people = _("Teams per %(num)s people", num=format_number(observatory.PER_PEOPLE))
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
    return render_template(
        "pipeline/observatory.html", figures=figures, event=event, statuses=TrackingStatus,
        provinces=sorted(figures.provinces, key=lambda row: key(row.province.name)), chart=chart,
        province_charts=province_charts, reference_charts=reference_charts, per_people=observatory.PER_PEOPLE,
        scopes=[(scope.slug, scope.title) for scope in services.events_for_filters()])


@bp.get("/observatory")
@cached_page
def index():
    return _page(None)


@bp.get("/events/<slug>/observatory")
@cached_page
def event(slug):
    return _page(events.get_event(slug))


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
