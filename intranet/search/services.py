"""Search across areas: each area's provider applies its own access rule to its own hits."""

from dataclasses import dataclass, field

from intranet.core.fulltext import query_words
from intranet.core.search import Provider, ProviderResults, Terms, providers, search_terms

MIN_LENGTH = 2


@dataclass
class Section:
    provider: Provider
    results: ProviderResults


@dataclass
class Results:
    terms: Terms
    sections: list[Section] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(section.results.total for section in self.sections)

    @property
    def more(self) -> bool:
        """Some count stopped early: more than `total` results were found."""
        return any(section.results.more for section in self.sections)


def search(account, query: str) -> Results | None:
    """Every provider's hits for `query`, or None when the query is too short to search."""
    terms = search_terms(query)
    # Only letters and digits are searched: "%%" or '""' is no search.
    if sum(len(word) for word in query_words(terms)) < MIN_LENGTH:
        return None
    return Results(terms, [Section(p, p.find(account, terms)) for p in providers()])
