"""Sign-in, throttling, passwords and sessions: each rule of the security baseline has a test here."""

import datetime as dt
import re

import pytest
from argon2 import PasswordHasher

from intranet.auth import passwords, services
from intranet.auth.models import LoginFailure
from intranet.core.accounts import Account
from intranet.core.models import AuditEvent
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import csrf_token, sign_in

GERMAN_LOGIN_ERROR = "E-Mail-Adresse oder Passwort ist nicht korrekt."


def audit_actions():
    return [event.action for event in AuditEvent.select().order_by(AuditEvent.id)]


# --- Sign-in and redirects -------------------------------------------------------------------


def test_sign_in_redirects_to_start_page(client, member):
    response = sign_in(client, member)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200


def test_sign_in_accepts_email_in_any_case(client, member):
    assert sign_in(client, member.email.upper()).status_code == 303


def test_sign_in_follows_local_next(client, member):
    response = sign_in(client, member, next="/account?tab=1")
    assert response.headers["Location"] == "/account?tab=1"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "\\\\evil.example",
        "/\\evil.example",
        "https:evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "/%0d%0aSet-Cookie:x=1",
        "/\r\nLocation: https://evil.example",
        "",
    ],
)
def test_sign_in_never_redirects_off_site(client, member, target):
    response = sign_in(client, member, next=target)
    assert response.status_code == 303
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "evil" not in location or location.startswith("/%")


