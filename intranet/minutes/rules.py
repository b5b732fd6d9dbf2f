"""Who may do what with minutes: one table of role × state × action, the sharing label on top,
and the workflow's transitions built from the same table.

The table is the whole rule; README.md ("Protokolle / Minutes") prints it for people.
The label (core.sharing) always applies in addition: no role reads past it, and the admin
role grants nothing beyond what a participant of the admin's organisation may do.
"""

from intranet.core.accounts import Role
from intranet.core.workflow import Transition, Workflow
from intranet.minutes.models import (
    CIRCULATING,
    DRAFT,
    IN_REVIEW,
    RELEASED,
    STATES,
    Minutes,
    MinutesState,
)
from intranet.platform.db import utcnow
from intranet.platform.i18n import lazy_gettext as _l

CO, RE, ME, AD = Role.COORDINATOR, Role.REVIEWER, Role.MEMBER, Role.ADMIN
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
    "consent":       (NOBODY, NOBODY,       EVERYONE,     NOBODY),
    "resolve":       (NOBODY, NOBODY,       COORD,        NOBODY),
    "withdraw":      (NOBODY, NOBODY,       COORD,        NOBODY),
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
    "consent": _l("consent for one's invited organisation"),
    "resolve": _l("resolve objections"),
    "withdraw": _l("take back into draft (with a reason)"),
    "release": _l("release"),
    "correct": _l("start a correction"),
    "confirm_read": _l("confirm reading"),
    "confirmations": _l("see who confirmed reading, per organisation"),
    "compare": _l("see and compare versions"),
    "track": _l("keep action items up to date"),
}
STATE_LABELS = MinutesState.labels()
# Downloads and exports carry the full text: only where the whole chain of labels may leave
# the intranet (core.sharing.Audience.leaves_intranet: no AMBER+STRICT, no RED, the meeting's
# label included).
DETAIL_ACTIONS = ("download", "export")
# Who reads review notes (a return comment, an early-release reason), among those who may
# read the minutes at all.
EDITORIAL_ROLES = COORD_REVIEW


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
    """Whether `account` may take `action` on `item` (a MinutesContext, see access):
    the table for its role and state, and the label rule for the minutes and their meeting."""
    if account is None or not getattr(account, "is_authenticated", False):
        return False
    if not allows(account.role, item.state, action):
        return False
    if action in DETAIL_ACTIONS and not item.audience.leaves_intranet:
        return False
    return item.label_allows(account)


def may_approve(account, item) -> bool:
    """Approving takes more than the table: four eyes (nobody who started the minutes or saved
    a version of them, also after a change of role) and the whole text seen (no section
    hidden from the reviewer)."""
    return (
        may(account, item, "approve")
        and not item.authored_by(account)
        and not item.hidden_section_numbers(account)
    )


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
        Transition(IN_REVIEW, CIRCULATING, "approve", may_approve),
        Transition(IN_REVIEW, DRAFT, "return", _guard("return"), needs_comment=lambda item: True),
        # Before the objection period ends only with a recorded reason (e.g. urgent publication).
        Transition(CIRCULATING, RELEASED, "release", _guard("release"), _early_release),
        # A justified objection: back to draft with a reason; review and a new period follow.
        Transition(
            CIRCULATING, DRAFT, "withdraw", _guard("withdraw"), needs_comment=lambda item: True
        ),
    ],
    messages={
        "return": _l("Please say what has to change: returning needs a comment."),
        "withdraw": _l("Please give the reason for taking the minutes back into draft."),
        "release": _l(
            "The objection period has not ended yet: releasing early needs a recorded reason."
        ),
    },
)
