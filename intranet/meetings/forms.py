"""Forms for meetings, agenda items, cancellation and attendance."""

from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from intranet.auth.forms import REQUIRED
from intranet.core import sharing, text
from intranet.core.forms import URL_MESSAGE, Form, visible
from intranet.meetings import recurrence
from intranet.meetings.models import AttendanceStatus
from intranet.platform.i18n import lazy_gettext as _l

DATE_MESSAGE = _l("Please enter a date, e.g. 2027-03-17.")
TIME_MESSAGE = _l("Please enter a time, e.g. 18:00.")


def markdown_field(label, **kwargs) -> TextAreaField:
    """A Markdown text (descriptions, notes, minutes), bounded so that showing it stays fast."""
    return TextAreaField(
        label,
        validators=[
            Optional(),
            Length(
                max=text.MAX_LENGTH,
                message=_l("The text may be at most 20,000 characters long."),
            ),
        ],
        **kwargs,
    )


class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MeetingForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(REQUIRED), Length(max=300), visible])
    date = DateField(
        _l("Date"), validators=[InputRequired(DATE_MESSAGE)], render_kw={"autocomplete": "off"}
    )
    start_time = TimeField(
        _l("Start time"),
        validators=[InputRequired(TIME_MESSAGE)],
        description=_l("Local time in Dresden (Europe/Berlin)."),
    )
    end_time = TimeField(_l("End"), validators=[InputRequired(TIME_MESSAGE)])
    room = StringField(_l("Room"), validators=[Optional(), Length(max=200)])
    street = StringField(_l("Street and number"), validators=[Optional(), Length(max=200)])
    postal_code = StringField(_l("Postal code"), validators=[Optional(), Length(max=10)])
    city = StringField(_l("City"), validators=[Optional(), Length(max=100)])
    online_url = URLField(
        _l("Online link"),
        validators=[Optional(), URL(message=URL_MESSAGE), Length(max=1000)],
    )
    description = markdown_field(
        _l("Description"),
        description=_l("Markdown: **bold**, *italic*, lists with -, links as [text](https://…)."),
    )
    organization = SelectField(_l("Organising organisation"), coerce=int, default=0)
    invited = CheckboxListField(_l("Invited organisations"), coerce=int, default=[])
    label = SelectField(
        _l("Sharing label"),
        choices=sharing.label_choices,
        default=sharing.DEFAULT,
        description=_l("AMBER: organiser and invited organisations. RED: only the persons named."),
    )
    persons = CheckboxListField(
        _l("Persons named (for TLP:RED)"), coerce=int, default=[], validators=[Optional()]
    )
    chatham_house = BooleanField(
        _l("Chatham House Rule"),
        description=_l(
            "Statements may be used, but not attributed to anyone: the minutes name no speakers "
            "and no attendees."
        ),
    )
    repeat = SelectField(
        _l("Repeat"),
        choices=[SelectChoice(k, v) for k, v in recurrence.KIND_LABELS.items()],
        default="",
    )
    repeat_until = DateField(
        _l("Repeat until"),
        validators=[Optional()],
        description=_l("At most two years ahead."),
    )
    scope = RadioField(
        _l("Apply changes to"),
        choices=[
            SelectChoice("this", _l("only this meeting")),
            SelectChoice("following", _l("this and all following meetings of the series")),
        ],
        default="this",
    )
    version = HiddenField()


class CancelForm(Form):
    reason = TextAreaField(
        _l("Reason for the cancellation"),
        validators=[
            Length(max=2000, message=_l("The reason may be at most 2,000 characters long."))
        ],
    )
    version = HiddenField()


class SeriesTemplateForm(Form):
    minutes_template = markdown_field(
        _l("Template for the minutes"),
        description=_l(
            "New minutes of a meeting of this series start with the agenda, followed by this "
            'text (Markdown, e.g. "### Welcome" for a fixed section). Minutes already '
            "started keep their text."
        ),
        render_kw={"rows": 14},
    )


class AgendaItemForm(Form):
    title = StringField(
        _l("Title of the item"), validators=[DataRequired(REQUIRED), Length(max=300), visible]
    )
    description = markdown_field(_l("Notes"))
    organization = SelectField(_l("Presented by"), coerce=int, default=0)
    label = SelectField(
        _l("Sharing label of the item"), choices=sharing.label_choices, default=sharing.DEFAULT
    )


class AttendanceRowForm(Form):
    class Meta:
        csrf = False  # the enclosing form carries the token

    organization_id = IntegerField(validators=[InputRequired()])
    # No default: "present" for every organisation would record guesses. The page presets
    # only what the answers say (accepted → present, declined → excused), marked as such.
    status = SelectField(
        _l("Attendance"),
        choices=[
            SelectChoice("", _l("— please choose —")),
            *(SelectChoice(code, label) for code, label in AttendanceStatus.choices()),
        ],
        validators=[DataRequired(message=_l("Please choose a status for every organisation."))],
    )
    names = StringField(_l("Names (optional)"), validators=[Optional(), Length(max=500)])


class AttendanceForm(Form):
    rows = FieldList(FormField(AttendanceRowForm))
