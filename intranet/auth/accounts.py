"""Accounts: creating and changing them, (de)activating, and ending every way into one."""

import hashlib

from flask import current_app
from peewee import fn

from intranet.auth import mail
from intranet.auth.access import may_change_clearance
from intranet.auth.models import PasswordLink
from intranet.auth.passwords import check_policy, hash_password
from intranet.core import audit, versioning
from intranet.core.accounts import NO_PASSWORD, ROLES, Account, Organization, Role
from intranet.core.areas import registry
from intranet.core.ids import ref
from intranet.platform.db import serialized, write_transaction
from intranet.platform.i18n import lazy_gettext as _l


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
