"""Finding people: one query builder for the list, the search and every export.

The folded `search_key` is matched with LIKE (escaped by Peewee), so the same code runs on
SQLite and PostgreSQL and nothing typed into the box is read as query syntax.
"""

from dataclasses import dataclass
from functools import cached_property

from peewee import OP, SQL, Expression, NodeList, Value

from intranet.core.accounts import Account, Organization, Role
from intranet.core.query_args import QueryArgs
from intranet.directory import text
from intranet.directory.models import Person
from intranet.platform.cleaning import clean_line
from intranet.platform.db import is_sqlite
from intranet.platform.prepared import Prepared

LETTERS = tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


@dataclass
class Filters:
    q: str = ""
    organization: int | None = None
    function: str = ""
    letter: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        letter = (args.get("letter") or "").upper()
        return cls(
            q=clean_line(args.get("q"))[:200],
            organization=QueryArgs(args).id("organization"),
            function=clean_line(args.get("function"))[:200],
            letter=letter if letter in LETTERS else "",
        )

    def as_args(self) -> dict:
        args = {
            "q": self.q,
            "organization": self.organization,
            "function": self.function,
            "letter": self.letter,
        }
        return {key: value for key, value in args.items() if value}

    @property
    def terms(self) -> text.Terms:
        return text.search_terms(self.q)

    @property
    def active(self) -> bool:
        return bool(self.as_args())

    @cached_property
    def organizations_by_term(self) -> dict[str, set[int]]:
        """`organizations_matching` for the terms, looked up once for the list and for the
        organisations the search names."""
        return organizations_matching(self.terms) if self.terms else {}


def people(filters: Filters | None = None):
    """People with their organisation, in alphabetical order: a single SELECT with a join.

    Each search term must match the person's name or function, or their organisation's name
    or short name ("Polizei", "SMI"): the organisations are looked up first (one query,
    only when there are terms), so the list stays one SELECT whatever the data size.
    """
    query = (
        Person.select(Person, Organization).join(Organization).order_by(Person.sort_key, Person.id)
    )
    if filters is None:
        return query
    terms = filters.terms
    by_organization = filters.organizations_by_term
    for term in terms:
        condition = contains(Person.search_key, term)
        if by_organization.get(term):
            condition |= Person.organization.in_(sorted(by_organization[term]))
        query = query.where(condition)
    if filters.organization:
        query = query.where(Person.organization == filters.organization)
    if filters.function:
        query = query.where(Person.function == filters.function)
    if filters.letter:
        query = query.where(Person.sort_key.startswith(filters.letter.lower()))
    return query


def organizations_named(filters: Filters, limit: int = 3) -> list[Organization]:
    """The organisations a search is about (chosen in the filter, or named by every term), whose
    general contact the list shows before their people."""
    if filters.organization:
        ids = {filters.organization}
    elif filters.terms:
        ids = set.intersection(*filters.organizations_by_term.values())
    else:
        return []
    if not ids:
        return []
    return list(
        Organization.select().where(Organization.id.in_(sorted(ids))).order_by(Organization.name)
    )[:limit]


def organizations_matching(terms) -> dict[str, set[int]]:
    """For each term, the organisations whose name or short name contains it.

    Folded in Python with the same key as the people (accents, ae/oe/ue), because the
    database cannot fold the way `search_key` does; the forum has a few dozen organisations.
    """
    found: dict[str, set[int]] = {term: set() for term in terms}
    rows = Organization.select(Organization.id, Organization.name, Organization.short_name)
    for organization_id, name, short_name in rows.tuples():
        key = text.search_key(name, short_name)
        for term in terms:
            if term in key:
                found[term].add(organization_id)
    return found


def contains(column, term: str):
    """`column LIKE '%term%'` with `%`, `_` and `\\` in `term` taken literally.

    The key and the terms are folded to lower case already, so PostgreSQL can use plain LIKE
    (ILIKE costs about twice as much). Peewee writes SQLite's LIKE as OP.ILIKE (its OP.LIKE
    becomes GLOB there, which knows no ESCAPE).
    """
    return like(column, Value(like_pattern(term), converter=False))


def like_pattern(term: str) -> str:
    """The LIKE pattern of `contains`: "%term%", with `%`, `_` and `\\` escaped."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def like(column, pattern):
    """`column LIKE pattern ESCAPE '\\'`; `pattern` from `like_pattern`, as a value or as a
    slot of a compiled query (platform.prepared)."""
    clause = NodeList((pattern, SQL("ESCAPE"), Value("\\")))
    return Expression(column, OP.ILIKE if is_sqlite() else OP.LIKE, clause)


def coordination(limit: int = 3) -> list[Person]:
    """The directory entries of active coordinators: whom to ask for an organisation that gives
    no general contact (the coordinators keep the directory)."""
    return list(
        Person.select(Person.id, Person.title, Person.given_name, Person.family_name)
        .join(Account, on=(Person.account == Account.id))
        .where((Account.role == Role.COORDINATOR) & Account.active)
        .order_by(Person.sort_key)
        .limit(limit)
    )


def _functions():
    return Person.select(Person.function).distinct().order_by(Person.function).tuples()


# The contacts page's filter reads it every time: compiled once.
_FUNCTIONS = Prepared(_functions)


def function_choices() -> list[str]:
    """Every function written in the directory, once each, in order."""
    return [function for (function,) in _FUNCTIONS.run() if function]
