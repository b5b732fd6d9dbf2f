"""Page benchmark: time and SQL queries per page on a database filled with demo data.

Run with `make benchmark` (or `.venv/bin/python -m tests.benchmark_pages --scale 5`). Not a test:
it prints numbers to compare between versions on the same machine.
"""

import argparse
import statistics
import tempfile
import time

from intranet import create_app
from intranet.auth.passwords import hash_password
from intranet.core.accounts import Account
from intranet.platform.db import db

PASSWORD = "Benchmark Passphrase über der Elbe"
PATHS = [
    "/",
    "/calendar",
    "/meetings",
    "/minutes",
    "/minutes/actions",
    "/contacts",
    "/contacts?q=mueller",
    "/account",
]


class QueryCounter:
    """Counts the SQL statements the database executes."""

    def __init__(self):
        self.count = 0
        self._original = db.obj.execute_sql

    def __enter__(self):
        def counting(sql, params=None, *args, **kwargs):
            self.count += 1
            return self._original(sql, params, *args, **kwargs)

        db.obj.execute_sql = counting
        return self

    def __exit__(self, *exc):
        db.obj.execute_sql = self._original


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--scale", type=int, default=5)
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()

    app = create_app({"DATA_DIR": tempfile.mkdtemp(prefix="bench-"), "SECRET_KEY": "bench"})
    started = time.perf_counter()
    result = app.test_cli_runner().invoke(
        args=["demo-data", "--years", str(args.years), "--scale", str(args.scale)]
    )
    print(result.output.strip(), f"({time.perf_counter() - started:.1f} s)")
    with db.connection_context():
        account = Account.select().where(Account.role == "coordinator").first()
        account.password_hash = hash_password(PASSWORD)
        account.save()
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/login", data={"email": account.email, "password": PASSWORD, "csrf_token": token})

    print(f"{'page':<24}{'status':>7}{'queries':>9}{'median ms':>11}{'p95 ms':>9}")
    for path in PATHS:
        times = []
        for _ in range(args.requests):
            with QueryCounter() as counter:
                start = time.perf_counter()
                response = client.get(path)
                times.append((time.perf_counter() - start) * 1000)
        p95 = statistics.quantiles(times, n=20)[-1]
        print(
            f"{path:<24}{response.status_code:>7}{counter.count:>9}"
            f"{statistics.median(times):>11.1f}{p95:>9.1f}"
        )


if __name__ == "__main__":
    main()
