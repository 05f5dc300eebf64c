"""Keyed records to partitions as Kafka's Java client and kafka-python place them, at a fraction
of kafka-python's CPU.

kafka-python's ``DefaultPartitioner`` hashes every key with a pure-Python murmur2 that masks each
intermediate value and reads the key a byte at a time: ~30 µs for a 24-byte article id on this
machine, about a tenth of the poller's cost per published article (bench/ingest.md, issue 14).
:func:`murmur2` below is the same function over 4-byte words read with one ``struct`` call; a
test pins it to kafka-python's on random keys, so a record goes to the partition it always went
to (the versions of one article stay in order on one partition, and a Java or librdkafka
producer with the default partitioner agrees).
"""

from __future__ import annotations

import struct
from functools import lru_cache
from typing import Any

from kafka.partitioner import DefaultPartitioner, Partitioner

_M = 0x5BD1E995
_MASK = 0xFFFFFFFF


@lru_cache(maxsize=64)
def _words(n: int) -> struct.Struct:
    return struct.Struct(f"<{n}I")


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 (``org.apache.kafka.common.utils.Utils.murmur2``) of ``data``."""
    length = len(data)
    h = 0x9747B28C ^ length
    n4 = length >> 2
    for k in _words(n4).unpack_from(data) if n4 < 64 else struct.unpack_from(f"<{n4}I", data):
        k = (k * _M) & _MASK
        k ^= k >> 24
        k = (k * _M) & _MASK
        h = ((h * _M) & _MASK) ^ k
    tail = length & 3
    if tail:
        i = length & ~3
        if tail >= 3:
            h ^= data[i + 2] << 16
        if tail >= 2:
            h ^= data[i + 1] << 8
        h ^= data[i]
        h = (h * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    h ^= h >> 15
    return h


class Murmur2Partitioner(Partitioner):
    """``DefaultPartitioner`` with :func:`murmur2`; records without a key go to it unchanged."""

    def __init__(self) -> None:
        self._default = DefaultPartitioner()

    def partition(
        self,
        topic: str,
        key: Any,
        serialized_key: bytes | None,
        value: Any,
        serialized_value: bytes | None,
        cluster: Any,
    ) -> int:
        if serialized_key is None:
            return int(
                self._default.partition(
                    topic, key, serialized_key, value, serialized_value, cluster
                )
            )
        parts = cluster.partitions_for_topic(topic)
        if not parts:
            raise ValueError(f"Topic {topic} not found in ClusterMetadata")
        return int(sorted(parts)[(murmur2(serialized_key) & 0x7FFFFFFF) % len(parts)])
