"""The signature of a PDF (certificates/signing.py) and the Open Badges credentials (certificates/badges.py) as
plain functions: what pyHanko's own validation says of signed, changed and re-signed files; what an independent
reader of a VC-JWT (the cryptography package, not jwcrypto) finds in a credential and its status list."""
import base64
import gzip
import io
import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pypdf
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from PIL import Image

from eventapp.certificates import badges, signing

NOW = datetime(2026, 12, 8, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def key_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("keys") / "signing.p12"
    path.write_bytes(signing.make_self_signed("Dawn of Progress", "key password", NOW))
    return path


@pytest.fixture(scope="module")
def key(key_file):
    return signing.load_key(key_file, "key password", NOW)


@pytest.fixture(scope="module")
def document():
    from weasyprint import HTML

    return HTML(string="<p lang='fa'>گواهی گروهی ۱۴۰۵ — DP-1234-5678-9ABC</p>").write_pdf(pdf_variant="pdf/a-3b")


@pytest.fixture(scope="module")
def signed(document, key):
    return signing.sign(document, key, reason="Group certificate", location="Tehran")


def _pyhanko_status(pdf: bytes):
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    embedded = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures[0]
    # In a thread of its own: after the browser tests, this thread may run Playwright's event loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(validate_pdf_signature, embedded,
                           ValidationContext(trust_roots=[embedded.signer_cert])).result()


def test_a_signed_document_passes_pyhankos_validation_and_keeps_its_bytes(document, signed, key):
    status = _pyhanko_status(signed)
    assert status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    assert signed.startswith(document)  # an incremental update: the PDF/A document as it was written
    found = signing.check(signed, {key.fingerprint})
    assert found.genuine and "Dawn of Progress" in found.signer and found.fingerprint == key.fingerprint


def test_one_changed_byte_is_refused(signed, key):
    changed = bytearray(signed)
    changed[len(changed) // 3] ^= 0x01
    assert signing.check(bytes(changed), {key.fingerprint}).status in ("changed", "not_pdf")


def test_pages_appended_after_signing_are_refused(signed, key):
    writer = pypdf.PdfWriter(io.BytesIO(signed), incremental=True)
    writer.add_blank_page()
    output = io.BytesIO()
    writer.write(output)
    assert signing.check(output.getvalue(), {key.fingerprint}).status == "appended"


def test_a_re_saved_document_is_refused(signed, key):
    output = io.BytesIO()
    pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(signed))).write(output)
    assert not signing.check(output.getvalue(), {key.fingerprint}).genuine


def test_a_document_signed_by_another_key_is_refused(document, key, tmp_path):
    other_file = tmp_path / "other.p12"
    other_file.write_bytes(signing.make_self_signed("Dawn of Progress", "other", NOW))
    other = signing.load_key(other_file, "other", NOW)
    resigned = signing.sign(document, other, reason="forged", location="elsewhere")
    assert _pyhanko_status(resigned).intact  # a sound signature...
    assert signing.check(resigned, {key.fingerprint}).status == "foreign_key"  # ...by a key that is not ours
    assert signing.check(resigned, {key.fingerprint, other.fingerprint}).genuine  # a key rotated in keeps working


