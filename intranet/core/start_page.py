"""The start page answers "what needs me?": each area contributes panels for the account.

A panel has a place: "top" (the admin's set-up), "todo" (things that wait for the person, all
under one heading at the top, so that they are on the first screen of a phone) or "main"."""

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Panel:
    """One block of the start page: a partial template and what it needs."""

    template: str
    context: dict = field(default_factory=dict)
    place: str = "main"


# (order, builder); a builder returns a Panel, or None when it has nothing for this account.
_BUILDERS: list[tuple[int, Callable]] = []


def panel(order: int):
    """Register a builder(account) -> Panel | None; lower `order` comes first."""

    def register(builder):
        _BUILDERS.append((order, builder))
        _BUILDERS.sort(key=lambda entry: entry[0])
        return builder

    return register


def panels_for(account) -> list[Panel]:
    return [p for _, builder in _BUILDERS if (p := builder(account)) is not None]
