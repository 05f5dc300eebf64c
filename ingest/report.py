"""What one poller pass did, counted by outcome (logged as progress, printed by ``--once``)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PollReport:
    feeds_polled: int = 0
    feeds_ok: int = 0
    feeds_unchanged: int = 0
    feeds_failed: int = 0
    feeds_deferred: int = 0
    """Not polled because their host asked us to wait (Retry-After): not a failure."""
    entries: int = 0
    published: int = 0
    updated: int = 0
    duplicates: int = 0
    skipped_entries: int = 0
    """Entries not published, all reasons together (``skipped`` has them per reason)."""
    skipped: dict[str, int] = field(default_factory=dict)
    """Per :class:`~ingest.outcomes.SkipReason`: no_url, non_http_url, duplicate_item."""
    feeds_recoded: dict[str, int] = field(default_factory=dict)
    """Feeds whose bytes were not valid in the charset they declare, per
    :class:`~ingest.outcomes.Recode` (re-decoded as detected, or invalid bytes replaced)."""
    failures: dict[str, int] = field(default_factory=dict)
    bytes_received: int = 0
    fulltext_ok: int = 0
    fulltext_failed: int = 0
    """Articles that kept their feed summary because the page could not be extracted."""
    validators_distrusted: int = 0
    not_acknowledged: int = 0
    """Articles Kafka did not acknowledge: not published, sent again on the next poll."""
    feeds_delta: int = 0
    """Feeds answered ``226 IM Used`` (RFC 3229 delta: only new entries); each still ends as one
    of ``feeds_ok`` / ``feeds_failed``."""
    articles_oversized: int = 0
    """Articles over the raw topic's message limit, written to the dead-letter topic instead."""
    feeds_requeued: int = 0
    """Fetched, but not acknowledged only because the producer had failed (below): not a
    failure, the feed's state is unchanged and it is due again."""
    producer_failed: bool = False
    """The broker refused a record with a non-retriable error: kafka-python's idempotent producer
    is then unusable (every later send fails) and must be replaced. The pass stops handing out
    feeds; those not handed out stay due."""

    def count_failure(self, kind: str, n: int = 1) -> None:
        self.failures[kind] = self.failures.get(kind, 0) + n
