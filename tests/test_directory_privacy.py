"""DSGVO: access export, erasure with pseudonyms, the generated record, retention."""

import datetime as dt
import json

import pytest
from peewee import ForeignKeyField

from intranet.core import audit
from intranet.core.accounts import Account
from intranet.core.areas import registry
from intranet.core.models import AuditEvent
from intranet.directory import retention, services
from intranet.directory.models import Membership, Person
from intranet.models import MODELS
from intranet.privacy import services as privacy
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.factories import person


def test_every_field_of_every_model_is_classified_for_the_record():
    """A new field must say whether it holds personal data (and why), or the record drifts."""
    unclassified = []
    for model in MODELS:
        personal, plain = privacy.declarations(model)
        if personal is None or plain is None:
            unclassified.append(f"{model.__name__}: declare PERSONAL_DATA and NOT_PERSONAL_DATA")
            continue
        for name in model._meta.fields:
            if name not in personal and name not in plain:
                unclassified.append(f"{model.__name__}.{name}")
        for name in set(personal) | set(plain):
            assert name in model._meta.fields, f"{model.__name__}.{name} does not exist"
        for name, purpose in personal.items():
            assert str(purpose).strip(), f"{model.__name__}.{name} has no purpose"
    assert unclassified == []


def test_record_page_lists_the_personal_fields_with_their_purpose(client, admin):
    sign_in(client, admin)
    body = client.get("/privacy/record").get_data(as_text=True)
    assert "Verzeichnis der Verarbeitungstätigkeiten" in body
    for model in (Person, Membership, Account):
        personal, _plain = privacy.declarations(model)
        assert f"<code>{model._meta.table_name}</code>" in body
        for name in personal:
            assert f"<code>{model._meta.fields[name].column_name}</code>" in body
    assert "Wer die Einwilligung erfasst hat" in body


@pytest.mark.parametrize("role", ["coordinator", "reviewer", "member"])
@pytest.mark.parametrize(
    "url", ["/privacy/record", "/contacts/{id}/privacy", "/contacts/{id}/privacy.json"]
)
def test_dsgvo_pages_are_for_admins_only(client, org, role, url):
    entry = person(org)
    sign_in(client, factories.account(role, org))
    assert client.get(url.format(id=entry.id)).status_code == 404
    response = client.post(
        f"/contacts/{entry.id}/erase", data={"csrf_token": csrf_token(client), "confirm": "yes"}
    )
    assert response.status_code == 404 and Person.select().count() == 1


def test_access_export_holds_everything_about_the_person(client, org, other_org, admin):
    account = factories.account("member", org, email="ayse@example.org", display_name="Ayşe Ö")
    entry = person(org, account=account.id, phone="0351 1", phone_visibility="coordinators")
    chair = person(other_org, family_name="Chef")
    Membership.create(
        person=entry,
        organization=other_org,
        role="Vertretung",
        start_date=dt.date(2024, 1, 1),
        on_behalf_of=chair,
    )
    audit.record("test.login", actor=account)
    audit.record("test.other", target="person:999")

    def attendance(sender, account=None, **_ignored):
        return {"attendance": [{"meeting": "Sitzung 1", "status": "anwesend", "person": sender.id}]}

    registry().personal_data_export.connect(attendance)
    try:
        sign_in(client, admin)
        response = client.get(f"/contacts/{entry.id}/privacy.json")
    finally:
        registry().personal_data_export.remove(attendance)
    assert response.mimetype == "application/json"
    data = json.loads(response.get_data(as_text=True))
    assert data["contact_entry"]["family_name"] == "Özdemir"
    assert data["contact_entry"]["phone"] == "0351 1"  # Art. 15 answers with everything
    assert data["memberships"][0]["role"] == "Vertretung"
    assert data["account"]["email"] == "ayse@example.org"
    assert data["attendance"][0]["status"] == "anwesend"
    actions = [e["action"] for e in data["audit_entries"]]
    assert "test.login" in actions and "person.created" in actions
    assert "test.other" not in actions
    assert AuditEvent.select().where(AuditEvent.action == "person.exported").exists()


