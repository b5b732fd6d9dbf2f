"""Minutes pages, one module per concern, all on the one blueprint `minutes` (so every address
and endpoint name stays `minutes.…`): archive and register, action items, the page of one set
of minutes, its workflow and comments, the draft editor and its agenda items."""

from intranet.minutes.routes import actions, archive, editor, page, review, sections
from intranet.minutes.routes.blueprint import bp

# The modules that add their pages to `bp`, each by decorating its views: importing this
# package brings all of them, so the area's `register` hands the app the whole blueprint.
PAGES = (archive, actions, page, review, editor, sections)

__all__ = ["PAGES", "bp"]
