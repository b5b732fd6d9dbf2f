"""The block pass of the Markdown renderer: paragraphs, headings, lists, quotes, code and
tables, line by line; the text inside each block goes to the inline pass."""

import html
import re

from intranet.core.text.inline import _inline

# Bounds that keep the work linear: deeper nesting and wider tables than this are shown as
# plain text.
MAX_DEPTH = 8
MAX_COLUMNS = 64


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
