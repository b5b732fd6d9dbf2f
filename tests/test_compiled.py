"""The sharing rule's SQL is compiled once per account and position, and replayed exactly."""

import re

import peewee
from peewee import JOIN, Context

from intranet.core.accounts import Organization
from intranet.meetings import access as meeting_access
from intranet.meetings import access as meetings_access
from intranet.meetings.models import Meeting
from intranet.minutes.models import Minutes
from intranet.platform import compiled, prepared
from tests import factories
from tests.factories import make_meeting


def rendered(query):
    return query.sql()


def test_a_replayed_clause_is_the_sql_a_fresh_compile_makes(app, member, other_org):
    query = Meeting.select().where(meetings_access.visible_clause(member))
    first = rendered(query)
    entries = len(compiled._cache)
    again = rendered(Meeting.select().where(meetings_access.visible_clause(member)))
    assert again == first and len(compiled._cache) == entries  # replayed, not compiled anew
    # What peewee itself makes of the same rule, without the cache:
    fresh = Meeting.select().where(meetings_access.visible_clause(member).build())
    assert rendered(fresh) == first


def test_each_account_gets_its_own_rule(app, member, other_org, org):
    outsider = factories.account("member", org, email="aussen@example.org")
    amber = make_meeting("Arbeitsgruppe", "amber", organization=other_org)
    make_meeting("Plenum", "green", organization=org)
    red = make_meeting("Vertraulich", "red", organization=org, persons=[outsider])

    def titles(account):
        return sorted(m.title for m in meetings_access.visible_meetings(account))

    for _ in range(2):  # the second round is served from the cache
        assert titles(member) == ["Arbeitsgruppe", "Plenum"]
        assert titles(outsider) == ["Plenum", "Vertraulich"]
    assert amber.id != red.id


def test_the_same_rule_keeps_the_aliases_of_where_it_sits(app, member):
    on_its_own = rendered(Meeting.select().where(meetings_access.visible_clause(member)))[0]
    joined = rendered(
        Minutes.select(Minutes, Meeting).join(Meeting).where(meetings_access.visible_clause(member))
    )[0]
    assert '"t1"."label" IN' in on_its_own
    assert '"t2"."label" IN' in joined and '"t1"."label" IN' not in joined.split("WHERE")[1]


def test_a_different_dialect_never_gets_another_dialects_sql(app, member):
    clause = meetings_access.visible_clause(member)
    question_marks = Context(param="?", quote='""').parse(Meeting.select().where(clause))
    percent = Context(param="%s", quote='""').parse(Meeting.select().where(clause))
    assert "?" in question_marks[0] and "%s" not in question_marks[0]
    assert "%s" in percent[0] and "?" not in percent[0]


def representative_queries(member):
    from peewee import JOIN, fn

    from intranet.core.accounts import Account, Organization
    from intranet.minutes import access

    own = Meeting.alias("own")
    return [
        Meeting.select().where(Meeting.id == 1),
        Minutes.select(Minutes, Meeting).join(Meeting).order_by(Minutes.id),
        access.visible_minutes(member, "view"),
        Account.select(Account, Organization).join(Organization, JOIN.LEFT_OUTER),
        Organization.select(Organization, Account).join(Account),  # the same models, other aliases
        own.select(own.id, own.title).where(own.id.in_(Meeting.select(Meeting.id))),
        Meeting.select(Meeting.title, fn.COUNT(Minutes.id)).join(Minutes).group_by(Meeting.title),
        Meeting.select().where(Meeting.id.in_(Minutes.select(Minutes.meeting))),
    ]


def test_cached_column_lists_are_what_peewee_renders(app, member):
    expected = []
    compiled.install_selection_cache(enabled=False)
    try:
        expected = [query.sql() for query in representative_queries(member)]
    finally:
        compiled.install_selection_cache()
    for _ in range(2):  # rendered, then replayed
        assert [query.sql() for query in representative_queries(member)] == expected


