"""Python-side translations (`platform.i18n`) read as Flask-Babel's, entry by entry."""

import re

import flask_babel
import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from intranet.platform import i18n
from tests.conftest import ROOT_DIR


def _entries():
    with open(ROOT_DIR / "translations/de/LC_MESSAGES/messages.po", "rb") as handle:
        return [entry for entry in read_po(handle) if entry.id]


def _values(*texts: str) -> dict:
    """A value for every placeholder in the texts: a number for %(name)d, text otherwise."""
    found = re.findall(r"%\((\w+)\)([a-z])", "".join(texts))
    return {name: 3 if kind == "d" else f"<{name}>" for name, kind in found}


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_catalogue_entry_reads_as_flask_babel_gives_it(app, language):
    entries = _entries()
    assert len(entries) > 500
    with app.test_request_context("/"), force_locale(language):
        for entry in entries:
            if isinstance(entry.id, tuple):
                singular, plural = entry.id
                values = _values(singular, plural)
                values.pop("num", None)
                for num in (1, 2, 5):
                    ours = i18n.ngettext(singular, plural, num, **values)
                    assert ours == flask_babel.ngettext(singular, plural, num, **values)
            elif entry.context:
                values = _values(entry.id)
                theirs = flask_babel.pgettext(entry.context, entry.id, **values)
                assert i18n.pgettext(entry.context, entry.id, **values) == theirs
                assert str(i18n.lazy_pgettext(entry.context, entry.id, **values)) == theirs
            else:
                values = _values(entry.id)
                theirs = flask_babel.gettext(entry.id, **values)
                assert i18n.gettext(entry.id, **values) == theirs
                assert str(i18n.lazy_gettext(entry.id, **values)) == theirs
            if language == "de" and not isinstance(entry.id, tuple) and not entry.context:
                assert i18n.gettext(entry.id, **_values(entry.id)) == (
                    entry.string % _values(entry.id) if _values(entry.id) else entry.string
                )


def test_a_language_switch_inside_a_request_is_followed(app):
    with app.test_request_context("/"):
        with force_locale("de"):
            assert i18n.gettext("Meeting") == "Termin"
        with force_locale("en"):
            assert i18n.gettext("Meeting") == "Meeting"
        with force_locale("de"):
            assert str(i18n.lazy_gettext("Meeting")) == "Termin"


def test_outside_an_application_the_english_text_is_used():
    assert i18n.gettext("Meeting") == flask_babel.gettext("Meeting") == "Meeting"
    assert i18n.ngettext("%(num)s day", "%(num)s days", 2) == "2 days"


def test_python_code_translates_through_platform_i18n():
    """Flask-Babel's own gettext family finds locale and catalogue anew for every string; the
    next module that imports it instead of `intranet.platform.i18n` is named here."""
    imports = re.compile(r"from flask_babel import (\([^)]*\)|[^\n]*)")
    slow = {"gettext", "ngettext", "pgettext", "npgettext", "lazy_gettext", "lazy_pgettext"}
    offenders = []
    for path in sorted((ROOT_DIR / "intranet").rglob("*.py")):
        name = path.relative_to(ROOT_DIR / "intranet").as_posix()
        if name == "platform/i18n.py":
            continue
        for names in imports.findall(path.read_text(encoding="utf-8")):
            imported = {part.split(" as ")[0].strip() for part in names.strip("()").split(",")}
            offenders += [f"{name}: {found}" for found in sorted(imported & slow)]
    assert offenders == []


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_catalogue_text_reads_in_templates_as_jinjas_newstyle_gettext_gives_it(app, language):
    """A text without values skips the `%` formatting; it must read as if it had not: the
    catalogue's text as markup, with "%%" written "%" (Jinja's newstyle gettext formats every
    text)."""
    from flask import render_template_string
    from markupsafe import Markup

    texts = [e for e in _entries() if not isinstance(e.id, tuple) and not e.context]
    with app.test_request_context("/"), force_locale(language):
        for entry in texts:
            if "%(" in entry.id:
                continue
            expected = Markup(flask_babel.gettext(entry.id)) % {}  # noqa: S704 (our catalogue)
            assert render_template_string("{{ _(text) }}", text=entry.id) == expected
        # A "%%" reads "%", and values are escaped.
        assert render_template_string("{{ _('50%% more') }}") == "50% more"
        rendered = render_template_string("{{ _('Text by %(name)s', name='<b>') }}")
        assert rendered == "Text by &lt;b&gt;"
