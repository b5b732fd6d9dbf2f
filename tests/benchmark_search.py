"""Full-text search timing at 1,000 and 10,000 indexed meetings or sets of minutes (not
collected by pytest).

`python tests/benchmark_search.py [--minutes] [N …]` fills a fresh database (a temporary SQLite
file, or INTRANET_DATABASE_URL) with N meetings of mixed sharing labels — with `--minutes`, each
with minutes in a mixed workflow state and two sections — indexes them, and times 200 searches
twice: the provider alone (visibility sub-select, match, rank, count, snippets) and the whole
/search request with every provider and the template.
"""

import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intranet import demo as forum_demo  # noqa: E402
from intranet.core.search import HITS_PER_KIND, search_terms  # noqa: E402
from intranet.meetings import search_provider  # noqa: E402
from intranet.meetings.models import Meeting, MeetingOrganization  # noqa: E402
from intranet.minutes import search_index as minutes_search  # noqa: E402
from intranet.minutes.models import Minutes, MinutesSection  # noqa: E402
from intranet.platform.db import db, utcnow  # noqa: E402
from tests import factories  # noqa: E402
from tests.conftest import make_app, sign_in  # noqa: E402

SEARCHES = 200
WORDS = [
    "Sicherheit",
    "Prävention",
    "Übung",
    "Straßenfest",
    "Moschee",
    "Gemeinde",
    "Jugendarbeit",
    "Polizei",
    "Kontakt",
    "Beratung",
    "Radikalisierung",
    "Veranstaltung",
    "Nachbarschaft",
    "Ramadan",
    "Fastenbrechen",
    "Bürgerfest",
    "Verkehr",
    "Schule",
    "Eltern",
    "Frauen",
    "Sprache",
    "Integration",
    "Vertrauen",
    "Austausch",
    "Planung",
    "Bericht",
    "Müller",
    "Özdemir",
    "Großveranstaltung",
    "Öffentlichkeit",
    "Lage",
    "Hinweis",
    "Treffen",
    "Dialog",
    "Kultur",
]
QUERIES = [
    "sicherheit",
    "ubung",
    "Muller",
    "mueller",
    "präv",
    "jugendarbeit schule",
    "polizei dialog lage",
    "xyzzy",
    '"foo AND',
    "strassenfest",
    " ".join(WORDS[:15]),
]


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def report(label, seconds):
    ms = [s * 1000 for s in seconds]
    print(
        f"  {label:<44} median {statistics.median(ms):7.2f} ms   p95 {percentile(ms, 0.95):7.2f} ms"
    )


def text(rng, low, high):
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def fill(count, organizations, rng, with_minutes=False):
    now = utcnow().replace(microsecond=0)
    labels = ["clear", "green", "green", "amber", "red"]
    with db.atomic():
        for _ in range(count):
            start = now + dt.timedelta(days=rng.randint(-700, 200), hours=rng.randint(0, 10))
            meeting = Meeting.create(
                title=" ".join(rng.sample(WORDS, 3)),
                description=" ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 80))),
                start=start,
                end=start + dt.timedelta(hours=2),
                label=rng.choice(labels),
                organization=rng.choice(organizations),
            )
            for org in rng.sample(organizations, 2):
                MeetingOrganization.create(meeting=meeting, organization=org)
            search_provider.index_meeting(meeting)
            if with_minutes:
                minutes = Minutes.create(
                    meeting=meeting,
                    document_key=f"meeting:{meeting.id}",
                    state=rng.choice(["draft", "in_review", "circulating", "released", "released"]),
                    label=meeting.label,
                    body=text(rng, 100, 600),
                )
                for position in (1, 2):
                    MinutesSection.create(
                        minutes=minutes,
                        position=position,
                        title=" ".join(rng.sample(WORDS, 2)),
                        text=text(rng, 20, 120),
                        label=rng.choice(labels),
                        organization=rng.choice(organizations),
                    )
                minutes_search.index_minutes(minutes.id)


def run(count, with_minutes=False):
    provider = minutes_search if with_minutes else search_provider
    kind = "sets of minutes" if with_minutes else "meetings"
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder), TESTING=True)
        with app.app_context(), app.test_request_context():
            db.connect(reuse_if_open=True)
            organizations = forum_demo.create_organizations(dt.date(2024, 1, 1))
            rng = random.Random(7)
            started = time.perf_counter()
            fill(count, organizations, rng, with_minutes)
            print(
                f"{count} {kind} indexed in {time.perf_counter() - started:.1f} s "
                f"({db.obj.__class__.__name__})"
            )
            member = factories.account("member", organizations[3], email="bench@example.org")
            queries = [rng.choice(QUERIES) for _ in range(SEARCHES)]
            timings, hits = [], 0
            for query in queries:
                started = time.perf_counter()
                results = provider.find(member, search_terms(query))
                timings.append(time.perf_counter() - started)
                hits += results.total
            report(f"{kind} provider (count, {HITS_PER_KIND} ranked + snippets)", timings)
            print(f"  average visible hits per query: {hits / len(queries):.0f}")

        client = app.test_client()
        sign_in(client, member)
        timings = []
        for query in queries:
            started = time.perf_counter()
            response = client.get("/search", query_string={"q": query})
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200
        report("GET /search (every provider, whole page)", timings)
        with app.app_context():
            db.close()


def main():
    with_minutes = "--minutes" in sys.argv
    counts = [int(arg) for arg in sys.argv[1:] if arg != "--minutes"] or [1000, 10000]
    for count in counts:
        run(count, with_minutes)


if __name__ == "__main__":
    main()
