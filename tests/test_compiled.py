"""The sharing rule's SQL is compiled once per account and position, and replayed exactly."""

from peewee import Context

from intranet.core import compiled
from intranet.meetings import access as meetings_access
from intranet.meetings.models import Meeting
from intranet.minutes.models import Minutes
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

    from intranet.auth.models import Account, Organization
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
    from intranet.auth.models import Organization
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
