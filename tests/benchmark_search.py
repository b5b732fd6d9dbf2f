"""Full-text search timing at 1,000 and 10,000 indexed meetings or sets of minutes (not
collected by pytest).

`python tests/benchmark_search.py [--minutes] [--data DIR] [--query Q] [N …]` fills a fresh
database (a temporary SQLite file, or INTRANET_DATABASE_URL) with N meetings of mixed sharing
labels — with `--minutes`, each with minutes in a mixed workflow state and two sections —
indexes them, and times 200 searches twice: the provider alone (visibility, match, rank, count,
snippets) and the whole /search request with every provider and the template. `--help` says more.
"""

import argparse
import contextlib
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intranet import create_app  # noqa: E402
from intranet import demo as forum_demo  # noqa: E402
from intranet.core.accounts import Account  # noqa: E402
from intranet.core.search import HITS_PER_KIND, search_terms  # noqa: E402
from intranet.meetings import search_provider  # noqa: E402
from intranet.meetings.models import Meeting, MeetingOrganization  # noqa: E402
from intranet.minutes import search_index as minutes_search  # noqa: E402
from intranet.minutes import search_provider as minutes_provider  # noqa: E402
from intranet.minutes.models import Minutes, MinutesSection  # noqa: E402
from intranet.platform.db import db, utcnow  # noqa: E402
from tests import factories  # noqa: E402
from tests.conftest import DEFAULT_CONFIG, IsolatedClient, make_app, sign_in  # noqa: E402

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


def prepare(folder, count, with_minutes):
    """The app on `folder`'s database, filled with `count` items unless an earlier run with the
    same `--data` folder did (the filled SQLite file stays there; PostgreSQL keeps its tables)."""
    marker = Path(folder) / f"filled-{count}-{'minutes' if with_minutes else 'meetings'}"
    if marker.exists():
        app = create_app({**DEFAULT_CONFIG, "DATA_DIR": str(Path(folder) / "data")})
        app.test_client_class = IsolatedClient
        return app, False
    app = make_app(Path(folder), TESTING=True)
    marker.touch()
    return app, True


def run(count, with_minutes=False, folder=None, query=None):
    provider = minutes_provider if with_minutes else search_provider
    kind = "sets of minutes" if with_minutes else "meetings"
    with contextlib.ExitStack() as stack:
        if folder is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory())
        app, empty = prepare(folder, count, with_minutes)
        with app.app_context(), app.test_request_context():
            db.connect(reuse_if_open=True)
            rng = random.Random(7)
            if empty:
                organizations = forum_demo.create_organizations(dt.date(2024, 1, 1))
                started = time.perf_counter()
                fill(count, organizations, rng, with_minutes)
                print(
                    f"{count} {kind} indexed in {time.perf_counter() - started:.1f} s "
                    f"({db.obj.__class__.__name__})"
                )
                member = factories.account("member", organizations[3], email="bench@example.org")
            else:
                member = Account.get(Account.email == "bench@example.org")
                print(f"{count} {kind} from an earlier run ({db.obj.__class__.__name__})")
            queries = [query or rng.choice(QUERIES) for _ in range(SEARCHES)]
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("counts", nargs="*", type=int, default=[1000, 10000], metavar="N")
    parser.add_argument("--minutes", action="store_true", help="each meeting with minutes")
    parser.add_argument(
        "--data",
        metavar="DIR",
        help="fill the database in DIR once and search it again on later runs (one N only)",
    )
    parser.add_argument("--query", help="search only this, not the mixed list of queries")
    args = parser.parse_args()
    if args.data and len(args.counts) != 1:
        parser.error("--data needs exactly one N")
    for count in args.counts:
        run(count, args.minutes, args.data, args.query)


if __name__ == "__main__":
    main()
