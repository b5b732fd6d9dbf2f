"""Request and response rules that hold for every address: input, security headers, caching, proxies, assets."""

import datetime as dt
import hashlib
from collections import ChainMap
from collections.abc import Callable
from functools import cache
from pathlib import Path
from urllib.parse import quote

import flask
from flask import Response, request
from flask.globals import _cv_request
from flask.templating import Environment as FlaskEnvironment
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.utils import cached_property

from intranet.platform.cleaning import clean_line

# For feeds and calendar files: any cache may keep a copy only for its one user (private) and
# must ask again before using it (no-cache), which a conditional request answers with a 304.
REVALIDATE = "private, no-cache"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # KERN-UX draws its icons as CSS masks with data: SVGs.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)


class _TemplateGlobals(ChainMap):
    """A template's globals over the environment's, as Jinja makes them, with a quicker "in".

    Every `{% from … import … %}` asks whether the importing template has globals the macro
    file lacks (`ctx.globals_keys - template.globals.keys()`): a membership test for each of
    the forty-odd globals, which a ChainMap answers one by one through `any()` over its maps.
    A page with ten imports spent a good part of a millisecond on that alone; as a set of the
    names (both maps' names as they are now) the difference is one step."""

    def keys(self):
        return self.maps[0].keys() | self.maps[1].keys()

    def __contains__(self, key) -> bool:
        return key in self.maps[0] or key in self.maps[1]


class _Environment(FlaskEnvironment):
    def make_globals(self, d):
        return _TemplateGlobals(d if d is not None else {}, self.globals)


def _rememberable(value) -> bool:
    """Values the server chooses for its links: ids, flags, short names."""
    kind = type(value)
    return kind is int or kind is bool or value is None or (kind is str and len(value) <= 64)


class App(flask.Flask):
    """Flask with the addresses a request builds remembered.

    A page links to the same few endpoints again and again (the navigation, three links in every
    row of a list), and building one through the URL map costs about ten microseconds: a
    millisecond on a list page. Within a request an address depends only on the endpoint (a
    relative one on the current blueprint), its values, the anchor and method, the request's
    method, and the application's root path (SCRIPT_NAME, which a trusted proxy may set per
    request). Only ids, flags and short names are remembered; an absolute address is the
    request's origin in front of the remembered path (`_external_url`); chosen schemes and
    URL-default hooks go the usual way.
    """

    url_cache_size = 20_000
    jinja_environment = _Environment

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._built_urls: dict[tuple, str] = {}

    def url_for(
        self, endpoint, *, _anchor=None, _method=None, _scheme=None, _external=None, **values
    ):
        context = _cv_request.get(None)
        if context is None or _scheme is not None or any(self.url_default_functions.values()):
            return super().url_for(
                endpoint,
                _anchor=_anchor,
                _method=_method,
                _scheme=_scheme,
                _external=_external,
                **values,
            )
        if not all(map(_rememberable, values.values())) or not _rememberable(_anchor):
            # A long or unusual value (a `next` path with the visitor's query string, a search
            # text) is built as usual: nobody fills the memory with strings of their choosing.
            return super().url_for(
                endpoint, _anchor=_anchor, _method=_method, _external=_external, **values
            )
        if _external:
            return self._external_url(context.request, endpoint, _anchor, _method, values)
        blueprint = context.request.blueprint if endpoint[:1] == "." else None
        adapter = context.url_adapter
        # In the given order (the query string keeps it), with each value's type (True builds
        # "True", 1 builds "1"), and the request's method (werkzeug prefers a rule for it).
        arguments = tuple((name, type(value), value) for name, value in values.items())
        key = (endpoint, blueprint, adapter.script_name, adapter.default_method, _anchor, _method)
        key += arguments
        built = self._built_urls.get(key)
        if built is None:
            built = super().url_for(endpoint, _anchor=_anchor, _method=_method, **values)
            if len(self._built_urls) >= self.url_cache_size:
                self._built_urls.clear()
            self._built_urls[key] = built
        return built

    def _external_url(self, request, endpoint, anchor, method, values) -> str:
        """An absolute address: the request's scheme and host (werkzeug writes them in front
        of the path it builds otherwise; the request's, so nothing of a visitor's Host header
        is remembered beyond the request) and the remembered path. An OParl page links a
        thousand objects."""
        path = self.url_for(endpoint, _anchor=anchor, _method=method, **values)
        on_this_host = path.startswith("/") and not path.startswith("//")
        origin = getattr(request, "_url_origin", None)
        if origin is not None and on_this_host:
            return origin + path
        built = super().url_for(endpoint, _anchor=anchor, _method=method, _external=True, **values)
        if on_this_host and built.endswith(path):
            request._url_origin = built[: len(built) - len(path)]
        return built


