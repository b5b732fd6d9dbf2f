"""User-written Markdown turned into safe HTML: one helper for meetings, minutes and the rest.

The renderer is our own, for a small subset (paragraphs, headings, lists, quotes, code,
tables, emphasis, links), because it runs on every page view: each pass over the text is
linear and every nesting has a fixed bound, so no text a form accepts can keep a request
thread busy. Python-Markdown needed seconds for 2,000 `[`, and recursed out on deep lists.
Raw HTML is never passed through; nh3 then enforces the allowed tags and addresses.
"""

import functools
import html
import re
from html.parser import HTMLParser

import nh3
from markupsafe import Markup

# The length every Markdown field of a form accepts.
MAX_LENGTH = 20_000

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
# Headings 1–2 are the page's own: an author's headings start at h3 (see _outline).
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}
# No javascript:, data:, vbscript: … — only addresses a reader can safely follow.
URL_SCHEMES = {"http", "https", "mailto"}

# Bounds that keep the work linear: deeper nesting, wider tables and more open brackets or
# emphasis marks than this are shown as plain text.
MAX_DEPTH = 8
MAX_COLUMNS = 64
MAX_OPENERS = 64
MAX_URL = 2000


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


class _PlainWriter(HTMLParser):
    """Turns the renderer's sanitised HTML (our own tags only) back into lines of text."""

    BLOCKS = {"p", "h3", "h4", "h5", "h6", "pre", "blockquote", "table", "ul", "ol", "hr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str | None] = []
        self.lists: list[list[int]] = []  # per open list: [ordered, next number]
        self.cells = 0
        self.item_start = False  # right after a list bullet: a paragraph starts on its line

    def _block_break(self) -> None:
        """A block's edge: a blank line, but inside a list item only a line break."""
        if self.item_start:
            return
        self._break(blank=not self.lists)

    def _break(self, blank: bool = False) -> None:
        # Trailing blanks of the line end here; breaks in a row make at most one blank line.
        have = 0
        if self.parts:
            last = self.parts[-1].rstrip(" ")
            self.parts[-1] = last.rstrip("\n")
            have = len(last) - len(self.parts[-1])
        self.parts.append("\n" * min(max(2 if blank else 1, have), 2))

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self._block_break()
        if tag in ("ul", "ol"):
            self.lists.append([tag == "ol", 1])
        elif tag == "li":
            if not (self.parts and self.parts[-1].endswith("\n")):
                self._break()
            indent = "  " * max(len(self.lists) - 1, 0)
            ordered, number = self.lists[-1] if self.lists else (False, 1)
            if ordered:
                self.parts.append(f"{indent}{number}. ")
                self.lists[-1][1] += 1
            else:
                self.parts.append(f"{indent}• ")
            self.item_start = True
            return
        elif tag == "br":
            self._break()
        elif tag == "tr":
            self._break()
            self.cells = 0
        elif tag in ("td", "th"):
            if self.cells:
                self.parts.append(" | ")
            self.cells += 1
        elif tag == "a":
            self.links.append(dict(attrs).get("href"))
        elif tag == "hr":
            self._break(blank=True)
            self.parts.append("———")

    def handle_endtag(self, tag):
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        elif tag == "a" and self.links:
            href = self.links.pop()
            # The address stays readable where the link text does not already show it.
            label = self.parts[-1] if self.parts else ""
            if href and href not in label and not href.startswith("mailto:"):
                self.parts.append(f" ({href})")
        if tag in self.BLOCKS:
            self._block_break()

    def handle_data(self, data):
        # The renderer puts a line feed between its tags; a break is already written there.
        if self.parts and self.parts[-1].endswith("\n"):
            data = data.lstrip("\n")
        elif "\n" in data and not data.strip():
            return
        if data:
            self.parts.append(data)
            self.item_start = False

    def result(self) -> str:
        lines = [line.rstrip() for line in "".join(self.parts).split("\n")]
        text = "\n".join(lines)
        return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- Blocks -----------------------------------------------------------------------------------

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ ]|$)")
_QUOTE = re.compile(r" {0,3}> ?")
_LIST_ITEM = re.compile(r"( {0,3})([-*+]|(\d{1,9})[.)])( {1,4}|$)")
_DELIMITER_CELL = re.compile(r":?-+:?")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _is_rule(line: str) -> bool:
    stripped = line.strip()
    if len(stripped) < 3 or stripped[0] not in "-*_" or _indent(line) > 3:
        return False
    marks = stripped.replace(" ", "")
    return len(marks) >= 3 and marks == stripped[0] * len(marks)


def _setext_level(line: str) -> int:
    stripped = line.strip()
    if _indent(line) > 3 or not stripped:
        return 0
    if stripped == "=" * len(stripped):
        return 1
    if stripped == "-" * len(stripped):
        return 2
    return 0


