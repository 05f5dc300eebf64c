"""Bulk writes to Elasticsearch: items retried, refused or written, and whole-request refusals
split down to the items that cause them."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import msgspec
from elasticsearch import ApiError, Elasticsearch

from diplowire.wire.backoff import Backoff

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
_encode = msgspec.json.Encoder().encode

REQUEST_REFUSALS = frozenset({400, 413})
"""Statuses of a whole ``_bulk`` refused before any item ran: one action that fails the
request's validation (an ``_id`` over 512 bytes, a negative version) or a body over
``http.max_content_length``. Sending it again refuses it again; splitting it finds the item."""


class ItemKind(Enum):
    """What one bulk item's result means for the caller."""

    WRITTEN = "written"
    STALE = "stale"
    """409: the index holds a newer version (external versioning); this one must not win."""
    RETRY = "retry"
    """429/5xx, or the index behind the alias missing: may succeed later, never dead-letter."""
    REFUSED = "refused"
    """The index refused this document (mapping, parsing): it will never be written."""
    REQUEST_REFUSED = "request_refused"
    """Sent alone, its bulk request was refused as a whole (see :data:`REQUEST_REFUSALS`)."""


@dataclass(frozen=True, slots=True)
class ItemResult:
    status: int
    error: dict[str, Any] | None = None
    request_level: bool = False
    """The status is the whole request's, for a request holding this item alone."""

    @property
    def kind(self) -> ItemKind:
        if self.status < 300:
            return ItemKind.WRITTEN
        if self.request_level:
            return ItemKind.REQUEST_REFUSED
        if self.status == 409:
            return ItemKind.STALE
        if self.status in RETRY_STATUSES or self.alias_missing:
            return ItemKind.RETRY
        return ItemKind.REFUSED

    @property
    def alias_missing(self) -> bool:
        # With require_alias a deleted alias refuses each item (404) rather than the request.
        return self.status == 404 and "index_not_found" in str((self.error or {}).get("type", ""))

    @property
    def reason(self) -> str:
        err = self.error or {}
        caused = err.get("caused_by", {}).get("reason")
        text = f"{err.get('type', self.status)}: {err.get('reason', '')}"
        return f"{text} (caused by: {caused})" if caused else text


Action = tuple[dict[str, Any], dict[str, Any]]


def bulk_index(
    es: Elasticsearch,
    actions: Sequence[Action],
    *,
    attempts: int = 4,
    initial_delay_s: float = 0.2,
    require_alias: bool = False,
    sleep: Callable[[float], None] = time.sleep,
) -> list[ItemResult]:
    """Send ``index`` actions; resend only the items refused with 429/5xx, with backoff.

    Returns one result per action; items still refused after ``attempts`` keep their 429/5xx
    status so the caller decides between retrying later and giving up. A request refused as a
    whole (:data:`REQUEST_REFUSALS`) is split in halves until each refusal holds one item, which
    gets :attr:`ItemKind.REQUEST_REFUSED`; the others are written. Transport errors (the cluster
    unreachable) and other whole-request errors (a 429 or 5xx of the request) propagate: nothing
    in this call can tell which items were written.
    """
    results: list[ItemResult | None] = [None] * len(actions)
    pending = list(range(len(actions)))
    # Uncapped: ``attempts`` bounds the waits (0.2 s initially: 0.2 + 0.4 + 0.8 s with 4).
    backoff = Backoff(initial_delay_s, math.inf)
    for attempt in range(1, attempts + 1):
        retry: list[int] = []
        first = ""
        for i, result in zip(pending, _send(es, actions, pending, require_alias), strict=True):
            results[i] = result
            if result.status in RETRY_STATUSES:
                first = first or result.reason
                retry.append(i)
        if not retry or attempt == attempts:
            break
        delay = backoff.delay(attempt - 1)
        log.info(
            "%d of %d bulk items refused (%s): retrying in %.1fs",
            len(retry),
            len(pending),
            first,
            delay,
        )
        sleep(delay)
        pending = retry
    return [r if r is not None else ItemResult(500) for r in results]


def _send(
    es: Elasticsearch, actions: Sequence[Action], pending: list[int], require_alias: bool
) -> list[ItemResult]:
    """One ``_bulk`` of the ``pending`` actions; on a whole-request refusal, bisect it."""
    # One NDJSON body encoded by msgspec: the client's json.dumps per line was the
    # indexer's main cost, the difference between it and the bulk ceiling.
    lines: list[bytes] = []
    for i in pending:
        meta, doc = actions[i]
        lines.append(_encode({"index": meta}))
        lines.append(_encode(doc))
    try:
        resp = es.bulk(
            body=b"\n".join(lines) + b"\n",  # type: ignore[arg-type]
            refresh=False,
            require_alias=require_alias,
        )
    except ApiError as exc:
        if exc.status_code not in REQUEST_REFUSALS:
            raise
        error = _request_error(exc)
        if len(pending) == 1:
            return [ItemResult(exc.status_code, error, request_level=True)]
        # Halves: k bad items among n cost at most 2k*log2(n) requests, and the good ones of
        # each half that passes are written by that very request.
        log.info(
            "bulk of %d items refused as a whole (%d %s): splitting it",
            len(pending),
            exc.status_code,
            error.get("type"),
        )
        half = len(pending) // 2
        return _send(es, actions, pending[:half], require_alias) + _send(
            es, actions, pending[half:], require_alias
        )
    return [
        ItemResult(int(item["index"].get("status", 500)), item["index"].get("error"))
        for item in resp["items"]
    ]


def _request_error(exc: ApiError) -> dict[str, Any]:
    """The refusal in a bulk item's error shape (a 413 may come without a JSON body)."""
    err = exc.body.get("error") if isinstance(exc.body, dict) else None
    if isinstance(err, dict):
        return {"type": str(err.get("type", "")), "reason": str(err.get("reason", ""))}
    return {"type": f"http_{exc.status_code}", "reason": str(exc.body or exc.message)[:500]}
