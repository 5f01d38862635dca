"""Open Badges 3.0 credentials (W3C Verifiable Credentials data model 2.0) as VC-JWTs signed with Ed25519
(jwcrypto), the Bitstring Status List that revokes them, and the badge image with the credential baked in.

Pure of the database and of Flask: the service passes in the issuer, the achievement, the recipient and the
key. References: Open Badges 3.0 (1EdTech) §8 "Proofs" (VC-JWT, ``vc`` claim absent: the JWT payload *is* the
credential with ``iss``, ``jti``, ``sub``, ``nbf``), §5.3 baking (PNG ``iTXt`` chunk ``openbadgecredential``);
W3C Bitstring Status List v1.0 (``encodedList``: multibase base64url, no padding, of the GZIP of the bits).
"""
import base64
import gzip
import hashlib
import io
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from jwcrypto import jwk, jws
from jwcrypto.common import json_encode

CONTEXTS = ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
STATUS_CONTEXT = ["https://www.w3.org/ns/credentials/v2"]
STATUS_LIST_BITS = 131072  # 16 KB: the smallest list the specification allows, so that an index tells nothing
BAKED_KEYWORD = "openbadgecredential"


@dataclass(frozen=True)
class Issuer:
    id: str  # the site's address
    name: str
    url: str
    key: jwk.JWK  # Ed25519, with its kid


@dataclass(frozen=True)
class Achievement:
    id: str
    name: str
    description: str
    criteria: str
    image: str


@dataclass(frozen=True)
class Recipient:
    name: str
    email: str | None  # hashed with a salt in the credential, never written plain


def new_key() -> jwk.JWK:
    key = jwk.JWK.generate(kty="OKP", crv="Ed25519")
    return jwk.JWK.from_json(json.dumps({**json.loads(key.export(private_key=True)), "kid": key.thumbprint()}))


def public_jwk(key: jwk.JWK) -> dict:
    return {**json.loads(key.export_public()), "kid": key.key_id, "use": "sig", "alg": "EdDSA"}


def identity_hash(email: str, salt: str) -> str:
    """Open Badges' hashed identity: ``sha256$`` and the hex SHA-256 of the address followed by the salt."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def credential(issuer: Issuer, achievement: Achievement, recipient: Recipient, *, credential_id: str,
               issued_at: datetime, certificate_url: str, status_list_url: str, status_index: int,
               salt: str | None = None) -> dict:
    """The OpenBadgeCredential of one recipient (the team itself, or a named member)."""
    subject = {"type": ["AchievementSubject"], "name": recipient.name, "achievement": {
        "id": achievement.id, "type": ["Achievement"], "name": achievement.name,
        "description": achievement.description, "criteria": {"narrative": achievement.criteria},
        "image": {"id": achievement.image, "type": "Image"},
    }}
    if recipient.email:
        salt = salt or secrets.token_hex(8)
        subject["identifier"] = [{"type": "IdentityObject", "identityType": "emailAddress", "hashed": True,
                                  "identityHash": identity_hash(recipient.email, salt), "salt": salt}]
    return {
        "@context": CONTEXTS,
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": issuer.id, "type": ["Profile"], "name": issuer.name, "url": issuer.url},
        "validFrom": _iso(issued_at),
        "name": achievement.name,
        "credentialSubject": subject,
        "evidence": [{"id": certificate_url, "type": ["Evidence"], "name": achievement.name}],
        "credentialStatus": {"id": f"{status_list_url}#{status_index}", "type": "BitstringStatusListEntry",
                             "statusPurpose": "revocation", "statusListIndex": str(status_index),
                             "statusListCredential": status_list_url},
    }


def status_list_credential(issuer: Issuer, *, list_url: str, revoked: set[int], valid_from: datetime) -> dict:
    """The revocation list: bit ``i`` set for every revoked credential of index ``i``."""
    return {
        "@context": STATUS_CONTEXT,
        "id": list_url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer.id,
        "validFrom": _iso(valid_from),
        "credentialSubject": {"id": f"{list_url}#list", "type": "BitstringStatusList", "statusPurpose": "revocation",
                              "encodedList": encode_status_list(revoked)},
    }


def encode_status_list(revoked: set[int], size: int = STATUS_LIST_BITS) -> str:
    bits = bytearray(size // 8)
    for index in revoked:
        if not 0 <= index < size:
            raise ValueError(f"status index {index} is outside the list")
        bits[index // 8] |= 0x80 >> (index % 8)  # the first bit is the most significant of the first byte
    return "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode().rstrip("=")


def sign(document: dict, issuer: Issuer) -> str:
    """A VC-JWT: the document as the payload with the registered claims, signed with EdDSA."""
    claims = {**document, "iss": issuer.id, "jti": document["id"]}
    valid_from = datetime.fromisoformat(document["validFrom"].replace("Z", "+00:00"))
    claims["nbf"] = claims["iat"] = int(valid_from.timestamp())
    subject = document["credentialSubject"]
    if isinstance(subject, dict) and subject.get("id"):
        claims["sub"] = subject["id"]
    token = jws.JWS(json_encode(claims).encode())
    token.add_signature(issuer.key, alg="EdDSA",
                        protected=json_encode({"alg": "EdDSA", "typ": "vc+jwt", "kid": issuer.key.key_id}))
    return token.serialize(compact=True)


def bake(png: bytes, token: str) -> bytes:
    """The badge image with the credential in an ``iTXt`` chunk (Open Badges 3.0 baking)."""
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_itxt(BAKED_KEYWORD, token)
    output = io.BytesIO()
    with Image.open(io.BytesIO(png)) as image:
        image.save(output, format="PNG", pnginfo=info, optimize=True)
    return output.getvalue()


def _iso(moment: datetime) -> str:
    """An aware moment as XML Schema's dateTime in UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
