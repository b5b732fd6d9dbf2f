"""The directory in everyday use: finding people by their organisation, reading what is not
shared, the empty directory, the skip link, and the own-entry form without the consent record."""

import datetime as dt
import re

import pytest

from intranet.directory.models import Person
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.factories import person
from tests.test_directory import fill, htmx


@pytest.fixture
def police(app):
    return factories.organization("Polizeidirektion Dresden", short_name="PD", kind="authority")


@pytest.fixture
def ministry(app):
    return factories.organization("Sächsisches Staatsministerium des Innern", short_name="SMI")


def result_names(body: str) -> set[str]:
    results = body.split('id="contact-results"', 1)[1]
    return set(re.findall(r'href="/contacts/\d+" dir="auto">([^<]+)</a>', results))


# --- Search by organisation ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, expected",
    [
        ("Polizei", {"Jörg Müller", "Anna Schmidt"}),
        ("polizeidirektion", {"Jörg Müller", "Anna Schmidt"}),
        ("PD", {"Jörg Müller", "Anna Schmidt"}),
        ("SMI", {"Ayşe Özdemir"}),
        ("Sachsisches", {"Ayşe Özdemir"}),  # without the accent
        ("Saechsisches innern", {"Ayşe Özdemir"}),  # ae spelling, two words
        ("Polizei Müller", {"Jörg Müller"}),  # every word must match somewhere
        ("Polizei Özdemir", set()),
        ("Kulturverein", set()),
    ],
)
def test_search_finds_people_by_organisation_name_and_short_name(
    client, police, ministry, member, query, expected
):
    person(police, family_name="Müller", given_name="Jörg", function="Pressestelle")
    person(police, family_name="Schmidt", given_name="Anna", function="Prävention")
    person(ministry, function="Referat 42")
    sign_in(client, member)
    page = client.get("/contacts", query_string={"q": query})
    assert page.status_code == 200
    assert result_names(page.get_data(as_text=True)) == expected
    fragment = htmx(client, f"/contacts?q={query}")
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and result_names(body) == expected


def test_organisation_search_also_filters_the_exports(client, police, ministry, member):
    person(police, family_name="Müller", given_name="Jörg")
    person(ministry)
    sign_in(client, member)
    csv_body = client.get("/contacts.csv?q=SMI").get_data(as_text=True)
    assert "Özdemir" in csv_body and "Müller" not in csv_body


def test_organisation_search_keeps_hidden_fields_hidden(client, police, member):
    person(police, phone="+49 351 111 222", phone_visibility="coordinators")
    sign_in(client, member)
    for response in (client.get("/contacts?q=polizei"), htmx(client, "/contacts?q=polizei")):
        body = response.get_data(as_text=True)
        assert "Özdemir" in body and "111 222" not in body


@pytest.mark.parametrize(
    "query",
    [
        '"Polizei"',
        "'",
        "%",
        "_",
        "\\",
        "%_\\",
        "P%D",
        "' OR 1=1 --",
        "x" * 10_000,
        "Polizei " * 2000,
    ],
)
def test_hostile_queries_never_fail_nor_match_everything(client, police, ministry, member, query):
    person(police, family_name="Müller", given_name="Jörg")
    person(ministry)
    sign_in(client, member)
    for response in (
        client.get("/contacts", query_string={"q": query}),
        client.get(
            "/contacts",
            query_string={"q": query},
            headers={"HX-Request": "true", "HX-Target": "contact-results"},
        ),
    ):
        assert response.status_code == 200
        names = result_names(response.get_data(as_text=True))
        if "Polizei" in query:
            assert names <= {"Jörg Müller"}
        else:
            assert names == set(), query


def test_organisation_search_uses_a_constant_number_of_queries(
    client, police, ministry, member, count_queries
):
    sign_in(client, member)
    fill(police, 20)
    counts = {}
    for size in ("small", "large"):
        if size == "large":
            fill(police, 2000, start=20)
            fill(ministry, 500, start=5000)
            for number in range(30):
                factories.organization(f"Verein Polizeisport {number}")
        for kind, request in (
            ("page", lambda: client.get("/contacts?q=polizei")),
            ("fragment", lambda: htmx(client, "/contacts?q=polizei")),
            ("two words", lambda: client.get("/contacts?q=polizei+gul")),
        ):
            with count_queries() as counted:
                assert request().status_code == 200
            counts[size, kind] = counted.n
    for kind in ("page", "fragment", "two words"):
        assert counts["small", kind] == counts["large", kind], counts
    assert counts["small", "fragment"] <= counts["small", "page"]


# --- "not shared" is not "–" ------------------------------------------------------------------------