def test_anonymous_request_goes_to_login_with_next(client):
    response = client.get("/account?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/account?x%3D1"


def test_anonymous_htmx_request_gets_hx_redirect(client):
    response = client.get("/account", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"].startswith("/login?next=")
    assert response.status_code == 401


def test_unknown_email_and_wrong_password_look_the_same(client, member, monkeypatch):
    checked = []

    class CountingHasher(PasswordHasher):
        def verify(self, hash_, password):
            checked.append(hash_)
            return super().verify(hash_, password)

    monkeypatch.setattr(
        passwords, "hasher", CountingHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    wrong_password = sign_in(client, member, "falsches Passwort für dieses Konto")
    unknown_email = sign_in(client, "niemand@example.org", "falsches Passwort für dieses Konto")
    assert wrong_password.status_code == unknown_email.status_code == 401
    for response in (wrong_password, unknown_email):
        assert GERMAN_LOGIN_ERROR in response.get_data(as_text=True)
    # Both paths run one Argon2 verification, so they take about the same time.
    assert len(checked) == 2


def test_failed_sign_in_keeps_email_and_clears_password(client, member):
    page = sign_in(client, member, "falsches Passwort für dieses Konto").get_data(as_text=True)
    assert f'value="{member.email}"' in page
    assert "falsches Passwort" not in page


def test_deactivated_account_cannot_sign_in(client, member):
    Account.update(active=False).where(Account.id == member.id).execute()
    assert sign_in(client, member).status_code == 401


def test_empty_form_comes_back_with_german_errors(client):
    response = client.post("/login", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 422
    assert "Bitte füllen Sie dieses Feld aus." in response.get_data(as_text=True)


# --- Throttling ----------------------------------------------------------------------------


def fail_times(client, email, count, address="192.0.2.1"):
    for _ in range(count):
        response = sign_in(client, email, "falsches Passwort für dieses Konto", address=address)
    return response


def test_account_is_throttled_after_ten_failures(client, member):
    assert fail_times(client, member, 9).status_code == 401
    assert (
        fail_times(client, member, 1).status_code == 401
    )  # the tenth failure still answers normally
    response = sign_in(client, member, address="192.0.2.1")  # even the right password waits now
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    text = response.get_data(as_text=True)
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in text and "Uhr erneut" in text


def test_throttle_for_an_account_holds_from_another_address(client, member):
    fail_times(client, member, 10, address="192.0.2.1")
    assert sign_in(client, member, address="198.51.100.7").status_code == 429


def test_address_is_throttled_after_thirty_failures(client, member):
    for number in range(30):
        sign_in(
            client, f"raten{number}@example.org", "irgendein langes Passwort", address="192.0.2.9"
        )
    assert sign_in(client, member, address="192.0.2.9").status_code == 429
    assert sign_in(client, member, address="192.0.2.10").status_code == 303


def test_lockout_lifts_after_the_window_even_for_admins(client, admin):
    fail_times(client, admin, 10)
    assert sign_in(client, admin, address="192.0.2.1").status_code == 429
    past = utcnow() - dt.timedelta(minutes=16)
    LoginFailure.update(at=past).execute()
    assert sign_in(client, admin, address="192.0.2.1").status_code == 303


def test_failures_and_lockouts_are_recorded(client, member):
    fail_times(client, member, 10)
    sign_in(client, member, address="192.0.2.1")
    actions = audit_actions()
    assert actions.count("login.failed") == 10
    assert "login.locked" in actions
    assert "login.throttled" in actions


def test_text_typed_into_the_email_field_is_not_logged_unless_it_is_an_address(client):
    sign_in(client, "MeinGeheimesPasswort2026", "noch ein langes Passwort")
    assert not AuditEvent.select().where(AuditEvent.target.contains("geheim")).exists()


def test_success_clears_the_failure_count(client, member):
    fail_times(client, member, 9)
    assert sign_in(client, member, address="192.0.2.1").status_code == 303
    assert LoginFailure.select().where(LoginFailure.email == member.email).count() == 0


# --- Passwords -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "kurz",
        "elf Zeichen",
        "123456789012",
        "passwort1234",
        "password12345",
        "Sicherheitsdialog Dresden",
        "sicherheitsdialog2026!",
        "Kommunale Präventionsstelle 1",
        "koordination-koordination",
    ],
)
def test_weak_passwords_are_rejected(app, org, password):
    with pytest.raises(passwords.WeakPassword):
        services.create_account("koordination@example.org", "K", "member", password, org)


def test_long_passphrases_are_accepted_and_not_truncated(client, org):
    long_password = "Wolken über der Elbe, " * 6  # 132 characters
    account = services.create_account("lang@example.org", "Lang", "member", long_password, org)
    assert sign_in(client, account, long_password).status_code == 303
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert sign_in(client, account, long_password[:128]).status_code == 401


def test_no_composition_rules(app, org):
    services.create_account(
        "leicht@example.org", "L", "member", "ein hund spielt gern im garten", org
    )


@pytest.mark.real_hashing
def test_passwords_are_hashed_with_argon2id(app, org):
    account = services.create_account(
        "hash@example.org", "H", "member", "Wolken über der Elbe am Abend", org
    )
    assert account.password_hash.startswith("$argon2id$")
    assert "m=65536" in account.password_hash


def test_hash_is_upgraded_on_sign_in_when_parameters_change(client, member, monkeypatch):
    old_hash = Account.get_by_id(member.id).password_hash
    monkeypatch.setattr(
        passwords, "hasher", PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    )
    assert sign_in(client, member).status_code == 303
    new_hash = Account.get_by_id(member.id).password_hash
    assert new_hash != old_hash and "m=2048" in new_hash


# --- Sessions ------------------------------------------------------------------------------


def session_cookie(client):
    cookie = client.get_cookie("intranet_session")
    return cookie.value if cookie else None


def test_session_is_reissued_on_sign_in(client, member):
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    before = session_cookie(client)
    sign_in(client, member)
    assert session_cookie(client) != before
    with client.session_transaction() as session:
        assert "planted" not in session


def test_copied_cookie_dies_after_logout(app, client, member):
    sign_in(client, member)
    thief = app.test_client()
    thief.set_cookie("intranet_session", session_cookie(client))
    assert thief.get("/account").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert thief.get("/account").status_code == 302


def test_logout_needs_post_and_csrf(client, member):
    sign_in(client, member)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/account").status_code == 200


def test_password_change_ends_other_sessions_but_not_this_one(app, client, member):
    sign_in(client, member)
    other_device = app.test_client()
    sign_in(other_device, member)
    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client),
            "current_password": factories.PASSWORD,
            "new_password": "Neue Passphrase für den Sommer",
            "new_password_repeat": "Neue Passphrase für den Sommer",
        },
    )
    assert response.status_code == 303
    assert client.get("/account").status_code == 200
    assert other_device.get("/account").status_code == 302
    assert AuditEvent.select().where(AuditEvent.action == "account.password_changed").exists()


