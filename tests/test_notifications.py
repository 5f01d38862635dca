"""Notifications: what people are told, by which channel, exactly once — through the app, a real SMTP server
(aiosmtpd), a local HTTP server standing in for the SMS provider, and (marked ``redis``) a real queue worker."""
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from eventapp.auth.models import User
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.events.models import Event, Phase
from eventapp.judging.models import Round
from eventapp.notifications import announcements, delivery, scheduling
from eventapp.notifications.enums import Channel, DeliveryStatus, Kind
from eventapp.notifications.models import Delivery, DeliveryAttempt, Notification, ReminderSchedule
from eventapp.notifications.outbox import Entry, notify
from eventapp.teams import services as teams
from eventapp.teams.models import Team

from .factories import final_round, publish, submit_scores, team_in, team_with_map
from .helpers import count, get, visible

REPO_ROOT = Path(__file__).resolve().parent.parent


def rows(app, model, **where):
    with app.app_context():
        return db.session.scalars(select(model).filter_by(**where).order_by(model.id)).all()


def deliveries(app, kind=None):
    with app.app_context():
        query = select(Delivery).join(Notification)
        if kind:
            query = query.where(Notification.kind == kind)
        return db.session.scalars(query.order_by(Delivery.id)).all()


PARAMS = {"team": "گروه آزمون", "event_fa": "رویداد", "event_en": "Event"}


def stored(app, people, subject) -> list[int]:
    """Tell ``people`` that their team registered (a kind any test can send), committed; the delivery ids."""
    with app.app_context():
        ids = notify(Kind.TEAM_REGISTERED, [Entry(person.id, subject, PARAMS) for person in people], utcnow())
        db.session.commit()
        return ids


def decide(client, team_id, status, reason=""):
    return client.post(f"/organiser/teams/{team_id}/decision", data={"status": status, "reason": reason})


@pytest.fixture
def crew(app, make):
    """An event open for registration with a pending team: a Persian-reading leader and an English-reading member."""
    leader = make.user(name="لیلا رضایی", email="leila@example.com", mobile="09121111111", locale="fa")
    member = make.user(name="Omid Karimi", email="omid@example.com", mobile="09122222222", locale="en")
    event = make.event(title_fa="جشنواره طلوع", title_en="Dawn Festival")
    team_id = team_in(app, event.id, leader_user=leader, members=[member], status="pending", name="گروه نور")
    return type("Crew", (), {"leader": leader, "member": member, "event": event, "team_id": team_id})


# --- what a team is told, and how ---------------------------------------------------------------------------


def test_a_rejected_team_is_told_why_in_each_members_language_by_inbox_email_and_sms(
        app, crew, organiser, login, client_for, smtp_server, sms_server):
    assert decide(login(organiser), crew.team_id, "rejected", "Fewer than three <b>members</b>").status_code == 302
    [persian] = smtp_server.to("leila@example.com")
    [english] = smtp_server.to("omid@example.com")
    assert "گروه نور" in persian["Subject"]
    assert english["Subject"] == "گروه نور was not approved"
    text = english.get_body(("plain",)).get_content()
    assert "Fewer than three <b>members</b>" in text  # the reason, as written (plain text)
    assert "http://localhost/teams/" in text
    html = english.get_body(("html",)).get_content()
    assert 'dir="ltr"' in html and "&lt;b&gt;members" in html  # escaped in HTML, never markup
    assert 'dir="rtl"' in persian.get_body(("html",)).get_content()
    assert "List-Unsubscribe" not in persian  # a decision about the team cannot be turned off
    # SMS: short, in the reader's language, Persian digits in Persian (the link keeps its own)
    [persian_sms] = sms_server.texts_to("09121111111")
    assert "گروه نور" in persian_sms and sms_server.requests[0]["apikey"] == "test-key"
    [english_sms] = sms_server.texts_to("09122222222")
    assert english_sms.startswith("گروه نور was not approved for Dawn Festival")
    # the inbox, with the unread count in the top bar
    leader = client_for(crew.leader)
    page = leader.get("/inbox")
    assert page.status_code == 200
    assert 'data-testid="unread-count"' in page.get_data(as_text=True)
    assert "Fewer than three &lt;b&gt;members&lt;/b&gt;" in page.get_data(as_text=True)


