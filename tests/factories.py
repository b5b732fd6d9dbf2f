"""Test data: organisations and accounts, made through the same services the app uses."""

import itertools

from intranet.auth.passwords import hash_password
from intranet.core.accounts import Account, Organization

PASSWORD = "lange Passphrase aus vielen Wörtern"
_counter = itertools.count(1)


def organization(name=None, **fields) -> Organization:
    number = next(_counter)
    return Organization.create(
        name=name or f"Verein Nummer {number}",
        short_name=fields.pop("short_name", f"V{number}"),
        **fields,
    )


def account(role="member", organization=None, email=None, password=PASSWORD, **fields) -> Account:
    number = next(_counter)
    return Account.create(
        email=email or f"person{number}@example.org",
        display_name=fields.pop("display_name", f"Person {number}"),
        role=role,
        organization=organization,
        password_hash=hash_password(password),
        **fields,
    )


def meeting(title="Sitzung", label="green", organization=None, invited=(), persons=(), **fields):
    """A meeting three days ahead (unless `start` is given), with invited orgs and named persons."""
    import datetime as dt

    from intranet.meetings.models import Meeting, MeetingOrganization, MeetingPerson
    from intranet.platform.db import utcnow

    start = fields.pop("start", utcnow().replace(microsecond=0) + dt.timedelta(days=3))
    made = Meeting.create(
        title=title,
        start=start,
        end=fields.pop("end", start + dt.timedelta(hours=2)),
        label=label,
        organization=organization,
        **fields,
    )
    for org in invited:
        MeetingOrganization.create(meeting=made, organization=org)
    for person in persons:
        MeetingPerson.create(meeting=made, account=person)
    return made


def minutes(meeting, state="draft", label=None, body="Protokolltext", **fields):
    """Minutes of `meeting` put directly into `state` (the workflow itself is tested apart)."""
    from intranet.minutes.models import Minutes

    return Minutes.create(
        meeting=meeting,
        document_key=fields.pop("document_key", f"meeting:{meeting.id}"),
        state=state,
        label=label or meeting.label,
        body=body,
        **fields,
    )


def make_meeting(title="Sitzung", label="green", organization=None, invited=(), persons=(), **kw):
    """`meeting()`, also put into the search index as the meeting services do."""
    from intranet.meetings import search_provider

    made = meeting(title, label, organization, invited, persons, **kw)
    search_provider.index_meeting(made)
    return made


def weekly_series(title, count, organization, invited=(), days_ahead=7):
    """`count` planned meetings of one weekly series, the first `days_ahead` days from now."""
    import datetime as dt

    from intranet.meetings.models import Series
    from intranet.platform.db import utcnow

    first = utcnow().replace(microsecond=0) + dt.timedelta(days=days_ahead)
    series = Series.create(rrule=f"FREQ=WEEKLY;COUNT={count}", first_start_local=first)
    return [
        meeting(
            title,
            organization=organization,
            invited=invited,
            series=series,
            start=first + dt.timedelta(weeks=week),
        )
        for week in range(count)
    ]


def person(organization, family_name="Özdemir", given_name="Ayşe", **values):
    """A contact in the directory, made by its service (which also indexes it)."""
    from intranet.directory import services

    values.setdefault("function", "Vorsitz")
    return services.create_person(
        {
            "organization": organization,
            "family_name": family_name,
            "given_name": given_name,
            **values,
        }
    )


# --- Files and servers ---------------------------------------------------------------------------

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def file_row(kind: str, owner_id: int, **values):
    """An attachment's row without a stored file: enough for lists and access rules."""
    import secrets

    from intranet.attachments.models import Attachment

    return Attachment.create(
        **{
            "owner_kind": kind,
            "owner_id": owner_id,
            "name": "Anlage",
            "file_name": "anlage.pdf",
            "mime_type": "application/pdf",
            "size": 10,
            "sha256": "0" * 64,
            "storage_key": secrets.token_hex(16),
            **values,
        }
    )


def upload(client, owner, content, filename, label="green", name=""):
    """Post a file as an attachment of `owner` ("meeting:3", …) through the upload form."""
    import io

    from tests.conftest import csrf_token

    data = {
        "csrf_token": csrf_token(client),
        "owner": owner,
        "label": label,
        "name": name,
        "file": (io.BytesIO(content), filename),
    }
    return client.post("/attachments/new", data=data, content_type="multipart/form-data")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on (for a mail server or an app of a test)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- Forms ---------------------------------------------------------------------------------------


def form_data(client, path="/meetings/new", **values):
    """The meeting form's fields as a person fills them in, with `values` changed."""
    from tests.conftest import csrf_token

    data = {
        "csrf_token": csrf_token(client, path),
        "title": "Sicherheitsdialog",
        "date": "2027-01-20",
        "start_time": "18:00",
        "end_time": "20:00",
        "organization": "0",
        "label": "green",
        "repeat": "",
    }
    data.update(values)
    return data


# --- Mail (the `smtp` fixture in conftest listens with an Inbox) ---------------------------------


class Inbox:
    """The messages a local SMTP server (aiosmtpd) received: (recipients, message) pairs."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        import email
        import email.policy

        self.messages.append(
            (
                envelope.rcpt_tos,
                email.message_from_bytes(envelope.content, policy=email.policy.default),
            )
        )
        return "250 OK"


def check_login(server, session, envelope, mechanism, auth_data):
    """The SMTP server's check of the intranet's mail account (MAIL_USERNAME, MAIL_PASSWORD)."""
    from aiosmtpd.smtp import AuthResult

    ok = auth_data.login == b"intranet" and auth_data.password == b"geheimes Wort"
    # handled=False: aiosmtpd answers a refusal itself (535). With its default it leaves the
    # answer to the checker, and the client waited for its timeout.
    return AuthResult(success=ok, handled=False)


def deliver():
    """What the background deliverer does every few seconds, at once."""
    from intranet.core import outbox

    return outbox.deliver_due()


def calendar_part(message):
    """The text/calendar part of a received message, or None."""
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part
    return None


# --- Threads -------------------------------------------------------------------------------------

TIMEOUT = 10  # seconds a racing thread waits for the others


def race(app, *actions):
    """Run each action in its own thread and connection, started at the same moment.
    Returns what each returned or raised (use with the `shared_app` fixture)."""
    import threading

    from intranet.platform.db import db

    start = threading.Barrier(len(actions), timeout=TIMEOUT)
    results = [None] * len(actions)

    def run(index, action):
        with app.app_context():
            db.connect(reuse_if_open=True)
            try:
                start.wait()
                results[index] = action()
            except Exception as error:  # noqa: BLE001 (the test inspects it)
                results[index] = error
            finally:
                db.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT * 3)
    return results