def contact_cell(body: str, name: str) -> str:
    row = body.split(f'dir="auto">{name}</a>', 1)[1].split("</tr>", 1)[0]
    return row.rsplit('<td class="kern-table__cell" data-label="Kontakt">', 1)[1]


def detail_value(body: str, label: str) -> str:
    after = body.split(f'__key">{label}</dt>', 1)[1]
    return after.split("</dd>", 1)[0]


def test_hidden_fields_read_not_shared_and_empty_ones_a_dash(client, org, member):
    # Shared with the forum: phone (filled) and email (empty). Hidden: the mobile number.
    entry = person(
        org,
        phone="0351 1",
        phone_visibility="forum",
        mobile="0170 2",
        mobile_visibility="coordinators",
        email="",
        email_visibility="forum",
    )
    sign_in(client, member)
    page = client.get(f"/contacts/{entry.id}").get_data(as_text=True)
    assert "0351 1" in detail_value(page, "Telefon (dienstlich)")
    assert "für Sie nicht sichtbar" in detail_value(page, "Mobiltelefon")
    assert "0170 2" not in page
    email = detail_value(page, "E-Mail-Adresse")
    assert "–" in email and "für Sie nicht sichtbar" not in email
    # A missing language is a dash as well.
    assert "–" in detail_value(page, "Bevorzugte Sprachen")

    for body in (
        client.get("/contacts").get_data(as_text=True),
        htmx(client, "/contacts?q=ozd").get_data(as_text=True),
    ):
        cell = contact_cell(body, "Ayşe Özdemir")
        assert "0351 1" in cell and "Mobiltelefon: für Sie nicht sichtbar" in cell
        assert "0170 2" not in body

    organisation = client.get(f"/organizations/{org.id}").get_data(as_text=True)
    assert "Mobiltelefon: für Sie nicht sichtbar" in organisation and "0170 2" not in organisation


def test_nothing_shared_reads_once_and_nothing_entered_is_a_dash(client, org, other_org, member):
    # Hidden fields read "not shared" even when empty: the page never tells whether a
    # number exists behind the rule.
    person(org, family_name="Verborgen", given_name="Vera")
    person(
        org,
        family_name="Leer",
        given_name="Lea",
        phone_visibility="forum",
        mobile_visibility="forum",
        email_visibility="forum",
    )
    sign_in(client, member)
    body = client.get("/contacts").get_data(as_text=True)
    hidden = contact_cell(body, "Vera Verborgen")
    assert (
        "für Sie nicht sichtbar" in hidden and ":" not in hidden.split("für Sie nicht sichtbar")[0]
    )
    empty = contact_cell(body, "Lea Leer")
    assert "für Sie nicht sichtbar" not in empty and "–" in empty


def test_coordinators_and_the_owner_see_no_not_shared(client, org, other_org, coordinator):
    entry = person(org, phone="0351 9", phone_visibility="coordinators")
    sign_in(client, coordinator)
    for body in (
        client.get("/contacts").get_data(as_text=True),
        client.get(f"/contacts/{entry.id}").get_data(as_text=True),
    ):
        assert "0351 9" in body and "für Sie nicht sichtbar" not in body
    owner = factories.account("member", other_org)
    own = person(other_org, family_name="Eigen", account=owner.id, mobile="0170 5")
    sign_in(client, owner)
    page = client.get(f"/contacts/{own.id}").get_data(as_text=True)
    assert "0170 5" in page and "für Sie nicht sichtbar" not in page


def test_not_shared_is_translated(client, org, member):
    entry = person(org, phone="0351 1")
    sign_in(client, member)
    client.post("/language", data={"csrf_token": csrf_token(client), "lang": "en"})
    page = client.get(f"/contacts/{entry.id}").get_data(as_text=True)
    assert "not visible to you" in page and "für Sie nicht sichtbar" not in page


# --- The empty directory -----------------------------------------------------------------------------


def test_empty_directory_tells_coordinators_how_to_add_the_first_entry(client, coordinator):
    sign_in(client, coordinator)
    for response in (client.get("/contacts"), htmx(client, "/contacts?q=")):
        body = response.get_data(as_text=True)
        assert "Im Verzeichnis steht noch niemand." in body
        assert "Legen Sie den ersten Eintrag" in body
        assert 'href="/contacts/new"' in body and 'href="/contacts/import"' in body
        assert "Niemand gefunden" not in body


def test_empty_directory_for_the_admin_offers_no_import(client, admin):
    sign_in(client, admin)
    body = client.get("/contacts").get_data(as_text=True)
    assert "Legen Sie den ersten Eintrag" in body and 'href="/contacts/import"' not in body