def test_a_rule_on_joined_rows_follows_where_those_rows_sit(app, member):
    """The section's rule reads its meeting's organisation on the joined row: the same section
    alias with the meeting elsewhere in the query must get SQL of its own, never a replay."""
    from intranet.core.accounts import Organization
    from intranet.minutes import access
    from intranet.minutes.models import MinutesSection

    def queries(clause):
        return [
            MinutesSection.select(MinutesSection.id).join(Minutes).join(Meeting).where(clause()),
            MinutesSection.select(MinutesSection.id)
            .join(Organization, on=(MinutesSection.organization == Organization.id))
            .switch(MinutesSection)
            .join(Minutes)
            .join(Meeting)
            .where(clause()),
        ]

    fresh = [rendered(q) for q in queries(lambda: access.section_clause(member).build())]
    for _ in range(2):  # rendered, then replayed
        assert [rendered(q) for q in queries(lambda: access.section_clause(member))] == (fresh)
    assert '"t3"."organization_id"' in fresh[0][0] and '"t4"."organization_id"' in fresh[1][0]


# --- Every rule the intranet builds, replayed against peewee's own rendering --------------------


def _rule_builders():
    """Every module-level `visible_*` / `*_clause` function of the intranet that takes only an
    account (and optional arguments): the SQL twins of the access rules, wherever they live."""
    import ast
    import importlib
    import inspect
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    builders, callers = [], set()
    for path in sorted((root / "intranet").rglob("*.py")):
        module_name = ".".join(path.relative_to(root).with_suffix("").parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef):
                continue
            calls = {
                getattr(inner.func, "attr", getattr(inner.func, "id", None))
                for inner in ast.walk(node)
                if isinstance(inner, ast.Call)
            }
            if "visible_where" in calls and node.name != "visible_where":
                callers.add(f"{module_name}.{node.name}")
            if not (node.name.startswith("visible_") or node.name.endswith("_clause")):
                continue
            function = getattr(importlib.import_module(module_name), node.name)
            parameters = list(inspect.signature(function).parameters.values())
            required = [p for p in parameters if p.default is inspect.Parameter.empty]
            if [p.name for p in required] == ["account"]:
                builders.append((f"{module_name}.{node.name}", function))
    return builders, callers


def _render(result):
    if not hasattr(result, "sql"):  # a clause: in a query, so sub-selects sit in parentheses
        result = Meeting.select(Meeting.id).where(result)
    return result.sql()


_ALIAS = re.compile(r'"(t\d+)"')
_DECLARED = re.compile(r'"(\w+)" AS "(t\d+)"')


def _resolved(sql: str) -> str:
    """The query with each table alias replaced by the table it stands for where it is used:
    its FROM/JOIN in the innermost parenthesised group (or the query itself) that declares it,
    so two renderings compare equal exactly when every column names the same table."""
    groups, parents, spans = [[]], [None], [[0, len(sql)]]
    stack = [0]
    for position, character in enumerate(sql):
        if character == "(":
            groups.append([])
            parents.append(stack[-1])
            spans.append([position, None])
            stack.append(len(groups) - 1)
        elif character == ")":
            spans[stack.pop()][1] = position
    owner = [0] * len(sql)  # the innermost group around each character
    for group, (start, end) in enumerate(spans):
        for position in range(start, end):
            owner[position] = group  # later (inner) groups overwrite earlier (outer) ones
    declared = [{} for _ in groups]
    for match in _DECLARED.finditer(sql):
        group = owner[match.start()]
        declared[group][match.group(2)] = f"{match.group(1)}#{len(declared[group])}"

    def name(match):
        group = owner[match.start()]
        while group is not None and match.group(1) not in declared[group]:
            group = parents[group]
        if group is None:  # a clause's own columns, whose tables the test query leaves out
            return f'"free:{match.group(1)}"'
        return f'"{declared[group][match.group(1)]}@{group}"'

    return _ALIAS.sub(name, sql)


def _fresh_every_time(self, ctx):
    # As `Compiled` places itself (its anchors take their aliases first), without the cache.
    mark = len(ctx._sql)
    for anchor in self.anchors:
        ctx.sql(anchor)
    del ctx._sql[mark:]
    return ctx.sql(self.build())


