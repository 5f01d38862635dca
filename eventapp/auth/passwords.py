"""Password hashing with Argon2id (argon2-cffi's recommended parameters), and the list of common passwords."""
import gzip
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l

from ..core.text import latin_digits

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def dummy_hash() -> str:
    """Verified against when an email is unknown, so that a wrong email costs as much time as a wrong
    password and the response time does not tell which accounts exist (made at the first use, not at import)."""
    return hash_password("not a real password")


# --- common passwords (ASVS 2.1.7) -----------------------------------------------------------

COMMON_PASSWORDS_FILE = Path(__file__).parent / "data" / "common-passwords.txt.gz"
TOO_COMMON = _l("This password is one of the most common ones and is guessed first: choose another.")

# Where each key of an English (QWERTY) keyboard puts a letter on the standard Persian layout: "password"
# typed with the keyboard left in Persian is a common password too.
_PERSIAN_TO_LATIN_KEYS = str.maketrans("ضصثقفغعهخحجچشسیبلاتنمکگظطزرذدپو", "qwertyuiop[]asdfghjkl;'zxcvbnm,")


@cache
def _common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def is_common(password: str) -> bool:
    """Whether ``password`` is on the list of common passwords, however its case and its digits (Persian or
    Latin) were typed, and also when it was typed on a Persian keyboard layout."""
    typed = latin_digits(password.strip().lower())
    on_latin_keys = typed.translate(_PERSIAN_TO_LATIN_KEYS)
    return typed in _common_passwords() or on_latin_keys in _common_passwords()
