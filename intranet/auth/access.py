"""Who may enter: sign-in enforcement per blueprint, role checks, safe redirect targets."""

from urllib.parse import urlsplit

from flask import g, request, url_for
from flask_login import current_user

from intranet.platform.errors import NotFound
from intranet.platform.htmx import login_redirect


def requested_path() -> str:
    query = request.query_string.decode("utf-8", "replace")
    return request.path + (f"?{query}" if query else "")


def to_login():
    # A form kept at the end of a session leads back to its page (auth.saved_forms).
    return login_redirect(url_for("auth.login", next=g.get("sign_in_next") or requested_path()))


def require_login():
    """Use as a blueprint's before_request so no view of it can forget the check."""
    if not current_user.is_authenticated:
        return to_login()
    return None


def require_role(*roles):
    def check():
        if not current_user.is_authenticated:
            return to_login()
        if current_user.role not in roles:
            # Not 403: an address one may not use should not reveal that it exists.
            raise NotFound
        return None

    return check


def may_change_clearance(actor, target) -> bool:
    """Whether `actor` may change what the account `target` (an Account or its id) may see:
    its organisation, its role, its link to a directory entry.

    Never for one's own account, whatever the role (separation of duties, DOMAIN.md): an admin
    who moved into an organisation or onto a contact entry would open its restricted content to
    themself. Another admin or coordinator makes such a change, and the audit log names them.
    """
    if actor is None or target is None:
        return True  # nobody acting (commands, set-up) or no account concerned
    target_id = getattr(target, "id", target)
    return getattr(actor, "id", None) != target_id


def safe_next(target: str | None) -> str | None:
    """`target` when it is a path on this site, else None (no //host, \\host, scheme: tricks)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
