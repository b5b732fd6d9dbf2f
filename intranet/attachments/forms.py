"""The upload form: a title, a sharing label and the file."""

from flask_wtf.file import FileField
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import Length, Optional

from intranet.core import sharing
from intranet.core.forms import Form
from intranet.platform.i18n import lazy_gettext as _l


class AttachmentForm(Form):
    owner = HiddenField()
    file = FileField(_l("File"))
    name = StringField(
        _l("Title"),
        validators=[Optional(), Length(max=300)],
        description=_l("Shown in the list; without a title the file name is shown."),
    )
    # AMBER+STRICT allows no downloads, so it is no choice for a file.
    label = SelectField(
        _l("Who may see the file"),
        choices=lambda: sharing.label_choices(exclude=(sharing.AMBER_STRICT,)),
        default=sharing.DEFAULT,
    )
