"""Management commands (`flask --app app …`), as listed in the public contract."""

import getpass
import secrets
import sys

import click
from flask import current_app
from flask.cli import AppGroup, with_appcontext

from intranet import backup as backup_service
from intranet import migrations
from intranet.auth import services
from intranet.auth.passwords import WeakPassword
from intranet.core import audit, mail, outbox, site_settings
from intranet.core.accounts import ROLES, Organization, Role
from intranet.platform.db import db, is_sqlite


def fail(message: str):
    click.echo(f"Fehler: {message}", err=True)
    sys.exit(1)


def require_current_schema():
    if migrations.pending():
        fail(
            f"Das Datenbankschema ist veraltet. Bitte zuerst ausführen: {migrations.UPGRADE_COMMAND}"
        )


@click.command("create-user")
@click.argument("email")
@click.option("--name", required=True, help="Display name.")
@click.option("--role", required=True, help="admin, coordinator, reviewer or member.")
@click.option("--org", "org_name", default=None, help="Name of the organisation.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@with_appcontext
def create_user(email, name, role, org_name, password_stdin):
    """Create an account."""
    require_current_schema()
    if role not in ROLES:
        fail(f"Unbekannte Rolle „{role}“. Erlaubt: {', '.join(ROLES)}.")
    organization = None
    if org_name:
        organization = Organization.get_or_none(Organization.name == org_name)
        if organization is None:
            fail(f"Unbekannte Organisation „{org_name}“.")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Passwort: ")
        if getpass.getpass("Passwort wiederholen: ") != password:
            fail("Die beiden Passwörter stimmen nicht überein.")
    try:
        account = services.create_account(email, name, role, password, organization)
    except WeakPassword as error:
        fail(f"Passwort abgelehnt: {error}")
    except services.AccountError as error:
        fail(str(error))
    click.echo(f"Konto {account.email} ({role}) angelegt.")


db_cli = AppGroup("db", help="Database schema.")


@db_cli.command("upgrade")
def db_upgrade():
    """Apply pending schema migrations (safe to run twice); on SQLite, back up first."""
    with db.connection_context():
        waiting = migrations.pending()
    before = None
    if waiting and is_sqlite():
        try:
            result = backup_service.create(backup_service.before_upgrade_path())
        except backup_service.BackupError as error:
            fail(f"Sicherung vor der Aktualisierung fehlgeschlagen; nichts geändert. {error}")
        before = result.path
        click.echo(f"Sicherung vor der Aktualisierung: {before}")
        _print_key(result.key)
    try:
        applied = migrations.upgrade()
    except Exception as error:
        if before is None:
            raise
        fail(
            f"Die Aktualisierung ist fehlgeschlagen ({error}). Den Stand von vorher stellt "
            f"`flask --app app restore {before}` in einem leeren Datenordner wieder her "
            "(siehe README, „Aktualisieren / Updating“)."
        )
    current_app.config["SCHEMA_PENDING"] = []
    if applied:
        for name in applied:
            click.echo(f"angewendet: {name}")
    else:
        click.echo("Das Schema ist aktuell.")


@db_cli.command("status")
def db_status():
    """The schema version in use and the migrations still to apply."""
    with db.connection_context():
        states = migrations.runner().status()
    applied = [m.name for m in states if m.applied]
    waiting = [m.name for m in states if m.path and not m.applied]
    click.echo(f"Schema: {applied[-1] if applied else 'leer'}")
    if waiting:
        click.echo("Ausstehend (flask --app app db upgrade):")
        for name in waiting:
            click.echo(f"  {name}")
    else:
        click.echo("Keine Migration ausstehend.")


audit_cli = AppGroup("audit", help="Audit log.")


@audit_cli.command("verify")
def audit_verify():
    """Check the audit log's hash chain."""
    broken = audit.verify()
    if broken is not None:
        fail(
            f"Die Prüfkette ist unterbrochen bei Eintrag {broken.id} ({broken.at:%Y-%m-%d %H:%M:%S} UTC, {broken.action})."
        )
    click.echo("Das Audit-Protokoll ist unversehrt.")


@audit_cli.command("prune")
def audit_prune():
    """Remove entries older than the retention period."""
    days = site_settings.audit_retention_days()
    removed = audit.prune(days)
    click.echo(f"{removed} Einträge älter als {days} Tage entfernt.")


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False))
@with_appcontext
def backup(file):
    """Write one archive (database copy, attachments, manifest) while the server runs."""
    try:
        result = backup_service.create(file)
    except backup_service.BackupError as error:
        fail(str(error))
    _print_backup(result)


