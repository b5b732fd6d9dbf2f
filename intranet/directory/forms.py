"""Forms of the directory: an entry, a membership, the search box, the CSV upload."""

from flask_wtf.file import FileField
from wtforms import DateField, EmailField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from intranet.auth.forms import REQUIRED
from intranet.core.forms import Form, visible
from intranet.directory.models import (
    CONSENT_BASES,
    DEFAULT_VISIBILITY,
    FORMS_OF_ADDRESS,
    Visibility,
)
from intranet.platform.i18n import lazy_gettext as _l

VISIBILITY_LABELS = Visibility.labels()
FORM_OF_ADDRESS_LABELS = {"": _l("— none —"), "ms": _l("Ms"), "mr": _l("Mr")}
CONSENT_BASIS_LABELS = {
    "": _l("— not recorded —"),
    "consent": _l("Consent (Art. 6(1)(a) DSGVO)"),
    "explicit_consent": _l("Explicit consent (Art. 9(2)(a) DSGVO)"),
    "public_task": _l("Public task (Art. 6(1)(e) DSGVO)"),
    "legitimate_interest": _l("Legitimate interest (Art. 6(1)(f) DSGVO)"),
}
CONTACT_FIELD_LABELS = {
    "phone": _l("Office phone"),
    "mobile": _l("Mobile phone"),
    "email": _l("Email address"),
}
PHONE_PATTERN = r"^[0-9+()/ .\-]*$"
PHONE_MESSAGE = _l("Please use only digits, spaces and + ( ) / - .")
VISIBILITY_HINT = _l("Coordinators and the person themself always see it.")


def optional_email():
    return [
        Optional(),
        Length(max=320),
        Email(_l("Please enter a valid email address."), check_deliverability=False),
    ]


def visibility_field(label):
    return SelectField(
        label,
        choices=[SelectChoice(code, words) for code, words in Visibility.choices()],
        default=DEFAULT_VISIBILITY.value,
        description=VISIBILITY_HINT,
    )


class PersonForm(Form):
    version = HiddenField()
    form_of_address = SelectField(
        _l("Form of address"),
        choices=[SelectChoice(v, FORM_OF_ADDRESS_LABELS[v]) for v in FORMS_OF_ADDRESS],
        validators=[Optional()],
    )
    title = StringField(_l("Title"), validators=[Optional(), Length(max=50)])
    given_name = StringField(_l("Given name"), validators=[Optional(), Length(max=100), visible])
    family_name = StringField(
        _l("Family name"),
        validators=[DataRequired(REQUIRED), Length(max=100), visible],
        description=_l("Or the one name, for people who have only one."),
    )
    organization = SelectField(_l("Organisation"), coerce=int)
    function = StringField(
        _l("Function"),
        validators=[DataRequired(REQUIRED), Length(max=200), visible],
        description=_l("For example: chair, press officer, imam, prevention officer."),
    )
    phone = StringField(
        _l("Office phone"),
        validators=[Optional(), Length(max=50), Regexp(PHONE_PATTERN, message=PHONE_MESSAGE)],
        render_kw={"autocomplete": "off", "inputmode": "tel"},
    )
    phone_visibility = visibility_field(_l("Who may see the office phone"))
    mobile = StringField(
        _l("Mobile phone"),
        validators=[Optional(), Length(max=50), Regexp(PHONE_PATTERN, message=PHONE_MESSAGE)],
        render_kw={"autocomplete": "off", "inputmode": "tel"},
    )
    mobile_visibility = visibility_field(_l("Who may see the mobile phone"))
    email = StringField(
        _l("Email address"),
        validators=optional_email(),
        render_kw={"autocomplete": "off", "spellcheck": "false", "inputmode": "email"},
    )
    email_visibility = visibility_field(_l("Who may see the email address"))
    languages = StringField(
        _l("Preferred languages"),
        validators=[Optional(), Length(max=200)],
        description=_l("For example: German, Turkish, Arabic."),
    )
    consent_on = DateField(_l("Consent given on"), validators=[Optional()])
    consent_basis = SelectField(
        _l("Legal basis of the listing"),
        choices=[SelectChoice(v, CONSENT_BASIS_LABELS[v]) for v in CONSENT_BASES],
        validators=[Optional()],
    )
    account = SelectField(
        _l("Account of this person"),
        coerce=int,
        validators=[Optional()],
        description=_l("So that the person can keep their own entry."),
    )


class OrganizationContactForm(Form):
    """How the whole forum reaches an organisation, whatever its people share."""

    phone = StringField(
        _l("General phone"),
        validators=[Optional(), Length(max=50), Regexp(PHONE_PATTERN, message=PHONE_MESSAGE)],
        render_kw={"inputmode": "tel"},
    )
    email = EmailField(_l("General email"), validators=optional_email())
    address = TextAreaField(_l("Postal address"), validators=[Optional(), Length(max=500)])
    office_hours = TextAreaField(
        _l("Office hours"),
        validators=[Optional(), Length(max=500)],
        description=_l("When someone answers the phone or the door, e.g. Mon–Thu 9–16."),
    )


class MembershipForm(Form):
    organization = SelectField(_l("Organisation"), coerce=int)
    role = StringField(_l("Role"), validators=[DataRequired(REQUIRED), Length(max=200), visible])
    start_date = DateField(_l("From"), validators=[Optional()])
    end_date = DateField(_l("Until"), validators=[Optional()])
    on_behalf_of = SelectField(
        _l("Deputy for"),
        coerce=int,
        validators=[Optional()],
        description=_l("The person this one deputises for (Vertretung)."),
    )

    def validate_end_date(self, field):
        if field.data and self.start_date.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end must not be before the start."))


class ImportUploadForm(Form):
    file = FileField(
        _l("CSV file"),
        description=_l(
            "Separated by semicolons, UTF-8, first line with the column names as in the export."
        ),
    )


class ImportConfirmForm(Form):
    """The pending rows are named by the address; the form only says which rows to write."""

    mode = HiddenField()
