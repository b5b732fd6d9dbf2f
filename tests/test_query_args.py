"""Query parameters: one parser for numbers and dates, and no value in a query string makes any
address answer with a server error.

The walk is driven by the URL map, like the access matrix: every address that answers GET is
requested once as it is, to learn which query parameters its view reads (a recording
`request.args`), and then with hostile values for each of them.
"""

import ast
import datetime as dt
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from werkzeug.datastructures import ImmutableMultiDict

from intranet.core import query_args
from intranet.core.ids import MAX_ID
from tests.conftest import sign_in
from tests.test_access_matrix import PERMISSION, Walk, build_world, id_rules

INTRANET = Path(__file__).resolve().parent.parent / "intranet"

HOSTILE = [
    str(10**20),
    str(MAX_ID + 1),
    "-1",
    "0",
    "1",
    "x",
    "1e5",
    "",
    "10000",
    "\x00",
    "²",  # a digit to str.isdigit(), not to int()
    " 7",
    "0001-01",
    "0001-01-01",
    "9999-12-31",
    "2027-13",
    "meeting:" + str(10**20),
    "meeting:²",
]

# What the walk must find, so that a recorder that stopped recording cannot pass unnoticed.
KNOWN_READS = {
    ("minutes.archive", "year"),
    ("minutes.archive", "organization"),
    ("minutes.archive", "page"),
    ("minutes.compare", "a"),
    ("minutes.compare", "b"),
    ("meetings.calendar", "month"),
    ("meetings.show", "invited"),
    ("directory.contacts", "organization"),
    ("admin.audit_log", "since"),
    ("admin.audit_log", "organization"),
    ("attachments.new", "owner"),
}


# --- The parser ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1", 1),
        ("007", 7),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        (str(10**20), None),
        ("0", None),
        ("-1", None),
        ("+1", None),
        (" 1", None),
        ("1e5", None),
        ("²", None),
        ("١٢", None),  # Arabic-Indic digits
        ("", None),
        (None, None),
    ],
)
def test_ids_have_the_bounds_of_the_id_converter(value, expected):
    assert query_args.parse_id(value) == expected


def test_years_pages_months_and_dates_stay_in_range():
    assert query_args.parse_year("2027") == 2027
    assert [query_args.parse_year(v) for v in ("1899", "2201", "10000", "-1", "1")] == [None] * 5
    assert query_args.parse_page("3") == 3
    assert [query_args.parse_page(v) for v in ("0", "-2", str(10**20), "x", None)] == [1] * 5
    assert query_args.parse_month("2027-03") == dt.date(2027, 3, 1)
    for month in ("2027-13", "2027-00", "0001-01", "99999-01", "2027-3", "2027_03", "²⁰²⁷-03"):
        assert query_args.parse_month(month) is None, month
    assert query_args.parse_date("2027-03-14") == dt.date(2027, 3, 14)
    for day in ("0001-01-01", "9999-12-31", "2027-02-30", "20270314", "x"):
        assert query_args.parse_date(day) is None, day


def test_keys_name_a_known_kind_and_an_id():
    kinds = {"meeting", "minutes"}
    assert query_args.parse_key("meeting:12", kinds) == ("meeting", 12)
    for key in ("meeting:" + str(10**20), "meeting:²", "meeting:0", "person:1", "meeting", None):
        assert query_args.parse_key(key, kinds) is None, key


# --- No view reads a number past the parser ------------------------------------------------------

# `int(request.args…)`, `int(args.get(…))`, `request.args.get(…, type=int)` and the like.
CONVERTED_ARGS = re.compile(r"(?:int|float)\((?:request\.)?args\b|args\.get(?:list)?\([^)]*type=")
NUMBER_CALLS = {"int", "float"}
DATE_CALLS = {"fromisoformat", "strptime"}


def _reads_query(function: ast.AST) -> bool:
    """Whether a function touches `request.args` or takes a parameter called `args`."""
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Attribute)
            and node.attr == "args"
            and isinstance(node.value, ast.Name)
            and node.value.id == "request"
        ):
            return True
    arguments = function.args
    names = [a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs]]
    return "args" in names


