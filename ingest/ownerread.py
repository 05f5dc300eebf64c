"""What the pollers' coordination topic carries, and what a poller reads when it is given
partitions (ingest.ownership's module docstring says how the hand-over uses them): each feed's
record, the owner's marks, and the raw topic's articles since the last mark."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import msgspec
from kafka import TopicPartition

from diplowire.ingest.identity import title_key
from diplowire.ingest.state import FeedState
from diplowire.ingest.statetopic import offsets_since, read_to_end
from diplowire.wire.settings import KafkaSettings

SCAN_MARGIN_S = 75.0
"""The raw topic is read from a partition's last mark less this: a send the producer still
retried when the mark was written (up to the poller's 60 s ack timeout) and clock skew between
the pollers' machines (15 s)."""
MARK_KEY = b"\x00mark"


class FeedRecord(msgspec.Struct, frozen=True):
    fs: FeedState
    items: list[str] | None
    seen: dict[str, tuple[str, int, float, str, str]]
    """article id -> (content hash, version, last seen, title key, feed)."""
    guids: dict[str, str]


class Mark(msgspec.Struct, frozen=True):
    t: float


class _Src(msgspec.Struct):
    feed_url: str


class _RawArticle(msgspec.Struct):
    """What a raw-topic record says about what was published (the rest is not decoded)."""

    id: str
    version: int
    title: str
    text: str
    source: _Src


class _Published(msgspec.Struct, frozen=True):
    """What the raw scan keeps of a published article: a dead owner's last minute of sends can
    be tens of thousands of articles, not to be held with their texts."""

    id: str
    version: int
    digest: str
    title_key: str
    feed: str


_rec_dec = msgspec.json.Decoder(FeedRecord)
_mark_dec = msgspec.json.Decoder(Mark)
_raw_dec = msgspec.json.Decoder(_RawArticle)


@dataclass
class Adoption:
    """Partitions assigned to this poller, with what Kafka holds for them (read by the
    coordinator thread, applied by the poller's thread)."""

    partitions: set[int]
    epoch: int
    """The coordinator's revocation count when they were assigned: a revocation since voids it."""
    records: dict[str, FeedRecord] = field(default_factory=dict)
    published: list[_Published] = field(default_factory=list)


def read_adoption(kafka: KafkaSettings, topic: str, parts: set[int], epoch: int) -> Adoption:
    """The partitions' latest records, and what the raw topic holds since their marks."""
    adoption = Adoption(set(parts), epoch)
    marks: dict[int, float] = {}
    tps = [TopicPartition(topic, p) for p in sorted(parts)]
    for rec in read_to_end(kafka, dict.fromkeys(tps)):
        if rec.key == MARK_KEY:
            marks[rec.partition] = _mark_dec.decode(rec.value).t  # the last one counts
        elif rec.key is not None and rec.value is not None:
            adoption.records[rec.key.decode()] = _rec_dec.decode(rec.value)
    if not marks:
        return adoption  # never owned before: nothing was published for these feeds
    since = min(marks.values()) - SCAN_MARGIN_S
    raw = kafka.topics.raw
    starts = offsets_since(kafka, raw, since)
    for rec in read_to_end(kafka, starts):
        if rec.value is None:
            continue
        try:
            art = _raw_dec.decode(rec.value)
        except msgspec.ValidationError:
            continue  # not an article this poller could have written
        digest = _content_hash(art.title, art.text)
        adoption.published.append(
            _Published(art.id, art.version, digest, title_key(art.title), art.source.feed_url)
        )
    return adoption


def _content_hash(title: str, text: str) -> str:
    """``ingest.normalize.content_hash`` of a decoded raw article (pinned equal by a test)."""
    return hashlib.sha1(f"{title}\x00{text}".encode()).hexdigest()[:20]
