"""WeasyPrint's side of `core.pdf`: the HTML of a print view → tagged PDF (PDF/UA-1).

Imported at the first PDF a process makes (see `core.pdf`). The renderer may read the
application's own static files (fonts, the print style sheet) and nothing else: text written by
users can never make the server fetch an address.
"""

import io
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pikepdf
from fontTools.ttLib import woff2
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse


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
        if path.suffix == ".woff2":
            return URLFetcherResponse(
                path.as_uri(), _unpacked_font(path), {"Content-Type": "font/ttf"}
            )
        return super().fetch(path.as_uri(), headers)


@lru_cache(maxsize=16)
def _unpacked_font(path: Path) -> bytes:
    """The font file inside a WOFF2 file, unpacked once per process.

    WeasyPrint unpacks every WOFF2 font anew for each document, and for the four Fira Sans faces
    of the print style sheet that was most of a PDF's CPU time (0.2 s each on this machine);
    given the unpacked font it only copies it.
    """
    unpacked = io.BytesIO()
    woff2.decompress(io.BytesIO(path.read_bytes()), unpacked)
    return unpacked.getvalue()


def render(html: str, static_folder: str) -> bytes:
    """HTML whose relative addresses point into `static_folder` → PDF/UA-1 bytes."""
    static_root = Path(static_folder)
    document = HTML(
        string=html,
        base_url=static_root.resolve().as_uri() + "/",
        url_fetcher=StaticOnlyFetcher(static_root),
    )
    return scope_table_headers(document.write_pdf(pdf_variant="pdf/ua-1"))


def scope_table_headers(pdf: bytes) -> bytes:
    """Give every table header cell of the structure tree its /Scope (column headers in the
    head, row headers in the body), which WeasyPrint leaves out although the HTML says it:
    without it, assistive technology cannot tell which header a cell belongs to (PDF/UA-1
    7.5, checked by the `pdfua` rule UA-15-003)."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        tree = document.Root.get("/StructTreeRoot")
        if tree is None:
            return pdf
        _scope_headers(tree.get("/K"), None)
        out = io.BytesIO()
        document.save(out)
        return out.getvalue()


def _scope_headers(node, section) -> None:
    if isinstance(node, pikepdf.Array):
        for child in node:
            _scope_headers(child, section)
        return
    if not isinstance(node, pikepdf.Dictionary):
        return
    kind = node.get("/S")
    if kind in (pikepdf.Name.THead, pikepdf.Name.TBody, pikepdf.Name.TFoot):
        section = kind
    elif kind == pikepdf.Name.TH:
        attributes = node.get("/A")
        if not isinstance(attributes, pikepdf.Dictionary):
            attributes = pikepdf.Dictionary(O=pikepdf.Name.Table)
            node.A = attributes
        scope = pikepdf.Name.Column if section == pikepdf.Name.THead else pikepdf.Name.Row
        attributes.Scope = scope
        return
    _scope_headers(node.get("/K"), section)
