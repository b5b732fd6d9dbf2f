"""The audit log answers "who read this?": reads and refused attempts on restricted items, the
admin's filters, German descriptions, readable targets, CSV export and the retention setting."""

import ast
import csv
import datetime as dt
import inspect
import io
import re
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from itsdangerous import TimestampSigner

from intranet.admin import audit_log
from intranet.auth import sessions
from intranet.core import audit, site_settings
from intranet.core.models import AuditEvent, RefusedRead
from intranet.meetings import access, feeds
from intranet.meetings.models import AgendaItem, Series
from intranet.minutes import editing, rules
from intranet.minutes.models import COMMENT_KINDS, ActionItem, Decision, MinutesSection
from intranet.oparl import services as oparl
from intranet.platform.db import db, utcnow
from tests import factories
from tests.conftest import ROOT_DIR, csrf_token, normalise_page, sign_in
from tests.factories import make_meeting


def actions(action=None):
    query = AuditEvent.select().order_by(AuditEvent.id)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(query)


@pytest.fixture
def red_meeting(app, org, reviewer, coordinator):
    return make_meeting(
        "Lagebesprechung Gefährdung", label="red", organization=org, persons=[reviewer, coordinator]
    )


# --- Reads and refusals ------------------------------------------------------------------------


def test_named_reviewer_reading_a_red_meeting_is_found_by_the_admin(
    app, client, admin, reviewer, red_meeting
):
    sign_in(client, reviewer)
    assert client.get(f"/meetings/{red_meeting.id}").status_code == 200
    [viewed] = actions("meeting.viewed")
    assert viewed.actor_id == reviewer.id and viewed.target == f"meeting:{red_meeting.id}"

    client = app.test_client()
    sign_in(client, admin)
    page = client.get("/admin/audit", query_string={"person": "pruefung@"}).get_data(as_text=True)
    assert "Termin angesehen" in page and reviewer.display_name in page
    # The admin role grants nothing: the RED meeting's title stays hidden, its number shows.
    assert f"Termin Nr. {red_meeting.id}" in page and "Gefährdung" not in page
    assert "Anmeldung erfolgreich" in page  # the reviewer's sign-in, not the admin's
    assert admin.email not in page.split('id="audit-list"')[1]


def test_a_calendar_file_that_is_refused_records_no_read(client, reviewer, red_meeting):
    sign_in(client, reviewer)
    assert client.get(f"/meetings/{red_meeting.id}.ics").status_code == 404  # RED stays inside
    assert actions("meeting.viewed") == []


def window_passed():
    """As if the refusals' counting windows (and their grace) were over."""
    for row in RefusedRead.select():
        row.window_start -= audit.REFUSAL_WINDOW + audit.REFUSAL_GRACE
        row.save()


def test_refused_reads_are_counted_into_one_entry_and_answer_like_a_missing_item(
    client, runner, member, red_meeting
):
    sign_in(client, member)
    client.get("/")  # the first request after sign-in renews the session cookie
    chain = AuditEvent.select().count()
    # buffered: the test client closes the answer, as a server does after sending it.
    hidden = [client.get(f"/meetings/{red_meeting.id}", buffered=True) for _ in range(7)]
    missing = client.get("/meetings/999999", buffered=True)
    assert {r.status_code for r in hidden} == {missing.status_code} == {404}
    # The page names its own address (language switch).
    assert normalise_page(hidden[-1].get_data(True), item=f"/meetings/{red_meeting.id}") == (
        normalise_page(missing.get_data(True), item="/meetings/999999")
    )
    assert dict(hidden[-1].headers).keys() == dict(missing.headers).keys()
    # Counted beside the chain: no entry per attempt, and no wait for the chain's lock.
    assert AuditEvent.select().count() == chain

    window_passed()
    with client.application.test_request_context("/logout", method="POST"):
        audit.record("logout", actor=member)  # any request's next entry writes the count first
    [refused] = actions("meeting.refused")
    assert (refused.actor_id, refused.target, refused.attempts) == (
        member.id,
        f"meeting:{red_meeting.id}",
        7,
    )
    assert refused.detail == f"GET /meetings/{red_meeting.id}"
    assert actions()[-1].action == "logout"
    assert not AuditEvent.select().where(AuditEvent.target == "meeting:999999").exists()
    assert not RefusedRead.select().exists()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_refusals_are_counted_per_account_item_and_window(app, org, member, red_meeting):
    other = make_meeting("Andere Runde", label="red")
    colleague = factories.account("member", org)
    clients = {}
    for account in (member, colleague):
        clients[account] = app.test_client()
        sign_in(clients[account], account)

    def refused(account, meeting):
        answer = clients[account].get(f"/meetings/{meeting.id}", buffered=True)
        assert answer.status_code == 404

    for _ in range(3):
        refused(member, red_meeting)
    refused(member, other)
    refused(colleague, red_meeting)
    window_passed()
    refused(member, red_meeting)  # the next window
    with app.test_request_context("/logout", method="POST"):
        audit.record("logout", actor=member)
    counted = {(e.actor_id, e.target): e.attempts for e in actions("meeting.refused")}
    assert counted == {
        (member.id, f"meeting:{red_meeting.id}"): 3,
        (member.id, f"meeting:{other.id}"): 1,
        (colleague.id, f"meeting:{red_meeting.id}"): 1,
    }
    assert RefusedRead.get().attempts == 1  # still being counted
    assert audit.verify() is None


