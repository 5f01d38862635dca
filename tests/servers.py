"""Real servers the tests talk to: an SMTP server (aiosmtpd) and an HTTP server standing in for an SMS
provider's REST API. Each fixture points the app's configuration at its server for the test."""
import os
import socket
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from aiosmtpd.controller import Controller


class SmtpRecorder:
    """The handler of the test SMTP server: keeps every message, counts connections, refuses on demand."""

    def __init__(self):
        self.messages = []  # email.message.EmailMessage, as received
        self.connections = 0
        self.refuse = None  # e.g. "550 Mailbox unavailable": the answer to every RCPT while set
        self.lock = threading.Lock()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list:
        return [message for message in self.messages if message["To"] == address]


def free_port() -> int:
    """A port nothing listens on now (aiosmtpd's controller needs its port before it starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(app, monkeypatch):
    """A real SMTP server on a free local port; the app sends its mail there during the test."""
    recorder = SmtpRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False,
                       "MAIL_USE_SSL": False, "MAIL_USERNAME": None}.items():
        monkeypatch.setitem(app.config, key, value)
    recorder.port = port
    yield recorder
    controller.stop()


@pytest.fixture
def silent_smtp_server(app, monkeypatch):
    """A port that accepts connections and never answers: an SMTP server that times out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    for key, value in {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": listener.getsockname()[1], "MAIL_USE_TLS": False,
                       "MAIL_USE_SSL": False, "MAIL_USERNAME": None, "MAIL_TIMEOUT_SECONDS": 1}.items():
        monkeypatch.setitem(app.config, key, value)
    yield listener
    listener.close()


class SmsProvider:
    """What the test SMS provider received, and what it answers (``status``, 200 unless a test changes it)."""

    def __init__(self):
        self.requests = []  # dicts: path, apikey, sender, receptor, message
        self.status = 200

    def texts_to(self, number: str) -> list[str]:
        return [request["message"] for request in self.requests if request["receptor"] == number]


@pytest.fixture
def sms_server(app, monkeypatch):
    """A local HTTP server shaped like an Iranian SMS provider's REST API; the app's SMS go there."""
    provider = SmsProvider()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            form = {key: values[0] for key, values in parse_qs(self.rfile.read(length).decode()).items()}
            provider.requests.append({"path": self.path, "apikey": self.headers.get("apikey"), **form})
            body = b'{"return": {"status": %d}}' % provider.status
            self.send_response(provider.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1/sms/send.json"
    for key, value in {"SMS_BACKEND": "http", "SMS_URL": url, "SMS_API_KEY": "test-key", "SMS_SENDER": "10004346"}.items():
        monkeypatch.setitem(app.config, key, value)
    yield provider
    server.shutdown()
    server.server_close()


@pytest.fixture
def redis_url(app, monkeypatch):
    """The Redis of TEST_REDIS_URL, emptied, as the app's queue (the test is skipped without one)."""
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("set TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15) to run queue workers")
    import redis

    redis.Redis.from_url(url).flushdb()
    monkeypatch.setitem(app.config, "JOBS_BACKEND", "redis")
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    return url
