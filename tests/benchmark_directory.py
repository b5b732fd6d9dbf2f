"""Search timing at 5,000 people: `make benchmark` (not collected by pytest; prints ms).

Fills a fresh database (a temporary SQLite file, or INTRANET_DATABASE_URL) through the demo
generator, then times 200 searches twice: the query alone, and the whole htmx request
(routing, session, query, template) through the test client.
"""

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from intranet import demo as forum_demo  # noqa: E402
from intranet.directory import demo, search  # noqa: E402
from intranet.directory.models import Person  # noqa: E402
from intranet.platform.db import db  # noqa: E402
from tests import factories  # noqa: E402
from tests.conftest import make_app, sign_in  # noqa: E402

PEOPLE = 5000
SEARCHES = 200
TERMS = [
    "ozdemir",
    "Muller",
    "Mueller",
    "kar",
    "al-hassan",
    "vorsitz",
    "الحسن",
    "zarema u",
    "imam",
    "xyz",
    "schr",
    "Gül",
    "rahimi",
    "şahin",
    "o",
    "bis",
]


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def report(label, seconds):
    ms = [s * 1000 for s in seconds]
    print(
        f"{label:<42} median {statistics.median(ms):6.2f} ms   p95 {percentile(ms, 0.95):6.2f} ms"
    )


def main():
    import datetime as dt

    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder), TESTING=True)
        with app.app_context():
            db.connect(reuse_if_open=True)
            organizations = forum_demo.create_organizations(dt.date(2024, 1, 1))
            rng = random.Random(5)
            started = time.perf_counter()
            while Person.select().count() < PEOPLE:
                demo.populate(organizations, scale=10, rng=rng)
            Person.delete().where(
                Person.id.not_in(Person.select(Person.id).order_by(Person.id).limit(PEOPLE))
            ).execute()
            print(
                f"filled {Person.select().count()} people in {time.perf_counter() - started:.1f} s "
                f"({db.obj.__class__.__name__})"
            )
            member = factories.account("member", organizations[3], email="bench@example.org")

            queries = [rng.choice(TERMS) for _ in range(SEARCHES)]
            timings = []
            for term in queries:
                started = time.perf_counter()
                filters = search.Filters(q=term)
                query = search.people(filters)
                query.count()
                list(query.paginate(1, 50))
                timings.append(time.perf_counter() - started)
            report("search query (count + first 50 rows)", timings)

            client = app.test_client()
            sign_in(client, member)
            counted = []
            original = db.obj.execute_sql

            def counting(sql, params=None, *args, **kwargs):
                counted.append(sql)
                return original(sql, params, *args, **kwargs)

            db.obj.execute_sql = counting
            timings = []
            for term in queries:
                started = time.perf_counter()
                response = client.get(
                    "/contacts",
                    query_string={"q": term},
                    headers={"HX-Request": "true", "HX-Target": "contact-results"},
                )
                timings.append(time.perf_counter() - started)
                assert response.status_code == 200
            print(f"SQL statements per htmx search request: {len(counted) / len(queries):.1f}")
            report("htmx search request (whole response)", timings)
            counted.clear()
            timings = []
            for _ in range(50):
                started = time.perf_counter()
                client.get("/contacts")
                timings.append(time.perf_counter() - started)
            print(f"SQL statements per full list page: {len(counted) / 50:.1f}")
            report("full /contacts page (first 50 of 5,000)", timings)
            db.obj.execute_sql = original
            db.close()


if __name__ == "__main__":
    main()