def test_the_admin_sees_refusals_still_being_counted_with_their_number(
    app, client, runner, admin, member, red_meeting
):
    signed_in = app.test_client()
    sign_in(signed_in, member)
    for _ in range(3):
        assert signed_in.get(f"/meetings/{red_meeting.id}", buffered=True).status_code == 404
    sign_in(client, admin)
    page = client.get("/admin/audit", query_string={"action": "meeting.refused"})
    assert "3 abgewiesene Zugriffe auf einen Termin" in page.get_data(as_text=True)
    assert f"Termin Nr. {red_meeting.id}" in page.get_data(as_text=True)
    # Written into the chain; an attempt after the admin's look starts a new count.
    assert signed_in.get(f"/meetings/{red_meeting.id}", buffered=True).status_code == 404
    page = client.get("/admin/audit", query_string={"action": "meeting.refused"})
    assert "1 abgewiesener Zugriff auf einen Termin" not in page.get_data(as_text=True)
    assert "Zugriff auf einen Termin abgewiesen" in page.get_data(as_text=True)
    assert [e.attempts for e in actions("meeting.refused")] == [3, 1]
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output


def test_counted_entries_are_part_of_the_chain(runner, member):
    audit.record("logout", actor=member)
    with audit.serialized(audit.CHAIN_LOCK):
        audit._append(audit._last_hash(), at=utcnow(), action="meeting.refused", attempts=4)
    audit.record("logout", actor=member)
    assert audit.verify() is None
    AuditEvent.update(attempts=1).where(AuditEvent.action == "meeting.refused").execute()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0  # the number cannot be changed unnoticed


def test_pages_compared_whole_differ_in_nothing_but_their_tokens(client, member, monkeypatch):
    # Two requests a second apart carry different tokens (each is signed with its second) in the
    # logout form, the language switch and hx-headers, and a second less of the session; the
    # normaliser removes every one.
    sign_in(client, member)
    client.get("/")
    pages = []
    now = int(time.time())
    for second in (now, now + 1):
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self, s=second: s)
        monkeypatch.setattr(sessions, "time", SimpleNamespace(time=lambda s=second: s))
        pages.append(client.get("/meetings/999999").get_data(as_text=True))
    assert pages[0] != pages[1]
    assert normalise_page(pages[0]) == normalise_page(pages[1])
    assert "CSRF-TOKEN" in normalise_page(pages[0])


def test_unrestricted_reads_write_nothing(client, org, coordinator):
    green = make_meeting("Plenum", label="green")
    amber = make_meeting("Arbeitsgruppe", label="amber", organization=org)
    sign_in(client, coordinator)
    before = AuditEvent.select().count()
    assert client.get(f"/meetings/{green.id}").status_code == 200
    assert client.get(f"/meetings/{green.id}.ics").status_code == 200
    assert AuditEvent.select().count() == before
    assert client.get(f"/meetings/{amber.id}.ics").status_code == 200
    assert [e.detail for e in actions("meeting.viewed")] == [f"/meetings/{amber.id}.ics"]


