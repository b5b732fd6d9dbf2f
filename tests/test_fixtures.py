"""The test set-up itself: each test finds the shared app as new, on an empty database of its own
with ids from 1 and an empty DATA_DIR, whatever the test before it changed (tests/conftest.py).

The first two tests run in this order (pytest keeps the order of a module, and pytest-xdist's
`--dist loadfile` keeps a module's tests in one worker)."""

from pathlib import Path

import pytest

from intranet.core.accounts import Organization
from intranet.platform.web import Request
from tests import factories

_seen = {}


def test_a_test_changes_the_shared_app_and_its_data(app):
    app.config["MAIL_SERVER"] = "mail.example.org:587"
    app.config["SECOND_FACTOR_ROLES"].append("admin")
    app.request_class = type("Recording", (Request,), {})
    data_dir = Path(app.config["DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)  # on PostgreSQL nothing has made it yet
    (data_dir / "left-behind.txt").write_text("x")
    factories.organization("Vorgänger")
    app.extensions["notifications_last_run"] = 0.0  # as the delivery loop notes its last pass
    _seen.update(app=app, data_dir=app.config["DATA_DIR"])


def test_the_next_test_finds_the_app_as_new(app, client):
    assert app is _seen["app"]  # shared, not built again
    assert app.config["MAIL_SERVER"] is None
    assert app.config["SECOND_FACTOR_ROLES"] == []
    assert app.request_class is Request
    assert "notifications_last_run" not in app.extensions
    assert app.config["DATA_DIR"] != _seen["data_dir"]
    # Nothing but the database (SQLite) in the new DATA_DIR, if it exists yet (PostgreSQL).
    data_dir = Path(app.config["DATA_DIR"])
    assert {p.name for p in (data_dir.iterdir() if data_dir.exists() else ())} <= {
        "intranet.db",
        "intranet.db-wal",
        "intranet.db-shm",
    }
    assert not Organization.select().exists()
    assert factories.organization("Neu").id == 1
    assert client.get("/barrierefreiheit").status_code == 200


def test_the_shared_app_takes_no_routes(app):
    with pytest.raises(AssertionError, match="first request"):
        app.add_url_rule("/_probe", "probe", lambda: "ok")


@pytest.mark.own_app
def test_a_test_marked_own_app_gets_an_app_that_takes_routes(app, client):
    assert app is not _seen["app"]
    app.add_url_rule("/_probe", "probe", lambda: str(Organization.select().count()))
    assert client.get("/_probe").get_data(as_text=True) == "0"
