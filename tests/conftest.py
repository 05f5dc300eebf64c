"""Shared fixtures: the real local stack, started by the project's own script, and namespaces.

A missing or broken Kafka/Elasticsearch is a test failure, never a skip.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

import tests.fuzzing  # noqa: F401  (registers and loads the hypothesis profiles)
from diplowire import devstack as stk
from diplowire.wire.settings import ElasticsearchSettings, KafkaSettings, LoopSettings


@dataclass(frozen=True)
class Stack:
    bootstrap: str
    es_url: str


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    was_up = all(s.up for s in stk.status().values())
    try:
        stk.up()
    except stk.StackError as exc:
        pytest.fail(f"the local stack (Kafka + Elasticsearch) did not start: {exc}", pytrace=False)
    yield Stack(bootstrap=stk.kafka_bootstrap(), es_url=stk.es_url())
    if not was_up:
        # Leave the machine as we found it: only what this session started is stopped.
        stk.down()


@pytest.fixture
def ns() -> str:
    """A fresh namespace so tests never see each other's topics, groups or indices."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def kafka(stack: Stack, ns: str) -> KafkaSettings:
    return KafkaSettings(bootstrap_servers=stack.bootstrap, topic_prefix=ns)


@pytest.fixture
def es_settings(stack: Stack, ns: str) -> Iterator[ElasticsearchSettings]:
    settings = ElasticsearchSettings(url=stack.es_url, index_prefix=f"{ns}-articles")
    yield settings
    from elasticsearch import Elasticsearch

    es = Elasticsearch(stack.es_url)
    es.indices.delete(
        index=f"{ns}-*", ignore_unavailable=True, allow_no_indices=True, expand_wildcards="all"
    )
    es.options(ignore_status=404).indices.delete_index_template(name=f"{ns}-articles-template")
    es.close()


@pytest.fixture
def fast_loop() -> LoopSettings:
    return LoopSettings(
        batch_max_records=32, batch_max_wait_ms=200, retry_initial_ms=100, retry_max_ms=1000
    )
