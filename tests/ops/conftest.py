"""The operator commands' tests run the real ``diplowire`` entry point in-process: their
namespace goes in through the environment, as an operator's shell would give it."""

from __future__ import annotations

import pytest

from diplowire.wire.settings import KafkaSettings


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, kafka: KafkaSettings) -> KafkaSettings:
    """The test's Kafka namespace in the environment, and no settings file of the machine's."""
    monkeypatch.delenv("DIPLOWIRE_CONFIG", raising=False)
    monkeypatch.setenv("DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrap_servers)
    monkeypatch.setenv("DIPLOWIRE_KAFKA_TOPIC_PREFIX", kafka.topic_prefix)
    return kafka
