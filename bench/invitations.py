"""Does queueing mail slow a page down? (`make bench`, or `python -m bench.invitations`)

The same request, "send invitations" on a meeting (POST /meetings/<id>/state), once for a
meeting whose invited organisation has 40 accounts (40 mails written into the outbox, each with
its calendar file) and once for a meeting of an organisation without accounts that invites only
itself (nobody to mail: no mail job at all). Mail is on; nothing is sent: the outbox is only
written. The page writes one mail job; what the delivery loop does with it (the single mails)
runs between the requests, untimed, and is counted. The two kinds of request alternate,
in-process through the test client, each on a fresh meeting; the medians of wall time and of
process CPU time (steadier on a shared machine: what other programs do is left out) are
compared. The issue's target: the 40-mail page within ±20 % of the other.

Settings: BENCH_INVITATION_ROUNDS (default 30 of each), INTRANET_DATABASE_URL (default: a
SQLite file in a temporary folder; a PostgreSQL URL for that database, which is emptied).
"""

import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
RECIPIENTS = 40
TARGET = 0.20


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from intranet.core import notifications, outbox
    from intranet.core.models import MailJob, OutboxMessage
    from intranet.platform.db import db, utcnow
    from tests import factories
    from tests.conftest import csrf_token, make_app, sign_in

    rounds = int(os.environ.get("BENCH_INVITATION_ROUNDS", "30"))
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder), MAIL_SERVER="127.0.0.1:1", MAIL_FROM="intranet@example.org")
        app.config["TESTING"] = False
        with app.app_context():
            db.connect(reuse_if_open=True)
            home = factories.organization("Veranstaltende Stelle")
            plenary = factories.organization("Plenum mit Konten")
            empty = factories.organization("Ohne Konten")
            coordinator = factories.account("coordinator", home, email="k@example.org")
            # The coordinator's own copy off: the quiet page then queues nothing at all.
            notifications.save(coordinator, {"invitations": "off"}, 7, None)
            for number in range(RECIPIENTS):
                factories.account("member", plenary, email=f"m{number}@example.org")
            client = app.test_client()
            sign_in(client, coordinator)

            def invite(invited) -> tuple[float, float]:
                """Wall and process CPU seconds of one "send invitations" request."""
                start = utcnow().replace(microsecond=0) + dt.timedelta(days=10)
                # Organised by the organisation it invites: without accounts, the page has
                # nobody to mail and writes no mail job at all.
                organiser = home if invited is plenary else empty
                meeting = factories.meeting(
                    "Plenum", organization=organiser, invited=[invited], start=start
                )
                token = csrf_token(client)
                jobs = MailJob.select().count()
                began, began_cpu = time.perf_counter(), time.process_time()
                response = client.post(
                    f"/meetings/{meeting.id}/state", data={"csrf_token": token, "state": "invited"}
                )
                took, took_cpu = time.perf_counter() - began, time.process_time() - began_cpu
                assert response.status_code in (200, 303), response.status_code
                assert MailJob.select().count() - jobs == (invited is plenary)
                return took, took_cpu

            def written() -> int:
                # The page writes one job; the delivery loop its mails (not timed here).
                outbox.expand_jobs()
                return OutboxMessage.select().count()

            for _warm in range(3):
                invite(empty), invite(plenary)
            written()
            OutboxMessage.delete().execute()
            quiet, busy = [], []
            for _round in range(rounds):
                quiet.append(invite(empty))
                queued = written()
                busy.append(invite(plenary))
                assert written() - queued == RECIPIENTS
            assert OutboxMessage.select().count() == rounds * RECIPIENTS

    def median_ms(samples, which):
        return statistics.median(sample[which] for sample in samples) * 1000

    quiet_ms, busy_ms = median_ms(quiet, 0), median_ms(busy, 0)
    quiet_cpu, busy_cpu = median_ms(quiet, 1), median_ms(busy, 1)
    ratio, cpu_ratio = busy_ms / quiet_ms, busy_cpu / quiet_cpu
    result = {
        "database": "postgresql" if os.environ.get("INTRANET_DATABASE_URL") else "sqlite",
        "rounds": rounds,
        "load_average": round(os.getloadavg()[0], 2),
        "no_mail_median_ms": round(quiet_ms, 1),
        "forty_mails_median_ms": round(busy_ms, 1),
        "ratio": round(ratio, 3),
        "no_mail_cpu_median_ms": round(quiet_cpu, 1),
        "forty_mails_cpu_median_ms": round(busy_cpu, 1),
        "cpu_ratio": round(cpu_ratio, 3),
        "within_target": ratio <= 1 + TARGET,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "invitations.json").write_text(json.dumps(result, indent=2))
    print(
        f"Einladen ohne Mail: {quiet_ms:.1f} ms, mit {RECIPIENTS} Mails: {busy_ms:.1f} ms "
        f"(Median aus {rounds}), Verhältnis {ratio:.2f} "
        f"({'im Ziel' if result['within_target'] else 'über dem Ziel'} von ±{TARGET:.0%}); "
        f"CPU-Zeit {quiet_cpu:.1f} ms und {busy_cpu:.1f} ms, Verhältnis {cpu_ratio:.2f}; "
        f"Last {result['load_average']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
