"""The rows of the organisers' team and map exports (the same columns in CSV and XLSX)."""
from flask_babel import gettext as _

from ..core.i18n import format_datetime
from .models import MAP_SECTIONS
from .richtext import plain_text


def team_rows(teams) -> tuple[list[str], list[list]]:
    headers = [_("ID"), _("Team name"), _("Kind of organisation"), _("Organisation name"), _("Province"),
               _("County"), _("Status"), _("Reason"), _("Leader"), _("Members"), _("Contact email"),
               _("Contact mobile number"), _("Registered")]
    rows = [[
        team.id, team.name, team.organisation_type.label, team.organisation_name,
        team.province.name, team.county.name, team.status.label, team.status_reason,
        team.leader.name if team.leader else "", len(team.members), team.contact_email, team.contact_phone,
        format_datetime(team.created_at),
    ] for team in teams]
    return headers, rows


def map_sheets(maps, section_labels: dict) -> dict:
    """Three sheets: the maps with their sections, their indicators, and their actions."""
    map_headers = [_("ID"), _("Team name"), _("Title of the map"), _("Status"), _("Target province"),
                   _("Target county"), _("District or village"), _("Latitude (optional)"),
                   _("Longitude (optional)"), *[section_labels[s] for s in MAP_SECTIONS]]
    map_rows = [[
        m.id, m.team.name, m.title, m.status, m.province.name if m.province else "",
        m.county.name if m.county else "", m.district, m.latitude, m.longitude,
        *[plain_text(getattr(m, s)) for s in MAP_SECTIONS],
    ] for m in maps]
    indicator_headers = [_("ID"), _("Team name"), _("Indicator"), _("Unit"), _("Baseline"), _("Target"),
                         _("Target date")]
    indicator_rows = [[m.id, m.team.name, i.name, i.unit, i.baseline, i.target, i.target_date]
                      for m in maps for i in m.indicators]
    action_headers = [_("ID"), _("Team name"), _("Action"), _("Who is responsible"), _("Start"), _("End"),
                      _("Resources needed")]
    action_rows = [[m.id, m.team.name, a.what, a.responsible, a.starts_on, a.ends_on, a.resources]
                   for m in maps for a in m.actions]
    return {_("Maps"): (map_headers, map_rows), _("Indicators"): (indicator_headers, indicator_rows),
            _("Planned actions"): (action_headers, action_rows)}
