"""Before and after, in-process: the CPU per request of two checkouts, measured in turn.

`python bench/compare.py OLD NEW [--size 10y] [--turns 3] [--rounds 3]` runs one process per
checkout and turn (OLD, NEW, OLD, NEW, …). Each signs in as the demo member of the size (the demo
data of `bench.run`, built in each checkout's own `bench/.cache`) and sends every main page
through the test client: five warm-ups, then `--rounds` rounds of 30 requests, the median
process CPU time of each round. The table gives each page's lowest round median per checkout
(the round the neighbours disturbed least) and the change. On a shared machine wall-clock
numbers measure the neighbours; process CPU in alternating turns is the steadier comparison.
The checkouts need `bench/run.py` (the measuring code is this file's, run against each).
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REQUESTS_PER_ROUND = 30


def measure(root: Path, size: str, rounds: int) -> dict[str, list[float]]:
    """Round medians (CPU ms) per page, for the checkout at `root` (run in its own process)."""
    sys.path.insert(0, str(root))
    os.chdir(root)
    from bench import run
    from intranet import create_app

    folder, info = run.build(size)
    app = create_app({"DATA_DIR": str(folder), "DATABASE_URL": run._database_url(folder)})
    client = run.signed_in_client(app, info["email"])
    minutes = re.search(rb'href="(/minutes/\d+)"', client.get("/minutes").get_data())
    pages = {
        "start page": "/",
        "calendar": "/calendar",
        "meeting": f"/meetings/{info['meeting']}",
        "search common": f"/search?q={run.COMMON_WORD}",
        "search rare": "/search?q=Zuwanderung",
        "contacts": "/contacts",
        "minutes": "/minutes",
        "minutes page": minutes.group(1).decode() if minutes else None,
        "decisions": "/decisions",
        "feed": f"/calendar.ics?token={info['token']}",
        "healthz": "/healthz",
    }
    results = {}
    for name, path in pages.items():
        if path is None:
            continue
        for _ in range(5):
            client.get(path)
        medians = []
        for _ in range(rounds):
            times = []
            for _ in range(REQUESTS_PER_ROUND):
                started = time.process_time()
                client.get(path)
                times.append(time.process_time() - started)
            medians.append(statistics.median(times) * 1000)
        results[name] = medians
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--size", default="10y")
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # inside one turn's process: `old` is the checkout to measure
        print(json.dumps(measure(args.old.resolve(), args.size, args.rounds)))
        return 0
    found: dict[Path, dict[str, list[float]]] = {args.old: {}, args.new: {}}
    for _ in range(args.turns):
        for root in (args.old, args.new):
            command = [sys.executable, __file__, str(root), str(root), "--measure"]
            command += ["--size", args.size, "--rounds", str(args.rounds)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            for page, medians in json.loads(done.stdout.splitlines()[-1]).items():
                found[root].setdefault(page, []).extend(medians)
    print(f"{'page':<16}{'old ms':>9}{'new ms':>9}{'change':>9}   ({args.size}, CPU per request)")
    for page, medians in found[args.old].items():
        old, new = min(medians), min(found[args.new].get(page, [float("nan")]))
        print(f"{page:<16}{old:>9.2f}{new:>9.2f}{(new / old - 1) * 100:>+8.0f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
