"""Bringing people in: invitation and reset links (one-time, limited in time, only a hash
stored), a password typed by the administration that must be replaced, and the mails that
tell a person about changes to their account."""

import contextlib
import datetime as dt
import hashlib
import html
import re

import pytest

from intranet.auth import links, services
from intranet.auth.models import PasswordLink
from intranet.core.accounts import NO_PASSWORD, Account
from intranet.core.models import AuditEvent, OutboxMessage
from intranet.meetings import feeds
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import csrf_token, make_app, sign_in
from tests.factories import deliver, free_port
from tests.test_second_factor import code_step, switch_on, totp_of

LINK_PATTERN = re.compile(r'id="password-link" type="text" readonly value="([^"]+)"')
NEW_PASSWORD = "Nebel zieht über die Dresdner Heide"
GONE_TEXT = "Dieser Link ist abgelaufen oder wurde schon benutzt."


def actions():
    return [event.action for event in AuditEvent.select().order_by(AuditEvent.id)]


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def invite(client, org, role="member", email="neu@example.org", **fields):
    """The admin's new-account form with the default (an invitation link); the link's path."""
    data = {
        "csrf_token": csrf_token(client),
        "display_name": "Neue Person",
        "email": email,
        "role": role,
        "organization": org.id,
        "access": "link",
        **fields,
    }
    response = client.post("/admin/accounts/new", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    match = LINK_PATTERN.search(response.get_data(as_text=True))
    assert match, "the link is shown to the admin"
    return path_of(match.group(1)), response


def set_password(client, path, password=NEW_PASSWORD, repeat=None):
    data = {"password": password, "password_repeat": password if repeat is None else repeat}
    # The form's token is the session's: any page's works, also where the link page is gone.
    data["csrf_token"] = csrf_token(client)
    return client.post(path, data=data)


def issue(account, admin=None):
    issued = services.issue_password_link(account, admin)
    return f"/set-password/{issued.token}"


# --- Invitations ------------------------------------------------------------------------------


def test_admin_invites_and_the_person_sets_their_own_password(app, client, admin, org):
    sign_in(client, admin)
    path, response = invite(client, org)
    page = response.get_data(as_text=True)
    assert "Mailversand ist in dieser Installation ausgeschaltet" in page
    account = Account.get(Account.email == "neu@example.org")
    assert account.password_hash == NO_PASSWORD and not account.must_change_password
    token = path.rsplit("/", 1)[1]
    # Only the hash is kept.
    link = PasswordLink.get(PasswordLink.account == account.id)
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest() and token not in str(
        link.__data__
    )
    assert link.purpose == "invitation"
    assert dt.timedelta(hours=71) < link.expires_at - utcnow() <= dt.timedelta(hours=72)
    # Nobody can sign in to the invited account before the password is set.
    assert sign_in(app.test_client(), account, "").status_code != 303

    person = app.test_client()
    opened = person.get(path)
    assert opened.status_code == 200
    assert "Willkommen im Intranet" in opened.get_data(as_text=True)
    weak = set_password(person, path, "passwort1234")
    assert weak.status_code == 422 and "zu leicht zu erraten" in weak.get_data(as_text=True)
    mismatch = set_password(person, path, NEW_PASSWORD, repeat=NEW_PASSWORD + "x")
    assert mismatch.status_code == 422
    done = set_password(person, path)
    assert done.status_code == 303 and done.headers["Location"] == "/"
    home = person.get("/")  # signed in, and told so
    assert home.status_code == 200
    assert "Willkommen! Ihr Passwort ist gespeichert." in home.get_data(as_text=True)
    assert not PasswordLink.select().where(PasswordLink.account == account.id).exists()
    assert sign_in(app.test_client(), account, NEW_PASSWORD).status_code == 303
    recorded = actions()
    for action in ("account.created", "account.invited", "account.invitation_accepted"):
        assert action in recorded
    signed_in = AuditEvent.get(AuditEvent.detail == "password link")
    assert signed_in.action == "login.succeeded" and signed_in.actor_id == account.id


def test_the_link_page_offers_a_message_to_send_with_it(app, client, admin, org):
    from urllib.parse import parse_qs, unquote, urlsplit

    sign_in(client, admin)
    path, response = invite(client, org, email="neu@example.org")
    page = response.get_data(as_text=True)
    box = re.search(r'<textarea[^>]*id="link-message"[^>]*readonly>(.*?)</textarea>', page, re.S)
    text = html.unescape(box.group(1))
    assert text.startswith("Betreff: Ihr Konto im Intranet des Sicherheitsdialog Dresden")
    assert "Guten Tag Neue Person" in text and path in text and "72 Stunden" in text
    assert "automatisch" not in text  # no "sent automatically" footer: the admin sends it
    assert 'data-copy-target="link-message"' in page
    mailto = html.unescape(re.search(r'href="(mailto:[^"]+)"', page).group(1))
    parts = urlsplit(mailto)
    query = parse_qs(parts.query)
    assert unquote(parts.path) == "neu@example.org"
    assert query["subject"] == ["Ihr Konto im Intranet des Sicherheitsdialog Dresden"]
    assert path in query["body"][0] and query["body"][0] in text


def test_a_link_works_only_once(app, client, member):
    path = issue(member)
    assert set_password(app.test_client(), path).status_code == 303
    again = app.test_client()
    assert again.get(path).status_code == 404
    reused = set_password(again, path)
    assert reused.status_code in (404, 410)
    assert GONE_TEXT in reused.get_data(as_text=True)
    assert sign_in(app.test_client(), member, NEW_PASSWORD).status_code == 303


@pytest.mark.parametrize(
    ("purpose_account", "valid_hours"),
    [("invited", 72), ("member", 24)],
    ids=["invitation", "reset"],
)
def test_links_expire(app, client, monkeypatch, org, purpose_account, valid_hours):
    if purpose_account == "invited":
        account = services.create_account(
            "eingeladen@example.org", "Eingeladen", "member", None, org
        )
    else:
        account = factories.account("member", org)
    path = issue(account)
    start = utcnow()
    monkeypatch.setattr(links, "utcnow", lambda: start + dt.timedelta(hours=valid_hours - 1))
    assert client.get(path).status_code == 200
    monkeypatch.setattr(links, "utcnow", lambda: start + dt.timedelta(hours=valid_hours + 1))
    response = client.get(path)
    assert response.status_code == 410
    page = response.get_data(as_text=True)
    assert GONE_TEXT in page and "Administration des Intranets" in page
    assert set_password(client, path).status_code == 410
    assert Account.get_by_id(account.id).password_hash == account.password_hash


def test_a_new_link_revokes_the_older_one(app, client, admin, member):
    first = issue(member, admin)
    second = issue(member, admin)
    assert client.get(first).status_code == 404
    assert client.get(second).status_code == 200
    assert PasswordLink.select().where(PasswordLink.account == member.id).count() == 1


def test_a_deactivated_account_cannot_use_its_link(app, client, admin, member):
    path = issue(member, admin)
    services.set_active(member, False, admin)
    response = client.get(path)
    assert response.status_code == 404 and GONE_TEXT in response.get_data(as_text=True)
    assert set_password(client, path).status_code == 404


@pytest.mark.parametrize("purpose", ["invitation", "reset"])
def test_deactivation_voids_links_sessions_and_feed_for_good(app, client, admin, org, purpose):
    """Reactivating brings none of them back: whoever held the link, a signed-in browser or
    the calendar address before the deactivation starts from nothing."""
    if purpose == "invitation":
        person = services.create_account(
            "eingeladen@example.org", "Eingeladen", "member", None, org
        )
    else:
        person = factories.account("member", org)
    path = issue(person, admin)
    elsewhere = app.test_client()
    if purpose == "reset":
        sign_in(elsewhere, person)
        assert elsewhere.get("/contacts").status_code == 200
    with app.test_request_context():
        feed = feeds.renew(person)
    sign_in(client, admin)
    toggle = {"csrf_token": csrf_token(client)}
    assert client.post(f"/admin/accounts/{person.id}/active", data=toggle).status_code == 303
    assert client.post(f"/admin/accounts/{person.id}/active", data=toggle).status_code == 303
    assert Account.get_by_id(person.id).active
    anonymous = app.test_client()
    assert anonymous.get(path).status_code == 404
    assert set_password(anonymous, path).status_code == 404
    assert Account.get_by_id(person.id).password_hash == person.password_hash
    assert elsewhere.get("/contacts").status_code == 302
    assert anonymous.get("/calendar.ics", query_string={"token": feed}).status_code == 404
    # A link the administration makes after the reactivation works.
    assert anonymous.get(issue(person, admin)).status_code == 200


def test_a_link_made_while_deactivated_works_after_reactivation(app, client, admin, member):
    services.set_active(member, False, admin)
    path = issue(member, admin)
    services.set_active(Account.get_by_id(member.id), True, admin)
    assert client.get(path).status_code == 200


def _new_role(account, admin):
    services.update_account(
        account,
        services.fingerprint(account),
        account.email,
        account.display_name,
        "reviewer",
        account.organization,
        admin,
    )


def _new_organization(account, admin):
    other = factories.organization("Andere Stelle")
    fingerprint = services.fingerprint(account)
    services.update_account(
        account, fingerprint, account.email, account.display_name, account.role, other, admin
    )


def _own_new_password(account, admin):
    services.change_password(account, factories.PASSWORD, NEW_PASSWORD)


@pytest.mark.parametrize("change", [_new_role, _new_organization, _own_new_password])
def test_links_end_when_role_organisation_or_password_change(app, admin, org, change):
    member = factories.account("member", org)
    path = issue(member, admin)
    client = app.test_client()
    sign_in(client, member)
    with app.test_request_context():
        change(Account.get_by_id(member.id), admin)
    assert app.test_client().get(path).status_code == 404
    assert client.get("/contacts").status_code == 302


def test_a_name_or_email_change_keeps_the_link(app, admin, member):
    path = issue(member, admin)
    services.update_account(
        member,
        services.fingerprint(member),
        "anders@example.org",
        "Anderer Name",
        member.role,
        member.organization,
        admin,
    )
    assert app.test_client().get(path).status_code == 200


@pytest.mark.parametrize(
    "token",
    [
        "x" * 5000,
        "ä€😀",
        "%C3%A4%00",
        "..%2F..%2Fadmin",
        "../admin",
        "%2e%2e",
        "abc%0d%0aSet-Cookie:x=1",
        "' OR 1=1 --",
        "%FF%FE",
    ],
)
def test_hostile_tokens_are_not_found(app, client, member, token):
    issue(member)
    for method in ("GET", "POST"):
        data = {"csrf_token": csrf_token(client)} if method == "POST" else None
        response = client.open(f"/set-password/{token}", method=method, data=data)
        assert response.status_code == 404, (method, token, response.status_code)


def test_the_set_password_form_needs_its_csrf_token(app, client, member):
    path = issue(member)
    response = client.post(path, data={"password": NEW_PASSWORD, "password_repeat": NEW_PASSWORD})
    assert response.status_code == 400
    assert client.get(path).status_code == 200  # not spent
    assert sign_in(app.test_client(), member).status_code == 303  # old password still works


# --- Reset links -----------------------------------------------------------------------------------


def test_reset_link_from_the_edit_page_ends_other_sessions(app, client, admin, member):
    elsewhere = app.test_client()
    sign_in(elsewhere, member)
    assert elsewhere.get("/account").status_code == 200
    sign_in(client, admin)
    response = client.post(
        f"/admin/accounts/{member.id}/password-link",
        data={"csrf_token": csrf_token(client, f"/admin/accounts/{member.id}/edit")},
    )
    assert response.status_code == 200
    path = path_of(LINK_PATTERN.search(response.get_data(as_text=True)).group(1))
    # Making the link changes nothing yet.
    assert elsewhere.get("/account").status_code == 200
    assert PasswordLink.get(PasswordLink.account == member.id).purpose == "reset"

    person = app.test_client()
    assert "Neues Passwort wählen" in person.get(path).get_data(as_text=True)
    assert set_password(person, path).status_code == 303
    assert elsewhere.get("/account").status_code == 302  # signed out there
    assert sign_in(app.test_client(), member).status_code == 401
    assert sign_in(app.test_client(), member, NEW_PASSWORD).status_code == 303
    reset = AuditEvent.get(AuditEvent.action == "account.password_reset_by_link")
    assert reset.target == f"account:{member.id}" and reset.actor_id == member.id
    made = AuditEvent.get(AuditEvent.action == "account.reset_link_created")
    assert made.actor_id == admin.id


def test_reset_link_still_asks_for_the_second_factor(app, client, reviewer):
    switch_on(reviewer)
    path = issue(reviewer)
    response = set_password(client, path)
    assert response.status_code == 303 and response.headers["Location"] == "/login/code"
    assert client.get("/account").status_code == 302  # not signed in without the code
    assert code_step(client, totp_of(reviewer).now()).status_code == 303
    assert client.get("/account").status_code == 200


def test_invited_reviewer_sets_up_the_second_factor_when_the_role_requires_it(tmp_path):
    from intranet.auth import second_factor
    from intranet.platform.db import db

    app = make_app(tmp_path, SECOND_FACTOR_ROLES=["reviewer"])
    with app.app_context():
        db.connect(reuse_if_open=True)
        account = services.create_account(
            "pruefung@example.org", "Prüfende Person", "reviewer", None
        )
        path = issue(account)
        client = app.test_client()
        response = set_password(client, path)
        assert response.headers["Location"] == "/login/setup"
        assert client.get("/account").status_code == 302
        assert second_factor.next_step(Account.get_by_id(account.id)) == "setup"
        db.close()


# --- A password the administration typed -------------------------------------------------------------


def test_typed_password_must_be_replaced_at_the_first_sign_in(app, client, admin, org):
    sign_in(client, admin)
    response = client.post(
        "/admin/accounts/new",
        data={
            "csrf_token": csrf_token(client),
            "display_name": "Ohne Mail",
            "email": "ohne-mail@example.org",
            "role": "member",
            "organization": org.id,
            "access": "password",
            "password": "Wolken über der Elbe am Abend",
        },
    )
    assert response.status_code == 303
    account = Account.get(Account.email == "ohne-mail@example.org")
    assert account.must_change_password

    person = app.test_client()
    assert sign_in(person, account, "Wolken über der Elbe am Abend").status_code == 303
    for page in ("/", "/account", "/calendar", "/contacts", "/barrierefreiheit"):
        answer = person.get(page)
        assert (
            answer.status_code == 303 and answer.headers["Location"] == "/account/choose-password"
        )
    htmx = person.get("/contacts", headers={"HX-Request": "true"})
    assert htmx.headers.get("HX-Redirect") == "/account/choose-password"
    assert person.get("/static/css/app.css").status_code == 200
    page = person.get("/account/choose-password")
    assert page.status_code == 200 and "Eigenes Passwort wählen" in page.get_data(as_text=True)

    token = csrf_token(person, "/account/choose-password")
    same = person.post(
        "/account/choose-password",
        data={
            "csrf_token": token,
            "new_password": "Wolken über der Elbe am Abend",
            "new_password_repeat": "Wolken über der Elbe am Abend",
        },
    )
    assert same.status_code == 422 and "eigenes Passwort" in same.get_data(as_text=True)
    assert person.post("/account/choose-password", data={}).status_code == 400  # CSRF
    chosen = person.post(
        "/account/choose-password",
        data={
            "csrf_token": token,
            "new_password": NEW_PASSWORD,
            "new_password_repeat": NEW_PASSWORD,
        },
    )
    assert chosen.status_code == 303
    assert not Account.get_by_id(account.id).must_change_password
    assert person.get("/account").status_code == 200
    assert person.get("/account/choose-password").status_code == 303
    event = AuditEvent.select().where(AuditEvent.action == "account.password_changed").get()
    assert "administration" in event.detail


def test_sign_out_works_before_the_password_is_replaced(app, client, member):
    Account.update(must_change_password=True).where(Account.id == member.id).execute()
    sign_in(client, member)
    token = csrf_token(client, "/account/choose-password")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/account/choose-password").status_code == 302  # to the sign-in


def test_typed_reset_by_the_admin_must_be_replaced_and_revokes_links(app, client, admin, member):
    path = issue(member, admin)
    sign_in(client, admin)
    response = client.post(
        f"/admin/accounts/{member.id}/password",
        data={"csrf_token": csrf_token(client), "password": "Neue Passphrase für den Herbst"},
    )
    assert response.status_code == 303
    assert Account.get_by_id(member.id).must_change_password
    assert app.test_client().get(path).status_code == 404


def test_create_user_command_does_not_force_a_change(app, runner):
    result = runner.invoke(
        args=[
            "create-user",
            "erste@example.org",
            "--name",
            "Erste",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input=NEW_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    account = Account.get(Account.email == "erste@example.org")
    assert not account.must_change_password
    client = app.test_client()
    assert sign_in(client, account, NEW_PASSWORD).status_code == 303
    assert client.get("/admin/").status_code == 200


def test_deactivation_ends_the_sessions_of_the_account(app, client, admin, member):
    elsewhere = app.test_client()
    sign_in(elsewhere, member)
    assert elsewhere.get("/contacts").status_code == 200
    sign_in(client, admin)
    client.post(f"/admin/accounts/{member.id}/active", data={"csrf_token": csrf_token(client)})
    response = elsewhere.get("/contacts")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_account_form_explains_every_role(client, admin):
    sign_in(client, admin)
    page = client.get("/admin/accounts/new").get_data(as_text=True)
    for label, line in [
        ("Admin", "Verwaltet Konten"),
        ("Koordinierende", "Plant Termine"),
        ("Prüfende", "Verbindungsstelle der Polizei"),
        ("Mitglied", "Vertritt eine Organisation"),
    ]:
        assert label in page and line in page
    assert 'type="radio"' in page and 'aria-describedby="role-0-hint"' in page
    assert re.search(r'id="access-0"[^>]*checked|checked[^>]*id="access-0"', page)


# --- Mails ---------------------------------------------------------------------------------------------


@pytest.fixture
def mailing(tmp_path, smtp):  # noqa: F811
    controller, inbox = smtp
    from intranet.platform.db import db

    app = make_app(
        tmp_path, MAIL_SERVER=f"127.0.0.1:{controller.port}", MAIL_FROM="intranet@example.org"
    )
    with app.app_context():
        db.connect(reuse_if_open=True)
        yield app, inbox
        if not db.is_closed():
            db.close()


def received(inbox):
    """Deliver the outbox (as the background thread would), then what arrived."""
    deliver()
    return [
        (to, message["Subject"], message.get_body(("plain",)).get_content())
        for to, message in inbox.messages
    ]


def test_the_invitation_is_mailed_with_the_link(mailing):
    app, inbox = mailing
    admin = factories.account("admin", email="admin@example.org")
    org = factories.organization("Verein")
    client = app.test_client()
    sign_in(client, admin)
    path, response = invite(client, org, email="Neu@Example.org")
    assert "Der Link ist per E-Mail an neu@example.org unterwegs." in response.get_data(
        as_text=True
    )
    [(to, subject, body)] = received(inbox)
    assert to == ["neu@example.org"] and "Ihr Konto im Intranet" in subject
    assert path in body and "72 Stunden" in body


def test_changes_to_an_account_are_mailed_without_secrets(mailing):
    app, inbox = mailing
    admin = factories.account("admin", email="admin@example.org")
    member = factories.account("member", email="alt@example.org", display_name="Mira Mitglied")
    client = app.test_client()
    sign_in(client, admin)
    edit = f"/admin/accounts/{member.id}/edit"
    page = client.get(edit).get_data(as_text=True)
    fingerprint = re.search(r'name="fingerprint" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(
        edit,
        data={
            "csrf_token": csrf_token(client),
            "fingerprint": fingerprint,
            "display_name": "Mira Mitglied",
            "email": "neu@example.org",
            "role": "reviewer",
            "organization": 0,
        },
    )
    assert response.status_code == 303
    mails = received(inbox)
    assert sorted(to[0] for to, subject, _body in mails if "E-Mail-Adresse" in subject) == [
        "alt@example.org",
        "neu@example.org",
    ]
    [role_mail] = [m for m in mails if "Rolle" in m[1]]
    assert role_mail[0] == ["neu@example.org"] and "„Mitglied“ in „Prüfende“" in role_mail[2]

    inbox.messages.clear()
    typed = "Neue Passphrase für den Herbst"
    client.post(
        f"/admin/accounts/{member.id}/password",
        data={"csrf_token": csrf_token(client), "password": typed},
    )
    [(to, subject, body)] = received(inbox)
    assert to == ["neu@example.org"] and subject == "Ihr Passwort wurde geändert"
    assert typed not in body and "Administration" in body

    inbox.messages.clear()
    person = app.test_client()
    sign_in(person, "neu@example.org", typed)
    person.post(
        "/account/choose-password",
        data={
            "csrf_token": csrf_token(person, "/account/choose-password"),
            "new_password": NEW_PASSWORD,
            "new_password_repeat": NEW_PASSWORD,
        },
    )
    [(to, subject, body)] = received(inbox)
    assert subject == "Ihr Passwort wurde geändert" and NEW_PASSWORD not in body


def test_notices_are_written_in_the_language_the_person_chose(mailing):
    from intranet.auth import mail as account_mail
    from intranet.core.accounts import Account

    app, inbox = mailing
    member = factories.account("member", email="en@example.org")
    Account.update(language="en").where(Account.id == member.id).execute()
    with app.test_request_context():
        account_mail.notify_password_changed(Account.get_by_id(member.id), by_administration=True)
        account_mail.notify_password_changed(factories.account("member"), by_administration=True)
    [(_to, english, body), (_other, german, _body)] = received(inbox)
    assert english == "Your password was changed" and "The administration has set" in body
    assert german == "Ihr Passwort wurde geändert"


def test_an_unreachable_mail_server_still_shows_the_link(app, client, admin, org):
    app.config["MAIL_SERVER"] = f"127.0.0.1:{free_port()}"  # nobody listens there
    sign_in(client, admin)
    path, response = invite(client, org)
    assert "unterwegs" in response.get_data(as_text=True)
    assert app.test_client().get(path).status_code == 200
    deliver()
    waiting = OutboxMessage.get(OutboxMessage.recipient == "neu@example.org")
    assert waiting.state == "queued" and "not reachable" in waiting.last_error


# --- Password checks on the own account page ----------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "field"),
    [
        ("/account/password", "current_password"),
        ("/account/second-factor/off", "off-password"),
        ("/account/second-factor/recovery-codes", "codes-password"),
        ("/account/second-factor/on", "on-password"),
    ],
)
def test_password_checks_on_the_account_page_are_throttled(app, client, member, address, field):
    app.config["LOGIN_MAX_FAILURES_ACCOUNT"] = 3
    sign_in(client, member)
    if field != "on-password":  # switching off or new codes: the factor is on
        switch_on(member)
        sign_in(client, member)
        code_step(client, totp_of(member).now())
    token = csrf_token(client, "/account")

    def attempt(password):
        data = {"csrf_token": token, field: password}
        if field == "current_password":
            data.update(new_password=NEW_PASSWORD, new_password_repeat=NEW_PASSWORD)
        return client.post(address, data=data)

    # A right password clears the count of wrong ones (new codes keep the session going).
    if field == "codes-password":
        assert attempt("falsch").status_code == 422
        assert attempt(factories.PASSWORD).status_code == 200
    for _ in range(3):
        assert attempt("falsch").status_code == 422
    refused = attempt(factories.PASSWORD)
    assert refused.status_code == 429
    assert "Zu viele falsche Passwörter" in refused.get_data(as_text=True)
    assert (
        AuditEvent.select().where(AuditEvent.action == "account.password_check_throttled").exists()
    )
    assert Account.get_by_id(member.id).password_hash == member.password_hash


def test_links_made_at_the_same_moment_leave_one_that_works(app, member, monkeypatch):
    import threading

    from intranet.platform.db import db

    tokens, errors = [], []
    # Every request waits (briefly) for the others just before its insert: without the lock
    # all of them would have deleted the old link and then clash on the account's one row.
    barrier = threading.Barrier(4, timeout=0.5)
    create = PasswordLink.create

    def create_together(**fields):
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return create(**fields)

    monkeypatch.setattr(PasswordLink, "create", create_together)

    def make():
        try:
            with app.app_context():
                db.connect(reuse_if_open=True)
                tokens.append(services.issue_password_link(member, None).token)
                db.close()
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(tokens) == 4
    client = app.test_client()
    working = [t for t in tokens if client.get(f"/set-password/{t}").status_code == 200]
    assert len(working) == 1


def test_the_reset_link_is_mailed_and_its_use_reported(mailing):
    app, inbox = mailing
    admin = factories.account("admin", email="admin@example.org")
    member = factories.account("member", email="mira@example.org")
    client = app.test_client()
    sign_in(client, admin)
    response = client.post(
        f"/admin/accounts/{member.id}/password-link", data={"csrf_token": csrf_token(client)}
    )
    path = path_of(LINK_PATTERN.search(response.get_data(as_text=True)).group(1))
    [(to, subject, body)] = received(inbox)
    assert to == ["mira@example.org"] and "Neues Passwort" in subject
    assert path in body and "24 Stunden" in body

    inbox.messages.clear()
    assert set_password(app.test_client(), path).status_code == 303
    [(to, subject, body)] = received(inbox)
    assert subject == "Ihr Passwort wurde geändert" and path not in body
