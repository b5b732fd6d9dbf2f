"""Real-browser tests: Debian's Chromium through Playwright against a live waitress server,
with axe-core checking every page a test visits."""

import functools
import os
import threading
from pathlib import Path

import pytest

from intranet.platform.db import db
from intranet.platform.serving import make_server
from tests.conftest import make_app

ROOT = Path(__file__).resolve().parents[2]
AXE_PATH = ROOT / "node_modules/axe-core/axe.min.js"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def browser_context_args(live_server):
    return {"base_url": live_server, "locale": "de-DE", "timezone_id": "Europe/Berlin"}


@pytest.fixture
def live_app(tmp_path):
    app = make_app(tmp_path)
    app.config["TESTING"] = False  # behave exactly as in production
    return app


@pytest.fixture
def live_server(live_app):
    server = make_server(live_app, "127.0.0.1", 0, threads=4)
    closing = threading.Event()

    def serve():
        try:
            server.run()
        except OSError:  # the socket closed under the waiting loop: only when we close it
            if not closing.is_set():
                raise

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    closing.set()
    server.close()
    server.task_dispatcher.shutdown()
    if not db.is_closed():
        db.close()


@pytest.fixture
def base_url(live_server):
    return live_server


@functools.cache
def axe_source() -> str:
    """axe-core's script (from `make node-assets`), read when a browser test first needs it:
    without node_modules the other tests still collect and run."""
    return AXE_PATH.read_text()


# No element is waiting for an htmx answer, being swapped or settling (htmx's own classes).
HTMX_IDLE = """() => document.readyState === 'complete' && !document.querySelector(
    '.htmx-request, .htmx-swapping, .htmx-settling')"""


class Accessibility:
    """Runs axe-core on the current page; zero violations is the bar (WCAG 2.1 AA rules)."""

    def __init__(self):
        self.checked = []

    def check(self, page):
        page.wait_for_load_state("load")
        # Until htmx has swapped and settled what it asked for. (Playwright's "networkidle"
        # waits for half a second without requests, on every one of a few hundred checks.)
        page.wait_for_function(HTMX_IDLE)
        if not page.evaluate("() => typeof axe === 'object'"):
            page.evaluate(axe_source())
        result = page.evaluate(
            """() => axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"""
        )
        violations = [
            f"{v['id']}: {v['help']} → {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"]
        ]
        self.checked.append(page.url)
        assert violations == [], f"{page.url}\n" + "\n".join(violations)


@pytest.fixture
def axe():
    return Accessibility()


@pytest.fixture
def console_errors(page):
    """Collect console errors (CSP violations show up here) for a test to assert on.

    A 4xx answer to a form (422 invalid, 401 wrong password) is expected and not counted.
    """
    errors = []
    expected = "Failed to load resource: the server responded with a status of 4"

    def collect(message):
        if message.type == "error" and not message.text.startswith(expected):
            errors.append(message.text)

    page.on("console", collect)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors
