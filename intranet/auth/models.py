"""Organisations and the accounts that belong to them."""

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from peewee import (
    AutoField,
    BooleanField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from intranet.platform.db import BaseModel, utcnow

ORGANIZATION_KINDS = ("authority", "association", "counselling", "other")
ORGANIZATION_STATUSES = ("signatory", "guest")
ROLES = ("admin", "coordinator", "reviewer", "member")
# The password hash of an invited account until the person sets one: no password matches it
# (it is no Argon2 hash at all, see passwords.verify_password).
NO_PASSWORD = "!"  # noqa: S105 (a marker, not a password)


class Organization(BaseModel):
    """A participating body (OParl Organization)."""

    id = AutoField()
    name = CharField(unique=True)
    short_name = CharField(default="")
    kind = CharField(default="association")
    status = CharField(default="signatory")
    joined_on = DateField(null=True)
    website = CharField(default="")
    address = TextField(default="")
    # The organisation's general contact (not a person's): visible to the whole forum, so
    # that everyone has a way to reach an organisation whatever its people share.
    phone = CharField(max_length=50, default="")
    email = CharField(max_length=320, default="")
    office_hours = TextField(default="")
    created_at = DateTimeField(default=utcnow)

    def __str__(self):
        return self.name


class Account(UserMixin, BaseModel):
    """A person who can sign in. Email is stored case-folded and is unique."""

    id = AutoField()
    email = CharField(unique=True)
    display_name = CharField()
    # The interface language the person chose ("de", "en"); None until they choose one.
    language = CharField(max_length=5, null=True)
    organization = ForeignKeyField(
        Organization, null=True, backref="accounts", on_delete="RESTRICT"
    )
    role = CharField(default="member")
    password_hash = CharField()
    active = BooleanField(default=True)
    # Raised on logout, password change and deactivation: every session that
    # carries an older number is void, including copied cookies.
    session_version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    last_login_at = DateTimeField(null=True)
    password_changed_at = DateTimeField(default=utcnow)
    # Set when an administrator typed the password: the person chooses their own at the next
    # sign-in before anything else (auth.routes.require_own_password).
    must_change_password = BooleanField(default=False)

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self):
        return self.role == "admin"

    @property
    def has_password(self) -> bool:
        """False while an invited person has not yet chosen a password."""
        return self.password_hash != NO_PASSWORD


class LoginFailure(BaseModel):
    """A failed sign-in, kept for the throttling window."""

    id = AutoField()
    at = DateTimeField(default=utcnow, index=True)
    email = CharField(index=True)
    address = CharField(index=True)


class SetupToken(BaseModel):
    """The hash of the one-time address that creates the first admin."""

    token_hash = CharField(primary_key=True)
    created_at = DateTimeField(default=utcnow)


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


class PasswordLink(BaseModel):
    """A one-time address where a person sets their password: an invitation to a new account or
    a reset made by the administration. Only the token's SHA-256 is kept; an account has at
    most one link, a new one replaces the old, and using it deletes it."""

    id = AutoField()
    account = ForeignKeyField(Account, unique=True, backref="password_links", on_delete="CASCADE")
    purpose = CharField(max_length=20)  # "invitation" or "reset"
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
