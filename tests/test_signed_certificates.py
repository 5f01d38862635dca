"""Certificates that prove themselves: every issued PDF carries the organisation's PAdES signature, checked from
the file alone (the verification page, ``flask certificates verify``); group certificates come with Open Badges
3.0 credentials that an independent reader verifies against the JWKS the running app publishes, until revoked."""
import base64
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pypdf
import pytest
from PIL import Image

from eventapp.auth.models import User
from eventapp.certificates import services
from eventapp.certificates.models import Certificate, Credential, SigningKey
from eventapp.core.database import utcnow
from eventapp.core.extensions import db
from eventapp.events.models import Event

from .helpers import get, signed_in
from .test_certificates import festival, issue, pdf_upload, stored_pdf  # noqa: F401 (fixtures and helpers)
from .test_signing import _pyhanko_status, revoked_in, verify_jwt

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_an_issued_document_is_signed_and_pyhanko_validates_it(app, festival, upload_dir):  # noqa: F811
    certificate = issue(app, festival)
    pdf = stored_pdf(app, certificate)
    status = _pyhanko_status(pdf)
    assert status.intact and status.valid and status.coverage.name == "ENTIRE_FILE"
    with app.app_context():
        key = db.session.get(SigningKey, get(Certificate, certificate.id).signing_key_id)
        assert key.kind == "pdf" and key.key_id in services.check_file(pdf).signature.fingerprint


