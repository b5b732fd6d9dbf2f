"""Headers, CSRF, methods and error pages: what every response must get right."""

import pytest

from tests.conftest import csrf_token, sign_in

PAGES_ANONYMOUS = ["/login", "/barrierefreiheit", "/healthz", "/nicht-vorhanden"]
PAGES_SIGNED_IN = ["/", "/account", "/barrierefreiheit", "/nicht-vorhanden"]


def assert_security_headers(response):
    csp = response.headers["Content-Security-Policy"]
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", PAGES_ANONYMOUS)
def test_headers_on_anonymous_responses(client, path):
    response = client.get(path)
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", PAGES_SIGNED_IN)
def test_headers_on_signed_in_pages(client, member, path):
    sign_in(client, member)
    response = client.get(path)
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_are_cacheable_and_have_headers(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert_security_headers(response)
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_no_inline_script_or_style_in_pages(client, member):
    sign_in(client, member)
    for path in ("/", "/account", "/login", "/barrierefreiheit"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and "<style" not in page and " style=" not in page
        assert "onclick=" not in page


def test_post_without_csrf_token_gets_a_german_page(client, member):
    sign_in(client, member)
    response = client.post("/account/password", data={"current_password": "x"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Das Formular war abgelaufen" in page
    assert "Traceback" not in page and "CSRF token" not in page


def test_login_itself_needs_csrf(client, member):
    response = client.post("/login", data={"email": member.email, "password": "x"})
    assert response.status_code == 400


def test_htmx_request_with_csrf_header_is_accepted(client, member):
    sign_in(client, member)
    token = csrf_token(client)
    response = client.post("/logout", headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.headers["HX-Redirect"] == "/login"
    assert client.get("/account").status_code == 302


def test_htmx_request_without_csrf_header_gets_a_message_for_the_flash_area(client, member):
    sign_in(client, member)
    response = client.post("/logout", headers={"HX-Request": "true"})
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#flashes"
    assert "<html" not in response.get_data(as_text=True)


@pytest.mark.parametrize("method", ["TRACE", "PUT", "DELETE", "PATCH", "FOO"])
def test_unexpected_methods_answer_405(client, method):
    response = client.open("/login", method=method)
    assert response.status_code == 405
    assert "Anfrageart nicht zulässig" in response.get_data(as_text=True)


def test_head_requests_answer_like_get(client):
    assert client.head("/login").status_code == 200


def test_not_found_page_is_german_and_plain(client):
    response = client.get("/gibt-es-nicht")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert 'lang="de"' in page and "Seite nicht gefunden" in page


@pytest.mark.own_app  # adds a route
def test_unexpected_error_shows_no_details(app, client, member):
    @app.get("/kaputt")
    def broken():
        raise RuntimeError("geheime Einzelheit")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/kaputt")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "geheime Einzelheit" not in page and "Traceback" not in page
    assert "Es ist ein Fehler aufgetreten" in page or "unerwarteter Fehler" in page


def test_database_outage_answers_503_on_healthz(app, client, monkeypatch):
    from intranet.platform.db import db

    def fail(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(db.obj, "execute_sql", fail)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


def test_waitress_body_limit_follows_the_upload_limit(app):
    from intranet.platform.serving import MULTIPART_OVERHEAD, waitress_options

    app.config["MAX_CONTENT_LENGTH"] = 5 * 1024 * 1024
    options = waitress_options(app, "127.0.0.1", 0)
    assert options["max_request_body_size"] == 5 * 1024 * 1024 + MULTIPART_OVERHEAD


def test_server_refuses_an_announced_huge_body_at_once(app):
    import socket
    import threading

    from intranet.platform.serving import make_server

    server = make_server(app, "127.0.0.1", 0, 2)
    loop = threading.Thread(target=server.run, daemon=True)
    loop.start()
    try:
        with socket.create_connection(("127.0.0.1", server.effective_port), timeout=5) as sock:
            # Only the headers are sent: the answer must not wait for the body.
            sock.sendall(
                b"POST /login HTTP/1.1\r\nHost: localhost\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                b"Content-Length: 1000000000\r\n\r\n"
            )
            assert sock.recv(100).startswith(b"HTTP/1.1 413")
    finally:
        # Closed from inside the server's own loop, which then ends with its last channel.
        server.trigger.pull_trigger(server.close)
        loop.join(timeout=5)
        server.task_dispatcher.shutdown()


# --- Forged version numbers ---------------------------------------------------------------------

HUGE = "9" * 25  # beyond 64 bits: SQLite's driver raised, PostgreSQL refused the query (500s)


def test_a_version_no_row_can_hold_is_a_conflict_not_an_error(app, org):
    from intranet.core import versioning
    from intranet.meetings.models import Meeting
    from tests import factories

    meeting = factories.make_meeting("Plenum", organization=org)
    for forged in (int(HUGE), -int(HUGE), 2**63):
        with pytest.raises(versioning.Conflict):
            versioning.update_versioned(Meeting, meeting.id, forged, title="Überschrieben")
    assert Meeting.get_by_id(meeting.id).title == "Plenum"


def test_every_form_with_a_version_answers_a_forged_one_without_an_error(
    client, org, other_org, coordinator
):
    import datetime as dt

    from intranet.directory.models import Person
    from intranet.meetings.models import Meeting
    from intranet.minutes.models import MinutesSection, MinutesVersion
    from intranet.platform.db import utcnow
    from tests import factories

    past = factories.make_meeting(
        "Rückblick", organization=org, invited=[other_org], start=utcnow() - dt.timedelta(days=5)
    )
    minutes = factories.minutes(past, state="draft", created_by=coordinator.id)
    section = MinutesSection.create(
        minutes=minutes, position=1, title="TOP 1", label="green", text="alt"
    )
    MinutesVersion.create(minutes=minutes, number=1, body="alt", label="green")
    person = factories.person(org)
    upcoming = factories.make_meeting("Plenum", organization=org)
    sign_in(client, coordinator)
    token = csrf_token(client)
    forms = {
        f"/minutes/{minutes.id}/general": {"body": "Neuer Text"},
        f"/minutes/{minutes.id}/edit": {"body": "Neuer Text", "label": "green"},
        f"/minutes/{minutes.id}/versions/1/restore": {},
        f"/minutes/{minutes.id}/sections/{section.id}": {
            "top1-csrf_token": token,
            "top1-title": "TOP 1",
            "top1-label": "green",
            "top1-text": "neu",
            "top1-version": HUGE,
        },
        f"/contacts/{person.id}/edit": {
            "family_name": "Muster",
            "given_name": "Maria",
            "organization": str(org.id),
        },
        f"/meetings/{upcoming.id}/cancel": {"reason": "Krankheit"},
    }
    for address, fields in forms.items():
        response = client.post(address, data={"csrf_token": token, "version": HUGE, **fields})
        assert response.status_code in (303, 409), (address, response.status_code)
    assert MinutesSection.get_by_id(section.id).text == "alt"
    assert not Meeting.get_by_id(upcoming.id).cancelled
    assert Person.get_by_id(person.id).family_name != "Muster"
