"""Administration, start page, accessibility statement and language: access matrix and behaviour."""

import datetime as dt
import re

import pytest
from babel.messages.pofile import read_po

from intranet.auth.access import may_change_clearance
from intranet.core.accounts import Account, Organization
from intranet.core.models import AuditEvent, SiteSetting
from intranet.meetings.models import Meeting
from intranet.pages.models import BarrierReport
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import ROOT_DIR, csrf_token, sign_in
from tests.factories import deliver, free_port

ADMIN_PAGES = [
    "/admin/",
    "/admin/accounts",
    "/admin/accounts/new",
    "/admin/accounts/1/edit",
    "/admin/organizations",
    "/admin/organizations/new",
    "/admin/settings",
    "/admin/audit",
    "/admin/barrier-reports",
]
SIGNED_IN_PAGES = ["/", "/account", *ADMIN_PAGES]


@pytest.mark.parametrize("path", SIGNED_IN_PAGES)
def test_anonymous_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("role", ["coordinator", "reviewer", "member"])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_are_404_for_other_roles(request, client, role, path):
    sign_in(client, request.getfixturevalue(role))
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_open_for_admin(client, admin, path):
    sign_in(client, admin)
    assert client.get(path).status_code == 200


def test_admin_post_is_404_for_members(client, member, admin):
    sign_in(client, member)
    response = client.post(
        f"/admin/accounts/{admin.id}/active", data={"csrf_token": csrf_token(client)}
    )
    assert response.status_code == 404
    assert Account.get_by_id(admin.id).active


def test_admin_creates_an_account(client, admin, org):
    sign_in(client, admin)
    response = client.post(
        "/admin/accounts/new",
        data={
            "csrf_token": csrf_token(client),
            "display_name": "Neue Person",
            "email": "neu@example.org",
            "role": "reviewer",
            "organization": org.id,
            "password": "Wolken über der Elbe am Abend",
        },
    )
    assert response.status_code == 303
    created = Account.get(Account.email == "neu@example.org")
    assert created.role == "reviewer" and created.organization_id == org.id
    assert AuditEvent.select().where(AuditEvent.action == "account.created").exists()


def test_invalid_account_form_keeps_input(client, admin, member):
    sign_in(client, admin)
    response = client.post(
        "/admin/accounts/new",
        data={
            "csrf_token": csrf_token(client),
            "display_name": "Doppelt",
            "email": member.email,
            "role": "member",
            "organization": 0,
            "password": "Wolken über der Elbe am Abend",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Doppelt"' in page and "bereits ein Konto" in page


def test_admin_deactivates_and_reactivates(client, admin, member):
    sign_in(client, admin)
    url = f"/admin/accounts/{member.id}/active"
    assert client.post(url, data={"csrf_token": csrf_token(client)}).status_code == 303
    assert not Account.get_by_id(member.id).active
    client.post(url, data={"csrf_token": csrf_token(client)})
    assert Account.get_by_id(member.id).active


def test_admin_cannot_deactivate_own_account(client, admin):
    sign_in(client, admin)
    client.post(f"/admin/accounts/{admin.id}/active", data={"csrf_token": csrf_token(client)})
    assert Account.get_by_id(admin.id).active


def test_admin_edits_organisation_and_names_stay_unique(client, admin, org, other_org):
    sign_in(client, admin)
    data = {
        "csrf_token": csrf_token(client),
        "name": other_org.name,
        "kind": "authority",
        "status": "guest",
    }
    response = client.post(f"/admin/organizations/{org.id}/edit", data=data)
    assert response.status_code == 422
    assert "bereits eine Organisation" in response.get_data(as_text=True)
    data["name"] = "Umbenannte Stelle"
    assert client.post(f"/admin/organizations/{org.id}/edit", data=data).status_code == 303
    assert Organization.get_by_id(org.id).status == "guest"


def test_footer_links_follow_admin_settings(client, admin):
    sign_in(client, admin)
    bad = client.post(
        "/admin/settings",
        data={"csrf_token": csrf_token(client), "imprint_url": "javascript:alert(1)"},
    )
    assert bad.status_code == 422
    assert "javascript:alert" not in client.get("/").get_data(as_text=True)
    client.post(
        "/admin/settings",
        data={
            "csrf_token": csrf_token(client),
            "imprint_url": "https://www.example.org/impressum",
            "privacy_url": "https://www.example.org/datenschutz",
        },
    )
    page = client.get("/barrierefreiheit").get_data(as_text=True)
    assert 'href="https://www.example.org/impressum"' in page and ">Impressum<" in page
    assert 'href="https://www.example.org/datenschutz"' in page


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("www.dresden.de", "https://www.dresden.de"),
        ("  dresden.de/impressum ", "https://dresden.de/impressum"),
        ("http://intranet.example.org/x", "http://intranet.example.org/x"),
        ("HTTPS://WWW.EXAMPLE.ORG", "HTTPS://WWW.EXAMPLE.ORG"),
    ],
)
def test_web_addresses_typed_without_scheme_get_https(client, admin, typed, stored):
    sign_in(client, admin)
    response = client.post(
        "/admin/settings", data={"csrf_token": csrf_token(client), "imprint_url": typed}
    )
    assert response.status_code in (302, 303)
    assert site_settings_value("imprint_url") == stored


