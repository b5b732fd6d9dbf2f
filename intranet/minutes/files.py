"""Minutes as owners of attachments: whoever may read the minutes may read their files (the
reviewer needs them to check the text); only those who may edit the draft add or remove."""

from flask import url_for

from intranet.attachments.services import Owner, register_owner
from intranet.minutes import services
from intranet.minutes.models import Minutes


def context_owner(context, account) -> Owner:
    """Minutes already checked as visible."""
    return Owner(
        kind="minutes",
        id=context.minutes.id,
        title=services.document_title(context.minutes),
        url=url_for("minutes.show", minutes_id=context.minutes.id),
        audience=context.audience,
        may_edit=context.may(account, "edit"),
    )


def minutes_owner(minutes_id: int, account) -> Owner | None:
    minutes = Minutes.get_or_none(Minutes.id == minutes_id)
    if minutes is None:
        return None
    context = services.context_for(minutes)
    return context_owner(context, account) if context.may(account, "view") else None


register_owner("minutes", minutes_owner)
