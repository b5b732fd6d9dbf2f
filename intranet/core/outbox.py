"""Delivering the mail outbox, and what pages show of it.

A deliverer claims due rows in a short transaction (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so
that several instances never take the same row; SQLite: under the write lock) by moving their
next try past a lease, then sends them outside any transaction, so that no request waits for
the mail server, and records each result. A message the server takes is "sent" and keeps only
its envelope; one it refuses for good (5xx) or that cannot be a mail is "failed" at once;
anything else is tried again after growing delays for about a day, then "failed".

Before it sends, a deliverer turns the pending mail jobs (one row per mass mail, see
`core.mail.queue_job`) into their single mails, each job in one transaction that also marks it
done: claimed like the rows (`FOR UPDATE SKIP LOCKED`, the write lock), so that no job is
expanded twice.
"""

import datetime as dt
import logging
import smtplib
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app
from peewee import fn

from intranet.core import mail, notifications
from intranet.core.models import MailJob, MailState, OutboxAttachment, OutboxMessage
from intranet.platform.db import is_sqlite, release_connection, utcnow, write_transaction
from intranet.platform.i18n import lazy_gettext as _l

log = logging.getLogger(__name__)

QUEUED, SENT, FAILED = MailState.QUEUED, MailState.SENT, MailState.FAILED
STATES = tuple(MailState)
# Minutes to wait after the first, second, … failed attempt: about 24 hours in all.
RETRY_MINUTES = (1, 5, 15, 30, 60, 120, 240, 480, 480)
# A claimed row is due again after this long, should its deliverer die while sending.
LEASE = dt.timedelta(minutes=15)
BATCH = 50


@dataclass
class Outcome:
    sent: bool
    error: str = ""
    final: bool = False  # no point in trying again


def _due(now):
    return (OutboxMessage.state == QUEUED) & (OutboxMessage.next_try_at <= now)


def claim(limit: int = BATCH, now: dt.datetime | None = None) -> list[OutboxMessage]:
    """Take up to `limit` due messages for this deliverer: nobody else gets them within LEASE."""
    now = now or utcnow()
    with write_transaction():
        query = (
            OutboxMessage.select()
            .where(_due(now))
            .order_by(OutboxMessage.next_try_at, OutboxMessage.id)
            .limit(limit)
        )
        if not is_sqlite():
            query = query.for_update("FOR UPDATE SKIP LOCKED")
        rows = list(query)
        if rows:
            OutboxMessage.update(
                next_try_at=now + LEASE, attempts=OutboxMessage.attempts + 1
            ).where(OutboxMessage.id.in_([r.id for r in rows])).execute()
    for row in rows:
        row.attempts += 1
    return rows


def _content_type(value: str) -> tuple[str, str, dict]:
    kind, *params = [part.strip() for part in value.split(";")]
    maintype, _sep, subtype = kind.partition("/")
    return maintype, subtype, dict(p.split("=", 1) for p in params if "=" in p)


def build(row: OutboxMessage) -> EmailMessage:
    """The message as it goes out. Raises ValueError for what cannot be a mail (an invalid
    address, a line break in a header)."""
    if not mail.ADDRESS.fullmatch(row.recipient):
        raise ValueError(f"“{row.recipient}” is not a valid email address.")
    message = EmailMessage()
    message["Subject"] = mail.check_header(row.subject)
    message["From"] = mail.from_header()
    message["To"] = row.recipient
    message["Date"] = format_datetime(row.created_at.replace(tzinfo=dt.UTC))
    # The same id on every attempt, so that a receiving server can drop a second copy.
    domain = mail.sender().rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<outbox-{row.id}.{row.created_at:%Y%m%d%H%M%S}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row.text)
    if row.html:
        message.add_alternative(row.html, subtype="html")
    for attachment in OutboxAttachment.select().where(OutboxAttachment.message == row.id):
        maintype, subtype, params = _content_type(attachment.content_type)
        message.add_attachment(
            bytes(attachment.content),
            maintype=maintype,
            subtype=subtype,
            filename=attachment.name,
            params=params,
        )
    # Last: set_content and add_attachment move Content-* headers into the parts.
    message["Content-Language"] = row.language
    return message


def _refused(error: smtplib.SMTPRecipientsRefused) -> Outcome:
    code, answer = next(iter(error.recipients.values()))
    text = answer.decode(errors="replace") if isinstance(answer, bytes) else str(answer)
    return Outcome(False, f"{code} {text}", final=code >= 500)


