"""Iran's 31 provinces and their counties, shipped as CSV in ``events/data``."""
import csv
from pathlib import Path

from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..core.extensions import db
from ..core.text import persian_sort_key
from .models import County, Province

DATA = Path(__file__).parent / "data"


def read_places() -> tuple[list[dict], list[dict]]:
    """The provinces (code, name_fa, name_en) and counties (province_code, name_fa, name_en)."""
    with open(DATA / "provinces.csv", encoding="utf-8", newline="") as handle:
        provinces = [{**row, "code": int(row["code"])} for row in csv.DictReader(handle)]
    with open(DATA / "counties.csv", encoding="utf-8", newline="") as handle:
        counties = [{**row, "province_code": int(row["province_code"])} for row in csv.DictReader(handle)]
    return provinces, counties


def sync_places() -> tuple[int, int]:
    """Add the provinces and counties the database lacks and correct changed English names.

    Idempotent; returns how many provinces and counties were added.
    """
    provinces, counties = read_places()
    existing = {province.code: province for province in db.session.scalars(select(Province))}
    added_provinces = 0
    for row in provinces:
        province = existing.get(row["code"])
        if province is None:
            province = existing[row["code"]] = Province(**row)
            db.session.add(province)
            added_provinces += 1
        else:
            province.name_fa, province.name_en = row["name_fa"], row["name_en"]
    db.session.flush()
    known = {(county.province_id, county.name_fa): county for county in db.session.scalars(select(County))}
    added_counties = 0
    for row in counties:
        province = existing[row["province_code"]]
        county = known.get((province.id, row["name_fa"]))
        if county is None:
            db.session.add(County(province_id=province.id, name_fa=row["name_fa"], name_en=row["name_en"]))
            added_counties += 1
        else:
            county.name_en = row["name_en"]
    db.session.flush()
    return added_provinces, added_counties


def province_choices(language: str, only: int | None = None) -> list[SelectChoice]:
    """Provinces for a select field (or just the province ``only``), in the alphabetical order of the language."""
    provinces = db.session.scalars(select(Province).where(Province.id == only) if only else select(Province)).all()
    if language == "en":
        named = sorted(((p.id, p.name_en) for p in provinces), key=lambda pair: pair[1])
    else:
        named = sorted(((p.id, p.name_fa) for p in provinces), key=lambda pair: persian_sort_key(pair[1]))
    return [SelectChoice(province_id, name) for province_id, name in named]


def county_choices(language: str, province: int | None = None) -> list[SelectChoice]:
    """Every county (or those of ``province``), grouped by province (an <optgroup> each), in the order of the
    language.

    ``data-province`` on each option lets app.js show only the counties of the chosen province.
    """
    provinces = {p.id: p for p in db.session.scalars(select(Province))}
    counties = db.session.scalars(
        select(County).where(County.province_id == province) if province else select(County)).all()
    key = (lambda text: text) if language == "en" else persian_sort_key
    name = (lambda place: place.name_en) if language == "en" else (lambda place: place.name_fa)
    ordered = sorted(counties, key=lambda c: (key(name(provinces[c.province_id])), key(name(c))))
    return [SelectChoice(c.id, name(c), optgroup=name(provinces[c.province_id]),
                         render_kw={"data-province": c.province_id}) for c in ordered]


def fill_place_choices(form, language: str, province: int | None = None) -> None:
    """Province and county choices of a form with ``province`` and ``county`` select fields: every province, or
    only ``province`` (a provincial event's) and its counties."""
    blank = [SelectChoice("", "—")]  # a required select's placeholder has an empty value
    form.province.choices = (blank if province is None else []) + province_choices(language, only=province)
    form.county.choices = blank + county_choices(language, province)
