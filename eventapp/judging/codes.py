"""The opaque names of blind judging: codes a judge reads in place of a team.

An entry code is a keyed hash (HMAC-SHA256 with the app's secret) of the round and the team: stable for
a round, different in every round, and without the secret it tells nothing, neither the team's id nor the
order in which teams registered. A conflict token keys a team in one judge's conflict form the same way,
unrelated to the entry codes.
"""
import hashlib
import hmac

# Letters only (no I, O, S, Z: they pass for digits), so that a code reads the same in every language.
ALPHABET = "ABCDEFGHJKLMNPQRTUVWXY"
CODE_LENGTH = 8


def _digest(secret: str, message: str) -> bytes:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest()


def entry_code(secret: str, round_id: int, team_id: int) -> str:
    """The entry's code in the round, such as ``KXQM-RTAV``."""
    number = int.from_bytes(_digest(secret, f"entry:{round_id}:{team_id}"), "big")
    letters = []
    for _position in range(CODE_LENGTH):
        number, index = divmod(number, len(ALPHABET))
        letters.append(ALPHABET[index])
    half = CODE_LENGTH // 2
    return "".join(letters[:half]) + "-" + "".join(letters[half:])


def conflict_token(secret: str, judge_id: int, team_id: int) -> str:
    """What a judge's conflict form sends for a team: meaningless to anyone else, and to that judge too."""
    return _digest(secret, f"conflict:{judge_id}:{team_id}").hex()[:24]
