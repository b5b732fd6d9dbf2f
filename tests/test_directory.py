"""The contact directory: visibility on every path, search, editing, vCard, organisation page."""

import datetime as dt

import pytest
import vobject

from intranet.core import audit
from intranet.core.accounts import Account
from intranet.core.models import AuditEvent
from intranet.directory import services, text
from intranet.directory.models import Membership, Person
from intranet.directory.visibility import can_edit, can_see
from intranet.platform.db import db
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.factories import person

SECRET = {"phone": "+49 351 111 222", "mobile": "0170 999 888", "email": "geheim@example.org"}


def htmx(client, url, target="contact-results"):
    return client.get(url, headers={"HX-Request": "true", "HX-Target": target})


# --- The visibility rule, as a table ------------------------------------------------------------


@pytest.mark.parametrize(
    "viewer_role, viewer_org, level, expected",
    [
        ("member", "same", "forum", True),
        ("member", "same", "organization", True),
        ("member", "same", "coordinators", False),
        ("member", "other", "forum", True),
        ("member", "other", "organization", False),
        ("member", "other", "coordinators", False),
        ("member", None, "organization", False),
        ("reviewer", "same", "organization", True),
        ("reviewer", "other", "coordinators", False),
        ("coordinator", "other", "coordinators", True),
        ("coordinator", "other", "organization", True),
        ("admin", None, "forum", True),
        ("admin", None, "organization", False),
        ("admin", None, "coordinators", False),
        ("admin", "same", "organization", True),
        ("admin", "same", "coordinators", False),
    ],
)
def test_field_visibility_table(viewer_role, viewer_org, level, expected):
    entry = Person(organization=1, account=None, phone="1", phone_visibility=level)
    viewer = Account(
        id=50, role=viewer_role, organization={"same": 1, "other": 2, None: None}[viewer_org]
    )
    assert can_see(viewer, entry, "phone") is expected
    assert can_see(viewer, entry, "family_name") is True


def test_own_entry_is_always_visible_and_editable():
    entry = Person(
        organization=1, account=7, email="x@example.org", email_visibility="coordinators"
    )
    assert can_see(Account(id=7, role="member", organization=2), entry, "email")
    assert can_edit(Account(id=7, role="member", organization=2), entry)
    assert not can_edit(Account(id=8, role="member", organization=1), entry)
    assert can_edit(Account(id=8, role="coordinator", organization=2), entry)
    assert can_edit(Account(id=8, role="admin", organization=None), entry)
    assert can_see(Account(id=8, role="admin"), entry, "consent_on")
    assert not can_see(Account(id=8, role="member", organization=1), entry, "consent_on")


# --- Every path hides every hidden field ---------------------------------------------------------

EXPORT_PATHS = {
    "list": lambda c, p: c.get("/contacts"),
    "search": lambda c, p: c.get("/contacts?q=ozdemir"),
    "fragment": lambda c, p: htmx(c, "/contacts?q=ozdemir"),
    "page": lambda c, p: c.get(f"/contacts/{p.id}"),
    "vcard": lambda c, p: c.get(f"/contacts/{p.id}.vcf"),
    "vcard_all": lambda c, p: c.get("/contacts.vcf"),
    "csv": lambda c, p: c.get("/contacts.csv"),
    "organization": lambda c, p: c.get(f"/organizations/{p.organization_id}"),
    "organization_vcard": lambda c, p: c.get(f"/organizations/{p.organization_id}.vcf"),
}


@pytest.mark.parametrize("path", sorted(EXPORT_PATHS))
@pytest.mark.parametrize("field", ["phone", "mobile", "email"])
@pytest.mark.parametrize("level", ["organization", "coordinators"])
def test_every_path_hides_each_hidden_field(client, org, member, path, field, level):
    # The member belongs to another organisation than the entry: both levels hide the field.
    values = {name: SECRET[name] for name in SECRET}
    values.update({f"{name}_visibility": "forum" for name in SECRET})
    values[f"{field}_visibility"] = level
    entry = person(org, **values)
    sign_in(client, member)
    body = EXPORT_PATHS[path](client, entry).get_data(as_text=True)
    assert "Özdemir" in body or "\\u00d6zdemir" in body
    assert SECRET[field] not in body
    for other in set(SECRET) - {field}:
        # The fields shared with the forum are there, so the test could fail.
        assert SECRET[other] in body, (path, other)


