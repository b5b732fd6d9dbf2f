"""Every page, not only the benchmark's dozen: SQL time and statements per request for each GET
address each role can open, on a copy of a demo size. `python -m bench.sweep [--size stress]
[--top 15]`.

The benchmark measures the main pages under load; a page it does not measure can grow with the
data unseen (the decision register took 130 ms of SQL at the stress size before anyone looked).
This signs in as a member, a coordinator, a reviewer and an administrator (on a copy of the
cached demo data, with their passwords set and the second factor off, since nobody types a code
here), opens every GET route of the app whose arguments it can fill with the demo's ids, and
prints the slowest by SQL time: the best of three requests after one warm-up.
"""

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import run

ROLES = ("member", "coordinator", "reviewer", "admin")


def _prepare_copy(size: str, folder: Path) -> dict:
    """Copy the size's demo data to `folder`; role → e-mail of an account with the benchmark's
    password (an administrator is added: the demo has none)."""
    from intranet import create_app
    from intranet.auth.passwords import hash_password
    from intranet.core.accounts import Account
    from intranet.platform.db import db

    source, info = run.build(size)
    shutil.copytree(source, folder, dirs_exist_ok=True)
    app = create_app({"DATA_DIR": str(folder), "DATABASE_URL": run._database_url(folder)})
    emails = {"member": info["email"]}
    with app.app_context(), db.connection_context():
        for role in ROLES[1:]:
            account = Account.select().where(Account.role == role).order_by(Account.id).first()
            if account is None:
                account = Account(email=f"{role}@bench.example", display_name=role, role=role)
            account.password_hash = hash_password(run.PASSWORD)
            account.must_change_password = False
            account.save()
            emails[role] = account.email
    return emails


def _ids(app) -> dict:
    """A value for each route argument the demo can fill."""
    from intranet.core.accounts import Organization
    from intranet.directory.models import Person
    from intranet.meetings.models import Meeting
    from intranet.minutes.models import Minutes
    from intranet.platform.db import db

    with app.app_context(), db.connection_context():
        organization = Organization.select().order_by(Organization.id).first().id
        return {
            "meeting_id": Meeting.select().order_by(Meeting.start.desc()).first().id,
            "minutes_id": Minutes.select().where(Minutes.state == "released").first().id,
            "organization_id": organization,
            "org_id": organization,
            "person_id": Person.select().order_by(Person.id).first().id,
        }


def sweep(folder: Path, email: str) -> list[tuple[float, int, str]]:
    """(SQL ms, statements, address) of every GET address `email` can open."""
    from flask import url_for

    from intranet import create_app
    from intranet.platform.db import db

    app = create_app(
        {
            "DATA_DIR": str(folder),
            "DATABASE_URL": run._database_url(folder),
            "SECOND_FACTOR_ROLES": [],
        }
    )
    client = run.signed_in_client(app, email)
    ids = _ids(app)
    spent = {"seconds": 0.0, "statements": 0}
    original = db.obj.execute_sql

    def timed(sql, params=None, *args, **kwargs):
        started = time.perf_counter()
        try:
            return original(sql, params, *args, **kwargs)
        finally:
            spent["seconds"] += time.perf_counter() - started
            spent["statements"] += 1

    db.obj.execute_sql = timed
    rows = []
    try:
        for rule in app.url_map.iter_rules():
            if "GET" not in rule.methods or rule.endpoint == "static":
                continue
            if not set(rule.arguments) <= set(ids):
                continue
            with app.test_request_context():
                path = url_for(rule.endpoint, **{name: ids[name] for name in rule.arguments})
            if client.get(path).status_code != 200:
                continue
            best = None
            for _ in range(3):
                spent.update(seconds=0.0, statements=0)
                client.get(path)
                measured = (spent["seconds"] * 1000, spent["statements"])
                best = measured if best is None or measured < best else best
            rows.append((*best, path))
    finally:
        db.obj.execute_sql = original
    return sorted(rows, reverse=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="stress", choices=sorted(run.SIZES))
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary) / args.size
        emails = _prepare_copy(args.size, folder)
        results = {}
        for role in ROLES:
            results[role] = sweep(folder, emails[role])
            print(f"\n[{args.size}] {role}: {len(results[role])} addresses")
            for ms, statements, path in results[role][: args.top]:
                print(f"  {ms:8.2f} ms SQL {statements:4d} statements  {path}")
    run.RESULTS.mkdir(parents=True, exist_ok=True)
    (run.RESULTS / f"sweep-{args.size}.json").write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