def _ca_signed_rsa_key(path, now) -> None:
    """A PKCS#12 of a 3072-bit RSA key whose certificate a CA of its own signed, with the CA in the file."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12
    from cryptography.x509.oid import NameOID

    def name(text):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    ca_key, key = ec.generate_private_key(ec.SECP384R1()), rsa.generate_private_key(65537, 3072)
    ca = (x509.CertificateBuilder().subject_name(name("Province CA")).issuer_name(name("Province CA"))
          .public_key(ca_key.public_key()).serial_number(1).not_valid_before(now - timedelta(days=1))
          .not_valid_after(now + timedelta(days=30)).add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
          .sign(ca_key, hashes.SHA384()))
    leaf = (x509.CertificateBuilder().subject_name(name("Dawn of Progress, Fars")).issuer_name(ca.subject)
            .public_key(key.public_key()).serial_number(2).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30)).sign(ca_key, hashes.SHA384()))
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"fars", key, leaf, [ca], BestAvailableEncryption(b"pw")))


def test_a_key_from_a_ca_with_a_larger_signature_fits_the_space_reserved(document, tmp_path):
    _ca_signed_rsa_key(tmp_path / "fars.p12", NOW)
    fars = signing.load_key(tmp_path / "fars.p12", "pw", NOW)
    signed = signing.sign(document, fars, reason="Group certificate", location="Shiraz")
    assert _pyhanko_status(signed).intact
    checked = signing.check(signed, {fars.fingerprint})
    assert checked.genuine and checked.signer == "Dawn of Progress, Fars"


def test_files_that_are_not_signed_pdfs(document, key):
    assert signing.check(document, {key.fingerprint}).status == "unsigned"
    assert signing.check(b"GIF89a not a pdf", {key.fingerprint}).status == "not_pdf"
    assert signing.check(b"%PDF-1.7 broken", {key.fingerprint}).status == "changed"  # damaged


@pytest.mark.parametrize("password, message", [("wrong", "password is wrong"), (None, "password is wrong")])
def test_a_key_file_with_a_wrong_or_missing_password_is_refused_clearly(key_file, password, message):
    with pytest.raises(signing.SigningKeyError, match=message):
        signing.load_key(key_file, password, NOW)


def test_an_expired_certificate_or_a_file_without_a_private_key_is_refused(key_file, tmp_path):
    with pytest.raises(signing.SigningKeyError, match="expired"):
        signing.load_key(key_file, "key password", NOW + timedelta(days=365 * 4))
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    _key, certificate, _others = pkcs12.load_key_and_certificates(key_file.read_bytes(), b"key password")
    only_certificate = tmp_path / "certificate-only.p12"
    only_certificate.write_bytes(pkcs12.serialize_key_and_certificates(
        b"cert", None, None, [certificate], BestAvailableEncryption(b"pw")))
    with pytest.raises(signing.SigningKeyError, match="no private key"):
        signing.load_key(only_certificate, "pw", NOW)
    with pytest.raises(signing.SigningKeyError, match="cannot be read"):
        signing.load_key(tmp_path / "missing.p12", "pw", NOW)


# --- Open Badges ------------------------------------------------------------------------------------------------

def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_jwt(token: str, jwks: dict) -> dict:
    """An independent VC-JWT reader: the header's key from the JWKS, the Ed25519 signature, the payload."""
    header_part, payload_part, signature_part = token.split(".")
    header = json.loads(_b64(header_part))
    assert header["alg"] == "EdDSA"
    key = next(key for key in jwks["keys"] if key["kid"] == header["kid"])
    Ed25519PublicKey.from_public_bytes(_b64(key["x"])).verify(_b64(signature_part),
                                                              f"{header_part}.{payload_part}".encode())
    return json.loads(_b64(payload_part))


def revoked_in(status_list: dict, index: int) -> bool:
    bits = gzip.decompress(_b64(status_list["credentialSubject"]["encodedList"][1:]))
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def _issuer() -> badges.Issuer:
    return badges.Issuer(id="https://dawn.example.ir", name="طلوع پیشرفت", url="https://dawn.example.ir",
                         key=badges.new_key())


def test_a_credential_verifies_independently_and_hashes_the_email():
    issuer = _issuer()
    achievement = badges.Achievement("https://dawn.example.ir/a/1", "رتبهٔ اول", "جشنوارهٔ ملی", "داوری با روبریک",
                                     "https://dawn.example.ir/badge.png")
    credential = badges.credential(issuer, achievement, badges.Recipient("علی رضایی", "Ali@Example.ir"),
                                   credential_id="https://dawn.example.ir/credentials/7", issued_at=NOW,
                                   certificate_url="https://dawn.example.ir/v/x", status_list_url="https://s/1",
                                   status_index=7, salt="abc")
    payload = verify_jwt(badges.sign(credential, issuer), {"keys": [badges.public_jwk(issuer.key)]})
    assert payload["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert payload["iss"] == issuer.id and payload["nbf"] == int(NOW.timestamp())
    identity = payload["credentialSubject"]["identifier"][0]
    assert identity["identityHash"] == badges.identity_hash("ali@example.ir", "abc")
    assert "Ali@Example.ir" not in json.dumps(payload) and "ali@example.ir" not in json.dumps(payload)
    assert payload["credentialStatus"]["statusListIndex"] == "7"


def test_a_forged_credential_or_an_unknown_key_does_not_verify():
    issuer, other = _issuer(), _issuer()
    token = badges.sign({"id": "urn:x", "validFrom": "2026-12-08T09:30:00Z", "credentialSubject": {}}, issuer)
    header, payload, signature = token.split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"id": "urn:y"}).encode()).decode().rstrip("=")
    from cryptography.exceptions import InvalidSignature

    with pytest.raises(InvalidSignature):
        verify_jwt(f"{header}.{forged}.{signature}", {"keys": [badges.public_jwk(issuer.key)]})
    with pytest.raises(StopIteration):
        verify_jwt(token, {"keys": [badges.public_jwk(other.key)]})


def test_the_status_list_marks_exactly_the_revoked():
    issuer = _issuer()
    status_list = badges.status_list_credential(issuer, list_url="https://s/1", revoked={0, 9, 131071}, valid_from=NOW)
    assert [index for index in (0, 1, 8, 9, 10, 131071) if revoked_in(status_list, index)] == [0, 9, 131071]
    with pytest.raises(ValueError):
        badges.encode_status_list({131072})


def test_a_baked_badge_carries_its_credential():
    image = io.BytesIO()
    Image.new("RGB", (64, 64), "#1b5e7a").save(image, format="PNG")
    baked = badges.bake(image.getvalue(), "header.payload.signature")
    with Image.open(io.BytesIO(baked)) as opened:
        assert opened.text[badges.BAKED_KEYWORD] == "header.payload.signature"
