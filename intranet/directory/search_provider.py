"""Contacts in the site search: what is indexed of an entry (only what the whole forum may
see: name, function, organisation), and how hits are found."""

from flask import url_for

from intranet.core import fulltext
from intranet.core.accounts import Organization
from intranet.core.search import (
    HITS_PER_KIND,
    Hit,
    Provider,
    ProviderResults,
    Terms,
)
from intranet.directory.models import Person
from intranet.platform.i18n import lazy_gettext as _l

KIND = "person"
LIMIT = HITS_PER_KIND


def document(person: Person) -> tuple[str, str]:
    organization = Organization.get_by_id(person.organization_id)
    parts = (person.function, organization.name, organization.short_name)
    return person.full_name, " · ".join(part for part in parts if part)


def index_person(person: Person) -> None:
    fulltext.index(KIND, person.id, *document(person))


def remove_person(person: Person) -> None:
    fulltext.remove(KIND, person.id)


def reindex_organization(organization_id: int) -> None:
    """After an organisation is renamed: its people are found by the new name."""
    for person in Person.select().where(Person.organization == organization_id):
        index_person(person)


def find(account, terms: Terms) -> ProviderResults:
    """Names, functions and organisations are shared with the whole forum (visibility.py),
    so every entry is visible; phone and email are never indexed."""
    # The same for every account: one rendering of the query for all (fulltext.ranked).
    found = fulltext.search(KIND, Person.select(Person.id), terms, limit=LIMIT, visible_key=())
    hits = [
        Hit(
            url=url_for("directory.contact", person_id=match.item_id),
            title=match.title,
            snippet=match.snippet,
        )
        for match in found.matches
    ]
    more_url = None
    if found.more or found.total > len(hits):
        more_url = url_for("directory.contacts", q=" ".join(terms))
    return ProviderResults(hits=hits, total=found.total, more_url=more_url, more=found.more)


PROVIDER = Provider(KIND, _l("Contacts"), find, order=20)