class Request(flask.Request):
    """Query string values arrive as `clean_line` leaves them, for every address at once:
    a NUL or other control character in `?q=`, `?month=` or `?next=` can then never reach
    the database (PostgreSQL refuses NUL) or a response header. Posted fields are cleaned by
    the base form (`intranet.core.forms.Form`), which knows one-line from multi-line fields."""

    @cached_property
    def args(self) -> ImmutableMultiDict:
        raw = super().args
        return ImmutableMultiDict(
            [(key, clean_line(value)) for key, value in raw.items(multi=True)]
        )


def init_app(app):
    app.request_class = Request
    proxies = int(app.config["TRUSTED_PROXIES"] or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )

    @app.after_request
    def security_headers(response):
        headers = response.headers
        # Downloads set a stricter policy of their own (file_headers).
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "same-origin"
        headers["X-Frame-Options"] = "DENY"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        if request.is_secure:
            headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
        if request.endpoint != "static" and headers.get("Cache-Control") != REVALIDATE:
            # Nothing dynamic may linger in a shared browser or proxy cache.
            headers["Cache-Control"] = "no-store"
        return response

    static_root = Path(app.static_folder)

    @cache
    def _fingerprint(filename: str) -> str:
        return hashlib.sha256((static_root / filename).read_bytes()).hexdigest()[:12]

    def asset(filename: str) -> str:
        """Static address with a content fingerprint, so it can be cached for a year."""
        return app.url_for("static", filename=filename, v=_fingerprint(filename))

    app.jinja_env.globals["asset"] = asset


DOWNLOAD_POLICY = "default-src 'none'; sandbox"


def file_headers(response: Response) -> Response:
    """What every file leaving the server carries: nothing in it may run, even if opened inline."""
    response.headers["Content-Security-Policy"] = DOWNLOAD_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def download(
    body: str | bytes, filename: str, mimetype: str, unicode_name: str | None = None
) -> Response:
    """A file to save (vCard, CSV, calendar, JSON export), UTF-8, never shown inline.

    `filename` must be plain ASCII without quotes; `unicode_name`, when given, is offered as
    RFC 6266 `filename*` (percent-encoded, so nothing in it can break the header)."""
    response = Response(body, mimetype=mimetype)
    response.charset = "utf-8"
    disposition = f'attachment; filename="{filename}"'
    if unicode_name and unicode_name != filename:
        disposition += f"; filename*=UTF-8''{quote(unicode_name, safe='')}"
    response.headers["Content-Disposition"] = disposition
    return file_headers(response)


def version_tag(*parts) -> str:
    """An ETag value from everything that decides a response's body."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def conditional(
    etag: str, last_modified: dt.datetime | None, build: Callable[[], Response]
) -> Response:
    """`build()`'s response, or a 304 without building it when the client holds this version.

    Only the ETag decides: a Last-Modified date cannot tell that something left the body
    (a meeting no longer visible), so If-Modified-Since alone always gets the full body.
    The tag is weak because a body may differ in stamps (DTSTAMP) but not in meaning.
    """
    unchanged = request.if_none_match.contains_weak(etag)
    response = Response(status=304) if unchanged else build()
    response.set_etag(etag, weak=True)
    if last_modified is not None:
        # Never later than now (RFC 9110 8.8.2.1), whatever a stored time says.
        now = dt.datetime.now(dt.UTC)
        response.last_modified = min(last_modified.replace(tzinfo=dt.UTC), now)
    response.headers["Cache-Control"] = REVALIDATE
    return response
