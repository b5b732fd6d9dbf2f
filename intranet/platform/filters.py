"""Template helpers: local time, file sizes, the current locale."""

import datetime as dt
from functools import lru_cache

from flask import current_app, has_app_context
from flask.globals import _cv_app
from flask_babel import (
    format_date,
    format_datetime,
    format_decimal,
    format_time,
    get_locale,
    get_translations,
)
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_eval_context
from markupsafe import Markup

from intranet.platform.htmx import section_messages

FORMATTERS = {"date": format_date, "time": format_time, "datetime": format_datetime}


def formatted(kind: str, value, format: str) -> str:
    """Babel's format_date/_time/_datetime, remembered per value, format and language.

    One call costs about a tenth of a millisecond and a month grid makes a hundred of them;
    the time zone is fixed by the settings, so value, format and language decide the text.
    """
    return _formatted(kind, value, format, locale_name())


def locale_name() -> str:
    """The request's language as text ("de"), worked out once per request and language: Babel
    finds the locale through several proxy look-ups, and a month grid asks a hundred times."""
    if not has_app_context():
        return str(get_locale())
    return _per_locale("intranet_locale_name", lambda: str(get_locale()))


@lru_cache(maxsize=8192)
def _formatted(kind: str, value, format: str, locale: str) -> str:
    return FORMATTERS[kind](value, format)


# Times of day read "18:00" in every language: the forum's English readers are in Germany too,
# and Babel's English "6:00 PM" would make two ways to write one meeting.
CLOCK = "HH:mm"


def local_time(value: dt.datetime | None, format: str = "medium") -> str:
    """Show a stored (naive UTC) time in Europe/Berlin: date in `format`, then "14:30"."""
    if value is None:
        return ""
    aware = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
    locale = locale_name()
    return (
        f"{_formatted('date', aware, format, locale)}, {_formatted('time', aware, CLOCK, locale)}"
    )


def translations():
    """The request's catalogue, looked up once per locale and request: Flask-Babel finds locale
    and catalogue anew for every string (about ten proxy lookups); a page shows 150 or more."""
    return _per_locale("intranet_translations", get_translations)


def _request_globals():
    """The request's `g`, or None outside one, read without Flask's proxy: a page asks for its
    catalogue, locale or token for each of its texts and forms, and each trip through the proxy
    costs about two microseconds."""
    context = _cv_app.get(None)
    return None if context is None else context.g


def _per_locale(name: str, compute):
    """`compute()`'s answer, kept beside Flask-Babel's own cached locale of this request and
    used only while that locale is still the same object."""
    state = getattr(_request_globals(), "_flask_babel", None)
    cached = getattr(state, name, None)
    if cached is not None and cached[0] is getattr(state, "babel_locale", None):
        return cached[1]
    value = compute()  # sets up Flask-Babel's per-request state, locale included
    state = getattr(_request_globals(), "_flask_babel", None)
    if state is not None:
        setattr(state, name, (state.babel_locale, value))
    return value


def current_locale():
    """Flask-Babel's `get_locale()`, from where it keeps the request's locale once worked out
    (`force_locale` sets it there, too)."""
    locale = getattr(getattr(_request_globals(), "_flask_babel", None), "babel_locale", None)
    return locale if locale is not None else get_locale()


def csrf_token() -> str:
    """Flask-WTF's `generate_csrf()`, from where it keeps the request's token once made: a page
    with several forms asks for it several times, and each call reads the configuration, the
    session and `g` through their proxies."""
    token = getattr(_request_globals(), "csrf_token", None)
    return token if token is not None else generate_csrf()


# The template side of the catalogue, as Jinja's "newstyle" gettext behaves: the translation
# counts as safe markup, the values put into it are escaped (in autoescaped templates), and the
# text is always a format string ("%(name)s"; "num" and "context" are among the values).


def _formatted_text(eval_context, text: str, variables: dict) -> str:
    if eval_context.autoescape:
        text = Markup(text)  # noqa: S704 (the catalogue is ours; the values are escaped by %)
    if not variables and "%" not in text:
        return text  # what `%` would give; most texts of a page have no values
    return text % variables


@pass_eval_context
def gettext(eval_context, string: str, **variables) -> str:
    return _formatted_text(eval_context, translations().ugettext(string), variables)


@pass_eval_context
def ngettext(eval_context, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    text = translations().ungettext(singular, plural, num)
    return _formatted_text(eval_context, text, variables)


@pass_eval_context
def pgettext(eval_context, context: str, string: str, **variables) -> str:
    variables.setdefault("context", context)
    return _formatted_text(eval_context, translations().upgettext(context, string), variables)


@pass_eval_context
def npgettext(eval_context, context: str, singular: str, plural: str, num: int, **variables):
    variables.setdefault("context", context)
    variables.setdefault("num", num)
    text = translations().unpgettext(context, singular, plural, num)
    return _formatted_text(eval_context, text, variables)


def filesize(size: int) -> str:
    """Bytes as people read them: "820 KB", "1,4 MB" (decimal units, as file managers show)."""
    if size < 1000 * 1000:
        return f"{format_decimal(max(1, round(size / 1000)))} KB"
    return f"{format_decimal(round(size / 1000 / 1000, 1))} MB"


def init_app(app):
    """The template helpers that know no feature; `core.jinja` adds the forum's shared ones."""
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["filesize"] = filesize
    # Jinja's i18n extension (installed by Flask-Babel) wraps the catalogue so that `_` looks up
    # `gettext`, which calls the catalogue: three trips through the template's call machinery
    # (about five microseconds each) for every text of a page. These do the same in one.
    app.jinja_env.newstyle_gettext = True  # how `{% trans %}` blocks call them
    app.jinja_env.globals.update(
        _=gettext, gettext=gettext, ngettext=ngettext, pgettext=pgettext, npgettext=npgettext
    )
    app.jinja_env.globals.update(
        get_locale=current_locale,
        csrf_token=csrf_token,
        # Navigation shows an area only once its blueprint is installed.
        has_endpoint=lambda endpoint: endpoint in app.view_functions,
        section_messages=section_messages,
    )

    @app.context_processor
    def site_context():
        # Flask-WTF's own context processor hands every template its `generate_csrf`.
        return {"forum_name": current_app.config["FORUM_NAME"], "csrf_token": csrf_token}
