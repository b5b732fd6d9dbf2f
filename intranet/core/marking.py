"""Titles and snippets of search hits with the typed words marked where they matched.

The index holds folded text (see `core.search.search_key`); a hit shows the text as written.
So the words are looked for in a folded copy, character by character, and the places found are
mapped back to the text as written, where they are marked with <mark>; everything else is
escaped.
"""

import bisect
import functools
import re
import unicodedata

from markupsafe import Markup, escape

from intranet.core.search import EXTRA_FOLDS

SNIPPET_LENGTH = 200
# Characters of a long text searched for its first match before the whole text is (see
# `_first_match`).
FIRST_MATCH_HEAD = 2000


@functools.lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    ch = ch.casefold().translate(EXTRA_FOLDS)
    return "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))


class _Folds(dict):
    """Each character's fold by code point, for str.translate: a character not seen before is
    folded once (`_fold_char`) and remembered in `_UNEVEN` when it folds to more or fewer
    characters. Cleared when full: hostile text may hold thousands of distinct characters."""

    def __missing__(self, code: int) -> str:
        if len(self) >= MAX_FOLDS:
            self.clear()
        fold = self[code] = _fold_char(chr(code))
        if len(fold) != 1:
            _UNEVEN.add(chr(code))
        return fold


MAX_FOLDS = 8192
_FOLDS = _Folds()
# Characters whose fold is not one character ("ß", combining marks). Never cleared: whether a
# character is one of them does not change, and Unicode holds a bounded number of them.
_UNEVEN: set[str] = set()


def _folded(text: str) -> tuple[str, "_Shifts | None"]:
    """`text` folded like the index (in C as far as possible: minutes can be long), and, when
    some characters fold to more or fewer characters ("ß" → "ss"), where their folds lie, so
    that positions can be mapped back; None when they line up."""
    if text.isascii():
        return text.lower(), None
    folded = _fold_unicode(text)
    if _UNEVEN.isdisjoint(text):
        return folded, None
    return folded, _Shifts(text)


# Where text is not ASCII, German text mostly is: a few umlauts and "ß" among plain letters.
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")


def _fold_unicode(text: str) -> str:
    """`text.translate(_FOLDS)`, two to three times faster for mostly ASCII text: ASCII is
    lowered in C and only the other characters are looked up, as written, so that `_UNEVEN`
    learns them ("ẞ", not its lower case "ß"). The few whose lower case is ASCII (the Kelvin
    sign) fold to it. When lower() lengthens a text ("İ" → "i̇"), every character is looked up."""
    lowered = text.lower()
    if len(lowered) != len(text):
        return text.translate(_FOLDS)
    return _NOT_ASCII.sub(lambda found: _FOLDS[ord(text[found.start()])], lowered)


class _Shifts:
    """The characters of a text that fold to more or fewer than one character, each with the
    place its fold starts in the folded text. Between two of them the folded text runs in step
    with the text as written, so only they are looked at (a German text has an "ß" in most
    paragraphs; walking every character in Python cost a search page a millisecond)."""

    def __init__(self, text: str):
        self.length = len(text)
        self.starts: list[int] = []  # where each fold starts, for bisect
        self.uneven: list[tuple[int, int, int]] = []  # (index in text, fold start, fold length)
        extra = 0
        for found in _uneven_pattern(len(_UNEVEN)).finditer(text):
            index, fold = found.start(), len(_FOLDS[ord(found.group())])
            self.starts.append(index + extra)
            self.uneven.append((index, index + extra, fold))
            extra += fold - 1

    def original_index(self, position: int) -> int:
        """The index in the text of the character that folded `position` came from."""
        last = bisect.bisect_right(self.starts, position) - 1
        if last < 0:
            return min(position, self.length)
        index, start, fold = self.uneven[last]
        if position < start + fold:
            return index
        return min(index + 1 + position - start - fold, self.length)


@functools.lru_cache(maxsize=1)
def _uneven_pattern(count: int) -> re.Pattern:
    """Any character of `_UNEVEN`, which only grows: its size tells the pattern's age."""
    return re.compile("[" + "".join(map(re.escape, sorted(_UNEVEN))) + "]")


def _original_index(shifts: _Shifts | None, position: int) -> int:
    """The index in the text as written of the character that folded `position` came from."""
    return position if shifts is None else shifts.original_index(position)


@functools.lru_cache(maxsize=256)
def _pattern(words: tuple[str, ...]) -> re.Pattern:
    # A word typed with ae/oe/ue ("mueller") also marks the umlaut, folded to "muller".
    alternatives = [
        re.sub(r"([aou])e", r"\1e?", re.escape(word))
        for word in sorted(words, key=len, reverse=True)
    ]
    return re.compile(rf"(?<![^\W_])(?:{'|'.join(alternatives)})")


def _spans(text: str, words: list[str]) -> list[tuple[int, int]]:
    """Where in `text` (as written) a word starts a folded word."""
    folded, shifts = _folded(text)
    spans = []
    for found in _pattern(tuple(words)).finditer(folded):
        start, end = found.span()
        if shifts is not None:
            start = _original_index(shifts, start)
            end = _original_index(shifts, end - 1) + 1
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
        else:
            spans.append((start, end))
    return spans


