"""What every search box shares: cleaning and folding of text, the capped list of search terms,
and the providers through which each area offers its results to the site search."""

import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from intranet.core.areas import registry
from intranet.platform.cleaning import clean_line

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
# German readers type "Mueller" for "Müller"; folded text holds that spelling as well.
GERMAN_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})

# Each term becomes one condition in SQL; without a cap a long paste nests so many of them
# that SQLite's parser gives up (a 500 from about 67 words on).
TERM_LIMIT = 10
# Longer "words" are pasted noise, not something a person types to find a meeting.
TERM_LENGTH = 60


def fold(value: str) -> str:
    """Lower case without accents or other combining marks: "Özdemir" → "ozdemir", "Straße" → "strasse"."""
    value = unicodedata.normalize("NFKD", value.casefold().translate(EXTRA_FOLDS))
    value = "".join(ch for ch in value if not unicodedata.combining(ch))
    return WHITESPACE.sub(" ", value).strip()


def fold_german(value: str) -> str:
    """Like `fold`, but with ä/ö/ü written ae/oe/ue: "Müller" → "mueller"."""
    return fold(value.casefold().translate(GERMAN_TRANSLITERATION))


def search_key(*parts: str) -> str:
    """Folded text plus its German ae/oe/ue form, so that either spelling of a query finds it."""
    text = " ".join(part for part in parts if part)
    folded = fold(text)
    german = fold_german(text)
    return folded if german == folded else f"{folded} {german}"


@dataclass(frozen=True)
class Terms:
    """The words of a search box: cleaned, folded, each once, at most `limit` of them.

    `ignored` counts the distinct words beyond the cap, so that the page can say so.
    """

    words: tuple[str, ...] = ()
    ignored: int = 0
    limit: int = TERM_LIMIT

    def __iter__(self) -> Iterator[str]:
        return iter(self.words)

    def __len__(self) -> int:
        return len(self.words)

    def __bool__(self) -> bool:
        return bool(self.words)


def search_terms(text: str | None, limit: int = TERM_LIMIT) -> Terms:
    """The terms every search box matches: "Übung übung  UEBUNG" → ("ubung", "uebung")."""
    words: list[str] = []
    for word in fold(clean_line(text)).split(" "):
        word = word[:TERM_LENGTH]
        if word and word not in words:
            words.append(word)
    return Terms(tuple(words[:limit]), max(0, len(words) - limit), limit)


# --- Search providers ---------------------------------------------------------------------------


# Hits each kind shows on /search, best first. Each one costs its own title, snippet, link and
# row (most of a search's time once the database has matched); the page says when more were
# found, and a narrower search brings the others up.
HITS_PER_KIND = 10


@dataclass
class Hit:
    """One result: where it links, its title and snippet (escaped HTML with <mark>ed matches)
    and a plain line of detail such as the date (escaped by the template)."""

    url: str
    title: str
    snippet: str = ""
    detail: str = ""


@dataclass
class ProviderResults:
    hits: list[Hit] = field(default_factory=list)
    total: int = 0
    more_url: str | None = None
    # The count stopped early (fulltext.POOL): more than `total` items were found.
    more: bool = False


@dataclass(frozen=True)
class Provider:
    """One area's contribution to /search. `find(account, terms)` must apply the area's own
    access rule, so that hits, counts and snippets only come from what `account` may see."""

    kind: str
    label: object  # a lazy string, translated when shown
    find: Callable[[object, Terms], ProviderResults]
    order: int = 100


def providers() -> list[Provider]:
    """The providers the areas registered (`core.areas`), in the order /search shows them."""
    return sorted(registry().search_providers.values(), key=lambda p: (p.order, p.kind))
