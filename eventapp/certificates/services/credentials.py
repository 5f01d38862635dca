"""The site's signing keys, the PAdES signature of each document, and the Open Badges credentials of group
certificates: issued with them, revoked with them, and published (the keys, the revocation lists) for anyone
to check without asking us.

Keys come from the files the configuration names (``CERTIFICATE_SIGNING_KEY_FILE`` and its password,
``CREDENTIAL_KEY_FILE``); each public key is recorded (``SigningKey``) the first time it signs, and stays
published after it is replaced, so that what it signed keeps verifying.
"""
import io
import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from jwcrypto.common import JWException, base64url_decode, json_decode
from sqlalchemy import select

from ...core.database import dialect_insert
from ...core.errors import Conflict, NotFound
from ...core.extensions import db
from ...core.i18n import format_date
from ...core.text import has_persian_script
from ...teams.services.access import can_read_team
from .. import badges, signing
from ..enums import DocumentKind
from ..models import Certificate, Credential, SigningKey

PDF, CREDENTIAL = "pdf", "credential"


class KeysUnusable(Conflict):
    """Issuing cannot start: a key is missing or unusable (the message says which and why)."""


@dataclass(frozen=True)
class Keys:
    pdf: signing.SigningKey
    credential: badges.Issuer

    def record(self, now: datetime) -> int:
        """Publish both public keys (once: INSERT … ON CONFLICT DO NOTHING, so that servers issuing at the same
        time agree) and give the id of the PDF key's row. Called in the transaction that records documents."""
        for kind, key_id, public, subject, not_after in (
                (PDF, self.pdf.fingerprint, self.pdf.certificate_pem, self.pdf.subject, self.pdf.not_after),
                (CREDENTIAL, self.credential.key.key_id, json.dumps(badges.public_jwk(self.credential.key)), "", None)):
            db.session.execute(dialect_insert(SigningKey).values(
                kind=kind, key_id=key_id, public=public, subject=subject, not_after=not_after, first_used_at=now)
                .on_conflict_do_nothing(index_elements=["key_id"]))
        return db.session.scalar(select(SigningKey.id).where(SigningKey.key_id == self.pdf.fingerprint))


def require_keys(now: datetime, base_url: str) -> Keys:
    """The keys documents are signed with, recorded; KeysUnusable (never unsigned documents) when one is not."""
    config = current_app.config
    try:
        path = config["CERTIFICATE_SIGNING_KEY_FILE"]
        pdf_key = _pdf_key(path, config["CERTIFICATE_SIGNING_KEY_PASSWORD"], _mtime(path))
        signing.require_valid(pdf_key, now, path)
    except signing.SigningKeyError as error:
        raise KeysUnusable(_("Documents cannot be signed, so none is issued: %(reason)s Run “flask certificates "
                             "keygen” for a new installation.", reason=key_problem(error))) from None
    return Keys(pdf=pdf_key, credential=credential_issuer(base_url))


def credential_issuer(base_url: str) -> badges.Issuer:
    """The issuer of the credentials and of their revocation lists, with its key; KeysUnusable when the key is not
    usable. It needs no PDF key: revocation lists stay published when the PDF certificate expires."""
    path = current_app.config["CREDENTIAL_KEY_FILE"]
    try:
        credential_key = _credential_key(path, _mtime(path))
    except (OSError, ValueError, JWException):
        raise KeysUnusable(_("Credentials cannot be signed, so no document is issued: the key file %(path)s cannot "
                             "be read or holds no Ed25519 private key (a JWK). Run “flask certificates keygen”.",
                             path=path)) from None
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):  # one name, whoever's request loads the key
        name = _("Dawn of Progress")
    return badges.Issuer(id=base_url, name=name, url=base_url, key=credential_key)


def key_problem(error: signing.SigningKeyError) -> str:
    """What is wrong with the signing key, in the reader's language."""
    path = error.path
    day = format_date(error.moment)
    return {
        "unreadable": lambda: _("The signing key file %(path)s cannot be read.", path=path),
        "not_opened": lambda: _("The signing key file %(path)s cannot be opened: the password is wrong or missing, "
                                "or the file is not PKCS#12.", path=path),
        "no_private_key": lambda: _("The signing key file %(path)s holds no private key.", path=path),
        "no_certificate": lambda: _("The signing key file %(path)s holds no certificate for its key.", path=path),
        "mismatched": lambda: _("The certificate in %(path)s is not the certificate of its private key.", path=path),
        "expired": lambda: _("The signing certificate in %(path)s expired on %(day)s: make or obtain a new one.",
                             path=path, day=day),
        "not_yet_valid": lambda: _("The signing certificate in %(path)s is valid only from %(day)s.", path=path,
                                   day=day),
    }[error.problem]()