def _print_backup(result):
    tables = result.manifest["database"]["tables"]
    seconds = f"{result.seconds:.1f}".replace(".", ",")
    click.echo(f"Sicherung geschrieben: {result.path}")
    click.echo(
        f"  {backup_service.human_size(result.size)} in {seconds} s; "
        f"Schema {result.manifest['database']['schema_version'] or 'leer'}; "
        f"{len(tables)} Tabellen mit {result.rows} Zeilen; "
        f"{len(result.files)} Dateien ({backup_service.human_size(result.file_bytes)})"
    )
    for warning in result.warnings:
        click.echo(f"  Hinweis: {warning}")
    _print_key(result.key)


def _print_key(key):
    click.echo(f"  Signiert mit dem Sicherungsschlüssel {key.source} (ID {key.id})")
    if key.created:
        click.echo(
            "  Hinweis: Der Sicherungsschlüssel wurde eben erzeugt. Bitte eine Kopie getrennt "
            "von den Sicherungen aufbewahren (z. B. im Passwortsafe): ohne ihn lässt sich "
            "keine Sicherung wiederherstellen."
        )


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--key-file",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The backup key (backup_key) of the installation that wrote FILE.",
)
@with_appcontext
def restore(file, key_file):
    """Check a backup archive completely, then restore it into an empty data folder."""
    try:
        restored = backup_service.restore(file, key_file)
    except backup_service.BackupError as error:
        fail(f"{error}\nEs wurde nichts wiederhergestellt.")
    database = restored.manifest["database"]
    click.echo(f"Sicherung vom {restored.manifest['created_at']} wiederhergestellt.")
    click.echo(f"  Signatur: gültig (Sicherungsschlüssel-ID {restored.key.id})")
    click.echo(f"  Schema: {database['schema_version'] or 'leer'}, wie die Migrationen es erzeugen")
    click.echo(f"  Integritätsprüfung: {restored.integrity}")
    click.echo(
        f"  Zeilen wie im Manifest: {sum(restored.tables.values())} in {len(restored.tables)} Tabellen"
    )
    for table, label in backup_service.MAIN_TABLES.items():
        if table in restored.tables:
            click.echo(f"    {label}: {restored.tables[table]}")
    click.echo(f"  Dateien: {restored.files} ({backup_service.human_size(restored.file_bytes)})")
    for warning in restored.warnings:
        click.echo(f"  Hinweis: {warning}")
    if restored.adopted_key:
        click.echo(f"  Sicherungsschlüssel übernommen nach {restored.adopted_key}")
    if restored.pending:
        click.echo(
            f"  Das Schema ist älter als diese Version; bitte ausführen: {migrations.UPGRADE_COMMAND}"
        )


DEMO_PEOPLE = [
    ("Katrin Lehmann", Role.COORDINATOR),
    ("Thomas Richter", Role.REVIEWER),
    ("Sabine Wolf", Role.MEMBER),
    ("Ahmad Rahimi", Role.MEMBER),
    ("Farid Noori", Role.MEMBER),
    ("Naveed Ahmad", Role.MEMBER),
    ("Leyla Aydın", Role.MEMBER),
    ("Emre Demir", Role.MEMBER),
    ("Mehmet Yılmaz", Role.MEMBER),
    ("Selin Kaya", Role.MEMBER),
    ("Omar Haddad", Role.MEMBER),
    ("Yusuf Karim", Role.MEMBER),
    ("Julia Neumann", Role.MEMBER),
    ("Ruslan Dudajew", Role.MEMBER),
]


