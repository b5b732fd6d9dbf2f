"""One place that decides between a full page and an htmx fragment."""

from flask import flash, get_flashed_messages, make_response, redirect, render_template, request

from intranet.platform.extensions import htmx


def wants_fragment(fragment_id: str) -> bool:
    """A fragment only for a plain htmx request aimed at that fragment (or at nothing named).

    Boosted navigation and history restores need the whole page.
    """
    if not htmx or htmx.boosted or htmx.history_restore_request:
        return False
    return htmx.target in (None, fragment_id)


def render(
    template: str, fragment: str | None = None, status: int = 200, target: str | None = None,
    **context,
):  # fmt: skip
    """Render `template`, or only its partial `fragment` (a template name like
    'meetings/_month.html' whose outer element id is the file name without '_' and '.html';
    `target` names the id instead where one partial appears several times on a page).
    """
    if fragment and wants_fragment(target or fragment_id(fragment)):
        body = render_template(fragment, **context)
        if peek_flashes():
            body += render_template("_flashes.html", oob=True)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def fragment_id(fragment: str) -> str:
    return fragment.rsplit("/", 1)[-1].removeprefix("_").removesuffix(".html").replace("_", "-")


def flash_at(section: str, message: str, category: str = "success") -> None:
    """A message shown inside the page section `section` (where the button was), not at the top.

    The section renders it with `section_messages(section)`; the flash area at the top leaves
    such messages out. Only for answers that render the whole page (a redirect to it).
    """
    flash(message, f"{category}:{section}")


def section_messages(section: str) -> list[tuple[str, str]]:
    """The messages flashed for `section`, as (category, message)."""
    suffix = ":" + section
    return [
        (category.removesuffix(suffix), message)
        for category, message in get_flashed_messages(with_categories=True)
        if category.endswith(suffix)
    ]


def peek_flashes() -> bool:
    # get_flashed_messages caches its result on the request, so peeking does not consume.
    return bool(get_flashed_messages())


def redirect_to(url: str):
    """After a successful POST: 303 for browsers, HX-Redirect for htmx requests."""
    if htmx and not htmx.boosted:
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)


def login_redirect(url: str):
    """Send an anonymous request to the login page; htmx follows HX-Redirect instead."""
    if request.headers.get("HX-Request"):
        response = make_response("", 401)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 302)
