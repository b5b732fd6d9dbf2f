"""User-written Markdown turned into safe HTML: one helper for meetings, minutes and the rest.

The renderer is our own, for a small subset (paragraphs, headings, lists, quotes, code,
tables, emphasis, links), because it runs on every page view: each pass over the text is
linear and every nesting has a fixed bound, so no text a form accepts can keep a request
thread busy. Python-Markdown needed seconds for 2,000 `[`, and recursed out on deep lists.
Raw HTML is never passed through; nh3 then enforces the allowed tags and addresses.
"""

import functools

import nh3
from markupsafe import Markup

from intranet.core.text.blocks import MAX_COLUMNS, MAX_DEPTH, _blocks, _outline
from intranet.core.text.inline import MAX_OPENERS, MAX_URL
from intranet.core.text.plain import _PlainWriter

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "MAX_COLUMNS",
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_OPENERS",
    "MAX_URL",
    "URL_SCHEMES",
    "markdown_to_plain",
    "render_markdown",
]

# The length every Markdown field of a form accepts.
MAX_LENGTH = 20_000

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
# Headings 1–2 are the page's own: an author's headings start at h3 (see blocks._outline).
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
# No javascript:, data:, vbscript: … — only addresses a reader can safely follow.
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str | None) -> Markup:
    """Markdown → sanitised HTML. Raw HTML in the input is escaped, never trusted;
    attributes other than href/title (event handlers, hx-*, style) never survive."""
    if not text:
        return Markup("")
    return _render(text)


# The same description is shown on every view of its meeting: render it once.
@functools.lru_cache(maxsize=128)
def _render(text: str) -> Markup:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").replace("\0", "\ufffd").split("\n")
    html_text = "\n".join(_blocks([line.expandtabs(4) for line in lines], 0, tight=False))
    cleaned = nh3.clean(
        _outline(html_text),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(cleaned)  # noqa: S704 (sanitised just above)


def markdown_to_plain(text: str | None) -> str:
    """Markdown as plain text, for places that show no HTML (calendar descriptions).

    It goes through the same renderer as the pages, so the words are what a reader of the
    page sees: no emphasis signs or heading marks, list items with a bullet, a link as its
    text with the address after it, paragraphs apart by a blank line.
    """
    if not text:
        return ""
    writer = _PlainWriter()
    writer.feed(str(_render(text)))
    writer.close()
    return writer.result()