def _starts_block(line: str, depth: int) -> bool:
    """Whether `line` ends a running paragraph."""
    first = line.lstrip()[:1]
    if first.isalpha():
        return False  # the common case: every block marker is a sign or a digit
    if not first or _FENCE.match(line) or _HEADING.match(line) or _is_rule(line):
        return True
    if depth < MAX_DEPTH:
        if _QUOTE.match(line):
            return True
        item = _LIST_ITEM.match(line)
        # Only a list that starts with something (and at 1) may interrupt a paragraph.
        if item and line[item.end() :].strip() and item.group(3) in (None, "1"):
            return True
    return False


def _split_row(line: str) -> list[str]:
    cells = re.split(r"(?<!\\)\|", line.strip())
    if cells and cells[0].strip() == "":
        cells = cells[1:]
    if cells and cells[-1].strip() == "":
        cells = cells[:-1]
    return [cell.strip() for cell in cells]


def _table_alignments(header: str, delimiter: str) -> list[str] | None:
    if "|" not in header or "|" not in delimiter or "-" not in delimiter:
        return None
    cells = _split_row(delimiter)
    if not cells or len(cells) > MAX_COLUMNS or len(cells) != len(_split_row(header)):
        return None
    alignments = []
    for cell in cells:
        if not _DELIMITER_CELL.fullmatch(cell):
            return None
        left, right = cell.startswith(":"), cell.endswith(":")
        alignments.append(
            "center" if left and right else "right" if right else "left" if left else ""
        )
    return alignments


def _table(header: str, alignments: list[str], rows: list[str]) -> str:
    def row(line: str, tag: str) -> str:
        cells = (_split_row(line) + [""] * len(alignments))[: len(alignments)]
        parts = []
        for cell, align in zip(cells, alignments, strict=True):
            attribute = f' align="{align}"' if align else ""
            parts.append(f"<{tag}{attribute}>{_inline(cell)}</{tag}>")
        return "<tr>" + "".join(parts) + "</tr>"

    body = "".join(row(line, "td") for line in rows)
    return (
        f"<table><thead>{row(header, 'th')}</thead>"
        + (f"<tbody>{body}</tbody>" if body else "")
        + "</table>"
    )


def _blocks(lines: list[str], depth: int, tight: bool) -> list[str]:
    """Render a run of lines; `depth` counts the quotes and lists around them."""
    out: list[str] = []
    i, count = 0, len(lines)
    while i < count:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        fence = _FENCE.match(line)
        if fence:
            marker = fence.group(1)
            code, i = [], i + 1
            while i < count:
                closing = lines[i].strip()
                if closing.startswith(marker) and closing == marker[0] * len(closing):
                    i += 1
                    break
                code.append(lines[i])
                i += 1
            out.append(_code_block(code))
            continue
        heading = _HEADING.match(line)
        if heading:
            out.append(_heading(len(heading.group(1)), _heading_text(line[heading.end() :])))
            i += 1
            continue
        if _is_rule(line):
            out.append("<hr>")
            i += 1
            continue
        if _indent(line) >= 4:
            code = []
            while i < count and (_indent(lines[i]) >= 4 or not lines[i].strip()):
                code.append(lines[i][4:])
                i += 1
            while code and not code[-1].strip():
                code.pop()
            out.append(_code_block(code))
            continue
        if depth < MAX_DEPTH and _QUOTE.match(line):
            quoted = []
            while i < count:
                marker = _QUOTE.match(lines[i])
                if marker:
                    quoted.append(lines[i][marker.end() :])
                elif quoted and quoted[-1].strip() and not _starts_block(lines[i], depth):
                    quoted.append(lines[i])  # a paragraph continued without ">"
                else:
                    break
                i += 1
            inner = "\n".join(_blocks(quoted, depth + 1, tight=False))
            out.append(f"<blockquote>\n{inner}\n</blockquote>")
            continue
        if depth < MAX_DEPTH and _LIST_ITEM.match(line):
            html_list, i = _list(lines, i, depth)
            out.append(html_list)
            continue
        if i + 1 < count:
            alignments = _table_alignments(line, lines[i + 1])
            if alignments is not None:
                rows, i = [], i + 2
                while i < count and lines[i].strip() and not _starts_block(lines[i], depth):
                    rows.append(lines[i])
                    i += 1
                out.append(_table(line, alignments, rows))
                continue
        paragraph = [line.lstrip()]
        i += 1
        level = 0
        while i < count:
            level = _setext_level(lines[i])
            if level or _starts_block(lines[i], depth):
                break
            paragraph.append(lines[i].lstrip())
            i += 1
        if level:
            out.append(_heading(level, "\n".join(paragraph)))
            i += 1
            continue
        content = _inline("\n".join(paragraph))
        out.append(content if tight else f"<p>{content}</p>")
    return out


