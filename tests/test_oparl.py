"""The OParl 1.1 export: every reachable object validates against the specification's schemas
and holds only what the account may see on the pages; the personal token; fixed query counts."""

import json
import re
import subprocess
import tempfile
from collections import deque
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from intranet.core import audit, sharing
from intranet.core.models import AuditEvent
from intranet.directory.models import Membership, Person
from intranet.meetings.models import AgendaItem, Meeting
from intranet.minutes.models import RELEASED, Decision, MinutesSection
from intranet.oparl import lists
from intranet.oparl import services as oparl
from intranet.oparl.common import OPARL
from intranet.platform.db import utcnow
from tests import factories
from tests.conftest import csrf_token, sign_in
from tests.test_access_matrix import Walk, build_world

jsonschema = pytest.importorskip("jsonschema")

SCHEMAS = {
    path.stem: json.loads(path.read_text())
    for path in (Path(__file__).parent / "oparl_schema").glob("*.json")
}
SYSTEM = "/oparl/1.1/system"
WORD = re.compile(r"zqx[a-z]{4}")


def validate(obj: dict, where: str) -> int:
    """Validate `obj` and every object embedded in it against the schema of its type."""
    count = 0
    if isinstance(obj, dict):
        kind = obj.get("type", "")
        if isinstance(kind, str) and kind.startswith(OPARL):
            name = kind.removeprefix(OPARL)
            jsonschema.validate(obj, SCHEMAS[name])
            count += 1
        for value in obj.values():
            count += validate(value, where)
    elif isinstance(obj, list):
        for value in obj:
            count += validate(value, where)
    return count


def collect(obj, by_type: dict) -> None:
    """The ids of every object, embedded or not, by type."""
    if isinstance(obj, dict):
        kind = obj.get("type", "")
        if isinstance(kind, str) and kind.startswith(OPARL):
            by_type.setdefault(kind.removeprefix(OPARL), set()).add(obj["id"])
        for value in obj.values():
            collect(value, by_type)
    elif isinstance(obj, list):
        for value in obj:
            collect(value, by_type)


