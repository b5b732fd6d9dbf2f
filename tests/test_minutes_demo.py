"""Demo minutes: every workflow state, labels from CLEAR to RED, decisions, action items, a
correction; frozen minutes carry a checksum that matches their text."""

import hashlib
import random

from intranet.minutes import demo
from intranet.minutes.models import ActionItem, Decision, Minutes, ReadConfirmation, Signoff
from tests.test_meetings_demo import TODAY
from tests.test_meetings_demo import run as run_meetings


def test_demo_minutes_cover_every_state_and_label(app):
    meetings = run_meetings(years=2)
    from intranet.core.accounts import Account

    accounts = list(Account.select().order_by(Account.id))
    accounts[1].role = "reviewer"
    accounts[1].save()
    made = demo.populate(meetings, accounts, rng=random.Random(3), today=TODAY)
    assert len(made) == Minutes.select().count() > 10
    assert {m.state for m in made} == {"draft", "in_review", "circulating", "released"}
    assert {"clear", "green", "amber", "red"} <= {m.label for m in made}
    assert Decision.select().exists() and ActionItem.select().exists()
    assert ReadConfirmation.select().exists()
    correction = Minutes.get(Minutes.corrects.is_null(False))
    assert correction.state == "in_review" and correction.corrects.state == "released"
    for m in Minutes.select().where(Minutes.state == "released"):
        assert m.released_sha256 == hashlib.sha256(m.released_text.encode()).hexdigest()
    # The record: numbers per series and year without gaps, chairs, results, sign-offs.
    numbered = Minutes.select().where(Minutes.corrects.is_null())
    by_key = {}
    for m in numbered:
        by_key.setdefault((m.number_key, m.number_year), []).append(m.number)
        assert m.chair and m.actual_start and m.actual_end
    assert all(sorted(n) == list(range(1, len(n) + 1)) for n in by_key.values())
    assert {"unanimous", "majority"} <= {d.result for d in Decision.select()}
    assert Signoff.select().exists()
