"""How the notifications react to the platform's signals (see eventapp/signals.py): each signal becomes the
notifications of the people it concerns, stored once (``outbox.notify``) and queued for sending after the commit.

The subject of an occurrence that can happen again (a decision, a reopened map) carries its moment, so the second
decision is told too, while the same signal handled twice stores nothing more."""
from collections import defaultdict

from sqlalchemy import inspect, select
from sqlalchemy.orm import joinedload

from .. import signals
from ..certificates.models import Certificate
from ..core.extensions import db
from ..judging.models import Assignment
from ..teams.models import APPROVED, REJECTED, Team
from . import delivery
from .enums import Kind
from .outbox import Entry, members_of, notify


def _store(kind: Kind, entries, now) -> None:
    ids = notify(kind, entries, now)
    db.session.commit()
    if ids:
        delivery.dispatch(ids)


def _team_params(team: Team) -> dict:
    event = team.event
    return {"team": team.name, "event_fa": event.title_fa, "event_en": event.title_en or event.title_fa}


def _tell_team(kind: Kind, team: Team, subject: str, now, params: dict | None = None, link: str | None = None,
               except_user: int | None = None) -> None:
    recipients = [user_id for user_id in members_of([team.id])[team.id] if user_id != except_user]
    params = {**_team_params(team), **(params or {})}
    _store(kind, [Entry(user_id, subject, params, link or f"/teams/{team.id}", team.event_id)
                  for user_id in recipients], now)


@signals.team_registered.connect
def registration_received(team, actor, now) -> None:
    _tell_team(Kind.TEAM_REGISTERED, team, f"team:{team.id}", now)


@signals.team_decided.connect
def team_decided(team, actor, now, status, reason) -> None:
    kinds = {APPROVED: Kind.TEAM_APPROVED, REJECTED: Kind.TEAM_REJECTED}
    if status in kinds:
        _tell_team(kinds[status], team, f"team:{team.id}@{now.isoformat()}", now, {"reason": reason or ""})


@signals.member_joined.connect
def member_joined(team, actor, now, member) -> None:
    _tell_team(Kind.MEMBER_JOINED, team, f"member:{member.id}", now, {"member": member.name},
               except_user=member.user_id)


@signals.member_left.connect
def member_left(team, actor, now, name) -> None:
    _tell_team(Kind.MEMBER_LEFT, team, f"team:{team.id}:left@{now.isoformat()}", now, {"member": name})


@signals.map_submitted.connect
def map_submitted(progress_map, actor, now) -> None:
    team = db.session.get(Team, progress_map.team_id)
    _tell_team(Kind.MAP_SUBMITTED, team, f"map:{progress_map.id}@{now.isoformat()}", now,
               {"title": progress_map.title, "at": now.isoformat()}, link=f"/teams/{team.id}/map")


@signals.map_reopened.connect
def map_reopened(progress_map, actor, now) -> None:
    team = db.session.get(Team, progress_map.team_id)
    _tell_team(Kind.MAP_REOPENED, team, f"map:{progress_map.id}:reopened@{now.isoformat()}", now,
               {"title": progress_map.title}, link=f"/teams/{team.id}/map")


@signals.screening_selected.connect
def screening_decided(event, actor, now, team_ids, selected) -> None:
    kind = Kind.SCREENING_SELECTED if selected else Kind.SCREENING_NOT_SELECTED
    teams = db.session.scalars(select(Team).where(Team.id.in_(team_ids))).all() if team_ids else []
    members = members_of([team.id for team in teams])
    _store(kind, [Entry(user_id, f"team:{team.id}@{now.isoformat()}", _team_params(team), f"/teams/{team.id}",
                        event.id) for team in teams for user_id in members[team.id]], now)


@signals.judge_assigned.connect
def entries_assigned(round_, actor, now, assignment_ids) -> None:
    by_judge = defaultdict(list)
    for assignment_id, user_id in db.session.execute(
            select(Assignment.id, Assignment.user_id).where(Assignment.id.in_(assignment_ids))):
        by_judge[user_id].append(assignment_id)
    event = round_.event
    params = {"round_kind": round_.kind.value, "ends_at": round_.ends_at.isoformat(), "event_fa": event.title_fa,
              "event_en": event.title_en or event.title_fa}
    _store(Kind.JUDGE_ASSIGNED, [Entry(user_id, f"round:{round_.id}:assigned:{min(ids)}", {**params, "count": len(ids)},
                                       "/judging", round_.event_id) for user_id, ids in by_judge.items()], now)


@signals.assignment_reopened.connect
def assignment_reopened(assignment, actor, now) -> None:
    _store(Kind.ASSIGNMENT_REOPENED, [Entry(assignment.user_id, f"assignment:{assignment.id}@{now.isoformat()}",
                                            {"ends_at": assignment.round.ends_at.isoformat()},
                                            f"/judging/assignments/{assignment.id}", assignment.round.event_id)], now)


@signals.results_published.connect
def results_published(publication, actor, now) -> None:
    round_ = publication.round
    rows = publication.result.rows
    teams = {team.id: team for team in db.session.scalars(select(Team).where(Team.id.in_([row.team_id for row in rows])))}
    members = members_of(list(teams))
    entries = []
    for row in rows:
        team = teams.get(row.team_id)
        if team is None:
            continue
        params = {**_team_params(team), "rank": row.rank, "tied": row.tied, "award": row.award or "",
                  "entries": len(rows), "round_kind": round_.kind.value, "group": row.group}
        entries += [Entry(user_id, f"publication:{publication.id}", params, f"/teams/{team.id}", round_.event_id)
                    for user_id in members[team.id]]
    _store(Kind.RESULTS_PUBLISHED, entries, now)


@signals.certificate_issued.connect
def certificate_ready(certificate, actor, now) -> None:
    _tell_holders([certificate], now)


@signals.certificates_issued.connect
def certificates_ready(job, actor, now, certificates) -> None:
    _tell_holders(certificates, now)


def _tell_holders(certificates, now) -> None:
    """The members of each document's team (or its judge) are told it is ready: stored, and sent, as one batch.
    The documents come after their commit, which expired them: read again together, not one query each."""
    ids = [inspect(certificate).identity[0] for certificate in certificates]
    certificates = db.session.scalars(select(Certificate).where(Certificate.id.in_(ids))
                                      .options(joinedload(Certificate.event)).order_by(Certificate.id)).all()
    members = members_of({certificate.team_id for certificate in certificates if certificate.team_id is not None})
    entries = []
    for certificate in certificates:
        event = certificate.event
        params = {"kind_label_key": certificate.kind.value, "holder": certificate.holder, "serial": certificate.serial,
                  "event_fa": event.title_fa, "event_en": event.title_en or event.title_fa}
        if certificate.team_id is not None:
            recipients, link = members[certificate.team_id], f"/teams/{certificate.team_id}"
        else:
            recipients, link = ([certificate.user_id] if certificate.user_id else []), "/judging"
        entries += [Entry(user_id, f"certificate:{certificate.id}", params, link, certificate.event_id)
                    for user_id in recipients]
    _store(Kind.CERTIFICATE_READY, entries, now)
