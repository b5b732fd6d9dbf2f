"""Markdown's HTML turned back into plain text, for places that show no HTML."""

import re
from html.parser import HTMLParser


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