def addresses(obj) -> set[str]:
    """Every export address an object links to."""
    found = set()
    if isinstance(obj, dict):
        for value in obj.values():
            found |= addresses(value)
    elif isinstance(obj, list):
        for value in obj:
            found |= addresses(value)
    elif isinstance(obj, str) and "/oparl/1.1/" in obj:
        parts = urlsplit(obj)
        found.add(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def crawl(client, headers=None) -> dict[str, object]:
    """Every address reachable from the entry point, with its JSON (or bytes for a file)."""
    seen, todo = {}, deque([SYSTEM])
    while todo:
        address = todo.popleft()
        if address in seen:
            continue
        response = client.get(address, headers=headers or {})
        assert response.status_code == 200, (address, response.status_code)
        if address.endswith("/download"):
            body = response.get_data()
            if "/minutes/" in address:  # the minutes' PDF: its words count
                with tempfile.NamedTemporaryFile(suffix=".pdf") as pdf:
                    pdf.write(body)
                    pdf.flush()
                    body = subprocess.run(
                        ["pdftotext", pdf.name, "-"], capture_output=True, check=True
                    ).stdout
            seen[address] = body.decode()
            continue
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        data = response.get_json()
        seen[address] = data
        todo.extend(addresses(data) - set(seen))
    return seen


def link_sections_to_agenda(world):
    """The world's released sections become the record of an agenda item of their meeting:
    each set of released minutes its own item, so that none replaces another's decisions."""
    items, chosen = {}, {}
    for target in world.of("agenda_item"):
        items.setdefault(target.obj.meeting_id, []).append(target.obj)
    for target in sorted(world.of("section"), key=lambda t: t.obj.minutes_id):
        section = target.obj
        minutes = section.minutes
        choices = items.get(minutes.meeting_id, [])
        if minutes.state != RELEASED or not choices:
            continue
        if minutes.id not in chosen:
            taken = sum(1 for m in chosen.values() if m.meeting_id == minutes.meeting_id)
            chosen[minutes.id] = choices[taken % len(choices)]
        section.agenda_item = chosen[minutes.id]
        section.save()


READERS = ["invited", "uninvolved", "coordinator", "admin", "named"]


def test_every_reachable_object_validates_and_shows_only_what_the_pages_show(app):
    world = build_world(app)
    link_sections_to_agenda(world)
    Meeting.update(room="Ratssaal", city="Dresden").execute()  # a Location for each meeting
    walk = Walk(app, world)
    with app.test_request_context():
        sees = {
            name: [(t, bool(t.sees(account))) for t in world.targets]
            for name, account in world.accounts.items()
        }
    red_words = {
        t.word
        for t in world.targets
        if t.word and t.kind in ("meeting", "agenda_item") and t.obj.label == sharing.RED
    }
    # Decisions reach resolutionText only from released sections the reader may see.
    decisions = {}
    for target in world.of("section"):
        for decision in Decision.select().where(Decision.section == target.obj.id):
            decisions[WORD.findall(decision.text)[0]] = target
    resolutions_seen = protocols_seen = 0
    for name in READERS:
        account = world.accounts[name]
        found = crawl(walk.clients[name])
        validated = sum(validate(data, a) for a, data in found.items() if isinstance(data, dict))
        assert validated > 20, name
        assert any("/location" in address for address in found), name
        body = json.dumps(found, ensure_ascii=False)
        leaked = walk.leaked_words(name, body)
        assert not leaked, f"{name} reads {sorted(leaked)}"
        assert not (set(WORD.findall(body)) & red_words), "TLP:RED left the intranet"
        with app.test_request_context():
            for word, target in decisions.items():
                if word in body:
                    section = target.obj
                    context = target.extra["context"]
                    assert section.minutes.state == RELEASED, (name, word)
                    assert context.section_visible(account, section), (name, word)
                    assert context.section_audience(section).leaves_intranet, (name, word)
                    resolutions_seen += 1
        # The lists (SQL) and the objects (the areas' rules in Python) agree.
        by_type = {}
        for data in found.values():
            collect(data, by_type)
        for kind, address in (
            ("File", "/oparl/1.1/body/files"),
            ("AgendaItem", "/oparl/1.1/body/agenda-items"),
            ("Meeting", "/oparl/1.1/body/meetings"),
        ):
            listed = found[address]
            assert listed["pagination"]["totalElements"] == len(listed["data"]), (name, kind)
            # The body's file list holds the files of meetings and agenda items; released
            # minutes are reached through their meeting (resultsProtocol, below).
            reached = {i for i in by_type[kind] if "/oparl/1.1/minutes/" not in i}
            assert {o["id"] for o in listed["data"]} == reached, (name, kind)
        protocols = {i for i in by_type["File"] if "/oparl/1.1/minutes/" in i}
        assert protocols == {
            m["resultsProtocol"]["id"]
            for m in found["/oparl/1.1/body/meetings"]["data"]
            if "resultsProtocol" in m
        }, name
        protocols_seen += len(protocols)
        # Both directions: what the account sees and may leave is in the export.
        meetings_listed = {
            m["id"].rsplit("/", 1)[-1] for m in found["/oparl/1.1/body/meetings"]["data"]
        }
        for target, visible in sees[name]:
            if target.kind == "meeting":
                exported = visible and target.obj.label != sharing.RED
                assert (str(target.obj.id) in meetings_listed) is exported, (name, target.word)
    assert resolutions_seen, "no decision reached any resolutionText"
    assert protocols_seen, "no released minutes reached any meeting"


def test_amber_strict_carries_title_and_time_only_and_red_is_absent(client, org, other_org):
    member = factories.account("member", other_org)
    strict = factories.meeting(
        "Streng", sharing.AMBER_STRICT, organization=org, invited=[other_org], room="Raum 1"
    )
    AgendaItem.create(meeting=strict, position=1, title="TOP Streng", label=sharing.GREEN)
    red = factories.meeting("Rot", sharing.RED, organization=org, persons=[member])
    sign_in(client, member)
    data = client.get(f"/oparl/1.1/meeting/{strict.id}").get_json()
    assert data["name"] == "Streng" and data["start"]
    assert data["sicherheitsdialog:label"] == "TLP:AMBER+STRICT"
    for detail in ("location", "organization", "auxiliaryFile"):
        assert detail not in data
    assert data["agendaItem"][0]["name"] == "TOP Streng"
    assert "resolutionText" not in data["agendaItem"][0]
    # The named person sees the RED meeting on its page, never in the export.
    assert client.get(f"/meetings/{red.id}").status_code == 200
    assert client.get(f"/oparl/1.1/meeting/{red.id}").status_code == 404
    listed = client.get("/oparl/1.1/body/meetings").get_json()["data"]
    assert [m["name"] for m in listed] == ["Streng"]


def test_public_only_for_clear_all_the_way_up(client, org, member):
    clear = factories.meeting("Offen", sharing.CLEAR, organization=org)
    green = factories.meeting("Forum", sharing.GREEN, organization=org)
    AgendaItem.create(meeting=clear, position=1, title="A", label=sharing.CLEAR)
    AgendaItem.create(meeting=green, position=1, title="B", label=sharing.CLEAR)
    sign_in(client, member)
    items = client.get("/oparl/1.1/body/agenda-items").get_json()["data"]
    assert {i["name"]: i["public"] for i in items} == {"A": True, "B": False}
    assert {i["name"]: i["sicherheitsdialog:label"] for i in items} == {
        "A": "TLP:CLEAR",
        "B": "TLP:GREEN",
    }


def test_contacts_show_what_the_contacts_page_shows(client, org, other_org):
    member = factories.account("member", other_org)
    person = Person.create(
        organization=org,
        family_name="Beispiel",
        given_name="Bea",
        function="Vorsitz",
        phone="0351 1",
        phone_visibility="forum",
        mobile="0170 2",
        mobile_visibility="organization",
        email="bea@example.org",
        email_visibility="coordinators",
    )
    Membership.create(person=person, organization=org, role="Vorsitz")
    sign_in(client, member)
    data = client.get(f"/oparl/1.1/person/{person.id}").get_json()
    assert data["phone"] == ["0351 1"] and "email" not in data
    page = client.get(f"/contacts/{person.id}").get_data(as_text=True)
    assert "0351 1" in page and "0170 2" not in page and "bea@example.org" not in page
    membership = data["membership"][0]
    assert client.get(membership["id"]).get_json() == membership
    coordinator = factories.account("coordinator", org)
    sign_in(client, coordinator)
    data = client.get(f"/oparl/1.1/person/{person.id}").get_json()
    assert data["phone"] == ["0351 1", "0170 2"] and data["email"] == ["bea@example.org"]


# --- Signing in: session or token ---------------------------------------------------------------


def renew(client) -> str:
    response = client.post("/account/oparl-token", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 303
    page = client.get("/account").get_data(as_text=True)
    match = re.search(r'id="oparl-token-value" type="text" readonly value="([^"]+)"', page)
    assert match, "the token is shown on /account"
    return match.group(1)


def test_token_reads_without_session_and_renewal_revokes_the_old_one(app, client, org, member):
    meeting = factories.meeting(
        "Vertraulich", sharing.AMBER, organization=org, invited=[member.organization]
    )
    sign_in(client, member)
    first = renew(client)
    second = renew(client)
    assert first != second
    program = app.test_client()
    bearer = {"Authorization": f"Bearer {second}"}
    response = program.get(SYSTEM, headers=bearer)
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    names = [
        m["name"]
        for m in program.get("/oparl/1.1/body/meetings", headers=bearer).get_json()["data"]
    ]
    assert names == ["Vertraulich"]
    # The restricted read through the token is in the audit log, like a page view.
    assert program.get(f"/oparl/1.1/meeting/{meeting.id}", headers=bearer).status_code == 200
    viewed = AuditEvent.select().where(AuditEvent.action == "meeting.viewed")
    assert [(e.actor_id, e.target) for e in viewed] == [(member.id, f"meeting:{meeting.id}")]
    listed = AuditEvent.get(AuditEvent.action == "oparl.listed")
    assert listed.actor_id == member.id and f"meeting:{meeting.id}" in listed.detail
    renewed = AuditEvent.select().where(AuditEvent.action == "oparl.token_renewed")
    assert renewed.count() == 2
    # The old token is revoked: a 401 in JSON, no session.
    old = program.get(SYSTEM, headers={"Authorization": f"Bearer {first}"})
    assert old.status_code == 401
    assert old.headers["Content-Type"] == "application/json; charset=utf-8"
    assert old.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Set-Cookie" not in old.headers
    # The token opens the OParl addresses only.
    page = program.get(f"/meetings/{meeting.id}", headers=bearer)
    assert page.status_code == 302 and "/login" in page.headers["Location"]


@pytest.mark.parametrize(
    "header", ["Bearer nonsense", "Basic abc", "Bearer ", "Bearer " + "x" * 500]
)
def test_a_wrong_token_is_a_401_even_with_a_session(client, member, header):
    sign_in(client, member)
    response = client.get(SYSTEM, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.get_json() == {"error": "invalid token"}


def test_without_sign_in_browsers_go_to_login_and_programs_get_401(client):
    browser = client.get(SYSTEM, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.status_code == 302 and "/login" in browser.headers["Location"]
    program = client.get("/oparl/1.1/body/meetings", headers={"Accept": "application/json"})
    assert program.status_code == 401 and program.get_json()["error"]


def test_a_new_password_revokes_the_token(app, client, member):
    sign_in(client, member)
    token = renew(client)
    with app.test_request_context():
        from intranet.auth import services as auth_services

        auth_services.change_password(member, factories.PASSWORD, "eine ganz neue lange Passphrase")
    response = app.test_client().get(SYSTEM, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert AuditEvent.select().where(AuditEvent.action == "oparl.token_revoked").exists()


def test_a_deactivated_account_s_token_stops(app, client, member):
    sign_in(client, member)
    token = renew(client)
    member.active = False
    member.save()
    response = app.test_client().get(SYSTEM, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


# --- Fixed number of queries per page -----------------------------------------------------------


def _fill(org, other_org, n, start):
    import datetime as dt

    for i in range(n):
        meeting = factories.meeting(
            f"Sitzung {start + i}",
            [sharing.GREEN, sharing.AMBER, sharing.AMBER_STRICT][i % 3],
            organization=org,
            invited=[other_org],
            start=utcnow().replace(microsecond=0) + dt.timedelta(days=i + 1),
            room="Saal",
        )
        for position in (1, 2):
            item = AgendaItem.create(meeting=meeting, position=position, title=f"TOP {position}")
        record = factories.minutes(meeting, RELEASED, released_at=utcnow())
        section = MinutesSection.create(minutes=record, position=1, title="TOP", agenda_item=item)
        Decision.create(section=section, position=1, text=f"Beschluss {start + i}")
        for kind, owner_id in (("meeting", meeting.id), ("agenda_item", item.id)):
            factories.file_row(kind, owner_id)
        person = Person.create(organization=org, family_name=f"Name {start + i}", function="F")
        Membership.create(person=person, organization=other_org, role="Vertretung")


@pytest.mark.parametrize(
    "address",
    [
        "/oparl/1.1/body/meetings",
        "/oparl/1.1/body/agenda-items",
        "/oparl/1.1/body/files",
        "/oparl/1.1/body/people",
        "/oparl/1.1/body/memberships",
        "/oparl/1.1/body/organizations",
        "/oparl/1.1/body/locations",
    ],
)
def test_lists_take_the_same_number_of_queries_for_more_data(
    client, org, other_org, member, count_queries, address
):
    sign_in(client, member)
    _fill(org, other_org, 2, 0)
    client.get(address)
    with count_queries() as small:
        assert client.get(address).status_code == 200
    _fill(org, other_org, 12, 100)
    with count_queries() as large:
        data = client.get(address).get_json()
    assert data["data"]
    assert large.n == small.n, (address, small.n, large.n)
    if address.endswith("agenda-items"):
        assert any(item.get("resolutionText") for item in data["data"])


def test_pages_link_to_the_next_one(client, org, other_org, member, monkeypatch):
    monkeypatch.setattr(lists, "PER_PAGE", 3)
    _fill(org, other_org, 4, 0)
    sign_in(client, member)
    first = client.get("/oparl/1.1/body/meetings").get_json()
    assert first["pagination"]["totalElements"] == 4
    assert first["pagination"]["totalPages"] == 2 and len(first["data"]) == 3
    second = client.get(urlsplit(first["links"]["next"]).path + "?page=2").get_json()
    assert len(second["data"]) == 1 and "next" not in second["links"]
    assert {m["id"] for m in first["data"]}.isdisjoint(m["id"] for m in second["data"])


@pytest.mark.parametrize("kind", ["agenda_item", "meeting"])
def test_a_page_found_by_its_ids_is_the_page_read_whole(app, org, other_org, member, kind):
    """`paginate(…, key=)` finds a page by ids and sort keys first: every page holds the same
    rows in the same order, with their joined rows, as reading the rows whole."""
    from intranet.core.pagination import paginate

    _fill(org, other_org, 7, 0)
    Meeting.update(
        start=utcnow().replace(microsecond=0)
    ).execute()  # ties: the order's last keys decide
    if kind == "agenda_item":
        query = (
            AgendaItem.select(AgendaItem, Meeting)
            .join(Meeting)
            .order_by(Meeting.start.desc(), Meeting.id.desc(), AgendaItem.position, AgendaItem.id)
        )
        key, shown = AgendaItem.id, lambda item: (item.id, item.meeting.title)
    else:
        query = Meeting.select().order_by(Meeting.start.desc(), Meeting.id.desc())
        key, shown = Meeting.id, lambda meeting: (meeting.id, meeting.title)
    pages = []
    for number in range(1, 7):
        with app.test_request_context(f"/?page={number}"):
            whole, by_id = paginate(query, 3), paginate(query, 3, key=key)
            assert [shown(r) for r in by_id.items] == [shown(r) for r in whole.items], number
            assert (by_id.number, by_id.total) == (whole.number, whole.total)
            pages.append([r.id for r in by_id.items])
    assert len({i for page in pages for i in page}) == query.count()


def test_access_export_says_whether_an_oparl_token_exists(app, client, org, admin):
    from tests.factories import person

    account = factories.account("member", org, email="tokeninhaber@example.org")
    entry = person(org, account=account.id)
    sign_in(client, admin)
    address = f"/contacts/{entry.id}/privacy.json"
    assert json.loads(client.get(address).get_data(as_text=True))["oparl_token"] is False
    with app.test_request_context():
        token = oparl.TOKEN.renew(account)
    body = client.get(address).get_data(as_text=True)
    assert json.loads(body)["oparl_token"] is True
    assert token not in body


def test_a_hidden_object_is_a_json_404_like_an_absent_one(client, org, other_org):
    outsider = factories.account("member", other_org)
    hidden = factories.meeting("Geheim zqxhidn", sharing.AMBER, organization=org)
    item = AgendaItem.create(meeting=hidden, position=1, title="TOP")
    sign_in(client, outsider)
    for address in (
        f"/oparl/1.1/meeting/{hidden.id}",
        f"/oparl/1.1/meeting/{hidden.id}/agenda-item/{item.id}",
        f"/oparl/1.1/meeting/{hidden.id}/location",
        "/oparl/1.1/meeting/999999",
    ):
        response = client.get(address, buffered=True)
        assert response.status_code == 404, address
        assert response.headers["Content-Type"] == "application/json; charset=utf-8"
        assert response.get_json() == {"error": "Not Found"}
    assert "zqxhidn" not in client.get("/oparl/1.1/body/meetings").get_data(as_text=True)
    audit.flush_refusals()  # refusals are counted per window, then written to the chain
    refused = AuditEvent.get(AuditEvent.action == "meeting.refused")
    assert refused.actor_id == outsider.id and refused.attempts == 3


def test_the_account_page_renews_the_token_in_place(client, member):
    sign_in(client, member)
    page = client.get("/account").get_data(as_text=True)
    assert 'id="oparl-token"' in page and 'id="oparl-token-value"' not in page
    response = client.post(
        "/account/oparl-token",
        data={"csrf_token": csrf_token(client)},
        headers={"HX-Request": "true", "HX-Target": "oparl-token"},
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert 'id="oparl-token"' in fragment and "<html" not in fragment
    assert "Ihr OParl-Token ist neu" in fragment  # the flash, out of band
    assert (
        oparl.TOKEN.account_for(
            re.search(
                r'id="oparl-token-value" type="text" readonly value="([^"]+)"', fragment
            ).group(1)
        )
        == member
    )
    # Without a valid form nothing is made.
    client.post("/account/oparl-token", data={})
    assert AuditEvent.select().where(AuditEvent.action == "oparl.token_renewed").count() == 1


def test_a_list_carrying_a_restricted_agenda_item_is_recorded(client, org, other_org):
    member = factories.account("member", other_org)
    green = factories.meeting("Forum", sharing.GREEN, organization=org)
    factories.meeting("Offen", sharing.GREEN, organization=org)
    AgendaItem.create(
        meeting=green, position=1, title="TOP", label=sharing.AMBER, organization=other_org
    )
    sign_in(client, member)
    assert client.get("/oparl/1.1/body/meetings").status_code == 200
    listed = AuditEvent.get(AuditEvent.action == "oparl.listed")
    assert listed.actor_id == member.id
    assert listed.detail.split(" ", 1)[1] == f"meeting:{green.id}"
