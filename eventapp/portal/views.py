"""Pages that put several areas side by side for one person: their team, their judging, the event they look at."""
from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..certificates import services as certificates
from ..core.database import utcnow
from ..core.forms import EmailForm
from ..core.i18n import current_language
from ..core.page_cache import cached_page
from ..events import services as events
from ..judging import services as judging
from ..judging.forms import ConflictForm
from ..notifications import announcements
from ..pipeline import services as pipeline
from ..teams import services as teams
from ..teams.forms import MemberForm, ReasonForm
from ..training import services as training

bp = Blueprint("portal", __name__)


@bp.get("/events/<slug>")
@cached_page
def event(slug):
    event = events.get_event(slug)
    now = utcnow()
    return render_template("portal/event.html", event=event, overview=events.overview(event, now), now=now,
                           my_team=teams.team_in_event(current_user, event),
                           announcements=announcements.of_event(event, current_user, current_language()))


@bp.get("/teams/<int:team_id>")
@login_required
def team_dashboard(team_id):
    team = teams.get_team_for(current_user, team_id)
    now = utcnow()
    progress_map = teams.map_of(team)
    documents = certificates.certificates_of_team(team)
    return render_template(
        "portal/team_dashboard.html", team=team, now=now, overview=events.overview(team.event, now),
        history=teams.status_history(team), progress_map=progress_map,
        journey=teams.journey(team, progress_map, now),
        invitations=teams.open_invitations(current_user, team, now),
        invite_form=EmailForm(), member_form=MemberForm(), reason_form=ReasonForm(),
        attendance=training.team_attendance(team), is_leader=team.is_led_by(current_user),
        results=judging.team_results(current_user, team), certificates=documents,
        credentials=certificates.credentials_of(current_user, [document.id for document in documents]),
        pipeline_projects=pipeline.projects_of_team(team),
    )


@bp.get("/judging")
@login_required
@cached_page
def judge_dashboard():
    desk = judging.judge_desk(current_user)
    return render_template("portal/judge_dashboard.html", desk=desk, now=utcnow(), conflict_form=ConflictForm(),
                           certificates=certificates.certificates_of_user(current_user))