def write_keys(key_file: Path, credential_file: Path, organisation: str, password: str | None,
               now: datetime) -> None:
    """A new installation's keys: a PKCS#12 file with a self-signed certificate (a real deployment uses a
    certificate from its own CA) and an Ed25519 JWK, readable by their owner only."""
    for path, content in ((key_file, signing.make_self_signed(organisation, password or "", now)),
                          (credential_file, badges.new_key().export(private_key=True).encode())):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_bytes(content)


def sign_document(pdf: bytes, keys: Keys, reason: str) -> bytes:
    """The finished document, signed (PAdES B-B; B-T with a time-stamping server)."""
    return signing.sign(pdf, keys.pdf, reason=reason, location=keys.credential.url,
                        timestamp_url=current_app.config["CERTIFICATE_TIMESTAMP_URL"])


def trusted_fingerprints() -> set[str]:
    return set(db.session.scalars(select(SigningKey.key_id).where(SigningKey.kind == PDF)))


def check_file(content: bytes) -> signing.SignatureCheck:
    return signing.check(content, trusted_fingerprints())


def jwks() -> dict:
    """Every credential key the site has signed with, the replaced ones too."""
    return {"keys": [json.loads(public) for public in db.session.scalars(
        select(SigningKey.public).where(SigningKey.kind == CREDENTIAL).order_by(SigningKey.id))]}


# --- credentials ---------------------------------------------------------------------------------------------

def issue_credentials(certificates: list[Certificate], keys: Keys, now: datetime) -> list[Credential]:
    """The credentials of the group certificates among ``certificates`` (a chunk of a bulk issue, or one): each
    team's, and one for each named member, with the members as they are at the moment of issue. One query for
    the members; the rows written in one flush, then their tokens (an id is a place in the revocation list)."""
    from ...auth.models import User
    from ...teams.models import TeamMember

    groups = [certificate for certificate in certificates
              if certificate.kind == DocumentKind.GROUP and certificate.team_id is not None]
    if not groups:
        return []
    members: dict[int, list] = {}
    for row in db.session.execute(
            select(TeamMember.id, TeamMember.team_id, TeamMember.user_id, TeamMember.name, User.email)
            .outerjoin(User, User.id == TeamMember.user_id)
            .where(TeamMember.team_id.in_({certificate.team_id for certificate in groups}), TeamMember.name != "")
            .order_by(TeamMember.id)):
        members.setdefault(row.team_id, []).append(row)
    made = []
    for certificate in groups:
        made.append((certificate, Credential(certificate_id=certificate.id, recipient=certificate.holder,
                                             issued_at=now), None))
        made += [(certificate, Credential(certificate_id=certificate.id, member_id=row.id, user_id=row.user_id,
                                          recipient=row.name, issued_at=now), row.email)
                 for row in members.get(certificate.team_id, [])]
    db.session.add_all([credential for _certificate, credential, _email in made])
    db.session.flush()
    for certificate, credential, email in made:
        with force_locale(_language_of(certificate)):
            credential.token = badges.sign(_document(certificate, credential, keys, email), keys.credential)
    return [credential for _certificate, credential, _email in made]


def revoke_credentials(certificate: Certificate, now: datetime) -> None:
    for credential in db.session.scalars(select(Credential).where(Credential.certificate_id == certificate.id,
                                                                  Credential.revoked_at.is_(None))):
        credential.revoked_at = now


def credentials_of(actor, certificate_ids: list[int]) -> dict[int, list[Credential]]:
    """The credentials of these certificates (ones the actor may read) that are the actor's to download: each
    team's, and the actor's own, never another member's (as ``credential_for``)."""
    found: dict[int, list[Credential]] = {}
    for credential in db.session.scalars(select(Credential).where(
            Credential.certificate_id.in_(certificate_ids),
            Credential.member_id.is_(None) | (Credential.user_id == actor.id)).order_by(Credential.id)):
        found.setdefault(credential.certificate_id, []).append(credential)
    return found


def status_list(number: int, issuer: badges.Issuer, now: datetime) -> str:
    """Revocation list ``number`` (from 1) as a signed VC-JWT."""
    first = (number - 1) * badges.STATUS_LIST_BITS
    revoked = {credential_id - first for credential_id in db.session.scalars(
        select(Credential.id).where(Credential.revoked_at.is_not(None), Credential.id >= first,
                                    Credential.id < first + badges.STATUS_LIST_BITS))}
    document = badges.status_list_credential(issuer, list_url=_status_url(issuer, number), revoked=revoked,
                                             valid_from=now)
    return badges.sign(document, issuer)


