"""Stored codes with the words people read for them: the base of every state, role and kind.

A member is a `str` (`enum.StrEnum`), so it is stored, compared, put into forms, JSON, CSV,
calendar files and templates as the plain code it always was ("released" == MinutesState.RELEASED,
`json.dumps` writes "released"); rows read from the database hold plain strings, which compare
equal to the members and find them in the `labels()` mapping. What the code gains is one place
per set of codes, with the translatable label beside each, and a name that a typo cannot miss.

    class Role(LabelledEnum):
        ADMIN = "admin", _l("Admin"), _l("Manages accounts …")
"""

import enum


class LabelledEnum(enum.StrEnum):
    """Members are declared as `NAME = code, label[, description]`."""

    def __new__(cls, value: str, label=None, description=None):
        member = str.__new__(cls, value)
        member._value_ = value
        member._label = label if label is not None else value
        member._description = description
        return member

    @property
    def label(self):
        """The translatable name (a lazy string: translated where it is shown)."""
        return self._label

    @property
    def description(self):
        """One line on what the code means, where the set has one (else None)."""
        return self._description

    @classmethod
    def labels(cls) -> dict:
        """code → label, for templates that look up a stored string (`ROLE_LABELS[role]`)."""
        return {member: member.label for member in cls}

    @classmethod
    def descriptions(cls) -> dict:
        """code → description (None where the set has none)."""
        return {member: member.description for member in cls}

    @classmethod
    def choices(cls, exclude=()) -> list[tuple[str, object]]:
        """(code, label) pairs for a select field, in the order of the declaration."""
        return [(member.value, member.label) for member in cls if member not in exclude]

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)
