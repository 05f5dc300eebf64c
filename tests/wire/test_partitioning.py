"""wire.partitioning: the same partition as kafka-python's DefaultPartitioner for every key, so
replacing it moved no record (the versions of an article stay on one partition)."""

from __future__ import annotations

import random

from kafka.cluster import ClusterMetadata
from kafka.partitioner import DefaultPartitioner
from kafka.partitioner.default import murmur2 as kafka_murmur2

from diplowire.wire.partitioning import Murmur2Partitioner, murmur2
from tests.support.articles import un_articles


def test_murmur2_is_kafka_pythons_for_every_length_and_byte() -> None:
    rnd = random.Random(7)
    for n in [*range(0, 70), 255, 256, 1000]:
        for _ in range(40):
            data = bytes(rnd.randrange(256) for _ in range(n))
            assert murmur2(data) == kafka_murmur2(data), (n, data)
    for art in un_articles():  # real article ids, as the poller keys its records
        assert murmur2(art.id.encode()) == kafka_murmur2(art.id.encode())


class _Cluster(ClusterMetadata):  # type: ignore[misc]
    """Metadata with one topic of ``n`` partitions (what the partitioners read of a cluster)."""

    def __init__(self, topic: str, n: int) -> None:
        super().__init__()
        self.topic, self.n = topic, n

    def topics(self, exclude_internal_topics: bool = True) -> set[str]:
        return {self.topic}

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return set(range(self.n)) if topic == self.topic else None

    def available_partitions_for_topic(self, topic: str) -> set[int] | None:
        return self.partitions_for_topic(topic)


def test_every_key_goes_where_the_default_partitioner_sends_it() -> None:
    ours, theirs = Murmur2Partitioner(), DefaultPartitioner()
    rnd = random.Random(3)
    for n in (1, 3, 12, 50):
        cluster = _Cluster("t", n)
        for _ in range(500):
            key = rnd.randbytes(rnd.randrange(1, 48))
            assert ours.partition("t", key, key, None, b"v", cluster) == theirs.partition(
                "t", key, key, None, b"v", cluster
            )
        # No key: a partition of the topic (kafka-python's random choice).
        assert ours.partition("t", None, None, None, b"v", cluster) in range(n)
