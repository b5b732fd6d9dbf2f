"""The schema the migrations make, compared with the one in a backup: a trigger, view or
function planted in the live database is not carried over by its (correctly signed) backup."""

from intranet.backup.common import BackupError
from intranet.platform.db import db

# What the comparison names, in German, by kind of object.
LABELS = {
    "table": "Tabelle",
    "shadow table": "Tabelle",
    "column": "Spalte",
    "constraint": "Bedingung",
    "index": "Index",
    "trigger": "Trigger",
    "view": "Sicht",
    "materialized view": "materialisierte Sicht",
    "foreign table": "Fremdtabelle",
    "sequence": "Sequenz",
    "type": "Typ",
    "rule": "Regel",
    "policy": "Zeilenrichtlinie",
    "function": "Funktion",
    "operator": "Operator",
    "collation": "Sortierfolge",
    "text search configuration": "Textsuche-Konfiguration",
    "text search dictionary": "Textsuche-Wörterbuch",
    "schema": "Schema",
    "extension": "Erweiterung",
    "event trigger": "Ereignis-Trigger",
    "publication": "Publikation",
}


def sqlite_schema(execute) -> dict:
    """Every object in sqlite_master by (kind, name), with its SQL text (blanks folded)."""
    rows = execute(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE substr(name, 1, 7) <> 'sqlite_'"
    ).fetchall()
    virtual = [
        name
        for kind, name, _, sql in rows
        if kind == "table" and " ".join((sql or "").split()).upper().startswith("CREATE VIRTUAL")
    ]
    schema = {}
    for kind, name, table, sql in rows:
        if kind == "table" and any(name.startswith(f"{v}_") for v in virtual):
            # FTS5 keeps its index in tables it makes itself, worded by the SQLite version.
            schema[("shadow table", name)] = ""
            continue
        schema[(kind, f"{name} ON {table}" if kind == "trigger" else name)] = " ".join(
            (sql or "").split()
        )
    return schema


# Objects in PostgreSQL's catalogues as (kind, name, definition): names quoted so that they can
# be dropped as they are; definitions as PostgreSQL prints them. Without '%' anywhere: the
# queries run through drivers that would read it as a parameter marker.
_PG_PARTS = {
    "own": "n.nspname NOT IN ('pg_catalog', 'information_schema')"
    " AND n.nspname !~ '^pg_(toast|temp)'",
    "rel": "quote_ident(n.nspname) || '.' || quote_ident(c.relname)",
    "ns": "JOIN pg_namespace n ON n.oid = c.relnamespace",
}
PG_SCHEMA = (
    "SELECT 'schema', quote_ident(n.nspname), '' FROM pg_namespace n WHERE {own}",
    "SELECT 'extension', quote_ident(extname), extversion FROM pg_extension",
    "SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'"
    " WHEN 'f' THEN 'foreign table' WHEN 'S' THEN 'sequence' WHEN 'c' THEN 'type'"
    " ELSE 'table' END, {rel}, concat_ws(' ', c.relkind::text, c.relpersistence::text,"
    " c.relrowsecurity::text, c.relforcerowsecurity::text,"
    " CASE WHEN c.relkind IN ('v', 'm') THEN pg_get_viewdef(c.oid) END)"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE {own} AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'c')",
    "SELECT 'column', {rel} || '.' || quote_ident(a.attname),"
    " concat_ws(' ', format_type(a.atttypid, a.atttypmod),"
    " CASE WHEN a.attnotnull THEN 'NOT NULL' END, 'DEFAULT ' || pg_get_expr(d.adbin, d.adrelid),"
    " nullif(a.attidentity::text, ''), nullif(a.attgenerated::text, ''),"
    " 'COLLATE ' || co.collname)"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid {ns}"
    " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
    " LEFT JOIN pg_collation co ON co.oid = a.attcollation"
    " WHERE {own} AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')"
    " AND a.attnum > 0 AND NOT a.attisdropped",
    "SELECT 'constraint', quote_ident(x.conname) || ' ON ' || {rel},"
    " pg_get_constraintdef(x.oid) FROM pg_constraint x JOIN pg_class c ON c.oid = x.conrelid {ns}"
    " WHERE {own}",
    "SELECT 'index', {rel}, pg_get_indexdef(c.oid)"
    " FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid {ns} WHERE {own}",
    "SELECT 'trigger', quote_ident(x.tgname) || ' ON ' || {rel}, pg_get_triggerdef(x.oid)"
    " FROM pg_trigger x JOIN pg_class c ON c.oid = x.tgrelid {ns} WHERE NOT x.tgisinternal",
    "SELECT 'rule', quote_ident(x.rulename) || ' ON ' || {rel}, pg_get_ruledef(x.oid)"
    " FROM pg_rewrite x JOIN pg_class c ON c.oid = x.ev_class {ns} WHERE x.rulename <> '_RETURN'",
    "SELECT 'policy', quote_ident(x.polname) || ' ON ' || {rel},"
    " concat_ws(' ', x.polcmd::text, x.polpermissive::text, pg_get_expr(x.polqual, x.polrelid),"
    " pg_get_expr(x.polwithcheck, x.polrelid))"
    " FROM pg_policy x JOIN pg_class c ON c.oid = x.polrelid {ns}",
    "SELECT 'function', quote_ident(n.nspname) || '.' || quote_ident(x.proname)"
    " || '(' || pg_get_function_identity_arguments(x.oid) || ')',"
    " concat_ws(' ', x.prokind::text, x.prosecdef::text, md5(coalesce(x.prosrc, '')),"
    " x.proconfig::text)"
    " FROM pg_proc x JOIN pg_namespace n ON n.oid = x.pronamespace WHERE {own}",
    "SELECT 'type', quote_ident(n.nspname) || '.' || quote_ident(x.typname), x.typtype::text"
    " FROM pg_type x JOIN pg_namespace n ON n.oid = x.typnamespace"
    " WHERE {own} AND x.typrelid = 0 AND x.typcategory <> 'A'",
    "SELECT 'operator', x.oid::regoperator::text, ''"
    " FROM pg_operator x JOIN pg_namespace n ON n.oid = x.oprnamespace WHERE {own}",
    "SELECT 'collation', quote_ident(n.nspname) || '.' || quote_ident(x.collname), ''"
    " FROM pg_collation x JOIN pg_namespace n ON n.oid = x.collnamespace WHERE {own}",
    "SELECT 'text search configuration', quote_ident(n.nspname) || '.' || quote_ident(x.cfgname),"
    " '' FROM pg_ts_config x JOIN pg_namespace n ON n.oid = x.cfgnamespace WHERE {own}",
    "SELECT 'text search dictionary', quote_ident(n.nspname) || '.' || quote_ident(x.dictname),"
    " '' FROM pg_ts_dict x JOIN pg_namespace n ON n.oid = x.dictnamespace WHERE {own}",
    "SELECT 'event trigger', quote_ident(evtname), evtevent FROM pg_event_trigger",
    "SELECT 'publication', quote_ident(pubname), '' FROM pg_publication",
)
# How to remove each kind of object a refused restore made, dependants first.
PG_DROP = {
    "event trigger": "DROP EVENT TRIGGER IF EXISTS {}",
    "publication": "DROP PUBLICATION IF EXISTS {}",
    "trigger": "DROP TRIGGER IF EXISTS {}",
    "rule": "DROP RULE IF EXISTS {}",
    "policy": "DROP POLICY IF EXISTS {}",
    "view": "DROP VIEW IF EXISTS {} CASCADE",
    "materialized view": "DROP MATERIALIZED VIEW IF EXISTS {} CASCADE",
    "foreign table": "DROP FOREIGN TABLE IF EXISTS {} CASCADE",
    "table": "DROP TABLE IF EXISTS {} CASCADE",
    "sequence": "DROP SEQUENCE IF EXISTS {} CASCADE",
    "function": "DROP ROUTINE IF EXISTS {} CASCADE",
    "operator": "DROP OPERATOR IF EXISTS {} CASCADE",
    "type": "DROP TYPE IF EXISTS {} CASCADE",
    "collation": "DROP COLLATION IF EXISTS {} CASCADE",
    "text search configuration": "DROP TEXT SEARCH CONFIGURATION IF EXISTS {} CASCADE",
    "text search dictionary": "DROP TEXT SEARCH DICTIONARY IF EXISTS {} CASCADE",
    "schema": "DROP SCHEMA IF EXISTS {} CASCADE",
    "extension": "DROP EXTENSION IF EXISTS {} CASCADE",
}


