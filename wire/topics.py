"""Topic and consumer-group names: the public contract for subscribers."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_PREFIX = "diplowire"


@dataclass(frozen=True, slots=True)
class Topics:
    prefix: str = DEFAULT_PREFIX

    @property
    def raw(self) -> str:
        return f"{self.prefix}.articles.raw.v1"

    @property
    def enriched(self) -> str:
        return f"{self.prefix}.articles.enriched.v1"

    @property
    def deadletter(self) -> str:
        return f"{self.prefix}.deadletter.v1"

    @property
    def feed_state(self) -> str:
        return f"{self.prefix}.feeds.state.v1"

    def group(self, service: str) -> str:
        return f"{self.prefix}-{service}"


# Dead-letter headers (bytes values, UTF-8).
H_STAGE = "dw-stage"
H_ERROR = "dw-error"
H_CAUSE = "dw-cause"
H_SOURCE_TOPIC = "dw-source-topic"
H_SOURCE_PARTITION = "dw-source-partition"
H_SOURCE_OFFSET = "dw-source-offset"
H_SCHEMA_VERSION = "dw-schema-version"
H_TRUNCATED = "dw-truncated-from-bytes"
