"""Ids in addresses: every one goes through the bounded `id` converter, so a number beyond the
database's integer range is a 404, never a server error."""

import re

import pytest
from werkzeug.routing.converters import NumberConverter

from intranet.core.ids import IdConverter
from tests.conftest import sign_in
from tests.factories import make_meeting


def test_no_address_uses_the_unbounded_int_converter(app):
    for rule in app.url_map.iter_rules():
        for name, converter in rule._converters.items():
            assert not isinstance(converter, NumberConverter), f"{rule.rule}: use <id:{name}>"
            if name.endswith("_id"):
                assert isinstance(converter, IdConverter), f"{rule.rule}: use <id:{name}>"


def id_rules(app):
    rules = []
    for rule in app.url_map.iter_rules():
        ids = [n for n, c in rule._converters.items() if isinstance(c, IdConverter)]
        if ids:
            rules.append((rule, ids))
    return rules


@pytest.mark.parametrize("value", [2**31, 2**63, 10**30, 0])
def test_ids_beyond_the_integer_range_are_not_found(app, client, coordinator, value):
    sign_in(client, coordinator)
    rules = id_rules(app)
    assert len(rules) >= 25
    for rule, ids in rules:
        for big in ids:
            address = rule.rule
            for name in ids:
                address = re.sub(rf"<id:{name}>", str(value if name == big else 1), address)
            method = "GET" if "GET" in rule.methods else "POST"
            response = client.open(address, method=method)
            assert response.status_code == 404, f"{method} {address}: {response.status_code}"


@pytest.mark.parametrize("written", ["01", "\u0661", "+1", "1.0", "-1"])
def test_only_plain_ascii_numbers_are_ids(client, coordinator, written):
    assert make_meeting().id == 1
    sign_in(client, coordinator)
    assert client.get("/meetings/1").status_code == 200
    assert client.get(f"/meetings/{written}").status_code == 404


def test_the_largest_id_is_still_looked_up(app):
    adapter = app.url_map.bind("localhost")
    assert adapter.match("/meetings/2147483647")[1] == {"meeting_id": 2**31 - 1}
