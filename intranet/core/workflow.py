"""A reusable state machine for documents: a transition table with guards and a history.

An area describes its workflow once as a list of `Transition`s; `Workflow.apply()` checks the
step, moves the document with a conditional UPDATE (so two people clicking at once cannot both
win) and records a `WorkflowEvent` and an audit entry. Anything not in the table is refused
with a German message, never carried out.
"""

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from intranet.core import audit
from intranet.core.models import WorkflowEvent
from intranet.core.signals import account_erasing
from intranet.db import utcnow, write_transaction


class WorkflowError(ValueError):
    """A step that is not allowed (wrong state, wrong person, missing comment)."""


def _never(item) -> bool:
    return False


@dataclass(frozen=True)
class Transition:
    """From `source` to `target` by `action`, for whom `allowed(account, item)` says so.

    `needs_comment(item)` says whether the step must give a reason (a return, an early release).
    """

    source: str
    target: str
    action: str
    allowed: Callable
    needs_comment: Callable = _never


class Workflow:
    def __init__(self, kind: str, model, transitions: list[Transition], messages=None):
        self.kind = kind
        self.model = model
        self.transitions = list(transitions)
        # Per action: the message for a comment that is missing.
        self.messages = messages or {}

    def find(self, state: str, action: str) -> Transition | None:
        return next((t for t in self.transitions if t.source == state and t.action == action), None)

    def available(self, account, item) -> list[Transition]:
        """The steps `account` may take from the item's current state (for the buttons)."""
        return [t for t in self.transitions if t.source == item.state and t.allowed(account, item)]

    def check(self, account, item, action: str, comment: str = "") -> Transition:
        transition = self.find(item.state, action)
        if transition is None:
            raise WorkflowError(_l("This step is not possible in the current state."))
        if not transition.allowed(account, item):
            raise WorkflowError(_l("You may not take this step."))
        if transition.needs_comment(item) and not comment.strip():
            raise WorkflowError(
                self.messages.get(action, _l("Please give a reason for this step."))
            )
        return transition

    def apply(self, account, item, action: str, comment: str = "", changes=None) -> WorkflowEvent:
        """Carry out `action` on `item` (which has `.id` and `.state`); `changes` are further
        columns to set in the same UPDATE. Raises WorkflowError; the item is not modified then."""
        transition = self.check(account, item, action, comment)
        model = self.model
        values = {model.state: transition.target, **(changes or {})}
        with write_transaction():
            moved = (
                model.update(values)
                .where((model.id == item.id) & (model.state == transition.source))
                .execute()
            )
            if moved != 1:  # someone else moved it in the meantime
                raise WorkflowError(
                    _l("Someone else changed the state in the meantime. Please reload the page.")
                )
            event = WorkflowEvent.create(
                item_kind=self.kind,
                item_id=item.id,
                actor=account.id,
                actor_label=account.display_name,
                at=utcnow(),
                action=action,
                from_state=transition.source,
                to_state=transition.target,
                comment=comment.strip(),
            )
        audit.record(
            f"{self.kind}.{action}",
            target=f"{self.kind}:{item.id}",
            detail=f"{transition.source} -> {transition.target}",
            actor=account,
        )
        return event

    def record(self, account, item_id: int, action: str, state: str, comment: str = ""):
        """A history entry for something that is not a change of state (a start, a restore)."""
        return WorkflowEvent.create(
            item_kind=self.kind,
            item_id=item_id,
            actor=account.id,
            actor_label=account.display_name,
            at=utcnow(),
            action=action,
            from_state=state,
            to_state=state,
            comment=comment.strip(),
        )

    def history(self, item_id: int) -> list[WorkflowEvent]:
        return list(
            WorkflowEvent.select()
            .where((WorkflowEvent.item_kind == self.kind) & (WorkflowEvent.item_id == item_id))
            .order_by(WorkflowEvent.at, WorkflowEvent.id)
        )


@account_erasing.connect
def pseudonymise(account, pseudonym: str, **_ignored):
    """The timeline keeps every step, under the pseudonym instead of the erased account."""
    WorkflowEvent.update(actor=None, actor_label=pseudonym).where(
        WorkflowEvent.actor == account.id
    ).execute()