def pg_schema(execute) -> dict:
    """Every object of the database outside PostgreSQL's own schemas, by (kind, name)."""
    schema = {}
    for query in PG_SCHEMA:
        text = query.format(**_PG_PARTS)  # noqa: S608 - constant text, no input
        for kind, name, definition in execute(text).fetchall():
            schema[(kind, name)] = definition or ""
    return schema


def reference_schema(database, applied: list[str], describe) -> dict:
    """What the migrations `applied` make in `database` (empty), described by `describe`."""
    from playhouse.migrations import Runner

    from intranet.migrations import DIRECTORY

    if applied:
        Runner(database, directory=DIRECTORY).up(target=applied[-1])
    return describe(database.execute_sql)


class _Discard(Exception):
    """Rolls back the transaction a reference schema was built in."""


def pg_reference_schema(applied: list[str]) -> dict:
    """Built in the (emptied) target database itself, in a transaction that is rolled back:
    PostgreSQL's DDL is transactional, and no second database is needed."""
    reference = {}
    with db.connection_context():
        try:
            with db.atomic():
                reference = reference_schema(db.obj, applied, pg_schema)
                raise _Discard
        except _Discard:
            pass
    return reference


def check_schema(manifest: dict, applied: list[str], expected: dict, actual: dict) -> None:
    """Refuse a database whose schema is not exactly the one its migrations make: a planted
    trigger, view, function, rule or a changed column would survive the restore unseen."""
    if sorted(applied) != manifest["database"]["migrations"]:
        raise BackupError("Die Migrationen in der Datenbank weichen vom Manifest ab.")

    def named(key):
        return f"{LABELS.get(key[0], key[0])} {key[1]}"

    def order(keys):  # whole objects first, then their columns, constraints and indexes
        return sorted(keys, key=lambda k: (k[0] in ("column", "constraint", "index"), k))

    differences = [f"unbekannt: {named(k)}" for k in order(set(actual) - set(expected))]
    differences += [f"fehlt: {named(k)}" for k in order(set(expected) - set(actual))]
    differences += [
        f"geändert: {named(k)}"
        for k in order(set(expected) & set(actual))
        if expected[k] != actual[k]
    ]
    if differences:
        shown = "; ".join(differences[:8]) + ("; …" if len(differences) > 8 else "")
        raise BackupError(
            "Das Schema der Datenbank in der Sicherung weicht von dem ab, das die Migrationen "
            f"bis {(applied or ['(keine)'])[-1]} erzeugen: {shown}."
        )
