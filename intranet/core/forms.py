"""The base form of every area: cleans each text field by its kind before any validator runs."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField, URLField
from wtforms.validators import ValidationError

from intranet.platform.cleaning import clean_line, clean_text, has_visible, web_address
from intranet.platform.i18n import lazy_gettext as _l

NOTHING_VISIBLE = _l("Please enter at least one letter or digit.")
URL_MESSAGE = _l("Please enter a web address such as www.example.org.")


def line_filter(value):
    """`clean_line` for submitted strings; None (field not sent) stays None."""
    return clean_line(value) if isinstance(value, str) else value


def text_filter(value):
    return clean_text(value) if isinstance(value, str) else value


def url_filter(value):
    return web_address(value) if isinstance(value, str) else value


def cleaning_filter(field_class):
    """The cleaning a field class gets, or None for fields that hold no free text."""
    if issubclass(field_class, PasswordField):
        # Passwords are only hashed, never stored or shown; cleaning them would make a
        # password chosen earlier with, say, two spaces in a row stop working.
        return None
    if issubclass(field_class, TextAreaField):
        return text_filter
    if issubclass(field_class, URLField):
        return url_filter
    if issubclass(field_class, StringField):  # also Email, Search, Tel and Hidden fields
        return line_filter
    return None


class Form(FlaskForm):
    """Inherit from this, never from FlaskForm: a test checks every form in the package."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            cleaning = cleaning_filter(unbound_field.field_class)
            if cleaning is not None:
                # First, so that the field's own filters and all validators see clean text.
                filters = (cleaning, *unbound_field.kwargs.get("filters", ()))
                options = {**options, "filters": filters}
            return super().bind_field(form, unbound_field, options)


def visible(form, field):
    """Validator for required names and titles: something a reader can see."""
    if field.data and not has_visible(field.data):
        raise ValidationError(NOTHING_VISIBLE)