def _demo_accounts(organizations):
    """One account per organisation (coordination at KORA, review at the police). Their
    passwords are random and not shown: demo accounts are for looking, not for signing in."""
    from intranet.auth.passwords import hash_password
    from intranet.core.accounts import Account

    unusable = hash_password(secrets.token_urlsafe(32))
    accounts = []
    for organization, (name, role) in zip(organizations, DEMO_PEOPLE, strict=False):
        local = name.lower().replace(" ", ".")
        local = local.translate(str.maketrans({"ı": "i", "ä": "ae", "ö": "oe", "ü": "ue"}))
        accounts.append(
            Account.create(
                email=f"{local}@demo.example",
                display_name=name,
                role=role,
                organization=organization,
                password_hash=unusable,
            )
        )
    return accounts


def database_has_data() -> bool:
    from intranet.models import MODELS

    skip = {"audit_event", "site_setting"}
    return any(m.select().exists() for m in MODELS if m._meta.table_name not in skip)


@click.command("demo-data")
@click.option("--years", default=1, type=click.IntRange(1, 10), help="Years of meetings.")
@click.option(
    "--scale", default=1, type=click.IntRange(1, 100), help="Multiply people and documents."
)
@click.option("--seed", default=2027, type=int, help="Seed of the random generator.")
@with_appcontext
def demo_data(years, scale, seed):
    """Fill an empty database with demo organisations, people and meetings."""
    import datetime as dt
    import random

    from intranet.attachments import demo as attachments_demo
    from intranet.demo import create_organizations
    from intranet.directory import demo as directory_demo
    from intranet.directory import search_provider as directory_search
    from intranet.meetings import demo as meetings_demo
    from intranet.meetings import search_provider as meetings_search
    from intranet.meetings.models import AgendaItem
    from intranet.minutes import demo as minutes_demo
    from intranet.minutes import search_index as minutes_search
    from intranet.minutes.models import MinutesState

    require_current_schema()
    if database_has_data():
        fail(
            "Die Datenbank enthält bereits Daten. Demodaten werden nur in eine leere Datenbank geschrieben."
        )
    rng = random.Random(seed)
    with db.atomic():
        organizations = create_organizations(joined_on=dt.date(2024, 11, 1))
        accounts = _demo_accounts(organizations)
        people = directory_demo.populate(organizations, scale=scale, rng=rng)
        meetings = meetings_demo.populate(
            organizations, accounts, years=years, scale=scale, rng=rng
        )
        # Demo rows are written directly, past the services that keep the index.
        for person in people:
            directory_search.index_person(person)
        for meeting in meetings:
            meetings_search.index_meeting(meeting)
        for item in AgendaItem.select():
            meetings_search.index_agenda_item(item)
        minutes = minutes_demo.populate(meetings, accounts, rng=rng)
        for document in minutes:
            minutes_search.index_minutes(document.id)
        coordinator = next(a for a in accounts if a.role == Role.COORDINATOR)
        released = [m for m in minutes if m.state == MinutesState.RELEASED]
        files = attachments_demo.populate(meetings, released, coordinator)
    click.echo(
        f"Demodaten angelegt: {len(organizations)} Organisationen, {len(people)} Kontakte, "
        f"{len(accounts)} Konten "
        f"(ohne bekanntes Passwort), {len(meetings)} Termine, {len(minutes)} Protokolle, "
        f"{len(files)} Dateien."
    )


mail_cli = AppGroup("mail", help="The mail outbox.")


@mail_cli.command("deliver")
@click.option("--once", is_flag=True, help="Send what is due now and exit.")
def mail_deliver(once):
    """Deliver the mail outbox (what `python app.py` also does in the background)."""
    require_current_schema()
    if not mail.enabled():
        fail("Mail ist ausgeschaltet: INTRANET_MAIL_SERVER ist nicht gesetzt.")
    try:
        counts = outbox.deliver(once=once)
    except KeyboardInterrupt:
        return
    click.echo(
        f"Zugestellt: {counts.get('sent', 0)}, fehlgeschlagen: {counts.get('failed', 0)}, "
        f"wartet: {counts.get('queued', 0)}"
    )


def init_app(app):
    for command in (create_user, db_cli, audit_cli, mail_cli, backup, restore, demo_data):
        app.cli.add_command(command)
