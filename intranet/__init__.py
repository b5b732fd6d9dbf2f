"""The intranet of the security dialogue forum: a Flask application factory."""

import importlib

from flask import Flask, request, session
from flask_login import current_user

from intranet.platform import db as database
from intranet.platform import errors, web, widgets
from intranet.platform.config import LANGUAGES, load_config
from intranet.platform.extensions import babel, csrf, login_manager
from intranet.platform.extensions import htmx as htmx_extension  # the name `htmx` is the submodule
from intranet.platform.i18n import lazy_gettext as _l


def select_locale():
    """The signed-in person's stored choice, else this session's, else German."""
    if not request:
        return "de"
    if current_user.is_authenticated and current_user.language in LANGUAGES:
        return current_user.language
    lang = session.get("lang")
    return lang if lang in LANGUAGES else "de"


def create_app(config: dict | None = None) -> Flask:
    app = web.App(
        __name__,
        template_folder="../templates",
        static_folder="../static",
    )
    load_config(app, config)

    from intranet.core.ids import IdConverter

    # Before any blueprint adds its rules: every id in an address is written `<id:…>`.
    app.url_map.converters["id"] = IdConverter

    from intranet.auth.sessions import SessionInterface

    app.session_interface = SessionInterface()
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.session_protection = "basic"
    csrf.init_app(app)
    widgets.install()
    htmx_extension.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories="../translations",
    )

    database.init_app(app)
    from intranet.core import audit

    audit.init_app(app)
    from intranet import migrations

    migrations.init_app(app)
    web.init_app(app)

    from intranet.platform import filters

    filters.init_app(app)
    from intranet.core import jinja

    jinja.init_app(app)

    from intranet import core
    from intranet.core import areas
    from intranet.models import MODELS

    areas.init_app(app, MODELS)
    core.register(app)
    # Each area adds its blueprint and hands the registry what it offers, lower areas first.
    for name in areas.AREAS:
        importlib.import_module(f"intranet.{name}").register(app)

    errors.init_app(app)

    from intranet import cli

    cli.init_app(app)
    return app
