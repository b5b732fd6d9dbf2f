"""OParl 1.1 addresses (JSON) and the personal OParl token on /account.

Who reads: a signed-in session, or a program sending `Authorization: Bearer <token>`. The
token counts on these addresses only and never makes a session. A wrong or revoked token is
a 401 in JSON; without either, a browser is sent to the sign-in page as everywhere, and a
request that accepts JSON but not HTML gets a 401 in JSON.
"""

import json
from functools import wraps

from flask import Blueprint, Response, flash, g, request, url_for
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from werkzeug.exceptions import NotFound as HTTPNotFound

from intranet.auth.access import require_login, to_login
from intranet.auth.forms import EmptyForm
from intranet.oparl import lists, objects, services
from intranet.oparl.services import TOKEN
from intranet.platform.errors import NotFound
from intranet.platform.htmx import redirect_to, render, wants_fragment
from intranet.platform.i18n import gettext as _

bp = Blueprint("oparl", __name__)

API = "/oparl/1.1"
# Addresses of the account page: a session only, never the token.
SESSION_ENDPOINTS = {"oparl.renew_token"}


def json_response(data, status: int = 200, headers=None) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    response = Response(body, status=status, headers=headers)
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    return response


def _unauthorized(error: str | None = None) -> Response:
    challenge = 'Bearer realm="oparl"' + (f', error="{error}"' if error else "")
    message = "invalid token" if error else "sign-in or a bearer token required"
    return json_response({"error": message}, 401, headers={"WWW-Authenticate": challenge})


def _wants_json() -> bool:
    accepted = request.accept_mimetypes
    return accepted.accept_json and not accepted.accept_html


@bp.before_request
def _reader():
    if request.endpoint in SESSION_ENDPOINTS:
        return require_login()
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _space, token = header.partition(" ")
        account = TOKEN.account_for(token.strip()) if scheme.lower() == "bearer" else None
        if account is None:
            return _unauthorized("invalid_token")
        g.oparl_reader = account
        return None
    if current_user.is_authenticated:
        g.oparl_reader = current_user._get_current_object()
        return None
    return _unauthorized() if _wants_json() else to_login()


def api(view):
    """An OParl address: its dict as JSON, and its errors (404 above all) as JSON too."""

    @wraps(view)
    def answer(**kwargs):
        try:
            result = view(**kwargs)
        except HTTPException as error:
            return json_response({"error": error.name}, error.code or 500)
        except NotFound:  # a service's "absent or hidden", answered like the loaders' 404
            error = HTTPNotFound()
            return json_response({"error": error.name}, error.code)
        return result if isinstance(result, Response) else json_response(result)

    return answer


def _reader_account():
    return g.oparl_reader


@bp.get(f"{API}/system")
@api
def system():
    return objects.system_object()


@bp.get(f"{API}/bodies")
@api
def bodies():
    return objects.body_list()


@bp.get(f"{API}/body")
@api
def body():
    return objects.body_object()


@bp.get(f"{API}/body/organizations")
@api
def organizations():
    return lists.organization_list(_reader_account())


@bp.get(f"{API}/body/people")
@api
def people():
    return lists.person_list(_reader_account())


@bp.get(f"{API}/body/memberships")
@api
def memberships():
    return lists.membership_list(_reader_account())


@bp.get(f"{API}/body/meetings")
@api
def meetings():
    return lists.meeting_list(_reader_account())


@bp.get(f"{API}/body/agenda-items")
@api
def agenda_items():
    return lists.agenda_item_list(_reader_account())


@bp.get(f"{API}/body/files")
@api
def files():
    return lists.file_list(_reader_account())


@bp.get(f"{API}/body/locations")
@api
def locations():
    return lists.location_list(_reader_account())


@bp.get(f"{API}/body/papers")
@api
def papers():
    # The forum has no papers (Drucksachen); OParl's Body must still name the list.
    return lists.empty_list("oparl.papers")


@bp.get(f"{API}/organization/<id:organization_id>")
@api
def organization(organization_id):
    return services.organization(organization_id)


@bp.get(f"{API}/person/<id:person_id>")
@api
def person(person_id):
    return services.person(person_id, _reader_account())


@bp.get(f"{API}/person/<id:person_id>/membership/<id:membership_id>")
@api
def membership(person_id, membership_id):
    return services.membership(person_id, membership_id)


@bp.get(f"{API}/meeting/<id:meeting_id>")
@api
def meeting(meeting_id):
    return services.meeting(meeting_id, _reader_account())


@bp.get(f"{API}/meeting/<id:meeting_id>/location")
@api
def location(meeting_id):
    return services.location(meeting_id, _reader_account())


@bp.get(f"{API}/meeting/<id:meeting_id>/agenda-item/<id:item_id>")
@api
def agenda_item(meeting_id, item_id):
    return services.agenda_item(meeting_id, item_id, _reader_account())


@bp.get(f"{API}/file/<id:attachment_id>")
@api
def file(attachment_id):
    return services.file(attachment_id, _reader_account())


@bp.get(f"{API}/file/<id:attachment_id>/download")
@api
def download(attachment_id):
    return services.download(attachment_id, _reader_account())


@bp.get(f"{API}/minutes/<id:minutes_id>/file")
@api
def minutes_file(minutes_id):
    return services.minutes_file(minutes_id, _reader_account())


@bp.get(f"{API}/minutes/<id:minutes_id>/file/download")
@api
def minutes_download(minutes_id):
    return services.minutes_download(minutes_id, _reader_account())


# --- The token on /account ----------------------------------------------------------------------


@bp.app_template_global()
def oparl_token():
    """The signed-in account's OParl token, or None before one was made."""
    if not current_user.is_authenticated:
        return None
    return TOKEN.current(current_user)


@bp.app_template_global()
def oparl_entry_url():
    return url_for("oparl.system", _external=True)


@bp.post("/account/oparl-token")
def renew_token():
    if EmptyForm().validate_on_submit():
        TOKEN.renew(current_user)
        flash(_("Your OParl token is new; the old one no longer works."), "success")
    if wants_fragment("oparl-token") and request.headers.get("HX-Request"):
        return render("oparl/_oparl_token.html", "oparl/_oparl_token.html")
    return redirect_to(url_for("auth.account"))


def revoke(account, actor=None, **_ignored) -> None:
    """The token ends with the sessions (new password, deactivation, new role); the owner
    makes a new one on /account."""
    TOKEN.revoke(account, actor)