def _heading_text(rest: str) -> str:
    """The text of an ATX heading without its optional closing #s."""
    rest = rest.strip()
    without = rest.rstrip("#")
    if not without or without.endswith(" "):
        rest = without.strip()
    return rest


def _heading(level: int, content: str) -> str:
    """The author's level as written; _outline moves it below the page's own headings."""
    return f"<h{level}>{_inline(content)}</h{level}>"


_HEADING_TAG = re.compile(r"<(/?)h([1-6])>")


def _outline(html_text: str) -> str:
    """The levels an author used, in order, become h3, h4, h5, h6: whether a text starts with
    "#" or "###", its top level sits right below the page's section heading (h2) and no level
    is skipped (WCAG 1.3.1). Raw HTML in the text is escaped, so every tag here is ours."""
    used = sorted({int(level) for _, level in _HEADING_TAG.findall(html_text)})
    if not used:
        return html_text
    mapped = {level: min(3 + rank, 6) for rank, level in enumerate(used)}
    return _HEADING_TAG.sub(lambda m: f"<{m.group(1)}h{mapped[int(m.group(2))]}>", html_text)


def _code_block(lines: list[str]) -> str:
    return "<pre><code>" + html.escape("\n".join(lines) + "\n", quote=False) + "</code></pre>"


def _list(lines: list[str], i: int, depth: int) -> tuple[str, int]:
    """One list starting at line `i`: its HTML and the index of the line after it."""
    first = _LIST_ITEM.match(lines[i])
    ordered = first.group(3) is not None
    kind = first.group(2)[-1]  # the bullet, or the . or ) after a number
    items: list[list[str]] = []
    loose = False
    count = len(lines)
    while i < count:
        item = _LIST_ITEM.match(lines[i])
        if item is None or (item.group(3) is not None) != ordered or item.group(2)[-1] != kind:
            break
        has_text = bool(lines[i][item.end() :].strip())
        width = item.end() if has_text and item.group(4) else item.end(2) + 1
        content = [lines[i][item.end() :]]
        i += 1
        while i < count:
            line = lines[i]
            if not line.strip():
                # A blank line ends the item unless indented content follows.
                following = i + 1
                while following < count and not lines[following].strip():
                    following += 1
                if following < count and _indent(lines[following]) >= width:
                    content.extend([""] * (following - i))
                    loose = True
                    i = following
                    continue
                break
            if _indent(line) >= width:
                content.append(line[width:])
            elif _LIST_ITEM.match(line):
                break  # the next item
            elif content[-1].strip() and not _starts_block(line, depth):
                content.append(line.lstrip())  # a paragraph continued without indent
            else:
                break
            i += 1
        items.append(content)
        if i < count and not lines[i].strip():
            following = i
            while following < count and not lines[following].strip():
                following += 1
            next_item = following < count and _LIST_ITEM.match(lines[following])
            if next_item and (next_item.group(3) is not None) == ordered:
                loose = True
                i = following
    tag = "ol" if ordered else "ul"
    rendered = []
    for content in items:
        inner = _blocks(content, depth + 1, tight=not loose)
        rendered.append("<li>" + "\n".join(inner) + "</li>")
    return f"<{tag}>\n" + "\n".join(rendered) + f"\n</{tag}>", i


# --- Inline -----------------------------------------------------------------------------------

_TEXT = re.compile(r"[^\\`*_\[\]<\n]+")
# (address "title"): the address may hold one level of balanced parentheses, as in
# Wikipedia links. Possessive runs: a failed match never retries shorter whitespace runs.
_LINK_TARGET = re.compile(
    rf"\(\s*+(<[^<>\n]{{0,{MAX_URL}}}>|(?:[^\s()<>]|\([^\s()<>]{{0,{MAX_URL}}}\)){{0,{MAX_URL}}}+)"
    r"\s*+(?:\"([^\"\n]{0,300})\"\s*+)?\)"
)
_AUTOLINK = re.compile(rf"<((?:https?://|mailto:)[^\s<>]{{1,{MAX_URL}}})>")
_PUNCTUATION = set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")


def _escape(value: str) -> str:
    return html.escape(value, quote=False)


class _Opener:
    __slots__ = ("char", "count", "index")

    def __init__(self, char: str, count: int, index: int):
        self.char, self.count, self.index = char, count, index


