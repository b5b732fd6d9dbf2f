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
                    for item in parent.items:
                        call = item.context_expr
                        name = getattr(getattr(call, "func", None), "attr", None) or getattr(
                            getattr(call, "func", None), "id", None
                        )
                        inside |= name in TRANSACTIONS
            yield path.relative_to(ROOT.parent), node, inside


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


def test_the_event_list_names_only_actions_that_exist():
    from intranet.admin.audit_log import ACTIONS

    assert set(ACTIONS) >= audit.EVENTS