RESTRICTED_READS = (
    "meetings.show", "meetings.ics", "meetings.edit", "meetings.edit_agenda_item",
    "meetings.attendance", "meetings.series_template", "minutes.show", "minutes.compare", "minutes.edit", "minutes.section",
    "minutes.print_view", "minutes.edit_entry", "minutes.carry",
)  # fmt: skip


@pytest.fixture
def restricted_addresses(app, org, coordinator):
    """Every address that shows a restricted (AMBER) meeting or minutes to the coordinator,
    with the audit entry its read must write."""
    ahead = make_meeting("Arbeitsgruppe", label="amber", organization=org)
    item = AgendaItem.create(meeting=ahead, position=1, title="Lagebild")
    begun = make_meeting(
        "Fallkonferenz", label="amber", organization=org,
        start=utcnow().replace(microsecond=0) - dt.timedelta(days=2),
    )  # fmt: skip
    draft = editing.start_minutes(access.load_context(begun), coordinator)
    section = MinutesSection.create(minutes=draft, position=1, title="Lage", label="amber")
    released = factories.minutes(begun, state="released", document_key="test:released")
    decision = Decision.create(section=section, position=1, text="Beschluss")
    released_section = MinutesSection.create(minutes=released, position=1, title="Lage")
    task = ActionItem.create(section=released_section, text="Aufgabe")
    meeting, minutes = f"meeting:{ahead.id}", f"minutes:{draft.id}"
    series = Series.create(rrule="FREQ=MONTHLY;COUNT=1", first_start_local=dt.datetime(2026, 1, 7))
    of_series = make_meeting("Lenkungskreis", label="amber", organization=org, series=series)
    return {
        "meetings.show": (f"/meetings/{ahead.id}", meeting),
        "meetings.ics": (f"/meetings/{ahead.id}.ics", meeting),
        "meetings.edit": (f"/meetings/{ahead.id}/edit", meeting),
        "meetings.edit_agenda_item": (f"/meetings/{ahead.id}/agenda/{item.id}/edit", meeting),
        "meetings.attendance": (f"/meetings/{begun.id}/attendance", f"meeting:{begun.id}"),
        "meetings.series_template": (
            f"/meetings/{of_series.id}/series-template",
            f"meeting:{of_series.id}",
        ),
        "minutes.show": (f"/minutes/{draft.id}", minutes),
        "minutes.compare": (f"/minutes/{draft.id}/compare", minutes),
        "minutes.edit": (f"/minutes/{draft.id}/edit", minutes),
        "minutes.section": (f"/minutes/{draft.id}/sections/{section.id}", minutes),
        "minutes.print_view": (f"/minutes/{released.id}/print", f"minutes:{released.id}"),
        "minutes.edit_entry": (
            f"/minutes/{draft.id}/sections/{section.id}/decisions/{decision.id}/edit",
            minutes,
        ),
        "minutes.carry": (f"/minutes/actions/{task.id}/carry", f"minutes:{released.id}"),
    }


HTMX_HEADERS = {
    "plain": {},
    "htmx": {"HX-Request": "true"},
    "htmx-elsewhere": {"HX-Request": "true", "HX-Target": "main"},
    "boosted": {"HX-Request": "true", "HX-Boosted": "true"},
    "history-restore": {"HX-History-Restore-Request": "true"},
    "htmx-history-restore": {"HX-Request": "true", "HX-History-Restore-Request": "true"},
}


@pytest.mark.parametrize("headers", HTMX_HEADERS.values(), ids=HTMX_HEADERS.keys())
@pytest.mark.parametrize("endpoint", RESTRICTED_READS)
def test_every_served_read_of_a_restricted_item_is_recorded_once_whatever_the_headers(
    client, coordinator, restricted_addresses, endpoint, headers
):
    address, target = restricted_addresses[endpoint]
    sign_in(client, coordinator)
    response = client.get(address, headers=headers)
    assert response.status_code == 200
    [viewed] = [e for e in actions() if e.action.endswith(".viewed")]
    assert (viewed.target, viewed.detail, viewed.actor_id) == (target, address, coordinator.id)


