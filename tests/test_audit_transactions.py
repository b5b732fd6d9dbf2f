"""An audit entry about a change is written in the same transaction as the change, so that a
crash between the two can lose neither alone. This reads the source: every `audit.record` call
of a change must stand inside a `with` block that opens a write transaction in the same
function (write_transaction, serialized, or an area's lock built on them). Entries about
something that happened without a change of stored data (a sign-in attempt, an export, a
download) are listed in `audit.EVENTS`."""

import ast
import pathlib

from intranet.core import audit

ROOT = pathlib.Path(__file__).resolve().parents[1] / "intranet"
TRANSACTIONS = {"write_transaction", "serialized", "locked", "atomic"}


def _calls():
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text())
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            func = getattr(node, "func", None)
            if not (
                isinstance(node, ast.Call)
                and isinstance(func, ast.Attribute)
                and func.attr == "record"
                and isinstance(func.value, ast.Name)
                and func.value.id == "audit"
            ):
                continue
            inside, parent = False, node
            while parent in parents and not isinstance(parent, ast.FunctionDef):
                parent = parents[parent]
                if isinstance(parent, ast.With):
                    inside |= any(_opens_transaction(i.context_expr) for i in parent.items)
            yield path.relative_to(ROOT.parent), node, inside


def _opens_transaction(expression) -> bool:
    """`write_transaction()`, `db.serialized(...)`, `locked(context)`, or a choice of them."""
    if isinstance(expression, ast.IfExp):
        return _opens_transaction(expression.body) and _opens_transaction(expression.orelse)
    func = getattr(expression, "func", None)
    return (getattr(func, "attr", None) or getattr(func, "id", None)) in TRANSACTIONS


def _literal_action(node):
    first = node.args[0] if node.args else None
    return first.value if isinstance(first, ast.Constant) else None


def test_every_audited_change_is_written_in_its_transaction():
    outside = []
    for path, node, inside in _calls():
        action = _literal_action(node)
        if inside or (action is not None and audit.is_event(action)):
            continue
        outside.append(f"{path}:{node.lineno} {ast.unparse(node.args[0])}")
    assert outside == []


def test_the_event_list_names_only_actions_that_exist(app):
    from intranet.admin.audit_log import actions

    assert set(actions()) >= audit.EVENTS


class ChainDown(Exception):
    """The audit log cannot be written (a crash between change and entry, as seen by both)."""


def _failing_chain(monkeypatch):
    def append(*_args, **_kwargs):
        raise ChainDown()

    monkeypatch.setattr(audit, "_append", append)


def test_a_change_whose_audit_entry_fails_is_not_kept(app, monkeypatch, org, coordinator, admin):
    import datetime as dt

    import pytest

    from intranet.auth import services as accounts
    from intranet.core.accounts import Account
    from intranet.directory import services as directory
    from intranet.directory.models import Person
    from intranet.meetings import access as meetings_access
    from intranet.meetings import planning
    from intranet.meetings.models import Meeting
    from intranet.minutes import access, editing
    from intranet.minutes.models import Minutes
    from tests import factories

    held = factories.meeting(
        "Plenum", organization=org, start=dt.datetime(2026, 1, 10, 17), state="held"
    )
    draft = editing.start_minutes(meetings_access.load_context(held), coordinator)
    member = factories.account("member", org, email="m@example.org")
    start = dt.datetime(2031, 3, 3, 18)
    changes = {
        "meeting": lambda: planning.create_meeting(
            planning.MeetingData("Neu", start, start + dt.timedelta(hours=1)), coordinator
        ),
        "person": lambda: directory.create_person(
            {"family_name": "Neu", "given_name": "", "function": "Vorsitz", "organization": org}
        ),
        "minutes": lambda: editing.save_draft(
            access.get_minutes_or_404(draft.id, account=coordinator),
            "Neuer Text",
            "green",
            False,
            Minutes.get_by_id(draft.id).version,
            coordinator,
        ),  # fmt: skip
        "account": lambda: accounts.set_active(member, False, admin),
    }
    _failing_chain(monkeypatch)
    for name, change in changes.items():
        with pytest.raises(ChainDown):
            change()
            pytest.fail(name)  # the change went through without its entry
    assert not Meeting.select().where(Meeting.title == "Neu").exists()
    assert not Person.select().where(Person.family_name == "Neu").exists()
    assert Minutes.get_by_id(draft.id).body != "Neuer Text"
    assert Account.get_by_id(member.id).active
