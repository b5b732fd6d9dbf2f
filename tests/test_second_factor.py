"""Second factor at sign-in (TOTP, RFC 6238): set-up, the second step, replay, recovery codes,
throttling, the per-role requirement and the admin's reset."""

import re
import threading
import time

import pyotp
import pytest

from intranet.auth import second_factor, services
from intranet.auth.models import RecoveryCode, SecondFactor
from intranet.core.accounts import Account
from intranet.core.models import AuditEvent
from intranet.platform import config
from intranet.platform.db import db
from tests import factories
from tests.conftest import csrf_token, make_app, sign_in

CODES_PATTERN = re.compile(r"<li><code>([A-Z2-7 ]+)</code></li>")
SECRET_PATTERN = re.compile(r'<code id="second-factor-secret">([A-Z2-7 ]+)</code>')


def audit_actions():
    return [event.action for event in AuditEvent.select().order_by(AuditEvent.id)]


def totp_of(account) -> pyotp.TOTP:
    return pyotp.TOTP(second_factor.secret(second_factor.factor_of(account)))


def switch_on(account) -> list[str]:
    """Set the factor up as a person would; confirmed with the previous step's code, so the
    current one is still unused. Returns the recovery codes."""
    factor = second_factor.begin_setup(account)
    totp = pyotp.TOTP(second_factor.secret(factor))
    return second_factor.confirm_setup(account, totp.at(time.time() - 30))


def code_step(client, code, address=None):
    environ = {"REMOTE_ADDR": address} if address else {}
    data = {"code": code, "csrf_token": csrf_token(client)}
    return client.post("/login/code", data=data, environ_base=environ)


def sign_out(client):
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})


@pytest.fixture
def required(app):
    """The production default: admins and reviewers must use a second factor."""
    second_factor.save_required_roles(["admin", "reviewer"])


# --- Who must use it -----------------------------------------------------------------------------


def test_admins_and_reviewers_must_use_it_by_default(tmp_path):
    app = make_app(tmp_path, SECOND_FACTOR_ROLES=config.DEFAULTS["SECOND_FACTOR_ROLES"])
    with app.test_request_context():
        assert second_factor.required_roles() == {"admin", "reviewer"}
        second_factor.save_required_roles(["member"])
    with app.test_request_context():
        assert second_factor.required_roles() == {"member"}


def test_member_without_factor_signs_in_with_the_password_alone(client, member, required):
    response = sign_in(client, member)
    assert response.headers["Location"] == "/"
    assert client.get("/account").status_code == 200


def test_admin_sets_the_requirement_per_role(client, admin, member):
    assert sign_in(client, admin).status_code == 303
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'name="second_factor_roles" value="member"' in page
    response = client.post(
        "/admin/settings",
        data={"csrf_token": csrf_token(client, "/admin/settings"), "second_factor_roles": "member"},
    )
    assert response.status_code == 303
    assert second_factor.required_roles() == {"member"}
    assert "settings.second_factor" in audit_actions()
    sign_out(client)
    # The member is led through the set-up now; the admin (no longer required) is not.
    assert sign_in(client, member).headers["Location"] == "/login/setup"
    client.get("/login")
    assert sign_in(client, admin).headers["Location"] == "/"


# --- Set-up ----------------------------------------------------------------------------------------


def test_required_role_is_led_through_setup_before_anything_else(client, reviewer, required):
    response = sign_in(client, reviewer, next="/calendar")
    assert response.headers["Location"] == "/login/setup"
    assert "login.password_accepted" in audit_actions()
    assert "login.succeeded" not in audit_actions()
    # Half signed in: no other page answers yet.
    for path in ("/", "/account", "/calendar", "/contacts"):
        assert client.get(path).headers["Location"].startswith("/login?next=")
    page = client.get("/login/setup")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    svg = re.search(r"<svg.*?</svg>", body, re.S).group(0)
    assert "style" not in svg and "script" not in svg
    secret = SECRET_PATTERN.search(body).group(1)
    assert re.fullmatch(r"([A-Z2-7]{4} )+[A-Z2-7]{4}", secret)
    totp = pyotp.TOTP(secret.replace(" ", ""))

    wrong = client.post(
        "/login/setup", data={"code": "000000", "csrf_token": csrf_token(client, "/login/setup")}
    )
    assert wrong.status_code == 422
    assert "Dieser Code ist nicht korrekt." in wrong.get_data(as_text=True)
    assert client.get("/account").status_code == 302

    done = client.post(
        "/login/setup", data={"code": totp.now(), "csrf_token": csrf_token(client, "/login/setup")}
    )
    assert done.status_code == 200
    codes = CODES_PATTERN.findall(done.get_data(as_text=True))
    assert len(codes) == len(set(codes)) == 10
    assert 'href="/calendar"' in done.get_data(as_text=True)  # `next` survives the set-up
    assert client.get("/account").status_code == 200
    assert audit_actions()[-2:] == ["second_factor.enabled", "login.succeeded"]
    # Only hashes are kept.
    stored = {row.code_hash for row in RecoveryCode.select()}
    assert not any(code.replace(" ", "") in stored for code in codes)


