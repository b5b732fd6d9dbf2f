"""Forms for sign-in, first set-up and the own account."""

from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from intranet.auth.passwords import MAX_LENGTH
from intranet.core.forms import Form, visible
from intranet.platform.i18n import lazy_gettext as _l

REQUIRED = _l("Please fill in this field.")
# Every rule of passwords.check_policy up front, not only in the message after a refusal.
PASSWORD_HINT = _l(
    "At least 12 characters, without the name of the forum, of the organisation or the email "
    "address. A sentence of several words is easy to remember and hard to guess."
)
MISMATCH = _l("The two passwords do not match.")


def password_field(label, autocomplete="new-password", **kwargs):
    return PasswordField(
        label,
        validators=[DataRequired(REQUIRED), Length(max=MAX_LENGTH), *kwargs.pop("validators", [])],
        render_kw={"autocomplete": autocomplete},
        **kwargs,
    )


EMAIL_LABEL = _l("Email address")
NAME_LABEL = _l("Name")


def email_field(label=EMAIL_LABEL):
    return EmailField(
        label,
        validators=[
            DataRequired(REQUIRED),
            Length(max=320),
            Email(_l("Please enter a valid email address."), check_deliverability=False),
        ],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )


def name_field(label=NAME_LABEL):
    return StringField(
        label,
        validators=[DataRequired(REQUIRED), Length(max=200), visible],
        render_kw={"autocomplete": "name"},
    )


class LoginForm(Form):
    email = EmailField(
        _l("Email address"),
        validators=[DataRequired(REQUIRED), Length(max=320)],
        render_kw={"autocomplete": "username", "spellcheck": "false"},
    )
    password = password_field(_l("Password"), autocomplete="current-password")
    next = HiddenField()


class SetupForm(Form):
    display_name = name_field()
    email = email_field()
    password = password_field(_l("Password"), description=PASSWORD_HINT)
    password_repeat = password_field(
        _l("Repeat password"), validators=[EqualTo("password", MISMATCH)]
    )


class PasswordChangeForm(Form):
    current_password = password_field(_l("Current password"), autocomplete="current-password")
    new_password = password_field(_l("New password"), description=PASSWORD_HINT)
    new_password_repeat = password_field(
        _l("Repeat new password"), validators=[EqualTo("new_password", MISMATCH)]
    )


class SetPasswordForm(Form):
    """On the page of an invitation or reset link: the person's own password, twice."""

    password = password_field(_l("Password"), description=PASSWORD_HINT)
    password_repeat = password_field(
        _l("Repeat password"), validators=[EqualTo("password", MISMATCH)]
    )


class ChoosePasswordForm(Form):
    """After signing in with a password the administration typed."""

    new_password = password_field(_l("New password"), description=PASSWORD_HINT)
    new_password_repeat = password_field(
        _l("Repeat new password"), validators=[EqualTo("new_password", MISMATCH)]
    )


class EmptyForm(Form):
    """Only the CSRF token: for bare buttons such as sign-out."""


class SecondStepForm(Form):
    """The second step of sign-in: a code from the app or a recovery code (field `code`)."""

    code = StringField(
        _l("Code"),
        validators=[DataRequired(REQUIRED), Length(max=64), visible],
        description=_l(
            "The 6-digit code your authenticator app shows now, or one of your recovery codes."
        ),
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false", "autocapitalize": "off"},
    )


class SecondFactorSetupForm(Form):
    code = StringField(
        _l("Code from the app"),
        validators=[DataRequired(REQUIRED), Length(max=64), visible],
        description=_l("The 6-digit code your authenticator app shows now."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"},
    )


class ConfirmPasswordForm(Form):
    """Asks for the password again before a change to the second factor."""

    password = password_field(_l("Your password"), autocomplete="current-password")


def notifications_form(account, settings):
    """The choices on /account: per topic the person's role gets mail about, how; the hour of
    the daily summary; an alarm before meetings in the calendar feed."""
    from wtforms import RadioField, SelectField
    from wtforms.fields.choices import SelectChoice
    from wtforms.validators import InputRequired

    from intranet.core import notifications as told

    choices = [SelectChoice(code, label) for code, label in told.Delivery.choices()]

    class NotificationsForm(Form):
        pass

    current = told.choices_of(account, settings)
    for topic in current:
        setattr(
            NotificationsForm,
            topic.value,
            RadioField(
                told.Topic(topic).label,
                choices=choices,
                default=current[topic],
                validators=[InputRequired(_l("Please choose one."))],
            ),
        )
    NotificationsForm.digest_hour = SelectField(
        _l("Time of the daily summary"),
        choices=[SelectChoice(hour, f"{hour:02d}:00") for hour in range(24)],
        coerce=int,
        default=settings.digest_hour,
    )
    NotificationsForm.alarm_minutes = SelectField(
        _l("Alarm before each meeting in your calendar subscription"),
        description=_l(
            "Your calendar program reminds you this long before each meeting of the calendar "
            "address below."
        ),
        choices=[
            SelectChoice(minutes, label)
            for minutes, label in (
                (0, _l("no alarm")),
                (15, _l("15 minutes before")),
                (30, _l("30 minutes before")),
                (60, _l("1 hour before")),
                (120, _l("2 hours before")),
                (1440, _l("1 day before")),
            )
        ],
        coerce=int,
        default=settings.alarm_minutes or 0,
    )
    return NotificationsForm(prefix="told")
