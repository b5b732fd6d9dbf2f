"""The minutes' access rule as a table (role × label × state × action) and its SQL twin."""

import itertools

import pytest

from intranet.core import sharing
from intranet.core.accounts import Account, Organization
from intranet.meetings.access import MeetingContext
from intranet.meetings.models import Meeting
from intranet.minutes import access as minutes_access
from intranet.minutes import rules
from intranet.minutes.models import STATES, Minutes, MinutesSection
from tests import factories

ROLES = ("admin", "coordinator", "reviewer", "member")
READING = ("view", "list", "search")


def expected(role, state, action, label, cleared):
    """The rule in the words of the forum's description, written apart from the code's table."""
    if not cleared:
        return False  # the label always applies, to every role
    everyone = set(ROLES)
    readers = {
        "draft": {"coordinator"},
        "in_review": {"coordinator", "reviewer"},
        "circulating": everyone,
        "released": everyone,
    }
    if action in READING:
        return role in readers[state]
    if action in ("download", "export"):
        return state == "released" and label not in ("amber_strict", "red")
    steps = {
        "edit": ("draft", {"coordinator"}),
        "submit": ("draft", {"coordinator"}),
        "approve": ("in_review", {"reviewer"}),
        "return": ("in_review", {"reviewer"}),
        "comment": ("circulating", everyone),
        "object": ("circulating", everyone),
        "consent": ("circulating", everyone),
        "resolve": ("circulating", {"coordinator"}),
        "withdraw": ("circulating", {"coordinator"}),
        "release": ("circulating", {"coordinator"}),
        "correct": ("released", {"coordinator"}),
        "confirm_read": ("released", everyone),
        "confirmations": ("released", {"coordinator"}),
    }
    if action == "track":
        return role == "coordinator"
    if action == "compare":  # the history of the text, for those who write and check it
        return role == "coordinator" or (role == "reviewer" and state != "draft")
    allowed_state, roles = steps[action]
    return state == allowed_state and role in roles


class Who:
    def __init__(self, id, organization_id, role):
        self.id, self.organization_id, self.role = id, organization_id, role
        self.is_authenticated = True


def context(label, state):
    """Minutes of a GREEN meeting organised by organisation 10 and naming person 3."""
    meeting = Meeting(id=1, label="green", organization=10)
    minutes = Minutes(id=1, label=label, state=state, meeting=meeting)
    return minutes_access.MinutesContext(minutes, MeetingContext(meeting, [], [Account(id=3)]))


@pytest.mark.parametrize("action", rules.ACTIONS)
@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("label", sharing.LABELS)
@pytest.mark.parametrize("role", ROLES)
def test_permission_table(role, label, state, action):
    item = context(label, state)
    named = Who(3, 10, role)  # in the organisation named, and the person named
    outsider = Who(4, 11, role)  # neither
    assert rules.may(named, item, action) is expected(role, state, action, label, True)
    outsider_cleared = label in sharing.FORUM_LABELS
    assert rules.may(outsider, item, action) is expected(
        role, state, action, label, outsider_cleared
    )


def test_anonymous_may_nothing():
    class Anonymous:
        is_authenticated = False

    assert not any(rules.may(Anonymous(), context("clear", s), "view") for s in STATES)


def test_an_invisible_meeting_hides_its_minutes_whatever_their_label():
    meeting = Meeting(id=1, label="red", organization=10)
    minutes = Minutes(id=1, label="green", state="released", meeting=meeting)
    item = minutes_access.MinutesContext(minutes, MeetingContext(meeting, [], [Account(id=3)]))
    assert not rules.may(Who(4, 10, "coordinator"), item, "view")
    assert rules.may(Who(3, 10, "member"), item, "view")


@pytest.mark.parametrize(
    "section_label, section_org, account, expected_visible",
    [
        ("green", None, Who(4, 11, "member"), True),
        ("amber", 12, Who(4, 12, "member"), True),  # the section's own organisation
        ("amber", None, Who(4, 10, "member"), True),  # the organiser
        ("amber", 12, Who(4, 11, "member"), False),  # invited to the meeting, not named here
        ("amber_strict", 12, Who(4, 11, "coordinator"), False),
        ("red", None, Who(3, 11, "member"), True),
        ("red", None, Who(4, 10, "coordinator"), False),
    ],
)
def test_section_label_narrows_the_audience(section_label, section_org, account, expected_visible):
    meeting = Meeting(id=1, label="green", organization=10)
    minutes = Minutes(id=1, label="green", state="released", meeting=meeting)
    item = minutes_access.MinutesContext(
        minutes, MeetingContext(meeting, [Organization(id=11)], [Account(id=3)])
    )
    section = MinutesSection(label=section_label, organization=section_org)
    assert item.section_visible(account, section) is expected_visible


def test_sql_rule_and_python_rule_agree(app, org, other_org):
    """The WHERE clause for lists and the rule for single minutes (and sections) never disagree,
    for every role × label × state × organisation/person combination."""
    third = factories.organization("Dritte")
    accounts = [
        factories.account(role, organization)
        for role, organization in itertools.product(ROLES, (None, org, other_org, third))
    ]
    named = [accounts[5], accounts[10]]  # a coordinator of org, a reviewer of other_org
    meeting_shapes = [
        ("green", None, (), ()),
        ("amber", org, (), ()),
        ("amber", None, (other_org,), ()),
        ("amber_strict", other_org, (third,), ()),
        ("red", org, (), named),
        ("green", org, (other_org,), named),
    ]
    for n, (m_label, organizer, invited, persons) in enumerate(meeting_shapes):
        for state in STATES:
            for label in sharing.LABELS:
                meeting = factories.meeting(f"T{n}", m_label, organizer, invited, persons)
                minutes = factories.minutes(meeting, state, label)
                for s_label in sharing.LABELS:
                    for s_org in (None, third):
                        MinutesSection.create(
                            minutes=minutes, title="TOP", label=s_label, organization=s_org
                        )
    contexts = [
        minutes_access.context_for(m) for m in Minutes.select(Minutes, Meeting).join(Meeting)
    ]
    sections = list(MinutesSection.select())
    seen = set()
    for account in accounts:
        in_sql = {m.id for m in minutes_access.visible_minutes(account, "view")}
        in_python = {c.minutes.id for c in contexts if c.may(account, "view")}
        assert in_sql == in_python, (account.role, account.organization_id)
        by_id = {c.minutes.id: c for c in contexts}
        sections_sql = {s.id for s in minutes_access.visible_sections(account)}
        sections_python = {
            s.id for s in sections if by_id[s.minutes_id].section_visible(account, s)
        }
        assert sections_sql == sections_python, (account.role, account.organization_id)
        seen.add(frozenset(sections_sql))
    assert len(seen) > 8  # the combinations really differ; nobody sees all or nothing alike


def test_readme_prints_the_table_the_code_uses():
    """People read the table in README.md; it must say what the code does."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    order = ("coordinator", "reviewer", "member", "admin")
    for action, row in rules.TABLE.items():
        cells = [
            "–" if not roles else "all" if set(roles) == set(order)
            else ", ".join(r for r in order if r in roles)
            for roles in row
        ]  # fmt: skip
        assert f"| `{action}` | " + " | ".join(cells) + " |" in readme, action