def test_setup_page_shows_the_same_secret_until_confirmed(client, admin, required):
    sign_in(client, admin)
    first = SECRET_PATTERN.search(client.get("/login/setup").get_data(as_text=True)).group(1)
    second = SECRET_PATTERN.search(client.get("/login/setup").get_data(as_text=True)).group(1)
    assert first == second


def test_first_admin_from_the_setup_address_sets_up_the_factor(client, app, required):
    token = services.issue_setup_token()
    response = client.post(
        f"/setup/{token}",
        data={
            "display_name": "Erika Muster",
            "email": "erika@example.org",
            "password": factories.PASSWORD,
            "password_repeat": factories.PASSWORD,
            "csrf_token": csrf_token(client),
        },
    )
    assert response.headers["Location"] == "/login/setup"
    assert client.get("/").status_code == 302


def test_first_admin_from_create_user_sets_up_the_factor(tmp_path):
    app = make_app(tmp_path, SECOND_FACTOR_ROLES=["admin", "reviewer"])
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "erste@example.org",
            "--name",
            "Erste Admin",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input=factories.PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    client = app.test_client()
    assert sign_in(client, "erste@example.org").headers["Location"] == "/login/setup"


def confirm_password(client, password=factories.PASSWORD):
    """The account page's "switch on" form, which asks for the password again."""
    data = {"on-password": password, "on-csrf_token": csrf_token(client, "/account")}
    return client.post("/account/second-factor/on", data=data)


def test_optional_factor_switched_on_from_the_account_page(client, member):
    sign_in(client, member)
    assert "Zweiten Faktor einschalten" in client.get("/account").get_data(as_text=True)
    response = confirm_password(client)
    assert response.status_code == 303
    assert response.headers["Location"] == "/account/second-factor"
    body = client.get("/account/second-factor").get_data(as_text=True)
    secret = SECRET_PATTERN.search(body).group(1).replace(" ", "")
    response = client.post(
        "/account/second-factor",
        data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_token(client)},
    )
    assert len(CODES_PATTERN.findall(response.get_data(as_text=True))) == 10
    assert "Eingeschaltet seit" in client.get("/account").get_data(as_text=True)
    sign_out(client)
    assert sign_in(client, member).headers["Location"] == "/login/code"


def test_switching_on_asks_for_the_password_again(app, client, member):
    """Whoever finds a session open cannot bind the account to their own phone: without the
    password they see no key and can confirm none."""
    sign_in(client, member)
    response = client.get("/account/second-factor")
    assert response.status_code == 303 and response.headers["Location"].startswith("/account")
    assert SECRET_PATTERN.search(client.get("/account").get_data(as_text=True)) is None
    posted = client.post(
        "/account/second-factor", data={"code": "123456", "csrf_token": csrf_token(client)}
    )
    assert posted.status_code == 303
    wrong = confirm_password(client, "falsch")
    assert wrong.status_code == 422
    assert "Das Passwort ist nicht korrekt." in wrong.get_data(as_text=True)
    assert client.get("/account/second-factor").status_code == 303
    assert second_factor.active_factor(Account.get_by_id(member.id)) is None
    assert confirm_password(client).status_code == 303
    assert SECRET_PATTERN.search(client.get("/account/second-factor").get_data(as_text=True))
    assert "second_factor.setup_started" in audit_actions()
    # The permission belongs to this session, not to the account.
    other = app.test_client()
    sign_in(other, member)
    assert other.get("/account/second-factor").status_code == 303


