"""The waitress server `python app.py` runs, with threads that take turns.

Python runs one thread at a time. Eight threads working on eight requests at once gain nothing
on pages that are all Python and SQLite, and lose a great deal: the sqlite3 module lets go of
the interpreter lock for every row it steps, and each time a waiting thread is woken to try for
it. Under 16 connections the contacts page cost 10.5 ms of CPU and 851 context switches per
request with eight threads at once, against 5.8 ms and 9 with turns (`perf stat -p`, ten years
of demo data).

A single thread, though, would let one slow request (a PDF, a password hash, a database lock
held by a backup) hold up everyone behind it. So one thread takes the requests from the queue,
one after the other, and keeps that turn while it is quick; once it has been on one request for
longer than PATIENCE, the next idle thread takes the turn and the queue moves on beside it.

The dispatcher is given to waitress through `create_server(_dispatcher=…)`, which waitress
marks as a test shim: `tests/test_serving.py` runs it in a real waitress server, so an upgrade
that changes it fails there first (waitress is pinned in requirements.txt).
"""

import threading
import time

from waitress import create_server
from waitress.task import ThreadedTaskDispatcher

# Room for multipart boundaries and part headers around an upload of the largest allowed size.
MULTIPART_OVERHEAD = 64 * 1024
# Longer than a page takes (5–15 ms of CPU at ten years of data), short enough to go unnoticed
# by whoever waits behind a slow request.
PATIENCE = 0.05
# The taker's pause between two requests (see the end of `TakingTurns.handler_thread`).
HAND_OVER = 0.00005


# The dispatcher and thread number of the request the current thread serves, if any.
_serving = threading.local()


def step_aside() -> None:
    """Say that the current request now waits without Python for a while (a password hash):
    the queue moves on beside it at once instead of after PATIENCE. Outside a served request
    (tests, commands) it does nothing."""
    dispatcher = getattr(_serving, "dispatcher", None)
    if dispatcher is not None:
        dispatcher.let_others_in(_serving.thread_no)


def waitress_options(app, host: str, port: int) -> dict:
    """The arguments for waitress.create_server.

    Waitress accepts bodies up to 1 GiB by default and reads them before Flask sees the
    request; bounded by the app's own limit, a client announcing a larger body is refused
    with 413 at once instead of holding a thread while it trickles the body in.
    """
    options = {"host": host, "port": port, "ident": "intranet"}
    limit = app.config.get("MAX_CONTENT_LENGTH")
    if limit:
        options["max_request_body_size"] = int(limit) + MULTIPART_OVERHEAD
    return options


def make_server(app, host: str, port: int, threads: int):
    """The waitress server `python app.py` runs. `server.run()` serves; a server stopped
    with `close()` from elsewhere also needs `server.task_dispatcher.shutdown()` for its
    threads (waitress's single-socket server does not do that itself)."""
    return create_server(app, _dispatcher=TakingTurns(threads), **waitress_options(app, host, port))


class TakingTurns(ThreadedTaskDispatcher):
    def __init__(self, threads: int, patience: float = PATIENCE):
        super().__init__()
        self.patience = patience
        self._taker = None  # the thread whose turn it is; None: the next one to come
        self._started = None  # when the taker began its request; None between requests
        self._quiet_until = 0.0  # no queue warning before this time
        self.set_thread_count(threads)

    def add_task(self, task) -> None:
        with self.lock:
            self.queue.append(task)
            if len(self.queue) > len(self.threads) and time.monotonic() > self._quiet_until:
                # Waitress's overload signal, where waiting is no longer taking turns (more
                # requests wait than there are threads), once in ten seconds at most.
                self.queue_logger.warning("Task queue depth is %d", len(self.queue))
                self._quiet_until = time.monotonic() + 10
            # A quick taker comes back for this one without being woken. Idle threads are woken
            # when there is nobody to take it, when the taker is slow, and when the queue starts:
            # from then on they look at the taker now and then (see _until_slow).
            if self._taker is None or self._is_slow() or len(self.queue) == 1:
                self.queue_cv.notify()

    def handler_thread(self, thread_no) -> None:
        while True:
            with self.lock:
                while self.stop_count == 0 and not self._may_take(thread_no):
                    self.active_count -= 1
                    self.queue_cv.wait(self._until_slow())
                    self.active_count += 1
                if self.stop_count > 0:
                    # Waitress's own bookkeeping for a thread that stops.
                    if self._taker == thread_no:
                        self._taker = None
                    self.active_count -= 1
                    self.stop_count -= 1
                    self.threads.discard(thread_no)
                    self.thread_exit_cv.notify()
                    return
                task = self.queue.popleft()
                handed_over = self._taker != thread_no
                self._taker, self._started = thread_no, time.monotonic()
                if handed_over and self.queue:
                    # The thread that watched the queue took the turn: wake another to watch
                    # for the rest, or they wait for the next arrival even if this one is slow.
                    self.queue_cv.notify()
            _serving.dispatcher, _serving.thread_no = self, thread_no
            try:
                task.service()
            except BaseException:
                self.logger.exception("Exception when servicing %r", task)
            finally:
                _serving.dispatcher = None
                with self.lock:
                    if self._taker == thread_no:
                        self._started = None
                        if not self.queue:
                            self._taker = None
            # Give the interpreter lock to waitress's main thread between two requests. It reads
            # and sends for every connection, and after each send it waits for the lock until
            # the holder lets go or five milliseconds pass. A taker going from one request to the
            # next holds it all along, and `sleep(0)` hands it back before the main thread has
            # woken; a short nap lets the main thread in (a bare "hello" app on this server:
            # 400–2,650 req/s from run to run with `sleep(0)`, 3,000–3,200 with the nap, 2,000–
            # 2,150 on waitress as it comes).
            time.sleep(HAND_OVER)

    def let_others_in(self, thread_no) -> None:
        """The taker's request counts as slow from now on (see `step_aside`)."""
        with self.lock:
            if self._taker == thread_no and self._started is not None:
                self._started = time.monotonic() - self.patience
                if self.queue:
                    self.queue_cv.notify()

    def _may_take(self, thread_no) -> bool:
        if not self.queue:
            return False
        return self._taker is None or self._taker == thread_no or self._is_slow()

    def _is_slow(self) -> bool:
        return self._started is not None and time.monotonic() - self._started >= self.patience

    def _until_slow(self) -> float | None:
        """How long an idle thread may sleep before it should look whether the taker is slow:
        for ever while nothing waits in the queue."""
        if not self.queue:
            return None
        if self._started is None:
            return self.patience
        return max(self._started + self.patience - time.monotonic(), 0.001)
