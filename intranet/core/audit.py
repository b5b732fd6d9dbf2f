"""Append-only audit log with a hash chain, so a deleted or edited entry is detectable."""

import datetime as dt
import hashlib
import json
import logging
from functools import partial
from typing import NoReturn

from flask import g, has_request_context, request
from flask_login import current_user

from intranet.core import sharing
from intranet.core.models import AuditEvent, RefusedRead
from intranet.platform.db import db, is_sqlite, serialized, utcnow, write_transaction
from intranet.platform.errors import NotFound
from intranet.platform.i18n import lazy_gettext as _l

# The log's own kinds and the backup's; each area hands its kinds to the registry (core.areas).
KINDS = {
    "audit.pruned": _l("Old audit entries removed"),
    "audit.exported": _l("Audit log exported"),
    "backup.created": _l("Backup created"),
    "backup.restored": _l("Backup restored"),
}
GENESIS = "0" * 64
CHAIN_LOCK = "audit-chain"
logger = logging.getLogger(__name__)


def _digest(prev_hash: str, event: AuditEvent) -> str:
    payload = json.dumps(
        [
            prev_hash,
            event.at.isoformat(timespec="microseconds"),
            event.actor_id,
            event.actor_label,
            event.action,
            event.target,
            event.detail,
            event.address,
            # Only where it says more than "once": entries written before counting hash alike.
            *([event.attempts] if (event.attempts or 1) != 1 else []),
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def _last_hash() -> str:
    last = AuditEvent.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).first()
    return last.hash if last else GENESIS


def _append(prev_hash: str, **fields) -> AuditEvent:
    event = AuditEvent(prev_hash=prev_hash, **fields)
    event.hash = _digest(prev_hash, event)
    event.save(force_insert=True)
    return event


# Entries about something that happened without a change of stored data: a sign-in attempt,
# an export, a download, a backup file. Every other entry records a change and is written in
# the transaction that makes it (tests/test_audit_transactions.py reads the code for that).
EVENTS = frozenset({
    "login.succeeded", "login.failed", "login.throttled", "login.locked",
    "login.second_factor_failed", "login.second_factor_throttled", "login.second_factor_locked",
    "logout", "account.password_check_throttled", "attachment.downloaded", "audit.exported",
    "contacts.exported", "minutes.exported", "minutes.decisions_exported", "person.exported",
    "account.exported", "settings.test_mail", "backup.created", "backup.restored",
    "oparl.listed",
})  # fmt: skip


def is_event(action: str) -> bool:
    """Whether an entry records an event (see EVENTS) rather than a change."""
    return action in EVENTS or action.endswith((".viewed", ".refused"))


def record(action: str, target: str = "", detail: str = "", actor=None) -> AuditEvent:
    """Append one event; the actor defaults to the signed-in account. In a request, refused
    reads whose counting window has passed are appended first (`record_refused`): requests
    run on the current schema only, while a command may meet an older one (the backup before
    `db upgrade`, a restored older archive) that has no counting table yet."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user._get_current_object()
    address = (request.remote_addr or "") if has_request_context() else ""
    # Appends run one at a time: two writers reading the same last hash would fork the chain.
    with serialized(CHAIN_LOCK):
        prev_hash = _last_hash()
        if has_request_context():
            prev_hash, _written = _append_refusals(prev_hash, utcnow() - REFUSAL_GRACE)
        return _append(
            prev_hash,
            at=utcnow(),
            actor_id=actor.id if actor else None,
            actor_label=actor.email if actor else "",
            action=action,
            target=target,
            detail=detail,
            address=address,
        )


def record_read(kind: str, item_id: int, labels, account) -> None:
    """Note a read of a restricted item (AMBER, AMBER+STRICT or RED anywhere in its chain of
    labels); called by the loader that applies access, so no page forgets it. The entry
    `<kind>.viewed` is written once the answer is served (`_record_served_reads`).
    Unrestricted items write nothing: reads of them stay off the audit chain's lock."""
    if sharing.RESTRICTED_LABELS.isdisjoint(labels) or not has_request_context():
        return
    g.setdefault("audit_reads", {}).setdefault(f"{kind}:{item_id}", (kind, account))


def _record_served_reads(response):
    """Write the reads noted by a GET that serves them (2xx): a page, a boosted page, a history
    restore, an htmx fragment, a calendar file, a print view. The answer decides, never the
    request's headers: a plain htmx request for a page without a fragment of its own gets the
    whole page, and a fragment shows the item's content too (another version, say) and can be
    asked for without the page. An error, a redirect or a 304 served nothing new."""
    reads = g.pop("audit_reads", None)
    if reads and request.method == "GET" and 200 <= response.status_code < 300:
        for target, (kind, account) in reads.items():
            record(f"{kind}.viewed", target=target, detail=request.path, actor=account)
    return response


def _count_refusals_later(response):
    refusals = g.pop("audit_refusals", None)
    if refusals:
        response.call_on_close(partial(_count_refusals, refusals))
    return response


def init_app(app) -> None:
    # After the view, so the entry follows what was served. Should writing it fail, the
    # request ends in an error instead of serving an unrecorded read.
    app.after_request(_record_served_reads)
    app.after_request(_count_refusals_later)


# --- Refused reads: counted, then written as one entry per account, item and window ----------
#
# A refusal must cost what a missing item costs, or the answer time tells that the item exists;
# and an account must not be able to add a row to the chain, under its lock, per request. So
# the loaders find an item with the sharing rule in their query (`not_found`: a hidden item
# takes the same queries as a missing one), and a refusal raises a counter in `refused_read`
# (one row per account, item and window; no chain lock) once the answer has gone out, so that
# not even that small write delays it. The chain gets one entry with the number when the window
# has passed: appended before the next audit entry of any request, or when the admin opens the
# log (then also the windows still open, so that nothing being counted is hidden from them).
# A table rather than memory: the counts survive a restart and are the same for every process.

WINDOW_MINUTES = 10  # divides the hour
REFUSAL_WINDOW = dt.timedelta(minutes=WINDOW_MINUTES)
# A refusal counted just before its window closed may commit a moment later (a busy database):
# a window is written only once this much more time has passed.
REFUSAL_GRACE = dt.timedelta(minutes=1)
# Refusals written per audit entry at most, so that an unlucky writer never waits long.
FLUSH_LIMIT = 500


def _window_start(at: dt.datetime) -> dt.datetime:
    return at.replace(minute=at.minute - at.minute % WINDOW_MINUTES, second=0, microsecond=0)


def record_refused(kind: str, item_id: int, account) -> None:
    """Count a refused read of `<kind>:<item_id>`: the item exists but is hidden from `account`,
    who gets a plain 404. Absent items are not counted (nothing to protect, and the log would
    fill with typos). Counted once the answer has gone out; the chain gets `<kind>.refused`
    with the number later (see above)."""
    if not has_request_context():
        return
    now = utcnow()
    g.setdefault("audit_refusals", []).append(
        {
            "window_start": _window_start(now),
            "actor_id": getattr(account, "id", None) or 0,
            "actor_label": getattr(account, "email", ""),
            "action": f"{kind}.refused",
            "target": f"{kind}:{item_id}",
            "detail": f"{request.method} {request.path}",
            "address": request.remote_addr or "",
            "first_at": now,
        }
    )


def _count_refusals(refusals: list[dict]) -> None:
    """Runs when the server closes the answer, after its last byte was sent: outside the
    request, so with a connection of its own. Nobody is left to see an error but the log."""
    try:
        with db.connection_context(), db.atomic():
            if not is_sqlite():
                # A counter, not a record: not worth waiting for the disk (SQLite in WAL mode
                # with synchronous=NORMAL does not either). A crash of the database server
                # may lose the last fraction of a second of counts.
                db.execute_sql("SET LOCAL synchronous_commit TO OFF")
            for values in refusals:
                RefusedRead.insert(**values).on_conflict(
                    conflict_target=[
                        RefusedRead.actor_id,
                        RefusedRead.target,
                        RefusedRead.window_start,
                    ],
                    update={RefusedRead.attempts: RefusedRead.attempts + 1},
                ).execute()
    except Exception:
        logger.exception("Refused reads could not be counted: %s", refusals)


def not_found(kind: str, model, item_id: int, account) -> NoReturn:
    """NotFound (a 404) for an item that the loader's query, which applies the sharing rule, did
    not find. Hidden and missing items take the same queries: this one asks whether the item
    exists, and only a hidden one is counted (`record_refused`), after the answer has gone out."""
    if model.select(model.id).where(model.id == item_id).exists():
        record_refused(kind, item_id, account)
    raise NotFound


def _append_refusals(prev_hash: str, now: dt.datetime | None) -> tuple[str, int]:
    """Move counted refusals into the chain: those whose window ended before `now`, or all
    (None); at most FLUSH_LIMIT. Runs inside the chain's lock; returns the last hash and the
    number of entries written.

    DELETE … RETURNING hands over each counter with its final number: an attempt counted at
    the same moment either made it in, or starts a new counter that is written later."""
    pending = RefusedRead.select(RefusedRead.id).order_by(RefusedRead.id).limit(FLUSH_LIMIT)
    if now is not None:
        pending = pending.where(RefusedRead.window_start <= now - REFUSAL_WINDOW)
    taken = RefusedRead.delete().where(RefusedRead.id.in_(pending)).returning(RefusedRead)
    rows = sorted(taken.execute(), key=lambda r: (r.window_start, r.first_at, r.id))
    for row in rows:
        prev_hash = _append(
            prev_hash,
            at=row.first_at,
            actor_id=row.actor_id or None,
            actor_label=row.actor_label,
            action=row.action,
            target=row.target,
            detail=row.detail,
            address=row.address,
            attempts=row.attempts,
        ).hash
    return prev_hash, len(rows)


def flush_refusals() -> None:
    """Write every counted refusal into the chain, windows still open included: before the
    admin reads the log. A later attempt in an open window starts a new count."""
    written = FLUSH_LIMIT
    # A plain read first: the log's filters ask on every keystroke, mostly with nothing to write.
    # Then in batches, so that the chain's lock is never held for long.
    while written == FLUSH_LIMIT and RefusedRead.select().exists():
        with serialized(CHAIN_LOCK):
            _hash, written = _append_refusals(_last_hash(), None)


def verify() -> AuditEvent | None:
    """Return the first entry that breaks the chain, or None when the log is intact.

    The first remaining entry is the anchor: after pruning, its prev_hash points
    to an entry that no longer exists, which is expected.
    """
    previous = None
    for event in AuditEvent.select().order_by(AuditEvent.id).iterator():
        if previous is not None and event.prev_hash != previous.hash:
            return event
        if _digest(event.prev_hash, event) != event.hash:
            return event
        previous = event
    return None


def prune(days: int) -> int:
    """Delete entries older than `days`, always keeping the newest entry as the chain's anchor."""
    cutoff = utcnow() - dt.timedelta(days=days)
    with write_transaction():
        newest = AuditEvent.select(AuditEvent.id).order_by(AuditEvent.id.desc()).first()
        if newest is None:
            return 0
        removed = (
            AuditEvent.delete()
            .where((AuditEvent.at < cutoff) & (AuditEvent.id != newest.id))
            .execute()
        )
    if removed:
        record("audit.pruned", detail=f"{removed} entries older than {days} days")
    return removed
