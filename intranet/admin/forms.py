"""Admin forms."""

from wtforms import (
    DateField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    URL,
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from intranet.auth.forms import PASSWORD_HINT, REQUIRED, email_field, name_field, password_field
from intranet.auth.passwords import MAX_LENGTH
from intranet.core import site_settings
from intranet.core.accounts import OrganizationKind, OrganizationStatus, Role
from intranet.core.forms import URL_MESSAGE, Form, visible
from intranet.directory.forms import OrganizationContactForm
from intranet.platform.i18n import lazy_gettext as _l


def role_field():
    # Radio buttons, each with a line on what the role may do (templates: radio_group).
    return RadioField(
        _l("Role"),
        choices=[SelectChoice(code, label) for code, label in Role.choices()],
        default=Role.MEMBER.value,
        validators=[InputRequired(_l("Please choose a role."))],
    )


ACCESS_CHOICES = {
    "link": _l("Invitation link (recommended)"),
    "password": _l("I set a first password"),
}
ACCESS_HINTS = {
    "link": _l(
        "The person chooses their own password at a link that works once, for 72 hours. "
        "You see the link after saving; with mail switched on, it is also sent to the person."
    ),
    "password": _l(
        "For people without email: tell them the password in person or by phone. They must "
        "choose their own at the first sign-in."
    ),
}


class AccountForm(Form):
    display_name = name_field()
    email = email_field()
    role = role_field()
    organization = SelectField(_l("Organisation"), coerce=int, validators=[Optional()])
    # Without a choice (an older form, a script) a typed password means "password".
    access = RadioField(
        _l("How the person gets in"),
        choices=[SelectChoice(key, label) for key, label in ACCESS_CHOICES.items()],
        default="link",
        validators=[Optional()],
    )
    password = PasswordField(
        _l("First password"),
        validators=[Optional(), Length(max=MAX_LENGTH)],
        description=_l(
            "Only when you set a first password. At least 12 characters; a sentence of several "
            "words is easy to remember and hard to guess."
        ),
        render_kw={"autocomplete": "new-password"},
    )

    def access_method(self) -> str:
        if self.access.raw_data and self.access.data in ACCESS_CHOICES:
            return self.access.data
        return "password" if self.password.data else "link"

    def validate_password(self, field):
        if self.access_method() == "password" and not field.data:
            raise ValidationError(REQUIRED)


class OrganizationForm(OrganizationContactForm):
    """Everything about an organisation; its contact part is also kept by the coordinators."""

    name = StringField(_l("Name"), validators=[DataRequired(REQUIRED), Length(max=200), visible])
    short_name = StringField(_l("Short name"), validators=[Optional(), Length(max=50)])
    # No kind is preselected: a preselected one is saved unread (most members are associations,
    # and "authority" widens who sees its people's work numbers).
    kind = RadioField(
        _l("Kind"),
        choices=[SelectChoice(code, label) for code, label in OrganizationKind.choices()],
        validators=[InputRequired(_l("Please choose the kind of organisation."))],
    )
    status = SelectField(
        _l("Status in the forum"),
        choices=[SelectChoice(code, label) for code, label in OrganizationStatus.choices()],
    )
    joined_on = DateField(_l("Joined the forum on"), validators=[Optional()])
    website = URLField(
        _l("Website"), validators=[Optional(), URL(message=URL_MESSAGE), Length(max=500)]
    )


def days_field(label, description):
    """A number of days the admin may set (core.site_settings.DAYS gives its range); empty
    means the server's setting."""
    return StringField(
        label,
        description=description,
        validators=[Optional(), lambda form, field: _days_in_range(field)],
        render_kw={"inputmode": "numeric"},
    )


class SiteSettingsForm(Form):
    imprint_url = URLField(
        _l("Address of the imprint"),
        validators=[Optional(), URL(message=URL_MESSAGE), Length(max=500)],
    )
    privacy_url = URLField(
        _l("Address of the privacy notice"),
        validators=[Optional(), URL(message=URL_MESSAGE), Length(max=500)],
    )
    accessibility_contact = StringField(
        _l("Contact for accessibility questions (email or phone)"),
        validators=[Optional(), Length(max=200)],
    )
    # Rendered as one checkbox per role (templates/admin/settings.html).
    second_factor_roles = SelectMultipleField(
        _l("Second factor required for"),
        choices=[SelectChoice(code, label) for code, label in Role.choices()],
        description=_l(
            "Accounts with these roles set up a second factor at their next sign-in and then "
            "always sign in with a code from their app. Everyone else may switch it on under "
            "My account."
        ),
    )
    audit_retention_days = days_field(
        _l("Keep the audit log for (days)"),
        description=_l(
            "The command “audit prune” removes older entries. Empty: the server's setting "
            "(365 days unless changed there)."
        ),
    )
    minutes_objection_days = days_field(
        _l("Objection period for minutes (days)"),
        description=_l(
            "How long approved minutes circulate for objections, to the end of the last day. "
            "Applies to minutes approved from now on. Empty: the server's setting (14 days "
            "unless changed there)."
        ),
    )
    meeting_reminder_days = days_field(
        _l("Reminder before a meeting (days)"),
        description=_l(
            "Everyone who accepted a meeting gets one reminder mail this many days before it. "
            "Empty: the server's setting (2 days unless changed there)."
        ),
    )


def _days_in_range(field):
    _config_key, low, high = site_settings.DAYS[field.name]
    if not (field.data.isdigit() and low <= int(field.data) <= high):
        raise ValidationError(
            _l("Please enter a number of days from %(low)s to %(high)s.", low=low, high=high)
        )


class AccountEditForm(Form):
    display_name = name_field()
    email = email_field()
    role = role_field()
    organization = SelectField(_l("Organisation"), coerce=int, validators=[Optional()])
    # What the account looked like when the form was opened; a mismatch means someone else
    # changed it in the meantime and the edit must not overwrite that silently.
    fingerprint = HiddenField()


class PasswordResetForm(Form):
    password = password_field(_l("New password"), description=PASSWORD_HINT)
