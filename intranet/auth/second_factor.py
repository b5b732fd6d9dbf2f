"""Second factor at sign-in: TOTP authenticator apps (RFC 6238) and single-use recovery codes.

The TOTP secret is never stored. Each set-up draws a random seed; the secret is an HMAC of
that seed under a key derived from the server's SECRET_KEY, so a copy of the database (a
backup, say) yields no secret. Changing SECRET_KEY therefore voids every second factor:
`key_check` notices that, and the person is led through the set-up again after the password
instead of being locked out or let in without a second factor.
"""

import base64
import hashlib
import hmac
import re
import secrets
import time

import pyotp
import segno
from flask import current_app
from markupsafe import Markup

from intranet.auth.access import may_change_clearance
from intranet.auth.models import LoginFailure, RecoveryCode, SecondFactor
from intranet.auth.passwords import verify_password
from intranet.core import audit, site_settings
from intranet.core.accounts import ROLES, Account
from intranet.core.ids import ref
from intranet.platform.db import serialized, utcnow, write_transaction
from intranet.platform.i18n import lazy_gettext as _l

SETTING = "second_factor_roles"
RECOVERY_CODE_COUNT = 10
# Accept the code of the previous and the next 30-second step too (pyotp's valid_window=1):
# phone clocks drift, and typing takes time.
VALID_WINDOW = 1
DIGITS = 6
# A recovery code: 16 characters of the base32 alphabet (80 bits), typed in groups of four.
RECOVERY_CODE_LENGTH = 16
_clock = time.time  # replaced in tests


class SecondFactorError(ValueError):
    """A request that cannot be carried out; the message is shown to the user."""


# --- Who must use it ---------------------------------------------------------------------------


def required_roles() -> set[str]:
    """The roles that must use a second factor: the admin's setting, else the installation's."""
    stored = site_settings.get_all().get(SETTING)
    if stored is None:
        configured = current_app.config["SECOND_FACTOR_ROLES"]
        if isinstance(configured, str):
            configured = configured.split(",")
        return {role.strip() for role in configured} & set(ROLES)
    return {role for role in stored.split(",") if role in ROLES}


def save_required_roles(roles, actor=None) -> None:
    chosen = [role for role in ROLES if role in set(roles)]
    with write_transaction():
        site_settings.save({SETTING: ",".join(chosen)})
        audit.record("settings.second_factor", detail=", ".join(chosen) or "-", actor=actor)


def required_for(account: Account) -> bool:
    return account.role in required_roles()


# --- Secrets -----------------------------------------------------------------------------------


def _server_key() -> bytes:
    return hmac.new(
        current_app.config["SECRET_KEY"].encode(), b"intranet second factor", hashlib.sha256
    ).digest()


def _derive(seed: str, purpose: bytes) -> bytes:
    return hmac.new(_server_key(), purpose + b":" + seed.encode(), hashlib.sha256).digest()


def _key_check(seed: str) -> str:
    return _derive(seed, b"check").hex()[:32]


def key_valid(factor: SecondFactor) -> bool:
    """False when SECRET_KEY changed since the set-up: the secret cannot be recomputed."""
    return hmac.compare_digest(factor.key_check, _key_check(factor.seed))


def secret(factor: SecondFactor) -> str:
    """The TOTP secret as base32 text (160 bits, as RFC 4226 recommends)."""
    return base64.b32encode(_derive(factor.seed, b"totp")[:20]).decode()


def grouped(text: str, size: int = 4) -> str:
    """Groups of four characters, easier to type by hand."""
    return " ".join(text[i : i + size] for i in range(0, len(text), size))


def provisioning_uri(factor: SecondFactor, account: Account) -> str:
    issuer = current_app.config["FORUM_NAME"]
    return pyotp.TOTP(secret(factor)).provisioning_uri(name=account.email, issuer_name=issuer)


def qr_svg(uri: str, title: str) -> Markup:
    """The QR code as inline SVG: presentation attributes only, no style, no script (CSP)."""
    qr = segno.make(uri, error="m")
    svg = qr.svg_inline(scale=4, border=4, dark="#000", light="#fff", title=title)
    return Markup(svg)  # noqa: S704 (segno escapes the title; the rest is its own markup)