@pytest.mark.parametrize("path", sorted(EXPORT_PATHS))
def test_every_path_shows_organisation_fields_to_colleagues(client, org, path):
    colleague = factories.account("member", org, email="kollegin@example.org")
    entry = person(org, email="team@example.org", email_visibility="organization")
    sign_in(client, colleague)
    assert "team@example.org" in EXPORT_PATHS[path](client, entry).get_data(as_text=True)


def test_admin_sees_no_coordinator_only_field_and_the_form_leaves_it_out(client, org, admin):
    entry = person(org, phone=SECRET["phone"], phone_visibility="coordinators")
    sign_in(client, admin)
    assert SECRET["phone"] not in client.get(f"/contacts/{entry.id}").get_data(as_text=True)
    form = client.get(f"/contacts/{entry.id}/edit").get_data(as_text=True)
    assert SECRET["phone"] not in form and 'name="phone"' not in form
    response = client.post(
        f"/contacts/{entry.id}/edit",
        data={
            "csrf_token": csrf_token(client),
            "version": "1",
            "family_name": "Özdemir",
            "given_name": "Ayşe",
            "organization": org.id,
            "function": "Vorstand",
            "phone": "",
            "mobile_visibility": "forum",
            "email_visibility": "forum",
        },
    )
    assert response.status_code == 303
    entry = Person.get_by_id(entry.id)
    assert entry.function == "Vorstand" and entry.phone == SECRET["phone"]


# --- Search ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, found",
    [
        ("Ozdemir", True),
        ("özdemir", True),
        ("OZDEM", True),
        ("ayse ozd", True),
        ("vorsitz", True),
        ("Muller", False),
        ("Mueller", False),
    ],
)
def test_search_ignores_accents_and_case(client, org, member, query, found):
    person(org)
    sign_in(client, member)
    body = client.get("/contacts", query_string={"q": query}).get_data(as_text=True)
    assert ('dir="auto">Ayşe Özdemir</a>' in body) is found


@pytest.mark.parametrize("query", ["Muller", "Mueller", "müller", "MÜLLER"])
def test_german_umlauts_match_both_spellings(client, org, member, query):
    person(org, family_name="Müller", given_name="Jörg")
    person(org, family_name="Schmidt", given_name="Anna")
    sign_in(client, member)
    body = client.get("/contacts", query_string={"q": query}).get_data(as_text=True)
    assert "Müller" in body and "Schmidt" not in body


def test_arabic_script_names_are_found_and_shown_right_to_left(client, org, member):
    person(org, family_name="الحسن", given_name="محمد")
    sign_in(client, member)
    body = client.get("/contacts", query_string={"q": "الحسن"}).get_data(as_text=True)
    assert 'dir="auto">محمد الحسن</a>' in body


@pytest.mark.parametrize(
    "query", ['"', "*", "OR", "%", "_", "'", "a%b", "\\", "ö' OR 1=1 --", "%%"]
)
def test_query_syntax_in_the_search_box_is_harmless(client, org, member, query):
    person(org, function="Kasse")
    person(org, family_name="Schmidt", given_name="Anna", function="Kasse")
    sign_in(client, member)
    response = client.get("/contacts", query_string={"q": query})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    # A wildcard typed into the box is a character, not "match everything".
    assert "Ayşe Özdemir" not in body and "Schmidt" not in body


def test_literal_percent_and_underscore_match_only_themselves(client, org, member):
    person(org, family_name="Rabatt", function="100% Einsatz")
    person(org, family_name="Schmidt", function="1000 Einsätze")
    sign_in(client, member)
    body = client.get("/contacts", query_string={"q": "100%"}).get_data(as_text=True)
    assert "Rabatt" in body and "Schmidt" not in body


def test_filters_by_organisation_function_and_letter(client, org, other_org, member):
    person(org, family_name="Adler", function="Vorsitz")
    person(other_org, family_name="Becker", function="Vorsitz")
    person(org, family_name="Özkan", function="Kasse")
    sign_in(client, member)

    def names(**args):
        body = client.get("/contacts", query_string=args).get_data(as_text=True)
        return {
            name
            for name in ("Adler", "Becker", "Özkan")
            if f">{name}" in body or f" {name}<" in body
        }

    assert names() == {"Adler", "Becker", "Özkan"}
    assert names(organization=org.id) == {"Adler", "Özkan"}
    assert names(function="Vorsitz") == {"Adler", "Becker"}
    assert names(letter="O") == {"Özkan"}
    assert names(letter="B", organization=org.id) == set()
    assert names(organization="x", letter="ÄÖ") == {"Adler", "Becker", "Özkan"}


