"""Organisations and the accounts that belong to them: the one feature table every area and
core's own tables refer to (audit actor, outbox recipient, workflow history, notification
choices).

It lives in core rather than in `auth` because core's tables carry foreign keys to it: with the
model here, core imports no area and every area (auth included) imports it from below. A
deferred foreign key resolved at registration was the other choice; it would leave core's
queries without the model they join and make table creation depend on import order. Signing
in, passwords and second factors stay in `auth`."""

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
from intranet.platform.enums import LabelledEnum
from intranet.platform.i18n import lazy_gettext as _l
from intranet.platform.i18n import lazy_pgettext
from intranet.platform.prepared import Prepared


class Role(LabelledEnum):
    """What an account may do (`Account.role`), named after the people who hold it (the admin
    area itself is "Verwaltung"), with one line for the account form (DOMAIN.md)."""

    ADMIN = (
        "admin",
        lazy_pgettext("role", "Admin"),
        _l(
            "Manages accounts, organisations and settings and reads the audit log; sees "
            "restricted meetings and minutes only where named on them."
        ),
    )
    COORDINATOR = (
        "coordinator",
        lazy_pgettext("role", "Coordinator"),
        _l("Plans meetings, writes minutes and keeps the contact directory."),
    )
    REVIEWER = (
        "reviewer",
        lazy_pgettext("role", "Reviewer"),
        _l(
            "Checks minutes before they circulate and approves or returns them, for example the "
            "police liaison officer."
        ),
    )
    MEMBER = (
        "member",
        lazy_pgettext("role", "Member"),
        _l(
            "Represents an organisation: sees the calendar and the minutes shared with them, "
            "answers invitations and keeps their own directory entry."
        ),
    )


class OrganizationKind(LabelledEnum):
    """`Organization.kind`."""

    AUTHORITY = "authority", _l("Authority")
    ASSOCIATION = "association", _l("Association")
    COUNSELLING = "counselling", _l("Counselling service")
    OTHER = "other", _l("Other")


class OrganizationStatus(LabelledEnum):
    """`Organization.status`: signed the declaration, or invited without signing."""

    SIGNATORY = "signatory", _l("Signatory")
    GUEST = "guest", _l("Guest")


ROLES = tuple(Role)
# The password hash of an invited account until the person sets one: no password matches it
# (it is no Argon2 hash at all, see passwords.verify_password).
NO_PASSWORD = "!"  # noqa: S105 (a marker, not a password)


class Organization(BaseModel):
    """A participating body (OParl Organization)."""

    id = AutoField()
    name = CharField(unique=True)
    short_name = CharField(default="")
    kind = CharField(default=OrganizationKind.ASSOCIATION)
    status = CharField(default=OrganizationStatus.SIGNATORY)
    joined_on = DateField(null=True)
    website = CharField(default="")
    address = TextField(default="")
    # The organisation's general contact (not a person's): visible to the whole forum, so
    # that everyone has a way to reach an organisation whatever its people share.
    phone = CharField(max_length=50, default="")
    email = CharField(max_length=320, default="")
    office_hours = TextField(default="")
    created_at = DateTimeField(default=utcnow)

    PERSONAL_DATA = {
        "phone": _l("General phone of the organisation; personal only if it is someone's line."),
        "email": _l("General email of the organisation; personal only if it is someone's address."),
    }
    NOT_PERSONAL_DATA = (
        "id",
        "name",
        "short_name",
        "kind",
        "status",
        "joined_on",
        "website",
        "address",
        "office_hours",
        "created_at",
    )

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
    role = CharField(default=Role.MEMBER)
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

    PERSONAL_DATA = {
        "email": _l("Sign-in name and address for notices."),
        "display_name": _l("Shown to others in the intranet."),
        "organization": _l("Decides what the account may see."),
        "role": _l("Decides what the account may do."),
        "password_hash": _l("Argon2 hash of the password, to check the sign-in."),
        "last_login_at": _l("Security: to spot unused or misused accounts."),
        "created_at": _l("Accountability: when the account was made."),
        "password_changed_at": _l("Security: password age."),
        "active": _l("Whether the account may sign in."),
        "language": _l("The interface language the person chose."),
        "must_change_password": _l(
            "Whether the person must replace a password set by the administration."
        ),
    }
    NOT_PERSONAL_DATA = ("id", "session_version")

    @property
    def is_active(self):
        return self.active

    def get_id(self):
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self):
        return self.role == Role.ADMIN

    @property
    def has_password(self) -> bool:
        """False while an invited person has not yet chosen a password."""
        return self.password_hash != NO_PASSWORD


def _organizations_by_name():
    return Organization.select(Organization.id, Organization.name).order_by(Organization.name)


# Every filter and choice list of organisations reads this: compiled once.
_ORGANIZATIONS_BY_NAME = Prepared(_organizations_by_name)


def organizations_by_name() -> list[Organization]:
    """Every organisation's id and name (nothing else is read), ordered by name: what the
    filters and choice lists of every area show."""
    return list(_ORGANIZATIONS_BY_NAME.run())