def test_every_visibility_rule_replays_exactly_what_peewee_renders(
    app, admin, coordinator, reviewer, member, other_org, monkeypatch
):
    builders, callers = _rule_builders()
    names = {name for name, _ in builders}
    # A new rule built on `visible_where` must be found here, or this test no longer covers it.
    assert callers <= names, f"rules outside the visible_*/*_clause naming: {callers - names}"
    assert len(builders) >= 8
    outsider = factories.account("member", email="ohne-organisation@example.org")
    accounts = (admin, coordinator, reviewer, member, outsider)

    def render_all():
        return {
            (name, account.id): (lambda sql, values: (_resolved(sql), values))(
                *_render(function(account))
            )
            for name, function in builders
            for account in accounts
        }

    cached = [render_all(), render_all()]  # compiled, then replayed
    with monkeypatch.context() as uncached:
        uncached.setattr(compiled.Compiled, "__sql__", _fresh_every_time)
        compiled.install_selection_cache(enabled=False)
        try:
            expected = render_all()
        finally:
            compiled.install_selection_cache()
    for rendering in cached:
        differing = [key for key in expected if rendering[key] != expected[key]]
        assert not differing, (differing[0], rendering[differing[0]], expected[differing[0]])


def test_a_rule_whose_parts_capture_values_is_refused(app, member):
    """A lambda or nested function would share one cache key across the values it captures."""
    import pytest

    from intranet.core import sharing

    def naming_organization(organization_id):
        return Meeting.organization == organization_id

    for organizations in (naming_organization, lambda organization_id: Meeting.id == 0):
        with pytest.raises(TypeError, match="module-level"):
            sharing.visible_where(
                member, Meeting.label, Meeting.id, organizations, meeting_access._meetings_naming
            )


def test_peewee_is_the_version_the_replay_was_checked_against():
    """The replay copies peewee's rendering and replaces `ModelSelect.__sql_selection__`: a new
    peewee is a reviewed change (re-read platform/compiled.py against its Context), not a side effect
    of an upgrade."""
    import peewee

    assert peewee.__version__ == "4.5.3"


def test_meeting_and_minutes_rules_look_up_invitations_for_the_rows_asked(app, member):
    """Whether a meeting invites the account's organisation or names the account is one index
    look-up per row the query looks at. A sub-select listing every invitation of the
    organisation (`IN (SELECT …)`) was read in full by every query, and grew with the years."""
    from intranet.meetings import access as meetings
    from intranet.minutes import access as minutes

    rules = [
        meetings.visible_clause,
        meetings.agenda_item_clause,
        meetings.visible_agenda_items,
        minutes.visible_clause,
        minutes.visible_minutes,
        minutes.section_clause,
        minutes.visible_sections,
    ]
    for rule in rules:
        sql = _render(rule(member))[0]
        assert "IN (SELECT" not in sql and "EXISTS" in sql, (rule.__qualname__, sql)


# --- Whole queries compiled once (platform.prepared) ----------------------------------------------


BUILDS = []


def _counted_upcoming(*arguments, **slots):
    from intranet.meetings import start

    BUILDS.append(arguments)
    return start._upcoming(*arguments, **slots)


def test_a_prepared_query_gives_what_the_built_query_gives(
    app, member, org, other_org, monkeypatch
):
    """The start page's meeting queries, run prepared for two readers and two moments, return
    what the same query built and compiled afresh returns: the rule, the answer and the slots
    (a time compared with a datetime column) all filled in for that call."""
    import datetime as dt

    from intranet.core.sharing import Reader
    from intranet.meetings import start
    from intranet.platform.db import utcnow

    outsider = factories.account("member", org, email="aussen2@example.org")
    now = utcnow().replace(microsecond=0)
    for days, label, organizer, invited, persons in (
        (1, "green", org, (), ()),
        (2, "amber", other_org, (), ()),
        (3, "amber", org, (other_org,), ()),
        (4, "red", org, (), (outsider,)),
        (9, "clear", org, (), ()),
    ):
        factories.meeting(
            f"In {days} Tagen",
            label,
            organization=organizer,
            invited=invited,
            persons=persons,
            start=now + dt.timedelta(days=days),
            sequence=1,
        )
    BUILDS.clear()
    # Counted here: the suite's comparison with a fresh build would add builds of its own.
    monkeypatch.setattr(prepared.Prepared, "compare_with_fresh_build", False)
    upcoming = prepared.Prepared(_counted_upcoming)
    for account in (member, outsider):
        reader = Reader.of(account)
        for moment in (now, now + dt.timedelta(days=2, hours=3), now + dt.timedelta(days=30)):
            expected = [(m.id, m.answer, m.invites) for m in start._upcoming(reader, moment)]
            got = [(m.id, m.answer, m.invites) for m in upcoming.run(reader, now=moment)]
            assert got == expected
            since = moment - dt.timedelta(days=14)
            assert [m.id for m in start.RECENTLY_CHANGED.run(reader, now=moment, since=since)] == [
                m.id for m in start._recently_changed(reader, moment, since)
            ]
        assert [m.title for m in upcoming.run(reader, now=now)][:1] == ["In 1 Tagen"]
    assert [(Reader.of(member),), (Reader.of(outsider),)] == BUILDS  # once per reader
    seen = {m.title for m in upcoming.run(Reader.of(outsider), now=now)}
    assert "In 4 Tagen" in seen and "In 2 Tagen" not in seen  # RED names the outsider only


