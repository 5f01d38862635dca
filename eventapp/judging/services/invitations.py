"""Inviting judges by email: a signed link that makes its holder a judge of the event."""
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from ...audit import services as audit
from ...auth.models import RoleGrant
from ...core import mail
from ...core.errors import Invalid, NotAllowed, NotFound
from ...core.extensions import db
from ...core.roles import JUDGE, require_organiser
from ...events.models import Event
from ..models import EventJudge

audit.register_actions({
    "judging.judge_invited": _l("Judge invited"),
    "judging.judge_joined": _l("Judge accepted the invitation"),
})


JUDGE_INVITATION_DAYS = 14


def _invitation_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="judge-invitation")


def invite_judge(actor, event: Event, email: str, link_for, now: datetime) -> str:
    """Email a link that makes its holder a judge once they sign in with this email."""
    require_organiser(actor, _l("Only organisers can invite judges."))
    email = email.strip().lower()
    token = _invitation_serializer().dumps({"email": email, "event": event.id})
    mail.send(
        to=email,
        subject=_("You are invited to judge %(event)s", event=event.title),
        body=_("%(organiser)s invites you to judge the progress maps of %(event)s.\n\nSign in or create an account "
               "with this email, then open this link within %(days)s days:\n%(link)s",
               organiser=actor.name, event=event.title, days=JUDGE_INVITATION_DAYS, link=link_for(token)),
    )
    audit.record(actor, "judging.judge_invited", event, {"email": email}, now=now)
    return token


def accept_judge_invitation(actor, token: str, now: datetime) -> Event:
    """The invited person (signed in with the invited email) becomes a judge, and a judge of that event."""
    try:
        claims = _invitation_serializer().loads(token, max_age=JUDGE_INVITATION_DAYS * 24 * 3600)
    except BadSignature as error:  # SignatureExpired is a BadSignature too
        raise Invalid(_("This invitation is invalid or has expired. Ask the organisers for a new one.")) from error
    if actor.email != claims["email"]:
        raise NotAllowed(_("This invitation was sent to %(email)s. Sign in with that email to accept it.",
                           email=claims["email"]))
    event = db.session.get(Event, claims["event"])
    if event is None:
        raise NotFound(_("There is no such event."))
    if not actor.is_judge:
        actor.role_grants.append(RoleGrant(role=JUDGE))
        audit.record(actor, "role.granted", actor, {"role": JUDGE, "by": "invitation"}, now=now)
    join_event(actor, event, now)
    return event


def join_event(judge, event: Event, now: datetime) -> bool:
    """Make a judge's account a judge of the event (once); whether it was not one yet."""
    if db.session.scalar(select(EventJudge.id).where(EventJudge.event_id == event.id,
                                                     EventJudge.user_id == judge.id)) is not None:
        return False
    db.session.add(EventJudge(event_id=event.id, user_id=judge.id, accepted_at=now))
    audit.record(judge, "judging.judge_joined", event, {"judge": judge.name}, now=now)
    return True
