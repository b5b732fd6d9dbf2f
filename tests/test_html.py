"""Every page is valid HTML (Nu Html Checker), so assistive technology gets the structure it expects."""

import datetime as dt
import json
import shutil
import subprocess

import pytest

from intranet.meetings.models import Meeting
from tests import factories
from tests.conftest import ROOT_DIR, csrf_token, sign_in
from tests.factories import make_meeting, person

VNU = ROOT_DIR / "node_modules/vnu-jar/build/dist/vnu.jar"
LINK_TOKEN = "html-check-invitation-token"  # an invitation of account 1, made by the fixture

# (role that signs in or None, path, form data to post first or None)
PAGES = [
    (None, "/login", None),
    (None, "/barrierefreiheit", None),
    (None, "/barrierefreiheit", {"message": ""}),  # with field errors
    (None, "/gibt-es-nicht", None),
    ("member", "/", None),
    ("member", "/account", None),
    ("admin", "/admin/", None),
    ("admin", "/admin/accounts", None),
    ("admin", "/admin/accounts/new", None),
    ("admin", "/admin/accounts/new", {"email": "kein-at"}),
    ("admin", "/admin/accounts/1/edit", None),
    ("admin", "/admin/accounts/1/password", {"password": "kurz"}),
    ("admin", "/admin/accounts/1/password-link", {}),
    ("admin", "/admin/accounts/new", {"display_name": "Neu", "email": "neu@example.org"}),
    (None, f"/set-password/{LINK_TOKEN}", None),
    (None, f"/set-password/{LINK_TOKEN}", {"password": "kurz"}),
    (None, "/set-password/unbekannt", None),
    ("admin", "/admin/organizations", None),
    ("admin", "/admin/organizations/new", None),
    ("admin", "/admin/settings", None),
    ("admin", "/admin/audit", None),
    ("admin", "/admin/barrier-reports", None),
    ("member", "/calendar", None),
    ("member", "/calendar?month=2027-03", None),
    ("member", "/meetings", None),
    ("member", "/meetings?mine=1", None),
    ("member", "/meetings/1", None),
    ("coordinator", "/meetings/1", None),
    ("coordinator", "/meetings/new", None),
    ("coordinator", "/meetings/new", {"title": "", "start_date": "2027-03-28"}),
    ("coordinator", "/meetings/1/edit", None),
    ("coordinator", "/meetings/1/attendance", None),
    ("member", "/contacts", None),
    ("member", "/contacts?q=zd", None),
    ("member", "/contacts/1", None),
    ("member", "/organizations/1", None),
    ("coordinator", "/contacts/new", None),
    ("coordinator", "/contacts/new", {"given_name": "", "family_name": ""}),
    ("coordinator", "/contacts/1/edit", None),
    ("coordinator", "/contacts/import", None),
    ("coordinator", "/contacts/retention", None),
    ("admin", "/contacts/1/privacy", None),
    ("admin", "/privacy/record", None),
    ("member", "/minutes", None),
    ("member", "/minutes/2", None),
    ("member", "/minutes/actions", None),
    ("coordinator", "/minutes/1", None),
    ("coordinator", "/minutes/2", None),
    ("coordinator", "/minutes/1/edit", None),
    ("coordinator", "/minutes/1/edit", {"body": "Neu", "label": "green", "version": "0"}),  # 409
    ("coordinator", "/minutes/1/sections/1", None),
    ("coordinator", "/minutes/1/compare", None),
    ("member", "/minutes/2/print", None),
    ("coordinator", "/attachments/new?owner=meeting:1", None),
    ("coordinator", "/attachments/new", {"owner": "meeting:1", "label": "green"}),  # no file
    ("member", "/search", None),
    ("member", "/search?q=a", None),
    ("member", "/search?q=sitzung", None),
    ("member", "/search?q=%C3%B6zdemir", None),
]


def add_minutes():
    """Minutes 1: a draft of meeting 1 with two versions and a section; minutes 2: released."""
    from intranet.minutes.models import ActionItem, Decision, MinutesSection, MinutesVersion

    draft = factories.minutes(Meeting.get_by_id(1), "draft", body="### Ergebnisse\n\nText")
    for number, body in ((1, "Erster Text"), (2, draft.body)):
        MinutesVersion.create(minutes=draft, number=number, body=body)
    section = MinutesSection.create(minutes=draft, title="TOP 1: Lagebild")
    Decision.create(section=section, text="Beschlossen.")
    ActionItem.create(section=section, text="Einladen", responsible="KPS")
    released = factories.minutes(
        make_meeting("Plenum"), "released", body="Text", chatham_house=True,
        released_sha256="0" * 64, released_at=Meeting.get_by_id(1).start,
    )  # fmt: skip
    MinutesVersion.create(minutes=released, number=1, body=released.body)
    section = MinutesSection.create(minutes=released, title="TOP 1: Lagebild")
    ActionItem.create(section=section, text="Einladen", responsible="KPS")


def invite_first_account():
    import hashlib

    from intranet.auth import services
    from intranet.auth.models import PasswordLink

    invited = services.create_account("eingeladen@example.org", "Eingeladen", "member", None)
    PasswordLink.create(
        account=invited.id,
        purpose="invitation",
        token_hash=hashlib.sha256(LINK_TOKEN.encode()).hexdigest(),
        expires_at=invited.created_at + dt.timedelta(hours=72),
    )


def page_html(app, accounts, role, path, form):
    client = app.test_client()
    if role:
        if role not in accounts:
            accounts[role] = factories.account(role, email=f"{role}-html@example.org")
        sign_in(client, accounts[role])
    if form is not None:
        return client.post(path, data={"csrf_token": csrf_token(client), **form}).get_data(
            as_text=True
        )
    return client.get(path).get_data(as_text=True)


def page_id(page):
    role, path, form = page
    return f"{role or 'anonymous'}:{path}{':invalid' if form is not None else ''}"


@pytest.fixture(scope="module")
def checker_messages(tmp_path_factory):
    """Run the checker once over all pages; messages keyed by page id."""
    if not shutil.which("java") or not VNU.exists():
        pytest.skip("java and node_modules/vnu-jar are installed by make test")
    from tests.conftest import make_app

    folder = tmp_path_factory.mktemp("html")
    app = make_app(folder)
    files, accounts = {}, {}
    with app.app_context():
        organization = factories.organization("Kulturverein Beispiel")
        make_meeting(
            "Sitzung des Forums", description="**Tagesordnung** folgt", invited=[organization]
        )
        person(organization, given_name="Ayşe", family_name="Özdemir", phone="0351 1")
        add_minutes()
        invite_first_account()
        for number, page in enumerate(PAGES):
            file = folder / f"page{number}.html"
            file.write_text(page_html(app, accounts, *page))
            files[file.name] = page_id(page)
    result = subprocess.run(
        [
            "java",
            "-jar",
            str(VNU),
            "--errors-only",
            "--format",
            "json",
            *[str(folder / f"page{n}.html") for n in range(len(PAGES))],
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = {page_id(page): [] for page in PAGES}
    for message in json.loads(result.stderr or '{"messages": []}')["messages"]:
        # htmx's hx-* attributes are not in the HTML standard; everything else counts.
        if "hx-" in message.get("message", ""):
            continue
        messages[files[message.get("url", "").rsplit("/", 1)[-1]]].append(
            f"line {message.get('lastLine')}: {message['message']}"
        )
    return messages


@pytest.mark.parametrize("case", PAGES, ids=page_id)
def test_page_is_valid_html(checker_messages, case):
    assert checker_messages[page_id(case)] == []
