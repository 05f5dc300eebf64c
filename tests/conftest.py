"""Shared fixtures: the real local stack, started by the project's own script, and namespaces.

A missing or broken Kafka/Elasticsearch is a test failure, never a skip.
"""

from __future__ import annotations

import fcntl
import sys
import uuid
from collections.abc import Iterator

import pytest

import tests.fuzzing  # noqa: F401  (registers and loads the hypothesis profiles)
from diplowire import devstack as stk
from diplowire.wire.settings import ElasticsearchSettings, KafkaSettings, LoopSettings
from tests.support import Stack
from tests.support.kafkanode import KafkaNode


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    cfg = stk.StackConfig.from_env()
    # "Running" is "our processes are alive", not "answering": a broker busy or frozen for a
    # moment is still someone else's stack, and must not be stopped at the end of this session.
    started_here = not all(s.pid is not None for s in stk.status(cfg).values())
    try:
        stk.up(cfg)
    except stk.StackError as exc:
        pytest.fail(f"the local stack (Kafka + Elasticsearch) did not start: {exc}", pytrace=False)
    # Sessions run side by side (several suites at once): each holds a shared lock on this
    # file while it uses the stack; the one that started it stops it only if it is the last.
    with (cfg.stack_dir / "sessions.lock").open("w") as users:
        fcntl.flock(users, fcntl.LOCK_SH)
        yield Stack(bootstrap=stk.kafka_bootstrap(), es_url=stk.es_url())
        if started_here:
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # another session still uses it
            # Leave the machine as we found it: only what this session started is stopped.
            stk.down(cfg)


@pytest.fixture(autouse=True)
def _switch_interval() -> Iterator[None]:
    """A test that runs the poll command in-process sets the GIL switch interval
    (``gil_switch_interval_s``) for the whole pytest process; every test starts from Python's
    own, so later tests' thread timing does not depend on which ran before."""
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


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


@pytest.fixture
def private_kafka() -> Iterator[KafkaNode]:
    """A throwaway broker of the test's own, for tests that kill or freeze one: doing that to the
    shared broker would fail every suite running beside this one."""
    with KafkaNode() as node:
        node.start()
        yield node
