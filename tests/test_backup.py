"""Backup, restore and upgrade as an admin runs them: a backup taken while eight threads write,
hostile archives, non-empty targets, the backup before `db upgrade`, and an upgrade from the
first release's schema. On SQLite, and on PostgreSQL when INTRANET_DATABASE_URL is set (then
pg_dump and pg_restore are needed, and a second database `<name>_restore` as restore target)."""

import datetime as dt
import hashlib
import hmac
import io
import json
import shutil
import sqlite3
import tarfile
import threading
import time
from pathlib import Path

import pytest

from intranet import backup, create_app, migrations
from intranet.backup import restoring, writing
from intranet.core import audit
from intranet.core.models import AuditEvent
from intranet.platform.db import db, open_database
from tests import factories
from tests.conftest import PG_URL, IsolatedClient, sign_in

pytestmark = pytest.mark.skipif(
    bool(PG_URL) and not (shutil.which("pg_dump") and shutil.which("pg_restore")),
    reason="backups on PostgreSQL need pg_dump and pg_restore on PATH",
)

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


# --- Helpers --------------------------------------------------------------------------------


def _pg_connect(url):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def scratch_database() -> str:
    """An emptied second PostgreSQL database as the restore target."""
    base, name = PG_URL.rsplit("/", 1)
    url = f"{base}/{name}_restore"
    try:
        connection = _pg_connect(url)
    except Exception:  # noqa: BLE001 - not there yet: try to make it
        try:
            with _pg_connect(PG_URL) as admin:
                admin.execute(f'CREATE DATABASE "{name}_restore"')
            connection = _pg_connect(url)
        except Exception as error:  # noqa: BLE001
            pytest.skip(f"no second PostgreSQL database {name}_restore for the restore: {error}")
    with connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")
    return url


def empty_target(tmp_path, name="neu", copy_key=True):
    """An app on an empty data folder (and, on PostgreSQL, an empty second database), with
    the backup key of the source's data folder copied in, as the README asks the admin to."""
    key = tmp_path / "data" / "backup_key"
    if copy_key and key.exists():
        (tmp_path / name).mkdir(mode=0o700)
        shutil.copy2(key, tmp_path / name / "backup_key")
    config = {
        "TESTING": True,
        "DATA_DIR": str(tmp_path / name),
        "SECRET_KEY": "test-key",
        "SECOND_FACTOR_ROLES": [],
    }
    if PG_URL:
        config["DATABASE_URL"] = scratch_database()
    app = create_app(config)
    app.test_client_class = IsolatedClient
    return app


