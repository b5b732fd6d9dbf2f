"""Printable documents as tagged PDF (PDF/UA-1), rendered by WeasyPrint from the print view's HTML.

The renderer may read the application's own static files (fonts, the print style sheet) and
nothing else: text written by users can never make the server fetch an address
(`core.pdf_render`).
"""

from flask import current_app


def render_pdf(html: str) -> bytes:
    """HTML whose relative addresses point into the static folder → PDF/UA-1 bytes."""
    # WeasyPrint is loaded with the first PDF, not with the app: with Pango (through cffi),
    # fontTools and pikepdf it was half of the start-up (0.36 of 0.73 s with ten years of
    # data) and a third of a fresh process's memory, in every process, most of which never
    # makes a PDF. A broken PDF set-up (Pango missing) now shows at the first PDF, in the log.
    from intranet.core import pdf_render

    return pdf_render.render(html, current_app.static_folder)
