"""Optimistic locking: one conditional UPDATE, safe on SQLite and on PostgreSQL alike.

Reading a row, comparing its version in Python and then saving it is only safe where the
database serialises the whole transaction (SQLite with BEGIN IMMEDIATE). Under PostgreSQL's
READ COMMITTED two such saves both pass the comparison and the later one silently overwrites
the earlier. A single `UPDATE … WHERE id = ? AND version = ?` cannot: the second writer waits
for the first one's row lock, then re-checks the condition against the committed row and
matches nothing.
"""

from peewee import Model


class Conflict(Exception):
    """The row changed since it was read (or the form was loaded); nothing was saved."""


def update_if_unchanged(model: type[Model], row_id, expected: dict, **changes) -> None:
    """`UPDATE model SET changes WHERE id = row_id AND <each expected field = its value>`.

    Raises Conflict when no row matched. `changes` may hold expressions such as
    `Model.sequence + 1`; they are evaluated by the database on the row it locked.
    """
    if not all(_storable(value) for value in (row_id, *expected.values())):
        raise Conflict()  # no row holds such a number: a forged form, answered like any change
    condition = model._meta.primary_key == row_id
    for name, value in expected.items():
        field = model._meta.fields[name]
        condition &= field.is_null() if value is None else (field == value)
    if model.update(**changes).where(condition).execute() != 1:
        raise Conflict()


def _storable(value) -> bool:
    """Whether the database can compare `value` at all: integers beyond 64 bits (a form's
    version "999…" of any length) make SQLite's driver raise and PostgreSQL refuse the query."""
    return not isinstance(value, int) or -(2**63) <= value < 2**63


def update_versioned(model: type[Model], row_id, expected_version: int, **changes) -> int:
    """Save `changes` only if the row still has `expected_version`; returns the new version.

    For every model with a `version` column (Meeting, Person, …). Raises Conflict otherwise.
    """
    update_if_unchanged(
        model, row_id, {"version": expected_version}, version=model.version + 1, **changes
    )
    return expected_version + 1
