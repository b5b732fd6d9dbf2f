"""Errors that the areas' services raise and that the web layer answers the same way everywhere."""


class NotFound(LookupError):
    """What the actor asked for is absent or not shared with them: one answer for both, so that
    nobody learns what exists outside their audience (404, never 403). Services raise it
    instead of calling `abort`, so that they work outside a request too; platform/errors.py
    answers it with the 404 page or message."""
