"""Load benchmark of the main pages, each as a ratio to a bare Flask app on waitress (`make bench`).

For every demo-data size: start the app as `python app.py` does, sign in as a demo member, drive
each main page with wrk (16 connections) and count its SQL queries in-process. Settings from the
environment: BENCH_SIZES (comma list of 1y, 10y, stress), BENCH_SECONDS (per page), BENCH_PAGES
(comma list of page names, for a quick look at a few).
"""

import datetime as dt
import hashlib
import http.cookiejar
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
RESULTS = ROOT / "bench" / "results"
SIZES = {
    "1y": ["--years", "1"],
    "10y": ["--years", "10"],
    "stress": ["--years", "10", "--scale", "10"],
}
PASSWORD = "Benchmark Passphrase über der Elbe"
CONNECTIONS = 16
THREADS = 2
# Sent by the sign-in and by wrk alike, as one browser sends one User-Agent. Flask-Login keeps a
# hash of the sign-in's address and User-Agent in the session; a request from another one marks
# the session "not fresh", and the server signs and sends a new cookie. wrk sends the cookie it
# was given, not the new one, so with another User-Agent every request paid for that (about
# 0.15 ms of CPU) where a browser pays it once.
USER_AGENT = "intranet-bench"
COMMON_WORD = "Sicherheit"
# What the demo data is made from: when one of these changes, the cached data is rebuilt.
DEMO_SOURCES = [
    "intranet/cli.py",
    "intranet/demo.py",
    "intranet/*/demo.py",
    "intranet/migrations/*.py",
]
TARGETS = {
    "healthz_ratio": 0.5,
    "page_ratio": 0.1,
    "page_p99_ms": 100,
    "years_change_pct": 10,
    "rss_mb": 150,
    "cold_start_s": 2,
}


# --- Demo data, prepared once per size --------------------------------------------------------


def _fingerprint() -> str:
    # The demo places its meetings around the day it is built: a day later, what is upcoming,
    # recent or new for the reader has moved, so the data is built again each day.
    digest = hashlib.sha256(dt.date.today().isoformat().encode())
    for pattern in DEMO_SOURCES:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _database_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'intranet.db'}"


def _prepare(folder: Path) -> dict:
    """A known password for a demo member, a feed token, and the meeting and words to look up."""
    from peewee import fn

    from intranet import create_app
    from intranet.auth.passwords import hash_password
    from intranet.core.accounts import Account
    from intranet.directory.models import Person
    from intranet.meetings import access, feeds
    from intranet.meetings.models import Meeting
    from intranet.platform.db import db, utcnow

    app = create_app({"DATA_DIR": str(folder), "DATABASE_URL": _database_url(folder)})
    with app.app_context(), db.connection_context():
        account = Account.select().where(Account.role == "member").order_by(Account.id).first()
        account.password_hash = hash_password(PASSWORD)
        account.save()
        token = feeds.renew(account)
        visible = access.visible_meetings(account)
        meeting = (
            visible.where(Meeting.start >= utcnow()).order_by(Meeting.start).first()
            or visible.order_by(Meeting.start.desc()).first()
        )
        rare = Person.select(fn.MAX(Person.family_name)).scalar()
    return {"email": account.email, "token": token, "meeting": meeting.id, "rare": rare}


def build(size: str) -> tuple[Path, dict]:
    folder = CACHE / size
    marker = folder / "bench.json"
    fingerprint = _fingerprint()
    if marker.exists():
        info = json.loads(marker.read_text())
        if info.get("fingerprint") == fingerprint:
            return folder, info
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "demo-data", *SIZES[size]],
        cwd=ROOT,
        env=_server_env(folder),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    info = _prepare(folder)
    info["fingerprint"] = fingerprint
    marker.write_text(json.dumps(info))
    print(f"demo data {size}: built in {time.perf_counter() - started:.1f} s", flush=True)
    return folder, info


# --- Processes and HTTP -----------------------------------------------------------------------


def _server_env(folder: Path) -> dict:
    env = dict(os.environ)
    env["INTRANET_DATA_DIR"] = str(folder)
    env["INTRANET_DATABASE_URL"] = _database_url(folder)
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, limit: float = 30.0) -> float:
    """Seconds until `url` first answers 200."""
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.perf_counter() - started
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.01)
    raise RuntimeError(f"{url} did not answer within {limit} s")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _memory(pid: int) -> dict:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = round(int(rest.split()[0]) / 1024, 1)
    return {"rss_mb": values.get("VmRSS"), "peak_rss_mb": values.get("VmHWM")}


