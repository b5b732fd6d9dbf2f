"""CSV export for Excel and the import with its preview."""

import csv
import io

import pytest

from intranet.directory import csv_io
from intranet.directory.models import Person
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.factories import person

HEADER = "Anrede;Titel;Vorname;Nachname;Organisation;Funktion;Telefon;Mobil;E-Mail;Sprachen"


def rows_of(response):
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def test_export_is_excel_friendly_and_neutralises_formulas(client, org, coordinator):
    person(
        org,
        family_name='=HYPERLINK("http://x")',
        given_name="@SUM(1)",
        function="-2+3",
        phone="+49 351 1",
        languages="\tTab",
    )
    sign_in(client, coordinator)
    response = client.get("/contacts.csv")
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = rows_of(response)
    assert ";".join(rows[0]) == HEADER
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Nachname"] == '\'=HYPERLINK("http://x")'
    assert row["Vorname"] == "'@SUM(1)"
    assert row["Funktion"] == "'-2+3"
    assert row["Telefon"] == "'+49 351 1"
    for cell in rows[1]:
        assert not cell.startswith(csv_io.FORMULA_START)


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "ok", "'=x"])
def test_neutralise_round_trips(value):
    cell = csv_io.neutralise(value)
    assert not cell.startswith(csv_io.FORMULA_START)
    assert csv_io.unneutralise(cell) == value


def upload(client, content: str | bytes, name="kontakte.csv"):
    data = content.encode("utf-8-sig") if isinstance(content, str) else content
    return client.post(
        "/contacts/import",
        data={
            "csrf_token": csrf_token(client, "/contacts/import"),
            "file": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
    )


def test_exported_file_imports_with_the_same_data(client, org, coordinator):
    person(
        org,
        title="Dr.",
        form_of_address="ms",
        phone="+49 351 1",
        email="a@example.org",
        languages="Deutsch, Türkisch",
    )
    sign_in(client, coordinator)
    exported = client.get("/contacts.csv").get_data()
    Person.delete().execute()
    response = upload(client, exported)
    assert response.status_code == 303
    preview = client.get(response.headers["Location"])
    assert "1 Zeile ist bereit" in preview.get_data(as_text=True)
    client.post(
        response.headers["Location"], data={"csrf_token": csrf_token(client), "mode": "all"}
    )
    imported = Person.get()
    assert (imported.title, imported.given_name, imported.family_name) == ("Dr.", "Ayşe", "Özdemir")
    assert (imported.form_of_address, imported.phone, imported.email) == (
        "ms",
        "+49 351 1",
        "a@example.org",
    )
    assert imported.languages == "Deutsch, Türkisch" and imported.organization_id == org.id
    # The file carries no visibilities: a new entry of an authority (as `org` is) shows its
    # office phone to the forum, everything else starts with coordinators only.
    assert org.kind == "authority" and imported.phone_visibility == "forum"
    assert imported.mobile_visibility == imported.email_visibility == "coordinators"
    assert imported.search_key


BAD_FILE = "\r\n".join(
    [
        HEADER,
        ";;Ayşe;Özdemir;{org};Vorsitz;;;ayse@example.org;",
        ";;Karl;;{org};Kasse;;;;",
        ";;Lena;Neumann;Unbekannter Verein;Presse;abc;;kein-email;",
        ";;Omar;Haddad;{short};Jugend;;;;",
    ]
)


def bad_file(org):
    return (
        BAD_FILE.replace("{{org}}", org.name)
        .replace("{org}", org.name)
        .replace("{short}", org.short_name)
    )


def test_partly_invalid_file_imports_nothing_and_shows_errors_per_line(client, org, coordinator):
    sign_in(client, coordinator)
    response = upload(client, bad_file(org))
    assert response.status_code == 303 and Person.select().count() == 0
    preview_url = response.headers["Location"]
    body = client.get(preview_url).get_data(as_text=True)
    assert "2 Zeilen enthalten Fehler. Es wurde nichts importiert." in body
    assert "Zeile 3: Der Nachname fehlt." in body
    assert "Zeile 4: Es gibt keine Organisation „Unbekannter Verein“." in body
    assert "Die E-Mail-Adresse ist ungültig." in body and "Telefon darf nur Ziffern" in body
    assert "Nur die 2 gültigen Zeilen importieren" in body
    # Sending "all" for a file with errors writes nothing.
    client.post(preview_url, data={"csrf_token": csrf_token(client), "mode": "all"})
    assert Person.select().count() == 0
    response = client.post(preview_url, data={"csrf_token": csrf_token(client), "mode": "valid"})
    assert response.status_code == 303
    assert sorted(p.family_name for p in Person.select()) == ["Haddad", "Özdemir"]
    # The pending import is gone once used.
    assert client.get(preview_url).status_code == 404


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\xff\xfe\x00bad", "nicht UTF-8"),
        ("", "leer"),
        ("Name;Telefon\r\nA;1", "es fehlen: Nachname, Organisation, Funktion"),
        (HEADER + "\r\n", "keine Zeilen"),
    ],
)
def test_unreadable_files_are_refused_with_422(client, coordinator, content, message):
    sign_in(client, coordinator)
    response = upload(client, content)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_missing_file_is_refused(client, coordinator):
    sign_in(client, coordinator)
    response = client.post("/contacts/import", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 422


def test_pending_import_belongs_to_its_uploader(client, app, org, coordinator):
    sign_in(client, coordinator)
    url = upload(client, bad_file(org)).headers["Location"]
    other = factories.account("coordinator", org, email="zweite@example.org")
    second = app.test_client()
    sign_in(second, other)
    assert second.get(url).status_code == 404
    assert (
        second.post(url, data={"csrf_token": csrf_token(second), "mode": "valid"}).status_code
        == 404
    )
    assert second.get("/contacts/import/..%2F..%2Fsecret_key").status_code == 404
    assert Person.select().count() == 0


@pytest.mark.parametrize("role", ["admin", "reviewer", "member"])
def test_only_coordinators_import(client, org, role):
    account = factories.account(role, org)
    sign_in(client, account)
    assert client.get("/contacts/import").status_code == 404


def test_hostile_names_in_the_import_preview_stay_text(client, org, coordinator):
    sign_in(client, coordinator)
    content = HEADER + f'\r\n;;{{{{7*7}}}};"""><svg onload=alert(1)>\u202e";{org.name};Vorsitz;;;;'
    url = upload(client, content).headers["Location"]
    body = client.get(url).get_data(as_text=True)
    assert "<svg" not in body and "&lt;svg onload=alert(1)&gt;" in body and "{{7*7}}" in body
    client.post(url, data={"csrf_token": csrf_token(client), "mode": "all"})
    assert Person.get().family_name == '"><svg onload=alert(1)>'