def test_approval_registration_and_map_receipt_reach_the_team(app, make, crew, organiser, login, client_for,
                                                              outbox):
    client = login(organiser)
    decide(client, crew.team_id, "approved")
    with app.app_context():
        kinds = [row.kind for row in db.session.scalars(select(Notification).order_by(Notification.id))]
    assert kinds == [Kind.TEAM_APPROVED, Kind.TEAM_APPROVED]
    assert {message["To"] for message in outbox} == {"leila@example.com", "omid@example.com"}
    # approved again after a step back is told again (another occurrence), the same signal twice is not
    decide(client, crew.team_id, "pending")
    decide(client, crew.team_id, "approved")
    assert count(app, Notification, kind=Kind.TEAM_APPROVED) == 4


def test_a_member_joining_by_invitation_and_leaving_is_told_to_the_others(app, make, client_for):
    leader = make.user(name="Leader", email="lead@example.com", locale="en")
    joiner = make.user(name="Sara Joiner", email="sara@example.com", locale="en")
    event = make.event()
    team_id = team_in(app, event.id, leader_user=leader, status="approved")
    links = []
    with app.app_context():
        teams.invite_member(get(User, leader.id), get(Team, team_id), joiner.email, utcnow(), links.append)
        db.session.commit()
    token = links[0]
    sara = client_for(joiner)
    assert sara.post(f"/invitations/{token}").status_code == 302
    [joined] = rows(app, Notification, kind=Kind.MEMBER_JOINED)
    assert joined.recipient_id == leader.id and joined.params["member"] == "Sara Joiner"  # not the one who joined
    sara.post(f"/teams/{team_id}/leave")
    assert [row.recipient_id for row in rows(app, Notification, kind=Kind.MEMBER_LEFT)] == [leader.id]


def test_results_published_tell_each_team_its_rank_in_its_language(app, make, organiser, client_for, sms_server):
    event = make.event(open_kind="judging", title_fa="جشنواره", title_en="Festival")
    judge = make.user(name="Judge", roles=["judge"])
    leaders = [make.user(name=f"Leader {index}", email=f"leader{index}@example.com", mobile=f"0913000000{index}",
                         locale="en" if index else "fa") for index in range(3)]
    team_ids = [team_with_map(app, event.id, leader=leader, name=f"Team {index}") for index, leader in enumerate(leaders)]
    round_id = final_round(app, organiser, event.id, team_ids, [judge.id])
    assert [row.kind for row in rows(app, Notification, recipient_id=judge.id)] == [Kind.JUDGE_ASSIGNED]
    submit_scores(app, round_id, team_ids)
    publish(app, organiser, round_id)
    assert count(app, Notification, kind=Kind.RESULTS_PUBLISHED) == 3
    second = client_for(leaders[1])
    assert "Team 1 is placed 2 of 3." in visible(second.get("/inbox"))
    [persian] = sms_server.texts_to("09130000000")
    words, _, link = persian.rpartition(" ")
    assert "۱" in words and "۳" in words and not any(digit in words for digit in "0123456789")
    assert link.startswith("http") and "/teams/" in link  # the link keeps its digits


# --- exactly once ---------------------------------------------------------------------------------------------


def test_a_batch_handed_out_twice_sends_each_message_once_through_one_connection(app, make, smtp_server):
    people = [make.user(email=f"p{index}@example.com") for index in range(30)]
    ids = stored(app, people, "test:1")
    assert stored(app, people, "test:1") == []  # told once: the same kind, subject and recipient store nothing more
    with app.app_context():
        emails = [row.id for row in db.session.scalars(select(Delivery).where(Delivery.channel == Channel.EMAIL))]
        assert delivery.deliver_batch(emails)["sent"] == 30
        assert delivery.deliver_batch(emails)["sent"] == 0  # a retried job finds everything claimed and sent
        assert delivery.requeue(utcnow() + timedelta(days=1)) == len(ids) - 30  # only the SMS still wait
    assert len(smtp_server.messages) == 30 and smtp_server.connections == 1
    assert len({message["Message-ID"] for message in smtp_server.messages}) == 30


def test_what_a_killed_sender_had_claimed_is_sent_after_it_is_taken_for_dead(app, make, smtp_server):
    person = make.user(email="claimed@example.com", mobile="")
    [delivery_id] = stored(app, [person], "test:killed")
    with app.app_context():  # a sender claimed it and died before sending
        row = db.session.get(Delivery, delivery_id)
        row.status, row.claimed_by, row.claimed_at = DeliveryStatus.SENDING, "dead:1", utcnow()
        db.session.commit()
        assert delivery.requeue(utcnow() + timedelta(minutes=5)) == 0  # maybe only slow: left alone
        stale = utcnow() + timedelta(seconds=app.config["NOTIFY_STALE_SECONDS"] + 1)
        assert delivery.requeue(stale) == 1
        assert db.session.get(Delivery, delivery_id).status == DeliveryStatus.SENT
    assert len(smtp_server.to("claimed@example.com")) == 1