def test_password_change_with_wrong_current_password_keeps_input(client, member):
    sign_in(client, member)
    response = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(client),
            "current_password": "nicht das richtige Passwort",
            "new_password": "Neue Passphrase für den Sommer",
            "new_password_repeat": "Neue Passphrase für den Sommer",
        },
    )
    assert response.status_code == 422
    assert "Das aktuelle Passwort ist nicht korrekt." in response.get_data(as_text=True)


def test_deactivation_ends_sessions(app, client, member, admin):
    sign_in(client, member)
    services.set_active(member, False, admin)
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize("key, minutes", [("seen_at", 61), ("login_at", 12 * 60 + 1)])
def test_idle_and_absolute_session_limits(client, member, key, minutes):
    sign_in(client, member)
    with client.session_transaction() as session:
        session[key] -= minutes * 60
    response = client.get("/account")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_expired_session_answers_htmx_with_hx_redirect(client, member):
    sign_in(client, member)
    with client.session_transaction() as session:
        session["seen_at"] -= 61 * 60
    response = client.get("/account", headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"].startswith("/login")


def test_session_limits_are_settings(tmp_path, member):
    from tests.conftest import make_app

    app = make_app(tmp_path, SESSION_IDLE_MINUTES=5)
    assert app.config["SESSION_IDLE_MINUTES"] == 5


# --- Cookies -------------------------------------------------------------------------------


def set_cookie_header(response):
    return next(
        v for k, v in response.headers.items() if k == "Set-Cookie" and "intranet_session" in v
    )


def test_session_cookie_flags_over_http(client, member):
    header = set_cookie_header(sign_in(client, member))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header
    assert not any(
        "remember" in v for k, v in sign_in(client, member).headers.items() if k == "Set-Cookie"
    )


def test_session_cookie_is_secure_behind_a_trusted_tls_proxy(tmp_path):
    from tests.conftest import make_app

    app = make_app(tmp_path, TRUSTED_PROXIES=1)
    with app.app_context():
        account = factories.account("member")
    client = app.test_client()
    https = {"X-Forwarded-Proto": "https"}
    page = client.get("/login", headers=https).get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/login",
        data={"email": account.email, "password": factories.PASSWORD, "csrf_token": token},
        headers={**https, "Referer": "https://localhost/login"},
    )
    assert response.status_code == 303
    assert "Secure" in set_cookie_header(response)
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_forwarded_headers_are_ignored_without_trusted_proxies(client):
    response = client.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


# --- Words on the account page ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "coordinator", "admin"])
def test_account_page_never_calls_a_sign_in_a_meeting(client, org, role):
    """README glossary: "Sitzung" is a meeting word; sign-ins are "Anmeldung"."""
    from intranet.meetings import feeds

    account = factories.account(role, org if role != "admin" else None)
    sign_in(client, account)
    pages = [client.get("/account").get_data(as_text=True)]
    pages.append(
        client.post(
            "/calendar/feed-token", data={"csrf_token": csrf_token(client)}, follow_redirects=True
        ).get_data(as_text=True)
    )
    assert feeds.current_token(account)
    pages.append(
        client.post("/calendar/feed-token", data={"csrf_token": csrf_token(client)}).get_data(
            as_text=True
        )
    )
    pages.append(
        client.post(
            "/account/password",
            data={
                "csrf_token": csrf_token(client),
                "current_password": factories.PASSWORD,
                "new_password": "Neue Passphrase für den Sommer",
                "new_password_repeat": "Neue Passphrase für den Sommer",
            },
            follow_redirects=True,
        ).get_data(as_text=True)
    )
    assert "auf allen anderen Geräten abgemeldet" in pages[-1]
    for page in pages:
        assert "Kalender-Abonnement" in page or "Kalenderadresse erneuern" in page
        assert "Sitzung" not in page


def test_every_token_on_a_page_is_the_one_the_csrf_check_accepts(client, member):
    """The templates read the request's token from where Flask-WTF keeps it once made: the
    header for htmx, the sign-out form and the language switch carry one and the same, and
    it is accepted."""
    sign_in(client, member)
    html = client.get("/account").get_data(as_text=True)
    tokens = re.findall(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"', html)
    tokens += re.findall(r'"X-CSRFToken": "([^"]+)"', html)
    assert len(tokens) >= 3
    assert len(set(tokens)) == 1
    assert client.post("/logout", data={"csrf_token": tokens[0]}).status_code in (302, 303)
    assert client.get("/account").status_code == 302