def test_every_address_that_loads_an_item_for_reading_is_in_the_test_above(
    app, restricted_addresses
):
    loads = re.compile(r"get_(?:meeting|minutes)_or_404\((?![^)]*record_view=False)")
    reading = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and loads.search(inspect.getsource(app.view_functions[rule.endpoint]))
    }
    assert reading == set(RESTRICTED_READS) == set(restricted_addresses)


def test_restricted_minutes_views_and_refusals_are_recorded(app, client, org, member, reviewer):
    meeting = make_meeting("Arbeitsgruppe", label="amber", organization=org)
    minutes = factories.minutes(meeting, state="released")
    sign_in(client, reviewer)
    assert client.get(f"/minutes/{minutes.id}").status_code == 200
    assert client.get(f"/minutes/{minutes.id}/print").status_code == 200
    assert [e.detail for e in actions("minutes.viewed")] == [
        f"/minutes/{minutes.id}",
        f"/minutes/{minutes.id}/print",
    ]
    client = app.test_client()
    sign_in(client, member)
    assert client.get(f"/minutes/{minutes.id}", buffered=True).status_code == 404
    audit.flush_refusals()
    [refused] = actions("minutes.refused")
    assert refused.actor_id == member.id and refused.target == f"minutes:{minutes.id}"


def test_contact_exports_are_recorded(client, member):
    sign_in(client, member)
    client.get("/contacts.csv", query_string={"q": "Müller"})
    client.get("/contacts.vcf")
    assert [e.detail for e in actions("contacts.exported")] == ["csv q=Müller", "vcf"]


# --- Descriptions -----------------------------------------------------------------------------


def _recorded_codes() -> tuple[set[str], set[str]]:
    """Action codes passed to audit.record anywhere in intranet/: literal strings, names
    assigned from literals in the same function, and f-string patterns (as regexes)."""
    literals, patterns = set(), set()
    for path in Path(ROOT_DIR, "intranet").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.Module):
                continue
            assigned = {}
            for node in ast.walk(function):
                if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
                    values = [
                        c.value
                        for c in ast.walk(node.value)
                        if isinstance(c, ast.Constant) and isinstance(c.value, str)
                    ]
                    assigned.setdefault(node.targets[0].id, set()).update(values)
            for node in ast.walk(function):
                if not (isinstance(node, ast.Call) and node.args):
                    continue
                func = node.func
                is_audit = (
                    isinstance(func, ast.Attribute)
                    and func.attr == "record"
                    and isinstance(func.value, ast.Name)
                    and func.value.id == "audit"
                ) or (
                    # Inside core/audit.py itself the function is called by its bare name;
                    # elsewhere a bare `record` is another area's (the outbox's, say).
                    path.name == "audit.py" and isinstance(func, ast.Name) and func.id == "record"
                )
                if not is_audit:
                    continue
                first = node.args[0]
                if isinstance(first, ast.Constant):
                    literals.add(first.value)
                elif isinstance(first, ast.Name) and first.id in assigned:
                    literals.update(assigned[first.id])
                elif isinstance(first, ast.JoinedStr):
                    pattern = "".join(
                        re.escape(part.value) if isinstance(part, ast.Constant) else "[a-z_]+"
                        for part in first.values
                    )
                    patterns.add(pattern)
                elif isinstance(first, ast.Attribute) and isinstance(first.value, ast.Name):
                    # The personal tokens' codes (auth.tokens), checked below per instance.
                    assert first.value.id == "self" and first.attr in ("renewed", "revoked")
                else:
                    raise AssertionError(f"{path}: audit.record with an action I cannot read")
    return literals, patterns


