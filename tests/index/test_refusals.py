"""Messages Elasticsearch cannot store never stop the indexer (issue 9).

Two layers: the wire schema refuses them when the indexer decodes them (they go to the dead-letter
topic as ``schema_violation``), and a bulk request refused as a whole (400/413) is split until the
articles that cause it are found, which are dead-lettered as ``es_request_rejected`` while the
rest is indexed. Against the real Kafka and Elasticsearch. The split itself, as any caller of
``bulk_index`` sees it, is tested in test_bulk.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from elasticsearch import Elasticsearch

from diplowire.index.layout import client
from diplowire.index.migrate import ensure_index
from diplowire.index.worker import STAGE, Refusal, make_handler, make_overlapped_handler, run_worker
from diplowire.wire import topics as t
from diplowire.wire.article import Article, encode, replace
from diplowire.wire.loop import Stats, StopFlag, make_producer, run_stage
from diplowire.wire.outcomes import Outcome, Poison, Start
from diplowire.wire.settings import (
    ElasticsearchSettings,
    IndexSettings,
    KafkaSettings,
    LoopSettings,
)
from tests.index.helpers import LONG_ID, articles, fresh, produce
from tests.support import (
    WorkerThread,
    committed,
    es_count,
    read_topic,
    topic_size,
    wait_for,
)
from tests.support.workers import start_worker, stop_worker


def _hostile(art: Article, how: str) -> Article:
    """An article as an older schema let it through, refused by Elasticsearch for the whole
    request it is in (whatever else the request holds)."""
    if how == "long_id":
        return replace(art, id=LONG_ID)
    if how == "negative_version":
        return replace(art, version=-1)  # illegal for external versioning
    if how == "huge_version":
        return replace(art, version=2**63)  # not a long: the request body does not parse
    raise ValueError(how)


HOSTILE = {3: "long_id", 17: "negative_version", 30: "huge_version"}


def test_a_bulk_refused_as_a_whole_is_split_and_only_its_culprits_are_refused(
    es_settings: ElasticsearchSettings,
) -> None:
    es = Elasticsearch(es_settings.url)
    alias = ensure_index(es, es_settings.index_prefix)
    batch = fresh(articles()[:40])
    for pos, how in HOSTILE.items():
        batch[pos] = _hostile(batch[pos], how)
    counters: dict[str, int] = {}
    outcomes = make_handler(es, alias, counters)(batch)

    refused = {i: o for i, o in enumerate(outcomes) if o is not None}
    assert sorted(refused) == sorted(HOSTILE)
    assert all(
        isinstance(o, Poison) and o.error == Refusal.REQUEST_REJECTED for o in refused.values()
    )
    causes = {HOSTILE[i]: o.cause for i, o in refused.items() if o is not None}
    assert "action_request_validation_exception" in causes["long_id"]
    assert "too long" in causes["long_id"]
    assert "illegal version value [-1]" in causes["negative_version"]
    assert "x_content_parse_exception" in causes["huge_version"]
    assert counters == {"indexed": 37, "request_rejected": 3}
    es.indices.refresh(index=alias)
    assert es_count(es, alias) == 37
    indexed = {a.id for i, a in enumerate(batch) if i not in HOSTILE}
    found = es.mget(index=alias, ids=sorted(indexed), source=False)["docs"]
    assert all(d["found"] for d in found)
    es.close()


def _indexer_seeing(
    transform: Callable[[Article], Article],
) -> Callable[..., Stats]:
    """``run_worker`` with the real handler, fed articles through ``transform`` after they were
    decoded: what an article the schema lets through but Elasticsearch refuses would do."""

    def run(
        settings: IndexSettings, stop: StopFlag, stats: Stats, counters: dict[str, int]
    ) -> Stats:
        es = client(settings.elasticsearch)
        alias = ensure_index(es, settings.elasticsearch.index_prefix)
        producer = make_producer(settings.kafka)
        sender = ThreadPoolExecutor(1)
        real = make_overlapped_handler(es, alias, sender, counters)

        def handle(batch: Sequence[Article]) -> Sequence[Outcome] | Start:
            return real([transform(a) for a in batch])

        try:
            return run_stage(
                settings.kafka,
                settings.loop,
                stage=STAGE,
                source=settings.kafka.topics.enriched,
                handle=handle,
                producer=producer,
                stop=stop,
                stats=stats,
            )
        finally:
            sender.shutdown(wait=True)
            producer.close(timeout=30)
            es.close()

    return run


def test_the_indexer_dead_letters_request_level_refusals_commits_and_goes_on(
    kafka: KafkaSettings, es_settings: ElasticsearchSettings
) -> None:
    arts = fresh(articles()[:60])
    produce(kafka, arts)
    bad = {arts[i].id: how for i, how in HOSTILE.items()}
    # Batches of 50: the refused request holds 49 good articles beside its culprits.
    loop = LoopSettings(batch_max_records=50, batch_max_wait_ms=500, retry_initial_ms=100)
    settings = IndexSettings(kafka=kafka, loop=loop, elasticsearch=es_settings)
    counters: dict[str, int] = {}
    run = _indexer_seeing(lambda a: _hostile(a, bad[a.id]) if a.id in bad else a)
    with WorkerThread(run, settings, counters=counters) as worker:
        wait_for(
            lambda: committed(kafka, kafka.topics.group(STAGE)) == len(arts),
            60,
            "every offset committed",
            (worker,),
        )
    assert worker.error is None and not worker.is_alive()
    # A refusal is an outcome, not an outage: no pause, no retry of the batch.
    assert worker.stats.retries == 0, worker.stats.last_error
    assert worker.stats.dead_lettered == 3 and worker.stats.succeeded == 57
    assert worker.stats.by_reason == {"es_request_rejected": 3}
    es = Elasticsearch(es_settings.url)
    es.indices.refresh(index=es_settings.index_prefix)
    assert es_count(es, es_settings.index_prefix) == 57
    es.close()
    dead = read_topic(kafka, kafka.topics.deadletter)
    assert sorted(r.key.decode() for r in dead) == sorted(bad)
    by_key = {r.key.decode(): dict(r.headers) for r in dead}
    for art_id, headers in by_key.items():
        assert headers[t.H_STAGE] == b"index"
        assert headers[t.H_ERROR] == b"es_request_rejected"
        offset = next(i for i, a in enumerate(arts) if a.id == art_id)
        assert headers[t.H_SOURCE_OFFSET] == str(offset).encode()
    # The dead letter is the message as it was read, for inspection and replay.
    values = {r.key.decode(): r.value for r in dead}
    assert all(values[a.id] == encode(a) for a in arts if a.id in bad)


def _raw_with(art: Article, field: str, value: object) -> tuple[bytes, bytes]:
    """An enriched message that the schema before issue 9 accepted."""
    obj = json.loads(encode(art))
    obj[field] = value
    return str(value).encode()[:64], json.dumps(obj).encode()


def _old_schema_hostile(arts: Sequence[Article]) -> list[tuple[bytes, bytes]]:
    return [
        _raw_with(arts[0], "id", "../../_cluster/settings"),
        _raw_with(arts[1], "id", LONG_ID),
        _raw_with(arts[2], "version", -1),
        _raw_with(arts[3], "version", 0),
        _raw_with(arts[4], "published", "2025-02-30T10:00:00Z"),
    ]


def test_records_the_old_schema_accepted_are_dead_lettered_by_the_indexer(
    kafka: KafkaSettings, es_settings: ElasticsearchSettings, fast_loop: LoopSettings
) -> None:
    arts = fresh(articles()[:25])
    hostile = _old_schema_hostile(fresh(articles()[25:30]))
    produce(kafka, arts, raw=hostile)
    settings = IndexSettings(kafka=kafka, loop=fast_loop, elasticsearch=es_settings)
    with WorkerThread(run_worker, settings) as worker:
        wait_for(
            lambda: committed(kafka, kafka.topics.group(STAGE)) == len(arts) + len(hostile),
            60,
            "every offset committed",
            (worker,),
        )
    assert worker.error is None and not worker.is_alive()
    assert worker.stats.retries == 0, worker.stats.last_error
    assert worker.stats.by_reason == {"schema_violation": len(hostile)}
    es = Elasticsearch(es_settings.url)
    es.indices.refresh(index=es_settings.index_prefix)
    assert es_count(es, es_settings.index_prefix) == len(arts)
    assert not es.exists(index=es_settings.index_prefix, id="../../_cluster/settings")
    es.close()
    dead = read_topic(kafka, kafka.topics.deadletter)
    assert [r.value for r in dead] == [value for _key, value in hostile]
    assert {dict(r.headers)[t.H_ERROR] for r in dead} == {b"schema_violation"}
    causes = [dict(r.headers)[t.H_CAUSE].decode() for r in dead]
    for cause, field in zip(causes, ["id", "id", "version", "version", "published"], strict=True):
        assert f"$.{field}" in cause, cause


def test_the_indexer_process_stops_cleanly_on_sigterm_after_hostile_records(
    kafka: KafkaSettings, es_settings: ElasticsearchSettings, tmp_path: Path
) -> None:
    arts = fresh(articles()[:10])
    hostile = _old_schema_hostile(fresh(articles()[10:15]))
    produce(kafka, arts[:5], raw=hostile)
    produce(kafka, arts[5:])  # after the hostile ones: still indexed
    log = tmp_path / "index.log"
    proc = start_worker("index", kafka, es_settings, log)
    try:
        wait_for(
            lambda: committed(kafka, kafka.topics.group(STAGE)) == len(arts) + len(hostile),
            120,
            "the indexer past the hostile records",
        )
    finally:
        stop_worker(proc, log)  # asserts exit status 0 (the stuck indexer exited 4)
    assert topic_size(kafka, kafka.topics.deadletter) == len(hostile)
    es = Elasticsearch(es_settings.url)
    es.indices.refresh(index=es_settings.index_prefix)
    assert es_count(es, es_settings.index_prefix) == len(arts)
    es.close()