def test_a_refusing_server_is_retried_with_back_off_and_every_attempt_recorded(app, make, smtp_server,
                                                                                monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_MAX_ATTEMPTS", 3)
    person = make.user(email="later@example.com", mobile="")
    smtp_server.refuse = "451 4.3.0 Try again later"
    [delivery_id] = stored(app, [person], "test:retry")
    with app.app_context():
        assert delivery.deliver_batch([delivery_id]) == {"sent": 0, "failed": 0, "retry": 1}
        row = db.session.get(Delivery, delivery_id)
        assert row.status == DeliveryStatus.PENDING and row.attempts == 1 and "451" in row.last_error
        first_wait = row.next_attempt_at - utcnow()
        assert timedelta(seconds=50) < first_wait <= timedelta(seconds=60)
        assert delivery.requeue(utcnow()) == 0  # not before its time
        smtp_server.refuse = None
        assert delivery.requeue(row.next_attempt_at + timedelta(seconds=1)) == 1  # inline: sent at once
        row = db.session.get(Delivery, delivery_id)
        assert row.status == DeliveryStatus.SENT and row.attempts == 2
        attempts = db.session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery_id)
                                      .order_by(DeliveryAttempt.id)).all()
        assert [attempt.ok for attempt in attempts] == [False, True]
    assert len(smtp_server.to("later@example.com")) == 1


def test_an_address_refused_for_good_fails_at_once_and_the_organiser_sees_it(app, make, crew, organiser, login,
                                                                              smtp_server):
    smtp_server.refuse = "550 5.1.1 No such mailbox"
    client = login(organiser)
    decide(client, crew.team_id, "approved")
    failed = [row for row in deliveries(app, Kind.TEAM_APPROVED) if row.channel == Channel.EMAIL]
    assert {row.status for row in failed} == {DeliveryStatus.FAILED} and all(row.attempts == 1 for row in failed)
    client.set_cookie("lang", "en")
    page = visible(client.get(f"/organiser/events/{crew.event.id}/notifications"))
    assert "Team approved" in page and "2 failed" in page and "No such mailbox" in page


def test_a_mail_server_that_times_out_loses_nothing(app, make, silent_smtp_server):
    people = [make.user(email=f"t{index}@example.com", mobile="") for index in range(3)]
    ids = stored(app, people, "test:timeout")
    with app.app_context():
        started = time.monotonic()
        assert delivery.deliver_batch(ids) == {"sent": 0, "failed": 0, "retry": 3}
        assert time.monotonic() - started < 10  # one timeout for the batch, not one per message
        statuses = {row.status for row in db.session.scalars(select(Delivery))}
        assert statuses == {DeliveryStatus.PENDING}
        assert all("timed out" in row.last_error or "the mail server" in row.last_error
                   for row in db.session.scalars(select(Delivery)))


def test_an_sms_provider_answering_500_is_retried_and_the_email_still_goes(app, make, crew, organiser, login,
                                                                         sms_server, smtp_server):
    sms_server.status = 500
    client = login(organiser)
    decide(client, crew.team_id, "approved")
    texts = [row for row in deliveries(app) if row.channel == Channel.SMS]
    assert texts and all(row.status == DeliveryStatus.PENDING and "500" in row.last_error for row in texts)
    client.set_cookie("lang", "en")
    page = visible(client.get(f"/organiser/events/{crew.event.id}/notifications"))
    assert "tried 1 time; tried again at" in page and "the SMS provider answered 500" in page
    assert len(smtp_server.messages) == 2
    sms_server.status = 200
    with app.app_context():
        assert delivery.requeue(utcnow() + timedelta(minutes=5)) == len(texts)
    assert len(sms_server.texts_to("09121111111")) == 2  # the failed request and the one that went through
    assert all(row.status == DeliveryStatus.SENT for row in deliveries(app) if row.channel == Channel.SMS)


# --- preferences ------------------------------------------------------------------------------------------------


