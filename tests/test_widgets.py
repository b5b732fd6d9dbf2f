"""Form fields' attributes (`platform.widgets.html_params`) read exactly as WTForms writes them."""

import itertools

import wtforms
import wtforms.widgets
from markupsafe import Markup
from wtforms.widgets import core

from intranet.platform import widgets

VALUES = [
    "plain",
    "",
    'say "hi" & <b>',
    "it's",
    Markup('<i class="x">marked</i>'),
    Markup("a &amp; b"),
    3,
    0,
    1.5,
    None,
    True,
    False,
    "Übung – ß",
    "\u202e reversed",
]
NAMES = ["class_", "for_", "id", "data_user_name", "aria_describedby", "x<y", 'on"click']


def test_wtforms_is_the_version_the_comparison_was_made_with():
    assert wtforms.__version__ == "3.3.0"


def test_every_kind_of_value_reads_as_wtforms_writes_it():
    for name, value in itertools.product(NAMES, VALUES):
        ours = widgets.html_params(**{name: value})
        theirs = widgets.WTFORMS_HTML_PARAMS(**{name: value})
        assert ours == theirs, (name, value)
        assert type(ours) is type(theirs) is Markup
    # Several at once, in WTForms' order (by name), hostile ones among them.
    mixed = {"name": "q", "value": '"><script>', "required": True, "disabled": False}
    mixed.update(class_="kern-input", data_x=Markup("<b>"), aria_label="Suche")
    assert widgets.html_params(**mixed) == widgets.WTFORMS_HTML_PARAMS(**mixed)
    assert widgets.html_params() == widgets.WTFORMS_HTML_PARAMS() == Markup("")


def test_the_application_installs_it_for_widgets_and_labels(app):
    assert core.html_params is widgets.html_params
    assert wtforms.widgets.html_params is widgets.html_params
    # Inputs and buttons keep the function as a class attribute; every widget class that does
    # is listed, so that each of them writes with ours.
    holders = {
        cls for cls in vars(core).values() if isinstance(cls, type) and "html_params" in vars(cls)
    }
    assert holders == set(widgets.WIDGETS_WITH_THEIR_OWN)
    for widget in (core.TextInput, core.HiddenInput, core.CheckboxInput, core.SubmitInput):
        assert widget.html_params is widgets.html_params
    form = type("Probe", (wtforms.Form,), {"q": wtforms.StringField("Frage <1>")})()
    html = '<input class="a" id="q" name="q" required type="text" value="">'
    assert str(form.q(class_="a", required=True)) == html
    assert str(form.q.label(class_='"')) == '<label class="&#34;" for="q">Frage &lt;1&gt;</label>'
