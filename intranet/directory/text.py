"""Cleaning and folding of names: safe to show, and findable without accents.

The functions live in `intranet.core.search`, shared by every search box; this module keeps
the directory's long-standing names for them.
"""

from intranet.core.search import Terms, clean_line, fold, search_key, search_terms

__all__ = ["Terms", "clean_line", "fold", "search_key", "search_terms"]
