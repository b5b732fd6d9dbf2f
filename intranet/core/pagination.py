"""Page-by-page lists with a fixed number of queries: one count, one page."""

from dataclasses import dataclass

from intranet.core.query_args import QueryArgs

PER_PAGE = 50


@dataclass
class Page:
    items: list
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def requested_page() -> int:
    return QueryArgs().page()


def paginate(query, per_page: int = PER_PAGE, rows=list) -> Page:
    """`rows` turns the page's query into its items (a list of what the query gives by default)."""
    total = query.count()
    number = min(requested_page(), max(1, -(-total // per_page)))
    return Page(rows(query.paginate(number, per_page)), number, per_page, total)
