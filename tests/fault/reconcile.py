"""The end of a fault run: what is in Elasticsearch, the topics and the consumer groups.

Every expected article exactly once in Elasticsearch and nothing else there; every poison message
in the dead-letter topic with an allowed reason, and nothing else there; the enrich and index
groups committed up to the end of their topics.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import Elasticsearch
from elasticsearch.helpers import scan
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient

from diplowire.wire import topics as t
from diplowire.wire.settings import KafkaSettings
from tests.fault.poison import Injected


def read_records(kafka: KafkaSettings, topic: str, timeout_s: float = 120.0) -> list[Any]:
    """Every record now in ``topic`` (no group: nothing is committed)."""
    consumer = KafkaConsumer(
        **kafka.client_config(),
        enable_auto_commit=False,
        group_id=None,
        max_partition_fetch_bytes=2_000_000,
    )
    try:
        consumer.topics()
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not tps:
            return []
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        records: list[Any] = []
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < end[tp] for tp in tps):
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read {topic} to its end in {timeout_s:.0f}s")
            for recs in consumer.poll(timeout_ms=500).values():
                records.extend(recs)
        return records
    finally:
        consumer.close()


def lag(kafka: KafkaSettings, group: str, topic: str) -> int:
    """Records of ``topic`` the group has not committed yet (all of them if it never did)."""
    admin = KafkaAdminClient(**kafka.client_config())
    consumer = KafkaConsumer(**kafka.client_config(), enable_auto_commit=False, group_id=None)
    try:
        consumer.topics()
        tps = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        done = admin.list_group_offsets({group: None}).get(group, {})
        end = consumer.end_offsets(tps)
        begin = consumer.beginning_offsets(tps)
        return sum(end[tp] - max(done[tp].offset if tp in done else -1, begin[tp]) for tp in tps)
    finally:
        consumer.close()
        admin.close()


def es_docs(url: str, alias: str) -> list[tuple[str, str]]:
    """(id, url) of every document behind ``alias``, in every index it covers."""
    es = Elasticsearch(url, request_timeout=60)
    try:
        if not es.indices.exists(index=alias):
            return []
        es.indices.refresh(index=alias)
        hits = scan(es, index=alias, query={"query": {"match_all": {}}}, _source=["url"], size=2000)
        return [(h["_id"], h["_source"].get("url", "")) for h in hits]
    finally:
        es.close()


def _header(rec: Any, name: str) -> str:
    return next((v.decode("utf-8", "replace") for k, v in rec.headers or () if k == name), "")


@dataclass
class Reconciliation:
    counts: dict[str, int] = field(default_factory=dict)
    dead_letters: Counter[tuple[str, str]] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def problem(self, what: str, items: Any) -> None:
        items = sorted(items)
        if items:
            shown = ", ".join(str(i)[:120] for i in items[:5])
            self.problems.append(
                f"{what}: {len(items)} ({shown}{', ...' if len(items) > 5 else ''})"
            )


def reconcile(
    kafka: KafkaSettings, es_url: str, alias: str, links: set[str], injected: list[Injected]
) -> Reconciliation:
    r = Reconciliation()
    topics = kafka.topics
    poison = {i.key: i for i in injected if i.poison}
    hostile = {i.key for i in injected if not i.poison}
    ours = {i.key for i in injected}

    raw = read_records(kafka, topics.raw)
    enriched = read_records(kafka, topics.enriched)
    raw_keys = {rec.key.decode() for rec in raw if rec.key}
    enriched_keys = {rec.key.decode() for rec in enriched if rec.key}
    r.counts.update(
        articles_expected=len(links),
        raw_records=len(raw),
        raw_distinct=len(raw_keys - ours),
        enriched_records=len(enriched),
        enriched_distinct=len(enriched_keys - ours),
        injected_poison=len(poison),
        injected_hostile=len(hostile),
    )

    docs = es_docs(es_url, alias)
    ids = Counter(doc_id for doc_id, _ in docs)
    urls = Counter(url for doc_id, url in docs if doc_id not in hostile)
    r.counts.update(indexed_docs=len(docs), indexed_stream=sum(urls[u] for u in links))
    r.problem("ids indexed more than once", [i for i, n in ids.items() if n > 1])
    r.problem("stream articles missing from Elasticsearch", links - set(urls))
    r.problem("stream articles indexed more than once", [u for u in links if urls[u] > 1])
    r.problem("unexpected documents", [u for u in urls if u not in links])
    r.problem("hostile messages not indexed", hostile - set(ids))
    r.problem("poison indexed", set(poison) & set(ids))

    dead = read_records(kafka, topics.deadletter)
    by_key: dict[str, list[Any]] = {}
    for rec in dead:
        key = rec.key.decode("utf-8", "replace") if rec.key else ""
        by_key.setdefault(key, []).append(rec)
        r.dead_letters[(_header(rec, t.H_STAGE), _header(rec, t.H_ERROR))] += 1
    r.counts.update(dead_letter_records=len(dead))
    r.problem("poison not in the dead-letter topic", set(poison) - set(by_key))
    r.problem("dead letters of articles that should be indexed", set(by_key) - set(poison))
    wrong = []
    for key, recs in by_key.items():
        inj = poison.get(key)
        if inj is None:
            continue  # reported above
        for rec in recs:
            stage, error = _header(rec, t.H_STAGE), _header(rec, t.H_ERROR)
            if not (inj.reason_ok(error) and stage in inj.stages and _header(rec, t.H_CAUSE)):
                wrong.append(f"{inj.kind}: {stage}/{error}")
    r.problem("dead letters with an unexpected stage, reason or no cause", wrong)

    for stage, topic in (("enrich", topics.raw), ("index", topics.enriched)):
        behind = lag(kafka, topics.group(stage), topic)
        r.counts[f"lag_{stage}"] = behind
        if behind:
            r.problems.append(f"{topics.group(stage)} is {behind} records behind on {topic}")
    return r
