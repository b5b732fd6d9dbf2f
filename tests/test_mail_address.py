"""Links in mails point to the intranet's address: INTRANET_PUBLIC_URL, else the address an
admin uses, never the Host header of whichever request caused the mail."""

import datetime as dt

import pytest

from intranet.core import notifications
from intranet.core.models import OutboxMessage
from intranet.meetings.models import Answer
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import CSRF_PATTERN, sign_in

FORGED = {"base_url": "http://evil.example"}


@pytest.fixture
def mail_on(app):
    app.config.update(MAIL_SERVER="127.0.0.1:1", MAIL_FROM="intranet@example.org")
    return app


def token(client, **address):
    return CSRF_PATTERN.search(client.get("/barrierefreiheit", **address).get_data(True)).group(1)


def signed_in_at(app, account, address):
    """A client signed in as `account` with every request under `address` (its Host header)."""
    client = app.test_client()
    data = {"email": account.email, "password": factories.PASSWORD}
    base = {"base_url": address}
    assert client.post("/login", data={**data, "csrf_token": token(client, **base)}, **base)
    return client


def object_with_forged_host(app, minutes, member):
    client = signed_in_at(app, member, FORGED["base_url"])
    response = client.post(
        f"/minutes/{minutes.id}/comments",
        data={"csrf_token": token(client, **FORGED), "kind": "objection", "text": "Einwand"},
        **FORGED,
    )
    assert response.status_code == 303


def links(message):
    return [word for word in message.text.split() if word.startswith("http")]


def circulating(org, other_org, coordinator):
    meeting = factories.meeting("Plenum", organization=org, invited=[other_org],
                                start=utcnow() - dt.timedelta(days=3))  # fmt: skip
    return factories.minutes(meeting, state="circulating", created_by=coordinator.id,
                             objection_deadline=utcnow() + dt.timedelta(days=10))  # fmt: skip


def test_a_members_forged_host_header_reaches_no_mail(mail_on, org, other_org, coordinator, member):
    object_with_forged_host(mail_on, circulating(org, other_org, coordinator), member)
    # Later, a mail the delivery loop writes by itself.
    soon = factories.meeting("Morgen", organization=org, invited=[org],
                             start=utcnow() + dt.timedelta(hours=20))  # fmt: skip
    Answer.create(meeting=soon, account=coordinator, answer="yes")
    with mail_on.app_context():
        notifications.run_periodic(utcnow(), force=True)
    kinds = {m.kind for m in OutboxMessage.select()}
    assert kinds == {"minutes_step", "meeting_reminder"}
    for message in OutboxMessage.select():
        assert "evil.example" not in message.text + message.html
        assert links(message) and all(u.startswith("http://localhost/") for u in links(message))


def test_mails_use_the_address_an_admin_uses_and_the_mail_page_says_which(
    mail_on, org, other_org, coordinator, member, admin
):
    client = signed_in_at(mail_on, admin, "http://intranet.example")
    page = client.get("/admin/mail", base_url="http://intranet.example").get_data(True)
    assert "http://intranet.example/" in page
    object_with_forged_host(mail_on, circulating(org, other_org, coordinator), member)
    (message,) = OutboxMessage.select()
    assert all(u.startswith("http://intranet.example/") for u in links(message))


def test_the_configured_public_address_wins(mail_on, org, other_org, coordinator, member, admin):
    mail_on.config["PUBLIC_URL"] = "https://forum.example/intranet"
    object_with_forged_host(mail_on, circulating(org, other_org, coordinator), member)
    (message,) = OutboxMessage.select()
    assert links(message)
    assert all(u.startswith("https://forum.example/intranet/") for u in links(message))
    client = mail_on.test_client()
    sign_in(client, admin)
    assert "https://forum.example/intranet/" in client.get("/admin/mail").get_data(True)
