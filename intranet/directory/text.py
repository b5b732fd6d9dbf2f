"""Cleaning and folding of names: safe to show, and findable without accents."""

import re
import unicodedata

# Bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the invisible
# marks (LRM, RLM, ALM) could make a name display as something else, e.g. reversed.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
# Other control characters (CR, LF, tab, NUL) have no place in a one-line value.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
WHITESPACE = re.compile(r"\s+")

# Letters NFKD does not decompose, written the way a person without the key would type them.
EXTRA_FOLDS = str.maketrans(
    {
        "ı": "i",
        "ø": "o",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "æ": "ae",
        "œ": "oe",
        "ə": "e",
    }
)
# German readers type "Mueller" for "Müller"; the key holds that spelling as well.
GERMAN_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def clean_line(value: str | None) -> str:
    """One line of user text without bidi or control characters, spaces collapsed."""
    if not value:
        return ""
    value = BIDI_CONTROLS.sub("", value)
    value = CONTROL.sub(" ", value)
    return WHITESPACE.sub(" ", value).strip()


def fold(value: str) -> str:
    """Lower case without accents or other combining marks: "Özdemir" → "ozdemir", "Straße" → "strasse"."""
    value = unicodedata.normalize("NFKD", value.casefold().translate(EXTRA_FOLDS))
    value = "".join(ch for ch in value if not unicodedata.combining(ch))
    return WHITESPACE.sub(" ", value).strip()


def search_key(*parts: str) -> str:
    """The stored key a search is matched against: folded text, plus the German ae/oe/ue form."""
    text = " ".join(part for part in parts if part)
    folded = fold(text)
    german = fold(text.casefold().translate(GERMAN_TRANSLITERATION))
    return folded if german == folded else f"{folded} {german}"


def search_terms(query: str) -> list[str]:
    """The words of a search box text, folded like the key; at most 8 of them."""
    return [term for term in fold(clean_line(query)).split(" ") if term][:8]
