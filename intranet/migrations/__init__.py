"""Schema migrations (playhouse.migrations): numbered files in this folder, applied in order."""

import time
from pathlib import Path

from flask import current_app
from playhouse.migrations import Runner

from intranet.platform.db import db

DIRECTORY = str(Path(__file__).parent)
UPGRADE_COMMAND = "flask --app app db upgrade"
# While the schema is out of date, look again this often, so that a running server
# serves again by itself once `db upgrade` has run in another process.
RECHECK_SECONDS = 5
_clock = time.monotonic


def runner() -> Runner:
    return Runner(db.obj, directory=DIRECTORY)


def pending() -> list[str]:
    return [m.name for m in runner().status() if m.path and not m.applied]


def upgrade() -> list[str]:
    with db.connection_context():
        return runner().up()


def database_is_empty() -> bool:
    return not db.get_tables()


def init_app(app):
    """Initialise an empty database; otherwise only note whether the schema is out of date."""
    with app.app_context(), db.connection_context():
        if database_is_empty():
            runner().up()
        app.config["SCHEMA_PENDING"] = pending()
    app.extensions["schema_checked_at"] = _clock()

    @app.before_request
    def refuse_outdated_schema():
        if _still_pending(current_app):
            return (
                f"Database schema is out of date. Run: {UPGRADE_COMMAND}\n",
                503,
                {"Content-Type": "text/plain; charset=utf-8", "Retry-After": "60"},
            )
        return None


def _still_pending(app) -> bool:
    """The noted pending migrations, looked up again at most every RECHECK_SECONDS.

    Once nothing is pending this costs nothing: migrations only arrive with a new release,
    which means a restart.
    """
    if not app.config["SCHEMA_PENDING"]:
        return False
    now = _clock()
    if now - app.extensions["schema_checked_at"] >= RECHECK_SECONDS:
        app.extensions["schema_checked_at"] = now
        app.config["SCHEMA_PENDING"] = pending()
    return bool(app.config["SCHEMA_PENDING"])
