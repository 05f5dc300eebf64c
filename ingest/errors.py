"""Why a fetch failed: typed kinds, shared by the fetcher, the connection check and the poller."""

from __future__ import annotations

import enum
from typing import Any

from diplowire.ingest.address import Forbidden


class FetchKind(enum.StrEnum):
    """Why a feed (or page) was not fetched: the stable labels feed errors are counted under.

    A StrEnum, so a kind compares equal to its label and reports and state files stay as text.
    """

    BAD_URL = "bad_url"
    FORBIDDEN_ADDRESS = "forbidden_address"
    """The host is (or resolves to) an address the address policy refuses: ingest.address."""
    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    HTTP_ERROR = "http_error"
    NOT_FOUND = "not_found"
    GONE = "gone"
    RATE_LIMITED = "rate_limited"
    UNAVAILABLE = "unavailable"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    BAD_DELTA = "bad_delta"
    OVERSIZED = "oversized"
    TRUNCATED = "truncated"
    BAD_ENCODING = "bad_encoding"
    HOSTILE_XML = "hostile_xml"
    TOO_MANY_ELEMENTS = "too_many_elements"
    """More XML elements than ``max_feed_elements``: refused before feedparser (ingest.fetch)."""
    EMPTY = "empty"
    UNPARSABLE = "unparsable"
    # Set by the poller rather than by a fetch:
    DEFERRED = "deferred"
    PUBLISH_FAILED = "publish_failed"
    INTERNAL = "internal"


class FetchError(Exception):
    """A feed could not be fetched or was refused; ``kind`` is a stable, countable label."""

    def __init__(
        self,
        kind: FetchKind | str,
        message: str,
        *,
        retry_after_s: float | None = None,
        delta: bool = False,
    ) -> None:
        super().__init__(message)
        # Read-only (properties below): an error is a fact once raised; a layer that learns more
        # about it raises a new one (with_delta) instead of editing one others may hold.
        self._kind = FetchKind(kind)  # an unknown label is a bug: ValueError here, not later
        self._retry_after_s = retry_after_s
        self._delta = delta

    @property
    def kind(self) -> FetchKind:
        return self._kind

    @property
    def retry_after_s(self) -> float | None:
        return self._retry_after_s

    @property
    def delta(self) -> bool:
        """The failure concerns a ``226 IM Used`` answer: the server mishandles feed deltas."""
        return self._delta

    def with_delta(self) -> FetchError:
        """This error marked as concerning a ``226`` answer: a new error of the same class."""
        if self._delta:
            return self
        err = FetchError.__new__(type(self), *self.args)
        err.__dict__.update(self.__dict__)  # subclass fields too (ForbiddenAddress.host...)
        err._delta = True
        return err

    def __reduce__(self) -> Any:
        # Raised in parse processes too: the default pickling would call FetchError(message).
        return (_fetch_error, (self.kind, str(self), self.retry_after_s, self.delta))


class ForbiddenAddress(FetchError):
    """A connection the address policy refused; ``reason`` says which class of address."""

    def __init__(self, host: str, address: str, reason: Forbidden) -> None:
        super().__init__(
            FetchKind.FORBIDDEN_ADDRESS, f"{host} resolves to {address}: {reason} address refused"
        )
        self.host = host
        self.address = address
        self.reason = reason


def _fetch_error(
    kind: FetchKind, message: str, retry_after_s: float | None, delta: bool
) -> FetchError:
    return FetchError(kind, message, retry_after_s=retry_after_s, delta=delta)
