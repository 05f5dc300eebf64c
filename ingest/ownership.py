"""Several pollers, one feed list: each feed is owned by one poller at a time, and its state
follows it to the next owner.

Mechanism: Kafka's own group membership. Every poller joins the consumer group
``<prefix>-poll-owners`` on the compacted topic ``<prefix>.feeds.state.v1`` (P partitions). A feed
belongs to partition ``crc32(host) % P`` of its listed URL's host, so all feeds of one host are
owned by one poller and its per-host limits (ingest.politeness) hold across pollers. Kafka
assigns the partitions and moves them when a poller joins, leaves (clean close) or dies (its
session times out, 10 s). Why this and not leases in Elasticsearch or static sharding: the
poller already depends on Kafka and nothing else; the group protocol already detects dead
members, and its eager rebalance runs every member's revocation before any new assignment, which
is the hand-over point needed.

The same topic carries each feed's state, keyed by feed URL, in the feed's partition: its
:class:`~ingest.state.FeedState`, the article ids it carries and the seen entries of its articles.
The owner writes a feed's record after each save of the local store (after Kafka acknowledged
the feed's articles) and, with it, a *mark* per owned partition: "every article of this
partition's feeds sent before time t is in a record before this mark".

Hand-over without publishing an article twice (same id and version):

* revocation (clean): the pass stops sending for the revoked feeds, drains the acknowledgements,
  saves, writes the records and a mark, waits for Kafka's acks, and only then lets the group go
  on (:meth:`Ownership.service`);
* assignment: the new owner reads the partition's records, then reads the raw topic from the
  partition's last mark (less :data:`~ingest.ownerread.SCAN_MARGIN_S`) to its end and adds
  every article found to its seen set: what a dead owner published after its last records is
  known too (:func:`~ingest.ownerread.read_adoption`). Only then are the partition's feeds
  polled.

The group consumer only exists for membership: its partitions are paused, it fetches nothing.
"""

from __future__ import annotations

import logging
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

import msgspec
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import KafkaError

from diplowire.ingest.ownerread import MARK_KEY, Adoption, FeedRecord, Mark, read_adoption
from diplowire.ingest.politeness import host_of
from diplowire.ingest.state import FeedState, PollerState, Seen, StateStore
from diplowire.ingest.statetopic import ensure_state_topic
from diplowire.wire.kafka_compat import WholeRevocations
from diplowire.wire.settings import KafkaSettings, PollSettings

log = logging.getLogger(__name__)
_enc = msgspec.json.Encoder()

MARK_EVERY_S = 20.0
"""An idle owner still marks its partitions this often, so a new owner's raw scan stays short."""
HANDOVER_WAIT_S = 30.0
"""How long a revocation waits for the poller's hand-over before the group goes on anyway."""


@lru_cache(maxsize=1 << 16)
def partition_of(url: str, partitions: int) -> int:
    """The coordination partition (hence the owner) of a feed: by its host, so one poller
    has all of a host's feeds. Cached: asked several times per feed and pass, and parsing the
    URL each time was 1 % of the poller's pass-1 CPU (bench/ingest.md)."""
    return zlib.crc32(host_of(url).encode()) % partitions


@dataclass
class OwnerStats:
    assignments: int = 0
    handovers: int = 0
    records_written: int = 0
    records_read: int = 0
    raw_scanned: int = 0
    results_dropped: int = 0
    """Feeds fetched but not published: their partition was revoked meanwhile."""


