"""Printable documents as tagged PDF (PDF/UA-1), rendered by WeasyPrint from the print view's HTML.

The renderer may read the application's own static files (fonts, the print style sheet) and
nothing else: text written by users can never make the server fetch an address.
"""

from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app
from weasyprint import HTML
from weasyprint.urls import URLFetcher


class StaticOnlyFetcher(URLFetcher):
    """Serves file:// addresses inside the static folder; refuses every other address."""

    def __init__(self, static_root: Path):
        super().__init__(allowed_protocols={"file"}, allow_redirects=False)
        self.static_root = static_root.resolve()

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError("only the application's own static files may be loaded")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.static_root) or not path.is_file():
            raise ValueError("only the application's own static files may be loaded")
        return super().fetch(path.as_uri(), headers)


def render_pdf(html: str) -> bytes:
    """HTML whose relative addresses point into the static folder → PDF/UA-1 bytes."""
    static_root = Path(current_app.static_folder)
    document = HTML(
        string=html,
        base_url=static_root.resolve().as_uri() + "/",
        url_fetcher=StaticOnlyFetcher(static_root),
    )
    return document.write_pdf(pdf_variant="pdf/ua-1")
