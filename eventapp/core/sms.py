"""Text messages: written to the log by default, or sent through an SMS provider's HTTP API.

``SMS_BACKEND`` chooses the gateway: ``log`` (the embedded default: nothing leaves the machine) or ``http``,
the shape of the common Iranian providers' REST APIs: a POST to ``SMS_URL`` with the key in the ``apikey``
header and the form fields ``sender``, ``receptor`` (the national number 09…) and ``message``; any 2xx
answer is a message accepted. Every message sent, by either way, is announced on ``message_sent``.
"""
import logging
from contextlib import contextmanager
from dataclasses import dataclass

import requests
from blinker import Namespace
from flask import current_app

log = logging.getLogger("eventapp.sms")
message_sent = Namespace().signal("sms-sent")
TIMEOUT_SECONDS = 10


class SmsError(Exception):
    """The provider refused the message or could not be reached; the text says why (for the log)."""


@dataclass(frozen=True)
class TextMessage:
    to: str
    text: str


class _Gateway:
    """Sends text messages, over one HTTP session (its connection kept alive) for the http backend."""

    def __init__(self, session: requests.Session | None):
        self.session = session
        self.app = current_app._get_current_object()

    def send(self, to: str, text: str) -> TextMessage:
        """Send ``text`` to the mobile number ``to`` (09…), or raise SmsError."""
        message = TextMessage(to, text)
        if self.session is not None:
            _send_http(self.session, message, self.app.config)
        else:
            log.info("SMS (SMS_BACKEND is log, so it is only logged) to %s: %s", to, text)
        message_sent.send(self.app, message=message)
        return message


@contextmanager
def connection():
    """``with sms.connection() as gateway: gateway.send(to, text)``: one provider session for a batch."""
    if current_app.config["SMS_BACKEND"] != "http":
        yield _Gateway(None)
        return
    with requests.Session() as session:
        yield _Gateway(session)


def send(to: str, text: str) -> TextMessage:
    """Send one text message (a sign-in code), or raise SmsError."""
    with connection() as gateway:
        return gateway.send(to, text)


def _send_http(session: requests.Session, message: TextMessage, config) -> None:
    try:
        response = session.post(
            config["SMS_URL"], headers={"apikey": config["SMS_API_KEY"] or ""},
            data={"sender": config["SMS_SENDER"], "receptor": message.to, "message": message.text},
            timeout=TIMEOUT_SECONDS,
        )
    except requests.RequestException as error:
        raise SmsError(f"the SMS provider could not be reached: {error}") from error
    if not 200 <= response.status_code < 300:
        raise SmsError(f"the SMS provider answered {response.status_code}: {response.text[:200]}")