def _first_match(text: str, words: list[str]) -> int | None:
    """Where in `text` (as written) the first match starts."""
    # Minutes run to pages and most match early: their head is folded first. A match found
    # there is a match in the whole text too (folding goes character by character), and no
    # earlier one was cut off by the head's end if this one starts a longest word before it.
    if len(text) > FIRST_MATCH_HEAD:
        folded, shifts = _folded(text[:FIRST_MATCH_HEAD])
        found = _pattern(tuple(words)).search(folded)
        if found is not None and found.start() + max(map(len, words)) <= len(folded):
            return _original_index(shifts, found.start())
    folded, shifts = _folded(text)
    found = _pattern(tuple(words)).search(folded)
    return None if found is None else _original_index(shifts, found.start())


def _mark(text: str, spans: list[tuple[int, int]], offset: int = 0) -> Markup:
    # Every piece is escaped first; only the <mark> tags around them are markup. (Joined as
    # plain text and made Markup once: Markup's own join and % escape each piece again.)
    out, position = [], 0
    for start, end in spans:
        start, end = max(start - offset, 0), min(end - offset, len(text))
        if end <= position or start >= len(text):
            continue
        out += (escape(text[position:start]), "<mark>", escape(text[start:end]), "</mark>")
        position = end
    out.append(escape(text[position:]))
    return Markup("".join(out))  # noqa: S704 (each piece escaped above)


def highlight(text: str, words: list[str]) -> Markup:
    return _mark(text, _spans(text, words))


# Markdown signs a reader of a snippet does not need: heading and quote marks and list bullets
# at a line's start (the text is searched with a newline before it, so the first line counts),
# emphasis and code ticks, table bars, and link targets (the link text stays). Each pattern
# begins with a fixed character, which the regex engine scans for in C; one pattern of them all
# was tried at every character. The whitespace after a line's sign is left to the collapsing of
# whitespace: eaten, it hid the sign of a next line ("1.\n2. …").
_LINE_SIGNS = re.compile(r"\n\s{0,3}(?:#{1,6}|>|[-*+]|\d{1,9}[.)])(?=\s)")
# Emphasis and code ticks hold on to their words and go without a trace ("die **Polizei**,"
# reads "die Polizei,"; "**Haus**halt" reads "Haushalt", as the page shows it). A single * or
# _ is emphasis only in a pair around words within a line ("*Zusage*"); a lone one stays: the
# gender star ("Teilnehmer*innen"), a footnote ("(*)", "12 €*"), snake_case, an escaped "\*".
# The words between a pair hold neither sign but a gender star, as the page renders them
# ("*Bürger*innen*" is "Bürger*innen" in italics), so an attempt never runs past the next
# sign that could close it.
_EMPHASIS = re.compile(
    r"\*{2,}|_{2,}|`+|([*_])(?<=(?<![\w*\\])[*_])(?=[^\s*_])"
    r"((?:[^*_\n]|(?<=\w)\*(?=\w))*?[^\s*_\\])\1(?![\w*])"
)


def _emphasised(found: re.Match) -> str:
    return found.group(2) or ""


# No brackets inside either part: every attempt stops at the next bracket, so even text made
# of nothing but "[a](" takes linear time.
_MARKDOWN_LINK = re.compile(r"!?\[([^\[\]\n]{0,300})\]\([^()\[\]\s]{0,2000}\)")


def plain(text: str) -> str:
    """Markdown as the words a reader sees, each run of whitespace one space, for snippets."""
    if "](" in text:
        text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _EMPHASIS.sub(_emphasised, _LINE_SIGNS.sub(" ", "\n" + text)).replace("|", " ")
    return " ".join(text.split())


def snippet(text: str, words: list[str], length: int = SNIPPET_LENGTH) -> Markup:
    """A piece of `text` around its first match, matches marked, cut at spaces."""
    text = plain(text)
    if not text:
        return Markup("")
    if len(text) <= length:
        return highlight(text, words)
    if len(text) <= FIRST_MATCH_HEAD:
        # Folded and searched once: the first match places the piece, the same matches mark it.
        spans = _spans(text, words)
        first = spans[0][0] if spans else None
    else:
        # A long text is searched for its first match, and only the shown piece is marked.
        spans, first = None, _first_match(text, words)
    start, end = _piece(text, first, length)
    piece = text[start:end]
    marked = highlight(piece, words) if spans is None else _mark(piece, spans, start)
    return Markup("").join(
        [Markup("… ") if start else Markup(""), marked, Markup(" …") if end < len(text) else ""]
    )


def _piece(text: str, first: int | None, length: int) -> tuple[int, int]:
    """Where the snippet of `text` starts and ends: about a third of `length` before the first
    match (at the text's start without one), cut at spaces."""
    start = 0
    if first is not None:
        start = max(0, min(first - length // 3, len(text) - length))
        if start:
            space = text.find(" ", start)
            start = space + 1 if 0 <= space < first else start
    end = min(len(text), start + length)
    if end < len(text):
        space = text.rfind(" ", start, end)
        end = space if space > start else end
    return start, end
