"""First run, management commands and schema migrations, used as an admin would use them."""

import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playhouse.schema_diff import diff_models

from intranet import migrations
from intranet.auth import services
from intranet.core import audit
from intranet.core.accounts import Account
from intranet.core.models import AuditEvent
from intranet.models import MODELS
from intranet.platform.db import db
from tests.conftest import PG_URL, csrf_token, sign_in
from tests.factories import free_port

ROOT = Path(__file__).resolve().parent.parent
STRONG = "Wolken über der Elbe am Abend"


# --- First run -----------------------------------------------------------------------------


def test_setup_token_creates_the_first_admin_once(client):
    token = services.issue_setup_token()
    assert client.get(f"/setup/{token}").status_code == 200
    response = client.post(
        f"/setup/{token}",
        data={
            "csrf_token": csrf_token(client),
            "display_name": "Erste Admin",
            "email": "Admin@Example.org",
            "password": STRONG,
            "password_repeat": STRONG,
        },
    )
    assert response.status_code == 303
    admin = Account.get(Account.email == "admin@example.org")
    assert admin.role == "admin" and admin.organization is None
    assert client.get("/").status_code == 200  # signed in right away
    assert client.get(f"/setup/{token}").status_code == 404
    assert services.issue_setup_token() is None


def test_setup_form_keeps_input_on_error(client):
    token = services.issue_setup_token()
    response = client.post(
        f"/setup/{token}",
        data={
            "csrf_token": csrf_token(client),
            "display_name": "Erste Admin",
            "email": "admin@example.org",
            "password": "zu kurz",
            "password_repeat": "anders",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Erste Admin"' in page and 'value="admin@example.org"' in page
    assert "Die beiden Passwörter stimmen nicht überein." in page
    assert not Account.select().exists()


def test_wrong_or_old_setup_token_is_404(client):
    old = services.issue_setup_token()
    services.issue_setup_token()  # a restart replaces the token
    assert client.get(f"/setup/{old}").status_code == 404
    assert client.get("/setup/erfunden").status_code == 404


def start_server(data_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "INTRANET_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "app.py", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for_health(port: int) -> int:
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
                return response.status
        except OSError:
            time.sleep(0.1)
    raise AssertionError("server did not answer")


@pytest.mark.skipif(bool(PG_URL), reason="the server is started on its own SQLite data folder")
def test_server_prints_setup_address_only_while_no_account_exists(tmp_path):
    data_dir = tmp_path / "fresh"
    port = free_port()
    server = start_server(data_dir, port)
    try:
        line = server.stdout.readline()
        assert re.search(rf"http://127\.0\.0\.1:{port}/setup/[\w-]{{20,}}", line), line
        assert wait_for_health(port) == 200
    finally:
        server.terminate()
        server.wait(10)
    assert (data_dir / "intranet.db").exists()
    assert oct((data_dir / "secret_key").stat().st_mode & 0o777) == "0o600"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "app",
            "create-user",
            "a@example.org",
            "--name",
            "A",
            "--role",
            "admin",
            "--password-stdin",
        ],
        cwd=ROOT,
        env={**os.environ, "INTRANET_DATA_DIR": str(data_dir)},
        input=STRONG + "\n",
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    server = start_server(data_dir, port)
    try:
        assert wait_for_health(port) == 200
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=10)
    assert "/setup/" not in output


# --- create-user ---------------------------------------------------------------------------


def create_user(runner, *args, password=STRONG):
    return runner.invoke(args=["create-user", *args, "--password-stdin"], input=password + "\n")


def test_create_user_with_organisation(runner, org):
    result = create_user(
        runner, "koord@example.org", "--name", "K", "--role", "coordinator", "--org", org.name
    )
    assert result.exit_code == 0, result.output
    account = Account.get(Account.email == "koord@example.org")
    assert account.organization_id == org.id and account.role == "coordinator"


@pytest.mark.parametrize(
    "args, password, message",
    [
        (["--role", "boss"], STRONG, "Unbekannte Rolle"),
        (["--role", "member", "--org", "Gibt es nicht"], STRONG, "Unbekannte Organisation"),
        (["--role", "member"], "passwort1234", "Passwort abgelehnt"),
    ],
)
def test_create_user_refuses_with_a_clear_message(runner, args, password, message):
    result = create_user(runner, "x@example.org", "--name", "X", *args, password=password)
    assert result.exit_code != 0
    assert message in result.output
    assert not Account.select().exists()


def test_create_user_refuses_duplicate_email(runner):
    assert create_user(runner, "x@example.org", "--name", "X", "--role", "member").exit_code == 0
    result = create_user(runner, "X@example.org", "--name", "X", "--role", "member")
    assert result.exit_code != 0
    assert "bereits ein Konto" in result.output


# --- Schema --------------------------------------------------------------------------------


def test_migrations_build_exactly_the_models(app):
    difference = diff_models(db.obj, MODELS)
    assert not difference, str(difference)


def test_db_upgrade_is_safe_to_run_twice(runner):
    first = runner.invoke(args=["db", "upgrade"])
    second = runner.invoke(args=["db", "upgrade"])
    assert first.exit_code == second.exit_code == 0
    assert "aktuell" in second.output


def test_db_status_names_the_schema_and_what_is_pending(app, runner):
    current = runner.invoke(args=["db", "status"])
    latest = sorted(m.name for m in migrations.runner().status())[-1]
    assert current.exit_code == 0
    assert f"Schema: {latest}" in current.output and "Keine Migration ausstehend" in current.output
    history = migrations.runner().History
    history.delete().where(history.name == latest).execute()  # as if it were new
    outdated = runner.invoke(args=["db", "status"])
    assert outdated.exit_code == 0
    assert "Ausstehend" in outdated.output and f"  {latest}" in outdated.output


def test_outdated_schema_is_refused_with_the_command_to_run(app):
    from intranet import create_app

    migrations.runner().History.delete().execute()  # as if the last migration were new
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": app.config["DATA_DIR"],
            "SECRET_KEY": "k",
            "DATABASE_URL": app.config["DATABASE_URL"],
        }
    )
    assert app.config["SCHEMA_PENDING"]
    response = app.test_client().get("/login")
    assert response.status_code == 503
    assert migrations.UPGRADE_COMMAND in response.get_data(as_text=True)
    result = app.test_cli_runner().invoke(
        args=["create-user", "a@example.org", "--name", "A", "--role", "admin", "--password-stdin"],
        input=STRONG + "\n",
    )
    assert result.exit_code != 0 and migrations.UPGRADE_COMMAND in result.output


