"""Typed, counted outcomes of a feed document's items and bytes (besides the feed outcomes)."""

from __future__ import annotations

from enum import StrEnum


class SkipReason(StrEnum):
    """Why an entry of a feed document was not published. Every skip is counted per reason in
    the poll report (``skipped``) and in the feed's state, and logged with the entry."""

    NO_URL = "no_url"
    """Neither a link nor a GUID that is an http(s) URL."""
    NON_HTTP_URL = "non_http_url"
    """The link is not an absolute http(s) URL (``javascript:``, ``data:``, ``file:``, relative...)
    and the GUID is not one either."""
    DUPLICATE_ITEM = "duplicate_item"
    """Same article id as an earlier entry of the same document, with other content: the first
    entry is kept (feeds list the newest first)."""


class Recode(StrEnum):
    """What was done to a feed body whose bytes are not valid in any charset it declares."""

    REDETECTED = "redetected"
    """Decoded in the charset a detector found (charset-normalizer), then given as UTF-8."""
    MIXED = "mixed"
    """UTF-8 with stray bytes (no more of them than well-formed multi-byte sequences): decoded
    as UTF-8, the stray bytes alone as windows-1252."""
    REPLACED = "replaced"
    """Nothing detected: decoded as UTF-8, invalid bytes became U+FFFD."""
