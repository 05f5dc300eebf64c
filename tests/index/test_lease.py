"""The migration lease (index/lease.py) on real Elasticsearch: one holder at a time, renewed while
held, released, and an expired one taken over; indexers starting together on an old alias copy the
documents once because of it."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from elasticsearch import Elasticsearch

from diplowire.index.layout import alias_indices, index_name
from diplowire.index.lease import Lease, lock_index
from diplowire.index.migrate import ensure_index
from diplowire.wire.settings import ElasticsearchSettings
from tests.index.helpers import old_index


def test_a_lease_has_one_holder_until_released(es_settings: ElasticsearchSettings) -> None:
    es = Elasticsearch(es_settings.url)
    locks = lock_index(es_settings.index_prefix)
    first, second = Lease(es, locks, "job"), Lease(es, locks, "job")
    assert first.acquire()
    assert not second.acquire()
    assert second.holder == first.owner  # who holds it, for the waiting process's log line
    # The lock index is hidden: a wildcard search over the prefix does not see it.
    settings = es.indices.get_settings(index=locks)[locks]["settings"]["index"]
    assert settings["hidden"] == "true"
    held = es.get(index=locks, id="job")
    first.renew(every_s=0)  # a renewal pushes the expiry on
    renewed = es.get(index=locks, id="job")
    assert renewed["_seq_no"] > held["_seq_no"]
    assert renewed["_source"]["expires_at"] >= held["_source"]["expires_at"]
    first.release()
    assert not es.exists(index=locks, id="job")
    assert second.acquire()
    second.release()
    es.close()


def test_a_lease_taken_over_is_not_renewed_or_released_by_its_old_holder(
    es_settings: ElasticsearchSettings,
) -> None:
    es = Elasticsearch(es_settings.url)
    locks = lock_index(es_settings.index_prefix)
    stalled = Lease(es, locks, "job", ttl_s=0.3)
    assert stalled.acquire()
    time.sleep(0.4)
    other = Lease(es, locks, "job")
    assert other.acquire()  # the expired lease, taken over by compare-and-set
    stalled.renew(every_s=0)  # loses it: must not overwrite the new holder's document
    stalled.release()
    doc = es.get(index=locks, id="job")["_source"]
    assert doc["owner"] == other.owner
    other.release()
    assert not es.exists(index=locks, id="job")
    es.close()


def _index_ops(es: Elasticsearch, index: str) -> int:
    stats = es.indices.stats(index=index, metric="indexing")
    return int(stats["indices"][index]["primaries"]["indexing"]["index_total"])


def test_indexers_starting_together_copy_the_documents_once(
    es_settings: ElasticsearchSettings,
) -> None:
    es = Elasticsearch(es_settings.url)
    prefix = es_settings.index_prefix
    ids = old_index(es, prefix, 200)
    start = threading.Barrier(3)

    def startup() -> str:
        client = Elasticsearch(es_settings.url)
        start.wait()
        try:
            return ensure_index(client, prefix)
        finally:
            client.close()

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(lambda _: startup(), range(3)))
    assert results == [prefix] * 3
    new = index_name(prefix)
    assert alias_indices(es, prefix) == {new: True}
    es.indices.refresh(index=new)
    assert es.count(index=prefix)["count"] == len(ids)
    # One copy: without the lease each of the three would have written every document.
    assert _index_ops(es, new) == len(ids)
    assert not es.exists(index=lock_index(prefix), id=f"migrate:{prefix}")
    es.close()


def test_an_expired_migration_lease_is_taken_over(es_settings: ElasticsearchSettings) -> None:
    es = Elasticsearch(es_settings.url)
    prefix = es_settings.index_prefix
    ids = old_index(es, prefix, 10)
    dead = Lease(es, lock_index(prefix), f"migrate:{prefix}", ttl_s=0.5)
    assert dead.acquire()  # an indexer that died before moving the alias
    assert not Lease(es, lock_index(prefix), f"migrate:{prefix}").acquire()
    time.sleep(0.6)
    assert ensure_index(es, prefix) == prefix
    assert alias_indices(es, prefix) == {index_name(prefix): True}
    es.indices.refresh(index=prefix)
    assert es.count(index=prefix)["count"] == len(ids)
    es.close()
