"""Account operations: create, authenticate with throttling, change password, end sessions."""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app, session
from flask_babel import lazy_gettext as _l
from peewee import fn

from intranet.auth import mail, second_factor
from intranet.auth.access import may_change_clearance
from intranet.auth.models import LinkPurpose, LoginFailure, PasswordLink, SetupToken
from intranet.auth.passwords import (
    check_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from intranet.core import audit, versioning
from intranet.core.accounts import NO_PASSWORD, ROLES, Account, Organization, Role
from intranet.core.areas import registry
from intranet.core.ids import ref
from intranet.platform.config import LANGUAGES
from intranet.platform.db import serialized, utcnow, write_transaction


class AccountError(ValueError):
    """A request that cannot be carried out; the message is shown to the user."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.field = field  # the form field the message belongs next to, if any


class AccountConflict(AccountError, versioning.Conflict):
    """Someone else saved the account after the form was loaded; nothing was saved."""


def normalize_email(email: str) -> str:
    return email.strip().casefold()


def password_context(email: str, organization: Organization | None) -> list[str]:
    """Words a guessing attacker tries first, for the password policy."""
    forum = current_app.config["FORUM_NAME"]
    words = [forum, *(w for w in forum.split() if len(w) >= 8), email.split("@")[0]]
    if organization is not None:
        words += [organization.name, organization.short_name]
    return words


def create_account(
    email: str,
    display_name: str,
    role: str,
    password: str | None,
    organization: Organization | None = None,
    actor=None,
    must_change_password: bool = False,
) -> Account:
    """A new account. Without a password (None) nobody can sign in to it until the person sets
    one through an invitation link (`issue_password_link`). `must_change_password` is for a
    password the administration typed: the person replaces it at the first sign-in."""
    email = normalize_email(email)
    if role not in ROLES:
        raise AccountError(_l("Unknown role."))
    if password is not None:
        check_policy(password, password_context(email, organization))
    with write_transaction():
        if Account.select().where(Account.email == email).exists():
            raise AccountError(_l("An account with this email address already exists."))
        account = Account.create(
            email=email,
            display_name=display_name.strip(),
            role=role,
            organization=organization,
            password_hash=NO_PASSWORD if password is None else hash_password(password),
            must_change_password=must_change_password and password is not None,
        )
        audit.record("account.created", target=ref("account", account.id), detail=role, actor=actor)
    return account


# --- Sign-in with throttling -------------------------------------------------------------


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


def end_all_sessions(account: Account) -> None:
    """Void every session of the account, on every device (signing out)."""
    Account.update(session_version=Account.session_version + 1).where(
        Account.id == account.id
    ).execute()


def end_access(account: Account, actor=None) -> None:
    """Everything that lets someone into the account ends: every session and half-finished
    sign-in, the open password link (invitation or reset) and what the areas hand out
    (`access_ended`: the calendar feed address). Called inside the transaction of each change
    after which an old way in must not work again: deactivation, erasure, a new role or
    organisation, a new password."""
    end_all_sessions(account)
    PasswordLink.delete().where(PasswordLink.account == account.id).execute()
    registry().access_ended.send(account, actor=actor)


def end_access_of_erased(account, **_ignored) -> None:
    end_access(account)


def _set_password(account: Account, password: str, actor, must_change: bool = False) -> None:
    """Store a new password (call inside a transaction); every other way in ends."""
    Account.update(
        password_hash=hash_password(password),
        password_changed_at=utcnow(),
        must_change_password=must_change,
    ).where(Account.id == account.id).execute()
    LoginFailure.delete().where(LoginFailure.email == account.email).execute()
    end_access(account, actor)


def change_password(account: Account, current: str, new: str) -> None:
    if not verify_password(account.password_hash, current):
        raise AccountError(_l("The current password is not correct."))
    check_policy(new, password_context(account.email, account.organization))
    with write_transaction():
        _set_password(account, new, account)
        mail.notify_password_changed(account, by_administration=False, actor=account)
        audit.record("account.password_changed", target=ref("account", account.id), actor=account)


def choose_own_password(account: Account, new: str) -> None:
    """Replace a password the administration typed (the person is signed in with it)."""
    if verify_password(account.password_hash, new):
        raise AccountError(
            _l("Please choose a password of your own, not the one you were given."),
            field="new_password",
        )
    check_policy(new, password_context(account.email, account.organization))
    with write_transaction():
        _set_password(account, new, account)
        mail.notify_password_changed(account, by_administration=False, actor=account)
        audit.record(
            "account.password_changed",
            target=ref("account", account.id),
            detail="replaced the password set by the administration",
            actor=account,
        )


def keep_an_admin(account: Account, stays_admin: bool) -> None:
    """Refuse a change that would leave no active admin (call inside `serialized("admins")`,
    so two admins switching each other off at the same moment cannot both succeed)."""
    if stays_admin:
        return
    others = Account.select().where(
        (Account.role == Role.ADMIN) & (Account.active == True) & (Account.id != account.id)  # noqa: E712
    )
    if not others.exists():
        raise AccountError(
            _l("This is the last active administrator account; it must stay."), field="role"
        )


def set_active(account: Account, active: bool, actor) -> None:
    """Deactivating ends every way in, so reactivating brings none of them back; a link the
    administration makes while the account is deactivated works once it is active again.
    The link's lock orders this against a link being made at the same moment."""
    with serialized("admins", f"password-link:{account.id}"):
        current = Account.get_by_id(account.id)
        keep_an_admin(current, active or current.role != Role.ADMIN or not current.active)
        Account.update(active=active).where(Account.id == account.id).execute()
        if not active:
            end_access(current, actor)
        action = "account.reactivated" if active else "account.deactivated"
        audit.record(action, target=ref("account", account.id), actor=actor)


# --- First run ---------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_setup_token() -> str | None:
    """A new one-time set-up token when no account exists yet, else None."""
    with write_transaction():
        if Account.select().exists():
            SetupToken.delete().execute()
            return None
        token = secrets.token_urlsafe(32)
        SetupToken.delete().execute()
        SetupToken.create(token_hash=_token_hash(token))
    return token


def setup_token_valid(token: str) -> bool:
    return (
        not Account.select().exists()
        and SetupToken.select().where(SetupToken.token_hash == _token_hash(token)).exists()
    )


def create_first_admin(token: str, email: str, display_name: str, password: str) -> Account:
    """Create the first admin; the token is spent in the same transaction."""
    with write_transaction():
        if not setup_token_valid(token):
            raise AccountError(_l("This set-up address is no longer valid."))
        SetupToken.delete().execute()
        account = create_account(email, display_name, Role.ADMIN, password)
    return account


def account_count() -> int:
    return Account.select(fn.COUNT(Account.id)).scalar()


# --- Changes by the administration ---------------------------------------------------------


def fingerprint(account: Account) -> str:
    """A short digest of the editable fields, to notice concurrent edits."""
    state = "\x1f".join(
        str(value)
        for value in (account.email, account.display_name, account.role, account.organization_id)
    )
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def update_account(
    account: Account,
    seen_fingerprint: str,
    email: str,
    display_name: str,
    role: str,
    organization: Organization | None,
    actor,
) -> Account:
    """Change an account's details; a changed role or organisation ends its sessions."""
    email = normalize_email(email)
    if role not in ROLES:
        raise AccountError(_l("Unknown role."))
    stale = _l(
        "Someone else changed this account in the meantime. Please check the current values and save again."
    )
    # Only an edit of an admin account can take away the last admin: only that one waits for
    # the others (any other change to the same account shows up as a changed fingerprint).
    with serialized("admins") if account.role == Role.ADMIN else write_transaction():
        current = before = Account.get_by_id(account.id)
        if fingerprint(current) != seen_fingerprint:
            raise AccountConflict(stale)
        organization_id = organization.id if organization else None
        if not may_change_clearance(actor, current):
            if role != current.role:
                raise AccountError(
                    _l("You cannot change your own role. Another administrator can do it."),
                    field="role",
                )
            if organization_id != current.organization_id:
                raise AccountError(
                    _l(
                        "You cannot change your own organisation, as it decides what you may "
                        "see. Another administrator can do it."
                    ),
                    field="organization",
                )
        keep_an_admin(
            current, role == Role.ADMIN or current.role != Role.ADMIN or not current.active
        )
        clash = Account.select().where((Account.email == email) & (Account.id != current.id))
        if clash.exists():
            raise AccountError(_l("An account with this email address already exists."))
        changes = {"email": email, "display_name": display_name.strip(), "role": role}
        changes["organization"] = organization_id
        # Accounts carry no version column: the fingerprinted fields themselves are the
        # version, compared in the same UPDATE that writes them (see core.versioning).
        try:
            versioning.update_if_unchanged(
                Account,
                current.id,
                {
                    "email": current.email,
                    "display_name": current.display_name,
                    "role": current.role,
                    "organization": current.organization_id,
                },
                **changes,
            )
        except versioning.Conflict:
            raise AccountConflict(stale) from None
        if role != current.role or organization_id != current.organization_id:
            end_access(current, actor)
        current = Account.get_by_id(current.id)
        if before.email != current.email:
            mail.notify_email_changed(current, before.email, current.email, actor)
        if before.role != current.role:
            mail.notify_role_changed(current, before.role, current.role, actor)
        audit.record(
            "account.updated",
            target=ref("account", current.id),
            detail=f"{role}, organization:{organization_id or '-'}",
            actor=actor,
        )
    return current


def reset_password(account: Account, password: str, actor) -> None:
    """Set a password the administration typed, for someone who forgot theirs: their sessions
    end, any open password link stops working, and they choose their own at the next sign-in."""
    check_policy(password, password_context(account.email, account.organization))
    with write_transaction():
        _set_password(account, password, actor, must_change=True)
        mail.notify_password_changed(account, by_administration=True, actor=actor)
        audit.record("account.password_reset", target=ref("account", account.id), actor=actor)


# --- Password links: invitations and resets ------------------------------------------------------

# How long a link works, by purpose: an invitation may wait over a weekend, a reset is asked for.
PASSWORD_LINK_HOURS = {LinkPurpose.INVITATION: 72, LinkPurpose.RESET: 24}
# Tokens are 43 characters (secrets.token_urlsafe(32)); anything much longer is not one.
_TOKEN_MAX_LENGTH = 100


class LinkGone(Exception):
    """The link is unknown (`known` False), or expired, used, replaced or its account was
    deactivated. The person sees the same page either way; only the status code differs."""

    def __init__(self, known: bool):
        super().__init__("known" if known else "unknown")
        self.known = known


@dataclass
class IssuedLink:
    token: str
    purpose: str
    expires_at: dt.datetime  # naive UTC
    mailed: bool | None = None  # None: mail is off


def issue_password_link(account: Account, actor, link_url=None) -> IssuedLink:
    """A new link for the account: an invitation while it has no password yet, else a reset.
    It replaces any older link of the account; only the token's hash is stored. With
    `link_url` (token → address) and mail on, the link is mailed to the account's address."""
    purpose = LinkPurpose.RESET if account.has_password else LinkPurpose.INVITATION
    token = secrets.token_urlsafe(32)
    expires_at = utcnow() + dt.timedelta(hours=PASSWORD_LINK_HOURS[purpose])
    # Two admins pressing the button at once: one after the other, the later link wins
    # (a plain transaction would let both delete nothing and then clash on the insert).
    with serialized(f"password-link:{account.id}"):
        PasswordLink.delete().where(
            (PasswordLink.account == account.id) | (PasswordLink.expires_at < utcnow())
        ).execute()
        PasswordLink.create(
            account=account.id,
            purpose=purpose,
            token_hash=_token_hash(token),
            expires_at=expires_at,
        )
        mailed = None
        if link_url is not None:
            mailed = mail.queue_password_link(
                account, link_url(token), purpose, PASSWORD_LINK_HOURS[purpose], actor
            )
        if purpose == LinkPurpose.INVITATION:
            audit.record("account.invited", target=ref("account", account.id), actor=actor)
        else:
            audit.record(
                "account.reset_link_created", target=ref("account", account.id), actor=actor
            )
    return IssuedLink(token, purpose, expires_at, mailed)


def find_password_link(token: str) -> PasswordLink:
    """The link of this token while it works; LinkGone otherwise. A used link is deleted, so
    it is unknown from then on."""
    if not token or len(token) > _TOKEN_MAX_LENGTH:
        raise LinkGone(known=False)
    link = PasswordLink.get_or_none(PasswordLink.token_hash == _token_hash(token))
    if link is None:
        raise LinkGone(known=False)
    if link.expires_at <= utcnow() or not Account.get_by_id(link.account_id).active:
        raise LinkGone(known=True)
    return link


def use_password_link(token: str, password: str) -> Account:
    """Set the password through the link, which is spent in the same transaction: of two
    uses at once only one deletes the row and goes on. Every other session ends."""
    link = find_password_link(token)
    account = Account.get_by_id(link.account_id)
    check_policy(password, password_context(account.email, account.organization))
    with write_transaction():
        spent = (
            PasswordLink.delete()
            .where((PasswordLink.id == link.id) & (PasswordLink.expires_at > utcnow()))
            .execute()
        )
        if spent != 1:
            raise LinkGone(known=True)
        _set_password(account, password, account)
        if link.purpose != LinkPurpose.INVITATION:
            mail.notify_password_changed(account, by_administration=False, actor=account)
        if link.purpose == LinkPurpose.INVITATION:
            audit.record(
                "account.invitation_accepted", target=ref("account", account.id), actor=account
            )
        else:
            audit.record(
                "account.password_reset_by_link", target=ref("account", account.id), actor=account
            )
    return Account.get_by_id(account.id)