def credential_for(actor, credential_id: int) -> Credential:
    """A credential its recipient may download: a member's own, or the team's for any member of the team."""
    credential = db.session.get(Credential, credential_id)
    if credential is None:
        raise NotFound(_("There is no such credential."))
    team = credential.certificate.team
    own = credential.user_id is not None and credential.user_id == actor.id
    of_team = credential.member_id is None and team is not None and can_read_team(actor, team)
    if not (own or of_team or actor.is_organiser):
        raise NotFound(_("There is no such credential."))
    return credential


def credential_document(credential: Credential) -> dict:
    """The credential's content (the JWT's payload), with the signed JWT itself as its proof."""
    document = json_decode(base64url_decode(credential.token.split(".")[1]))
    return {**document, "proof": [{"type": "JWT", "jwt": credential.token}]}


def badge_image(credential: Credential) -> bytes:
    """The badge (PNG) with the credential baked in, drawn in the language of its certificate (as the credential
    it carries was written), whatever the language of the one who downloads it."""
    with force_locale(_language_of(credential.certificate)):
        art = _badge_art(_award(credential.certificate), credential.recipient)
    return badges.bake(art, credential.token)


def _language_of(certificate: Certificate) -> str:
    """The language a certificate's credentials are written in: its own (Persian for a bilingual one)."""
    return certificate.language.codes[0]


def _award(certificate: Certificate) -> str:
    return certificate.achievement_text or _("Participation")


def _document(certificate: Certificate, credential: Credential, keys: Keys, email: str | None) -> dict:
    base = keys.credential.url
    event = certificate.event
    award = _award(certificate)
    achievement = badges.Achievement(
        id=f"{base}/credentials/achievements/{certificate.event_id}/{certificate.achievement or 'participation'}",
        name=f"{award} — {event.title_fa}",
        description=_("%(award)s in %(event)s, a national progress competition of people's groups.",
                      award=award, event=event.title_fa),
        criteria=_("Judged on the event's published rubric; the certificate %(serial)s states the result.",
                   serial=certificate.serial),
        image=f"{base}/credentials/{credential.id}/badge.png")
    number, index = divmod(credential.id, badges.STATUS_LIST_BITS)
    return badges.credential(
        keys.credential, achievement, badges.Recipient(credential.recipient, email),
        credential_id=f"{base}/credentials/{credential.id}", issued_at=credential.issued_at,
        certificate_url=f"{base}/verify/{certificate.verification_code}",
        status_list_url=_status_url(keys.credential, number + 1), status_index=index)


def _status_url(issuer: badges.Issuer, number: int) -> str:
    return f"{issuer.url}/credentials/status/{number}"


def _mtime(path: str) -> float:
    try:
        return Path(path).stat().st_mtime
    except OSError:
        return 0.0


@lru_cache(maxsize=4)
def _pdf_key(path: str, password: str | None, mtime: float) -> signing.SigningKey:
    """Read once per process and version of the file."""
    return signing.read_key(path, password)


@lru_cache(maxsize=4)
def _credential_key(path: str, mtime: float):
    from jwcrypto import jwk

    key = jwk.JWK.from_json(Path(path).read_text())
    if key.get("kty") != "OKP" or key.get("crv") != "Ed25519" or not key.has_private:
        raise ValueError("not an Ed25519 private key")
    return key


def _badge_art(award: str, recipient: str) -> bytes:
    """A round badge with the award and the recipient's name, drawn in Vazirmatn (Persian shaped by raqm)."""
    from PIL import Image, ImageDraw, ImageFont

    from ..rendering import FONT_FILES

    size = 512
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, size - 8, size - 8), fill="#0f4c5c", outline="#e0a100", width=14)
    draw.ellipse((60, 60, size - 60, size - 60), outline="#f4d35e", width=4)
    bold = ImageFont.truetype(str(FONT_FILES["Vazirmatn-Bold.ttf"]), 46)
    regular = ImageFont.truetype(str(FONT_FILES["Vazirmatn-Regular.ttf"]), 30)
    for text, font, y in ((_("Dawn of Progress"), regular, 150), (award, bold, 240), (recipient[:40], regular, 330)):
        draw.text((size / 2, y), text, font=font, fill="#ffffff", anchor="mm",
                  direction="rtl" if has_persian_script(text) else None)
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()
