"""The dashboard's stored time range, taken from the articles actually indexed.

The Diplomatic desk restores "the last 30 days", which suits a live desk but shows nothing on
older articles: the bundled demo feeds date from 2014 to 2025. ``kibana import`` therefore asks
Elasticsearch for the oldest and newest ``published`` date behind the alias and, when articles
older than that window exist, stores a range that covers them (see :func:`dashboard_range`).
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from elasticsearch import ApiError, Elasticsearch, NotFoundError, TransportError

from diplowire.index.layout import alias_name, client
from diplowire.wire.settings import ElasticsearchSettings

LIVE_WINDOW = timedelta(days=30)
"""The dashboard's own range (``now-30d``); kept when every article is inside it."""
LIVE = ("now-30d", "now")
TIME_FIELD = "published"
"""The data view's time field (deploy/kibana/build.py); the range filters on it."""
PROBE_TIMEOUT_S = 5.0


class RangeStatus(enum.Enum):
    FOUND = "found"
    NO_INDEX = "no_index"  # the alias does not exist: nothing indexed yet
    EMPTY = "empty"  # indexed articles, none with a published date
    UNREACHABLE = "unreachable"  # Elasticsearch did not answer (or answered an error)


@dataclass(frozen=True)
class PublishedRange:
    status: RangeStatus
    first: datetime | None = None
    last: datetime | None = None
    detail: str = ""


def _from_millis(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value / 1000, tz=UTC)


def published_range(es: Elasticsearch, alias: str) -> PublishedRange:
    """Oldest and newest ``published`` date behind ``alias`` (one size-0 search)."""
    try:
        resp = es.options(request_timeout=PROBE_TIMEOUT_S, max_retries=0).search(
            index=alias,
            size=0,
            aggs={
                "first": {"min": {"field": TIME_FIELD}},
                "last": {"max": {"field": TIME_FIELD}},
            },
        )
    except NotFoundError:
        return PublishedRange(RangeStatus.NO_INDEX, detail=f"no index {alias}")
    except (ApiError, TransportError) as exc:
        return PublishedRange(RangeStatus.UNREACHABLE, detail=type(exc).__name__)
    aggs = resp["aggregations"]
    first, last = _from_millis(aggs["first"]["value"]), _from_millis(aggs["last"]["value"])
    if first is None or last is None:
        return PublishedRange(RangeStatus.EMPTY, detail=f"no {TIME_FIELD} date in {alias}")
    return PublishedRange(RangeStatus.FOUND, first, last)


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def dashboard_range(found: PublishedRange, now: datetime) -> tuple[str, str]:
    """The (timeFrom, timeTo) to store: ``now-30d``/``now`` unless articles fall outside it.

    Otherwise the range starts on the day of the oldest article and ends ``now`` while articles
    keep arriving (the newest is within the live window), or the day after the newest one when the
    data is a closed set (the demo): a chart of the years 2014-2025 rather than of 2014-today.
    """
    if found.status is not RangeStatus.FOUND or found.first is None or found.last is None:
        return LIVE
    start = now - LIVE_WINDOW
    if found.first >= start and found.last <= now:
        return LIVE
    first_day = found.first.replace(hour=0, minute=0, second=0, microsecond=0)
    if start <= found.last <= now:
        return _iso(first_day), "now"
    end = found.last.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    return _iso(first_day), _iso(end)


def range_from_index(
    settings: ElasticsearchSettings, now: datetime | None = None
) -> tuple[PublishedRange, tuple[str, str]]:
    """Ask the configured Elasticsearch: what it holds, and the (timeFrom, timeTo) to store."""
    es = client(settings)
    # The probe is optional: a server that is down is one line from the caller, not the
    # transport's own warning about putting the node on timeout.
    transport_log = logging.getLogger("elastic_transport")
    level = transport_log.level
    transport_log.setLevel(logging.ERROR)
    try:
        found = published_range(es, alias_name(settings.index_prefix))
    finally:
        transport_log.setLevel(level)
        es.close()
    return found, dashboard_range(found, now or datetime.now(UTC))