def test_raw_rows_make_the_objects_the_query_gives(app, member, org, other_org):
    """`Prepared.raw` hands over the rows unconverted; `object(row)` makes of each what
    iterating the query gives: the meeting with its converted values, the joined organiser and
    the selected extras."""
    import datetime as dt

    from intranet.core.sharing import Reader
    from intranet.meetings import start
    from intranet.platform.db import utcnow

    now = utcnow().replace(microsecond=0)
    factories.meeting("Eigene", "green", organization=org, start=now + dt.timedelta(days=1))
    factories.meeting(
        "Eingeladen", "green", organization=other_org, invited=[org], start=now + dt.timedelta(2)
    )
    factories.meeting("Ohne Veranstalter", "clear", start=now + dt.timedelta(days=3))
    reader = Reader.of(member)
    expected = list(start.UPCOMING.run(reader, now=now))
    raw = start.UPCOMING.raw(reader, now=now)
    assert len(raw.rows) == len(expected) == 3
    for row, meeting in zip(raw.rows, expected, strict=True):
        made = raw.object(row)
        assert type(made) is Meeting
        assert made.__data__ == meeting.__data__
        assert isinstance(made.start, dt.datetime) and made.start == meeting.start
        assert (made.answer, made.invites, made.names) == (
            meeting.answer,
            meeting.invites,
            meeting.names,
        )
        if meeting.organization_id:
            assert made.organization.name == meeting.organization.name
        else:
            assert made.organization is None


def _with_organiser(after):
    return (
        Meeting.select(Meeting, Organization)
        .join(Organization, JOIN.LEFT_OUTER, on=(Meeting.organization == Organization.id))
        .where(Meeting.start > after)
        .order_by(Meeting.start)
    )


def test_a_prepared_query_works_out_its_row_objects_once(app, org, monkeypatch):
    """Which column goes to which joined model is worked out on a rendered query's first run,
    which found no rows, and kept: the later runs make the objects a fresh query makes, with
    the organiser joined or None."""
    import datetime as dt

    from intranet.platform.db import utcnow

    monkeypatch.setattr(prepared.Prepared, "compare_with_fresh_build", False)
    worked_out = []
    initialize = peewee.ModelCursorWrapper.initialize
    monkeypatch.setattr(
        peewee.ModelCursorWrapper,
        "initialize",
        lambda wrapper: worked_out.append(wrapper) or initialize(wrapper),
    )
    now = utcnow().replace(microsecond=0)
    with_organiser = prepared.Prepared(_with_organiser)
    assert list(with_organiser.run(after=now)) == []
    factories.meeting("Eigene", "green", organization=org, start=now + dt.timedelta(days=1))
    factories.meeting("Ohne Veranstalter", "clear", start=now + dt.timedelta(days=2))

    def seen(meetings):
        return [
            (m.__data__, m.organization.__data__ if m.organization_id else None) for m in meetings
        ]

    for after in (now, now + dt.timedelta(days=1, hours=1), now):
        fresh = seen(_with_organiser(after))
        assert seen(with_organiser.run(after=after)) == fresh
        assert len(fresh) == (1 if after > now else 2)
    assert len(worked_out) == 1 + 3  # the first run, and each fresh query


def _labelled(label, after):
    return Meeting.select(Meeting.title).where((Meeting.label == label) & (Meeting.start > after))