def test_empty_directory_tells_members_who_adds_entries(client, member):
    sign_in(client, member)
    for response in (client.get("/contacts"), htmx(client, "/contacts?q=")):
        body = response.get_data(as_text=True)
        assert "Die Koordination trägt die Personen der Organisationen ein." in body
        assert 'href="/contacts/new?own=1"' in body
        assert "Legen Sie den ersten Eintrag" not in body


def test_a_search_without_hits_is_not_the_empty_directory(client, org, coordinator):
    person(org)
    sign_in(client, coordinator)
    body = client.get("/contacts?q=niemand").get_data(as_text=True)
    assert "Niemand gefunden" in body and "Im Verzeichnis steht noch niemand." not in body


# --- Skip link past the letters ----------------------------------------------------------------------


def test_skip_link_jumps_past_the_letter_bar_to_the_results(client, org, member):
    person(org)
    sign_in(client, member)
    body = client.get("/contacts?q=ozd").get_data(as_text=True)
    skip = body.index('href="#contact-results"')
    letters = body.index('class="letter-nav"')
    assert body.index('id="q"') < skip < letters
    assert 'id="contact-results" tabindex="-1"' in body
    # The results that replace themselves while typing stay a target of the link.
    fragment = htmx(client, "/contacts?q=ozd").get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="contact-results" tabindex="-1"')


# --- The own-entry form ------------------------------------------------------------------------------


def own_form(client, **values):
    data = {
        "csrf_token": csrf_token(client),
        "version": "1",
        "family_name": "Mitglied",
        "given_name": "Mia",
        "function": "Jugendarbeit",
        "phone_visibility": "coordinators",
        "mobile_visibility": "coordinators",
        "email_visibility": "coordinators",
    }
    data.update(values)
    return data


def test_own_entry_form_groups_fields_under_legends_without_the_consent_record(
    client, other_org, member
):
    own = person(other_org, family_name="Mitglied", account=member.id)
    sign_in(client, member)
    page = client.get(f"/contacts/{own.id}/edit").get_data(as_text=True)
    name_group = page.split('<fieldset class="kern-fieldset form-group">', 1)[1].split(
        "</fieldset>"
    )[0]
    legend, body = name_group.split("</legend>", 1)
    assert legend.strip().endswith(">Name")
    # The fields sit in the fieldset's body, below the legend, not beside it.
    assert body.lstrip().startswith('<div class="kern-fieldset__body">')
    assert 'for="form_of_address"' in body
    for hidden in ('name="consent_on"', 'name="consent_basis"', "Einwilligung"):
        assert hidden not in page


@pytest.mark.parametrize("role", ["member", "reviewer"])
def test_consent_fields_posted_by_the_owner_change_nothing(client, org, role):
    owner = factories.account(role, org)
    own = person(org, family_name="Mitglied", account=owner.id)
    sign_in(client, owner)
    response = client.post(
        f"/contacts/{own.id}/edit",
        data=own_form(client, consent_on="2025-03-01", consent_basis="explicit_consent"),
    )
    assert response.status_code == 303
    saved = Person.get_by_id(own.id)
    assert saved.function == "Jugendarbeit"  # the rest was saved
    assert (saved.consent_on, saved.consent_basis, saved.consent_recorded_by_id) == (None, "", None)


def test_consent_fields_in_a_new_own_entry_are_ignored(client, other_org, member):
    sign_in(client, member)
    assert 'name="consent_on"' not in client.get("/contacts/new?own=1").get_data(as_text=True)
    response = client.post(
        "/contacts/new?own=1",
        data=own_form(client, consent_on="2025-03-01", consent_basis="public_task"),
    )
    assert response.status_code == 303
    own = Person.get(Person.account == member.id)
    assert (own.consent_on, own.consent_basis, own.consent_recorded_by_id) == (None, "", None)


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_coordinators_and_the_admin_keep_the_consent_record(client, org, role):
    editor = factories.account(role, org if role == "coordinator" else None)
    entry = person(org)
    sign_in(client, editor)
    page = client.get(f"/contacts/{entry.id}/edit").get_data(as_text=True)
    assert 'name="consent_on"' in page and 'name="consent_basis"' in page
    data = own_form(
        client,
        family_name="Özdemir",
        function="Vorsitz",
        organization=org.id,
        consent_on="2025-03-01",
        consent_basis="explicit_consent",
    )
    assert client.post(f"/contacts/{entry.id}/edit", data=data).status_code == 303
    saved = Person.get_by_id(entry.id)
    assert saved.consent_on == dt.date(2025, 3, 1) and saved.consent_recorded_by_id == editor.id