def table_counts(app) -> dict:
    """Rows per table, counted straight from the database (not through the code under test)."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite"):
        connection = sqlite3.connect(url.split("sqlite:///", 1)[1])
        query = "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
    else:
        connection = _pg_connect(url)
        query = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    with connection:
        tables = [row[0] for row in connection.execute(query).fetchall()]
        # Table names from the database's catalogue.
        count = 'SELECT count(*) FROM "{}"'
        return {t: connection.execute(count.format(t)).fetchone()[0] for t in tables}


def folder_state(app) -> tuple:
    root = Path(app.config["DATA_DIR"])
    files = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not p.name.endswith(("-wal", "-shm"))
    )
    with app.app_context():
        rows = {t: n for t, n in restoring._live_tables().items() if n}
    return files, rows


def manifest_of(archive: Path) -> dict:
    with tarfile.open(archive, "r:gz") as tar:
        return json.load(tar.extractfile("manifest.json"))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def add_file(meeting, actor, content: bytes):
    from intranet.attachments import services as files
    from intranet.meetings.access import load_context

    owner = files.Owner(
        "meeting", meeting.id, meeting.title, "/", load_context(meeting).audience, may_edit=True
    )
    return files.add(owner, io.BytesIO(content), "bericht.pdf", "", "green", actor)


@pytest.fixture
def filled(app, coordinator, member):
    meeting = factories.meeting("Plenum Sicherheit", organization=coordinator.organization)
    for number in range(3):
        add_file(meeting, coordinator, PDF + f"% Anlage {number}\n".encode())
    return app


def invoke(app, *args):
    """Run a command on `app`; its own context, since a command runs in the app already
    active (the test's) if there is one."""
    with app.app_context():
        return app.test_cli_runner().invoke(args=[str(a) for a in args])


def take_backup(app, path: Path) -> Path:
    result = invoke(app, "backup", path)
    assert result.exit_code == 0, result.output
    return path


# --- (a) A backup while eight threads write --------------------------------------------------


def test_backup_while_eight_threads_write_restores_consistently(app, coordinator, tmp_path):
    from intranet.directory import services as directory
    from intranet.meetings import planning

    org = coordinator.organization
    stop = threading.Event()
    done = [0] * 8
    errors = []

    def writer(number):
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                step = 0
                while not stop.is_set():
                    start = dt.datetime(2031, 1, 1, 9) + dt.timedelta(days=number * 100 + step)
                    [meeting] = planning.create_meeting(
                        planning.MeetingData(
                            title=f"Sitzung {number}-{step}",
                            start_local=start,
                            end_local=start + dt.timedelta(hours=1),
                            organization_id=org.id,
                        ),
                        coordinator,
                    )
                    directory.create_person(
                        {
                            "organization": org,
                            "family_name": f"Beispiel {number}-{step}",
                            "function": "Vorsitz",
                        }
                    )
                    add_file(meeting, coordinator, PDF + f"% {number}-{step}\n".encode())
                    step += 1
                    done[number] = step
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            finally:
                db.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    try:
        deadline = time.monotonic() + 60
        while min(done) < 2 and time.monotonic() < deadline and not errors:
            time.sleep(0.05)
        archive = take_backup(app, tmp_path / "laufend.tar.gz")
        written_at_backup = sum(done)
        while sum(done) < written_at_backup + 8 and time.monotonic() < deadline and not errors:
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert not errors, errors
    live = table_counts(app)
    manifest = manifest_of(archive)
    tables = manifest["database"]["tables"]
    # Taken in the middle: after the first writes, before the last ones.
    assert 8 * 2 <= tables["meeting"] < live["meeting"]
    assert 8 * 2 <= tables["attachment"] < live["attachment"]
    source_files = Path(app.config["DATA_DIR"]) / "attachments"

    target = empty_target(tmp_path)
    result = invoke(target, "restore", str(archive))
    assert result.exit_code == 0, result.output
    restored = table_counts(target)
    restored["audit_event"] -= 1  # backup.restored, recorded after the restore
    assert restored == tables
    if not PG_URL:
        assert "Integritätsprüfung: ok" in result.output
        database = target.config["DATABASE_URL"].split("sqlite:///", 1)[1]
        with sqlite3.connect(database) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    restored_files = Path(target.config["DATA_DIR"]) / "attachments"
    with target.app_context(), db.connection_context():
        rows = db.execute_sql("SELECT storage_key, sha256 FROM attachment").fetchall()
    assert len(rows) == tables["attachment"]
    for key, digest in rows:
        restored_file = restored_files / key[:2] / key
        assert sha256(restored_file) == digest == sha256(source_files / key[:2] / key)
    for name, member in manifest["members"].items():
        if name.startswith("attachments/"):
            assert sha256(Path(target.config["DATA_DIR"]) / name) == member["sha256"]


def test_backup_is_recorded_in_the_live_database_and_the_restore_in_the_restored_one(
    filled, tmp_path
):
    archive = take_backup(filled, tmp_path / "sicherung.tar.gz")
    event = AuditEvent.select().where(AuditEvent.action == "backup.created").get()
    assert json.loads(event.detail) == {"file": str(archive), "size": archive.stat().st_size}
    target = empty_target(tmp_path)
    assert invoke(target, "restore", str(archive)).exit_code == 0
    with target.app_context(), db.connection_context():
        newest = AuditEvent.select().order_by(AuditEvent.id.desc()).first()
        assert newest.action == "backup.restored"
        assert audit.verify() is None


def test_manifest_names_format_time_schema_kind_rows_and_every_member(filled, tmp_path):
    archive = take_backup(filled, tmp_path / "sicherung.tar.gz")
    manifest = manifest_of(archive)
    assert manifest["format_version"] == backup.FORMAT_VERSION
    created = dt.datetime.strptime(manifest["created_at"], "%Y-%m-%dT%H:%M:%SZ")
    assert abs(created - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(minutes=5)
    database = manifest["database"]
    assert database["kind"] == ("postgresql" if PG_URL else "sqlite")
    assert database["migrations"] == sorted(m.name for m in migrations.runner().status())
    assert database["tables"]["attachment"] == 3 and database["tables"]["account"] == 2
    with tarfile.open(archive, "r:gz") as tar:
        names = [m.name for m in tar.getmembers()]
        assert names[-2:] == ["manifest.json", "manifest.sig"]
        assert sorted(names[:-2]) == sorted(manifest["members"])
        for name, member in manifest["members"].items():
            content = tar.extractfile(name).read()
            assert member == {"size": len(content), "sha256": hashlib.sha256(content).hexdigest()}
    assert len([n for n in names if n.startswith("attachments/")]) == 3


def test_a_failed_backup_leaves_no_archive_under_the_final_name(filled, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("Datenträger voll")

    monkeypatch.setattr(writing, "_add_bytes", broken)  # fails at the manifest, the last member
    archive = tmp_path / "sicherung.tar.gz"
    result = invoke(filled, "backup", str(archive))
    assert result.exit_code != 0
    assert list(tmp_path.iterdir()) == [tmp_path / "data"]  # no archive, no partial file


def test_backup_follows_no_link_and_skips_names_restore_would_refuse(filled, tmp_path):
    secret = tmp_path / "geheim.txt"
    secret.write_text("nicht für die Sicherung")
    folder = Path(filled.config["DATA_DIR"]) / "attachments" / "zz"
    folder.mkdir()
    (folder / "link").symlink_to(secret)
    (folder / "kein name.pdf").write_bytes(PDF)
    archive = tmp_path / "sicherung.tar.gz"
    result = invoke(filled, "backup", archive)
    assert result.exit_code == 0, result.output
    assert "attachments/zz/kein name.pdf übersprungen" in result.output
    with tarfile.open(archive, "r:gz") as tar:
        assert not [n for n in tar.getnames() if n.startswith("attachments/zz/")]
    target = empty_target(tmp_path)
    assert invoke(target, "restore", archive).exit_code == 0


def test_backup_names_files_the_database_refers_to_but_that_are_gone(filled, tmp_path):
    from intranet.attachments.models import Attachment

    gone = Attachment.select().order_by(Attachment.id).first().storage_key
    (Path(filled.config["DATA_DIR"]) / "attachments" / gone[:2] / gone).unlink()
    result = invoke(filled, "backup", tmp_path / "sicherung.tar.gz")
    assert result.exit_code == 0, result.output
    assert f"Einträge ohne Datei in der Sicherung (während der Sicherung gelöscht?): {gone}" in (
        result.output
    )


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only")
def test_postgres_backup_without_pg_dump_says_what_to_install(filled, tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    archive = tmp_path / "sicherung.tar.gz"
    result = invoke(filled, "backup", str(archive))
    assert result.exit_code != 0
    assert "pg_dump" in result.output and "postgresql-client" in result.output
    assert not archive.exists()


# --- (b) Hostile archives ------------------------------------------------------------------------


def _members(archive: Path) -> list[tuple[tarfile.TarInfo, bytes]]:
    with tarfile.open(archive, "r:gz") as tar:
        return [(m, tar.extractfile(m).read()) for m in tar.getmembers()]


def _write(path: Path, members) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for info, content in members:
            if info.isreg():
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
            else:
                tar.addfile(info)
    return path


def _special(name, kind, linkname=""):
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info, b""


def _file(name, content=b"boese"):
    return tarfile.TarInfo(name), content


def _signed(members, key_file: Path):
    """Sign the (changed) manifest with the right key, as only the key's holder can: the
    checks behind the signature must hold on their own."""
    key = key_file.read_text().strip()
    changed = [(i, c) for i, c in members if i.name != "manifest.sig"]
    manifest = next(c for i, c in changed if i.name == "manifest.json")
    signature = {
        "algorithm": "HMAC-SHA256",
        "key_id": backup.Key(key, "").id,
        "hmac": hmac.new(key.encode(), manifest, hashlib.sha256).hexdigest(),
    }
    return [*changed, _file("manifest.sig", json.dumps(signature).encode())]


def _lying_manifest(members):
    changed = []
    for info, content in members:
        if info.name == "manifest.json":
            manifest = json.loads(content)
            name = next(n for n in manifest["members"] if n.startswith("attachments/"))
            manifest["members"][name]["sha256"] = "0" * 64
            content = json.dumps(manifest).encode()
        changed.append((info, content))
    return changed


def _manifest_without_counts(members):
    changed = []
    for info, content in members:
        if info.name == "manifest.json":
            manifest = json.loads(content)
            del manifest["database"]["tables"]
            content = json.dumps(manifest).encode()
        changed.append((info, content))
    return changed


def _changed_byte(members):
    changed = []
    for info, content in members:
        if info.name.startswith("database/"):
            middle = len(content) // 2
            content = content[:middle] + bytes([content[middle] ^ 1]) + content[middle + 1 :]
        changed.append((info, content))
    return changed


# kind: (change, what the refusal says, whether the changed manifest is signed again)
HOSTILE = {
    "parent-path": (lambda m: [_file("../boese.txt"), *m], "unzulässigen Pfad", False),
    "parent-inside": (
        lambda m: [_file("attachments/../../boese.txt"), *m],
        "unzulässigen Pfad",
        False,
    ),
    "absolute-path": (
        lambda m: [_file("/tmp/boese-sicherung.txt"), *m],
        "unzulässigen Pfad",
        False,
    ),
    "symlink": (
        lambda m: [_special("attachments/ab/link", tarfile.SYMTYPE, "/etc/passwd"), *m],
        "symbolischer Link",
        False,
    ),
    "hardlink": (
        lambda m: [*m[:1], _special("attachments/ab/hart", tarfile.LNKTYPE, m[0][0].name), *m[1:]],
        "harter Link",
        False,
    ),
    "device": (
        lambda m: [_special("attachments/ab/geraet", tarfile.CHRTYPE), *m],
        "Gerätedatei",
        False,
    ),
    "unknown-member": (lambda m: [_file("secret_key"), *m], "unzulässigen Pfad", False),
    "changed-byte": (_changed_byte, "Prüfsumme", False),
    "missing-manifest": (
        lambda m: [x for x in m if x[0].name != "manifest.json"],
        "manifest",
        False,
    ),
    "lying-manifest": (_lying_manifest, "Signatur des Manifests stimmt nicht", False),
    "lying-manifest-signed": (_lying_manifest, "Prüfsumme", True),
    "incomplete-manifest": (_manifest_without_counts, "Manifest des Archivs ist unlesbar", True),
    "missing-signature": (
        lambda m: [x for x in m if x[0].name != "manifest.sig"],
        "nicht signiert",
        False,
    ),
}


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_archives_are_refused_without_writing(filled, tmp_path, kind):
    archive = take_backup(filled, tmp_path / "echt.tar.gz")
    change, message, sign = HOSTILE[kind]
    members = change(_members(archive))
    if sign:
        members = _signed(members, tmp_path / "data" / "backup_key")
    hostile = _write(tmp_path / "boese.tar.gz", members)
    target = empty_target(tmp_path)
    before = folder_state(target)
    result = invoke(target, "restore", str(hostile))
    assert result.exit_code != 0
    assert message in result.output and "nichts wiederhergestellt" in result.output
    assert folder_state(target) == before
    assert before[1] == {}  # the target stays without data
    assert not (tmp_path / "boese.txt").exists() and not Path("/tmp/boese-sicherung.txt").exists()


def test_a_flipped_byte_in_the_archive_file_is_refused_without_writing(filled, tmp_path):
    archive = take_backup(filled, tmp_path / "echt.tar.gz")
    data = bytearray(archive.read_bytes())
    for offset in (len(data) // 3, len(data) - 12):  # in the stream; in gzip's CRC trailer
        broken = tmp_path / f"kaputt-{offset}.tar.gz"
        flipped = bytearray(data)
        flipped[offset] ^= 0x40
        broken.write_bytes(bytes(flipped))
        target = empty_target(tmp_path, f"neu-{offset}")
        before = folder_state(target)
        result = invoke(target, "restore", str(broken))
        assert result.exit_code != 0, offset
        assert "nichts wiederhergestellt" in result.output
        assert folder_state(target) == before


# --- (c) Non-empty targets ----------------------------------------------------------------------


def test_restore_refuses_a_target_that_holds_data(filled, tmp_path):
    archive = take_backup(filled, tmp_path / "sicherung.tar.gz")
    before = table_counts(filled)
    result = invoke(filled, "restore", str(archive))
    assert result.exit_code != 0 and "nicht leer" in result.output
    assert table_counts(filled) == before


def test_restore_refuses_a_data_folder_with_files(filled, tmp_path):
    archive = take_backup(filled, tmp_path / "sicherung.tar.gz")
    target = empty_target(tmp_path)
    stray = Path(target.config["DATA_DIR"]) / "attachments" / "ab" / "abcdef"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"alt")
    result = invoke(target, "restore", str(archive))
    assert result.exit_code != 0 and "nicht leer" in result.output
    assert folder_state(target)[1] == {}


def test_restore_into_a_data_folder_a_server_already_started_in(filled, tmp_path):
    """A first server start leaves a set-up address and the schema, which are no data."""
    from intranet.auth.services import issue_setup_token

    archive = take_backup(filled, tmp_path / "sicherung.tar.gz")
    target = empty_target(tmp_path)
    with target.app_context(), db.connection_context():
        assert issue_setup_token()
    result = invoke(target, "restore", str(archive))
    assert result.exit_code == 0, result.output
    assert "Konten: 2" in result.output and "Dateien: 3" in result.output


# --- (d) The backup before `db upgrade` --------------------------------------------------------


def test_db_upgrade_backs_up_first_only_when_something_is_pending(
    app, runner, member, tmp_path, monkeypatch
):
    backups = Path(app.config["DATA_DIR"]) / "backups"
    current = runner.invoke(args=["db", "upgrade"])
    assert current.exit_code == 0 and "aktuell" in current.output
    assert not backups.exists() and "Sicherung" not in current.output

    # A new release brings one more migration (a harmless one, so that it can run here).
    folder = tmp_path / "migrations"
    shutil.copytree(migrations.DIRECTORY, folder)
    latest = "9999_new_release"
    (folder / f"{latest}.py").write_text("def up(migrator, db):\n    pass\n")
    monkeypatch.setattr(migrations, "DIRECTORY", str(folder))
    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert f"angewendet: {latest}" in upgraded.output
    if PG_URL:  # pg_dump is the admin's step there (README, "Aktualisieren / Updating")
        assert not backups.exists()
        return
    [archive] = backups.iterdir()
    assert archive.name.startswith("before-upgrade-") and archive.name.endswith(".tar.gz")
    assert f"Sicherung vor der Aktualisierung: {archive}" in upgraded.output
    # The first backup of this folder made the key: the admin learns of it here as well.
    assert "Sicherungsschlüssel wurde eben erzeugt" in upgraded.output
    assert latest not in manifest_of(archive)["database"]["migrations"]
    assert archive.stat().st_mode & 0o777 == 0o600
    again = runner.invoke(args=["db", "upgrade"])
    assert "aktuell" in again.output and len(list(backups.iterdir())) == 1


# --- (e) Upgrade from the first release --------------------------------------------------------

# The first release (2026-11-26) shipped migrations 0001–0003; 0004 (full-text search) and
# everything after came with the next one (see `git log --reverse -- intranet/migrations`).
FIRST_RELEASE = "0003_directory"
NOW = dt.datetime(2026, 11, 20, 9, 30)

FIRST_RELEASE_ROWS = {
    "organization": [
        dict(id=1, name="Kommunale Präventionsstelle", short_name="KPS", kind="authority",
             status="signatory", joined_on=dt.date(2024, 11, 1), website="https://kps.example",
             address="Rathausplatz 1\n01067 Dresden", created_at=NOW, phone="+49 351 1",
             email="kps@example.org"),
        dict(id=2, name="Kulturverein Çağrı e. V.", short_name="KÇ", kind="association",
             status="signatory", joined_on=None, website="", address="", created_at=NOW,
             phone="", email=""),
    ],
    "account": [
        dict(id=1, email="admin@example.org", display_name="Ada Admin", organization_id=None,
             role="admin", active=True, session_version=1, created_at=NOW, last_login_at=None,
             password_changed_at=NOW),
        dict(id=2, email="koordination@example.org", display_name="Jörg Übel",
             organization_id=1, role="coordinator", active=True, session_version=3,
             created_at=NOW, last_login_at=NOW, password_changed_at=NOW),
    ],
    "site_setting": [dict(key="imprint_url", value="https://example.org/impressum")],
    "meeting": [
        dict(id=1, uid="m1@intranet", series_id=None, title="Runder Tisch Prävention",
             start=dt.datetime(2026, 10, 14, 16, 0), end=dt.datetime(2026, 10, 14, 18, 0),
             room="Saal 2", street="Rathausplatz 1", postal_code="01067", city="Dresden",
             online_url="", description="Bericht der Präventionsstelle", organization_id=1,
             state="held", cancelled=False, cancel_reason="", label="green", sequence=1,
             version=2, created_by_id=2, created_at=NOW, updated_at=NOW),
        dict(id=2, uid="m2@intranet", series_id=None, title="Arbeitsgruppe Moscheen",
             start=dt.datetime(2027, 2, 3, 17, 0), end=dt.datetime(2027, 2, 3, 19, 0),
             room="", street="", postal_code="", city="", online_url="https://meet.example/ag",
             description="", organization_id=1, state="planned", cancelled=False,
             cancel_reason="", label="amber", sequence=0, version=1, created_by_id=2,
             created_at=NOW, updated_at=NOW),
    ],
    "meeting_organization": [dict(id=1, meeting_id=2, organization_id=2)],
    "agenda_item": [
        dict(id=1, meeting_id=1, position=1, title="Begrüßung", description="", organization_id=None,
             public=True, label="green"),
        dict(id=2, meeting_id=1, position=2, title="Lagebild Innenstadt",
             description="Vortrag der Polizei", organization_id=1, public=True, label="green"),
    ],
    "answer": [
        dict(id=1, meeting_id=2, account_id=2, person_label="Jörg Übel", organization_id=1,
             answer="yes", answered_at=NOW),
    ],
    "attendance": [
        dict(id=1, meeting_id=1, organization_id=1, status="present", names="Jörg Übel",
             recorded_by_id=2, recorded_by_label="koordination@example.org", recorded_at=NOW),
    ],
    "person": [
        dict(id=1, account_id=2, organization_id=1, function="Koordination", title="Dr.",
             given_name="Jörg", family_name="Übel", form_of_address="Herr",
             phone="+49 351 2", phone_visibility="forum", mobile="", mobile_visibility="coordinators",
             email="joerg.uebel@example.org", email_visibility="forum", languages="Deutsch, Türkisch",
             consent_on=dt.date(2025, 1, 5), consent_basis="consent", consent_recorded_by_id=1,
             search_key="dr jorg ubel koordination", sort_key="ubel jorg", version=1,
             created_at=NOW, updated_at=NOW),
        dict(id=2, account_id=None, organization_id=2, function="Vorsitz", title="",
             given_name="Ayşe", family_name="Özdemir", form_of_address="Frau", phone="",
             phone_visibility="coordinators", mobile="", mobile_visibility="coordinators",
             email="", email_visibility="coordinators", languages="", consent_on=None,
             consent_basis="", consent_recorded_by_id=None, search_key="ayse ozdemir vorsitz",
             sort_key="ozdemir ayse", version=1, created_at=NOW, updated_at=NOW),
    ],
    "membership": [
        dict(id=1, person_id=2, organization_id=2, role="Vorsitz",
             start_date=dt.date(2023, 1, 1), end_date=None, on_behalf_of_id=None,
             anonymized_at=None, created_at=NOW),
    ],
}  # fmt: skip


def _insert(table: str, row: dict) -> None:
    from intranet.auth.passwords import hash_password

    if table == "account":
        row = {**row, "password_hash": hash_password(factories.PASSWORD)}
    columns = ", ".join(f'"{c}"' for c in row)
    marks = ", ".join([db.obj.param] * len(row))
    insert = f'INSERT INTO "{table}" ({columns}) VALUES ({marks})'  # noqa: S608 - own names
    db.execute_sql(insert, list(row.values()))


def _snapshot(tables) -> dict:
    result = {}
    for table, rows in tables.items():
        columns = ", ".join(f'"{c}"' for c in rows[0])
        cursor = db.execute_sql(f'SELECT {columns} FROM "{table}" ORDER BY 1')  # noqa: S608
        result[table] = [tuple(row) for row in cursor.fetchall()]
    return result


def _first_release_database(tmp_path) -> dict:
    """A database at the first release's schema, filled by SQL; returns its config."""
    data = tmp_path / "alt"
    data.mkdir()
    if PG_URL:
        url = PG_URL
        with _pg_connect(PG_URL) as connection:
            connection.execute("DROP SCHEMA public CASCADE")
            connection.execute("CREATE SCHEMA public")
    else:
        url = f"sqlite:///{data / 'intranet.db'}"
    database = open_database(url)
    with database.connection_context():
        applied = migrations.runner().up(target=FIRST_RELEASE)
        assert applied == ["0001_initial", "0002_meetings", FIRST_RELEASE]
        with database.atomic():
            for table, rows in FIRST_RELEASE_ROWS.items():
                for row in rows:
                    _insert(table, row)
            if PG_URL:  # explicit ids leave the sequences behind
                for table in FIRST_RELEASE_ROWS:
                    if table != "site_setting":
                        db.execute_sql(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                            f' (SELECT max(id) FROM "{table}"))'
                        )
            for number in range(3):
                audit.record("login.failed", target=f"person{number}@example.org")
        snapshot = _snapshot(FIRST_RELEASE_ROWS)
        snapshot["audit_event"] = [
            tuple(r) for r in db.execute_sql("SELECT * FROM audit_event ORDER BY id").fetchall()
        ]
    database.close_all()
    return {
        "TESTING": True,
        "DATA_DIR": str(data),
        "DATABASE_URL": url,
        "SECRET_KEY": "test-key",
        "SECOND_FACTOR_ROLES": [],
        "snapshot": snapshot,
    }


def test_upgrade_from_the_first_release_keeps_every_row_and_serves_pages(tmp_path):
    config = _first_release_database(tmp_path)
    snapshot = config.pop("snapshot")
    app = create_app(config)
    app.test_client_class = IsolatedClient
    assert app.config["SCHEMA_PENDING"][0] == "0004_fulltext"
    assert app.test_client().get("/login").status_code == 503

    result = invoke(app, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "angewendet: 0004_fulltext" in result.output
    if not PG_URL:
        assert "Sicherung vor der Aktualisierung" in result.output

    with app.app_context(), db.connection_context():
        assert not migrations.pending()
        after = _snapshot(FIRST_RELEASE_ROWS)
        for table, rows in snapshot.items():
            if table != "audit_event":
                assert after[table] == rows, table
        # Columns added since (the number of refused attempts) come after the first release's.
        width = len(snapshot["audit_event"][0])
        events = [
            tuple(r)[:width]
            for r in db.execute_sql("SELECT * FROM audit_event ORDER BY id").fetchall()
        ]
        assert events[: len(snapshot["audit_event"])] == snapshot["audit_event"]
        assert audit.verify() is None
    assert invoke(app, "audit", "verify").exit_code == 0

    client = app.test_client()
    assert sign_in(client, "koordination@example.org").status_code == 303
    pages = {
        "/": "Arbeitsgruppe Moscheen",
        "/calendar?month=2026-10": "Runder Tisch Prävention",
        "/meetings/1": "Lagebild Innenstadt",
        "/meetings/2": "Arbeitsgruppe Moscheen",
        "/meetings/2.ics": "Arbeitsgruppe Moscheen",
        "/contacts": "Özdemir",
        "/contacts/1": "Übel",
        "/organizations/2": "Kulturverein Çağrı",
        "/search?q=Pr%C3%A4vention": "Runder Tisch",
        "/search?q=ozdemir": "Özdemir",
        "/minutes": "",
        "/account": "koordination@example.org",
    }
    for address, text in pages.items():
        response = client.get(address)
        assert response.status_code == 200, address
        assert text in response.get_data(as_text=True), address
    admin = app.test_client()
    assert sign_in(admin, "admin@example.org").status_code == 303
    for address in ("/admin/accounts", "/admin/audit", "/admin/settings"):
        assert admin.get(address).status_code == 200, address


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL only")
def test_restore_refuses_a_postgres_database_with_tables_of_another_program(filled, tmp_path):
    archive = take_backup(filled, tmp_path / "sicherung.tar.gz")
    target = empty_target(tmp_path)
    with _pg_connect(target.config["DATABASE_URL"]) as connection:
        connection.execute("CREATE TABLE fremd (id integer)")
    result = invoke(target, "restore", archive)
    assert result.exit_code != 0 and "fremd" in result.output
    assert folder_state(target)[1] == {}


@pytest.mark.skipif(bool(PG_URL), reason="the automatic backup is made on SQLite")
def test_a_failed_upgrade_names_the_backup_and_how_to_restore_it(app, runner, monkeypatch):
    history = migrations.runner().History
    history.delete().where(history.name == "0008_index_agenda_items").execute()

    def broken():
        raise RuntimeError("Spalte fehlt")

    monkeypatch.setattr(migrations, "upgrade", broken)
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code != 0
    [archive] = (Path(app.config["DATA_DIR"]) / "backups").iterdir()
    assert "Spalte fehlt" in result.output
    assert f"flask --app app restore {archive}" in result.output


# --- (f) Signed manifests and the schema the migrations make -----------------------------------


def _sqlite_file(app) -> str:
    return app.config["DATABASE_URL"].split("sqlite:///", 1)[1]


def _forged(archive: Path, target: Path, change_database, keep_signature=True) -> Path:
    """What someone with the archive but without the key can do: change the database in it
    and write a manifest with the new checksum (SQLite archives)."""
    members = _members(archive)
    database = next(c for i, c in members if i.name == "database/intranet.sqlite3")
    work = target.with_suffix(".sqlite3")
    work.write_bytes(database)
    with sqlite3.connect(work) as connection:
        change_database(connection)
    connection.close()
    changed_database = work.read_bytes()
    changed = []
    for info, content in members:
        if info.name == "database/intranet.sqlite3":
            content = changed_database
        elif info.name == "manifest.json":
            manifest = json.loads(content)
            manifest["members"]["database/intranet.sqlite3"] = {
                "size": len(changed_database),
                "sha256": hashlib.sha256(changed_database).hexdigest(),
            }
            content = json.dumps(manifest, indent=1).encode()
        elif info.name == "manifest.sig" and not keep_signature:
            continue
        changed.append((info, content))
    return _write(target, changed)


PROMOTE_SQLITE = (
    "CREATE TRIGGER promote AFTER UPDATE OF last_login_at ON account"
    " BEGIN UPDATE account SET role = 'admin' WHERE id = NEW.id; END"
)


@pytest.mark.skipif(bool(PG_URL), reason="changes the SQLite file inside the archive")
@pytest.mark.parametrize(
    ("keep_signature", "message"),
    [(True, "Signatur des Manifests stimmt nicht"), (False, "nicht signiert")],
)
def test_a_trigger_added_to_the_archive_with_new_checksums_is_refused(
    filled, member, tmp_path, keep_signature, message
):
    archive = take_backup(filled, tmp_path / "echt.tar.gz")
    forged = _forged(
        archive,
        tmp_path / "boese.tar.gz",
        lambda c: c.execute(PROMOTE_SQLITE),
        keep_signature=keep_signature,
    )
    target = empty_target(tmp_path)
    before = folder_state(target)
    result = invoke(target, "restore", forged)
    assert result.exit_code != 0
    assert message in result.output and "nichts wiederhergestellt" in result.output
    assert folder_state(target) == before
    # Had it been restored, the member would be admin after the next sign-in.
    assert sign_in(target.test_client(), member.email).status_code != 303


@pytest.mark.skipif(bool(PG_URL), reason="changes the SQLite file inside the archive")
def test_a_planted_trigger_is_refused_even_under_a_valid_signature(filled, tmp_path):
    """The key's holder (or a backup of a database someone planted the trigger in) gets no
    further: the schema is compared with the one the migrations make."""
    archive = take_backup(filled, tmp_path / "echt.tar.gz")
    forged = _forged(archive, tmp_path / "boese.tar.gz", lambda c: c.execute(PROMOTE_SQLITE))
    signed = _write(
        tmp_path / "signiert.tar.gz",
        _signed(_members(forged), tmp_path / "data" / "backup_key"),
    )
    target = empty_target(tmp_path)
    before = folder_state(target)
    result = invoke(target, "restore", signed)
    assert result.exit_code != 0
    assert "unbekannt: Trigger promote ON account" in result.output
    assert folder_state(target) == before


def test_an_archive_signed_with_another_key_is_refused(filled, tmp_path):
    archive = take_backup(filled, tmp_path / "echt.tar.gz")
    other_key = tmp_path / "anderer_schluessel"
    other_key.write_text("f" * 64)
    forged = _write(tmp_path / "boese.tar.gz", _signed(_members(archive), other_key))
    target = empty_target(tmp_path)
    before = folder_state(target)
    result = invoke(target, "restore", forged)
    assert result.exit_code != 0
    assert "anderen Sicherungsschlüssel" in result.output
    assert backup.Key("f" * 64, "").id in result.output
    assert folder_state(target) == before
    # The same archive with the key it was signed with restores.
    assert invoke(target, "restore", forged, "--key-file", other_key).exit_code == 0


def test_the_backup_key_is_made_once_kept_private_and_signs_the_manifest(filled, tmp_path):
    key_file = Path(filled.config["DATA_DIR"]) / "backup_key"
    assert not key_file.exists()
    first = invoke(filled, "backup", tmp_path / "eins.tar.gz")
    assert first.exit_code == 0, first.output
    assert key_file.stat().st_mode & 0o777 == 0o600
    key = key_file.read_text().strip()
    assert len(key) == 64 and "eben erzeugt" in first.output
    assert f"(ID {backup.Key(key, '').id})" in first.output
    second = invoke(filled, "backup", tmp_path / "zwei.tar.gz")
    assert "eben erzeugt" not in second.output and key_file.read_text().strip() == key
    members = dict((i.name, c) for i, c in _members(tmp_path / "zwei.tar.gz"))
    assert not [name for name, content in members.items() if key.encode() in content]
    manifest, signature = members["manifest.json"], json.loads(members["manifest.sig"])
    assert signature["hmac"] == hmac.new(key.encode(), manifest, hashlib.sha256).hexdigest()


def test_restore_on_a_new_machine_needs_the_key_and_keeps_it(filled, tmp_path):
    archive = take_backup(filled, tmp_path / "sicherung.tar.gz")
    key_file = tmp_path / "data" / "backup_key"
    target = empty_target(tmp_path, copy_key=False)
    before = folder_state(target)
    refused = invoke(target, "restore", archive)
    assert refused.exit_code != 0 and "--key-file" in refused.output
    assert folder_state(target) == before
    restored = invoke(target, "restore", archive, "--key-file", key_file)
    assert restored.exit_code == 0, restored.output
    kept = Path(target.config["DATA_DIR"]) / "backup_key"
    assert kept.read_text() == key_file.read_text().strip()
    assert kept.stat().st_mode & 0o777 == 0o600
    # The new installation's backups are signed with the key the admin already keeps.
    again = take_backup(target, tmp_path / "neu.tar.gz")
    other = empty_target(tmp_path, "neu-2", copy_key=False)
    assert invoke(other, "restore", again, "--key-file", key_file).exit_code == 0


def test_the_backup_key_can_come_from_the_setting(filled, tmp_path):
    secret = "k" * 40
    filled.config["BACKUP_KEY"] = secret
    try:
        archive = take_backup(filled, tmp_path / "sicherung.tar.gz")
    finally:
        filled.config["BACKUP_KEY"] = None
    assert not (Path(filled.config["DATA_DIR"]) / "backup_key").exists()
    target = empty_target(tmp_path)
    assert invoke(target, "restore", archive).exit_code != 0
    target.config["BACKUP_KEY"] = secret
    result = invoke(target, "restore", archive)
    assert result.exit_code == 0, result.output
    assert not (Path(target.config["DATA_DIR"]) / "backup_key").exists()
    target.config["BACKUP_KEY"] = "zu kurz"
    short = invoke(target, "backup", tmp_path / "kurz.tar.gz")
    assert short.exit_code != 0 and "zu kurz" in short.output
    assert not (tmp_path / "kurz.tar.gz").exists()
    # INTRANET_BACKUP_KEY=<digits only> is read as JSON, a number: refused, not changed.
    target.config["BACKUP_KEY"] = int("7" * 40)
    digits = invoke(target, "backup", tmp_path / "ziffern.tar.gz")
    assert digits.exit_code != 0 and "kein Text" in digits.output


def _sqlite_changed_column(app):
    """The role column gets the default 'admin' (SQLite alters a column only this way)."""
    connection = sqlite3.connect(_sqlite_file(app))
    with connection:
        version = connection.execute("PRAGMA schema_version").fetchone()[0]
        connection.execute("PRAGMA writable_schema = ON")
        connection.execute(
            "UPDATE sqlite_master SET sql = replace(sql, '\"role\" VARCHAR(255) NOT NULL',"
            " '\"role\" VARCHAR(255) NOT NULL DEFAULT ''admin''') WHERE name = 'account'"
        )
        connection.execute(f"PRAGMA schema_version = {version + 1}")
    connection.close()


# What someone with write access to the live database leaves behind, for SQLite and for
# PostgreSQL, and what the refusal names. A backup carries it with a valid signature.
PLANTED = {
    "trigger": (
        [PROMOTE_SQLITE],
        [
            "CREATE FUNCTION promote() RETURNS trigger LANGUAGE plpgsql"
            " AS 'BEGIN NEW.role := ''admin''; RETURN NEW; END'",
            "CREATE TRIGGER promote BEFORE UPDATE OF last_login_at ON account"
            " FOR EACH ROW EXECUTE FUNCTION promote()",
        ],
        "Trigger promote ON ",
    ),
    "view": (
        ["CREATE VIEW everyone AS SELECT email, password_hash FROM account"],
        ["CREATE VIEW everyone AS SELECT email, password_hash FROM account"],
        "unbekannt: Sicht ",
    ),
    "extra-column": (
        ["ALTER TABLE account ADD COLUMN note TEXT"],
        ["ALTER TABLE account ADD COLUMN note TEXT"],
        "account",
    ),
    "changed-column": (
        _sqlite_changed_column,
        ["ALTER TABLE account ALTER COLUMN role SET DEFAULT 'admin'"],
        "geändert: ",
    ),
    "extra-table": (
        ["CREATE TABLE stash (secret TEXT)"],
        ["CREATE TABLE stash (secret TEXT)"],
        "unbekannt: Tabelle ",
    ),
    "function": (
        None,
        ["CREATE FUNCTION helper() RETURNS integer LANGUAGE sql AS 'SELECT 1'"],
        "unbekannt: Funktion public.helper()",
    ),
}


def schema_objects(app) -> dict:
    """Triggers, views, functions and the account table's columns, read straight from the
    database's catalogue."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite"):
        with sqlite3.connect(_sqlite_file(app)) as connection:
            rows = connection.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE type IN ('trigger', 'view')"
                " OR name = 'account'"
            ).fetchall()
        connection.close()
        return {"objects": sorted(rows)}
    with _pg_connect(url) as connection:
        return {
            "triggers": connection.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
            ).fetchall(),
            "views": connection.execute(
                "SELECT viewname FROM pg_views WHERE schemaname = 'public'"
            ).fetchall(),
            "functions": connection.execute(
                "SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace"
            ).fetchall(),
            "columns": connection.execute(
                "SELECT column_name, column_default FROM information_schema.columns"
                " WHERE table_name = 'account' ORDER BY column_name"
            ).fetchall(),
            "tables": connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            ).fetchall(),
        }


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_a_backup_of_a_database_with_planted_objects_is_refused_without_writing(
    filled, tmp_path, kind
):
    sqlite_change, pg_change, message = PLANTED[kind]
    change = pg_change if PG_URL else sqlite_change
    if change is None:
        pytest.skip("SQLite has no stored functions")
    try:
        if callable(change):
            change(filled)
        else:
            with db.connection_context():
                for statement in change:
                    db.execute_sql(statement)
        archive = take_backup(filled, tmp_path / "sicherung.tar.gz")
    finally:
        if PG_URL:  # the next test's database must not inherit the planted objects
            db.close_all()
            with _pg_connect(PG_URL) as connection:
                connection.execute("DROP SCHEMA public CASCADE")
                connection.execute("CREATE SCHEMA public")
    target = empty_target(tmp_path)
    before = folder_state(target), schema_objects(target)
    result = invoke(target, "restore", archive)
    assert result.exit_code != 0
    assert "Das Schema der Datenbank in der Sicherung weicht" in result.output
    assert message in result.output and "nichts wiederhergestellt" in result.output
    assert (folder_state(target), schema_objects(target)) == before


def test_a_backup_of_an_older_schema_restores_and_names_the_upgrade(tmp_path):
    """The schema is compared with what the migrations make up to the backup's own level."""
    config = _first_release_database(tmp_path)
    config.pop("snapshot")
    config["DATA_DIR"] = str(tmp_path / "data")
    old = create_app(config)
    archive = take_backup(old, tmp_path / "alt.tar.gz")
    assert manifest_of(archive)["database"]["schema_version"] == FIRST_RELEASE
    target = empty_target(tmp_path)
    result = invoke(target, "restore", archive)
    assert result.exit_code == 0, result.output
    assert f"Schema: {FIRST_RELEASE}" in result.output and "db upgrade" in result.output
    assert table_counts(target)["person"] == len(FIRST_RELEASE_ROWS["person"])
