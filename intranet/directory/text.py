"""Cleaning and folding of names: safe to show, and findable without accents."""

import re
import unicodedata

from intranet.core.cleaning import clean_line

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
