"""People in the directory (OParl Person) and their organisation memberships (OParl Membership)."""

from peewee import (
    AutoField,
    CharField,
    DateField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    TextField,
)

from intranet.core.accounts import Account, Organization
from intranet.platform.db import BaseModel, utcnow
from intranet.platform.enums import LabelledEnum
from intranet.platform.i18n import lazy_gettext as _l


class Visibility(LabelledEnum):
    """Who may see a phone number or email address besides coordinators and the person
    themself (`Person.*_visibility`)."""

    FORUM = "forum", _l("Whole forum")
    ORGANIZATION = "organization", _l("Own organisation")
    COORDINATORS = "coordinators", _l("Coordinators only")


VISIBILITIES = tuple(Visibility)
# The cautious default: a new number is seen by coordinators only until someone widens it.
DEFAULT_VISIBILITY = Visibility.COORDINATORS
CONTACT_FIELDS = ("phone", "mobile", "email")
FORMS_OF_ADDRESS = ("", "ms", "mr")
CONSENT_BASES = ("", "consent", "explicit_consent", "public_task", "legitimate_interest")


class Person(BaseModel):
    """A contact entry. It need not have an account; an account has at most one entry."""

    id = AutoField()
    account = ForeignKeyField(
        Account, null=True, unique=True, backref="people", on_delete="SET NULL"
    )
    organization = ForeignKeyField(Organization, backref="people", on_delete="RESTRICT")
    function = CharField(max_length=200, index=True)
    title = CharField(max_length=50, default="")
    given_name = CharField(max_length=100, default="")
    family_name = CharField(max_length=100)
    form_of_address = CharField(max_length=10, default="")
    phone = CharField(max_length=50, default="")
    phone_visibility = CharField(max_length=20, default=DEFAULT_VISIBILITY)
    mobile = CharField(max_length=50, default="")
    mobile_visibility = CharField(max_length=20, default=DEFAULT_VISIBILITY)
    email = CharField(max_length=320, default="")
    email_visibility = CharField(max_length=20, default=DEFAULT_VISIBILITY)
    languages = CharField(max_length=200, default="")
    consent_on = DateField(null=True)
    consent_basis = CharField(max_length=30, default="")
    consent_recorded_by = ForeignKeyField(
        Account, null=True, backref="+", on_delete="SET NULL", column_name="consent_recorded_by_id"
    )
    # Folded copies for accent-insensitive search and A–Z; rebuilt on every save.
    search_key = TextField(default="")
    sort_key = CharField(max_length=250, default="", index=True)
    # Raised on every save: an edit based on an older version is refused, not applied.
    version = IntegerField(default=1)
    created_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)

    PERSONAL_DATA = {
        "account": _l("Link to the person's own account, so they can keep their entry."),
        "organization": _l("The organisation the person represents in the forum."),
        "function": _l("Role in the organisation, to know whom to ask."),
        "title": _l("Academic title, for correct address."),
        "given_name": _l("Name, to identify the contact person."),
        "family_name": _l("Name, to identify the contact person."),
        "form_of_address": _l("Form of address, for correct letters and emails."),
        "phone": _l("Office phone, to reach the person; visible as the person chooses."),
        "phone_visibility": _l("Who may see the office phone."),
        "mobile": _l("Mobile phone, to reach the person; visible as the person chooses."),
        "mobile_visibility": _l("Who may see the mobile phone."),
        "email": _l("Email address, to reach the person; visible as the person chooses."),
        "email_visibility": _l("Who may see the email address."),
        "languages": _l("Preferred languages, to talk in a language the person knows."),
        "consent_on": _l("When the person agreed to be listed (accountability, Art. 7 DSGVO)."),
        "consent_basis": _l("Legal basis of the listing (accountability, Art. 7 DSGVO)."),
        "consent_recorded_by": _l("Who recorded the consent (accountability)."),
        "search_key": _l("Name and function without accents, so that search finds them."),
        "sort_key": _l("Name without accents, for alphabetical order."),
    }
    NOT_PERSONAL_DATA = ("id", "version", "created_at", "updated_at")

    class Meta:
        indexes = ((("organization", "sort_key"), False),)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.title, self.given_name, self.family_name) if part)

    def __str__(self):
        return self.full_name


class Membership(BaseModel):
    """A person's membership in an organisation, with role, period and deputy (OParl)."""

    id = AutoField()
    # Empty once anonymised after the retention period: the organisation keeps the fact
    # that the role was filled, not by whom.
    person = ForeignKeyField(Person, null=True, backref="memberships", on_delete="CASCADE")
    organization = ForeignKeyField(Organization, backref="memberships", on_delete="CASCADE")
    role = CharField(max_length=200, default="")
    start_date = DateField(null=True)
    end_date = DateField(null=True, index=True)
    on_behalf_of = ForeignKeyField(
        Person,
        null=True,
        backref="deputised_memberships",
        on_delete="SET NULL",
        column_name="on_behalf_of_id",
    )
    anonymized_at = DateTimeField(null=True)
    created_at = DateTimeField(default=utcnow)

    PERSONAL_DATA = {
        "person": _l("Who held the role."),
        "organization": _l("In which organisation (may reveal a religious affiliation, Art. 9)."),
        "role": _l("The role held, to know whom to ask."),
        "start_date": _l("Since when, to keep the list current."),
        "end_date": _l("Until when; ended memberships are anonymised after the retention period."),
        "on_behalf_of": _l("Whom the person deputises for (Vertretung)."),
    }
    NOT_PERSONAL_DATA = ("id", "anonymized_at", "created_at")
