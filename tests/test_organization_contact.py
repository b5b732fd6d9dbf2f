"""Reaching an organisation: its general contact for the whole forum, whom to ask when it has
none, who keeps it, and the visibility new entries of an authority start with."""

import re

import vobject

from intranet.core.models import AuditEvent
from intranet.directory import csv_io, services
from intranet.directory.models import Person
from tests import factories
from tests.conftest import csrf_token, sign_in

OFFICE = {
    "phone": "+49 351 400 1200",
    "email": "kontakt@kora.example.org",
    "address": "Musterstraße 1\n01067 Dresden",
    "office_hours": "Mo–Do 9–16 Uhr",
}


def entry(organization, family_name, **values):
    return services.create_person(
        {"organization": organization, "family_name": family_name, "function": "Vorsitz", **values}
    )


def test_organisation_page_shows_its_general_contact_first(client, member):
    kora = factories.organization("Koordinierungsstelle", short_name="KORA", **OFFICE)
    sign_in(client, member)
    page = client.get(f"/organizations/{kora.id}").get_data(as_text=True)
    contact = page.index("So erreichen Sie KORA")
    assert contact < page.index("Über die Organisation") < page.index("Ansprechpersonen")
    assert 'href="tel:+493514001200"' in page and "mailto:kontakt@kora.example.org" in page
    assert "Mo–Do 9–16 Uhr" in page and "Sprechzeiten" in page
    assert "Musterstraße 1" in page


def test_without_a_general_contact_the_page_says_whom_to_ask(client, org, other_org, member):
    keeper = factories.account("coordinator", org, email="kora@example.org")
    person = entry(org, "Koordinatorin", given_name="Karla", account=keeper.id)
    sign_in(client, member)
    page = client.get(f"/organizations/{other_org.id}").get_data(as_text=True)
    assert "noch keine allgemeine Telefonnummer" in page
    assert f'href="/contacts/{person.id}"' in page.split("Über die Organisation")[0]
    # The person page of someone who shares nothing points the same way.
    hidden = entry(other_org, "Verborgen")
    page = client.get(f"/contacts/{hidden.id}").get_data(as_text=True)
    assert "So erreichen Sie" in page and f'href="/contacts/{person.id}"' in page


def test_coordinators_and_admins_keep_the_contact_members_do_not(client, org, other_org, admin):
    coordinator = factories.account("coordinator", org, email="k@example.org")
    member = factories.account("member", other_org, email="m@example.org")
    address = f"/organizations/{other_org.id}/contact"
    sign_in(client, member)
    assert client.get(address).status_code == 404
    form = {**OFFICE, "csrf_token": csrf_token(client)}
    assert client.post(address, data=form).status_code == 404
    assert "Kontakt von" not in client.get(f"/organizations/{other_org.id}").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    for keeper, phone in ((coordinator, "0351 1"), (admin, "0351 2")):
        sign_in(client, keeper)
        assert client.get(address).status_code == 200
        form = {**OFFICE, "phone": phone, "csrf_token": csrf_token(client)}
        response = client.post(address, data=form)
        assert response.status_code in (302, 303)
        page = client.get(f"/organizations/{other_org.id}").get_data(as_text=True)
        assert phone in page and "Mo–Do 9–16 Uhr" in page
        client.post("/logout", data={"csrf_token": csrf_token(client)})
    audit = AuditEvent.select().where(AuditEvent.action == "organization.updated")
    assert audit.count() == 2
    sign_in(client, coordinator)
    bad = {"phone": "call me", "csrf_token": csrf_token(client)}
    assert client.post(address, data=bad).status_code == 422


def test_contact_list_shows_the_organisation_before_its_people(client, member):
    kora = factories.organization("Koordinierungsstelle", short_name="KORA", **OFFICE)
    entry(kora, "Beispiel")
    sign_in(client, member)
    for query in (f"organization={kora.id}", "q=kora"):
        page = client.get(f"/contacts?{query}").get_data(as_text=True)
        assert "So erreichen Sie KORA" in page, query
        assert page.index("+49 351 400 1200") < page.index("<table"), query
    page = client.get("/contacts?q=vorsitz").get_data(as_text=True)
    assert "So erreichen Sie" not in page


def test_organisation_vcard_carries_address_and_office_hours(client, member):
    kora = factories.organization("Koordinierungsstelle", short_name="KORA", **OFFICE)
    sign_in(client, member)
    body = client.get(f"/organizations/{kora.id}.vcf").get_data(as_text=True)
    card = next(vobject.readComponents(body))
    assert card.tel.value == OFFICE["phone"]
    assert "Musterstraße 1" in card.adr.value.street
    assert "Mo–Do 9–16 Uhr" in card.note.value


def test_a_new_entry_of_an_authority_shows_the_office_phone_to_the_forum(
    client, org, other_org, coordinator
):
    assert org.kind == "authority" and other_org.kind == "association"
    sign_in(client, coordinator)

    def selected(organization):
        page = client.get(f"/contacts/new?organization={organization.id}").get_data(as_text=True)
        chosen = {}
        for name in ("phone", "mobile", "email"):
            select = re.search(rf'<select[^>]*name="{name}_visibility".*?</select>', page, re.S)
            chosen[name] = re.search(r'<option selected value="(\w+)"', select.group(0)).group(1)
        return chosen

    assert selected(org) == {"phone": "forum", "mobile": "coordinators", "email": "coordinators"}
    assert selected(other_org) == {
        "phone": "coordinators",
        "mobile": "coordinators",
        "email": "coordinators",
    }


def test_imported_entries_start_with_their_organisations_visibility(app, org, other_org, admin):
    rows = [
        csv_io.Row(
            2,
            {
                "family_name": "Amt",
                "function": "Leitung",
                "phone": "0351 1",
                "organization_id": org.id,
            },
            [],
        ),  # fmt: skip
        csv_io.Row(
            3,
            {
                "family_name": "Verein",
                "function": "Vorsitz",
                "phone": "0351 2",
                "organization_id": other_org.id,
            },
            [],
        ),  # fmt: skip
    ]
    csv_io.write(rows, admin)
    assert Person.get(Person.family_name == "Amt").phone_visibility == "forum"
    assert Person.get(Person.family_name == "Verein").phone_visibility == "coordinators"
    assert Person.get(Person.family_name == "Amt").mobile_visibility == "coordinators"


def test_the_organisation_form_preselects_no_kind(client, admin):
    sign_in(client, admin)
    page = client.get("/admin/organizations/new").get_data(as_text=True)
    radios = re.findall(r'<input[^>]*name="kind"[^>]*>', page)
    assert len(radios) == 4 and not any("checked" in radio for radio in radios)
    data = {
        "name": "Neuer Verein",
        "short_name": "",
        "status": "signatory",
        "csrf_token": csrf_token(client),
    }
    response = client.post("/admin/organizations/new", data=data)
    assert response.status_code == 422
    assert "Bitte wählen Sie die Art der Organisation." in response.get_data(as_text=True)
    response = client.post("/admin/organizations/new", data={**data, "kind": "association"})
    assert response.status_code in (302, 303)


def test_the_password_rule_is_told_before_a_failure(client, member):
    sign_in(client, member)
    page = client.get("/account").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="new_password"[^>]*>', page).group(0)
    hint_id = re.search(r'aria-describedby="([^"]+)"', field).group(1).split()[0]
    hint = re.search(rf'id="{hint_id}">([^<]+)<', page).group(1)
    assert "Namen des Forums" in hint and "Organisation" in hint and "E-Mail-Adresse" in hint