def test_a_key_shown_before_the_password_is_not_the_one_switched_on(client, member):
    begun = second_factor.begin_setup(member)
    sign_in(client, member)
    confirm_password(client)
    body = client.get("/account/second-factor").get_data(as_text=True)
    shown = SECRET_PATTERN.search(body).group(1).replace(" ", "")
    assert shown != second_factor.secret(begun)
    old_code = pyotp.TOTP(second_factor.secret(begun)).now()
    response = client.post(
        "/account/second-factor", data={"code": old_code, "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 422
    assert second_factor.active_factor(Account.get_by_id(member.id)) is None


# --- The second step ---------------------------------------------------------------------------------


def test_code_completes_the_sign_in_and_keeps_next(client, reviewer, required):
    switch_on(reviewer)
    response = sign_in(client, reviewer, next="/contacts?q=a")
    assert response.headers["Location"] == "/login/code"
    page = client.get("/login/code").get_data(as_text=True)
    assert 'name="code"' in page
    assert client.get("/account").status_code == 302
    response = code_step(client, totp_of(reviewer).now())
    assert response.status_code == 303
    assert response.headers["Location"] == "/contacts?q=a"
    assert client.get("/account").status_code == 200
    assert Account.get_by_id(reviewer.id).last_login_at is not None


def test_a_code_is_accepted_only_once(client, reviewer, required):
    switch_on(reviewer)
    code = totp_of(reviewer).now()
    sign_in(client, reviewer)
    assert code_step(client, code).status_code == 303
    sign_out(client)
    sign_in(client, reviewer)
    replay = code_step(client, code)
    assert replay.status_code == 401
    assert "nicht korrekt oder wurde schon benutzt" in replay.get_data(as_text=True)
    assert "login.second_factor_failed" in audit_actions()
    # The next step's code (within the window) still works; after it, the older one never.
    later = totp_of(reviewer).at(time.time() + 30)
    assert code_step(client, later).status_code == 303


def test_codes_outside_the_window_are_refused(app, reviewer):
    switch_on(reviewer)
    totp = totp_of(reviewer)
    assert not second_factor.use_totp(reviewer, totp.at(time.time() + 90))
    assert not second_factor.use_totp(reviewer, totp.at(time.time() - 90))
    assert not second_factor.use_totp(reviewer, "12345")
    assert second_factor.use_totp(reviewer, totp.now())


def test_recovery_code_works_once(client, reviewer, required):
    codes = switch_on(reviewer)
    sign_in(client, reviewer)
    used = codes[3].lower().replace(" ", "-")  # typed in any case, with dashes
    response = code_step(client, used)
    assert response.status_code == 303
    assert "Noch 9 unbenutzte Codes" in client.get("/").get_data(as_text=True)
    sign_out(client)
    sign_in(client, reviewer)
    assert code_step(client, codes[3]).status_code == 401
    assert code_step(client, codes[4]).status_code == 303
    details = [e.detail for e in AuditEvent.select().where(AuditEvent.action == "login.succeeded")]
    assert details.count("recovery code") == 2


def test_new_recovery_codes_void_the_old_ones(client, member):
    old = switch_on(member)
    member = Account.get_by_id(member.id)
    sign_in(client, member)
    code_step(client, totp_of(member).now())
    wrong = client.post(
        "/account/second-factor/recovery-codes",
        data={"codes-password": "falsch", "codes-csrf_token": csrf_token(client, "/account")},
    )
    assert wrong.status_code == 422
    response = client.post(
        "/account/second-factor/recovery-codes",
        data={
            "codes-password": factories.PASSWORD,
            "codes-csrf_token": csrf_token(client, "/account"),
        },
    )
    new = CODES_PATTERN.findall(response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert not second_factor.use_recovery_code(member, old[0])
    assert second_factor.use_recovery_code(member, new[0])


def test_second_step_is_throttled_and_a_right_password_does_not_reset_the_count(
    client, reviewer, required
):
    switch_on(reviewer)
    sign_in(client, reviewer)
    for _ in range(5):
        assert code_step(client, "000000").status_code == 401
    # Entering the password again must not buy more guesses.
    sign_in(client, reviewer)
    for _ in range(5):
        assert code_step(client, "000000", address="192.0.2.7").status_code == 401
    response = code_step(client, totp_of(reviewer).now())
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "Zu viele" in response.get_data(as_text=True)
    actions = audit_actions()
    assert actions.count("login.second_factor_failed") == 10
    assert "login.second_factor_locked" in actions
    assert "login.second_factor_throttled" in actions


def test_half_signed_in_state_expires(client, reviewer, required):
    switch_on(reviewer)
    sign_in(client, reviewer)
    with client.session_transaction() as session:
        session["second_step"] = {**session["second_step"], "until": int(time.time()) - 1}
    response = client.get("/login/code")
    assert response.headers["Location"] == "/login"


def test_half_signed_in_state_ends_with_the_sessions_of_the_account(
    client, app, reviewer, required
):
    switch_on(reviewer)
    sign_in(client, reviewer)
    services.end_all_sessions(reviewer)
    response = code_step(client, totp_of(reviewer).now())
    assert response.headers["Location"] == "/login"
    assert client.get("/account").status_code == 302


def test_a_changed_secret_key_leads_to_setup_not_past_the_factor(app, reviewer):
    switch_on(reviewer)
    assert second_factor.next_step(reviewer) == "verify"
    app.config["SECRET_KEY"] = "another-key"
    assert second_factor.next_step(reviewer) == "setup"
    assert second_factor.active_factor(reviewer) is None


def test_required_role_cannot_switch_it_off_others_can(client, member, reviewer, required):
    switch_on(member)
    sign_in(client, member)
    code_step(client, totp_of(member).now())
    response = client.post(
        "/account/second-factor/off",
        data={"off-password": factories.PASSWORD, "off-csrf_token": csrf_token(client, "/account")},
    )
    assert response.status_code == 303
    assert second_factor.factor_of(member) is None
    switch_on(reviewer)
    with pytest.raises(second_factor.SecondFactorError):
        second_factor.switch_off(Account.get_by_id(reviewer.id), factories.PASSWORD)
    assert second_factor.active_factor(reviewer) is not None


# --- The admin's reset -------------------------------------------------------------------------------


def test_admin_resets_someones_factor(app, client, admin, reviewer, required):
    switch_on(reviewer)
    other = app.test_client()
    sign_in(other, reviewer)
    code_step(other, totp_of(reviewer).now())
    assert other.get("/account").status_code == 200
    switch_on(admin)
    sign_in(client, admin)
    code_step(client, totp_of(admin).now())
    page = client.get(f"/admin/accounts/{reviewer.id}/edit").get_data(as_text=True)
    assert "Zweiten Faktor zurücksetzen" in page
    response = client.post(
        f"/admin/accounts/{reviewer.id}/second-factor/reset",
        data={"csrf_token": csrf_token(client)},
    )
    assert response.status_code == 303
    assert second_factor.factor_of(reviewer) is None
    assert RecoveryCode.select().where(RecoveryCode.account == reviewer.id).count() == 0
    assert other.get("/account").status_code == 302  # their sessions ended
    event = AuditEvent.select().where(AuditEvent.action == "second_factor.reset").get()
    assert (event.target, event.actor_id) == (f"account:{reviewer.id}", admin.id)
    # Their role requires it: set-up again at the next sign-in.
    assert sign_in(other, reviewer).headers["Location"] == "/login/setup"


def test_admin_cannot_reset_their_own_factor(client, admin, required):
    switch_on(admin)
    sign_in(client, admin)
    code_step(client, totp_of(admin).now())
    page = client.get(f"/admin/accounts/{admin.id}/edit").get_data(as_text=True)
    assert "nur eine andere Person aus der Administration" in page
    response = client.post(
        f"/admin/accounts/{admin.id}/second-factor/reset", data={"csrf_token": csrf_token(client)}
    )
    assert response.status_code == 303
    assert second_factor.active_factor(admin) is not None
    assert "nicht zurücksetzen" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert "second_factor.reset" not in audit_actions()


def test_others_cannot_reset(client, coordinator, reviewer):
    switch_on(reviewer)
    sign_in(client, coordinator)
    response = client.post(
        f"/admin/accounts/{reviewer.id}/second-factor/reset",
        data={"csrf_token": csrf_token(client)},
    )
    assert response.status_code == 404
    assert second_factor.active_factor(reviewer) is not None


# --- Races: real threads, each on its own connection -------------------------------------------------


def test_the_same_code_sent_twice_at_once_passes_once(app, reviewer, monkeypatch):
    """Both requests find the code valid before either writes (held at a barrier): only the
    conditional UPDATE can tell them apart, on SQLite and on PostgreSQL alike."""
    switch_on(reviewer)
    code = totp_of(reviewer).now()
    found = threading.Barrier(2, timeout=10)
    original = second_factor.matching_step

    def held(factor, submitted):
        step = original(factor, submitted)
        found.wait()
        return step

    monkeypatch.setattr(second_factor, "matching_step", held)
    db.close()
    try:
        results = factories.race(app, *[lambda: second_factor.use_totp(reviewer, code)] * 2)
    finally:
        db.connect(reuse_if_open=True)
    assert sorted(results) == [False, True], results
    assert SecondFactor.get(SecondFactor.account == reviewer.id).last_step is not None


def test_the_same_recovery_code_sent_at_once_passes_once(app, reviewer):
    codes = switch_on(reviewer)
    db.close()
    try:
        results = factories.race(
            app, *[lambda: second_factor.use_recovery_code(reviewer, codes[0])] * 6
        )
    finally:
        db.connect(reuse_if_open=True)
    assert sorted(results) == [False] * 5 + [True], results