class Browser:
    """Just enough of a browser to sign in and fetch a page with the session cookie."""

    def __init__(self, base: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.opener.addheaders = [("User-Agent", USER_AGENT)]

    def get(self, path: str, headers: dict | None = None):
        """Status, headers (looked up without regard to case) and body."""
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:  # 304 and 4xx arrive as errors
            return error.code, error.headers, b""
        with response:
            return response.status, response.headers, response.read()

    def sign_in(self, email: str) -> str:
        _, _, body = self.get("/login")
        token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
        data = urllib.parse.urlencode(
            {"email": email, "password": PASSWORD, "csrf_token": token.decode()}
        ).encode()
        self.opener.open(urllib.request.Request(self.base + "/login", data=data), timeout=30)
        cookies = "; ".join(f"{c.name}={c.value}" for c in self.jar)
        status, _, _ = self.get("/account")
        if status != 200:
            raise RuntimeError(f"sign-in as {email} failed ({status})")
        return cookies


# --- wrk ----------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(url: str, seconds: int, headers: dict | None = None) -> dict:
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    for name, value in {"User-Agent": USER_AGENT, **(headers or {})}.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout
    result = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))}
    for percent in ("50", "99"):
        match = re.search(rf"^\s+{percent}%\s+(\S+)", output, re.M)
        result[f"p{percent}_ms"] = round(_ms(match.group(1)), 2)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    result["bad_responses"] = int(bad.group(1)) if bad else 0
    result["socket_errors"] = errors.group(1).strip() if errors else ""
    return result