def test_erasure_removes_entry_account_and_search_but_keeps_the_audit_chain(client, org, admin):
    account = factories.account("member", org, email="weg@example.org")
    entry = person(org, family_name="Zuerase", account=account.id)
    other = person(org, family_name="Bleibt")
    Membership.create(person=other, organization=org, role="Vorsitz", on_behalf_of=entry)
    services.update_person(other, {"consent_on": dt.date(2025, 1, 1)}, version=1, actor=account)
    received = []

    def pseudonymise(sender, pseudonym):
        received.append((sender.id, pseudonym))

    registry().account_erasing.connect(pseudonymise)
    try:
        sign_in(client, admin)
        # Without the confirmation box nothing happens.
        client.post(f"/contacts/{entry.id}/erase", data={"csrf_token": csrf_token(client)})
        assert Person.select().where(Person.id == entry.id).exists()
        response = client.post(
            f"/contacts/{entry.id}/erase", data={"csrf_token": csrf_token(client), "confirm": "yes"}
        )
    finally:
        registry().account_erasing.remove(pseudonymise)
    assert response.status_code == 303
    assert not Person.select().where(Person.id == entry.id).exists()
    assert not Account.select().where(Account.id == account.id).exists()
    assert received == [(account.id, privacy.pseudonym(account.id))]
    assert received[0][1].startswith("Person ") and "weg" not in received[0][1]
    kept = Membership.get()
    assert kept.on_behalf_of_id is None
    assert Person.get(Person.family_name == "Bleibt").consent_recorded_by_id is None
    assert "Zuerase" not in client.get("/contacts?q=zuerase").get_data(as_text=True)
    assert audit.verify() is None
    assert AuditEvent.select().where(AuditEvent.action == "person.erased").exists()


def test_admin_cannot_erase_own_account_through_the_directory(client, org, admin):
    entry = person(org, account=admin.id)
    sign_in(client, admin)
    client.post(
        f"/contacts/{entry.id}/erase", data={"csrf_token": csrf_token(client), "confirm": "yes"}
    )
    assert Person.select().count() == 1


def test_pseudonym_is_stable_and_differs_between_accounts(app):
    assert privacy.pseudonym(1) == privacy.pseudonym(1) != privacy.pseudonym(2)


def test_every_foreign_key_to_an_account_survives_erasure():
    """Erasure deletes accounts: nothing may block it (RESTRICT) or keep a dangling id.

    A link row that only exists for the account (a feed token, a named person) goes with it;
    a record that is kept loses the link (SET NULL) and carries the pseudonym instead.
    """
    for model in MODELS:
        for field in model._meta.fields.values():
            if isinstance(field, ForeignKeyField) and field.rel_model is Account:
                assert field.on_delete == "CASCADE" or (
                    field.null and field.on_delete == "SET NULL"
                ), field


# --- Retention ---------------------------------------------------------------------------------------


def test_ended_memberships_are_listed_and_anonymised_in_one_step(client, org, coordinator):
    today = dt.date.today()
    entry = person(org)
    old = Membership.create(
        person=entry, organization=org, role="Kasse", end_date=today - dt.timedelta(days=400)
    )
    recent = Membership.create(
        person=entry, organization=org, role="Presse", end_date=today - dt.timedelta(days=200)
    )
    current = Membership.create(person=entry, organization=org, role="Vorsitz")
    sign_in(client, coordinator)
    body = client.get("/contacts/retention").get_data(as_text=True)
    assert "Kasse" in body and "Presse" not in body and "Vorsitz</span>" not in body
    response = client.post("/contacts/retention", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    old = Membership.get_by_id(old.id)
    assert old.person_id is None and old.anonymized_at and old.role == "Kasse"
    assert Membership.get_by_id(recent.id).person_id == entry.id
    assert Membership.get_by_id(current.id).person_id == entry.id
    assert "Keine Mitgliedschaft" in client.get("/contacts/retention").get_data(as_text=True)


def test_retention_period_is_a_setting(app, org):
    entry = person(org)
    Membership.create(
        person=entry,
        organization=org,
        role="Kasse",
        end_date=dt.date.today() - dt.timedelta(days=100),
    )
    assert retention.expired_memberships().count() == 0
    app.config["MEMBERSHIP_RETENTION_MONTHS"] = 2
    assert retention.expired_memberships().count() == 1


@pytest.mark.parametrize("role, status", [("member", 404), ("reviewer", 404), ("admin", 200)])
def test_retention_page_access(client, org, role, status):
    sign_in(client, factories.account(role, org))
    assert client.get("/contacts/retention").status_code == status


def test_access_export_holds_the_whole_entry_but_nothing_hidden_of_others(
    client, org, other_org, admin
):
    entry = person(org, phone="0351 1", phone_visibility="coordinators", consent_basis="consent")
    deputy = person(
        other_org,
        family_name="Vertreter",
        email="versteckt@example.org",
        mobile="0170 555",
        email_visibility="coordinators",
    )
    Membership.create(person=deputy, organization=org, role="Vertretung", on_behalf_of=entry)
    sign_in(client, admin)
    data = json.loads(client.get(f"/contacts/{entry.id}/privacy.json").get_data(as_text=True))
    record = data["contact_entry"]
    assert record["phone"] == "0351 1" and record["consent_basis"] == "consent"
    assert set(record) >= {"given_name", "family_name", "email_visibility", "created_at", "version"}
    assert "search_key" not in record
    text = json.dumps(data, ensure_ascii=False)
    assert "versteckt@example.org" not in text and "0170 555" not in text
