"""A reusable state machine for documents: a transition table with guards and a history.

An area describes its workflow once as a list of `Transition`s; `Workflow.apply()` checks the
step, moves the document with a conditional UPDATE (so two people clicking at once cannot both
win) and records a `WorkflowEvent` and an audit entry. Anything not in the table is refused
with a German message, never carried out.

An area whose state is not one plain `state` column (meetings keep OParl's `meetingState` and
a separate `cancelled` flag) subclasses `Workflow` and says how its state is read
(`state_of`), matched in SQL (`in_state`) and written (`state_changes`).
"""

from collections.abc import Callable
from dataclasses import dataclass

from intranet.core import audit, versioning
from intranet.core.models import WorkflowEvent
from intranet.platform.db import utcnow, write_transaction
from intranet.platform.i18n import lazy_gettext as _l
from intranet.platform.prepared import Prepared


class WorkflowError(ValueError):
    """A step that is not allowed (wrong state, wrong person, missing comment)."""


class WorkflowConflict(WorkflowError, versioning.Conflict):
    """The item changed (state or version) between reading it and the step."""


# A transition target meaning "back to the state the item had before it entered the source".
PREVIOUS = "<previous>"


def _never(item) -> bool:
    return False


def _always(item) -> bool:
    return True


@dataclass(frozen=True)
class Transition:
    """From `source` to `target` by `action`, for whom `allowed(account, item)` says so.

    `needs_comment(item)` says whether the step must give a reason (a return, an early release).
    `ready(item)` is a condition on the item rather than the person (e.g. "the meeting has
    begun"); when it fails the step is refused with `not_ready` as the message.
    """

    source: str
    target: str
    action: str
    allowed: Callable
    needs_comment: Callable = _never
    ready: Callable = _always
    not_ready: object = ""


def _history(kind, item_id):
    return (
        WorkflowEvent.select()
        .where((WorkflowEvent.item_kind == kind) & (WorkflowEvent.item_id == item_id))
        .order_by(WorkflowEvent.at, WorkflowEvent.id)
    )


# Every page of an item with a workflow shows its timeline: compiled once per kind.
_HISTORY = Prepared(_history)


class Workflow:
    def __init__(self, kind: str, model, transitions: list[Transition], messages=None):
        self.kind = kind
        self.model = model
        self.transitions = list(transitions)
        # Per action: the message for a comment that is missing.
        self.messages = messages or {}

    # --- How the state is stored; areas with another layout override these. ---

    def state_of(self, item) -> str:
        return item.state

    def in_state(self, state: str):
        """The SQL condition "the row is in `state`" for the conditional UPDATE."""
        return self.model.state == state

    def state_changes(self, source: str, target: str) -> dict:
        return {self.model.state: target}

    def previous_state(self, item) -> str | None:
        """The state to return to for a PREVIOUS target; an area that uses PREVIOUS keeps
        that state somewhere and says where (None refuses the step)."""
        return None

    def target_of(self, item, transition: Transition) -> str | None:
        if transition.target == PREVIOUS:
            return self.previous_state(item)
        return transition.target

    # --- The rule ---

    def find(self, state: str, action: str) -> Transition | None:
        return next((t for t in self.transitions if t.source == state and t.action == action), None)

    def available(self, account, item) -> list[Transition]:
        """The steps `account` may take from the item's current state (for the buttons)."""
        state = self.state_of(item)
        return [
            t
            for t in self.transitions
            if t.source == state and t.allowed(account, item) and t.ready(item)
        ]

    def check(self, account, item, action: str, comment: str = "") -> Transition:
        transition = self.find(self.state_of(item), action)
        if transition is None:
            raise WorkflowError(_l("This step is not possible in the current state."))
        if not transition.allowed(account, item):
            raise WorkflowError(_l("You may not take this step."))
        if not transition.ready(item):
            raise WorkflowError(transition.not_ready or _l("This step is not possible yet."))
        if self.target_of(item, transition) is None:
            raise WorkflowError(_l("This step is not possible in the current state."))
        if transition.needs_comment(item) and not comment.strip():
            raise WorkflowError(
                self.messages.get(action, _l("Please give a reason for this step."))
            )
        return transition

    def apply(
        self, account, item, action: str, comment: str = "", changes=None, expected=None
    ) -> WorkflowEvent:
        """Carry out `action` on `item` (which has `.id` and a state, see `state_of`); `changes`
        are further columns to set in the same UPDATE, `expected` further column values the row
        must still have (e.g. `{"version": 3}` from a form). Raises WorkflowError (a
        WorkflowConflict when the row changed meanwhile); the item is not modified then."""
        transition = self.check(account, item, action, comment)
        target = self.target_of(item, transition)
        model = self.model
        values = {**self.state_changes(transition.source, target), **(changes or {})}
        condition = (model.id == item.id) & self.in_state(transition.source)
        for name, value in (expected or {}).items():
            condition &= model._meta.fields[name] == value
        with write_transaction():
            moved = model.update(values).where(condition).execute()
            if moved != 1:  # someone else moved it in the meantime
                raise WorkflowConflict(
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
                to_state=target,
                comment=comment.strip(),
            )
            audit.record(
                f"{self.kind}.{action}",
                target=f"{self.kind}:{item.id}",
                detail=f"{transition.source} -> {target}",
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
        return list(_HISTORY.run(self.kind, item_id=item_id))


def pseudonymise(account, pseudonym: str, **_ignored):
    """The timeline keeps every step, under the pseudonym instead of the erased account."""
    WorkflowEvent.update(actor=None, actor_label=pseudonym).where(
        WorkflowEvent.actor == account.id
    ).execute()