# --- State ---------------------------------------------------------------------------------------


def factor_of(account: Account) -> SecondFactor | None:
    return SecondFactor.get_or_none(SecondFactor.account == account.id)


def active_factor(account: Account) -> SecondFactor | None:
    factor = factor_of(account)
    if factor is None or factor.confirmed_at is None or not key_valid(factor):
        return None
    return factor


def next_step(account: Account) -> str | None:
    """What sign-in asks after the password: "verify" a code, "setup" first, or nothing."""
    factor = factor_of(account)
    if factor is not None and factor.confirmed_at is not None:
        # A factor whose secret was lost with the old key is set up again, never skipped.
        return "verify" if key_valid(factor) else "setup"
    return "setup" if required_for(account) else None


def remaining_recovery_codes(account: Account) -> int:
    return (
        RecoveryCode.select()
        .where((RecoveryCode.account == account.id) & RecoveryCode.used_at.is_null())
        .count()
    )


# --- Set-up --------------------------------------------------------------------------------------


def begin_setup(account: Account, fresh: bool = False) -> SecondFactor:
    """The factor being set up: the one already begun (so a reloaded page shows the same QR
    code) unless `fresh`, or a new one. Refused while a working factor exists."""
    with serialized(f"second-factor:{account.id}"):
        factor = factor_of(account)
        if factor is not None and key_valid(factor):
            if factor.confirmed_at is not None:
                raise SecondFactorError(_l("The second factor is already switched on."))
            if not fresh:
                return factor
        if factor is not None:
            _remove(account)
            if not key_valid(factor):  # its secret went with the old SECRET_KEY
                audit.record(
                    "second_factor.voided", target=ref("account", account.id), actor=account
                )
        seed = secrets.token_hex(32)
        return SecondFactor.create(account=account.id, seed=seed, key_check=_key_check(seed))


def start_setup(account: Account, password: str) -> SecondFactor:
    """Switching on from the own account page asks for the password again, as switching off
    does: otherwise whoever holds an open session could bind the account to their own phone
    and lock the owner out. The set-up starts afresh, so a key shown before is worth nothing."""
    if not verify_password(account.password_hash, password):
        raise SecondFactorError(_l("The password is not correct."))
    with write_transaction():
        factor = begin_setup(account, fresh=True)
        audit.record(
            "second_factor.setup_started", target=ref("account", account.id), actor=account
        )
    return factor


def confirm_setup(account: Account, code: str) -> list[str]:
    """Switch the factor on with a current code from the app; returns the recovery codes,
    which exist only in this answer."""
    factor = factor_of(account)
    if factor is None or factor.confirmed_at is not None or not key_valid(factor):
        raise SecondFactorError(_l("Please start the set-up again."))
    step = matching_step(factor, code)
    if step is None:
        raise SecondFactorError(
            _l("This code is not correct. Please enter the code your app shows now.")
        )
    with write_transaction():
        confirmed = (
            SecondFactor.update(confirmed_at=utcnow(), last_step=step)
            .where((SecondFactor.id == factor.id) & SecondFactor.confirmed_at.is_null())
            .execute()
        )
        if confirmed != 1:
            raise SecondFactorError(_l("The second factor is already switched on."))
        codes = _replace_recovery_codes(account)
        audit.record("second_factor.enabled", target=ref("account", account.id), actor=account)
    return codes


# --- Codes ---------------------------------------------------------------------------------------


def matching_step(factor: SecondFactor, code: str) -> int | None:
    """The time step whose code `code` is, within the window around now; None if none."""
    code = re.sub(r"\s", "", code or "")
    if not (len(code) == DIGITS and code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret(factor), digits=DIGITS)
    current = totp.timecode(_clock())
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def use_totp(account: Account, code: str) -> bool:
    """Accept a TOTP code once: the step is recorded with a conditional UPDATE that matches
    only while no equal or later step was accepted. Two requests with the same code may both
    find it valid, but only one UPDATE matches: on PostgreSQL the second waits for the first
    one's row lock and then re-checks the condition against the committed row (see
    core.versioning for the same idea)."""
    factor = active_factor(account)
    if factor is None:
        return False
    step = matching_step(factor, code)
    if step is None:
        return False
    accepted = (
        SecondFactor.update(last_step=step)
        .where(
            (SecondFactor.id == factor.id)
            & SecondFactor.confirmed_at.is_null(False)
            & (SecondFactor.last_step.is_null() | (SecondFactor.last_step < step))
        )
        .execute()
    )
    return accepted == 1