def test_a_person_turns_off_what_may_be_turned_off_and_essential_stays_on(app, make, crew, organiser, login,
                                                                           client_for, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://dawn.example.org")
    leader = client_for(crew.leader)
    page = leader.get("/account/notifications").get_data(as_text=True)
    assert 'value="team_approved:email"' in page and "disabled" in page
    # everything unticked: essential kinds cannot be, so they stay on
    assert leader.post("/account/notifications", data={}).status_code == 302
    decide(login(organiser), crew.team_id, "approved")
    assert smtp_server.to("leila@example.com")
    with app.app_context():
        announcement = announcements.create(get(User, organiser.id), get(Event, crew.event.id), announcements.Draft(
            "خبر", "News", "<p>متن</p>", "", "all_teams"), utcnow())
        db.session.commit()
        announcements.send(get(User, organiser.id), announcement, utcnow())
    channels = {(row.notification_id, row.channel) for row in deliveries(app, Kind.ANNOUNCEMENT)}
    with app.app_context():
        leader_note = db.session.scalar(select(Notification.id).where(
            Notification.kind == Kind.ANNOUNCEMENT, Notification.recipient_id == crew.leader.id))
    assert not any(note == leader_note for note, _ in channels)  # inbox only for the leader
    member_mail = smtp_server.to("omid@example.com")[-1]
    assert member_mail["List-Unsubscribe"] == "<https://dawn.example.org/account/notifications>"


# --- announcements ---------------------------------------------------------------------------------------------


def announce(client, event_id, **fields):
    data = {"title_fa": "اطلاعیه", "body_fa": "<p>سلام {name} از {team}</p>", "audience": "all_teams", **fields}
    return client.post(f"/organiser/events/{event_id}/announcements/new", data=data)


def test_an_announcement_is_previewed_then_sent_once_to_its_audience_in_each_language(
        app, make, crew, organiser, login, smtp_server, client):
    other = make.user(name="Other", email="other@example.com", locale="en")
    team_in(app, crew.event.id, leader_user=other, name="Team Other", status="approved")
    login(organiser)
    response = announce(client, crew.event.id, title_en="Notice", body_en="<p>Hello {name} of {team}</p>",
                        audience="approved")
    assert response.status_code == 302
    client.set_cookie("lang", "en")
    preview = visible(client.get(response.headers["Location"]))
    assert "1 person — in Persian: 0, in English: 1" in preview and "Other · Team Other · English" in preview
    assert client.post(response.headers["Location"] + "/send").status_code == 302
    [mail] = smtp_server.messages
    assert mail["To"] == "other@example.com" and mail["Subject"] == "Notice"
    assert "Hello Other of Team Other" in mail.get_body(("plain",)).get_content()
    again = client.post(response.headers["Location"] + "/send", follow_redirects=True)
    assert "This announcement has been sent already." in visible(again) and len(smtp_server.messages) == 1
    event_page = visible(client.get(f"/events/{crew.event.slug}"))
    assert "Announcements" in event_page and "Notice" in event_page


@pytest.mark.parametrize(("fields", "message"), [
    ({"audience": "winners"}, "Nobody is in this audience yet"),
    ({"body_fa": "<p>سلام {nam}</p>"}, "Unknown placeholder: {nam}. You can use: {name}, {team}, and {event}."),
    ({"body_fa": "<p>سلام {name</p>"}, "A brace in the text is not closed."),
    ({"audience": "province"}, "Choose the province whose teams receive it."),
    ({"audience": "nobody"}, "Not a valid choice"),
    ({"title_fa": ""}, "Enter the Persian title."),
])
def test_an_announcement_that_cannot_go_out_says_why(app, crew, organiser, login, client, fields, message):
    login(organiser)
    client.set_cookie("lang", "en")
    response = announce(client, crew.event.id, **fields)
    assert response.status_code == 400 and message in visible(response)
    assert count(app, announcements.Announcement) == 0


def test_a_scheduled_announcement_goes_out_once_when_its_time_comes(app, make, crew, organiser, smtp_server):
    with app.app_context():
        actor = get(User, organiser.id)
        item = announcements.create(actor, get(Event, crew.event.id), announcements.Draft(
            "فردا", "", "<p>متن</p>", "", "all_teams"), utcnow())
        announcements.schedule(actor, item, utcnow() + timedelta(hours=2), utcnow())
        db.session.commit()
        assert scheduling.tick(utcnow()).get(f"announcement:{item.id}") is None
        later = utcnow() + timedelta(hours=2, minutes=1)
        assert scheduling.tick(later)[f"announcement:{item.id}"] == 2
        scheduling.tick(later)
    assert len(smtp_server.messages) == 2


def test_only_organisers_see_and_send_announcements(app, crew, make, client_for):
    stranger = client_for(make.user(email="x@example.com"))
    assert stranger.get(f"/organiser/events/{crew.event.id}/notifications").status_code == 403
    assert announce(stranger, crew.event.id).status_code == 403


# --- reminders -------------------------------------------------------------------------------------------------


def _phase_ending(app, event_id, kind, hours):
    with app.app_context():
        phase = db.session.scalar(select(Phase).where(Phase.event_id == event_id, Phase.kind == kind))
        phase.ends_at = utcnow() + timedelta(hours=hours)
        db.session.commit()


def test_teams_that_have_not_submitted_are_reminded_at_the_hours_set_and_once(app, make, outbox):
    event = make.event(open_kind="submission")
    late, done = make.user(email="late@example.com"), make.user(email="done@example.com")
    team_with_map(app, event.id, leader=late, status="draft", name="Late")
    team_with_map(app, event.id, leader=done, name="Done")
    _phase_ending(app, event.id, "submission", 71)
    with app.app_context():
        assert scheduling.tick(utcnow())[Kind.SUBMISSION_REMINDER.value] >= 1
        assert Kind.SUBMISSION_REMINDER.value not in scheduling.tick(utcnow())  # once per reminder
        # 23 hours before the deadline: the 24-hour reminder
        assert Kind.SUBMISSION_REMINDER.value in scheduling.tick(utcnow() + timedelta(hours=48))
        subjects = db.session.scalars(select(Notification.subject).where(
            Notification.kind == Kind.SUBMISSION_REMINDER)).all()
    assert sorted(subject.rsplit(":", 1)[1] for subject in subjects) == ["24", "72"]
    assert {message["To"] for message in outbox} == {"late@example.com"}


def test_the_organiser_sets_the_reminder_hours_and_a_bad_value_says_why(app, make, organiser, login, client):
    event = make.event(open_kind="submission")
    login(organiser)
    client.set_cookie("lang", "en")
    bad = client.post(f"/organiser/events/{event.id}/notifications/reminders", data={"hours": "soon"})
    assert bad.status_code == 400 and "Write whole hours separated by commas" in visible(bad)
    assert client.post(f"/organiser/events/{event.id}/notifications/reminders",
                       data={"hours": "۴۸، 6"}).status_code == 302
    with app.app_context():
        assert db.session.get(ReminderSchedule, event.id).hours_before == [48, 6]


def test_a_judge_with_open_assignments_is_reminded_before_the_judging_deadline(app, make, organiser):
    event = make.event(open_kind="judging")
    judge = make.user(name="Judge", roles=["judge"])
    team_ids = [team_with_map(app, event.id, name=f"T{index}") for index in range(2)]
    round_id = final_round(app, organiser, event.id, team_ids, [judge.id])
    with app.app_context():
        get(Round, round_id).ends_at = utcnow() + timedelta(hours=20)
        db.session.commit()
        scheduling.tick(utcnow())
        [reminder] = db.session.scalars(select(Notification).where(Notification.kind == Kind.JUDGING_REMINDER)).all()
    assert reminder.recipient_id == judge.id and reminder.params["count"] == 2


# --- the inbox --------------------------------------------------------------------------------------------------


def test_opening_a_notification_marks_it_read_and_stays_on_the_site(app, crew, organiser, login, client_for):
    decide(login(organiser), crew.team_id, "approved")
    leader = client_for(crew.leader)
    [note] = rows(app, Notification, recipient_id=crew.leader.id)
    opened = leader.post(f"/inbox/{note.id}/open")
    assert opened.status_code == 302 and opened.headers["Location"] == f"/teams/{crew.team_id}"
    assert rows(app, Notification, id=note.id)[0].read_at is not None
    assert 'data-testid="unread-count"' not in leader.get("/inbox").get_data(as_text=True)
    member = client_for(crew.member)
    assert member.post(f"/inbox/{note.id}/open").status_code == 404  # someone else's
    assert member.post("/inbox/read-all").status_code == 302
    assert all(row.read_at for row in rows(app, Notification, recipient_id=crew.member.id))


# --- the queue, with a real worker process ----------------------------------------------------------------------


def test_a_real_worker_delivers_the_queue_once_even_when_the_batch_is_queued_twice(
        app, make, database_url, redis_url, smtp_server, tmp_path):
    people = [make.user(email=f"w{index}@example.com", mobile="") for index in range(12)]
    ids = stored(app, people, "test:worker")
    with app.app_context():
        assert delivery.dispatch(ids) and delivery.dispatch(ids)  # a second server queues the same batch
    environment = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url, "JOBS_BACKEND": "redis",
                   "APP_ENV": "development", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_server.port),
                   "MAIL_USE_TLS": "0", "JOB_SWEEP_SECONDS": "3600"}
    with open(tmp_path / "worker.log", "w") as log:
        worker = subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi.py", "jobs", "worker", "--burst"],
                                cwd=REPO_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT, timeout=120)
    assert worker.returncode == 0, (tmp_path / "worker.log").read_text()
    assert sorted(message["To"] for message in smtp_server.messages) == sorted(person.email for person in people)
    assert all(row.status == DeliveryStatus.SENT for row in deliveries(app))