def send_batch(rows: list[OutboxMessage]) -> dict[int, Outcome]:
    """Send `rows` over one connection. A row the server refuses does not stop the others;
    a lost connection leaves the rest to be tried again."""
    outcomes: dict[int, Outcome] = {}
    messages = {}
    for row in rows:
        try:
            messages[row.id] = build(row)
        except Exception as error:  # noqa: BLE001 (one bad row must not stop the others)
            # No server could deliver it: failed at once, with what was wrong.
            outcomes[row.id] = Outcome(False, str(error) or type(error).__name__, final=True)
    if not messages:
        return outcomes
    try:
        smtp = mail.connect()
    except mail.MailError as error:
        reason = f"Mail server not reachable: {error}"
        return {**outcomes, **{key: Outcome(False, reason) for key in messages}}
    try:
        for key, message in messages.items():
            try:
                smtp.send_message(message)
            except smtplib.SMTPRecipientsRefused as error:
                outcomes[key] = _refused(error)
            except smtplib.SMTPSenderRefused as error:
                # About the sender, not this message: the server's setting may change.
                outcomes[key] = Outcome(False, f"{error.smtp_code} {error.smtp_error!r}")
            except smtplib.SMTPResponseException as error:
                answer = error.smtp_error
                if isinstance(answer, bytes):
                    answer = answer.decode(errors="replace")
                outcomes[key] = Outcome(
                    False, f"{error.smtp_code} {answer}", final=error.smtp_code >= 500
                )
            else:
                outcomes[key] = Outcome(True)
    except (OSError, smtplib.SMTPException) as error:
        reason = f"Connection to the mail server lost: {error or type(error).__name__}"
        for row in rows:
            outcomes.setdefault(row.id, Outcome(False, reason))
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
    return outcomes


def record(row: OutboxMessage, outcome: Outcome, now: dt.datetime | None = None) -> str:
    """Write what became of one attempt; returns the new state. Only the deliverer that holds
    the claim (same number of attempts, still queued) writes."""
    now = now or utcnow()
    mine = (
        (OutboxMessage.id == row.id)
        & (OutboxMessage.state == QUEUED)
        & (OutboxMessage.attempts == row.attempts)
    )
    with write_transaction():
        if outcome.sent:
            # The envelope stays as the delivery record; the text (a password link, say) goes.
            OutboxMessage.update(state=SENT, sent_at=now, last_error="", text="", html="").where(
                mine
            ).execute()
            OutboxAttachment.delete().where(OutboxAttachment.message == row.id).execute()
            return SENT
        error = outcome.error[:2000]
        if outcome.final or row.attempts > len(RETRY_MINUTES):
            OutboxMessage.update(state=FAILED, last_error=error).where(mine).execute()
            return FAILED
        delay = dt.timedelta(minutes=RETRY_MINUTES[row.attempts - 1])
        OutboxMessage.update(last_error=error, next_try_at=now + delay).where(mine).execute()
        return QUEUED


class JobFailed(Exception):
    def __init__(self, job_id: int):
        super().__init__(job_id)
        self.job_id = job_id


def expand_next(now: dt.datetime | None = None, skip=()) -> MailJob | None:
    """Write the mails of the oldest pending job (but those in `skip`) and return it; None when
    there is none left. A job another deliverer is expanding right now is skipped (it is done
    when that transaction ends)."""
    pending = MailJob.expanded_at.is_null()
    if skip:
        pending &= MailJob.id.not_in(list(skip))
    with write_transaction():
        query = MailJob.select().where(pending).order_by(MailJob.id).limit(1)
        if not is_sqlite():
            query = query.for_update("FOR UPDATE SKIP LOCKED")
        job = query.first()
        if job is None:
            return None
        # Checked once more under the lock: a deliverer that read the row before another
        # finished it sees it done now. Whom it mails is kept only until the mails are written.
        done = (
            MailJob.update(expanded_at=now or utcnow(), accounts="[]", params="{}")
            .where((MailJob.id == job.id) & MailJob.expanded_at.is_null())
            .execute()
        )
        if done:
            try:
                mail.expand(job)
            except Exception as error:
                raise JobFailed(job.id) from error
    return job


def expand_jobs() -> int:
    """Turn every pending mail job into its mails, in a request context with the intranet's
    address (for the links in them); returns how many jobs."""
    if not MailJob.select().where(MailJob.expanded_at.is_null()).exists():
        return 0
    app = current_app._get_current_object()
    base = notifications.public_url()
    expanded, broken = 0, set()
    with app.test_request_context(base_url=base):
        while True:
            try:
                job = expand_next(skip=broken)
            except JobFailed as failure:
                # Stays pending and is tried again in the next pass; the other jobs go on.
                log.exception("expanding mail job %s failed", failure.job_id)
                broken.add(failure.job_id)
                continue
            if job is None:
                return expanded
            expanded += 1


def deliver_due() -> dict[str, int]:
    """Send every message that is due now, batch after batch; counts per resulting state."""
    counts = dict.fromkeys(STATES, 0)
    expand_jobs()
    while rows := claim():
        outcomes = send_batch(rows)
        for row in rows:
            counts[record(row, outcomes[row.id])] += 1
        if all(not o.sent and not o.final for o in outcomes.values()):
            break  # the server is away: the rest waits for its next try
    return counts


