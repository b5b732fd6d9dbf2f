"""Password hashing (Argon2id) and the password policy (NIST SP 800-63B / OWASP ASVS 6.2)."""

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

from intranet.platform import serving
from intranet.platform.i18n import lazy_gettext as _l

MIN_LENGTH = 12
MAX_LENGTH = 1024  # generous, never truncated; bounds the hashing work per request
# zxcvbn only needs the beginning to judge guessability; longer input slows it down a lot.
_ESTIMATE_PREFIX = 64

# argon2-cffi's defaults follow RFC 9106's second recommended profile (Argon2id, 64 MiB).
hasher = PasswordHasher()
# Compared against when the email is unknown, so both failures cost the same time.
# Made with the current hasher, so its cost always matches the real accounts' hashes.
_dummy = (None, "")


def _dummy_hash() -> str:
    global _dummy
    if _dummy[0] is not hasher:
        _dummy = (hasher, hasher.hash("no account has this password"))
    return _dummy[1]


class WeakPassword(ValueError):
    """Raised with a German-translatable message explaining what to change."""


def hash_password(password: str) -> str:
    serving.step_aside()  # a tenth of a second or more without Python: others may go on
    return hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    serving.step_aside()
    try:
        return hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher.check_needs_rehash(password_hash)


def _squash(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.casefold())


def check_policy(password: str, context_words: list[str]) -> None:
    """Raise WeakPassword unless the password is long and not easily guessed.

    No composition rules: a long passphrase is better than a short mix of symbols.
    `context_words` are names an attacker would try first (forum, organisation, email).
    """
    if len(password) < MIN_LENGTH:
        raise WeakPassword(_l("Use at least %(n)s characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        raise WeakPassword(_l("Use at most %(n)s characters.", n=MAX_LENGTH))
    squashed = _squash(password)
    for word in context_words:
        word = _squash(word)
        if len(word) >= 4 and word in squashed:
            raise WeakPassword(
                _l(
                    "The password must not contain the name of the forum, your organisation or your email address."
                )
            )
    words = [w for w in context_words if w]
    if zxcvbn(password[:_ESTIMATE_PREFIX], user_inputs=words)["score"] < 3:
        raise WeakPassword(
            _l(
                "This password is too easy to guess (for example a common password or a simple pattern). A sentence of several words is easy to remember and hard to guess."
            )
        )
