"""What the minutes do for DSGVO: pseudonyms on erasure (Art. 17) and what they keep about a
person in the access export (Art. 15). Registered by the area (minutes/__init__.py)."""

from intranet.minutes.access import context_for
from intranet.minutes.comments import comment_audience
from intranet.minutes.models import (
    Minutes,
    MinutesComment,
    MinutesSection,
    MinutesVersion,
    MinutesVisit,
    ReadConfirmation,
    Signoff,
)
from intranet.privacy.services import labelled_entry


def pseudonymise(account, pseudonym: str, **_ignored):
    """Minutes are kept for the record: the account's links become its pseudonym."""
    Minutes.update(created_by=None, created_by_label=pseudonym).where(
        Minutes.created_by == account.id
    ).execute()
    MinutesVersion.update(author=None, author_label=pseudonym).where(
        MinutesVersion.author == account.id
    ).execute()
    MinutesComment.update(author=None, author_label=pseudonym).where(
        MinutesComment.author == account.id
    ).execute()
    MinutesComment.update(resolved_by=None, resolved_by_label=pseudonym).where(
        MinutesComment.resolved_by == account.id
    ).execute()
    ReadConfirmation.update(account=None, account_label=pseudonym).where(
        ReadConfirmation.account == account.id
    ).execute()
    Signoff.update(account=None, account_label=pseudonym).where(
        Signoff.account == account.id
    ).execute()
    MinutesVisit.delete().where(MinutesVisit.account == account.id).execute()


def export_minutes_data(person, account=None, viewer=None, **_ignored):
    """What the minutes keep about the person's account (not the text itself, which is the
    forum's record): comments and objections, read confirmations, versions saved.

    A comment's text appears only when `viewer` (the exporting admin) may read those minutes
    and they may leave the intranet (never RED, never AMBER+STRICT); otherwise id, time and
    label only, like the calendar's entries.
    """
    if account is None:
        return {}
    written = list(
        MinutesComment.select(MinutesComment, Minutes)
        .join(Minutes)
        .where(MinutesComment.author == account.id)
        .order_by(MinutesComment.at)
    )
    confirmed = ReadConfirmation.select().where(ReadConfirmation.account == account.id)
    readable = set()
    if viewer is not None and written:
        # The same audience as on the page (a section's comment: that section's), and only
        # what may leave the intranet (never RED, never AMBER+STRICT up the chain).
        contexts = {}
        for c in written:
            if c.minutes_id not in contexts:
                contexts[c.minutes_id] = context_for(Minutes.get_by_id(c.minutes_id))
            context = contexts[c.minutes_id]
            section = MinutesSection.get_or_none(MinutesSection.id == c.section_id)
            audience = comment_audience(context, section)
            if (
                context.may(viewer, "view")
                and audience.visible_to(viewer)
                and audience.leaves_intranet
            ):
                readable.add(c.id)
    return {
        "minutes_comments": [
            labelled_entry(
                c.id in readable,
                {
                    "minutes_id": c.minutes_id,
                    "label": c.minutes.label,
                    "kind": c.kind,
                    "at_utc": c.at.isoformat(),
                },
                {"text": c.text},
            )
            for c in written
        ],
        "minutes_read_confirmations": [
            {"minutes_id": c.minutes_id, "at_utc": c.at.isoformat()} for c in confirmed
        ],
        "minutes_versions_saved": MinutesVersion.select()
        .where(MinutesVersion.author == account.id)
        .count(),
    }