def test_a_slot_is_converted_as_the_value_it_stands_for(app, org):
    """A slot compared with a field goes through the field's conversion, as a plain value
    would (an enum member to its stored text, a datetime to what the column stores)."""
    import datetime as dt

    from intranet.core.sharing import Label
    from intranet.platform.db import utcnow

    now = utcnow().replace(microsecond=0)
    factories.meeting("Grün", "green", organization=org, start=now + dt.timedelta(days=1))
    factories.meeting("Gelb", "amber", organization=org, start=now + dt.timedelta(days=5))

    labelled_after = prepared.Prepared(_labelled)
    assert [m.title for m in labelled_after.run(label=Label.AMBER, after=now)] == ["Gelb"]
    assert [m.title for m in labelled_after.run(label="green", after=now)] == ["Grün"]
    assert list(labelled_after.run(label="green", after=now + dt.timedelta(days=2))) == []


def test_a_builder_that_captures_values_is_refused():
    import pytest

    meeting_id = 7

    def captures():
        return Meeting.select().where(Meeting.id == meeting_id)

    with pytest.raises(TypeError):
        prepared.Prepared(captures)
    with pytest.raises(TypeError):
        prepared.Prepared(lambda: Meeting.select())
    prepared.Prepared(_counted_upcoming)  # a module-level function takes all it needs


def _with_default(meeting_id=7):
    return Meeting.select().where(Meeting.id == meeting_id)


def _visible_to_signed_in(start):
    # A module-level function without defaults, and still it reads more than its arguments.
    from flask_login import current_user

    return Meeting.select(Meeting.title).where(
        meeting_access.visible_clause(current_user) & (Meeting.start >= start)
    )


def _by_organization(organization_id):
    return Meeting.select(Meeting.title).where(Meeting.organization == organization_id)


def test_a_builder_with_defaults_or_hidden_inputs_is_caught(app, client, member, org, other_org):
    """A default value is refused at once; a builder that reads the signed-in account would
    serve the first reader's rule to everyone, and the suite's comparison with a fresh build
    (on in every test) fails on the second reader; a None slot is refused (peewee would write
    IS NULL, a parameter `= NULL` matches nothing)."""
    import datetime as dt

    import pytest

    from intranet.platform.db import utcnow

    with pytest.raises(TypeError):
        prepared.Prepared(_with_default)
    hidden = prepared.Prepared(_visible_to_signed_in)
    make_meeting("Nur für die andere", "amber", organization=other_org)
    outsider = factories.account("member", other_org, email="andere@example.org")
    start = utcnow() - dt.timedelta(days=1)
    with app.test_request_context("/"):
        from flask_login import login_user

        login_user(member)
        list(hidden.run(start=start))
        login_user(outsider)
        with pytest.raises(AssertionError):
            list(hidden.run(start=start))
    with pytest.raises(ValueError):
        list(prepared.Prepared(_by_organization).run(organization_id=None))


def test_no_page_has_sqlite_read_its_rows_through_the_label_index(app, client, member, org):
    """The sharing rule is an OR over the label: SQLite answered it from the label index,
    which lists nearly every row of every year, instead of the start or change date the
    query narrows by (core.sharing._NotLookedUp). Every statement of the main pages is asked
    for its plan; a rule written without the wrapper shows up here."""
    import pytest

    from intranet.platform.db import db, is_sqlite
    from tests.conftest import sign_in

    if not is_sqlite():
        pytest.skip("SQLite's planner: PostgreSQL plans from statistics")
    meeting = make_meeting("Plenum", "green", organization=org)
    factories.minutes(meeting, state="released")
    sign_in(client, member)
    statements = []
    original = db.obj.execute_sql

    def recording(sql, params=None, *args, **kwargs):
        if sql.lstrip().upper().startswith("SELECT"):
            statements.append((sql, params))
        return original(sql, params, *args, **kwargs)

    db.obj.execute_sql = recording
    try:
        for path in ("/", "/calendar", "/meetings", f"/meetings/{meeting.id}", "/minutes",
                     "/decisions", "/search?q=plenum", "/contacts"):  # fmt: skip
            assert client.get(path).status_code == 200, path
    finally:
        db.obj.execute_sql = original
    assert len(statements) > 20
    for sql, params in statements:
        plan = " ".join(row[3] for row in original(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "meeting_label" not in plan and "minutes_label" not in plan, sql
