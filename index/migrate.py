"""Bringing the alias to this code's mapping: at start-up (:func:`ensure_index`, under a lease)
or by hand (:func:`migrate`, ``diplowire index migrate``).

:func:`ensure_index` lives here rather than in :mod:`diplowire.index.layout` because it migrates
an old alias: the layout's names are what the migration builds on, so the dependency runs
layout <- lease <- migrate, with no cycle.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import Elasticsearch

from diplowire.index.bulk import Action, bulk_index
from diplowire.index.docs import from_document, to_document
from diplowire.index.layout import (
    alias_indices,
    alias_is_current,
    alias_name,
    create_index,
    index_name,
    index_version,
    put_template,
    write_index,
)
from diplowire.index.lease import Lease, lock_index
from diplowire.index.mapping import MAPPING_VERSION
from diplowire.wire.clock import utc_now

log = logging.getLogger(__name__)


class IndexVersionError(RuntimeError):
    """The alias points at an index this code cannot write to without a migration."""


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
    put_template(es, prefix, replicas)
    alias = alias_name(prefix)
    current = write_index(es, alias)
    if current is None:
        name = index_name(prefix)
        if not es.indices.exists(index=name) and create_index(
            es, name, aliases={alias: {"is_write_index": True}}
        ):
            log.info("created index %s behind alias %s", name, alias)
            return alias
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
                if not alias_is_current(es, alias):
                    migrate(es, prefix, replicas=replicas, progress=lambda _: lease.renew())
            finally:
                lease.release()
            return
        if alias_is_current(es, alias):
            return
        if stopping():
            raise IndexVersionError(f"stopped while waiting for {lease.holder} to migrate {alias}")
        if not waited:
            log.info("another indexer (%s) is migrating %s: waiting", lease.holder, alias)
            waited = True
        time.sleep(poll_s)


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
    put_template(es, prefix, replicas)
    alias = alias_name(prefix)
    target = index_name(prefix)
    report = MigrationReport(target=target)
    if not es.indices.exists(index=target):
        # `index migrate` run by hand while an indexer starts up: either may create it.
        create_index(es, target)
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
