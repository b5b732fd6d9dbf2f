"""Response rules that hold for every address: security headers, caching, proxies, assets."""

import datetime as dt
import hashlib
from collections.abc import Callable
from functools import cache
from pathlib import Path

from flask import Response, request, url_for
from werkzeug.middleware.proxy_fix import ProxyFix

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


def init_app(app):
    proxies = int(app.config["TRUSTED_PROXIES"] or 0)
    if proxies > 0:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
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
        return url_for("static", filename=filename, v=_fingerprint(filename))

    app.jinja_env.globals["asset"] = asset


def download(body: str | bytes, filename: str, mimetype: str) -> Response:
    """A file to save (vCard, CSV, calendar, JSON export), UTF-8, never shown inline."""
    response = Response(body, mimetype=mimetype)
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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
