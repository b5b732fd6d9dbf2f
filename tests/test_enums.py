"""States, roles and kinds are spelled through their enums, and the enums change nothing that
leaves the code: stored values, JSON, CSV, form choices and templates see the same strings.

The guard reads every module under intranet/ (with `ast`) for a comparison of a stored field
with a bare string that is one of its enum's values (`minutes.state == "released"`,
`role in ("coordinator", "admin")`, `.where(Account.role == "admin")`, `.in_(("open", …))`):
such a literal bypasses the one place the codes are defined, and a typo in it fails silently.
"""

import ast
import csv
import enum
import importlib
import io
import json
from fnmatch import fnmatch
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from intranet.core.accounts import Account, Organization, Role
from intranet.core.sharing import Label
from intranet.minutes.models import MinutesState
from tests import factories

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "intranet"

# Where an enum's values are stored or passed around: the names (attribute, variable,
# getattr/subscript key) that the compared side ends in. A comparison of such a name with a
# value of that enum is a bypassed constant; "yes" compared with a form's `confirm` is not.
FIELDS = {
    "Role": {"role", "roles"},
    "OrganizationKind": {"kind", "organization_kind"},
    "OrganizationStatus": {"status"},
    "Label": {"label", "labels"},
    "MailState": {"state", "states"},
    "MinutesState": {"state", "states", "workflow_state", "from_state", "to_state"},
    "MeetingState": {"state", "states", "workflow_state", "from_state", "to_state"},
    "ActionState": {"state", "states"},
    "DecisionResult": {"result"},
    "CommentKind": {"kind"},
    "InvitationAnswer": {"answer", "value"},
    "AttendanceStatus": {"status"},
    "Visibility": {"visibility", "level"},
    "LinkPurpose": {"purpose"},
    "Delivery": {"choice"},
    "Topic": {"topic"},
}

# Modules that keep bare strings on purpose.
NOT_YET = (
    # Migrations are history: they keep the strings of the day they were written.
    "intranet/migrations/*",
)


def _enums() -> dict[str, type[enum.StrEnum]]:
    """Every StrEnum defined under intranet/, found by reading the code and imported."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = [
            node.name
            for node in tree.body
            if isinstance(node, ast.ClassDef)
            and any(
                (isinstance(base, ast.Name) and base.id in ("LabelledEnum", "StrEnum"))
                or (isinstance(base, ast.Attribute) and base.attr == "StrEnum")
                for base in node.bases
            )
        ]
        if names:
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            imported = importlib.import_module(module)
            found.update({name: getattr(imported, name) for name in names})
    found.pop("LabelledEnum", None)  # the base, without members
    return found


ENUMS = _enums()


def _terminal(node) -> str | None:
    """The name a compared expression ends in: `minutes.state` → "state", `role` → "role",
    `getattr(viewer, "role", None)` → "role", `row["state"]` → "state"."""
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return node.slice.value if isinstance(node.slice.value, str) else None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr":
        key = node.args[1] if len(node.args) > 1 else None
        return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
    return None


def _strings(node) -> list[str]:
    """The bare strings of one side: a constant, or the constants of a tuple, list or set."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [
            e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ]
    return []


def _values_for(name: str | None) -> dict[str, str]:
    """value → enum name, over the enums stored under `name`."""
    if name is None:
        return {}
    name = name.lstrip("_")
    values = {}
    for enum_name, fields in FIELDS.items():
        if name in fields or any(name.endswith(f"_{field}") for field in fields):
            values.update({member.value: enum_name for member in ENUMS[enum_name]})
    return values


def bypassed_constants(source: str) -> list[tuple[int, str, str]]:
    """(line, code, enum) for each comparison of a stored field with a bare value of its enum."""
    found = []
    for node in ast.walk(ast.parse(source)):
        pairs = []
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            for left, right in zip(sides, sides[1:], strict=False):
                pairs += [(left, right), (right, left)]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("in_", "not_in")
        ):
            pairs += [(node.func.value, arg) for arg in node.args]
        for named, literal in pairs:
            values = _values_for(_terminal(named))
            for value in _strings(literal):
                if value in values:
                    found.append((node.lineno, ast.unparse(node), values[value]))
    return found


