"""The shared DSGVO pieces: the record's own address and its old endpoint name."""

from flask import url_for

from tests.conftest import sign_in


def test_the_record_keeps_its_address_and_its_old_endpoint_name(app, client, admin):
    with app.test_request_context():
        assert url_for("privacy.record") == "/privacy/record"
        assert url_for("directory.privacy_record") == "/privacy/record"
    sign_in(client, admin)
    page = client.get("/admin/").get_data(as_text=True)
    assert 'href="/privacy/record"' in page  # the admin's navigation links to it
    assert "Verzeichnis der Verarbeitungstätigkeiten" in client.get("/privacy/record").get_data(
        as_text=True
    )


def test_the_record_sends_anonymous_visitors_to_the_sign_in(client):
    response = client.get("/privacy/record")
    assert response.status_code == 302
    assert "/login?next=/privacy/record" in response.headers["Location"]
    response = client.get("/privacy/record", headers={"HX-Request": "true"})
    assert response.status_code == 401 and "/login" in response.headers["HX-Redirect"]
