"""Who may do what with minutes: one table of role × state × action, the sharing label on top,
and the workflow's transitions built from the same table.

The table is the whole rule; README.md ("Protokolle / Minutes") prints it for people.
The label (core.sharing) always applies in addition: no role reads past it, and the admin
role grants nothing beyond what a participant of the admin's organisation may do.
"""

from flask_babel import lazy_gettext as _l

from intranet.core import sharing
from intranet.core.workflow import Transition, Workflow
from intranet.db import utcnow
from intranet.minutes.models import CIRCULATING, DRAFT, IN_REVIEW, RELEASED, STATES, Minutes

CO, RE, ME, AD = "coordinator", "reviewer", "member", "admin"
EVERYONE = frozenset({CO, RE, ME, AD})
NOBODY = frozenset()
COORD = frozenset({CO})
REVIEW = frozenset({RE})
COORD_REVIEW = frozenset({CO, RE})

# action: roles allowed in (draft, in_review, circulating, released)
TABLE = {
    "view":          (COORD,  COORD_REVIEW, EVERYONE,     EVERYONE),
    "list":          (COORD,  COORD_REVIEW, EVERYONE,     EVERYONE),
    "search":        (COORD,  COORD_REVIEW, EVERYONE,     EVERYONE),
    "download":      (NOBODY, NOBODY,       NOBODY,       EVERYONE),
    "export":        (NOBODY, NOBODY,       NOBODY,       EVERYONE),
    "edit":          (COORD,  NOBODY,       NOBODY,       NOBODY),
    "submit":        (COORD,  NOBODY,       NOBODY,       NOBODY),
    "approve":       (NOBODY, REVIEW,       NOBODY,       NOBODY),
    "return":        (NOBODY, REVIEW,       NOBODY,       NOBODY),
    "comment":       (NOBODY, NOBODY,       EVERYONE,     NOBODY),
    "object":        (NOBODY, NOBODY,       EVERYONE,     NOBODY),
    "resolve":       (NOBODY, NOBODY,       COORD,        NOBODY),
    "release":       (NOBODY, NOBODY,       COORD,        NOBODY),
    "correct":       (NOBODY, NOBODY,       NOBODY,       COORD),
    "confirm_read":  (NOBODY, NOBODY,       NOBODY,       EVERYONE),
    "confirmations": (NOBODY, NOBODY,       NOBODY,       COORD),
    "compare":       (COORD,  COORD_REVIEW, COORD_REVIEW, COORD_REVIEW),
    "track":         (COORD,  COORD,        COORD,        COORD),
}  # fmt: skip
ACTIONS = tuple(TABLE)

ACTION_LABELS = {
    "view": _l("read"),
    "list": _l("see in lists"),
    "search": _l("find in search"),
    "download": _l("download"),
    "export": _l("export"),
    "edit": _l("edit"),
    "submit": _l("submit for review"),
    "approve": _l("approve and circulate"),
    "return": _l("return with comments"),
    "comment": _l("comment"),
    "object": _l("object"),
    "resolve": _l("resolve objections"),
    "release": _l("release"),
    "correct": _l("start a correction"),
    "confirm_read": _l("confirm reading"),
    "confirmations": _l("see who confirmed reading, per organisation"),
    "compare": _l("see and compare versions"),
    "track": _l("keep action items up to date"),
}
STATE_LABELS = {
    DRAFT: _l("Draft"),
    IN_REVIEW: _l("In review"),
    CIRCULATING: _l("In circulation"),
    RELEASED: _l("Released"),
}
# Downloads and exports carry the full text: never for AMBER+STRICT and RED (core.sharing).
DETAIL_ACTIONS = ("download", "export")


def allows(role: str, state: str, action: str) -> bool:
    """The table alone, without the label."""
    if action not in TABLE or state not in STATES:
        return False
    return role in TABLE[action][STATES.index(state)]


def role_may(role: str, action: str) -> bool:
    """Whether the role may take `action` in some state (for buttons on lists)."""
    return any(allows(role, state, action) for state in STATES)


def states_for(role: str, action: str = "view") -> tuple[str, ...]:
    """The states in which `role` may take `action` (the SQL side of the rule uses this)."""
    return tuple(s for s in STATES if allows(role, s, action))


def may(account, item, action: str) -> bool:
    """Whether `account` may take `action` on `item` (a MinutesContext, see services):
    the table for its role and state, and the label rule for the minutes and their meeting."""
    if account is None or not getattr(account, "is_authenticated", False):
        return False
    if not allows(account.role, item.state, action):
        return False
    if action in DETAIL_ACTIONS and not sharing.shows_detail(item.minutes.label):
        return False
    return item.label_allows(account)


def _early_release(item) -> bool:
    deadline = item.minutes.objection_deadline
    return deadline is not None and utcnow() < deadline


def _guard(action):
    return lambda account, item: may(account, item, action)


WORKFLOW = Workflow(
    "minutes",
    Minutes,
    [
        Transition(DRAFT, IN_REVIEW, "submit", _guard("submit")),
        Transition(IN_REVIEW, CIRCULATING, "approve", _guard("approve")),
        Transition(IN_REVIEW, DRAFT, "return", _guard("return"), needs_comment=lambda item: True),
        # Before the objection period ends only with a recorded reason (e.g. urgent publication).
        Transition(CIRCULATING, RELEASED, "release", _guard("release"), _early_release),
    ],
    messages={
        "return": _l("Please say what has to change: returning needs a comment."),
        "release": _l(
            "The objection period has not ended yet: releasing early needs a recorded reason."
        ),
    },
)
