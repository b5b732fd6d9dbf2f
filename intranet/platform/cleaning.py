"""Cleaning of user text before it is checked, stored or written into a file: one rule for all areas.

- `clean_line` for every one-line value (names, titles, rooms, search boxes): Unicode NFC,
  no control characters (category Cc) and no format characters (Cf: zero-width spaces, word
  joiner, byte order mark, bidi embeddings and overrides that could make a name display as
  something else), every run of white space one space, no space at either end.
  Exception: ZWNJ and ZWJ (U+200C, U+200D) stay where they join two letters, because Persian,
  Arabic and Indic scripts spell words with them; anywhere else they only hide text.
- `clean_text` for multi-line text (descriptions, notes): no control characters except tab and
  line feed, and CR LF or a lone CR become LF. PostgreSQL refuses NUL in text, and calendar
  files (RFC 5545) allow no other control characters either.
- `web_address` for web address fields: people type "www.dresden.de", so an address without a
  scheme gets `https://` (the validators then check the whole address as usual).
- `has_visible` tells whether a cleaned value shows anything at all: a name made of a lone
  combining accent is as empty as one made of zero-width spaces.
"""

import re
import unicodedata

JOINERS = frozenset("\u200c\u200d")
# Python's \s also covers the vertical tab, form feed, the separators U+001C–U+001F and NEL:
# these become a space, so "Raum\x0bA" reads "Raum A" rather than "RaumA".
WHITESPACE = re.compile(r"\s+")
# In multi-line text tab and line feed are the only control characters kept (CR is folded
# into LF first).
TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _joins_letters(value: str, index: int) -> bool:
    if index == 0 or index == len(value) - 1:
        return False
    before, after = value[index - 1], value[index + 1]
    # A mark before the joiner is normal in Indic scripts (virama + ZWJ + consonant).
    return unicodedata.category(before)[0] in "LM" and unicodedata.category(after)[0] == "L"


def clean_line(value: str | None) -> str:
    """One line of user text as it may be stored and shown (see the module's docstring)."""
    if not value:
        return ""
    value = WHITESPACE.sub(" ", value)
    value = "".join(
        ch
        for index, ch in enumerate(value)
        if unicodedata.category(ch) not in ("Cc", "Cf")
        or (ch in JOINERS and _joins_letters(value, index))
    )
    value = unicodedata.normalize("NFC", value)
    return WHITESPACE.sub(" ", value).strip()


def clean_text(value: str | None) -> str:
    """Multi-line user text: line feeds and tabs kept, every other control character removed."""
    if not value:
        return ""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return TEXT_CONTROLS.sub("", value)


# "https://…", "http://…"; anything else ("www.dresden.de", "dresden.de/x") had no scheme typed.
HAS_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def web_address(value: str | None) -> str:
    """A web address as typed, cleaned as a line, with `https://` where no scheme was typed."""
    value = clean_line(value)
    if value and not HAS_SCHEME.match(value):
        return "https://" + value.lstrip("/")
    return value


def has_visible(value: str | None) -> bool:
    """At least one letter or digit: what a name or a title needs to be read at all."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in value or "")
