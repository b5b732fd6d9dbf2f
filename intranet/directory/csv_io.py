"""CSV export (Excel: UTF-8 with BOM, semicolons) and import with a preview.

Between preview and confirmation the checked rows wait on the server, in the data folder under
a random token together with the uploader's account id, never in the browser: the confirmation
carries only the token, so nothing the client sends back can change what gets written.
"""

import csv
import io
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from email_validator import EmailNotValidError, validate_email
from flask import current_app

from intranet.core.accounts import Organization
from intranet.directory import services, text
from intranet.directory.models import CONTACT_FIELDS, Person
from intranet.directory.visibility import default_visibility, visible
from intranet.platform.cleaning import clean_line
from intranet.platform.db import write_transaction
from intranet.platform.files import open_private, private_folder
from intranet.platform.i18n import gettext as _

# The file format is German because the people who open it in Excel are; it does not follow
# the interface language, so an export always imports again.
COLUMNS = (
    ("form_of_address", "Anrede"),
    ("title", "Titel"),
    ("given_name", "Vorname"),
    ("family_name", "Nachname"),
    ("organization", "Organisation"),
    ("function", "Funktion"),
    ("phone", "Telefon"),
    ("mobile", "Mobil"),
    ("email", "E-Mail"),
    ("languages", "Sprachen"),
)
FORMS_OF_ADDRESS = {"": "", "ms": "Frau", "mr": "Herr"}
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_BYTES = 1024 * 1024
MAX_ROWS = 2000
PENDING_LIFETIME = 3600
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
PHONE = re.compile(r"^[0-9+()/ .\-]*$")
LIMITS = {
    "title": 50,
    "given_name": 100,
    "family_name": 100,
    "function": 200,
    "phone": 50,
    "mobile": 50,
    "email": 320,
    "languages": 200,
}


def neutralise(value: str) -> str:
    """Make a cell inert for spreadsheets: prefix a formula-looking value with an apostrophe."""
    # A value that already starts with apostrophes before a formula sign gets one more, so
    # that `unneutralise` can always remove exactly one.
    return "'" + value if value.lstrip("'").startswith(FORMULA_START) else value


def unneutralise(value: str) -> str:
    """Undo `neutralise`, so that an exported file imports with the same data."""
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_START):
        return value[1:]
    return value


def export(viewer, people) -> str:
    """The rows `viewer` may see, hidden fields left empty; with BOM for Excel."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([label for _name, label in COLUMNS])
    for person in people:
        row = []
        for name, _label in COLUMNS:
            if name == "organization":
                value = person.organization.name
            elif name == "form_of_address":
                value = FORMS_OF_ADDRESS.get(person.form_of_address, "")
            else:
                value = visible(viewer, person, name)
            row.append(neutralise(value or ""))
        writer.writerow(row)
    return "\ufeff" + out.getvalue()


# --- Import -----------------------------------------------------------------------------------


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message says why, in German."""


@dataclass
class Row:
    line: int
    values: dict
    errors: list = field(default_factory=list)

    @property
    def name(self) -> str:
        return " ".join(
            v for v in (self.values.get("given_name"), self.values.get("family_name")) if v
        )


def _organizations() -> dict[str, int]:
    """Organisations by folded name and short name."""
    found = {}
    for org in Organization.select(Organization.id, Organization.name, Organization.short_name):
        found[text.fold(org.name)] = org.id
        if org.short_name:
            found.setdefault(text.fold(org.short_name), org.id)
    return found


def parse(data: bytes) -> list[Row]:
    if len(data) > MAX_BYTES:
        raise ImportFileError(_("The file is larger than 1 MB. Please split it."))
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _("The file is not UTF-8 encoded. In Excel, save it as “CSV UTF-8”.")
        ) from None
    lines = content.splitlines()
    if not lines or not lines[0].strip():
        raise ImportFileError(_("The file is empty."))
    delimiter = ";" if lines[0].count(";") >= lines[0].count(",") else ","
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
    except csv.Error:
        raise ImportFileError(_("The file could not be read as CSV.")) from None
    by_label = {text.fold(label): name for name, label in COLUMNS}
    positions = {}
    for index, heading in enumerate(header):
        name = by_label.get(text.fold(heading))
        if name:
            positions[name] = index
    missing = [
        label
        for name, label in COLUMNS
        if name in ("family_name", "organization", "function") and name not in positions
    ]
    if missing:
        raise ImportFileError(
            _(
                "The first line must name the columns; missing: %(columns)s.",
                columns=", ".join(missing),
            )
        )
    organizations = _organizations()
    rows = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= MAX_ROWS:
                raise ImportFileError(_("The file has more than %(n)s rows.", n=MAX_ROWS))
            values = {
                name: unneutralise(record[index].strip()) if index < len(record) else ""
                for name, index in positions.items()
            }
            rows.append(check_row(reader.line_num, values, organizations))
    except csv.Error:
        raise ImportFileError(_("The file could not be read as CSV.")) from None
    if not rows:
        raise ImportFileError(_("The file has no rows below the column names."))
    return rows


