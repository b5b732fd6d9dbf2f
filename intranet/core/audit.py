"""Append-only audit log with a hash chain, so a deleted or edited entry is detectable."""

import datetime as dt
import hashlib
import json

from flask import has_request_context, request
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


def _page_request() -> bool:
    """A GET for a whole page or a download. An htmx fragment of a page (not boosted) belongs
    to a page whose own load was already recorded, so it is not recorded a second time."""
    if not has_request_context() or request.method != "GET":
        return False
    fragment = request.headers.get("HX-Request") and not request.headers.get("HX-Boosted")
    return not fragment


def record_read(kind: str, item_id: int, labels, account) -> None:
    """`<kind>.viewed` when a restricted item (AMBER, AMBER+STRICT or RED anywhere in its
    chain of labels) is shown; called by the loader that applies access, so no page forgets it.
    Unrestricted items write nothing: reads of them stay off the audit chain's lock."""
    if sharing.RESTRICTED_LABELS.isdisjoint(labels) or not _page_request():
        return
    record(f"{kind}.viewed", target=f"{kind}:{item_id}", detail=request.path, actor=account)


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
