"""The barrier report form."""

from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from intranet.auth.forms import REQUIRED
from intranet.core.forms import Form
from intranet.platform.i18n import lazy_gettext as _l


class BarrierReportForm(Form):
    page = StringField(
        _l("Which page or function is affected?"),
        validators=[Optional(), Length(max=500)],
    )
    message = TextAreaField(
        _l("Describe the barrier"),
        validators=[DataRequired(REQUIRED), Length(max=4000)],
    )
    contact = StringField(
        _l("How can we reach you?"),
        validators=[Optional(), Length(max=320)],
        description=_l("Leave empty to report anonymously."),
    )
