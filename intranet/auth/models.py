"""Organisations and the accounts that belong to them."""

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

from intranet.db import BaseModel, utcnow

ORGANIZATION_KINDS = ("authority", "association", "counselling", "other")
ORGANIZATION_STATUSES = ("signatory", "guest")
ROLES = ("admin", "coordinator", "reviewer", "member")


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
    # The organisation's general contact (not a person's): visible to the whole forum.
    phone = CharField(max_length=50, default="")
    email = CharField(max_length=320, default="")
    created_at = DateTimeField(default=utcnow)

    def __str__(self):
        return self.name


class Account(UserMixin, BaseModel):
    """A person who can sign in. Email is stored case-folded and is unique."""

    id = AutoField()
    email = CharField(unique=True)
    display_name = CharField()
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

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self):
        return self.role == "admin"


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
