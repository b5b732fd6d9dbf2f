"""Typed text survives the end of a session: a form that arrives after the sign-in has ended is
kept for its account, and the form's page fills it in again once the same person is back.

A route opts in with `@keeps_typed_text` (the form posts to its own page) or
`@keeps_typed_text(page="area.endpoint")` (it posts elsewhere, e.g. a live preview), and its GET
calls `restore_typed_text(form)`. The text is kept server-side only, never in the address or
the cookie, and never the CSRF token or a password.
"""

import datetime as dt
import json

from flask import current_app, flash, request, url_for
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from intranet.auth.models import SavedForm
from intranet.platform.db import utcnow, write_transaction
from intranet.platform.i18n import gettext as _

KEPT_FOR = dt.timedelta(hours=1)
# More than any of the forms accepts (the minutes text: 100,000 characters): a larger POST is
# no typed text worth keeping.
MAX_CHARACTERS = 500_000
MARK = "keeps_typed_text"


def keeps_typed_text(view=None, *, page: str | None = None):
    """Mark a view whose form is kept when its POST comes in after the session has ended.

    `page` names the endpoint of the page that shows the form (same address arguments), for
    views that only receive it; without it the form's page is the view's own address.
    """

    def mark(function):
        setattr(function, MARK, page or "")
        return function

    return mark(view) if view is not None else mark


def _form_page() -> str | None:
    """The address of the form's page when the current request is a marked view's POST."""
    if request.method != "POST" or not request.endpoint:
        return None
    view = current_app.view_functions.get(request.endpoint)
    page = getattr(view, MARK, None)
    if page is None:
        return None
    return url_for(page, **(request.view_args or {})) if page else request.path


def _keepable(name: str) -> bool:
    # Prefixed forms name their token e.g. "section-csrf_token"; any field about a password
    # (password, new_password, password_confirm, …) stays out as well.
    lowered = name.lower()
    return not lowered.endswith("csrf_token") and "password" not in lowered


def keep_typed_text(account) -> str | None:
    """Keep the form of this POST for `account`, whose session has just ended; returns the
    form's page (where sign-in should lead back to), or None when this request keeps nothing.

    Runs after the CSRF check: a request that did not come from the person's own page never
    gets here, so nobody can plant text for someone else.
    """
    page = _form_page()
    if page is None:
        return None
    pairs = [[name, value] for name, value in request.form.items(multi=True) if _keepable(name)]
    fields = json.dumps(pairs)
    if len(fields) > MAX_CHARACTERS:
        return None
    with write_transaction():
        _discard_stale()
        # Only the latest attempt counts: a second one (the save after a preview) replaces it.
        SavedForm.delete().where(_kept_for(account.id, page)).execute()
        SavedForm.create(account=account.id, path=page, fields=fields)
    return page


def restore_typed_text(form) -> bool:
    """On the GET of a form's page: fill `form` with what this account typed before its
    session ended, if anything is kept for this page, and forget it. True when restored."""
    if request.method != "GET" or not current_user.is_authenticated:
        return False
    mine = _kept_for(current_user.id, request.path)
    found = (
        SavedForm.select()
        .where(mine & (SavedForm.created_at >= utcnow() - KEPT_FOR))
        .order_by(SavedForm.created_at.desc(), SavedForm.id.desc())
        .first()
    )
    if found is None:
        return False
    with write_transaction():
        SavedForm.delete().where(mine).execute()
        _discard_stale()
    form.process(formdata=MultiDict([tuple(pair) for pair in json.loads(found.fields)]))
    flash(_("Your text has been restored; please check it and save."), "warning")
    return True


def _kept_for(account_id: int, page: str):
    return (SavedForm.account == account_id) & (SavedForm.path == page)


def discard_stale() -> None:
    """Forget kept text nobody came back for within the hour."""
    with write_transaction():
        _discard_stale()


def _discard_stale() -> None:
    SavedForm.delete().where(SavedForm.created_at < utcnow() - KEPT_FOR).execute()
