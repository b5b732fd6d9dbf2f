"""Meeting pages: the month grid and the lists."""

from flask import request
from flask_login import current_user

from intranet.core import times
from intranet.core.pagination import paginate
from intranet.core.query_args import QueryArgs
from intranet.meetings import overview as meetings_overview
from intranet.meetings.routes.blueprint import bp
from intranet.platform.db import utcnow
from intranet.platform.htmx import render


@bp.get("/calendar")
def calendar():
    today = times.to_local(utcnow()).date()
    first = QueryArgs().month("month") or today.replace(day=1)
    return render(
        "meetings/calendar.html",
        "meetings/_month.html",
        first=first,
        weeks=meetings_overview.month_grid(current_user, first, today),
        previous=meetings_overview.shift_month(first, -1),
        next=meetings_overview.shift_month(first, 1),
        today=today,
    )


@bp.get("/meetings")
def meetings():
    when = "past" if request.args.get("when") == "past" else "upcoming"
    mine = request.args.get("mine") == "1"
    page = paginate(meetings_overview.meeting_list(current_user, when, mine), per_page=20)
    return render(
        "meetings/list.html", "meetings/_meeting_list.html", page=page, when=when, mine=mine
    )