def check_row(line: int, raw: dict, organizations: dict[str, int]) -> Row:
    values = {name: clean_line(value) for name, value in raw.items()}
    row = Row(line=line, values=values)
    errors = row.errors
    if not values.get("family_name"):
        errors.append(_("The family name is missing."))
    if not values.get("function"):
        errors.append(_("The function is missing."))
    org_name = values.get("organization", "")
    if not org_name:
        errors.append(_("The organisation is missing."))
    elif text.fold(org_name) not in organizations:
        errors.append(_("There is no organisation “%(name)s”.", name=org_name))
    else:
        values["organization_id"] = organizations[text.fold(org_name)]
    address = values.get("form_of_address", "")
    codes = {label.casefold(): code for code, label in FORMS_OF_ADDRESS.items()}
    if address.casefold() not in codes:
        errors.append(_("Form of address must be “Frau”, “Herr” or empty."))
    else:
        values["form_of_address"] = codes[address.casefold()]
    for name, limit in LIMITS.items():
        if len(values.get(name, "")) > limit:
            errors.append(
                _("%(column)s is longer than %(n)s characters.", column=_label(name), n=limit)
            )
    for name in ("phone", "mobile"):
        if values.get(name) and not PHONE.match(values[name]):
            errors.append(
                _("%(column)s may only contain digits, spaces and + ( ) / - .", column=_label(name))
            )
    if values.get("email"):
        try:
            validate_email(values["email"], check_deliverability=False)
        except EmailNotValidError:
            errors.append(_("The email address is not valid."))
    return row


def _label(name: str) -> str:
    return dict(COLUMNS)[name]


def _folder() -> Path:
    return private_folder(Path(current_app.config["DATA_DIR"]) / "directory-imports")


def forget_old() -> None:
    """Pending imports hold personal data: they do not outlive an hour."""
    limit = time.time() - PENDING_LIFETIME
    for path in _folder().glob("*.json"):
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def store(account_id: int, rows: list[Row]) -> str:
    forget_old()
    token = secrets.token_urlsafe(24)
    payload = {
        "account_id": account_id,
        "rows": [{"line": r.line, "values": r.values, "errors": r.errors} for r in rows],
    }
    path = _folder() / f"{token}.json"
    with open_private(path, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False)
    return token


def load(token: str, account_id: int) -> list[Row] | None:
    """The pending rows for `token`, if they belong to `account_id` and have not expired."""
    if not TOKEN.match(token or ""):
        return None
    path = _folder() / f"{token}.json"
    try:
        if path.stat().st_mtime < time.time() - PENDING_LIFETIME:
            path.unlink(missing_ok=True)
            return None
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    if payload.get("account_id") != account_id:
        return None
    return [Row(r["line"], r["values"], r["errors"]) for r in payload["rows"]]


def discard(token: str) -> None:
    if TOKEN.match(token or ""):
        (_folder() / f"{token}.json").unlink(missing_ok=True)


def write(rows: list[Row], actor) -> int:
    """Create entries for `rows` (all valid) in one transaction; all or nothing."""
    count = 0
    kinds = dict(Organization.select(Organization.id, Organization.kind).tuples())
    with write_transaction():
        for row in rows:
            values = {
                name: row.values.get(name, "") for name, _label in COLUMNS if name != "organization"
            }
            values["organization"] = row.values["organization_id"]
            # The file carries no visibilities: each starts as for a new entry of its organisation.
            kind = kinds.get(row.values["organization_id"])
            for name in CONTACT_FIELDS:
                values[f"{name}_visibility"] = default_visibility(kind, name)
            person = Person()
            services.apply(person, values, actor)
            person.save(force_insert=True)
            count += 1
        from intranet.core import audit

        audit.record("person.imported", detail=f"{count} entries")
    return count
