"""CPU time per request, in-process: the steady companion of `make bench` on a shared machine.

`python -m bench.cpu [--sizes 1y,10y] [--requests 60] [--rounds 3] [--data DIR …]
[--without-replay]` signs in as the demo member of each size (the same cached demo data as
`bench.run`; `--data` adds a folder made with `flask demo-data`, or an `INTRANET_DATABASE_URL`
already filled; `--without-replay` renders all SQL with peewee alone) and sends each page
through the test client: the process CPU time of one request, its ratio to a bare Flask "hello"
measured the same way, and the SQL statements of one request.

The sizes take turns: each round measures every size once (the median of `--requests` requests
per page after ten warm-ups), and a page's figure is its lowest round median. This machine's
speed changes by a third from one minute to the next; measured one after the other, the sizes
compared two different machines.
Process CPU time does not count what other programs on the machine do; wall-clock wrk numbers do.
"""

import argparse
import os
import re
import statistics
import sys
import time
from pathlib import Path

from bench import run

WARM_UPS = 10


def _median_cpu(get, requests: int) -> float:
    for _ in range(WARM_UPS):
        get()
    times = []
    for _ in range(requests):
        started = time.process_time()
        get()
        times.append(time.process_time() - started)
    return statistics.median(times) * 1000


def ceiling_ms(requests: int) -> float:
    from flask import Flask

    app = Flask("ceiling")
    app.add_url_rule("/", "hello", lambda: "hello")
    client = app.test_client()
    return _median_cpu(lambda: client.get("/"), requests * 5)


def _member(database_url: str) -> dict:
    """A demo member with the benchmark password, the way `bench.run` prepares one."""
    from intranet import create_app
    from intranet.auth.passwords import hash_password
    from intranet.core.accounts import Account
    from intranet.platform.db import db

    app = create_app({"DATABASE_URL": database_url})
    with app.app_context(), db.connection_context():
        account = Account.select().where(Account.role == "member").order_by(Account.id).first()
        account.password_hash = hash_password(run.PASSWORD)
        account.save()
    return {"email": account.email}


def _without_replay() -> None:
    """Peewee renders every query itself: what platform.compiled's two caches and the prepared
    queries (platform.prepared) save shows as the difference to a run without this."""
    from intranet.platform import compiled, prepared
    from intranet.platform.db import db

    compiled.Compiled.__sql__ = lambda self, ctx: ctx.sql(self.build())
    compiled.install_selection_cache(enabled=False)
    prepared.Prepared.run = lambda self, *arguments, **values: self.build(
        *arguments, **values
    ).execute()

    def render_every_time(self, key, build):
        query = build()
        return (query, *db.obj.get_sql_context().sql(query).query())

    prepared.RenderCache.get = render_every_time


PAGES = [
    ("start page", "/"),
    ("calendar", "/calendar"),
    ("search common", f"/search?q={run.COMMON_WORD}"),
    ("search rare", "/search?q=Zuwanderung"),
    ("contacts", "/contacts"),
    ("minutes", "/minutes"),
    ("decisions", "/decisions"),
]


class Target:
    """One size's application, signed-in client and pages. The database connection is
    process-wide (`platform.db`): `use()` points it at this size before each round."""

    def __init__(self, name: str, database_url: str, email: str):
        from intranet import create_app

        self.name, self.database_url = name, database_url
        self.app = create_app({"DATABASE_URL": database_url})
        self.client = run.signed_in_client(self.app, email)
        archive = self.client.get("/minutes").get_data(as_text=True)
        minutes_page = re.search(r'href="(/minutes/\d+)"', archive)
        self.pages = PAGES + ([("minutes page", minutes_page.group(1))] if minutes_page else [])
        self.queries = {}
        for name, path in self.pages:
            assert self.client.get(path).status_code == 200, path
            self.queries[name] = run.statements_of(self.client, path, {})

    def use(self) -> None:
        from intranet.platform.db import open_database

        open_database(self.database_url)

    def round(self, requests: int) -> dict[str, float]:
        self.use()
        return {
            name: _median_cpu(lambda path=path: self.client.get(path), requests)
            for name, path in self.pages
        }


def measure(targets: list[Target], requests: int, rounds: int) -> tuple[float, dict]:
    """The ceiling and each target's pages: the lowest round median of each."""
    ceiling = min(ceiling_ms(requests) for _ in range(rounds))
    best: dict[str, dict[str, float]] = {target.name: {} for target in targets}
    for _ in range(rounds):
        for target in targets:
            for name, cpu in target.round(requests).items():
                best[target.name][name] = min(cpu, best[target.name].get(name, cpu))
    results = {
        target.name: {
            name: {"cpu_ms": round(cpu, 2), "queries": target.queries[name]}
            for name, cpu in best[target.name].items()
        }
        for target in targets
    }
    return ceiling, results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1y,10y")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=3, help="turns of every size")
    parser.add_argument("--data", action="append", default=[], help="a demo-data folder")
    parser.add_argument(
        "--without-replay",
        action="store_true",
        help="render all SQL with peewee alone (no platform.compiled caches), to see what they save",
    )
    args = parser.parse_args()
    targets = []
    for size in filter(None, args.sizes.split(",")):
        folder, info = run.build(size.strip())
        targets.append((size, run._database_url(folder), info["email"]))
    for folder in args.data:
        url = f"sqlite:///{Path(folder).resolve() / 'intranet.db'}"
        targets.append((Path(folder).name, url, _member(url)["email"]))
    if os.environ.get("BENCH_DATABASE_URL"):
        url = os.environ["BENCH_DATABASE_URL"]
        targets.append(("postgresql", url, _member(url)["email"]))
    prepared_targets = [Target(*target) for target in targets]
    if args.without_replay:
        _without_replay()  # after create_app, which installs the caches
    ceiling, sizes = measure(prepared_targets, args.requests, args.rounds)
    print(f"bare Flask hello: {ceiling:.3f} ms CPU per request (test client)")
    for size, pages in sizes.items():
        print(f"\n[{size}]  {'page':<14}{'CPU ms':>8}{'ratio':>8}{'SQL':>5}")
        for name, row in pages.items():
            ratio = ceiling / row["cpu_ms"] if row["cpu_ms"] else 0
            print(f"      {name:<14}{row['cpu_ms']:>8.2f}{ratio:>8.3f}{row['queries']:>5}")
    if "1y" in sizes and "10y" in sizes:
        print("\nchange in CPU per request from 1 to 10 years:")
        for name, row in sizes["10y"].items():
            one = sizes["1y"].get(name)
            if one and one["cpu_ms"]:
                print(f"  {name:<16}{(row['cpu_ms'] / one['cpu_ms'] - 1) * 100:+.0f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