def start_ceiling() -> tuple[subprocess.Popen, str]:
    """The ceiling's server, answering at the returned address until `_stop`ped."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "ceiling.py"), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for(url, process)
    except BaseException:
        _stop(process)
        raise
    return process, url


def _wait_until_idle(pid: int, limit: float = 5.0) -> None:
    """Until the process used less than a tenth of a CPU over a tenth of a second."""
    ticks = os.sysconf("SC_CLK_TCK")
    started = time.perf_counter()
    while time.perf_counter() - started < limit:
        before = _cpu_ticks(pid)
        time.sleep(0.1)
        if (_cpu_ticks(pid) - before) / ticks < 0.01:
            return


def _cpu_ticks(pid: int) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime, stime


def measure_ceiling(url: str, seconds: int) -> dict:
    """One look at the ceiling. Each page is measured between two (see `run_size`): this
    machine's speed changes by a third within a minute, and a ceiling taken at the start and
    end of a run of several minutes compared a page with a different machine."""
    return wrk(url, max(1, seconds // 2))


# --- Pages ------------------------------------------------------------------------------------


def pages(info: dict, minutes: bool) -> list[dict]:
    """What to measure: name, path, whether it needs the session, extra headers."""
    feed = "/calendar.ics?token=" + urllib.parse.quote(info["token"])
    rare = urllib.parse.quote(info["rare"])
    listed = [
        {"name": "healthz", "path": "/healthz", "session": False},
        {"name": "start page", "path": "/"},
        {"name": "calendar", "path": "/calendar"},
        {"name": "meeting", "path": f"/meetings/{info['meeting']}"},
        {"name": "search common", "path": f"/search?q={COMMON_WORD}"},
        {"name": "search rare", "path": f"/search?q={rare}"},
        {"name": "contacts", "path": "/contacts"},
        {"name": "contacts htmx", "path": "/contacts?q=a", "headers": {"HX-Request": "true"}},
        {"name": "feed", "path": feed, "session": False},
        {"name": "feed 304", "path": feed, "session": False, "conditional": True},
    ]
    if minutes:
        listed += [
            {"name": "minutes", "path": "/minutes"},
            {"name": "minutes page", "path": None},  # the first minutes listed on /minutes
            {"name": "decisions", "path": "/decisions"},
        ]
    wanted = os.environ.get("BENCH_PAGES")
    if wanted:
        names = {name.strip() for name in wanted.split(",")}
        listed = [page for page in listed if page["name"] in names]
    return listed


def count_queries(folder: Path, info: dict, listed: list[dict]) -> tuple[dict, bool]:
    """SQL statements per page, counted in-process with the test client."""
    from intranet import create_app

    app = create_app({"DATA_DIR": str(folder), "DATABASE_URL": _database_url(folder)})
    client = signed_in_client(app, info["email"])
    counts = {}
    for page in listed:
        path = page["path"]
        if page["name"] == "minutes page":
            path = first_minutes_path(client.get("/minutes").get_data())
        if path is None:
            continue
        client.get(path, headers=page.get("headers", {}))  # warm caches first
        counts[page["name"]] = statements_of(client, path, page.get("headers", {}))
    return counts, "minutes.archive" in app.view_functions


def signed_in_client(app, email: str):
    """A test client signed in through the login form as `email`."""
    client = app.test_client()
    body = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
    client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    return client


def statements_of(client, path: str, headers: dict) -> int:
    """The SQL statements one request for `path` executes."""
    from intranet.platform.db import db

    statements = []
    original = db.obj.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return original(sql, params, *args, **kwargs)

    db.obj.execute_sql = counting
    try:
        client.get(path, headers=headers)
    finally:
        db.obj.execute_sql = original
    return len(statements)


def first_minutes_path(archive: bytes) -> str | None:
    """The first set of minutes the archive lists (its navigation links to /minutes/actions
    and the like come first, so only numbered addresses count)."""
    found = re.search(rb'href="(/minutes/\d+)"', archive)
    return found.group(1).decode() if found else None


def _minutes_page(browser: Browser) -> str | None:
    return first_minutes_path(browser.get("/minutes")[2])


def run_size(size: str, seconds: int, ceiling_url: str) -> dict:
    folder, info = build(size)
    probe = pages(info, minutes=True)
    queries, minutes = count_queries(folder, info, probe)
    listed = pages(info, minutes)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    # waitress warns about its queue depth under load: kept in a log, off the console.
    log = (folder / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "app.py", "--port", str(port)],
        cwd=ROOT,
        env=_server_env(folder),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    result = {"size": size, "pages": {}, "notes": []}
    if not minutes:
        result["notes"].append("minutes: no `minutes.archive` endpoint yet, skipped")
    try:
        _wait_for(base + "/healthz", process, 60)
        result["cold_start_s"] = round(time.perf_counter() - started, 3)
        for page in listed:
            # A fresh sign-in per page: the session notes activity once a minute, and a cookie
            # older than that would make the server write a new one on every request of wrk's,
            # which, unlike a browser, keeps sending the old one.
            browser = Browser(base)
            cookie = browser.sign_in(info["email"])
            path = page["path"]
            if page["name"] == "minutes page":
                path = _minutes_page(browser)
                if path is None:
                    result["notes"].append("minutes page: no minutes listed, skipped")
                    continue
            headers = dict(page.get("headers", {}))
            if page.get("session", True):
                headers["Cookie"] = cookie
            status, response_headers, _ = browser.get(path, headers)
            if page.get("conditional"):
                etag = response_headers.get("ETag")
                if not etag:
                    result["notes"].append(f"{page['name']}: no ETag, skipped")
                    continue
                headers["If-None-Match"] = etag
                status, _, _ = browser.get(path, headers)
            row = {"path": path, "status": status, "queries": queries.get(page["name"])}
            before = measure_ceiling(ceiling_url, seconds)
            row.update(wrk(base + path, seconds, headers))
            # wrk stops at once; the app may still be answering its queue for a moment, which
            # would take from the ceiling's look and flatter the page.
            _wait_until_idle(process.pid)
            after = measure_ceiling(ceiling_url, seconds)
            row["ceiling"] = [before["rps"], after["rps"]]
            row["ceiling_rps"] = (before["rps"] + after["rps"]) / 2
            result["pages"][page["name"]] = row
            print(f"  {size} {page['name']}: {row['rps']:.0f} req/s", flush=True)
        result.update(_memory(process.pid))
    finally:
        _stop(process)
        log.close()
    return result


# --- Report -------------------------------------------------------------------------------------


def _ratio(rps: float, ceiling: float) -> float:
    return round(rps / ceiling, 3) if ceiling else 0.0


def report(run: dict) -> list[str]:
    looks = [rps for result in run["sizes"].values() for row in result["pages"].values()
             for rps in row["ceiling"]]  # fmt: skip
    lines = [
        f"ceiling (bare Flask on waitress, 8 threads): {run['ceiling_rps']:.0f} req/s on average, "
        f"{min(looks, default=0):.0f}–{max(looks, default=0):.0f} from look to look; each page's "
        f"ratio is to the two looks around it; wrk -t{THREADS} -c{CONNECTIONS} "
        f"-d{run['seconds']}s, the ceiling -d{max(1, run['seconds'] // 2)}s",
    ]
    header = (
        f"{'page':<16}{'status':>7}{'req/s':>8}{'ceiling':>8}{'ratio':>7}{'p50 ms':>8}"
        f"{'p99 ms':>8}{'SQL':>5}"
    )
    for size, result in run["sizes"].items():
        lines += [
            "",
            f"[{size}] cold start {result['cold_start_s']:.2f} s, server RSS after the run "
            f"{result['rss_mb']} MB (peak {result['peak_rss_mb']} MB)",
            header,
        ]
        for name, row in result["pages"].items():
            warn = " !" if row["bad_responses"] or row["socket_errors"] else ""
            lines.append(
                f"{name:<16}{row['status']:>7}{row['rps']:>8.0f}{row['ceiling_rps']:>8.0f}"
                f"{row['ratio']:>7.2f}"
                f"{row['p50_ms']:>8.1f}{row['p99_ms']:>8.1f}{row['queries'] or 0:>5}{warn}"
            )
        lines += [f"  note: {note}" for note in result["notes"]]
    if run.get("years_change_pct"):
        lines += ["", "change in req/s from 1 to 10 years:"]
        lines += [f"  {name:<16}{pct:+.0f} %" for name, pct in run["years_change_pct"].items()]
    if run.get("missed"):
        lines += ["", "targets missed:"] + [f"  {text}" for text in run["missed"]]
    else:
        lines += ["", "all targets met"]
    return lines


def check_targets(run: dict) -> list[str]:
    missed = []
    for size, result in run["sizes"].items():
        for name, row in result["pages"].items():
            if name == "healthz":
                if row["ratio"] < TARGETS["healthz_ratio"]:
                    missed.append(f"{size} healthz ratio {row['ratio']:.2f} < 0.5")
                continue
            if row["ratio"] < TARGETS["page_ratio"]:
                missed.append(f"{size} {name} ratio {row['ratio']:.2f} < 0.1")
            if row["p99_ms"] > TARGETS["page_p99_ms"]:
                missed.append(f"{size} {name} p99 {row['p99_ms']:.0f} ms > 100 ms")
        if (result["rss_mb"] or 0) > TARGETS["rss_mb"]:
            missed.append(f"{size} server RSS {result['rss_mb']} MB > 150 MB")
        if result["cold_start_s"] > TARGETS["cold_start_s"]:
            missed.append(f"{size} cold start {result['cold_start_s']:.2f} s > 2 s")
    for name, pct in run.get("years_change_pct", {}).items():
        if abs(pct) > TARGETS["years_change_pct"]:
            missed.append(f"{name} changes {pct:+.0f} % from 1 to 10 years")
    return missed


def main() -> int:
    if not shutil.which("wrk"):
        print("wrk is missing: run `make system-packages`", file=sys.stderr)
        return 2
    sizes = [s.strip() for s in os.environ.get("BENCH_SIZES", "1y,10y,stress").split(",")]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        print(f"unknown BENCH_SIZES {unknown}; known: {', '.join(SIZES)}", file=sys.stderr)
        return 2
    seconds = int(os.environ.get("BENCH_SECONDS", "4"))
    run = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),
        "seconds": seconds,
        "connections": CONNECTIONS,
        "sizes": {},
    }
    ceiling, ceiling_url = start_ceiling()
    try:
        for size in sizes:
            run["sizes"][size] = run_size(size, seconds, ceiling_url)
        run["ceiling_memory"] = _memory(ceiling.pid)
    finally:
        _stop(ceiling)
    rows = [row for result in run["sizes"].values() for row in result["pages"].values()]
    run["ceiling_rps"] = sum(row["ceiling_rps"] for row in rows) / len(rows) if rows else 0.0
    for row in rows:
        row["ratio"] = _ratio(row["rps"], row["ceiling_rps"])
    if "1y" in run["sizes"] and "10y" in run["sizes"]:
        one, ten = run["sizes"]["1y"]["pages"], run["sizes"]["10y"]["pages"]
        run["years_change_pct"] = {
            name: round((ten[name]["rps"] / one[name]["rps"] - 1) * 100, 1)
            for name in one
            if name in ten and one[name]["rps"]
        }
    run["missed"] = check_targets(run)
    lines = report(run)
    print("\n".join(lines))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = run["started"].replace(":", "").replace("-", "")
    for target in (RESULTS / f"{stamp}.json", RESULTS / "latest.json"):
        target.write_text(json.dumps(run, indent=2, ensure_ascii=False) + "\n")
    print(f"\nresults: {RESULTS / 'latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
