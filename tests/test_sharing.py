"""The one object for "who may see this": an item's audience narrows the audience it sits in."""

import pytest

from intranet.core import sharing


class Who:
    def __init__(self, id, organization_id):
        self.id, self.organization_id = id, organization_id
        self.is_authenticated = True


MEETING = sharing.audience("amber", {1, 2}, {9})  # organiser 1, invited 2, person 9


@pytest.mark.parametrize(
    "item, who, expected",
    [
        (MEETING, Who(5, 1), True),
        (MEETING, Who(5, 3), False),
        (MEETING.narrowed("green"), Who(5, 2), True),  # a GREEN item cannot widen an AMBER meeting
        (MEETING.narrowed("green"), Who(5, 3), False),
        (MEETING.narrowed("amber", {1}), Who(5, 2), False),  # narrower: only the organiser
        (MEETING.narrowed("amber", {1}), Who(5, 1), True),
        (MEETING.narrowed("red"), Who(9, None), False),  # the person's organisation is not named
        (sharing.audience("green").narrowed("red", person_ids={9}), Who(9, None), True),
        (sharing.audience("green").narrowed("red", person_ids={9}), Who(8, 1), False),
        (MEETING.narrowed("amber", {1}).narrowed("clear"), Who(5, 2), False),  # three levels
    ],
)
def test_an_item_only_narrows_the_audience_it_sits_in(item, who, expected):
    assert item.visible_to(who) is expected


def test_labels_of_the_chain_decide_what_leaves_the_intranet():
    strict = sharing.audience("amber_strict", {1}).narrowed("green")
    assert strict.labels == ("green", "amber_strict")
    assert not strict.leaves_intranet
    assert sharing.audience("green").narrowed("amber", {1}).leaves_intranet
    assert not sharing.audience("green").narrowed("red", person_ids={1}).leaves_intranet


@pytest.mark.parametrize(
    "inner, outer, expected",
    [
        (sharing.audience("green"), sharing.audience("green"), True),
        (sharing.audience("amber", {1}), sharing.audience("green"), True),
        (sharing.audience("green"), sharing.audience("amber", {1}), False),  # would widen
        (sharing.audience("amber", {1}), sharing.audience("amber", {1, 2}), True),
        (sharing.audience("amber", {1, 3}), sharing.audience("amber", {1, 2}), False),
        (sharing.audience("red", person_ids={9}), sharing.audience("red", person_ids={9, 8}), True),
        (sharing.audience("red", person_ids={7}), sharing.audience("red", person_ids={9}), False),
        # Persons alone say nothing about their organisations.
        (sharing.audience("red", person_ids={9}), sharing.audience("amber", {1}), False),
        (MEETING.narrowed("red"), MEETING.narrowed("green"), True),  # narrower in the same meeting
        (sharing.audience("clear").narrowed("purple"), sharing.audience("red"), True),  # nobody
    ],
)
def test_an_audience_lies_within_another_only_if_it_reaches_nobody_new(inner, outer, expected):
    assert inner.within(outer) is expected
