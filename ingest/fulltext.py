"""Full text of an article page, for feeds that carry only a summary (opt-in per feed).

The page is fetched by :func:`ingest.fetch.fetch` (size and time limits, redirects by hand) and
only its bytes are given to trafilatura: trafilatura never fetches anything by itself.
"""

from __future__ import annotations

from collections.abc import Callable

from diplowire.ingest.address import DEFAULT_POLICY, AddressPolicy
from diplowire.ingest.fetch import PAGE_ACCEPT, FetchError, Response
from diplowire.ingest.normalize import html_to_text

Fetcher = Callable[..., Response]


class ExtractionError(Exception):
    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def extract_text(html: bytes) -> str:
    """Main text of an HTML page, or "" when trafilatura finds none."""
    import trafilatura  # imported lazily: slow to import and only needed by full_text feeds

    text = trafilatura.extract(
        html,
        include_comments=False,
        include_tables=False,
        include_links=False,
        favor_precision=True,
        deduplicate=False,
    )
    # trafilatura returns plain text; the normaliser makes spacing and entities match feed text.
    return html_to_text(text or "")


def fetch_full_text(
    url: str,
    fetcher: Fetcher,
    *,
    timeout_s: float,
    max_bytes: int,
    user_agent: str,
    min_chars: int = 200,
    policy: AddressPolicy = DEFAULT_POLICY,
) -> str:
    """The extracted text of ``url``; raises :class:`ExtractionError` with a countable kind.

    The page link comes from the feed, so it gets the same address policy as the feed itself:
    a link to an internal address fails with ``page_forbidden_address``, nothing is fetched.
    """
    try:
        resp = fetcher(
            url,
            timeout_s=timeout_s,
            max_bytes=max_bytes,
            user_agent=user_agent,
            accept=PAGE_ACCEPT,
            policy=policy,
        )
    except FetchError as exc:
        raise ExtractionError(f"page_{exc.kind}", str(exc)) from None
    try:
        text = extract_text(resp.body)
    except Exception as exc:  # a parser failure on one page must never lose the article
        raise ExtractionError("extract_error", f"{exc.__class__.__name__}: {exc}") from None
    if len(text) < min_chars:
        raise ExtractionError("extract_empty", f"only {len(text)} characters extracted")
    return text