def test_htmx_search_returns_only_the_fragment(client, org, member):
    person(org)
    sign_in(client, member)
    response = htmx(client, "/contacts?q=ozd")
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="contact-results"')
    assert "<html" not in body and 'data-count-text="1 Person gefunden"' in body
    assert "HX-Request" in response.headers["Vary"]
    full = client.get("/contacts?q=ozd")
    assert "<html" in full.get_data(as_text=True) and "HX-Request" in full.headers["Vary"]
    boosted = client.get("/contacts?q=ozd", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.get_data(as_text=True)


def test_search_form_works_without_javascript_and_with_htmx(client, member):
    sign_in(client, member)
    body = client.get("/contacts").get_data(as_text=True)
    assert 'method="get" action="/contacts"' in body
    assert 'hx-trigger="input changed delay:300ms, search, submit"' in body
    assert 'hx-target="#contact-results"' in body and 'hx-push-url="true"' in body
    assert 'role="status" aria-live="polite"' in body


def fill(organization, count, start=0):
    now = dt.datetime(2025, 1, 1)
    rows = []
    for number in range(start, start + count):
        family = f"Nachname{number:05d}"
        rows.append(
            {
                "organization": organization.id,
                "family_name": family,
                "given_name": "Gül",
                "function": "Mitglied",
                "email": f"p{number}@example.org",
                "email_visibility": "forum",
                "search_key": text.search_key("Gül", family, "Mitglied"),
                "sort_key": text.fold(f"{family} Gül"),
                "created_at": now,
                "updated_at": now,
            }
        )
    with db.atomic():
        for index in range(0, len(rows), 500):
            Person.insert_many(rows[index : index + 500]).execute()


@pytest.mark.parametrize(
    "url",
    [
        "/contacts",
        "/contacts?q=gul",
        "/contacts?q=nachname0&letter=N",
        "/contacts?page=2",
        "/organizations/{org}",
        "/organizations/{org}?page=2",
    ],
)
def test_list_and_search_use_a_constant_number_of_queries(client, org, member, count_queries, url):
    url = url.format(org=org.id)
    sign_in(client, member)
    fill(org, 50)
    with count_queries() as counted:
        assert client.get(url).status_code == 200
    small = counted.n
    fill(org, 4950, start=50)
    with count_queries() as counted:
        response = client.get(url)
    assert response.status_code == 200
    assert counted.n == small, (small, counted.n)
    with count_queries() as counted:
        htmx(client, url)
    assert counted.n <= small


def test_a_search_looks_the_organisations_up_once(client, org, member, count_queries):
    # The list and the organisations the search names share one look-up of the organisations.
    sign_in(client, member)
    fill(org, 3)
    with count_queries() as counted:
        assert htmx(client, "/contacts").status_code == 200
    plain = counted.n
    with count_queries() as counted:
        assert htmx(client, "/contacts?q=nachname").status_code == 200
    assert counted.n == plain + 1


@pytest.fixture
def count_addresses(app, monkeypatch):
    """`with count_addresses() as counted:` … `counted.n` is the number of addresses built from
    the URL map (every `url_for` ends there). The app's remembered addresses are forgotten
    first, so that each block counts what its request builds, not what earlier tests left."""
    from contextlib import contextmanager
    from types import SimpleNamespace

    from werkzeug.routing import MapAdapter

    @contextmanager
    def counting():
        counted = SimpleNamespace(n=0)
        original = MapAdapter.build
        app._built_urls.clear()

        def build(*args, **kwargs):
            counted.n += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(MapAdapter, "build", build)
        try:
            yield counted
        finally:
            monkeypatch.setattr(MapAdapter, "build", original)

    return counting


@pytest.mark.parametrize("url", ["/contacts", "/contacts?q=gul", "/organizations/{org}"])
def test_lists_build_their_links_once_per_page_not_per_row(
    client, org, member, count_addresses, url
):
    # Building an address per row cost more than the list's query.
    url = url.format(org=org.id)
    sign_in(client, member)
    fill(org, 3)
    counts = []
    for more in (0, 40):
        fill(org, more, start=3)
        for request in (lambda: client.get(url), lambda: htmx(client, url)):
            with count_addresses() as counted:
                assert request().status_code == 200
            counts.append(counted.n)
    assert counts[:2] == counts[2:], counts


def test_list_and_organisation_page_show_a_person_s_contact_alike(client, org, member):
    sign_in(client, member)
    person(org, family_name="Gleich", phone="+49 351 12 34", phone_visibility="forum")
    cell = (
        '<div><a class="kern-link" href="tel:+493511234">+49 351 12 34</a></div>'
        '<div class="not-shared">Mobiltelefon, E-Mail-Adresse: für Sie nicht sichtbar</div>'
    )
    for url in ("/contacts", f"/organizations/{org.id}"):
        assert cell in client.get(url).get_data(as_text=True), url


def test_letter_links_keep_a_search_text_that_looks_like_their_pattern(client, org, member):
    sign_in(client, member)
    body = client.get("/contacts?q=LETTER+B").get_data(as_text=True)
    assert 'href="/contacts?letter=B&amp;q=LETTER+B"' in body
    assert 'href="/contacts?q=LETTER+B" aria-current="page"' in body


# --- The person page and editing ---------------------------------------------------------------------


def test_member_edits_own_entry_but_not_others(client, org, other_org, member):
    own = person(other_org, family_name="Mitglied", account=member.id)
    other = person(org)
    sign_in(client, member)
    assert client.get(f"/contacts/{other.id}/edit").status_code == 404
    page = client.get(f"/contacts/{own.id}/edit").get_data(as_text=True)
    assert 'name="organization"' not in page and 'name="account"' not in page
    response = client.post(
        f"/contacts/{own.id}/edit",
        data={
            "csrf_token": csrf_token(client),
            "version": "1",
            "family_name": "Mitglied",
            "given_name": "Mia",
            "function": "Jugendarbeit",
            "phone": "0351 123",
            "phone_visibility": "organization",
            "mobile_visibility": "coordinators",
            "email_visibility": "coordinators",
            "organization": org.id,  # ignored: a member cannot move their entry
        },
    )
    assert response.status_code == 303
    own = Person.get_by_id(own.id)
    assert (own.function, own.phone, own.organization_id) == (
        "Jugendarbeit",
        "0351 123",
        other_org.id,
    )
    assert own.version == 2
    assert (
        client.post(
            f"/contacts/{other.id}/edit", data={"csrf_token": csrf_token(client)}
        ).status_code
        == 404
    )


ROLES = ["admin", "coordinator", "reviewer", "member"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("target", ["own", "other"])
def test_edit_access_matrix(client, org, role, target):
    viewer = factories.account(role, org if role != "admin" else None)
    entry = person(org, account=viewer.id if target == "own" else None)
    sign_in(client, viewer)
    expected = 200 if (target == "own" or role in ("admin", "coordinator")) else 404
    assert client.get(f"/contacts/{entry.id}/edit").status_code == expected
    assert client.get(f"/contacts/{entry.id}").status_code == 200
    assert client.get("/contacts/new").status_code == (
        200 if role in ("admin", "coordinator") else 404
    )


@pytest.mark.parametrize(
    "url",
    [
        "/contacts",
        "/contacts/1",
        "/contacts/1.vcf",
        "/contacts.vcf",
        "/contacts.csv",
        "/organizations/1",
        "/organizations/1.vcf",
        "/contacts/1/edit",
        "/contacts/new",
        "/contacts/import",
        "/contacts/retention",
        "/privacy/record",
        "/contacts/1/privacy",
    ],
)
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize(
    "url",
    [
        "/contacts/99999999999999999999",
        "/organizations/99999999999999999999",
        "/contacts/999",
        "/contacts/999.vcf",
        "/organizations/999",
        "/contacts/999/edit",
        "/organizations/999.vcf",
    ],
)
def test_unknown_addresses_are_404(client, member, url):
    sign_in(client, member)
    assert client.get(url).status_code == 404


def test_invalid_form_comes_back_with_422_and_the_text_kept(client, org, coordinator):
    sign_in(client, coordinator)
    response = client.post(
        "/contacts/new",
        data={
            "csrf_token": csrf_token(client),
            "family_name": "",
            "given_name": "Zeynep <b>",
            "organization": org.id,
            "function": "",
            "email": "kein-email",
            "phone": "abc",
            "phone_visibility": "forum",
            "mobile_visibility": "forum",
            "email_visibility": "forum",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Zeynep &lt;b&gt;"' in body
    assert "Bitte füllen Sie dieses Feld aus." in body
    assert "gültige E-Mail-Adresse" in body
    assert Person.select().count() == 0


def test_unknown_organisation_is_refused(client, coordinator):
    sign_in(client, coordinator)
    response = client.post(
        "/contacts/new",
        data={
            "csrf_token": csrf_token(client),
            "family_name": "X",
            "function": "Y",
            "organization": "999",
            "phone_visibility": "forum",
            "mobile_visibility": "forum",
            "email_visibility": "forum",
        },
    )
    assert response.status_code == 422


def link_form(client, entry, org, account_id):
    return {
        "csrf_token": csrf_token(client),
        "version": str(entry.version),
        "family_name": entry.family_name,
        "given_name": entry.given_name,
        "organization": org.id,
        "function": entry.function,
        "mobile_visibility": "forum",
        "email_visibility": "forum",
        "account": account_id,
    }


def test_admin_cannot_link_their_own_account_to_an_entry(client, org, admin, coordinator):
    entry = person(org, phone=SECRET["phone"], phone_visibility="coordinators")
    sign_in(client, admin)
    response = client.post(
        f"/contacts/{entry.id}/edit", data=link_form(client, entry, org, admin.id)
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    error = page.split('id="account-error"')[1].split("</p>")[0]
    assert "Sie können Ihr eigenes Konto nicht" in error
    assert Person.get_by_id(entry.id).account_id is None
    assert SECRET["phone"] not in client.get(f"/contacts/{entry.id}").get_data(as_text=True)

    # Another person with the right to keep the directory may do it, and it is recorded.
    sign_in(client, coordinator)
    data = link_form(client, entry, org, admin.id)
    data["phone_visibility"] = "coordinators"
    data["phone"] = SECRET["phone"]
    assert client.post(f"/contacts/{entry.id}/edit", data=data).status_code == 303
    assert Person.get_by_id(entry.id).account_id == admin.id
    event = AuditEvent.get(AuditEvent.action == "person.account_linked")
    assert event.actor_id == coordinator.id and f"account:{admin.id}" in event.detail


def test_nobody_unlinks_or_links_themself_through_the_services(org, coordinator):
    own = person(org, account=coordinator.id)
    with pytest.raises(services.DirectoryError):
        services.update_person(own, {"account": None}, version=1, actor=coordinator)
    assert Person.get_by_id(own.id).account_id == coordinator.id
    newcomer = factories.account("coordinator", org)
    with pytest.raises(services.DirectoryError):
        services.create_person(
            {"organization": org, "family_name": "Neu", "function": "", "account": newcomer.id},
            actor=newcomer,
        )
    # The own-entry page makes a new, empty entry for oneself: nothing hidden to open.
    services.create_person(
        {"organization": org, "family_name": "Neu", "function": "", "account": newcomer.id},
        actor=newcomer,
        own_entry=True,
    )


def test_conflicting_edit_is_refused_not_overwritten(client, org, coordinator):
    entry = person(org)
    services.update_person(entry, {"function": "Kasse"}, version=1)
    sign_in(client, coordinator)
    response = client.post(
        f"/contacts/{entry.id}/edit",
        data={
            "csrf_token": csrf_token(client),
            "version": "1",
            "family_name": "Özdemir",
            "organization": org.id,
            "function": "Vorsitz (alt)",
            "phone_visibility": "forum",
            "mobile_visibility": "forum",
            "email_visibility": "forum",
        },
    )
    assert response.status_code == 409
    assert "in the meantime" not in response.get_data(as_text=True)
    assert "zwischenzeitlich" in response.get_data(as_text=True)
    assert Person.get_by_id(entry.id).function == "Kasse"


def test_member_creates_own_entry_once(client, org, other_org, member):
    sign_in(client, member)
    assert "Eigenen Eintrag anlegen" in client.get("/contacts").get_data(as_text=True)
    page = client.get("/contacts/new?own=1").get_data(as_text=True)
    assert "mitglied@example.org" in page
    response = client.post(
        "/contacts/new?own=1",
        data={
            "csrf_token": csrf_token(client),
            "family_name": "Yılmaz",
            "given_name": "Mehmet",
            "function": "Vorstand",
            "email": "mitglied@example.org",
            "phone_visibility": "coordinators",
            "mobile_visibility": "coordinators",
            "email_visibility": "organization",
        },
    )
    assert response.status_code == 303
    own = Person.get(Person.account == member.id)
    assert own.organization_id == other_org.id
    assert client.get("/contacts/new?own=1").status_code == 404
    assert "Eigenen Eintrag bearbeiten" in client.get("/contacts").get_data(as_text=True)


def test_consent_records_who_recorded_it(client, org, coordinator):
    entry = person(org)
    sign_in(client, coordinator)
    client.post(
        f"/contacts/{entry.id}/edit",
        data={
            "csrf_token": csrf_token(client),
            "version": "1",
            "family_name": "Özdemir",
            "organization": org.id,
            "function": "Vorsitz",
            "consent_on": "2025-03-01",
            "consent_basis": "explicit_consent",
            "phone_visibility": "forum",
            "mobile_visibility": "forum",
            "email_visibility": "forum",
        },
    )
    entry = Person.get_by_id(entry.id)
    assert entry.consent_on == dt.date(2025, 3, 1)
    assert entry.consent_recorded_by_id == coordinator.id


# --- Hostile input ----------------------------------------------------------------------------------

HOSTILE = '"><svg onload=alert(1)>'


HTML_PATHS = ["list", "page", "organization"]


@pytest.mark.parametrize("path", sorted(EXPORT_PATHS))
def test_markup_and_template_syntax_in_names_stay_text(client, org, coordinator, path):
    entry = person(org, family_name=HOSTILE, given_name="{{7*7}}", function="<script>x</script>")
    sign_in(client, coordinator)
    if path in ("search", "fragment"):
        response = client.get(
            "/contacts?q=svg+onload", headers={"HX-Request": "true"} if path == "fragment" else {}
        )
    else:
        response = EXPORT_PATHS[path](client, entry)
    body = response.get_data(as_text=True)
    # Evaluated, the template syntax would be gone from the page.
    assert "{{7*7}}" in body
    if response.mimetype == "text/html":
        assert "<svg" not in body and "<script>x" not in body
        assert "&lt;svg onload=alert(1)&gt;" in body
    elif path.endswith("vcard") or path == "vcard_all":
        cards = list(vobject.readComponents(body))
        assert any(card.n.value.family == HOSTILE for card in cards)
    else:
        assert response.mimetype == "text/csv" and HOSTILE.replace('"', '""') in body


def test_bidi_overrides_are_removed_from_names_on_save(client, org, member):
    # "\u202e" would render "Ali\u202ennamhcS" as "AliSchmann" reversed: a disguised name.
    entry = person(org, family_name="Ali\u202ennamhcS\u2066", given_name="\u200fMo\u2069")
    assert entry.family_name == "AlinnamhcS" and entry.given_name == "Mo"
    assert Person.get_by_id(entry.id).family_name == "AlinnamhcS"
    sign_in(client, member)
    body = client.get(f"/contacts/{entry.id}").get_data(as_text=True)
    assert "\u202e" not in body and "\u2066" not in body


def test_name_of_only_invisible_characters_is_refused(client, org, coordinator):
    sign_in(client, coordinator)
    response = client.post(
        "/contacts/new",
        data={
            "csrf_token": csrf_token(client),
            "family_name": "\u202e\u202e",
            "function": "Vorsitz",
            "organization": org.id,
            "phone_visibility": "forum",
            "mobile_visibility": "forum",
            "email_visibility": "forum",
        },
    )
    assert response.status_code == 422 and Person.select().count() == 0


def test_text_folding():
    assert text.fold("Özdemir") == "ozdemir"
    assert text.fold("Straße") == "strasse"
    assert text.fold("IŞIK") == text.fold("Işık") == "isik"
    assert "mueller" in text.search_key("Müller") and "muller" in text.search_key("Müller")
    assert list(text.search_terms('  "a"  OR  %  ')) == ['"a"', "or", "%"]


# --- vCard ------------------------------------------------------------------------------------------


def test_vcard_reads_back_with_the_same_data(client, org, coordinator):
    entry = person(
        org,
        title="Dr.",
        function="Vorsitz; Kasse, Presse",
        phone="+49 351 1",
        mobile="0170 2",
        email="ayse@example.org",
    )
    sign_in(client, coordinator)
    response = client.get(f"/contacts/{entry.id}.vcf")
    assert response.headers["Content-Type"] == "text/vcard; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    card = vobject.readOne(response.get_data(as_text=True))
    assert card.version.value == "3.0"
    assert card.n.value.family == "Özdemir" and card.n.value.given == "Ayşe"
    assert card.n.value.prefix == "Dr."
    assert card.fn.value == "Dr. Ayşe Özdemir"
    assert card.org.value == [org.name]
    assert card.title.value == "Vorsitz; Kasse, Presse"
    assert sorted(t.value for t in card.tel_list) == ["+49 351 1", "0170 2"]
    assert card.email.value == "ayse@example.org"


def test_vcard_of_all_contacts_holds_one_card_each(client, org, other_org, member):
    person(org)
    person(other_org, family_name="الحسن", given_name="محمد")
    sign_in(client, member)
    cards = list(vobject.readComponents(client.get("/contacts.vcf").get_data(as_text=True)))
    assert sorted(c.n.value.family for c in cards) == sorted(["Özdemir", "الحسن"])
    filtered = client.get("/contacts.vcf?q=ozdemir").get_data(as_text=True)
    assert len(list(vobject.readComponents(filtered))) == 1


# --- Organisation page ------------------------------------------------------------------------------


def test_organisation_page_shows_its_people_and_general_contact(client, org, other_org, member):
    org.phone, org.email, org.website = "0351 0000", "info@kps.example", "https://kps.example"
    org.save()
    entry = person(org)
    guest = person(other_org, family_name="Gast")
    Membership.create(
        person=guest, organization=org, role="Vertretung", start_date=dt.date(2024, 1, 1)
    )
    Membership.create(person=entry, organization=org, role="Alt", end_date=dt.date(2020, 1, 1))
    sign_in(client, member)
    body = client.get(f"/organizations/{org.id}").get_data(as_text=True)
    assert "Ayşe Özdemir" in body and "0351 0000" in body and "info@kps.example" in body
    assert "Gast" in body and "Vertretung" in body
    cards = list(
        vobject.readComponents(client.get(f"/organizations/{org.id}.vcf").get_data(as_text=True))
    )
    assert cards[0].fn.value == org.name and cards[0].tel.value == "0351 0000"


def test_organisation_page_shows_the_meetings_the_calendar_offers(client, org, member):
    sign_in(client, member)
    body = client.get(f"/organizations/{org.id}").get_data(as_text=True)
    assert 'id="organization-meetings"' in body and "Anstehende Termine" in body


def test_coordinator_manages_memberships_with_deputy(client, org, coordinator):
    entry = person(org)
    chair = person(org, family_name="Vorsitzende")
    sign_in(client, coordinator)
    response = client.post(
        f"/contacts/{entry.id}/memberships",
        data={
            "csrf_token": csrf_token(client),
            "organization": org.id,
            "role": "Vertretung",
            "start_date": "2025-01-01",
            "on_behalf_of": chair.id,
        },
    )
    assert response.status_code == 303
    membership = Membership.get(Membership.person == entry)
    assert membership.on_behalf_of_id == chair.id
    assert "Vorsitzende" in client.get(f"/contacts/{entry.id}").get_data(as_text=True)
    response = client.post(
        f"/contacts/{entry.id}/memberships",
        data={
            "csrf_token": csrf_token(client),
            "organization": org.id,
            "role": "X",
            "start_date": "2025-02-01",
            "end_date": "2025-01-01",
        },
    )
    assert Membership.select().count() == 1
    client.post(
        f"/contacts/{entry.id}/memberships/{membership.id}/delete",
        data={"csrf_token": csrf_token(client)},
    )
    assert Membership.select().count() == 0


def test_member_cannot_manage_memberships_or_delete(client, org, member):
    entry = person(org)
    sign_in(client, member)
    token = csrf_token(client)
    assert (
        client.post(f"/contacts/{entry.id}/memberships", data={"csrf_token": token}).status_code
        == 404
    )
    assert (
        client.post(f"/contacts/{entry.id}/delete", data={"csrf_token": token}).status_code == 404
    )
    assert Person.select().count() == 1


def test_changes_are_audited(client, org, coordinator):
    sign_in(client, coordinator)
    entry = person(org)
    services.update_person(entry, {"function": "Kasse"}, version=1)
    actions = [e.action for e in audit.AuditEvent.select().order_by(audit.AuditEvent.id)]
    assert "person.created" in actions and "person.updated" in actions


# --- Demo data --------------------------------------------------------------------------------------


def test_demo_people_are_plausible_deterministic_and_account_free(app):
    import random

    from intranet import demo as forum_demo
    from intranet.directory import demo

    organizations = forum_demo.create_organizations(dt.date(2024, 1, 1))
    today = dt.date(2026, 6, 1)

    def snapshot():
        return [
            (p.given_name, p.family_name, p.function, p.phone_visibility, p.email)
            for p in Person.select().order_by(Person.id)
        ]

    people = demo.populate(organizations, rng=random.Random(7), today=today)
    first = snapshot()
    assert len(people) >= 2 * len(organizations)
    assert all(p.account_id is None for p in Person.select())
    assert {p.email_visibility for p in Person.select()} == {
        "forum",
        "organization",
        "coordinators",
    }
    assert any("\u0600" <= ch <= "\u06ff" for p in Person.select() for ch in p.family_name)
    assert Membership.select().where(Membership.on_behalf_of.is_null(False)).exists()
    Membership.delete().execute()
    Person.delete().execute()
    demo.populate(organizations, rng=random.Random(7), today=today)
    assert snapshot() == first
    Membership.delete().execute()
    Person.delete().execute()
    assert len(demo.populate(organizations, scale=3, rng=random.Random(7), today=today)) == 3 * len(
        first
    )


@pytest.mark.parametrize(
    "args",
    [
        {"page": "abc"},
        {"page": "-5"},
        {"page": "99999"},
        {"organization": "abc"},
        {"organization": "99999999999999999999"},
        {"letter": "<script>"},
        {"function": "\x00"},
        {"q": "\x00\x01\u202e"},
        {"q": "x" * 5000},
        {"q": "ö" * 300, "organization": "1", "letter": "Z"},
    ],
)
def test_odd_parameters_never_fail(client, org, member, args):
    person(org)
    sign_in(client, member)
    for url in ("/contacts", "/contacts.vcf", "/contacts.csv"):
        assert client.get(url, query_string=args).status_code == 200


def test_nul_and_control_characters_in_a_form_are_cleaned(client, org, coordinator):
    sign_in(client, coordinator)
    response = client.post(
        "/contacts/new",
        data={
            "csrf_token": csrf_token(client),
            "family_name": "Nul\x00l",
            "given_name": "Zeile\r\nUmbruch",
            "organization": org.id,
            "function": "Vor\tsitz",
            "languages": "De\x00utsch",
            "phone_visibility": "forum",
            "mobile_visibility": "forum",
            "email_visibility": "forum",
        },
    )
    assert response.status_code == 303
    entry = Person.get()
    assert (entry.family_name, entry.given_name, entry.function) == (
        "Null",  # NUL is removed, white space becomes one space
        "Zeile Umbruch",
        "Vor sitz",
    )


def test_fragment_only_for_its_own_target(client, org, member):
    sign_in(client, member)
    other = htmx(client, "/contacts", target="something-else").get_data(as_text=True)
    assert "<html" in other
    restore = client.get("/contacts", headers={"HX-History-Restore-Request": "true"})
    assert "<html" in restore.get_data(as_text=True)


def test_deleting_an_entry_needs_confirmation(client, org, coordinator):
    entry = person(org)
    chair = person(org, family_name="Vorsitzende")
    Membership.create(person=entry, organization=org, role="Vertretung", on_behalf_of=chair)
    sign_in(client, coordinator)
    assert "Vertreten durch" in client.get(f"/contacts/{chair.id}").get_data(as_text=True)
    client.post(f"/contacts/{entry.id}/delete", data={"csrf_token": csrf_token(client)})
    assert Person.select().where(Person.id == entry.id).exists()
    response = client.post(
        f"/contacts/{entry.id}/delete", data={"csrf_token": csrf_token(client), "confirm": "yes"}
    )
    assert response.status_code == 303
    assert not Person.select().where(Person.id == entry.id).exists()
    assert Membership.select().count() == 0


def test_arabic_vowel_marks_do_not_matter_for_search(client, org, member):
    person(org, family_name="مُحَمَّد", given_name="")
    sign_in(client, member)
    body = client.get("/contacts", query_string={"q": "محمد"}).get_data(as_text=True)
    assert 'dir="auto">مُحَمَّد</a>' in body