def test_every_action_code_has_a_german_description(app):
    literals, patterns = _recorded_codes()
    assert "login.succeeded" in literals and "[a-z_]+\\.viewed" in patterns
    known = audit_log.actions()
    missing = sorted(code for code in literals if code not in known)
    assert not missing, f"add these to the AUDIT_KINDS of their area's register(): {missing}"
    # Codes built at run time: workflow steps, comment kinds, reads and refusals per kind.
    built = {f"{rules.WORKFLOW.kind}.{t.action}" for t in rules.WORKFLOW.transitions}
    built |= {f"minutes.{kind}" for kind in COMMENT_KINDS}
    built |= {f"{kind}.{what}" for kind in ("meeting", "minutes") for what in ("viewed", "refused")}
    built.add("attachment.refused")
    built |= {
        code for token in (feeds.TOKEN, oparl.TOKEN) for code in (token.renewed, token.revoked)
    }
    assert not sorted(built - set(known))
    for pattern in patterns:
        assert any(re.fullmatch(pattern, code) for code in known), pattern
    assert audit_log.describe("login.succeeded") == "Anmeldung erfolgreich"


# --- The admin's page -------------------------------------------------------------------------


def test_targets_show_titles_only_as_far_as_the_admin_may_see_them(app, org, other_org):
    admin = factories.account("admin", org, email="verwaltung@example.org")
    own = make_meeting("Eigene Runde", label="amber", organization=org)
    other = make_meeting("Fremde Runde", label="amber", organization=other_org)
    person = factories.account("member", other_org, display_name="Bea Beispiel")
    names = audit_log.target_names(
        {"meeting": {own.id, other.id}, "account": {person.id}, "organization": {org.id}}, admin
    )
    assert names[f"meeting:{own.id}"] == "Eigene Runde"
    assert f"meeting:{other.id}" not in names
    assert audit_log.target_label(f"meeting:{other.id}", names) == f"Termin Nr. {other.id}"
    assert names[f"account:{person.id}"] == "Bea Beispiel"
    assert names[f"organization:{org.id}"] == org.name


def test_filters_by_organisation_action_item_and_date(client, admin, org, other_org):
    in_org = factories.account("member", org, email="a@example.org")
    outside = factories.account("member", other_org, email="b@example.org")
    meeting = make_meeting("Runder Tisch Prävention", label="green")
    audit.record("meeting.viewed", target=f"meeting:{meeting.id}", actor=in_org)
    audit.record("meeting.viewed", target="meeting:424242", actor=outside)
    old = audit.record("login.failed", target="x@example.org")
    AuditEvent.update(at=utcnow() - dt.timedelta(days=40)).where(AuditEvent.id == old.id).execute()
    sign_in(client, admin)

    def targets(**args):
        page = client.get("/admin/audit", query_string=args, headers={"HX-Request": "true"})
        assert page.status_code == 200
        body = page.get_data(as_text=True)
        assert body.lstrip().startswith('<div id="audit-list"')  # the fragment only
        return body

    assert "Runder Tisch" in targets(organization=org.id)
    assert "Termin Nr. 424242" not in targets(organization=org.id)
    assert "Termin Nr. 424242" in targets(item="meeting:424242")
    assert "Runder Tisch" in targets(item="Tisch Präv")
    assert "Runder Tisch" in targets(action="meeting.viewed", person="a@example")
    assert "1 Eintrag gefunden" in targets(action="login.failed")
    since = (dt.date.today() - dt.timedelta(days=7)).isoformat()
    assert "0 Einträge gefunden" in targets(action="login.failed", since=since)
    page = client.get("/admin/audit", query_string={"action": "login.failed"}).get_data(True)
    assert '<option value="login.failed" selected>Anmeldung fehlgeschlagen</option>' in page


def test_csv_export_is_filtered_neutralised_and_recorded(client, admin, member):
    audit.record("login.failed", target='=HYPERLINK("http://x")', detail="@SUM(1+1)")
    audit.record("logout", actor=member)
    sign_in(client, admin)
    response = client.get("/admin/audit.csv", query_string={"action": "login.failed"})
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows[0][:3] == ["Zeitpunkt", "Wer", "Ereignis"]
    assert len(rows) == 2
    assert rows[1][2] == "Anmeldung fehlgeschlagen"
    # Columns: time, who, event, concerns, code, label, detail, address.
    assert rows[1][4] == '\'=HYPERLINK("http://x")' and rows[1][6] == "'@SUM(1+1)"
    [exported] = actions("audit.exported")
    assert exported.actor_id == admin.id and exported.detail == "action=login.failed"


