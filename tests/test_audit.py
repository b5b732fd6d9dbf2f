"""The audit log answers "who read this?": reads and refused attempts on restricted items, the
admin's filters, German descriptions, readable targets, CSV export and the retention setting."""

import ast
import csv
import datetime as dt
import io
import re
from pathlib import Path

import pytest

from intranet.admin import audit_log
from intranet.core import audit, site_settings
from intranet.core.models import AuditEvent
from intranet.db import db, utcnow
from intranet.meetings import feeds
from intranet.minutes import rules
from intranet.minutes.models import COMMENT_KINDS
from intranet.oparl import services as oparl
from tests import factories
from tests.conftest import ROOT_DIR, csrf_token, sign_in
from tests.test_meetings import make_meeting

CSRF = re.compile(r'(name="csrf_token" type="hidden" value="|hx-headers=\'[^\']*)[^"\']+')


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


def test_refused_attempt_is_recorded_and_answers_like_a_missing_item(client, member, red_meeting):
    sign_in(client, member)
    client.get("/")  # the first request after sign-in renews the session cookie
    hidden = client.get(f"/meetings/{red_meeting.id}")
    missing = client.get("/meetings/999999")
    assert hidden.status_code == missing.status_code == 404

    def normalised(response, path):  # the page names its own address (language switch)
        return CSRF.sub("", response.get_data(as_text=True)).replace(path, "PATH")

    assert normalised(hidden, f"/meetings/{red_meeting.id}") == normalised(
        missing, "/meetings/999999"
    )
    assert dict(hidden.headers).keys() == dict(missing.headers).keys()
    [refused] = actions("meeting.refused")
    assert refused.actor_id == member.id and refused.target == f"meeting:{red_meeting.id}"
    assert not AuditEvent.select().where(AuditEvent.target == "meeting:999999").exists()


def test_unrestricted_reads_write_nothing_and_fragments_are_not_recorded_twice(
    client, org, coordinator
):
    green = make_meeting("Plenum", label="green")
    amber = make_meeting("Arbeitsgruppe", label="amber", organization=org)
    sign_in(client, coordinator)
    before = AuditEvent.select().count()
    assert client.get(f"/meetings/{green.id}").status_code == 200
    assert AuditEvent.select().count() == before
    client.get(f"/meetings/{amber.id}", headers={"HX-Request": "true", "HX-Target": "agenda"})
    assert actions("meeting.viewed") == []
    client.get(f"/meetings/{amber.id}", headers={"HX-Request": "true", "HX-Boosted": "true"})
    client.get(f"/meetings/{amber.id}.ics")
    assert [e.detail for e in actions("meeting.viewed")] == [
        f"/meetings/{amber.id}",
        f"/meetings/{amber.id}.ics",
    ]


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
    assert client.get(f"/minutes/{minutes.id}").status_code == 404
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
                ) or (isinstance(func, ast.Name) and func.id == "record")
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
    missing = sorted(code for code in literals if code not in audit_log.ACTIONS)
    assert not missing, f"add these to intranet/admin/audit_log.py ACTIONS: {missing}"
    # Codes built at run time: workflow steps, comment kinds, reads and refusals per kind.
    built = {f"{rules.WORKFLOW.kind}.{t.action}" for t in rules.WORKFLOW.transitions}
    built |= {f"minutes.{kind}" for kind in COMMENT_KINDS}
    built |= {f"{kind}.{what}" for kind in ("meeting", "minutes") for what in ("viewed", "refused")}
    built.add("attachment.refused")
    built |= {
        code for token in (feeds.TOKEN, oparl.TOKEN) for code in (token.renewed, token.revoked)
    }
    assert not sorted(built - set(audit_log.ACTIONS))
    for pattern in patterns:
        assert any(re.fullmatch(pattern, code) for code in audit_log.ACTIONS), pattern
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
    assert rows[1][4] == '\'=HYPERLINK("http://x")' and rows[1][5] == "'@SUM(1+1)"
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
