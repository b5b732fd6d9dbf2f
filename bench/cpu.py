"""CPU time per request, in-process: the steady companion of `make bench` on a shared machine.

`python -m bench.cpu [--sizes 1y,10y] [--requests 60] [--data DIR …] [--without-replay]` signs in
as the demo member of each size (the same cached demo data as `bench.run`; `--data` adds a folder
made with `flask demo-data`, or an `INTRANET_DATABASE_URL` already filled; `--without-replay`
renders all SQL with peewee alone) and sends each page through the test client: the median
process CPU time of one request after ten warm-ups, its ratio to a bare Flask "hello" measured
the same way in the same run, and the SQL statements of one request.
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


def measure(database_url: str, email: str, requests: int, replay: bool = True) -> dict:
    from intranet import create_app

    app = create_app({"DATABASE_URL": database_url})
    if not replay:
        _without_replay()
    client = run.signed_in_client(app, email)
    archive = client.get("/minutes").get_data(as_text=True)
    minutes_page = re.search(r'href="(/minutes/\d+)"', archive)
    listed = [
        ("start page", "/"),
        ("calendar", "/calendar"),
        ("search common", f"/search?q={run.COMMON_WORD}"),
        ("search rare", "/search?q=Zuwanderung"),
        ("contacts", "/contacts"),
        ("minutes", "/minutes"),
    ]
    if minutes_page:
        listed.append(("minutes page", minutes_page.group(1)))
    results = {}
    for name, path in listed:
        assert client.get(path).status_code == 200, path
        queries = run.statements_of(client, path, {})
        cpu = _median_cpu(lambda path=path: client.get(path), requests)
        results[name] = {"cpu_ms": round(cpu, 2), "queries": queries}
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1y,10y")
    parser.add_argument("--requests", type=int, default=60)
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
    ceiling = ceiling_ms(args.requests)
    print(f"bare Flask hello: {ceiling:.3f} ms CPU per request (test client)")
    sizes = {}
    for size, url, email in targets:
        sizes[size] = measure(url, email, args.requests, replay=not args.without_replay)
        print(f"\n[{size}]  {'page':<14}{'CPU ms':>8}{'ratio':>8}{'SQL':>5}")
        for name, row in sizes[size].items():
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