def test_audit_pages_take_the_same_number_of_queries_at_any_size(client, admin, org, count_queries):
    meeting = make_meeting("Runde", label="amber", organization=org)
    minutes = factories.minutes(meeting, state="released")
    actor = factories.account("member", org)
    sign_in(client, admin)

    def fill(n):
        for number in range(n):
            audit.record("meeting.viewed", target=f"meeting:{meeting.id + number}", actor=actor)
            audit.record("minutes.viewed", target=f"minutes:{minutes.id}", actor=actor)
            audit.record("account.updated", target=f"account:{actor.id}", actor=admin)
            audit.record("person.updated", target=f"person:{number + 1}", actor=admin)
            audit.record("attachment.downloaded", target=f"attachment:{number + 1}", actor=actor)

    def measure():
        with count_queries() as counted:
            assert client.get("/admin/audit").status_code == 200
        return counted.n

    fill(2)
    small = measure()
    fill(40)
    assert measure() == small


# --- Chain and retention ----------------------------------------------------------------------


def test_verify_detects_a_detail_changed_with_sql(runner, app):
    for number in range(3):
        audit.record("logout", target=f"account:{number}", detail="ok")
    second = AuditEvent.select().order_by(AuditEvent.id).offset(1).first()
    assert AuditEvent._meta.table_name == "audit_event"
    sql = "UPDATE audit_event SET detail = ? WHERE id = ?".replace("?", db.obj.param)
    db.execute_sql(sql, ("anders", second.id))
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and f"Eintrag {second.id}" in result.output


def test_retention_is_a_site_setting_that_prune_uses(client, runner, admin):
    sign_in(client, admin)
    form = {"csrf_token": csrf_token(client, "/admin/settings"), "audit_retention_days": "5"}
    refused = client.post("/admin/settings", data=form)
    assert refused.status_code == 422 and "von 30 bis 3650 Tagen" in refused.get_data(True)
    form["audit_retention_days"] = "90"
    assert client.post("/admin/settings", data=form).status_code == 303
    assert site_settings.audit_retention_days() == 90

    kept = audit.record("logout", detail="vor 60 Tagen")
    gone = audit.record("logout", detail="vor 120 Tagen")
    audit.record("logout", detail="heute")
    for event, days in ((kept, 60), (gone, 120)):
        AuditEvent.update(at=utcnow() - dt.timedelta(days=days)).where(
            AuditEvent.id == event.id
        ).execute()
    result = runner.invoke(args=["audit", "prune"])
    assert result.exit_code == 0 and "älter als 90 Tage" in result.output
    details = [e.detail for e in AuditEvent.select()]
    assert "vor 60 Tagen" in details and "vor 120 Tagen" not in details


def test_retention_defaults_to_the_configuration(app):
    assert site_settings.audit_retention_days() == 365


def test_the_log_shows_and_filters_the_label_of_what_was_read(client, admin, org):
    """A RED and an AMBER+STRICT read no longer look the same: each entry shows the label of
    its item (not its content), and the log filters by label; so does the CSV."""
    red = make_meeting("Rote Runde", label="red", organization=org)
    strict = make_meeting("Strenge Runde", label="amber_strict", organization=org)
    audit.record("meeting.viewed", target=f"meeting:{red.id}")
    audit.record("meeting.viewed", target=f"meeting:{strict.id}")
    sign_in(client, admin)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "TLP:RED" in page and "TLP:AMBER+STRICT" in page
    assert "Rote Runde" not in page  # the admin is not named on it
    only_red = client.get("/admin/audit", query_string={"label": "red"}).get_data(as_text=True)
    assert f"Termin Nr. {red.id}" in only_red and f"Termin Nr. {strict.id}" not in only_red
    csv = client.get("/admin/audit.csv", query_string={"label": "amber_strict"})
    text = csv.get_data(as_text=True)
    assert "TLP:AMBER+STRICT" in text and f"meeting:{red.id}" not in text
    assert client.get("/admin/audit", query_string={"label": "<x>"}).status_code == 200
