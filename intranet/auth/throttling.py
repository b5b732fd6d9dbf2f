"""Counting failed password and code checks, and refusing more once a limit is reached:
for sign-ins, their second step and the password asked again on the own account page."""

import datetime as dt
from dataclasses import dataclass

from flask import current_app

from intranet.auth.models import LoginFailure
from intranet.core import audit
from intranet.core.accounts import Account
from intranet.core.ids import ref
from intranet.platform.db import serialized, utcnow


@dataclass
class Throttled:
    retry_at: dt.datetime  # naive UTC


def throttle_state(email: str, address: str) -> Throttled | None:
    """Throttled when too many failures within the window, for the account or the address."""
    config = current_app.config
    window_start = utcnow() - dt.timedelta(minutes=config["LOGIN_WINDOW_MINUTES"])
    recent = LoginFailure.select().where(LoginFailure.at >= window_start)
    checks = (
        (LoginFailure.email == email, config["LOGIN_MAX_FAILURES_ACCOUNT"]),
        (LoginFailure.address == address, config["LOGIN_MAX_FAILURES_ADDRESS"]),
    )
    for condition, limit in checks:
        times = [
            row.at for row in recent.where(condition).order_by(LoginFailure.at.desc()).limit(limit)
        ]
        if len(times) >= limit:
            # The lock lifts when the oldest of the counted failures leaves the window,
            # so nobody (admins included) is locked out for good.
            return Throttled(times[-1] + dt.timedelta(minutes=config["LOGIN_WINDOW_MINUTES"]))
    return None


def _recheck_key(account: Account) -> str:
    # Counted apart from sign-in failures: a right password at sign-in must not wipe them.
    return f"password-check:account:{account.id}"


def claim_password_check(account: Account, address: str) -> Throttled | None:
    """Before the password is asked again on the own account page (new recovery codes,
    switching off the second factor, changing the password): counted and throttled like
    sign-ins, so a session left open does not let anyone try passwords without limit. The
    attempt counts as a failure until `password_check_passed`."""
    attempt = claim_attempt(_recheck_key(account), address)
    if isinstance(attempt, Throttled):
        audit.record(
            "account.password_check_throttled",
            target=ref("account", account.id),
            detail=address,
            actor=account,
        )
        return attempt
    return None


def password_check_passed(account: Account) -> None:
    LoginFailure.delete().where(LoginFailure.email == _recheck_key(account)).execute()


def claim_attempt(email: str, address: str) -> Throttled | bool:
    """Count the attempt as a failure before its password is checked, or refuse it.

    Checking the limit and recording the failure happen in one serialised step, so however
    many attempts arrive at once, no more passwords are tried than the limits allow. A
    successful attempt removes its failure again. Returns whether this attempt's failure
    fills a limit (the sign-in is locked if the password turns out wrong).
    """
    with serialized(f"login-email:{email}", f"login-address:{address}"):
        throttled = throttle_state(email, address)
        if throttled:
            return throttled
        forget_old_failures()
        LoginFailure.create(email=email, address=address)
        return throttle_state(email, address) is not None


def forget_old_failures() -> None:
    window = current_app.config["LOGIN_WINDOW_MINUTES"]
    LoginFailure.delete().where(LoginFailure.at < utcnow() - dt.timedelta(minutes=window)).execute()
