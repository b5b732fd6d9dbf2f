"""Forms for minutes: the draft, sections, decisions, action items, workflow steps, comments."""

from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from intranet.auth.forms import REQUIRED
from intranet.core import sharing
from intranet.core.forms import Form, visible
from intranet.minutes.models import CommentKind, DecisionResult
from intranet.platform.i18n import lazy_gettext as _l

MARKDOWN_HINT = _l("Markdown: **bold**, *italic*, lists with -, headings with ###.")
# About 40 pages: the longest minutes still render in a fraction of a second even when written
# to be slow (only coordinators write them, and each text is rendered once, then cached).
BODY_MAX = 100_000


class MinutesForm(Form):
    chair = StringField(_l("Chair"), validators=[Optional(), Length(max=200)])
    minute_taker = StringField(_l("Minutes taken by"), validators=[Optional(), Length(max=200)])
    actual_start = TimeField(
        _l("Actual start"), validators=[Optional()], description=_l("On the day of the meeting.")
    )
    actual_end = TimeField(_l("Actual end"), validators=[Optional()])
    body = TextAreaField(
        _l("Text of the minutes"),
        validators=[Optional(), Length(max=BODY_MAX)],
        description=MARKDOWN_HINT,
        render_kw={"rows": 20},
    )
    label = SelectField(
        _l("Sharing label"),
        choices=sharing.label_choices,
        default=sharing.DEFAULT,
        description=_l(
            "AMBER: the meeting's organiser and invited organisations. RED: only the persons named on the meeting."
        ),
    )
    chatham_house = BooleanField(
        _l("Chatham House Rule"),
        description=_l("Statements may be used, but not attributed to anyone."),
    )
    # Asked only when the new label lets more people read (editing.widens).
    confirm_wider = BooleanField(
        _l("Yes, everyone under the new label may read the whole text"),
    )
    version = HiddenField()


class GeneralTextForm(Form):
    """The general part of minutes with agenda items (the text before the first item), saved
    on its own like an item. Its names are the editor's own (`body`, `version`), so that text
    kept when the sign-in ended comes back into it (routes.edit)."""

    body = TextAreaField(
        _l("Notes"),
        validators=[Optional(), Length(max=BODY_MAX)],
        description=MARKDOWN_HINT,
    )
    version = HiddenField()


class SectionForm(Form):
    title = StringField(
        _l("Title of the section"), validators=[DataRequired(REQUIRED), Length(max=300), visible]
    )
    text = TextAreaField(
        _l("Notes"),
        validators=[Optional(), Length(max=BODY_MAX)],
        description=MARKDOWN_HINT,
        render_kw={"rows": 8},
    )
    label = SelectField(
        _l("Sharing label of the section"),
        choices=sharing.label_choices,
        default=sharing.DEFAULT,
        description=_l(
            "Narrows who reads this section. AMBER: the organisation below and the organiser."
        ),
    )
    organization = SelectField(_l("Organisation of the section"), coerce=int, default=0)
    version = HiddenField()


def fit_rows(field, minimum: int = 4, maximum: int = 60, width: int = 70) -> None:
    """Give a text box as many rows as its text needs (lines wrapped at about `width`
    characters), so that all of it shows without JavaScript; while typing, CSS
    `field-sizing: content` (or the fallback in app.js) lets the box grow further."""
    text = field.data or ""
    lines = sum(1 + len(line) // width for line in text.split("\n")) + 1
    rows = max(minimum, min(maximum, lines))
    field.render_kw = {**(field.render_kw or {}), "rows": rows, "data-autogrow": ""}


VOTES = [
    Optional(),
    NumberRange(min=0, max=10_000, message=_l("Please enter a number from 0 to 10,000.")),
]


class DecisionForm(Form):
    text = TextAreaField(_l("Decision"), validators=[DataRequired(REQUIRED), Length(max=5000)])
    result = SelectField(
        _l("Result"),
        choices=[SelectChoice(code, label) for code, label in DecisionResult.choices()],
        default=DecisionResult.NOT_STATED.value,
    )
    # The fieldset's legend says what the counts are for (a vote by majority).
    votes_yes = IntegerField(_l("Votes in favour"), validators=VOTES)
    votes_no = IntegerField(_l("Votes against"), validators=VOTES)
    votes_abstained = IntegerField(_l("Abstentions"), validators=VOTES)


class ActionItemForm(Form):
    text = TextAreaField(_l("Action item"), validators=[DataRequired(REQUIRED), Length(max=5000)])
    responsible = StringField(
        _l("Responsible"),
        validators=[Optional(), Length(max=200)],
        description=_l("An organisation or a person's name."),
    )
    due_on = DateField(_l("Due on"), validators=[Optional()])


class CarryForm(Form):
    meeting = SelectField(
        _l("Meeting"),
        coerce=int,
        validate_choice=False,  # the service checks the choice against what the actor may see
        description=_l("The next meeting of the same series is suggested."),
    )


class StepForm(Form):
    """A workflow step; the button's value names it."""

    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=5000)])


class CommentForm(Form):
    # What the comment is about decides who reads it: a section's audience, or the minutes'.
    section = SelectField(
        _l("About"),
        coerce=int,
        default=0,
        description=_l("A comment on an agenda item is read only by those who may read that item."),
    )
    kind = RadioField(
        _l("Kind"),
        choices=[
            SelectChoice(CommentKind.COMMENT.value, CommentKind.COMMENT.label),
            SelectChoice(
                CommentKind.OBJECTION.value, _l("Objection (blocks the release until resolved)")
            ),
        ],
        default=CommentKind.COMMENT.value,
    )
    text = TextAreaField(_l("Your text"), validators=[DataRequired(REQUIRED), Length(max=5000)])


class ResolveForm(Form):
    resolution = TextAreaField(
        _l("How was the objection resolved?"),
        validators=[DataRequired(REQUIRED), Length(max=5000)],
    )
