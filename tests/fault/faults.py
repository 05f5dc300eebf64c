"""The fault driver: a seeded plan of kills, outages, 429 bursts and injections, run in order.

Faults are drawn at random times within the stream (seeded, the seed is printed), then executed
one after the other: an outage ends (the server answers again) before the next fault starts, so
every fault is bounded in time and the whole run in length.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from elasticsearch import ApiError, Elasticsearch, TransportError

from tests.fault.feedgen import FeedStream
from tests.fault.poison import Injector
from tests.fault.privstack import PrivateEs, PrivateKafka
from tests.fault.workers import Supervisor

REJECTED = "es_rejected_execution_exception"
HAMMER_INDEX = "fault-hammer"

# Faults per 150 s of stream (at least one of each): the CI run gets this many, a soak scales up.
PER_150_S = {
    "kill:enrich": 2,
    "kill:index": 2,
    "kill:poll": 2,
    "kill9:kafka": 1,
    "kill9:elasticsearch": 1,
    "es-429": 1,
    "inject": 2,
}


@dataclass
class Event:
    at_s: float
    kind: str
    done_at_s: float | None = None
    note: str = ""


def plan(seed: int, stream_s: float) -> list[Event]:
    rng = random.Random(seed)
    scale = max(1.0, stream_s / 150)
    events = [
        Event(rng.uniform(0.05, 0.9) * stream_s, kind)
        for kind, n in PER_150_S.items()
        for _ in range(round(n * scale))
    ]
    return sorted(events, key=lambda e: e.at_s)


@dataclass(eq=False)
class Driver(threading.Thread):
    events: list[Event]
    seed: int
    stream: FeedStream
    supervisor: Supervisor
    kafka: PrivateKafka
    es: PrivateEs
    injector: Injector
    started_at: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)
    outage_s: dict[str, float] = field(default_factory=dict)
    hammer_429: int = 0
    outages: list[tuple[float, float]] = field(default_factory=list)
    """(start, end) in time.monotonic() of each broker or Elasticsearch outage."""
    error: BaseException | None = None

    def __post_init__(self) -> None:
        threading.Thread.__init__(self, daemon=True, name="fault-driver")
        self.rng = random.Random(self.seed + 1)

    def run(self) -> None:
        self.started_at = time.monotonic()
        try:
            for ev in self.events:
                delay = self.started_at + ev.at_s - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                ev.note = self.execute(ev.kind)
                ev.done_at_s = time.monotonic() - self.started_at
                self.counts[ev.kind] += 1
        except BaseException as exc:
            self.error = exc

    def execute(self, kind: str) -> str:
        if kind == "kill:poll":
            # In the middle of a pass: right after the feed server saw one of its requests.
            deadline = time.monotonic() + 60
            while not self.supervisor.running("poll") and time.monotonic() < deadline:
                time.sleep(0.2)
            self.stream.hit.clear()
            self.stream.hit.wait(15)
            time.sleep(self.rng.uniform(0, 0.3))
        if kind.startswith("kill:"):
            name = kind.split(":", 1)[1]
            if not self.supervisor.kill9(name):
                raise RuntimeError(f"{name} never ran long enough to be killed")
            return ""
        if kind == "kill9:kafka":
            return self._outage("kafka", self.kafka.kill9, self.kafka.start)
        if kind == "kill9:elasticsearch":
            return self._outage("elasticsearch", self.es.kill9, self.es.start)
        if kind == "es-429":
            return self._hammer()
        if kind == "inject":
            return f"{self.injector.send_round(self.counts[kind])} messages"
        raise ValueError(kind)

    def during_outage(self, at: float, grace_s: float = 90.0) -> bool:
        """Whether ``at`` falls in an outage or the ``grace_s`` after it (clients time out)."""
        return any(t0 <= at <= t1 + grace_s for t0, t1 in self.outages)

    def _outage(self, name: str, kill: Callable[[], None], start: Callable[[], None]) -> str:
        t0 = time.monotonic()
        kill()
        time.sleep(self.rng.uniform(2, 8))
        start()
        took = time.monotonic() - t0
        self.outage_s[name] = self.outage_s.get(name, 0.0) + took
        self.outages.append((t0, time.monotonic()))
        return f"down {took:.0f}s"

    def _hammer(self, min_s: float = 5.0, max_s: float = 45.0) -> str:
        """Concurrent bulk requests into a side index fill the one-slot write queue: 429s.

        Kept up until the indexer's own log shows a rejection (it must have met one) or
        ``max_s`` passed.
        """
        index_log = self.supervisor["index"].log
        before = index_log.read_text(errors="replace").count(REJECTED)
        es = Elasticsearch(self.es.url, max_retries=0, request_timeout=30)
        es.options(ignore_status=400).indices.create(index=HAMMER_INDEX)
        body = "".join(f'{{"index":{{}}}}\n{{"n":{i}}}\n' for i in range(200))
        stop_at = time.monotonic() + max_s
        min_at = time.monotonic() + min_s

        def hammer() -> int:
            rejected = 0
            while time.monotonic() < stop_at:
                if (
                    time.monotonic() > min_at
                    and index_log.read_text(errors="replace").count(REJECTED) > before
                ):
                    break
                try:
                    resp = es.bulk(index=HAMMER_INDEX, body=body)  # type: ignore[arg-type]
                    rejected += sum(1 for it in resp["items"] if it["index"]["status"] == 429)
                except ApiError as exc:
                    rejected += exc.status_code == 429
                except TransportError:
                    time.sleep(0.1)
            return rejected

        t0 = time.monotonic()
        with ThreadPoolExecutor(6) as pool:
            got = sum(pool.map(lambda _: hammer(), range(6)))
        self.hammer_429 += got
        es.options(ignore_status=404).indices.delete(index=HAMMER_INDEX)
        es.close()
        return f"{got} rejections in {time.monotonic() - t0:.0f}s"
