"""Tables and alerts are written once, in their macros, so a change to their markup
(a class, a role, the scrollable region axe asks for) reaches every page at once."""

import re
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# What only the macro may write: the scrollable wrapper, the table and its caption
# (macros/tables.html); any part of a KERN alert (macros/status.html).
HAND_WRITTEN = {
    "macros/tables.html": re.compile(
        r'kern-table-responsive|class="kern-table[ "]|kern-table--|<caption'
    ),
    "macros/status.html": re.compile(r"kern-alert"),
}


def hand_written(macro_file, root=TEMPLATES):
    pattern = HAND_WRITTEN[macro_file]
    found = []
    for path in sorted(root.rglob("*.html")):
        name = path.relative_to(root).as_posix()
        if name == macro_file:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
    return found


def test_tables_come_from_the_table_macro():
    assert hand_written("macros/tables.html") == [], (
        "use {% call table(caption, id) %} from macros/tables.html"
    )


def test_alerts_come_from_the_alert_macro():
    assert hand_written("macros/status.html") == [], (
        "use alert() or {% call alert() %} from macros/status.html"
    )


def test_the_check_catches_hand_written_markup(tmp_path):
    # A guard whose pattern matched nothing would pass forever.
    (tmp_path / "page.html").write_text(
        '<div class="kern-alert kern-alert--info"></div>\n'
        '<div class="kern-table-responsive" tabindex="0">\n'
        '<table class="kern-table"><caption>Rows</caption></table>\n',
        encoding="utf-8",
    )
    assert hand_written("macros/status.html", tmp_path) == [
        'page.html:1: <div class="kern-alert kern-alert--info"></div>'
    ]
    assert [line.split(":")[1] for line in hand_written("macros/tables.html", tmp_path)] == [
        "2",
        "3",
    ]


def test_template_translations_behave_as_jinjas_own(app):
    """The one-step `_`, `gettext`, `ngettext`, `pgettext` and `{% trans %}` give what Jinja's
    i18n extension gives with the same catalogue: the translation is markup, values put into
    it are escaped in HTML templates and left alone in text templates (mails)."""
    import jinja2

    from intranet.platform.filters import translations

    sources = [
        '{{ _("Contacts") }}|{{ gettext("Calendar") }}',
        '{{ _("Hello %(name)s", name="<script>alert(1)</script>") }}',
        '{{ _("100%% sure") }}',
        '{{ ngettext("%(num)d meeting", "%(num)d meetings", 3) }}',
        '{{ ngettext("%(num)d meeting", "%(num)d meetings", 1, extra="<b>") }}',
        '{{ pgettext("menu", "Open %(what)s", what="<i>") }}',
        "{% trans who='<x>' %}Invited by {{ who }}{% endtrans %}",
        "{% trans count=2 %}One file{% pluralize %}{{ count }} files{% endtrans %}",
    ]
    for autoescape in (True, False):
        # Both kinds: HTML pages escape, the text templates of mails do not.
        i18n = ["jinja2.ext.i18n"]
        reference = jinja2.Environment(extensions=i18n, autoescape=autoescape)  # noqa: S701
        reference.install_gettext_callables(
            gettext=lambda s: translations().ugettext(s),
            ngettext=lambda s, p, n: translations().ungettext(s, p, n),
            pgettext=lambda c, s: translations().upgettext(c, s),
            npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
            newstyle=True,
        )
        ours = app.jinja_env.overlay(autoescape=autoescape)
        for language in ("de", "en"):
            with app.test_request_context("/", headers={"Cookie": f"lang={language}"}):
                from flask import session

                session["lang"] = language
                for source in sources:
                    expected = reference.from_string(source).render()
                    assert ours.from_string(source).render() == expected, source
    with app.test_request_context("/"):
        assert app.jinja_env.from_string('{{ _("Contacts") }}').render() == "Kontakte"
        escaped = app.jinja_env.from_string('{{ _("Hi %(n)s", n="<b>") }}').render()
        assert escaped == "Hi &lt;b&gt;"


def test_template_globals_stay_live_and_imports_reuse_the_macro_module(app):
    """Templates' globals (made quicker to ask for imports) still see what the environment gains
    later, and a `{% from … import … %}` reuses the macro file's module instead of running it
    again for every import."""
    template = app.jinja_env.from_string('{% from "macros/forms.html" import field %}{{ late }}')
    app.jinja_env.globals["late"] = "später"
    try:
        assert "late" in template.globals and "late" in set(template.globals.keys())
        with app.test_request_context("/"):
            assert template.render() == "später"
            macros = app.jinja_env.get_template("macros/forms.html")
            module = macros._module
            template.render()
            assert module is not None and macros._module is module
    finally:
        del app.jinja_env.globals["late"]
    assert "late" not in template.globals