def normalize_recovery_code(code: str) -> str:
    """Upper case without spaces or dashes; 0 and 1 read as the letters O and I."""
    text = re.sub(r"[\s\-]", "", code or "").upper()
    return text.replace("0", "O").replace("1", "I")


def _code_hash(code: str) -> str:
    # 80 random bits: a plain SHA-256 cannot be reversed by trying, unlike a password.
    return hashlib.sha256(normalize_recovery_code(code).encode()).hexdigest()


def use_recovery_code(account: Account, code: str) -> bool:
    """Accept an unused recovery code once (conditional UPDATE, as for TOTP codes)."""
    if len(normalize_recovery_code(code)) != RECOVERY_CODE_LENGTH:
        return False
    used = (
        RecoveryCode.update(used_at=utcnow())
        .where(
            (RecoveryCode.account == account.id)
            & (RecoveryCode.code_hash == _code_hash(code))
            & RecoveryCode.used_at.is_null()
        )
        .execute()
    )
    return used == 1


def check_code(account: Account, code: str) -> str | None:
    """ "totp" or "recovery code" when the code is accepted (and now spent), else None."""
    if active_factor(account) is None:
        return None
    if use_totp(account, code):
        return "totp"
    if use_recovery_code(account, code):
        return "recovery code"
    return None


def _new_recovery_code() -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return "".join(secrets.choice(alphabet) for _ in range(RECOVERY_CODE_LENGTH))


def _replace_recovery_codes(account: Account) -> list[str]:
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.delete().where(RecoveryCode.account == account.id).execute()
    RecoveryCode.insert_many(
        [{"account": account.id, "code_hash": _code_hash(code)} for code in codes]
    ).execute()
    return [grouped(code) for code in codes]


def new_recovery_codes(account: Account, password: str) -> list[str]:
    """Fresh recovery codes; the old ones stop working. Asks for the password again."""
    if not verify_password(account.password_hash, password):
        raise SecondFactorError(_l("The password is not correct."))
    if active_factor(account) is None:
        raise SecondFactorError(_l("The second factor is not switched on."))
    with write_transaction():
        codes = _replace_recovery_codes(account)
        audit.record("second_factor.recovery_codes_renewed", target=ref("account", account.id))
    return codes


# --- Switching off and resetting -------------------------------------------------------------------


def _remove(account: Account) -> None:
    SecondFactor.delete().where(SecondFactor.account == account.id).execute()
    RecoveryCode.delete().where(RecoveryCode.account == account.id).execute()


def switch_off(account: Account, password: str) -> None:
    """Only where the role does not require it; asks for the password again."""
    if required_for(account):
        raise SecondFactorError(
            _l("Your role requires a second factor; it cannot be switched off.")
        )
    if not verify_password(account.password_hash, password):
        raise SecondFactorError(_l("The password is not correct."))
    with write_transaction():
        _remove(account)
        audit.record("second_factor.disabled", target=ref("account", account.id))


def throttle_key(account: Account) -> str:
    """What failed codes are counted under (LoginFailure.email), apart from failed passwords:
    a correct password must not wipe the count of wrong codes."""
    return f"second-factor:account:{account.id}"


def reset(account: Account, actor) -> None:
    """For someone who lost their phone: the factor and codes go, every session ends, and the
    set-up follows at the next sign-in where the role requires it. Never one's own (an admin
    with a stolen password could otherwise drop their second factor)."""
    if not may_change_clearance(actor, account):
        raise SecondFactorError(
            _l("You cannot reset your own second factor. Another administrator can do it.")
        )
    with write_transaction():
        _remove(account)
        LoginFailure.delete().where(LoginFailure.email == throttle_key(account)).execute()
        Account.update(session_version=Account.session_version + 1).where(
            Account.id == account.id
        ).execute()
        audit.record("second_factor.reset", target=ref("account", account.id), actor=actor)
