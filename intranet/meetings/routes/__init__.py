"""Meeting pages, one module per concern, all on the one blueprint `meetings` (so every address
and endpoint name stays `meetings.…`): calendar and lists, the page of one meeting, calendar
files and feeds, planning, invitations, the agenda, answers and attendance."""

from intranet.meetings.routes import agenda, answers, calendar, feeds, invitations, page, planning
from intranet.meetings.routes.blueprint import bp

# The modules that add their pages to `bp`, each by decorating its views: importing this
# package brings all of them, so the area's `register` hands the app the whole blueprint.
PAGES = (calendar, page, feeds, planning, invitations, agenda, answers)

__all__ = ["PAGES", "bp"]
