"""What signing in keeps besides the account (`core.accounts`): failed attempts, the first
admin's set-up token, second factors, recovery codes, password links and saved forms."""

import enum

from peewee import (
    AutoField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from intranet.core.accounts import Account
from intranet.platform.db import BaseModel, utcnow
from intranet.platform.i18n import lazy_gettext as _l


class LoginFailure(BaseModel):
    """A failed sign-in, kept for the throttling window."""

    id = AutoField()
    at = DateTimeField(default=utcnow, index=True)
    email = CharField(index=True)
    address = CharField(index=True)

    PERSONAL_DATA = {
        "email": _l("Throttling of failed sign-ins (BSI); deleted after the window."),
        "address": _l("Throttling of failed sign-ins per client address (BSI)."),
        "at": _l("Time of the failed sign-in, for throttling."),
    }
    NOT_PERSONAL_DATA = ("id",)


class SetupToken(BaseModel):
    """The hash of the one-time address that creates the first admin."""

    token_hash = CharField(primary_key=True)
    created_at = DateTimeField(default=utcnow)

    PERSONAL_DATA = {}
    NOT_PERSONAL_DATA = ("token_hash", "created_at")


class SecondFactor(BaseModel):
    """An account's authenticator app (TOTP, RFC 6238), while being set up and once confirmed.

    The TOTP secret itself is not stored: it is derived from `seed` with a key made from the
    server's secret key (see auth.second_factor), so a copy of the database alone yields no
    secret. `key_check` notices when the secret key has changed and the secret is lost.
    """

    id = AutoField()
    account = ForeignKeyField(Account, unique=True, backref="second_factors", on_delete="CASCADE")
    seed = CharField(max_length=64)
    key_check = CharField(max_length=64)
    # The newest time step a code was accepted for: a code is never accepted twice, nor an
    # older one after it (RFC 6238, section 5.2).
    last_step = IntegerField(null=True)
    confirmed_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    PERSONAL_DATA = {
        "account": _l("Whose authenticator app this is (second factor at sign-in)."),
        "seed": _l("Random value from which the server derives the account's TOTP secret."),
        "last_step": _l("Time of the last accepted code, so that no code works twice."),
        "confirmed_at": _l("Security: since when the account uses a second factor."),
        "created_at": _l("Security: when the set-up of the second factor began."),
    }
    NOT_PERSONAL_DATA = ("id", "key_check")


class RecoveryCode(BaseModel):
    """A single-use code for signing in without the authenticator app; only its hash is kept."""

    id = AutoField()
    account = ForeignKeyField(Account, backref="recovery_codes", on_delete="CASCADE", index=True)
    code_hash = CharField(max_length=64)
    used_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    PERSONAL_DATA = {
        "account": _l("Whose recovery code this is."),
        "code_hash": _l("SHA-256 of a recovery code, to check it at sign-in."),
        "used_at": _l("Security: when the code was used (each works once)."),
        "created_at": _l("Security: when the codes were made."),
    }
    NOT_PERSONAL_DATA = ("id",)


class LinkPurpose(enum.StrEnum):
    """What a password link is for (`PasswordLink.purpose`); part of its mail's wording."""

    INVITATION = "invitation"  # a new account, no password yet
    RESET = "reset"  # made by the administration for an account that has one


class PasswordLink(BaseModel):
    """A one-time address where a person sets their password: an invitation to a new account or
    a reset made by the administration. Only the token's SHA-256 is kept; an account has at
    most one link, a new one replaces the old, and using it deletes it."""

    id = AutoField()
    account = ForeignKeyField(Account, unique=True, backref="password_links", on_delete="CASCADE")
    purpose = CharField(max_length=20)  # a LinkPurpose
    token_hash = CharField(max_length=64, unique=True)
    created_at = DateTimeField(default=utcnow)
    expires_at = DateTimeField()

    PERSONAL_DATA = {
        "account": _l("Whose password link this is (invitation or reset)."),
        "created_at": _l("Security: when the administration made the link."),
        "expires_at": _l("Security: until when the link works."),
    }
    NOT_PERSONAL_DATA = ("id", "purpose", "token_hash")


class SavedForm(BaseModel):
    """What someone typed into a form that arrived after their sign-in had ended, kept for that
    account until they are back on the form's page, at most an hour (auth.saved_forms).
    Never the CSRF token, never a password."""

    id = AutoField()
    account = ForeignKeyField(Account, backref="saved_forms", on_delete="CASCADE")
    path = CharField(max_length=500)  # the form's page, where the text is given back
    fields = TextField()  # JSON: [[name, value], …] as submitted, repeated names included
    created_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        indexes = ((("account", "path"), False),)

    PERSONAL_DATA = {
        "account": _l("Whose typed text this is: only this account gets it back."),
        "fields": _l(
            "What the person typed into a form when the sign-in had ended, to give it back "
            "after signing in again; deleted once given back or after an hour."
        ),
        "created_at": _l("When the text was kept, to delete it after an hour."),
    }
    NOT_PERSONAL_DATA = ("id", "path")
