"""The contacts list with its search and filters, and the list as vCards and as CSV."""

from flask import request, url_for
from flask_login import current_user

from intranet.core import audit
from intranet.core.accounts import organizations_by_name
from intranet.core.links import link_pattern
from intranet.directory import csv_io, rows, search, vcard
from intranet.directory.routes.blueprint import _export_detail, bp, own_entry
from intranet.directory.visibility import can_create, can_manage
from intranet.platform.htmx import render, wants_fragment
from intranet.platform.web import download


@bp.get("/contacts")
def contacts():
    filters = search.Filters.from_args(request.args)
    # Only the columns a row shows, as plain values (whole entries brought the consent record,
    # the search keys and the organisation's address into every row).
    page = rows.page_of_rows(current_user._get_current_object(), search.people(filters))
    # The empty directory tells whoever may add entries how; the role decides, no query.
    shared = {"may_create": can_create(current_user), "may_manage": can_manage(current_user)}
    # An organisation's general contact comes before its people: the way to reach it.
    named = search.organizations_named(filters)
    shared.update(named_organizations=named, ask=search.coordination() if named else [])
    if wants_fragment("contact-results"):
        # Typing in the search box: only the results change, the filters stay as they are.
        return render(
            "directory/contacts.html",
            "directory/_contact_results.html",
            page=page,
            filters=filters,
            **shared,
        )
    return render(
        "directory/contacts.html",
        "directory/_contact_results.html",
        page=page,
        filters=filters,
        organizations=organizations_by_name(),
        functions=search.function_choices(),
        **_letter_links(filters),
        own=own_entry(),
        **shared,
    )


def _letter_links(filters) -> dict:
    """The links "All" and A–Z, each keeping the other filters (one address, the letter filled
    in: 27 calls of `url_for` cost more than the list's query)."""
    others = {key: value for key, value in filters.as_args().items() if key != "letter"}
    link = link_pattern("directory.contacts", "letter", stand_in="LETTER", **others)
    return {
        "all_letters": url_for("directory.contacts", **others),
        "letters": [(letter, link(letter)) for letter in search.LETTERS],
    }


@bp.get("/contacts.vcf")
def contacts_vcard():
    filters = search.Filters.from_args(request.args)
    people = search.people(filters)
    body = vcard.serialize(vcard.person_card(current_user, person) for person in people)
    audit.record("contacts.exported", detail=_export_detail("vcf"))
    return download(body, "kontakte.vcf", "text/vcard")


@bp.get("/contacts.csv")
def contacts_csv():
    filters = search.Filters.from_args(request.args)
    body = csv_io.export(current_user, search.people(filters))
    audit.record("contacts.exported", detail=_export_detail("csv"))
    return download(body, "kontakte.csv", "text/csv")
