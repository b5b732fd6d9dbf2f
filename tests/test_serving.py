"""Waitress's threads take turns (`platform.serving`): one request at a time while each is quick,
in the order they came, and help for the queue when one is slow."""

import threading
import time
import urllib.request

from intranet.auth import passwords
from intranet.platform import serving
from intranet.platform.serving import TakingTurns, make_server

WAIT = 5  # seconds a test waits for something that should happen at once


class Task:
    """What waitress queues for a request: something with service()."""

    def __init__(self, log: list, name: str, hold: threading.Event | None = None, fail=False):
        self.log, self.name, self.hold, self.fail = log, name, hold, fail
        self.done = threading.Event()

    def cancel(self):  # what waitress's shutdown does with a task still queued
        self.done.set()

    def service(self):
        self.log.append(("in", self.name, threading.get_ident()))
        try:
            if self.hold:
                self.hold.wait(WAIT)
            else:
                time.sleep(0.002)
            if self.fail:
                raise RuntimeError("broken request")
        finally:
            self.log.append(("out", self.name, threading.get_ident()))
            self.done.set()


def _until(condition, limit=WAIT):
    ends = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < ends, "gave up waiting"
        time.sleep(0.001)


def _most_inside(log: list) -> int:
    inside = most = 0
    for event, _, _ in log:
        inside += 1 if event == "in" else -1
        most = max(most, inside)
    return most


def _dispatcher(patience: float):
    dispatcher = TakingTurns(4, patience=patience)
    time.sleep(0.05)  # its threads reach their first wait
    return dispatcher


def test_quick_requests_are_served_one_at_a_time_in_order_by_one_thread():
    dispatcher, log = _dispatcher(patience=WAIT), []
    try:
        tasks = [Task(log, str(number)) for number in range(12)]
        for task in tasks:
            dispatcher.add_task(task)
        assert tasks[-1].done.wait(WAIT)
    finally:
        dispatcher.shutdown()
    assert _most_inside(log) == 1
    assert [name for event, name, _ in log if event == "in"] == [str(n) for n in range(12)]
    # The thread that has the turn keeps it while there is work: no hand-over per request.
    assert len({thread for _, _, thread in log}) == 1


def test_a_slow_request_gets_help_for_the_queue_behind_it():
    dispatcher, log, hold = _dispatcher(patience=0.05), [], threading.Event()
    try:
        slow, quick = Task(log, "slow", hold=hold), Task(log, "quick")
        dispatcher.add_task(slow)
        dispatcher.add_task(quick)
        started = time.monotonic()
        assert quick.done.wait(WAIT), "the queue waited for the slow request to end"
        assert time.monotonic() - started >= 0.04  # after its patience, not at once
        assert not slow.done.is_set()
        hold.set()
        assert slow.done.wait(WAIT)
    finally:
        dispatcher.shutdown()
    assert _most_inside(log) == 2


def test_a_second_slow_request_does_not_hold_up_the_queue_either():
    """Slow, slow, quick: when the thread that watched the queue takes the turn for the second
    slow request, another one watches for the quick one behind it."""
    dispatcher, log = _dispatcher(patience=0.05), []
    first_hold, second_hold = threading.Event(), threading.Event()
    try:
        first = Task(log, "first slow", hold=first_hold)
        dispatcher.add_task(first)
        _until(lambda: dispatcher._started is not None)
        second, quick = Task(log, "second slow", hold=second_hold), Task(log, "quick")
        dispatcher.add_task(second)
        dispatcher.add_task(quick)
        assert quick.done.wait(WAIT), "the quick request waited for a slow one to end"
        assert not first.done.is_set() and not second.done.is_set()
    finally:
        first_hold.set()
        second_hold.set()
        dispatcher.shutdown()
    assert _most_inside(log) == 3