@pytest.mark.parametrize(
    "hostile", ["javascript:alert(1)", "data:text/html,<script>x</script>", "www.exa mple.org"]
)
def test_hostile_web_addresses_stay_refused(client, admin, hostile):
    sign_in(client, admin)
    response = client.post(
        "/admin/settings", data={"csrf_token": csrf_token(client), "imprint_url": hostile}
    )
    assert response.status_code == 422
    assert "Bitte geben Sie eine Internetadresse" in response.get_data(as_text=True)
    assert site_settings_value("imprint_url") == ""


def test_objection_period_setting_is_checked_and_kept(client, admin):
    sign_in(client, admin)
    bad = client.post(
        "/admin/settings",
        data={"csrf_token": csrf_token(client), "minutes_objection_days": "1; DROP"},
    )
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "Bitte eine Zahl von 2 bis 90 Tagen eingeben." in page and "1; DROP" in page
    client.post(
        "/admin/settings", data={"csrf_token": csrf_token(client), "minutes_objection_days": "21"}
    )
    assert site_settings_value("minutes_objection_days") == "21"


def test_test_mail_is_queued_and_its_delivery_shows(app, client, admin, smtp):  # noqa: F811
    controller, inbox = smtp
    app.config.update(
        MAIL_SERVER=f"127.0.0.1:{controller.port}",
        MAIL_USERNAME="intranet",
        MAIL_PASSWORD="geheimes Wort",
    )
    sign_in(client, admin)
    form = client.get("/admin/settings").get_data(as_text=True)
    assert f"Testmail an {admin.email} senden" in form
    response = client.post(
        "/admin/settings/test-mail",
        data={"csrf_token": csrf_token(client)},
        headers={"HX-Request": "true", "HX-Target": "mail-test"},
    )
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and fragment.lstrip().startswith('<section id="mail-test"')
    assert f"Die Testnachricht an {admin.email} ist" in fragment
    assert "geheimes Wort" not in fragment
    assert inbox.messages == []  # the request only queued it
    deliver()
    assert [rcpts for rcpts, _m in inbox.messages] == [[admin.email]]
    assert AuditEvent.select().where(AuditEvent.action == "settings.test_mail").count() == 1

    app.config["MAIL_SERVER"] = f"127.0.0.1:{free_port()}"  # nobody answers there
    page = client.post(
        "/admin/settings/test-mail", data={"csrf_token": csrf_token(client)}
    ).get_data(as_text=True)
    assert "<h1" in page  # the whole page without JavaScript
    deliver()
    listing = client.get("/admin/mail").get_data(as_text=True)
    assert "Mail server not reachable" in listing and "Connection refused" in listing


def test_without_a_mail_server_settings_say_so_and_offer_no_test(client, admin):
    sign_in(client, admin)
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "Der Mailversand ist ausgeschaltet" in page and "Testmail" not in page
    response = client.post("/admin/settings/test-mail", data={"csrf_token": csrf_token(client)})
    assert "Der Mailversand ist ausgeschaltet" in response.get_data(as_text=True)
    assert client.post("/admin/settings/test-mail").status_code == 400  # no CSRF token


def site_settings_value(key):
    row = SiteSetting.get_or_none(SiteSetting.key == key)
    return row.value if row else ""


def test_audit_log_lists_sign_in_failures(client, admin, member):
    sign_in(client, member, "falsches Passwort für dieses Konto")
    sign_in(client, admin)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Anmeldung fehlgeschlagen" in page and member.email in page


# --- Start page, accessibility, language ---------------------------------------------------