def test_running_server_serves_again_after_the_upgrade(app, monkeypatch):
    from intranet import create_app

    history = migrations.runner().History
    applied = list(history.select().dicts())
    history.delete().execute()  # as if migrations were new
    now = [1000.0]
    monkeypatch.setattr(migrations, "_clock", lambda: now[0], raising=False)
    outdated = create_app(
        {
            "TESTING": True,
            "DATA_DIR": app.config["DATA_DIR"],
            "SECRET_KEY": "k",
            "DATABASE_URL": app.config["DATABASE_URL"],
        }
    )
    client = outdated.test_client()
    assert client.get("/login").status_code == 503
    history.insert_many(applied).execute()  # `db upgrade`, run in another process
    assert client.get("/login").status_code == 503  # not looked up again at every request
    now[0] += 60
    assert client.get("/login").status_code == 200


# --- Audit log -----------------------------------------------------------------------------


def test_audit_verify_passes_on_an_intact_log(runner, client, member):
    sign_in(client, member)
    sign_in(client, member, "falsches Passwort für dieses Konto")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_audit_verify_names_the_first_tampered_entry(runner, app):
    for number in range(4):
        audit.record("test.event", target=str(number))
    tampered = AuditEvent.select().order_by(AuditEvent.id).offset(1).first()
    AuditEvent.update(detail="geändert").where(AuditEvent.id == tampered.id).execute()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0
    assert f"Eintrag {tampered.id}" in result.output


