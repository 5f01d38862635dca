"""Outgoing mail: through SMTP when MAIL_SERVER is set, otherwise written to the log.

Every message sent, by either way, is announced on the ``message_sent`` signal.
"""
import logging
import smtplib
from email.message import EmailMessage

from blinker import Namespace
from flask import current_app

log = logging.getLogger("eventapp.mail")
message_sent = Namespace().signal("message-sent")


def send(to: str, subject: str, body: str) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    if config["MAIL_SERVER"]:
        _send_smtp(message, config)
    else:
        log.info("Mail (MAIL_SERVER is not set, so it is only logged)\nTo: %s\nSubject: %s\n\n%s",
                 to, subject, body)
    message_sent.send(current_app._get_current_object(), message=message)
    return message


def _send_smtp(message: EmailMessage, config) -> None:
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
