"""User-written Markdown turned into safe HTML: one helper for meetings, minutes and the rest."""

from functools import lru_cache

import markdown
import nh3
from markupsafe import Markup

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
# Headings 1–2 are the page's own; authors' "#" and "##" would break the page outline.
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
# No javascript:, data:, vbscript: … — only addresses a reader can safely follow.
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str | None) -> Markup:
    """Markdown → sanitised HTML. Raw HTML in the input is escaped or removed, never trusted;
    attributes other than href/title (event handlers, hx-*, style) never survive."""
    if not text:
        return Markup("")
    return Markup(_sanitised_html(text))  # noqa: S704 (sanitised in _sanitised_html)


@lru_cache(maxsize=1024)
def _sanitised_html(text: str) -> str:
    """Remembered per text: the same description is shown on every visit of its page, and
    Markdown plus sanitising take about a millisecond each time."""
    html = markdown.markdown(text, extensions=["tables", "sane_lists"], output_format="html")
    html = html.replace("<h1>", "<h3>").replace("</h1>", "</h3>")
    html = html.replace("<h2>", "<h4>").replace("</h2>", "</h4>")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return cleaned
