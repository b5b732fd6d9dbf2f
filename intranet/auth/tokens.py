"""Personal read-only tokens (the calendar feed address, the OParl token): one mechanism.

Only a nonce and the token's hash are stored; the token is derived from the nonce with the
app's secret key, so a copy of the database alone opens nothing, yet the owner can see the
token on /account at any time. Renewing replaces the row, so the old token stops at once.
Each kind has its own table (a `TokenRow`: one row per account) and its own purpose string,
so one kind's token never opens another.
"""

import base64
import hashlib
import hmac
import secrets

from flask import current_app
from peewee import AutoField, CharField, DateTimeField, ForeignKeyField

from intranet.core import audit
from intranet.core.accounts import Account
from intranet.core.ids import ref
from intranet.platform.db import BaseModel, utcnow, write_transaction
from intranet.platform.prepared import Prepared

MAX_TOKEN_LENGTH = 200


class TokenRow(BaseModel):
    """The columns of every kind's table; each kind subclasses it with its own name and
    purpose (`PERSONAL_DATA`) and lists the subclass in MODELS, never this class."""

    id = AutoField()
    account = ForeignKeyField(Account, unique=True, on_delete="CASCADE")
    nonce = CharField()
    token_hash = CharField(unique=True)
    created_at = DateTimeField(default=utcnow)

    NOT_PERSONAL_DATA = ("id", "nonce", "token_hash", "created_at")


class PersonalToken:
    def __init__(self, model, purpose: str, renewed: str, revoked: str):
        self.model = model
        self.purpose = purpose  # part of the derived token: kinds never share a token
        self.renewed, self.revoked = renewed, revoked  # the audit log's action codes
        # Asked by every poll of a calendar program: compiled once, then only run.
        self._owner = Prepared(self._with_owner)

    def _derive(self, account_id: int, nonce: str) -> str:
        key = current_app.config["SECRET_KEY"].encode()
        message = f"{self.purpose}:{account_id}:{nonce}".encode()
        digest = hmac.new(key, message, hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")

    @staticmethod
    def _hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def current(self, account) -> str | None:
        """The account's token, or None before the first one was made."""
        model = self.model
        row = model.get_or_none(model.account == account.id)
        return self._derive(account.id, row.nonce) if row else None

    def renew(self, account) -> str:
        """Make a new token; the old one stops working at once."""
        model = self.model
        nonce = secrets.token_urlsafe(24)
        token = self._derive(account.id, nonce)
        # One statement replaces the row: deleting and then inserting lets two parallel
        # renewals both insert, and one fails on the unique account column.
        values = {"nonce": nonce, "token_hash": self._hash(token), "created_at": utcnow()}
        with write_transaction():
            model.insert(account=account.id, **values).on_conflict(
                conflict_target=[model.account],
                update={getattr(model, name): value for name, value in values.items()},
            ).execute()
            audit.record(self.renewed, target=ref("account", account.id), actor=account)
        return token

    def revoke(self, account, actor=None) -> None:
        model = self.model
        with write_transaction():
            if model.delete().where(model.account == account.id).execute():
                audit.record(self.revoked, target=ref("account", account.id), actor=actor)

    def _with_owner(self, token_hash):
        model = self.model
        return (
            model.select(model, Account)
            .join(Account, on=(model.account == Account.id))
            .where(model.token_hash == token_hash)
        )

    def account_for(self, token: str | None):
        """The active account that owns `token`, or None (unknown, revoked, or deactivated)."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        row = self._owner.first(token_hash=self._hash(token))
        if row is None or not row.account.active:
            return None
        return row.account
