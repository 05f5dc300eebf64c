"""The consume loop's pure steps (wire.steps) on record values: no broker needed."""

from __future__ import annotations

from typing import NamedTuple

import pytest
from kafka.structs import TopicPartition

from diplowire.wire.article import encode
from diplowire.wire.outcomes import MessageError, Poison, WorkerStopped
from diplowire.wire.settings import LoopSettings
from diplowire.wire.steps import Batch, Intake, _offsets, decode_batch
from tests.support.messages import make_article

TP = TopicPartition("raw", 0)


class Rec(NamedTuple):
    """The fields of kafka-python's ConsumerRecord that the steps read."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None


def _batch() -> Batch:
    values = [
        encode(make_article(id=f"{1:032x}")),
        b"{nope",
        None,
        encode(make_article(id=f"{2:032x}")),
    ]
    return decode_batch(tuple(Rec("raw", 0, i, None, v) for i, v in enumerate(values)), None)


def test_decoding_keeps_the_articles_and_labels_the_poison_by_its_kind() -> None:
    batch = _batch()
    assert [a.id for a in batch.articles] == [f"{1:032x}", f"{2:032x}"]
    assert batch.positions == (0, 3)
    labels = [o.error if o else None for o in batch.outcomes]
    assert labels == [None, MessageError.INVALID_JSON, MessageError.EMPTY, None]


def test_settling_puts_the_handlers_outcomes_in_place_and_leaves_the_batch_unchanged() -> None:
    batch = _batch()
    refused = Poison("test", "no")
    settled = batch.settled([refused, None])
    assert settled.outcomes[0] is refused and settled.outcomes[3] is None
    assert settled.outcomes[1:3] == batch.outcomes[1:3]
    assert batch.outcomes[0] is None  # a new value: the batch itself is immutable
    with pytest.raises(WorkerStopped, match="wrong number of outcomes"):
        batch.settled([None])


def test_offsets_are_the_next_record_of_each_partition() -> None:
    recs = [Rec("raw", 0, 7, None, b""), Rec("raw", 1, 3, None, b""), Rec("raw", 0, 5, None, b"")]
    offsets = {tp.partition: om.offset for tp, om in _offsets(recs).items()}
    assert offsets == {0: 8, 1: 4}


def test_a_batch_is_full_by_count_or_bytes_and_taking_it_empties_the_intake() -> None:
    settings = LoopSettings(batch_max_records=3, batch_max_bytes=10, batch_max_wait_ms=60_000)
    intake = Intake()
    intake.add({TP: [Rec("raw", 0, 0, None, b"12345")]})
    assert not intake.full(settings)
    intake.add({TP: [Rec("raw", 0, 1, None, b"67890")]})
    assert intake.full(settings)  # 10 bytes
    assert [r.offset for r in intake.take()] == [0, 1]
    assert intake.records == [] and intake.size == 0
