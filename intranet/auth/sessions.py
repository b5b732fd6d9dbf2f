"""Session rules: load the account, enforce idle and absolute limits, re-issue on sign-in."""

import time

from flask import current_app, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import login_user, logout_user
from peewee import JOIN

from intranet.auth import saved_forms
from intranet.core.accounts import Account, Organization
from intranet.platform.extensions import login_manager
from intranet.platform.prepared import Prepared

LOGIN_AT = "login_at"
SEEN_AT = "seen_at"


class SessionInterface(SecureCookieSessionInterface):
    """Mark the cookie Secure whenever the request came over HTTPS (directly or via a trusted proxy)."""

    def get_cookie_secure(self, app):
        return request.is_secure or super().get_cookie_secure(app)


def _account_with_organization(account_id):
    # The organisation comes along: every page header shows it.
    return (
        Account.select(Account, Organization)
        .join(Organization, JOIN.LEFT_OUTER, on=(Account.organization == Organization.id))
        .where(Account.id == account_id)
    )


# Every signed-in request asks this: compiled once, then only run.
_ACCOUNT_WITH_ORGANIZATION = Prepared(_account_with_organization)


@login_manager.user_loader
def load_account(session_id: str):
    try:
        account_id, version = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    account = _ACCOUNT_WITH_ORGANIZATION.first(account_id=account_id)
    if account is None or not account.active or account.session_version != version:
        return None
    return account


def start_session(account: Account) -> None:
    """A fresh session for a fresh sign-in: nothing of the anonymous one survives."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    now = int(time.time())
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    login_user(account)
    # A good moment to forget typed text that nobody came back for.
    saved_forms.discard_stale()


def end_session() -> None:
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang


def session_expired() -> bool:
    """True when the session passed its idle or absolute limit; otherwise note activity."""
    if LOGIN_AT not in session:
        return False
    now = int(time.time())
    config = current_app.config
    idle = now - session.get(SEEN_AT, 0) > config["SESSION_IDLE_MINUTES"] * 60
    too_old = now - session[LOGIN_AT] > config["SESSION_MAX_MINUTES"] * 60
    if idle or too_old:
        return True
    # Avoid rewriting the cookie on every request: a minute's precision is plenty.
    if now - session.get(SEEN_AT, 0) >= 60:
        session[SEEN_AT] = now
    return False


def remaining_seconds() -> int:
    """Seconds until the idle or the absolute limit ends this session (0 without one).

    Pages hand this to the browser, which warns shortly before (WCAG 2.2.1).
    """
    if LOGIN_AT not in session:
        return 0
    now = int(time.time())
    config = current_app.config
    idle_left = session.get(SEEN_AT, 0) + config["SESSION_IDLE_MINUTES"] * 60 - now
    absolute_left = session[LOGIN_AT] + config["SESSION_MAX_MINUTES"] * 60 - now
    return max(0, int(min(idle_left, absolute_left)))


def extend_session() -> int:
    """Restart the idle timer now (not to the minute, as ordinary requests do); the absolute
    limit stays. Returns the new remaining seconds."""
    if LOGIN_AT in session:
        session[SEEN_AT] = int(time.time())
    return remaining_seconds()


# --- Half signed in: the password was right, the second step is still to come -------------------

PENDING = "second_step"
# Long enough to type a code; set-up may mean installing an app first.
PENDING_SECONDS = {"verify": 5 * 60, "setup": 15 * 60}
# Set-up from the account page, once the password was given again.
SETUP_ALLOWED = "second_factor_setup"


def start_pending(account: Account, step: str, next_path: str | None) -> None:
    """Remember who gave the right password, until when, and where they were going.

    Bound to the account's session_version: a password change, reset or sign-out everywhere
    voids the half-finished sign-in as it voids sessions. Nothing here signs anyone in.
    """
    lang = session.get("lang")
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    session[PENDING] = {
        "account": account.id,
        "version": account.session_version,
        "step": step,
        "until": int(time.time()) + PENDING_SECONDS[step],
        "next": next_path or "",
    }


def allow_second_factor_setup(account: Account) -> None:
    """The password was given again on /account: this session may set up a second factor, for
    as long as the set-up after sign-in may take."""
    session[SETUP_ALLOWED] = {
        "account": account.id,
        "until": int(time.time()) + PENDING_SECONDS["setup"],
    }


def second_factor_setup_allowed(account: Account) -> bool:
    allowed = session.get(SETUP_ALLOWED)
    return (
        isinstance(allowed, dict)
        and allowed.get("account") == account.id
        and int(time.time()) <= allowed.get("until", 0)
    )


def end_second_factor_setup() -> None:
    session.pop(SETUP_ALLOWED, None)


def pending_sign_in(step: str) -> tuple[Account, str] | None:
    """(account, next path) of a half-finished sign-in at `step` that is still valid."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or pending.get("step") != step:
        return None
    if int(time.time()) > pending.get("until", 0):
        session.pop(PENDING, None)
        return None
    account = Account.get_or_none(Account.id == pending.get("account"))
    if account is None or not account.active or account.session_version != pending.get("version"):
        return None
    return account, pending.get("next") or ""