def test_a_request_that_steps_aside_lets_the_queue_on_at_once():
    """A sign-in's password check waits a tenth of a second or more without Python: the
    requests behind it need not wait the patience first."""
    dispatcher, log, hold = _dispatcher(patience=WAIT), [], threading.Event()

    class PasswordCheck(Task):
        def service(self):
            serving.step_aside()
            super().service()

    try:
        check, quick = PasswordCheck(log, "password", hold=hold), Task(log, "quick")
        dispatcher.add_task(check)
        _until(lambda: dispatcher._started is not None)
        dispatcher.add_task(quick)
        assert quick.done.wait(1), "the quick request waited for the patience"
        assert not check.done.is_set()
    finally:
        hold.set()
        dispatcher.shutdown()


def test_password_hashing_steps_aside_and_does_nothing_outside_a_server(monkeypatch):
    calls = []
    serving.step_aside()  # no served request on this thread: nothing happens
    monkeypatch.setattr(serving, "step_aside", lambda: calls.append(1))
    hashed = passwords.hash_password("correct horse battery staple")
    assert passwords.verify_password(hashed, "correct horse battery staple")
    assert calls == [1, 1]


def test_a_quick_request_keeps_the_next_one_waiting():
    dispatcher, log, hold = _dispatcher(patience=WAIT), [], threading.Event()
    try:
        first, second = Task(log, "first", hold=hold), Task(log, "second")
        dispatcher.add_task(first)
        dispatcher.add_task(second)
        assert not second.done.wait(0.3)
        hold.set()
        assert second.done.wait(WAIT)
    finally:
        dispatcher.shutdown()
    assert _most_inside(log) == 1


def test_a_failing_request_does_not_stop_the_queue():
    dispatcher, log = _dispatcher(patience=WAIT), []
    try:
        broken, after = Task(log, "broken", fail=True), Task(log, "after")
        dispatcher.add_task(broken)
        dispatcher.add_task(after)
        assert after.done.wait(WAIT)
    finally:
        dispatcher.shutdown()


def test_idle_threads_sleep_until_there_is_work_and_stop_on_shutdown():
    dispatcher, log = _dispatcher(patience=0.05), []
    try:
        first, second = Task(log, "first"), Task(log, "second")
        dispatcher.add_task(first)
        assert first.done.wait(WAIT)
        time.sleep(0.1)
        assert dispatcher._until_slow() is None  # nothing waits: no thread looks at the clock
        dispatcher.add_task(second)
        assert second.done.wait(WAIT)
    finally:
        assert dispatcher.shutdown(timeout=WAIT)
    assert not dispatcher.threads  # every thread stopped


def test_the_server_answers_concurrent_requests_one_at_a_time(app):
    inside, most = [], []

    def counting(environ, start_response):
        inside.append(1)
        most.append(len(inside))
        try:
            return app(environ, start_response)
        finally:
            inside.pop()

    server = make_server(app, "127.0.0.1", 0, 4)
    server.application = counting
    loop = threading.Thread(target=server.run, daemon=True)
    loop.start()
    statuses = []

    def fetch():
        with urllib.request.urlopen(f"http://127.0.0.1:{server.effective_port}/healthz") as r:
            statuses.append(r.status)

    try:
        clients = [threading.Thread(target=fetch) for _ in range(12)]
        for client in clients:
            client.start()
        for client in clients:
            client.join(WAIT)
    finally:
        server.trigger.pull_trigger(server.close)
        assert server.task_dispatcher.shutdown(timeout=WAIT)
    assert statuses == [200] * 12
    assert max(most) == 1


def test_a_queue_deeper_than_the_threads_is_reported_once_in_a_while(caplog):
    dispatcher, log, hold = _dispatcher(patience=WAIT), [], threading.Event()
    try:
        with caplog.at_level("WARNING", logger="waitress.queue"):
            tasks = [Task(log, str(n), hold=hold) for n in range(12)]
            for task in tasks:
                dispatcher.add_task(task)
    finally:
        hold.set()
        dispatcher.shutdown()
    warnings = [r.getMessage() for r in caplog.records if r.name == "waitress.queue"]
    # Four threads: the first warning comes when five wait, and only one comes in ten seconds.
    assert len(warnings) == 1
    assert warnings[0] in ("Task queue depth is 5", "Task queue depth is 6")
