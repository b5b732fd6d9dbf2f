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
    from intranet.platform.web import MULTIPART_OVERHEAD, waitress_options

    app.config["MAX_CONTENT_LENGTH"] = 5 * 1024 * 1024
    options = waitress_options(app, "127.0.0.1", 0, 2)
    assert options["max_request_body_size"] == 5 * 1024 * 1024 + MULTIPART_OVERHEAD


def test_server_refuses_an_announced_huge_body_at_once(app):
    import socket
    import threading

    from waitress import create_server

    from intranet.platform.web import waitress_options

    server = create_server(app, **waitress_options(app, "127.0.0.1", 0, 2))
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