def _inline(text: str) -> str:
    """Emphasis, code, links and line breaks in one left-to-right pass.

    Openers wait on one stack of at most MAX_OPENERS; a closer looks only through that stack,
    and a code span finds its closing backticks through a precomputed index — so the work grows
    with the length of the text, whatever it contains.
    """
    out: list[str] = []
    stack: list[_Opener] = []
    # Where each run of backticks of a given length starts, in order: the closing run of a
    # code span is the next one of the same length.
    runs: dict[int, list[int]] = {}
    for match in re.finditer(r"`+", text):
        runs.setdefault(len(match.group()), []).append(match.start())
    next_run = dict.fromkeys(runs, 0)
    i, length = 0, len(text)
    while i < length:
        char = text[i]
        if char == "\\" and i + 1 < length:
            following = text[i + 1]
            if following == "\n":
                out.append("<br>\n")
                i += 2
                continue
            if following in _PUNCTUATION:
                out.append(_escape(following))
                i += 2
                continue
            out.append("\\")
            i += 1
            continue
        if char == "`":
            end = i
            while end < length and text[end] == "`":
                end += 1
            size = end - i
            positions = runs[size]
            cursor = next_run[size]
            while cursor < len(positions) and positions[cursor] < end:
                cursor += 1
            next_run[size] = cursor
            if cursor < len(positions):
                close = positions[cursor]
                code = text[end:close].replace("\n", " ")
                if len(code) > 2 and code[0] == " " and code[-1] == " " and code.strip():
                    code = code[1:-1]
                out.append(f"<code>{_escape(code)}</code>")
                next_run[size] = cursor + 1
                i = close + size
            else:
                out.append(text[i:end])
                i = end
            continue
        if char in "*_":
            end = i
            while end < length and text[end] == char:
                end += 1
            i = _emphasis(text, i, end, out, stack)
            continue
        if char == "[":
            out.append("[")
            if len(stack) < MAX_OPENERS:
                stack.append(_Opener("[", 1, len(out) - 1))
            i += 1
            continue
        if char == "]":
            i = _close_link(text, i, out, stack)
            continue
        if char == "<":
            autolink = _AUTOLINK.match(text, i)
            if autolink:
                address = autolink.group(1)
                out.append(f'<a href="{html.escape(address)}">{_escape(address)}</a>')
                i = autolink.end()
            else:
                out.append("&lt;")
                i += 1
            continue
        if char == "\n":
            # Two spaces at the end of a line make a line break.
            if out and out[-1].endswith("  "):
                out[-1] = out[-1].rstrip(" ")
                out.append("<br>\n")
            else:
                out.append("\n")
            i += 1
            continue
        run = _TEXT.match(text, i)
        out.append(_escape(run.group()) if run else _escape(char))
        i = run.end() if run else i + 1
    return "".join(out).strip()


def _emphasis(text: str, start: int, end: int, out: list[str], stack: list[_Opener]) -> int:
    """Handle the run of * or _ at text[start:end]; returns where to continue."""
    char, size = text[start], end - start
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    can_open = not after.isspace()
    can_close = not before.isspace()
    if char == "_":  # snake_case_words stay as they are
        can_open = can_open and not before.isalnum()
        can_close = can_close and not after.isalnum()
    if size > 3:
        can_open = can_close = False
    remaining = size
    if can_close:
        # The nearest opener of the same mark; a link opener in between stops the search.
        for position in range(len(stack) - 1, -1, -1):
            opener = stack[position]
            if opener.char == "[":
                break
            if opener.char != char:
                continue
            used = 2 if opener.count >= 2 and remaining >= 2 else 1
            if opener.count == 3 and remaining == 3:
                used = 3
            inner = "".join(out[opener.index + 1 :])
            del out[opener.index + 1 :]
            if used == 3:
                inner = f"<em><strong>{inner}</strong></em>"
            elif used == 2:
                inner = f"<strong>{inner}</strong>"
            else:
                inner = f"<em>{inner}</em>"
            out[opener.index] = char * (opener.count - used)
            out.append(inner)
            del stack[position:]
            remaining -= used
            break
    if remaining:
        out.append(char * remaining)
        if can_open and len(stack) < MAX_OPENERS:
            stack.append(_Opener(char, remaining, len(out) - 1))
    return end


def _close_link(text: str, i: int, out: list[str], stack: list[_Opener]) -> int:
    """A `]`: a link if it closes a `[` and `(address)` follows, else a plain bracket."""
    for position in range(len(stack) - 1, -1, -1):
        if stack[position].char == "[":
            break
    else:
        out.append("]")
        return i + 1
    opener = stack[position]
    target = _LINK_TARGET.match(text, i + 1)
    del stack[position:]
    if target is None:
        out.append("]")
        return i + 1
    address = target.group(1).strip("<>")
    title = target.group(2)
    label = "".join(out[opener.index + 1 :])
    del out[opener.index :]
    attributes = f' href="{html.escape(address)}"'
    if title:
        attributes += f' title="{html.escape(title)}"'
    out.append(f"<a{attributes}>{label}</a>")
    # No links inside links: earlier `[` cannot become links around this one.
    stack[:] = [o for o in stack if o.char != "["]
    return target.end()
