"""Schema migrations (playhouse.migrations): numbered files in this folder, applied in order."""

from pathlib import Path

from flask import current_app
from playhouse.migrations import Runner

from intranet.db import db

DIRECTORY = str(Path(__file__).parent)
UPGRADE_COMMAND = "flask --app app db upgrade"


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

    @app.before_request
    def refuse_outdated_schema():
        if current_app.config["SCHEMA_PENDING"]:
            return (
                f"Database schema is out of date. Run: {UPGRADE_COMMAND}\n",
                503,
                {"Content-Type": "text/plain; charset=utf-8", "Retry-After": "60"},
            )
        return None