def test_the_verification_page_tells_a_genuine_a_changed_and_an_extended_file_apart(app, festival, client,  # noqa: F811
                                                                                    upload_dir):
    pdf = stored_pdf(app, issue(app, festival))
    genuine = client.post("/verify", data=pdf_upload(pdf), content_type="multipart/form-data")
    page = genuine.get_data(as_text=True)
    assert genuine.status_code == 200 and "verdict--valid" in page and "Dawn of Progress (tests)" in page

    changed = bytearray(pdf)
    changed[len(changed) // 3] ^= 0x01
    page = client.post("/verify", data=pdf_upload(bytes(changed)), content_type="multipart/form-data").get_data(
        as_text=True)
    assert "verdict--valid" not in page

    writer = pypdf.PdfWriter(io.BytesIO(pdf), incremental=True)
    writer.add_blank_page()
    extended = io.BytesIO()
    writer.write(extended)
    page = client.post("/verify", data=pdf_upload(extended.getvalue()), content_type="multipart/form-data").get_data(
        as_text=True)
    assert "verdict--valid" not in page and "verdict--unknown" in page

    refused = client.post("/verify", data=pdf_upload(b"GIF89a, not a PDF"), content_type="multipart/form-data")
    assert refused.status_code == 422


def test_the_command_line_checks_a_file_offline(app, festival, database_url, upload_dir, tmp_path):  # noqa: F811
    pdf = stored_pdf(app, issue(app, festival))
    genuine, changed = tmp_path / "genuine.pdf", tmp_path / "changed.pdf"
    genuine.write_bytes(pdf)
    changed.write_bytes(pdf[:-200] + bytes(200))
    environment = {**os.environ, "DATABASE_URL": database_url, "UPLOAD_DIR": str(upload_dir)}
    run = [sys.executable, "-m", "flask", "--app", "wsgi.py", "certificates", "verify"]
    ok = subprocess.run([*run, str(genuine)], cwd=REPO_ROOT, env=environment, capture_output=True, text=True)
    assert ok.returncode == 0 and "genuine" in ok.stdout, ok.stdout + ok.stderr
    bad = subprocess.run([*run, str(changed)], cwd=REPO_ROOT, env=environment, capture_output=True, text=True)
    assert bad.returncode == 1 and "NOT genuine" in bad.stdout


def _refusal(app, world, language: str) -> str:
    with app.test_request_context("/", headers={"Cookie": f"lang={language}"}):
        try:
            services.issue_one(get(User, world.organiser.id), get(Event, world.event.id), "group",
                               f"team:{world.omid}", utcnow(), "http://localhost")
        except services.KeysUnusable as error:
            return str(error)
        finally:
            db.session.rollback()
    raise AssertionError("a document was issued without a usable key")


def test_issuing_refuses_to_start_without_a_usable_key(app, festival, upload_dir, monkeypatch, tmp_path):  # noqa: F811
    monkeypatch.setitem(app.config, "CERTIFICATE_SIGNING_KEY_FILE", str(tmp_path / "missing.p12"))
    assert "missing.p12 cannot be read" in _refusal(app, festival, "en")
    persian = _refusal(app, festival, "fa")
    assert "missing.p12" in persian and "cannot" not in persian  # the reason in the reader's language too


@pytest.mark.parametrize("content", ["not json", "{}", '{"kty": "OKP"}', '{"kty": "oct", "k": "c2VjcmV0"}', "null"])
def test_issuing_refuses_to_start_with_a_credential_key_that_is_not_an_ed25519_jwk(
        app, festival, upload_dir, monkeypatch, tmp_path, content):  # noqa: F811
    broken = tmp_path / "credential.jwk"
    broken.write_text(content)
    monkeypatch.setitem(app.config, "CREDENTIAL_KEY_FILE", str(broken))
    assert "holds no Ed25519 private key" in _refusal(app, festival, "en")


def test_members_get_credentials_that_verify_against_the_published_keys_until_revoked(app, festival, client,  # noqa: F811
                                                                                      login, upload_dir, monkeypatch):
    certificate = issue(app, festival)
    with app.app_context():
        made = db.session.query(Credential).filter_by(certificate_id=certificate.id).all()
        assert sorted(credential.recipient for credential in made) == sorted(
            ["گروه جهادی امید", "نرگس نیک‌نام", "علی رضایی"])
        ali_credential = next(credential for credential in made if credential.user_id == festival.ali.id)
    jwks = client.get("/.well-known/jwks.json").get_json()
    payload = verify_jwt(ali_credential.token, jwks)
    assert payload["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert payload["credentialSubject"]["name"] == "علی رضایی"
    assert "ali@example.com" not in json.dumps(payload)
    assert payload["nbf"] <= utcnow().timestamp()

    status = payload["credentialStatus"]
    status_path = status["statusListCredential"].removeprefix("http://localhost")
    status_list = verify_jwt(client.get(status_path).get_data(as_text=True), jwks)
    assert not revoked_in(status_list, int(status["statusListIndex"]))

    signed_in(client, festival.ali)
    page = client.get(f"/teams/{festival.omid}").get_data(as_text=True)
    assert page.count('data-testid="credential"') == 2  # the team's and Ali's own
    badge = client.get(f"/credentials/{ali_credential.id}/badge.png")
    with Image.open(io.BytesIO(badge.data)) as image:
        assert image.text["openbadgecredential"] == ali_credential.token
    downloaded = client.get(f"/credentials/{ali_credential.id}.json").get_json()
    assert downloaded["proof"][0]["jwt"] == ali_credential.token
    sara = signed_in(app.test_client(), festival.sara)
    for address in (f"/credentials/{ali_credential.id}.json", f"/credentials/{ali_credential.id}/badge.png"):
        assert sara.get(address).status_code == 404  # Ali's own: not another member's to download
        assert app.test_client().get(address).status_code == 302  # nor anybody's who has not signed in

    with app.app_context():
        services.revoke(get(User, festival.organiser.id), get(Certificate, certificate.id), "a wrong name", utcnow())
        db.session.commit()
    status_list = verify_jwt(client.get(status_path).get_data(as_text=True), jwks)
    assert revoked_in(status_list, int(status["statusListIndex"]))
    # The revocation list needs only the credential key: it stays published when the PDF key is unusable.
    monkeypatch.setitem(app.config, "CERTIFICATE_SIGNING_KEY_FILE", "/nonexistent/signing-key.p12")
    assert revoked_in(verify_jwt(client.get(status_path).get_data(as_text=True), jwks), int(status["statusListIndex"]))


@pytest.mark.parametrize(("status", "stored", "verdict"), [
    ("genuine", "valid", "genuine"), ("genuine", "revoked", "revoked"), ("genuine", None, "unknown"),
    ("unsigned", "valid", "genuine_unsigned"), ("unsigned", "revoked", "revoked_unsigned"), ("unsigned", None, "unknown"),
    ("changed", None, "changed"), ("appended", None, "appended"), ("foreign_key", None, "foreign_key"),
])
def test_the_page_and_the_command_line_give_one_verdict_for_a_file(status, stored, verdict):
    from types import SimpleNamespace

    from eventapp.certificates.services.verification import FileCheck
    from eventapp.certificates.signing import SignatureCheck

    certificate = SimpleNamespace(valid=stored == "valid") if stored else None
    checked = FileCheck(SignatureCheck(status), certificate)
    assert checked.verdict == verdict
    assert checked.genuine == (verdict in ("genuine", "genuine_unsigned"))  # what `flask certificates verify` exits by


def test_a_credential_and_its_badge_are_in_the_certificates_language_whoever_asks(app, festival, upload_dir):  # noqa: F811
    certificate = issue(app, festival)
    with app.app_context():
        ali = db.session.scalar(db.select(Credential).where(Credential.certificate_id == certificate.id,
                                                            Credential.user_id == festival.ali.id))
        language = get(Certificate, certificate.id).language.codes[0]
    payload = json.loads(base64.urlsafe_b64decode(ali.token.split(".")[1] + "=="))
    described = payload["credentialSubject"]["achievement"]["description"]
    assert ("national progress" in described) == (language == "en")
    badges = {}
    for reader in ("fa", "en"):
        client = signed_in(app.test_client(), festival.ali)
        client.set_cookie("lang", reader)
        badges[reader] = client.get(f"/credentials/{ali.id}/badge.png").data
    assert badges["fa"] == badges["en"]
