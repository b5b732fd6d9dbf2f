"""The inline pass of the Markdown renderer: emphasis, code spans, links and line breaks
inside one block, in one left-to-right pass."""

import html
import re

# Bounds that keep the work linear: more open brackets or emphasis marks than this are shown
# as plain text, and no address is longer than this.
MAX_OPENERS = 64
MAX_URL = 2000


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
    # snake_case_words stay as they are, and so does a single star between letters: the
    # gender star ("Bürger*innen und Teilnehmer*innen" is no emphasis of "innen und
    # Teilnehmer"). Written inside a word, ** still makes it bold.
    if char == "_" or size == 1 and before.isalnum() and after.isalnum():
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
