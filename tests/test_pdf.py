"""PDF export: tagged for screen readers, and unable to fetch anything but the app's own files."""

import json
import re
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from intranet.core.pdf import render_pdf
from intranet.core.pdf_render import StaticOnlyFetcher


def test_a_document_becomes_a_tagged_pdf_with_embedded_fonts(app, tmp_path):
    html = """<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Protokoll</title>
    <link rel="stylesheet" href="css/print.css"></head>
    <body><p class="doc-label">TLP:GREEN</p><h1>Protokoll</h1><p>Übung macht den Meister.</p></body></html>"""
    path = tmp_path / "doc.pdf"
    path.write_bytes(render_pdf(html))
    info = subprocess.run(["pdfinfo", path], capture_output=True, text=True, check=True).stdout
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    fonts = subprocess.run(["pdffonts", path], capture_output=True, text=True, check=True).stdout
    assert "Fira-Sans" in fonts
    text = subprocess.run(
        ["pdftotext", path, "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "Übung macht den Meister." in text
    assert text.count("TLP:GREEN") == 2  # in the text and in the page's running head


def test_the_fonts_are_unpacked_once_per_process_not_for_every_document(app, monkeypatch):
    """Unpacking the four WOFF2 faces of the print style sheet took most of a PDF's time."""
    from fontTools.ttLib import woff2

    from intranet.core import pdf_render

    pdf_render._unpacked_font.cache_clear()
    unpacked = []
    real = woff2.decompress
    monkeypatch.setattr(woff2, "decompress", lambda *a: unpacked.append(1) or real(*a))
    html = """<!doctype html><html lang="de"><head><title>x</title>
    <link rel="stylesheet" href="css/print.css"></head><body><p><b>a</b> <i>b</i></p></body></html>"""
    render_pdf(html)
    first = len(unpacked)
    render_pdf(html)
    assert 1 <= first <= 4 and len(unpacked) == first


def test_a_process_that_makes_no_pdf_does_not_load_the_pdf_renderer(tmp_path):
    """WeasyPrint with Pango, fontTools and pikepdf was half of the app's start-up: it is loaded
    with the first PDF. Checked in a fresh interpreter, after pages were served."""
    script = f"""
import json, sys
from intranet import create_app
app = create_app({{"DATA_DIR": {str(tmp_path)!r}}})
client = app.test_client()
statuses = [client.get(path).status_code for path in ("/healthz", "/login")]
loaded = sorted({{name.split(".")[0] for name in sys.modules}} & {{"weasyprint", "pikepdf", "fontTools"}})
print(json.dumps([statuses, loaded]))
"""
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True
    )
    statuses, loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert statuses == [200, 200]
    assert loaded == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/x.css",
        "https://example.org/font.woff2",
        "file:///etc/passwd",
        "ftp://example.org/x",
        "data:text/css,body{}",
    ],
)
def test_the_fetcher_refuses_everything_outside_the_static_folder(app, url):
    fetcher = StaticOnlyFetcher(Path(app.static_folder))
    with pytest.raises(ValueError):
        fetcher.fetch(url)


def test_user_text_cannot_make_the_server_fetch_an_address(app):
    hits = []

    class Recorder(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    address = f"http://127.0.0.1:{server.server_port}"
    try:
        html = f"""<html lang="de"><head><link rel="stylesheet" href="{address}/a.css">
        <style>@import url("{address}/b.css"); body {{ background: url("{address}/c.png") }}</style></head>
        <body><img src="{address}/d.png" alt=""><img src="file:///etc/hostname" alt="">
        <p>text</p></body></html>"""
        assert render_pdf(html).startswith(b"%PDF-")
    finally:
        server.shutdown()
    assert hits == []
