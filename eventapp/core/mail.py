"""Outgoing mail: through SMTP when MAIL_SERVER is set, otherwise written to the log.

``send`` sends one message on a connection of its own; ``connection()`` opens one SMTP connection for a whole
batch (the notifications' outbox sends hundreds through one). Every message sent, by either way, is
announced on the ``message_sent`` signal.
"""
import logging
import smtplib
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import make_msgid

from blinker import Namespace
from flask import current_app

log = logging.getLogger("eventapp.mail")
message_sent = Namespace().signal("message-sent")


def build(to: str, subject: str, body: str, html: str | None = None, headers: dict | None = None,
          message_id: str | None = None) -> EmailMessage:
    """A message from the configured sender: plain text, with an HTML alternative when ``html`` is given."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain=sender_domain())
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def sender_domain() -> str:
    sender = current_app.config["MAIL_SENDER"]
    return sender.rsplit("@", 1)[-1].strip(" >") if "@" in sender else "localhost"


class _Connection:
    """Sends messages through one open SMTP connection (or to the log)."""

    def __init__(self, smtp: smtplib.SMTP | None):
        self.smtp = smtp
        self.app = current_app._get_current_object()

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            log.info("Mail (MAIL_SERVER is not set, so it is only logged)\nTo: %s\nSubject: %s\n\n%s",
                     message["To"], message["Subject"], message.get_body(("plain",)).get_content())
        else:
            self.smtp.send_message(message)
        message_sent.send(self.app, message=message)


@contextmanager
def connection():
    """``with mail.connection() as outgoing: outgoing.send(message)``: one SMTP session for every message sent
    inside. Raises smtplib.SMTPException or OSError when the server refuses or cannot be reached."""
    config = current_app.config
    if not config["MAIL_SERVER"]:
        yield _Connection(None)
        return
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT_SECONDS"]) as smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        yield _Connection(smtp)


def send(to: str, subject: str, body: str) -> EmailMessage:
    message = build(to, subject, body)
    with connection() as outgoing:
        outgoing.send(message)
    return message
