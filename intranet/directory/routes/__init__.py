"""Directory pages, one module per concern, all on the one blueprint `directory` (so every
address and endpoint name stays `directory.…`): the contacts list and its exports, one
person's entry, memberships, organisations, the CSV import and the DSGVO pages."""

from intranet.directory.routes import (
    csv_import,
    listing,
    memberships,
    organizations,
    person,
    privacy,
)
from intranet.directory.routes.blueprint import bp

# The modules that add their pages to `bp`, each by decorating its views: importing this
# package brings all of them, so the area's `register` hands the app the whole blueprint.
PAGES = (listing, person, memberships, organizations, csv_import, privacy)

__all__ = ["PAGES", "bp"]
