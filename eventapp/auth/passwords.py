"""Password hashing with Argon2id (argon2-cffi's recommended parameters)."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

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


# Verified against when an email is unknown, so that a wrong email costs as much time as a
# wrong password and the response time does not tell which accounts exist.
DUMMY_HASH = hash_password("not a real password")