def _checked_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if not any(fnmatch(relative, pattern) for pattern in NOT_YET):
            yield relative, path


def test_every_enum_says_where_it_is_stored():
    assert set(ENUMS) == set(FIELDS), "add the new enum to FIELDS (or remove a gone one)"


def test_the_guard_finds_bypassed_constants():
    source = (
        'if minutes.state == "released": pass\n'
        'x = current_user.role in ("coordinator", "admin")\n'
        'q = Minutes.select().where(Minutes.state == "draft")\n'
        'q = ActionItem.select().where(ActionItem.state.in_(["open", "done"]))\n'
        'ok = getattr(viewer, "role", None) == "admin"\n'
        # Not bypassing anything: other words, or the enum itself.
        'ok = request.form.get("confirm") == "yes"\n'
        "ok = minutes.state == MinutesState.RELEASED\n"
        'ok = scope == "organization"\n'
    )
    assert sorted(line for line, _code, _enum in bypassed_constants(source)) == [
        1,
        2,
        2,
        3,
        4,
        4,
        5,
    ]


def test_no_module_compares_a_state_role_or_kind_with_a_bare_string():
    found = [
        f"{relative}:{line} {code}  (use {enum_name})"
        for relative, path in _checked_modules()
        for line, code, enum_name in bypassed_constants(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_the_allow_list_names_files_that_exist():
    for pattern in NOT_YET:
        assert list(ROOT.glob(pattern)), pattern


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_members_are_their_strings(name):
    for member in ENUMS[name]:
        assert member == member.value and isinstance(member, str)
        assert str(member) == f"{member}" == member.value
        assert json.dumps({"v": member}) == json.dumps({"v": member.value})
        line = io.StringIO()
        csv.writer(line).writerow([member])
        assert line.getvalue().strip() in (member.value, '""')
        assert {member.value: 1}[member] == 1  # a stored string finds the member's entry


def test_a_member_is_stored_and_read_back_as_its_string(app):
    organization = Organization.create(name="Enum e.V.", kind="authority")
    account = factories.account(role=Role.REVIEWER, organization=organization)
    meeting = factories.meeting(label=Label.AMBER_STRICT)
    minutes = factories.minutes(meeting, state=MinutesState.IN_REVIEW)
    account = Account.get_by_id(account.id)
    assert type(account.role) is str and account.role == "reviewer"
    assert Account.select().where(Account.role == Role.REVIEWER).count() == 1
    assert Account.select().where(Account.role == "reviewer").count() == 1
    stored = type(minutes).get_by_id(minutes.id)
    assert (stored.state, type(meeting).get_by_id(meeting.id).label) == (
        "in_review",
        "amber_strict",
    )


def test_templates_and_forms_see_the_plain_strings(app):
    from intranet.admin.forms import AccountForm

    with app.test_request_context():
        rendered = app.jinja_env.from_string(
            "{{ role }}|{{ role == 'admin' }}|{{ ROLE_LABELS[stored] }}|{{ state }}"
        ).render(role=Role.ADMIN, stored="coordinator", state=MinutesState.RELEASED)
        assert rendered == f"admin|True|{Role.COORDINATOR.label}|released"
        form = AccountForm(meta={"csrf": False})
        assert [(option.data, option.checked) for option in form.role] == [
            ("admin", False),
            ("coordinator", False),
            ("reviewer", False),
            ("member", True),
        ]
        posted = AccountForm(MultiDict({"role": "reviewer"}), meta={"csrf": False})
        assert posted.role.validate(posted) and posted.role.data == Role.REVIEWER
        assert 'value="reviewer"' in str(posted.role) and "checked" in str(list(posted.role)[2])
