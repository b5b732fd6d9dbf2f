"""Append-only audit log with a hash chain, so a deleted or edited entry is detectable."""

import datetime as dt
import hashlib
import json

from flask import g, has_request_context, request
from flask_login import current_user

from intranet.core import sharing
from intranet.core.models import AuditEvent
from intranet.db import serialized, utcnow, write_transaction

GENESIS = "0" * 64
CHAIN_LOCK = "audit-chain"


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
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(action: str, target: str = "", detail: str = "", actor=None) -> AuditEvent:
    """Append one event; the actor defaults to the signed-in account."""
    if actor is None and has_request_context() and current_user.is_authenticated:
        actor = current_user
    address = (request.remote_addr or "") if has_request_context() else ""
    # Appends run one at a time: two writers reading the same last hash would fork the chain.
    with serialized(CHAIN_LOCK):
        last = AuditEvent.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).first()
        event = AuditEvent(
            at=utcnow(),
            actor_id=actor.id if actor else None,
            actor_label=actor.email if actor else "",
            action=action,
            target=target,
            detail=detail,
            address=address,
        )
        event.prev_hash = last.hash if last else GENESIS
        event.hash = _digest(event.prev_hash, event)
        event.save(force_insert=True)
    return event


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


def init_app(app) -> None:
    # After the view, so the entry follows what was served. Should writing it fail, the
    # request ends in an error instead of serving an unrecorded read.
    app.after_request(_record_served_reads)


def record_refused(kind: str, item_id: int, account) -> None:
    """`<kind>.refused`: the item exists but is hidden from `account`, who gets a plain 404.
    Absent items are not recorded (nothing to protect, and the log would fill with typos)."""
    if has_request_context():
        record(
            f"{kind}.refused",
            target=f"{kind}:{item_id}",
            detail=f"{request.method} {request.path}",
            actor=account,
        )


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
