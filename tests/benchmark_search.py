"""Full-text search timing at 1,000 and 10,000 indexed meetings (not collected by pytest).

`python tests/benchmark_search.py [N …]` fills a fresh database (a temporary SQLite file, or
INTRANET_DATABASE_URL) with N meetings of mixed sharing labels, indexes them, and times 200
searches twice: the meetings provider alone (visibility sub-select, match, rank, count,
snippets) and the whole /search request with both providers and the template.
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
from intranet.core.search import search_terms  # noqa: E402
from intranet.db import db, utcnow  # noqa: E402
from intranet.meetings import search_provider  # noqa: E402
from intranet.meetings.models import Meeting, MeetingOrganization  # noqa: E402
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


def fill(count, organizations, rng):
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


def run(count):
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder), TESTING=True)
        with app.app_context(), app.test_request_context():
            db.connect(reuse_if_open=True)
            organizations = forum_demo.create_organizations(dt.date(2024, 1, 1))
            rng = random.Random(7)
            started = time.perf_counter()
            fill(count, organizations, rng)
            print(
                f"{count} meetings indexed in {time.perf_counter() - started:.1f} s "
                f"({db.obj.__class__.__name__})"
            )
            member = factories.account("member", organizations[3], email="bench@example.org")
            queries = [rng.choice(QUERIES) for _ in range(SEARCHES)]
            timings, hits = [], 0
            for query in queries:
                started = time.perf_counter()
                results = search_provider.find(member, search_terms(query))
                timings.append(time.perf_counter() - started)
                hits += results.total
            report("meetings provider (count, 20 ranked + snippets)", timings)
            print(f"  average visible hits per query: {hits / len(queries):.0f}")

        client = app.test_client()
        sign_in(client, member)
        timings = []
        for query in queries:
            started = time.perf_counter()
            response = client.get("/search", query_string={"q": query})
            timings.append(time.perf_counter() - started)
            assert response.status_code == 200
        report("GET /search (both providers, whole page)", timings)
        with app.app_context():
            db.close()


def main():
    counts = [int(arg) for arg in sys.argv[1:]] or [1000, 10000]
    for count in counts:
        run(count)


if __name__ == "__main__":
    main()