def test_audit_verify_detects_a_removed_entry(runner, app):
    for number in range(4):
        audit.record("test.event", target=str(number))
    removed = AuditEvent.select().order_by(AuditEvent.id).offset(2).first()
    AuditEvent.delete().where(AuditEvent.id == removed.id).execute()
    assert runner.invoke(args=["audit", "verify"]).exit_code != 0


def test_audit_prune_keeps_the_chain_verifiable(runner, app):
    import datetime as dt

    for number in range(5):
        audit.record("test.event", target=str(number))
    old = [e.id for e in AuditEvent.select().order_by(AuditEvent.id).limit(3)]
    # Moving the time breaks those entries' hashes; re-chain them as if they had been written then.
    for event in AuditEvent.select().order_by(AuditEvent.id):
        if event.id in old:
            event.at = event.at - dt.timedelta(days=400)
        previous = (
            AuditEvent.select()
            .where(AuditEvent.id < event.id)
            .order_by(AuditEvent.id.desc())
            .first()
        )
        event.prev_hash = previous.hash if previous else audit.GENESIS
        event.hash = audit._digest(event.prev_hash, event)
        event.save()
    result = runner.invoke(args=["audit", "prune"])
    assert result.exit_code == 0 and "3 Einträge" in result.output
    assert not AuditEvent.select().where(AuditEvent.id.in_(old)).exists()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0


# --- Backup --------------------------------------------------------------------------------


@pytest.fixture
def umask_022():
    previous = os.umask(0o022)  # the usual default, which leaves new files readable by all
    yield
    os.umask(previous)


def test_data_folder_database_and_backups_are_private(tmp_path, umask_022):
    from intranet import create_app
    from intranet.directory import csv_io

    data = tmp_path / "daten"
    app = create_app(
        {
            "TESTING": True,
            "DATA_DIR": str(data),
            "SECRET_KEY": "k",
            "DATABASE_URL": f"sqlite:///{data / 'intranet.db'}",
        }
    )
    archive = tmp_path / "sicherung.tar.gz"
    with app.app_context(), db.connection_context():
        audit.record("test.write")  # the write-ahead log and its index exist while connected
        csv_io.store(1, [])
        modes = {
            path.relative_to(data).as_posix(): path.stat().st_mode & 0o777
            for path in data.rglob("*")
        }
    assert app.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    assert data.stat().st_mode & 0o777 == 0o700
    assert {"intranet.db", "intranet.db-wal", "intranet.db-shm", "directory-imports"} <= set(modes)
    assert modes.pop("directory-imports") == 0o700
    assert set(modes.values()) == {0o600}, modes
    assert archive.stat().st_mode & 0o777 == 0o600


@pytest.mark.skipif(bool(PG_URL), reason="restore into PostgreSQL: tests/test_backup.py")
def test_backup_and_restore_into_an_empty_data_folder(runner, member, tmp_path):
    archive = tmp_path / "sicherung.tar.gz"
    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    from intranet import create_app

    restored = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "neu"), "SECRET_KEY": "k"})
    # A command runs in the app already active, if any: give the restore its own.
    with restored.app_context():
        # A new data folder has no backup key of its own: the old folder's key is given.
        key = tmp_path / "data" / "backup_key"
        result = restored.test_cli_runner().invoke(
            args=["restore", str(archive), "--key-file", str(key)]
        )
        assert result.exit_code == 0, result.output
        with db.connection_context():
            assert Account.get(Account.email == member.email).display_name == member.display_name
        again = restored.test_cli_runner().invoke(args=["restore", str(archive)])
    assert again.exit_code != 0 and "nicht leer" in again.output
