"""The start page answers "what needs me?": each area contributes panels for the account.

A panel has a place: "top" (the admin's set-up), "todo" (things that wait for the person, all
under one heading at the top, so that they are on the first screen of a phone) or "main"."""

from dataclasses import dataclass, field

from intranet.core.areas import registry


@dataclass
class Panel:
    """One block of the start page: a partial template and what it needs."""

    template: str
    context: dict = field(default_factory=dict)
    place: str = "main"


def panels_for(account) -> list[Panel]:
    """The panels the areas registered (`core.areas`: order and builder(account) returning a
    Panel, or None when it has nothing for this account), lowest order first."""
    return [p for _, builder in registry().panels if (p := builder(account)) is not None]
