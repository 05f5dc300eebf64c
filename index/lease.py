"""A lease between processes held as one Elasticsearch document: one migrating indexer at a time."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from typing import Any

from elasticsearch import ApiError, ConflictError, Elasticsearch, NotFoundError, TransportError

from diplowire.index.layout import create_index

log = logging.getLogger(__name__)

MIGRATION_LEASE_S = 300.0
"""A migrating indexer renews its lease while copying; one that died loses it after this long."""


def lock_index(prefix: str) -> str:
    """Leases between processes (one document per lease): hidden, and under the prefix so that a
    role granted ``{prefix}*`` covers it."""
    return f"{prefix}-locks"


class Lease:
    """A lease held as one document of ``index`` (see :func:`lock_index`), taken with
    ``op_type=create``.

    Elasticsearch's create is atomic per id, so only one process gets it; an expired lease is
    taken over with a compare-and-set on the document's sequence number, so two processes cannot
    both take over the same expired one.
    """

    def __init__(
        self, es: Elasticsearch, index: str, key: str, ttl_s: float = MIGRATION_LEASE_S
    ) -> None:
        self.es = es
        self.index = index
        self.key = key
        self.ttl_s = ttl_s
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.holder = ""
        self._renewed = 0.0
        self._seq: tuple[int, int] | None = None
        """(seq_no, primary_term) of our own lease document while we hold it."""

    def _doc(self) -> dict[str, Any]:
        return {"owner": self.owner, "expires_at": time.time() + self.ttl_s}

    def acquire(self) -> bool:
        _ensure_lock_index(self.es, self.index)
        try:
            resp = self.es.create(index=self.index, id=self.key, document=self._doc(), refresh=True)
            self._held(resp)
            return True
        except ConflictError:
            pass
        try:
            held = self.es.get(index=self.index, id=self.key)
        except NotFoundError:
            return False  # released meanwhile: the caller tries again
        self.holder = str(held["_source"].get("owner", "?"))
        if float(held["_source"].get("expires_at", 0)) > time.time():
            return False
        try:
            resp = self.es.index(
                index=self.index,
                id=self.key,
                document=self._doc(),
                if_seq_no=held["_seq_no"],
                if_primary_term=held["_primary_term"],
                refresh=True,
            )
        except ConflictError:
            return False
        log.warning("took over the expired lease %s of %s", self.key, self.holder)
        self._held(resp)
        return True

    def _held(self, resp: Any) -> None:
        self._seq = (int(resp["_seq_no"]), int(resp["_primary_term"]))
        self._renewed = time.monotonic()

    def renew(self, every_s: float = 10.0) -> None:
        if self._seq is None or time.monotonic() - self._renewed < every_s:
            return
        seq_no, term = self._seq
        try:
            resp = self.es.index(
                index=self.index,
                id=self.key,
                document=self._doc(),
                if_seq_no=seq_no,
                if_primary_term=term,
            )
        except (ConflictError, NotFoundError):
            # Taken over after we stalled past the expiry: copying on is still correct (writes
            # are idempotent), only no longer exclusive.
            log.warning("lost the lease %s while holding it", self.key)
            self._seq = None
            return
        except (TransportError, ApiError) as exc:
            # Renewing is best effort: a failed renewal must not abort the copy it protects.
            log.warning(
                "could not renew the lease %s (retried at the next page): %s", self.key, exc
            )
            return
        self._held(resp)

    def release(self) -> None:
        if self._seq is not None:
            seq_no, term = self._seq
            with contextlib.suppress(ConflictError, NotFoundError):
                self.es.delete(
                    index=self.index,
                    id=self.key,
                    refresh=True,
                    if_seq_no=seq_no,
                    if_primary_term=term,
                )
        self._seq = None


def _ensure_lock_index(es: Elasticsearch, index: str) -> None:
    if es.indices.exists(index=index):
        return
    create_index(
        es,
        index,
        settings={"index": {"hidden": True, "number_of_shards": 1, "auto_expand_replicas": "0-1"}},
        mappings={"dynamic": False, "properties": {"owner": {"type": "keyword"}}},
    )
