"""Minutes pages: the archive, the decision register (page and CSV), the print view and
the PDF of one set of minutes."""

from flask import request
from flask_login import current_user

from intranet.core import audit
from intranet.core.accounts import organizations_by_name
from intranet.core.pagination import paginate_counted
from intranet.core.query_args import QueryArgs
from intranet.minutes import access, export
from intranet.minutes import archive as minutes_archive
from intranet.minutes.routes.blueprint import bp
from intranet.platform.htmx import render
from intranet.platform.web import download

# --- Archive -------------------------------------------------------------------------------------


@bp.get("/minutes")
def archive():
    args = QueryArgs()
    year, organization_id = args.year("year"), args.id("organization")
    page = paginate_counted(
        lambda number, per_page: minutes_archive.archive(
            current_user, year, organization_id, number, per_page
        ),
        per_page=25,
    )
    filtered = year or organization_id
    return render(
        "minutes/archive.html",
        "minutes/_archive_list.html",
        page=page,
        year=year,
        organization_id=organization_id,
        years=minutes_archive.archive_years(current_user, None if filtered else page),
        organizations=_organization_filter(),
    )


def _register_filters():
    args = QueryArgs()
    return {
        "words": request.args.get("q", "")[:200],
        "year": args.year("year"),
        "organization_id": args.id("organization"),
    }


@bp.get("/decisions")
def decisions():
    """The register of released decisions the account may read, to find and cite them."""
    filters = _register_filters()
    page = paginate_counted(
        lambda number, per_page: minutes_archive.register_rows(
            current_user, number=number, per_page=per_page, **filters
        ),
        per_page=25,
    )
    return render(
        "minutes/decisions.html",
        "minutes/_decision_list.html",
        page=page,
        numbers=minutes_archive.register_row_numbers(page.items),
        years=minutes_archive.archive_years(current_user),
        organizations=_organization_filter(),
        **filters,
    )


# The spreadsheet holds the newest decisions up to this many.
EXPORTED_DECISIONS = 5000


@bp.get("/decisions.csv")
def decisions_csv():
    filters = _register_filters()
    decisions = minutes_archive.decision_register(
        current_user, number=1, per_page=EXPORTED_DECISIONS, **filters
    )
    body = minutes_archive.decisions_csv(current_user, decisions)
    audit.record("minutes.decisions_exported", detail=str(len(decisions)), actor=current_user)
    return download(body, "beschluesse.csv", "text/csv")


def _organization_filter():
    """(id, name) of every organisation, for the archive's and the register's filters."""
    return [(o.id, o.name) for o in organizations_by_name()]


# --- Export: print view and PDF -----------------------------------------------------------------


@bp.get("/minutes/<id:minutes_id>/print")
def print_view(minutes_id):
    # The read is written only if the export's own checks let the minutes out (else a 404).
    context = access.get_minutes_or_404(minutes_id, account=current_user)
    return export.html(export.prepare(context, current_user))


@bp.get("/minutes/<id:minutes_id>.pdf")
def pdf(minutes_id):
    # The export writes its own entry (minutes.exported); a second one for the view adds nothing.
    context = access.get_minutes_or_404(minutes_id, record_view=False, account=current_user)
    document = export.prepare(context, current_user)
    body = export.pdf(document)
    return download(body, export.file_name(context.minutes), "application/pdf")