class Ownership:
    """This poller's share of the feed list (see the module's docstring)."""

    def __init__(
        self,
        kafka: KafkaSettings,
        producer: KafkaProducer,
        store: StateStore,
        *,
        partitions: int = 12,
        session_timeout_ms: int = 10_000,
        member: str = "",
    ) -> None:
        self.kafka = kafka
        self.producer = producer
        self.store = store
        self.topic: str = kafka.topics.feed_state
        self.group: str = kafka.topics.group("poll-owners")
        self.partitions = ensure_state_topic(kafka, self.topic, partitions)
        self.session_timeout_ms = session_timeout_ms
        self.member = member
        self.stats = OwnerStats()
        self._owned: frozenset[int] = frozenset()
        self._cond = threading.Condition()
        self._revoking: set[int] | None = None
        self._handed = threading.Event()
        self._adoptions: list[Adoption] = []
        self._to_load: set[int] | None = None
        self._assigned: set[int] | None = None
        """The group's last assignment to this poller; None while a rebalance is under way."""
        self._epoch = 0
        self._unsent: set[str] = set()
        self._last_mark = 0.0
        self._closing = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="poll-owners", daemon=True)
        self._thread.start()

    # -- read by any thread ------------------------------------------------------------------

    def owns(self, url: str) -> bool:
        return partition_of(url, self.partitions) in self._owned

    @property
    def owned(self) -> frozenset[int]:
        return self._owned

    # -- the poller's thread -----------------------------------------------------------------

    def service(self, state: PollerState, commit: Callable[[], None] | None = None) -> bool:
        """Hand revoked partitions over and take assigned ones; call between feeds and while
        idle. ``commit`` drains and saves the pass in progress. True when partitions were
        taken (feeds may be due now)."""
        if self._error is not None:
            raise RuntimeError("feed ownership coordinator failed") from self._error
        with self._cond:
            revoking, adoptions = self._revoking, self._adoptions
            self._adoptions = []
        if revoking is not None:
            self._hand_over(state, revoking, commit)
        for adoption in adoptions:
            self._adopt(state, adoption)
        if self._owned and time.time() - self._last_mark > MARK_EVERY_S and commit is None:
            # Idle: nothing in flight, every record sent; the mark keeps a new owner's scan short.
            self._send_marks(self._owned, time.time())
        return bool(adoptions)

    def after_save(self, state: PollerState, changed: Iterable[str], acked_before: float) -> None:
        """Write the records of the feeds saved, and marks for ``acked_before`` (every article
        sent before it was acknowledged and is in the state saved)."""
        self._unsent.update(changed)
        self._send_records(state, self._owned)
        self._send_marks(self._owned, acked_before)

    def wait(self, stop: threading.Event, seconds: float, state: PollerState) -> None:
        """Sleep up to ``seconds`` (less when stopped or given partitions), serving the group."""
        deadline = time.monotonic() + seconds
        while not stop.is_set() and time.monotonic() < deadline:
            if self.service(state):
                return
            with self._cond:
                if self._revoking is None and not self._adoptions:
                    self._cond.wait(min(0.25, max(0.0, deadline - time.monotonic())))

    def wait_for_share(
        self, state: PollerState, timeout_s: float, stop: threading.Event | None = None
    ) -> bool:
        """Serve the group until it has given this poller its share and the share is taken
        (True; the share may be empty when there are more pollers than partitions), or until
        ``timeout_s`` ran out or ``stop`` was set (False). For ``poll --once``."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not (stop is not None and stop.is_set()):
            self.service(state)
            with self._cond:
                given = self._assigned
                if (
                    given is not None
                    and given <= self._owned
                    and self._to_load is None
                    and not self._adoptions
                    and self._revoking is None
                ):
                    return True
                self._cond.wait(0.25)
        return False

    def close(self, state: PollerState) -> None:
        """Hand every partition over (records and marks acknowledged), then leave the group."""
        owned = set(self._owned)
        self._owned = frozenset()
        if owned:
            try:
                self._send_records(state, owned)
                self._send_marks(owned, time.time())
                self.producer.flush(timeout=30)
            except KafkaError as exc:
                # The next owner's raw scan covers what these records would have said.
                log.warning("feed records not written at close: %s", exc)
        self._closing.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout=30)

    def _hand_over(
        self, state: PollerState, parts: set[int], commit: Callable[[], None] | None
    ) -> None:
        if commit is not None:
            commit()  # acks drained, the state saved, records of the owned feeds sent
        self._send_records(state, parts)
        self._send_marks(parts, time.time())
        self.producer.flush(timeout=HANDOVER_WAIT_S)
        self.stats.handovers += 1
        log.info("handed over partitions %s", sorted(parts))
        with self._cond:
            self._revoking = None
        self._handed.set()

    def _adopt(self, state: PollerState, a: Adoption) -> None:
        for url, rec in a.records.items():
            local = state.feeds.get(url)
            if local is None or (rec.fs.last_polled or "") >= (local.last_polled or ""):
                state.set_feed(url, rec.fs)
                if rec.items is not None:
                    state.set_items(url, rec.items)
            # One query per record for what this poller already knows of its articles.
            known = state.seen.get_many(rec.seen)
            for aid, (h, version, last_seen, tkey, feed) in rec.seen.items():
                mine = known.get(aid)
                if mine is None or version > mine.version:
                    state.set_seen(aid, Seen(h, version, last_seen, tkey, feed), None)
            mapped = state.guids.get_many(rec.guids)
            for g, aid in rec.guids.items():
                if g not in mapped and aid in state.seen:
                    state.guids[g] = aid
        touched: set[str] = set()
        now = time.time()
        known = state.seen.get_many(p.id for p in a.published)
        for p in a.published:
            mine = known.get(p.id)
            if mine is None or p.version > mine.version:
                state.set_seen(p.id, Seen(p.digest, p.version, now, p.title_key, p.feed), None)
                touched.add(p.feed)
        for url in touched - state.feeds.keys():
            state.set_feed(url, FeedState(url=url))  # so that its record names these articles
        self.store.save(state)
        with self._cond:
            if a.epoch != self._epoch:
                # Revoked while it was read or merged: what was learnt is kept, the partitions
                # are not taken (a later assignment brings them again).
                log.info("partitions %s revoked before they were taken", sorted(a.partitions))
                return
            self._owned = self._owned | a.partitions
        self.stats.records_read += len(a.records)
        self.stats.raw_scanned += len(a.published)
        # What the raw topic told is written to the feeds' records before the new mark.
        self._unsent.update(touched)
        self._send_records(state, a.partitions)
        self._send_marks(a.partitions, now)
        self.producer.flush(timeout=HANDOVER_WAIT_S)
        self.stats.assignments += 1
        log.info(
            "took partitions %s: %d feed records, %d raw articles read",
            sorted(a.partitions),
            len(a.records),
            len(a.published),
        )

    def _send_records(self, state: PollerState, parts: Iterable[int]) -> None:
        parts = set(parts)
        urls = [
            url
            for url in self._unsent
            if partition_of(url, self.partitions) in parts and url in state.feeds
        ]
        for url, record in self._records(state, urls):
            p = partition_of(url, self.partitions)
            self.producer.send(self.topic, key=url.encode(), value=_enc.encode(record), partition=p)
        self._unsent.difference_update(urls)
        self.stats.records_written += len(urls)

    def _records(self, state: PollerState, urls: list[str]) -> Iterator[tuple[str, FeedRecord]]:
        """The records of ``urls``: their articles read in a few queries for all of them, not
        several per feed (a save after pass 1's first minutes names thousands of feeds)."""
        items = state.items.get_many(urls)
        ids_of = self.store.seen_of_feeds(urls)
        wanted = {u: set(items.get(u) or ()) | set(ids_of.get(u, ())) for u in urls}
        seen_all = state.seen.get_many(i for ids in wanted.values() for i in ids)
        guids_all = self.store.guids_of(seen_all)
        guids_by_id: dict[str, dict[str, str]] = {}
        for g, aid in guids_all.items():
            guids_by_id.setdefault(aid, {})[g] = aid
        for url in urls:
            seen = {
                i: (s.content_hash, s.version, s.last_seen, s.title_key, s.feed)
                for i in wanted[url]
                if (s := seen_all.get(i)) is not None
            }
            guids = {g: a for i in seen for g, a in guids_by_id.get(i, {}).items()}
            yield url, FeedRecord(state.feeds[url], items.get(url), seen, guids)

    def _send_marks(self, parts: Iterable[int], t: float) -> None:
        for p in parts:
            self.producer.send(self.topic, key=MARK_KEY, value=_enc.encode(Mark(t)), partition=p)
        self._last_mark = time.time()

    # -- the coordinator thread --------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._coordinate()
        except BaseException as exc:  # reported to the poller's thread by service()
            log.exception("feed ownership coordinator failed")
            self._error = exc
            self._owned = frozenset()

    def _coordinate(self) -> None:
        consumer = KafkaConsumer(
            **self.kafka.client_config(),
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="latest",
            session_timeout_ms=self.session_timeout_ms,
            heartbeat_interval_ms=max(500, self.session_timeout_ms // 5),
            max_poll_interval_ms=300_000,
            metadata_max_age_ms=10_000,
            client_id=f"poll-owner-{self.member}" if self.member else "poll-owner",
        )
        # A group leader whose own metadata lacks the new topic assigns nothing, and a member
        # left out that way was seen to wait without a share: join once the topic is known.
        deadline = time.monotonic() + 30
        while not consumer.partitions_for_topic(self.topic):
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.topic} unknown to the group consumer after 30 s")
            consumer.topics()  # a metadata request of its own
            time.sleep(0.2)
        consumer.subscribe([self.topic], listener=WholeRevocations(_Listener(self)))
        try:
            while not self._closing.is_set():
                # Rebalance callbacks run inside poll() whatever its timeout; the timeout only
                # bounds how soon close() is seen, and each poll costs CPU (2 % of pass 1 at
                # 200 ms).
                consumer.poll(timeout_ms=1000)
                assigned = consumer.assignment()
                if assigned - consumer.paused():
                    consumer.pause(*assigned)  # membership only: nothing is fetched
                with self._cond:
                    parts, self._to_load = self._to_load, None
                    epoch = self._epoch
                if parts:
                    t = time.monotonic()
                    adoption = read_adoption(self.kafka, self.topic, parts, epoch)
                    log.info("read partitions %s in %.1f s", sorted(parts), time.monotonic() - t)
                    with self._cond:
                        self._adoptions.append(adoption)
                        self._cond.notify_all()
        finally:
            consumer.close(autocommit=False)

    def _on_revoked(self, parts: set[int]) -> None:
        with self._cond:
            # Pending adoptions of these partitions are void: they are being taken away.
            self._adoptions = [a for a in self._adoptions if not (a.partitions & parts)]
            self._epoch += 1
            self._assigned = None
            if not (self._owned & parts):
                return
            self._owned = self._owned - parts
            self._revoking = parts
            self._handed.clear()
            self._cond.notify_all()
        if not self._handed.wait(HANDOVER_WAIT_S):
            log.error("partitions %s revoked without a hand-over in %.0f s", parts, HANDOVER_WAIT_S)

    def _on_lost(self, parts: set[int]) -> None:
        # Evicted: another poller may own them already; the raw scan covers what was in flight.
        log.warning("partitions %s lost (this poller left the group or was evicted)", sorted(parts))
        with self._cond:
            self._epoch += 1
            self._owned = self._owned - parts
            self._assigned = None

    def _on_assigned(self, parts: set[int]) -> None:
        # An empty share is logged too: a poller left without one while others hold several
        # is the first thing to look for when feeds move slowly.
        log.info("the group gave this poller partitions %s of %d", sorted(parts), self.partitions)
        with self._cond:
            self._to_load = set(parts)
            self._assigned = set(parts)
            self._cond.notify_all()


class _Listener(ConsumerRebalanceListener):
    def __init__(self, owner: Ownership) -> None:
        self.owner = owner

    def on_partitions_revoked(self, revoked: Iterable[TopicPartition]) -> None:
        self.owner._on_revoked({tp.partition for tp in revoked})

    def on_partitions_assigned(self, assigned: Iterable[TopicPartition]) -> None:
        self.owner._on_assigned({tp.partition for tp in assigned})

    def on_partitions_lost(self, lost: Iterable[TopicPartition]) -> None:
        self.owner._on_lost({tp.partition for tp in lost})


def start_owner(settings: PollSettings, producer: KafkaProducer, store: StateStore) -> Ownership:
    """Join the pollers' group (``poll.owners``); the member name is the host and process id."""
    import os
    import socket

    return Ownership(
        settings.kafka,
        producer,
        store,
        partitions=settings.owner_partitions,
        member=f"{socket.gethostname()}-{os.getpid()}",
        session_timeout_ms=settings.owner_session_timeout_ms,
    )
