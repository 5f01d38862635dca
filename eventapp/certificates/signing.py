"""PAdES signatures of issued documents (pyHanko), and what a signed file proves by itself.

A document is signed by the organisation's key and X.509 certificate, read from a PKCS#12 file
(``CERTIFICATE_SIGNING_KEY_FILE``, ``CERTIFICATE_SIGNING_KEY_PASSWORD``): a PAdES baseline B-B signature, B-T
when a time-stamping server is configured (``CERTIFICATE_TIMESTAMP_URL``, RFC 3161). The signature is an
incremental update after the document's last byte, so the PDF/A document stays as WeasyPrint wrote it.

Pure of the database and of Flask: the keys the site trusts are passed in (``trusted``: fingerprints of every
certificate the site ever signed with, the retired ones too).
"""
import asyncio
import datetime as dt
import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509 as crypto_x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

PAdES_FIELD = "Signature"


class SigningKeyError(ValueError):
    """The signing key cannot be used: ``problem`` says why, for the organiser who configures it (unreadable,
    not_opened, no_private_key, no_certificate, mismatched, expired, not_yet_valid; certificates/services
    translates it); the message says the same in English, for logs."""

    def __init__(self, problem: str, path: str | Path, message: str, moment: dt.datetime | None = None):
        super().__init__(message)
        self.problem, self.path, self.moment = problem, str(path), moment


@dataclass(frozen=True)
class SigningKey:
    signer: object  # pyhanko.sign.signers.SimpleSigner
    certificate_pem: str
    fingerprint: str  # SHA-256 of the certificate (DER), hex
    subject: str
    not_before: dt.datetime
    not_after: dt.datetime
    # Bytes of the CMS signature at most, but for a time-stamp token: the certificates it carries (DER), the
    # signature value, and the structure and signed attributes around them.
    signature_size: int = 4096


@dataclass(frozen=True)
class SignatureCheck:
    """What a PDF's own signature says: ``status`` is one of ``STATUSES``."""
    status: str
    signer: str = ""
    fingerprint: str = ""
    signed_at: dt.datetime | None = None
    timestamped: bool = False

    @property
    def genuine(self) -> bool:
        return self.status == "genuine"


STATUSES = ("genuine", "unsigned", "changed", "appended", "foreign_key", "not_pdf")


def load_key(path: str | Path, password: str | None, now: dt.datetime) -> SigningKey:
    """The key and certificate of a PKCS#12 file, valid ``now``, or SigningKeyError saying what is wrong."""
    key = read_key(path, password)
    require_valid(key, now, path)
    return key


def require_valid(key: SigningKey, now: dt.datetime, path: str | Path) -> None:
    if key.not_after < now:
        raise SigningKeyError("expired", path, f"The signing certificate in {path} expired on "
                              f"{key.not_after:%Y-%m-%d}: make or obtain a new one.", key.not_after)
    if key.not_before > now:
        raise SigningKeyError("not_yet_valid", path, f"The signing certificate in {path} is valid only from "
                              f"{key.not_before:%Y-%m-%d}.", key.not_before)


def read_key(path: str | Path, password: str | None) -> SigningKey:
    """The key and certificate of a PKCS#12 file (whatever their dates), or SigningKeyError."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise SigningKeyError("unreadable", path,
                              f"The signing key file {path} cannot be read ({error.strerror}).") from error
    try:
        key, certificate, others = pkcs12.load_key_and_certificates(
            data, password.encode() if password else None)
    except ValueError as error:
        raise SigningKeyError("not_opened", path, f"The signing key file {path} cannot be opened: the password is "
                              "wrong or missing, or the file is not PKCS#12.") from error
    if key is None:
        raise SigningKeyError("no_private_key", path, f"The signing key file {path} holds no private key.")
    if certificate is None:
        raise SigningKeyError("no_certificate", path, f"The signing key file {path} holds no certificate for its key.")
    if certificate.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo) != \
            key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
        raise SigningKeyError("mismatched", path, f"The certificate in {path} is not the certificate of its private key.")
    from asn1crypto import keys as asn1_keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.sign.signers import SimpleSigner
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    signing_cert = asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
    chain = [asn1_x509.Certificate.load(other.public_bytes(serialization.Encoding.DER)) for other in others or ()]
    signer = SimpleSigner(  # pyHanko puts the signing certificate in the CMS itself: the registry holds the chain
        signing_cert=signing_cert,
        signing_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        cert_registry=SimpleCertificateStore.from_certs(chain))
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    return SigningKey(signer=signer, certificate_pem=pem.decode(), fingerprint=fingerprint_of(certificate),
                      signature_size=sum(len(item.dump()) for item in (signing_cert, *chain))
                      + _signature_value_size(key) + _CMS_STRUCTURE,
                      subject=certificate.subject.rfc4514_string(), not_before=certificate.not_valid_before_utc,
                      not_after=certificate.not_valid_after_utc)


# The CMS around its certificates and signature value: SignedData, SignerInfo, the algorithms and the signed
# attributes pyHanko writes (content type, signing time, message digest, signing certificate v2, CMS algorithm
# protection); some 430 bytes, with room to spare.
_CMS_STRUCTURE = 640


def _signature_value_size(key) -> int:
    """The DER bytes of a signature value by ``key`` at most."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return 2 * (key.curve.key_size + 7) // 8 + 9  # SEQUENCE of two INTEGERs, each with a sign byte
    return (getattr(key, "key_size", 4096) + 7) // 8 + 8  # RSA (and anything else: at most a 4096-bit value)