def deliver(once: bool = True, stop: threading.Event | None = None, interval=None) -> dict:
    """Deliver what is due; with `once=False` again every `interval` seconds until `stop` is
    set. One bad pass (a database hiccup) is logged, and the loop goes on. Each pass also
    writes the notifications that are due by the clock (core.notifications.run_periodic)."""
    interval = interval or current_app.config["MAIL_INTERVAL_SECONDS"]
    stop = stop or threading.Event()
    while True:
        # Mail jobs first: an invitation to many keeps its summary entries, dated with the
        # change, until it is written, and written now they are in today's summaries. Then
        # reminders, deadlines and daily summaries, so that they go out in this pass.
        expand_jobs()
        notifications.run_periodic()
        try:
            counts = deliver_due()
        except Exception:
            log.exception("delivering the mail outbox failed; trying again later")
            counts = {}
        finally:
            release_connection()
        if any(counts.values()):
            log.info("mail outbox: %s", counts)
        if once or stop.wait(interval):
            return counts


def start_background(app) -> tuple[threading.Thread, threading.Event]:
    """Deliver the outbox in a thread of this process, so that one server needs no cron."""
    stop = threading.Event()

    def run():
        with app.app_context():
            deliver(once=False, stop=stop)

    thread = threading.Thread(target=run, name="mail-outbox", daemon=True)
    thread.start()
    return thread, stop


# --- What pages show --------------------------------------------------------------------------


def retry(ids=(), about: str | None = None, every: bool = False) -> int:
    """Queue failed messages (by id, all about one item, or `every` one) for a fresh round of
    attempts; returns how many."""
    condition = OutboxMessage.state == FAILED
    if about is not None:
        condition &= OutboxMessage.about == about
    elif not every:
        condition &= OutboxMessage.id.in_([i for i in ids if isinstance(i, int)][:500])
    with write_transaction():
        return (
            OutboxMessage.update(state=QUEUED, attempts=0, last_error="", next_try_at=utcnow())
            .where(condition)
            .execute()
        )


@dataclass
class Delivery:
    """The delivery state of the mails about one item."""

    total: int
    sent: int
    failed: int
    queued: int
    failed_addresses: list[str]


def delivery_of(about: str) -> Delivery | None:
    """Counts per state of the mails about `about`, and the failed addresses; None if none."""
    counts = dict.fromkeys(STATES, 0)
    query = (
        OutboxMessage.select(OutboxMessage.state, fn.COUNT(OutboxMessage.id).alias("n"))
        .where(OutboxMessage.about == about)
        .group_by(OutboxMessage.state)
    )
    for row in query:
        counts[row.state] = row.n
    counts[QUEUED] += pending(about)
    total = sum(counts.values())
    if not total:
        return None
    failed = (
        OutboxMessage.select(OutboxMessage.recipient)
        .where((OutboxMessage.about == about) & (OutboxMessage.state == FAILED))
        .order_by(OutboxMessage.recipient)
        .distinct()
        .limit(200)
    )
    return Delivery(
        total, counts[SENT], counts[FAILED], counts[QUEUED], [r.recipient for r in failed]
    )


def pending(about: str | None = None) -> int:
    """How many mails the pending jobs (about `about`, or all) will write: queued already, for
    what the pages show. Counted before each person's choice is read, so those who chose the
    daily summary or no mail are in it until the job is written."""
    condition = MailJob.expanded_at.is_null()
    if about is not None:
        condition &= MailJob.about == about
    return int(MailJob.select(fn.SUM(MailJob.recipients)).where(condition).scalar() or 0)


def listing(state: str | None = None):
    """The outbox for the admin, newest first, without bodies (and before the admin reads a
    subject, see `withhold`)."""
    query = OutboxMessage.select(
        OutboxMessage.id,
        OutboxMessage.recipient,
        OutboxMessage.kind,
        OutboxMessage.about,
        OutboxMessage.subject,
        OutboxMessage.state,
        OutboxMessage.attempts,
        OutboxMessage.last_error,
        OutboxMessage.created_at,
        OutboxMessage.sent_at,
        OutboxMessage.next_try_at,
    ).order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
    if state in STATES:
        query = query.where(OutboxMessage.state == state)
    return query


# What the admin's list says instead of the subject of a mail about an item the admin may not see.
WITHHELD = {
    "meeting": _l("About a meeting you may not see: subject withheld"),
    "minutes": _l("About minutes you may not see: subject withheld"),
}


def withhold(rows, viewer) -> list[OutboxMessage]:
    """`rows` of the outbox as `viewer` may read them: a mail about an item (a meeting, minutes)
    that `viewer` may not see keeps its subject, which may name the item, to itself; its row
    says instead what kind of item it is about (`withheld`). The admin role grants no sight of
    items, in the outbox either."""
    checked: dict = {}
    for row in rows:
        seen = notifications.may_name(row.about, viewer, checked) is not None
        kind = row.about.partition(":")[0]
        row.withheld = None if seen else WITHHELD.get(kind, WITHHELD["meeting"])
    return rows


def last_result() -> OutboxMessage | None:
    """The most recent attempt that came to an end or failed: for the first-run checklist."""
    return (
        OutboxMessage.select()
        .where(
            (OutboxMessage.attempts > 0)
            & (OutboxMessage.state.in_([SENT, FAILED]) | (OutboxMessage.last_error != ""))
        )
        .order_by(OutboxMessage.id.desc())
        .first()
    )