def test_start_page_shows_admin_area_only_to_admins(client, admin, member):
    sign_in(client, member)
    assert "/admin/" not in client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    sign_in(client, admin)
    assert 'href="/admin/"' in client.get("/").get_data(as_text=True)


def test_barrier_report_without_sign_in(client):
    response = client.post(
        "/barrierefreiheit",
        data={
            "csrf_token": csrf_token(client),
            "message": "Der Kalender ist mit Vorlesesoftware schwer bedienbar.",
        },
    )
    assert response.status_code == 303
    assert BarrierReport.get().message.startswith("Der Kalender")


def test_optional_fields_say_so_once(client):
    page = client.get("/barrierefreiheit").get_data(as_text=True)
    assert "Wie können wir Sie erreichen?" in page and "(optional)" not in page


def test_empty_barrier_report_keeps_input_and_says_why(client):
    response = client.post(
        "/barrierefreiheit",
        data={"csrf_token": csrf_token(client), "page": "Kalender", "message": ""},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Kalender"' in page and "Bitte füllen Sie dieses Feld aus." in page


def test_hostile_text_stays_text(client, admin):
    hostile = '"><svg onload=alert(1)>{{7*7}}'
    client.post(
        "/barrierefreiheit",
        data={"csrf_token": csrf_token(client), "message": hostile, "page": hostile},
    )
    sign_in(client, admin)
    page = client.get("/admin/barrier-reports").get_data(as_text=True)
    assert "<svg onload" not in page and "&lt;svg onload=alert(1)&gt;" in page
    assert "{{7*7}}" in page and ">49<" not in page


def test_german_is_default_and_english_can_be_chosen(client):
    assert "Anmelden" in client.get("/login").get_data(as_text=True)
    response = client.post(
        "/language", data={"csrf_token": csrf_token(client), "lang": "en", "next": "/login"}
    )
    assert response.headers["Location"] == "/login"
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="en"' in page and "Sign in" in page


def test_language_choice_survives_sign_in(client, member):
    client.post("/language", data={"csrf_token": csrf_token(client), "lang": "en"})
    sign_in(client, member)
    assert 'lang="en"' in client.get("/").get_data(as_text=True)


def test_language_choice_is_stored_on_the_account_and_follows_the_person(app, member):
    first = app.test_client()
    sign_in(first, member)
    first.post("/language", data={"csrf_token": csrf_token(first), "lang": "en"})
    assert Account.get_by_id(member.id).language == "en"
    # Another device, which never chose a language, opens in the account's language.
    other = app.test_client()
    sign_in(other, member)
    assert 'lang="en"' in other.get("/").get_data(as_text=True)
    # Signing out keeps the language on that device, so the sign-in page stays readable.
    other.post("/logout", data={"csrf_token": csrf_token(other)})
    assert 'lang="en"' in other.get("/login").get_data(as_text=True)


def test_stored_language_wins_over_the_one_picked_before_signing_in(app, member):
    Account.update(language="de").where(Account.id == member.id).execute()
    client = app.test_client()
    client.post("/language", data={"csrf_token": csrf_token(client), "lang": "en"})
    sign_in(client, member)
    assert 'lang="de"' in client.get("/").get_data(as_text=True)
    assert Account.get_by_id(member.id).language == "de"


def test_unknown_language_changes_nothing(client, member):
    sign_in(client, member)
    response = client.post("/language", data={"csrf_token": csrf_token(client), "lang": "xx\r\n"})
    assert response.status_code == 303
    assert Account.get_by_id(member.id).language is None
    assert 'lang="de"' in client.get("/").get_data(as_text=True)


def test_german_catalogue_is_complete():
    with open(ROOT_DIR / "translations/de/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle)
    # A plural entry's string is a tuple: every form must be filled.
    untranslated = [
        m.id
        for m in catalog
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert untranslated == []
    with open(ROOT_DIR / "translations/messages.pot", "rb") as handle:
        template_ids = {m.id for m in read_po(handle) if m.id}
    assert template_ids <= {m.id for m in catalog if m.id}


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


# --- Page or fragment ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers, fragment",
    [
        ({}, False),
        ({"HX-Request": "true"}, True),
        ({"HX-Request": "true", "HX-Target": "account-list"}, True),
        ({"HX-Request": "true", "HX-Target": "main"}, False),
        ({"HX-Request": "true", "HX-Boosted": "true"}, False),
        ({"HX-Request": "true", "HX-History-Restore-Request": "true"}, False),
        ({"HX-History-Restore-Request": "true"}, False),
    ],
)
def test_one_helper_decides_page_or_fragment(client, admin, headers, fragment):
    sign_in(client, admin)
    response = client.get("/admin/accounts", headers=headers)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert ('id="account-list"' in page) and (("<html" in page) is not fragment)


# --- Editing accounts ------------------------------------------------------------------------


def edit_form(client, account_id):
    page = client.get(f"/admin/accounts/{account_id}/edit").get_data(as_text=True)
    fingerprint = page.split('name="fingerprint" type="hidden" value="')[1].split('"')[0]
    return {"csrf_token": csrf_token(client), "fingerprint": fingerprint}


def test_admin_changes_role_and_the_person_is_signed_out(app, client, admin, member, org):
    member_client = app.test_client()
    sign_in(member_client, member)
    sign_in(client, admin)
    data = edit_form(client, member.id)
    data.update(display_name="Neuer Name", email=member.email, role="reviewer", organization=org.id)
    assert client.post(f"/admin/accounts/{member.id}/edit", data=data).status_code == 303
    changed = Account.get_by_id(member.id)
    assert (changed.role, changed.organization_id, changed.display_name) == (
        "reviewer",
        org.id,
        "Neuer Name",
    )
    assert member_client.get("/account").status_code == 302


def test_concurrent_account_edits_do_not_overwrite_silently(client, admin, member):
    sign_in(client, admin)
    stale = edit_form(client, member.id)
    Account.update(display_name="Zwischendurch geändert").where(Account.id == member.id).execute()
    stale.update(display_name="Meine Fassung", email=member.email, role="member", organization=0)
    response = client.post(f"/admin/accounts/{member.id}/edit", data=stale)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "in der Zwischenzeit" in page and 'value="Meine Fassung"' in page
    assert Account.get_by_id(member.id).display_name == "Zwischendurch geändert"


def test_admin_cannot_change_own_role(client, admin):
    sign_in(client, admin)
    data = edit_form(client, admin.id)
    data.update(display_name=admin.display_name, email=admin.email, role="member", organization=0)
    response = client.post(f"/admin/accounts/{admin.id}/edit", data=data)
    assert response.status_code == 422
    assert 'id="role-error"' in response.get_data(as_text=True)
    assert Account.get_by_id(admin.id).role == "admin"


@pytest.mark.parametrize("role", ["admin", "coordinator", "reviewer", "member"])
@pytest.mark.parametrize("whose, allowed", [("own", False), ("another", True)])
def test_nobody_may_change_what_their_own_account_may_see(app, org, role, whose, allowed):
    actor = factories.account(role, org)
    target = actor if whose == "own" else factories.account("member", org)
    assert may_change_clearance(actor, target) is allowed
    assert may_change_clearance(actor, target.id) is allowed


def test_admin_cannot_move_themself_into_an_organisation_but_another_admin_can(
    app, client, admin, org
):
    amber = Meeting.create(
        title="Nur für den Verein",
        start=utcnow() + dt.timedelta(days=2),
        end=utcnow() + dt.timedelta(days=2, hours=1),
        label="amber",
        organization=org,
    )
    sign_in(client, admin)
    data = edit_form(client, admin.id)
    data.update(
        display_name=admin.display_name, email=admin.email, role="admin", organization=org.id
    )
    response = client.post(f"/admin/accounts/{admin.id}/edit", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = page.split('id="organization-error"')[1].split("</p>")[0]
    assert "Sie können Ihre eigene Organisation nicht ändern" in error
    assert Account.get_by_id(admin.id).organization_id is None
    assert client.get(f"/meetings/{amber.id}").status_code == 404

    other_admin = factories.account("admin", email="zweite@example.org")
    sign_in(client, other_admin)
    data = edit_form(client, admin.id)
    data.update(
        display_name=admin.display_name, email=admin.email, role="admin", organization=org.id
    )
    assert client.post(f"/admin/accounts/{admin.id}/edit", data=data).status_code == 303
    assert Account.get_by_id(admin.id).organization_id == org.id
    entry = AuditEvent.select().where(AuditEvent.action == "account.updated").get()
    assert entry.actor_id == other_admin.id and entry.target == f"account:{admin.id}"
    assert f"organization:{org.id}" in entry.detail


def test_admin_sets_a_new_password_and_old_sessions_end(app, client, admin, member):
    member_client = app.test_client()
    sign_in(member_client, member)
    sign_in(client, admin)
    weak = client.post(
        f"/admin/accounts/{member.id}/password",
        data={"csrf_token": csrf_token(client), "password": "passwort1234"},
    )
    assert weak.status_code == 422 and "zu leicht zu erraten" in weak.get_data(as_text=True)
    response = client.post(
        f"/admin/accounts/{member.id}/password",
        data={"csrf_token": csrf_token(client), "password": "Neue Passphrase für den Herbst"},
    )
    assert response.status_code == 303
    assert member_client.get("/account").status_code == 302
    assert sign_in(app.test_client(), member, "Neue Passphrase für den Herbst").status_code == 303


def test_barrier_reports_are_limited_per_address(client):
    for number in range(5):
        response = client.post(
            "/barrierefreiheit",
            data={"csrf_token": csrf_token(client), "message": f"Meldung {number}"},
        )
        assert response.status_code == 303
    response = client.post(
        "/barrierefreiheit", data={"csrf_token": csrf_token(client), "message": "Noch eine"}
    )
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert "später erneut" in page and "Noch eine" in page
    assert BarrierReport.select().count() == 5


# --- Data protection for accounts without a directory entry -----------------------------------


def test_admin_exports_and_erases_an_account_without_entry(client, admin, member):
    import json

    from intranet.directory.models import Person

    sign_in(client, admin)
    response = client.get(f"/admin/accounts/{member.id}/privacy.json")
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == member.email and data["contact_entry"] is None
    unconfirmed = client.post(
        f"/admin/accounts/{member.id}/erase", data={"csrf_token": csrf_token(client)}
    )
    assert unconfirmed.status_code == 303 and Account.get_or_none(Account.id == member.id)
    response = client.post(
        f"/admin/accounts/{member.id}/erase",
        data={"csrf_token": csrf_token(client), "confirm": "yes"},
    )
    assert response.status_code == 303
    assert Account.get_or_none(Account.id == member.id) is None
    assert not Person.select().exists()
    assert AuditEvent.select().where(AuditEvent.action == "person.erased").exists()


def test_account_with_entry_is_erased_on_the_entrys_page(client, admin, member):
    from tests.factories import person

    person(member.organization, account=member.id)
    sign_in(client, admin)
    page = client.get(f"/admin/accounts/{member.id}/edit").get_data(as_text=True)
    assert "Datenschutzseite des Eintrags" in page
    assert page.count('id="privacy-heading"') == 1
    assert (
        page.split("<title>")[1].split("</title>")[0]
        == f"{member.display_name} – Sicherheitsdialog Dresden"
    )
    response = client.post(
        f"/admin/accounts/{member.id}/erase",
        data={"csrf_token": csrf_token(client), "confirm": "yes"},
    )
    assert response.status_code == 404
    assert Account.get_or_none(Account.id == member.id)


@pytest.mark.parametrize("role", ["coordinator", "reviewer", "member"])
def test_account_privacy_addresses_are_for_admins_only(request, client, role, admin):
    sign_in(client, request.getfixturevalue(role))
    assert client.get(f"/admin/accounts/{admin.id}/privacy.json").status_code == 404
    response = client.post(
        f"/admin/accounts/{admin.id}/erase",
        data={"csrf_token": csrf_token(client), "confirm": "yes"},
    )
    assert response.status_code == 404 and Account.get_or_none(Account.id == admin.id)


def test_times_read_24_hours_in_english_too(app):
    from flask import session

    from intranet.platform.filters import local_time

    with app.test_request_context():
        session["lang"] = "en"
        text = local_time(dt.datetime(2026, 12, 16, 17, 30))  # stored as UTC
    assert text.endswith("18:30") and "PM" not in text and "Dec" in text


def test_meeting_times_say_uhr_in_german_and_nothing_in_english(client, member, other_org):
    from tests.factories import make_meeting

    meeting = make_meeting(organization=other_org)
    sign_in(client, member)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert re.search(r"\d\d:\d\d–\d\d:\d\d Uhr", page)
    client.post("/language", data={"csrf_token": csrf_token(client), "lang": "en"})
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert re.search(r"\d\d:\d\d–\d\d:\d\d\s", page)
    assert "o'clock" not in page and "Uhr" not in page


def test_no_german_text_calls_a_sign_in_a_session():
    with open(ROOT_DIR / "translations/de/LC_MESSAGES/messages.po", encoding="utf-8") as handle:
        assert "Sitzung" not in handle.read()
