"""Signing in: the password, the second step's code, and what follows a completed sign-in
(the language the account keeps)."""

from flask import session

from intranet.auth import second_factor
from intranet.auth.accounts import normalize_email
from intranet.auth.models import LoginFailure
from intranet.auth.passwords import hash_password, needs_rehash, verify_password
from intranet.auth.throttling import Throttled, claim_attempt
from intranet.core import audit
from intranet.core.accounts import Account
from intranet.core.ids import ref
from intranet.platform.config import LANGUAGES
from intranet.platform.db import utcnow, write_transaction


def authenticate(email: str, password: str, address: str) -> Account | Throttled | None:
    """Check the credentials; the account on success, Throttled or None otherwise.

    Unknown email and wrong password take the same path and the same hashing time. For an
    account that must give a second factor the sign-in is not complete yet: the caller asks
    `second_factor.next_step()` and finishes with `complete_sign_in()` after that step.
    """
    email = normalize_email(email)[:320]
    # People sometimes type their password into the email field: never log such text.
    logged_email = email if "@" in email else "(no email address)"
    attempt = claim_attempt(email, address)
    if isinstance(attempt, Throttled):
        audit.record("login.throttled", target=logged_email, detail=address)
        return attempt
    fills_limit = attempt
    account = Account.get_or_none(Account.email == email)
    password_ok = verify_password(account.password_hash if account else None, password)
    if not (account and password_ok and account.active):
        audit.record("login.failed", target=logged_email, detail=address)
        if fills_limit:
            audit.record("login.locked", target=logged_email, detail=address)
        return None
    complete = second_factor.next_step(account) is None
    with write_transaction():
        updates = {Account.last_login_at: utcnow()} if complete else {}
        if needs_rehash(account.password_hash):
            updates[Account.password_hash] = hash_password(password)
        if updates:
            Account.update(updates).where(Account.id == account.id).execute()
        # This attempt's provisional failure goes with the earlier ones.
        LoginFailure.delete().where(LoginFailure.email == email).execute()
        action = "login.succeeded" if complete else "login.password_accepted"
        audit.record(action, target=ref("account", account.id), actor=account)
    return Account.get_by_id(account.id)


def check_second_step(account: Account, code: str, address: str) -> str | Throttled | None:
    """The code of the second step: "totp" or "recovery code" when accepted, else Throttled
    or None. Counted and throttled like passwords, under a key of its own per account."""
    key = second_factor.throttle_key(account)
    attempt = claim_attempt(key, address)
    target = ref("account", account.id)
    if isinstance(attempt, Throttled):
        audit.record("login.second_factor_throttled", target=target, detail=address, actor=account)
        return attempt
    method = second_factor.check_code(account, code)
    if method is None:
        audit.record("login.second_factor_failed", target=target, detail=address, actor=account)
        if attempt:
            audit.record("login.second_factor_locked", target=target, detail=address, actor=account)
        return None
    LoginFailure.delete().where(LoginFailure.email == key).execute()
    return method


def complete_sign_in(account: Account, method: str) -> None:
    """Note a sign-in that passed its second step (or set it up).

    The language follows the account: a stored choice wins; without one, the language picked
    before signing in becomes the account's.
    """
    changes = {Account.last_login_at: utcnow()}
    if account.language in LANGUAGES:
        session["lang"] = account.language
    elif session.get("lang") in LANGUAGES:
        changes[Account.language] = account.language = session["lang"]
    Account.update(changes).where(Account.id == account.id).execute()
    audit.record("login.succeeded", target=ref("account", account.id), detail=method, actor=account)


def choose_language(account: Account | None, language: str) -> None:
    """Switch the interface language for this session and, when signed in, for the account."""
    session["lang"] = language
    if account is not None and account.language != language:
        Account.update(language=language).where(Account.id == account.id).execute()
        account.language = language
