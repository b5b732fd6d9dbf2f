"""GET /search: one box over meetings and contacts, with each area's visibility rule."""

import pytest

from tests import factories
from tests.conftest import sign_in
from tests.test_directory import person
from tests.test_meetings import make_meeting


@pytest.fixture
def world(app, org, other_org, member, coordinator):
    named = factories.account("member", other_org, email="benannt@example.org")
    make_meeting("Präventionsrunde offen", invited=[org])
    make_meeting("Präventionsrunde Amber", label="amber", organization=org)
    make_meeting("Präventionsrunde Rot", label="red", persons=[named])
    person(org, given_name="Ayşe", family_name="Özdemir", function="Prävention")
    return {"named": named}


@pytest.mark.parametrize(
    "who, expected",
    [
        ("member", {"Präventionsrunde offen"}),  # other_org: not on the AMBER meeting
        ("coordinator", {"Präventionsrunde offen", "Präventionsrunde Amber"}),  # org
        ("named", {"Präventionsrunde offen", "Präventionsrunde Rot"}),
        ("admin", {"Präventionsrunde offen"}),  # no organisation, not named
    ],
)
def test_meeting_hits_follow_the_sharing_label(request, client, world, who, expected):
    account = world["named"] if who == "named" else request.getfixturevalue(who)
    sign_in(client, account)
    page = client.get("/search?q=präventionsrunde").get_data(as_text=True)
    found = {
        t
        for t in ("Präventionsrunde offen", "Präventionsrunde Amber", "Präventionsrunde Rot")
        if t in page
    }
    assert found == expected


def test_contacts_are_found_without_accents_and_hidden_fields_stay_hidden(client, world, member):
    sign_in(client, member)
    page = client.get("/search?q=ozdemir").get_data(as_text=True)
    assert "Ayşe Özdemir" in page
    assert "@" not in page.split('id="search-people"')[1].split("</section>")[0]


@pytest.mark.parametrize(
    "query", ["%", "_", '"', "' OR 1=1 --", "\\", "*", "a" * 500, "\u202egnp.exe"]
)
def test_query_syntax_is_harmless(client, world, member, query):
    sign_in(client, member)
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    assert "Präventionsrunde" not in response.get_data(as_text=True)


def test_short_or_empty_query_asks_for_more(client, member):
    sign_in(client, member)
    assert "mindestens 2 Zeichen" in client.get("/search?q=a").get_data(as_text=True)
    assert client.get("/search").status_code == 200


def test_search_needs_sign_in(client):
    response = client.get("/search?q=runde")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