def fingerprint_of(certificate: crypto_x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()


def sign(pdf: bytes, key: SigningKey, *, reason: str, location: str, timestamp_url: str | None = None) -> bytes:
    """The document with a PAdES signature appended (B-T when a time-stamping server is given)."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers, timestamps

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    metadata = signers.PdfSignatureMetadata(
        field_name=PAdES_FIELD, md_algorithm="sha256", subfilter=fields.SigSeedSubFilter.PADES,
        reason=reason, location=location, use_pades_lta=False)
    timestamper = timestamps.HTTPTimeStamper(timestamp_url) if timestamp_url else None
    # The space for the signature, given: else pyHanko signs a dummy first to measure it (half the time of a
    # signature). The CMS holds the certificates, the signed attributes and the signature (a P-256 one with a
    # self-signed certificate: 0.94 KB); a time-stamp token takes several KB more. pyHanko counts the space in
    # hexadecimal digits, two a byte; kept small, as every reserved byte is in the file.
    reserved = 2 * (key.signature_size + (12288 if timestamper else 0))
    output = _outside_event_loop(signers.PdfSigner(metadata, signer=key.signer, timestamper=timestamper).sign_pdf,
                                 writer, bytes_reserved=reserved)
    return output.getvalue()


def check(pdf: bytes, trusted: set[str]) -> SignatureCheck:
    """What the file's own signature proves: intact and covering the whole file, by one of ``trusted``."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    if not pdf.lstrip()[:5] == b"%PDF-":
        return SignatureCheck("not_pdf")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        signatures = reader.embedded_signatures
    except (PdfReadError, ValueError, KeyError, TypeError, IndexError):  # a PDF that no longer reads: damaged
        return SignatureCheck("changed")
    if not signatures:
        return SignatureCheck("unsigned")
    signature = signatures[0]
    certificate = crypto_x509.load_der_x509_certificate(signature.signer_cert.dump())
    names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    found = {"signer": names[0].value if names else certificate.subject.rfc4514_string(), "fingerprint": fingerprint_of(certificate),
             "signed_at": signature.self_reported_timestamp}
    try:
        status = _outside_event_loop(validate_pdf_signature, signature, ValidationContext(
            trust_roots=[signature.signer_cert], allow_fetching=False))
    except (SignatureValidationError, ValueError, KeyError, TypeError):  # the signed bytes do not match
        return SignatureCheck("changed", **found)
    if not (status.intact and status.valid):
        return SignatureCheck("changed", **found)
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE or len(signatures) != 1:
        return SignatureCheck("appended", **found)
    if found["fingerprint"] not in trusted:
        return SignatureCheck("foreign_key", **found)
    return SignatureCheck("genuine", timestamped=status.timestamp_validity is not None, **found)


def _outside_event_loop(function, *args, **kwargs):
    """``function(...)``; in a thread of its own when this one runs an event loop (pyHanko's synchronous calls
    start one with asyncio.run, which refuses to run inside another)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def make_self_signed(organisation: str, password: str, now: dt.datetime, years: int = 3) -> bytes:
    """A PKCS#12 file with a new P-256 key and a self-signed certificate for ``organisation`` (a new
    installation's first key; a real deployment signs with a certificate from its own CA)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = crypto_x509.Name([crypto_x509.NameAttribute(NameOID.COMMON_NAME, organisation),
                             crypto_x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation)])
    certificate = (
        crypto_x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(crypto_x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(crypto_x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(crypto_x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .sign(key, hashes.SHA256())
    )
    return pkcs12.serialize_key_and_certificates(
        organisation.encode(), key, certificate, None,
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption())