def _converts(function: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        called = node.func
        name = called.id if isinstance(called, ast.Name) else getattr(called, "attr", "")
        if name in NUMBER_CALLS | DATE_CALLS:
            found.append(f"{name}() on line {node.lineno}")
        for keyword in node.keywords:
            if keyword.arg == "type":
                found.append(f"type= on line {node.lineno}")
    return found


def test_query_strings_are_read_through_the_parser():
    offenders = []
    for path in sorted(INTRANET.rglob("*.py")):
        if path.name == "query_args.py" and path.parent.name == "core":
            continue
        source = path.read_text()
        relative = path.relative_to(INTRANET.parent)
        offenders += [f"{relative}: {m.group()}" for m in CONVERTED_ARGS.finditer(source)]
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _reads_query(node):
                offenders += [f"{relative}:{node.name}: {c}" for c in _converts(node)]
    assert not offenders, "read numbers and dates with intranet.core.query_args:\n" + "\n".join(
        offenders
    )


# --- Every address, every parameter it reads, every hostile value ---------------------------------


class Recording(ImmutableMultiDict):
    """`request.args` that notes every parameter a view asks for by name."""

    read: set = set()

    def get(self, key, default=None, type=None):  # noqa: A002 (MultiDict's own signature)
        Recording.read.add(key)
        return super().get(key, default, type)

    def getlist(self, key, type=None):  # noqa: A002
        Recording.read.add(key)
        return super().getlist(key, type)

    def __getitem__(self, key):
        Recording.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        Recording.read.add(key)
        return super().__contains__(key)


def recording_request(request_class):
    class RecordingRequest(request_class):
        @property
        def args(self):
            return Recording(super().args.items(multi=True))

    return RecordingRequest


def _addresses(app, world):
    """(account name, address, endpoint) for every GET rule: as the admin where the admin may
    use it, else as the first account that may; rules without arguments also anonymously."""
    kinds = {rule.rule: kind for rule, kind in id_rules(app)}
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        if not rule.arguments:
            with app.test_request_context():
                address = app.url_for(rule.endpoint)
            found += [(name, address, rule.endpoint) for name in ("admin", "coordinator", None)]
            continue
        kind = kinds.get(rule.rule)
        if kind is None:  # a token in the address: unknown tokens only
            args = {argument: "x" for argument in rule.arguments}
            with app.test_request_context():
                found.append((None, app.url_for(rule.endpoint, **args), rule.endpoint))
            continue
        permission = PERMISSION.get(rule.endpoint, lambda account, target: True)
        with app.test_request_context():
            chosen = next(
                (
                    (name, target)
                    for name in world.accounts
                    for target in world.of(kind)
                    if target.sees(world.accounts[name])
                    and permission(world.accounts[name], target)
                ),
                None,
            )
            if chosen is not None:
                name, target = chosen
                found.append((name, app.url_for(rule.endpoint, **target.args), rule.endpoint))
    return found


@pytest.mark.access_matrix  # the same world and walk; `-m "not access_matrix"` skips it
def test_no_query_value_gives_a_server_error(app):
    world = build_world(app)
    walk = Walk(app, world)
    walk.clients[None] = app.test_client()
    walk.hidden_words[None] = set()
    app.request_class = recording_request(app.request_class)

    reads = {}
    for name, address, endpoint in _addresses(app, world):
        Recording.read = set()
        response = walk.request(name, "GET", address, words=False)
        if response is not None:
            reads[(name, address, endpoint)] = set(Recording.read)
    found = {(endpoint, param) for (_n, _a, endpoint), params in reads.items() for param in params}
    missing = KNOWN_READS - found
    assert not missing, f"the walk did not reach these parameters: {sorted(missing)}"

    for (name, address, _endpoint), params in reads.items():
        for param in sorted(params):
            for value in HOSTILE:
                separator = "&" if "?" in address else "?"
                query = urlencode({param: value})
                walk.request(name, "GET", address + separator + query, words=False)
    assert not walk.failures, f"{len(walk.failures)} failures:\n" + "\n".join(walk.failures[:60])


# --- What a person sees with a value out of range -------------------------------------------------


def main_part(response) -> str:
    """The page's main content (the header repeats the address, for the language switch)."""
    body = response.get_data(as_text=True)
    return body[body.index('<main id="main"') : body.index("</main>")]


def test_archive_filters_out_of_range_read_as_absent(client, admin):
    sign_in(client, admin)
    plain = main_part(client.get("/minutes"))
    for query in ("year=10000", "year=-1", "year=1", f"year={10**20}", f"organization={10**20}"):
        response = client.get(f"/minutes?{query}")
        assert response.status_code == 200, query
        assert main_part(response) == plain, query


def test_calendar_month_out_of_range_shows_the_current_month(client, admin):
    sign_in(client, admin)
    current = main_part(client.get("/calendar"))
    for month in ("0001-01", "99999-01", "2027-13", "²⁰²⁷-03"):
        assert main_part(client.get(f"/calendar?month={month}")) == current, month
    assert main_part(client.get("/calendar?month=2031-05")) != current
