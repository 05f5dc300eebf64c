"""Elasticsearch setup and migrations: versioned indices behind one alias.

Every reader and writer goes through the alias ``{prefix}``. Each mapping version has its own
index ``{prefix}-v{N}`` created from the template; a mapping change is a new index, a copy of the
documents and an alias swap (:func:`migrate`), never an in-place mapping edit.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, ConflictError, Elasticsearch, NotFoundError, TransportError

from diplowire.index.bulk import Action, bulk_index
from diplowire.index.docs import from_document, to_document
from diplowire.index.mapping import MAPPING_VERSION, template_body
from diplowire.wire.clock import utc_now
from diplowire.wire.settings import ElasticsearchSettings

log = logging.getLogger(__name__)

MIGRATION_LEASE_S = 300.0
"""A migrating indexer renews its lease while copying; one that died loses it after this long."""


class IndexVersionError(RuntimeError):
    """The alias points at an index this code cannot write to without a migration."""


def client(settings: ElasticsearchSettings) -> Elasticsearch:
    return Elasticsearch(**settings.client_kwargs())


def alias_name(prefix: str) -> str:
    return prefix


def index_name(prefix: str, version: int = MAPPING_VERSION) -> str:
    return f"{prefix}-v{version}"


def lock_index(prefix: str) -> str:
    """Leases between processes (one document per lease): hidden, and under the prefix so that a
    role granted ``{prefix}*`` covers it."""
    return f"{prefix}-locks"


def template_name(prefix: str) -> str:
    return f"{prefix}-template"


def index_version(name: str) -> int | None:
    m = re.search(r"-v(\d+)$", name)
    return int(m.group(1)) if m else None


def alias_indices(es: Elasticsearch, alias: str) -> dict[str, bool]:
    """Indices behind ``alias`` and whether each is the write index."""
    if not es.indices.exists_alias(name=alias):
        return {}
    resp = es.indices.get_alias(name=alias)
    out: dict[str, bool] = {}
    for index, body in resp.items():
        spec = body.get("aliases", {}).get(alias, {})
        out[index] = bool(spec.get("is_write_index", len(resp) == 1))
    return out


def write_index(es: Elasticsearch, alias: str) -> str | None:
    return next((i for i, w in alias_indices(es, alias).items() if w), None)


def ensure_index(
    es: Elasticsearch,
    prefix: str,
    *,
    replicas: int = 0,
    auto_migrate: bool = True,
    stopping: Callable[[], bool] = lambda: False,
) -> str:
    """Create the template, the current index and the alias if missing; return the alias.

    An alias whose write index has an older mapping is migrated first (``auto_migrate``) or
    refused: writing today's documents into yesterday's strict mapping would dead-letter them all.
    """
    es.indices.put_index_template(
        name=template_name(prefix), **template_body(prefix, replicas=replicas)
    )
    alias = alias_name(prefix)
    current = write_index(es, alias)
    if current is None:
        name = index_name(prefix)
        if not es.indices.exists(index=name):
            try:
                es.indices.create(index=name, aliases={alias: {"is_write_index": True}})
                log.info("created index %s behind alias %s", name, alias)
                return alias
            except ApiError as exc:
                if exc.error != "resource_already_exists_exception":
                    raise
        es.indices.put_alias(index=name, name=alias, is_write_index=True)
        return alias
    version = index_version(current) or 0
    if version < MAPPING_VERSION:
        if not auto_migrate:
            raise IndexVersionError(
                f"alias {alias} writes to {current} (mapping v{version}) but this code writes "
                f"mapping v{MAPPING_VERSION}: run `diplowire index migrate`"
            )
        log.warning("alias %s writes to %s: migrating to v%d", alias, current, MAPPING_VERSION)
        _migrate_once(es, prefix, alias, replicas, stopping)
    elif version > MAPPING_VERSION:
        log.warning(
            "alias %s writes to %s, newer than this code's mapping v%d: fields are compatible "
            "only if the new mapping is a superset",
            alias,
            current,
            MAPPING_VERSION,
        )
    return alias


def _alias_is_current(es: Elasticsearch, alias: str) -> bool:
    return (index_version(write_index(es, alias) or "") or 0) >= MAPPING_VERSION


def _migrate_once(
    es: Elasticsearch,
    prefix: str,
    alias: str,
    replicas: int,
    stopping: Callable[[], bool],
    poll_s: float = 1.0,
) -> None:
    """Migrate under a lease, so that indexers started together do not each copy every document.

    The others wait only until the alias writes to today's index, which is the migration's first
    step: from then on their writes are safe while the holder goes on copying.
    """
    lease = Lease(es, lock_index(prefix), f"migrate:{alias}")
    waited = False
    while True:
        if lease.acquire():
            try:
                if not _alias_is_current(es, alias):
                    migrate(es, prefix, replicas=replicas, progress=lambda _: lease.renew())
            finally:
                lease.release()
            return
        if _alias_is_current(es, alias):
            return
        if stopping():
            raise IndexVersionError(f"stopped while waiting for {lease.holder} to migrate {alias}")
        if not waited:
            log.info("another indexer (%s) is migrating %s: waiting", lease.holder, alias)
            waited = True
        time.sleep(poll_s)


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
    try:
        es.indices.create(
            index=index,
            settings={
                "index": {"hidden": True, "number_of_shards": 1, "auto_expand_replicas": "0-1"}
            },
            mappings={"dynamic": False, "properties": {"owner": {"type": "keyword"}}},
        )
    except ApiError as exc:
        if exc.error != "resource_already_exists_exception":
            raise


# --------------------------------------------------------------------------- migration


@dataclass
class MigrationReport:
    target: str
    sources: list[str] = field(default_factory=list)
    copied: int = 0
    stale: int = 0
    failed: list[str] = field(default_factory=list)
    removed_from_alias: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed


def migrate(
    es: Elasticsearch,
    prefix: str,
    *,
    replicas: int = 0,
    delete_old: bool = False,
    page_size: int = 500,
    progress: Callable[[MigrationReport], None] | None = None,
) -> MigrationReport:
    """Move the alias to the current mapping's index and copy every document into it.

    Order matters so that nothing is lost while indexers keep writing: (1) the new index becomes
    the alias's write index while old indices stay readable behind it; (2) each old document is
    re-derived (:func:`from_document` then :func:`to_document`) and written with its own version
    and ``external_gte``, so a newer version that an indexer wrote meanwhile wins; (3) only when
    every document is copied do old indices leave the alias. Copying is done with point-in-time
    search and bulk (the cluster's ``_reindex`` module is optional and the documents need
    re-deriving anyway); a migration that stopped half-way is resumed by running it again.
    """
    es.indices.put_index_template(
        name=template_name(prefix), **template_body(prefix, replicas=replicas)
    )
    alias = alias_name(prefix)
    target = index_name(prefix)
    report = MigrationReport(target=target)
    if not es.indices.exists(index=target):
        try:
            es.indices.create(index=target)
        except ApiError as exc:
            # `index migrate` run by hand while an indexer starts up: the other one created it.
            if exc.error != "resource_already_exists_exception":
                raise
    behind = alias_indices(es, alias)
    report.sources = sorted(i for i in behind if i != target)
    actions: list[dict[str, Any]] = [
        {"add": {"index": target, "alias": alias, "is_write_index": True}}
    ]
    actions += [
        {"add": {"index": s, "alias": alias, "is_write_index": False}} for s in report.sources
    ]
    es.indices.update_aliases(actions=actions)
    log.info("alias %s now writes to %s; copying from %s", alias, target, report.sources)

    for source in report.sources:
        _copy(es, source, target, report, page_size, progress)
    if not report.ok:
        log.error(
            "migration left %d documents behind; old indices stay behind the alias",
            len(report.failed),
        )
        return report
    es.indices.refresh(index=[target, *report.sources])
    for source in report.sources:
        src_n = int(es.count(index=source)["count"])
        # Every id of the source must now be in the target (with the same or a newer version).
        missing = _missing_ids(es, source, target)
        if missing:
            report.failed.extend(f"{source}/{i}: not in {target}" for i in missing[:20])
            log.error(
                "%d of %d documents of %s missing from %s", len(missing), src_n, source, target
            )
    if not report.ok:
        return report
    if report.sources:
        es.indices.update_aliases(
            actions=[{"remove": {"index": s, "alias": alias}} for s in report.sources]
        )
        report.removed_from_alias = list(report.sources)
        if delete_old:
            es.indices.delete(index=",".join(report.sources))
            report.deleted = list(report.sources)
    return report


def _scan(es: Elasticsearch, index: str, page_size: int, **search: Any) -> Any:
    """Every hit of ``index`` in a stable snapshot (point in time + search_after)."""
    pit = es.open_point_in_time(index=index, keep_alive="2m")["id"]
    after: list[Any] | None = None
    try:
        while True:
            kwargs: dict[str, Any] = {"search_after": after} if after else {}
            resp = es.search(
                pit={"id": pit, "keep_alive": "2m"},
                sort=[{"_shard_doc": "asc"}],
                size=page_size,
                track_total_hits=False,
                **search,
                **kwargs,
            )
            pit = resp.get("pit_id", pit)
            hits = resp["hits"]["hits"]
            if not hits:
                return
            yield from hits
            after = hits[-1]["sort"]
    finally:
        es.close_point_in_time(id=pit)


def _copy(
    es: Elasticsearch,
    source: str,
    target: str,
    report: MigrationReport,
    page_size: int,
    progress: Callable[[MigrationReport], None] | None,
) -> None:
    page: list[Action] = []

    def flush() -> None:
        for (meta, _doc), res in zip(page, bulk_index(es, page), strict=True):
            if res.status < 300:
                report.copied += 1
            elif res.status == 409:
                report.stale += 1
            else:
                report.failed.append(f"{source}/{meta['_id']}: {res.reason}")
        page.clear()
        if progress is not None:
            progress(report)

    for hit in _scan(es, source, page_size):
        try:
            article, indexed = from_document(hit["_source"])
            doc = to_document(article, indexed or utc_now())
        except (KeyError, TypeError, ValueError) as exc:
            report.failed.append(f"{source}/{hit['_id']}: cannot re-derive the document: {exc}")
            continue
        meta = {
            "_index": target,
            "_id": hit["_id"],
            "version": article.version,
            "version_type": "external_gte",
        }
        page.append((meta, doc))
        if len(page) >= page_size:
            flush()
    if page:
        flush()


def _missing_ids(es: Elasticsearch, source: str, target: str) -> list[str]:
    missing: list[str] = []
    ids: list[str] = []

    def check() -> None:
        found = es.mget(index=target, ids=ids, source=False)["docs"]
        missing.extend(d["_id"] for d in found if not d.get("found"))
        ids.clear()

    for hit in _scan(es, source, 1000, source=False):
        ids.append(hit["_id"])
        if len(ids) >= 1000:
            check()
    if ids:
        check()
    return missing
