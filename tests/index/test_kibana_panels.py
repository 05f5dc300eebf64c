"""Every Lens panel of the Diplomatic desk, run on real Elasticsearch over the pipeline's articles,
within the time range ``kibana import`` stores: each shows data.

Kibana cannot run here, so each Lens layer is translated into the aggregation Kibana's ``esaggs``
sends for it: bucket columns nested in the layer's column order (terms, date histogram), metric
columns inside the innermost bucket, the dashboard's time range as a range filter on the data
view's time field. The articles are the enricher's real output (tests/index/fixtures), indexed
through the indexer's own handler into a namespaced alias.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from diplowire.index.kibana import DEFAULT_ASSETS
from diplowire.index.kibana_range import (
    LIVE,
    PublishedRange,
    RangeStatus,
    dashboard_range,
    published_range,
    range_from_index,
)
from diplowire.wire.settings import ElasticsearchSettings
from tests.index.helpers import articles, fresh, index_directly

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
HISTOGRAM_BARS = 50
"""Kibana's ``histogram:barTarget``: how many buckets an "auto" interval aims at."""


def _objects() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DEFAULT_ASSETS.read_text().splitlines() if line.strip()]


LENSES = [o for o in _objects() if o["type"] == "lens"]
(VIEW,) = (o for o in _objects() if o["type"] == "index-pattern")
TIME_FIELD = VIEW["attributes"]["timeFieldName"]


def _metric_agg(column: dict[str, Any]) -> dict[str, Any]:
    op, field = column["operationType"], column["sourceField"]
    if op == "max":
        return {"max": {"field": field}}
    if op == "percentile":
        return {"percentiles": {"field": field, "percents": [column["params"]["percentile"]]}}
    if op == "last_value":
        sort = column["params"]["sortField"]
        return {"top_hits": {"size": 1, "sort": [{sort: "desc"}], "_source": [field]}}
    raise AssertionError(f"no translation for {op}")


# Kibana's "auto" interval: the smallest of its usual steps giving at most histogram:barTarget bars.
_STEPS = [
    (timedelta(hours=1), {"fixed_interval": "1h"}),
    (timedelta(hours=12), {"fixed_interval": "12h"}),
    (timedelta(days=1), {"calendar_interval": "1d"}),
    (timedelta(days=7), {"calendar_interval": "1w"}),
    (timedelta(days=30), {"calendar_interval": "1M"}),
    (timedelta(days=365), {"calendar_interval": "1y"}),
]


def _auto_interval(span: timedelta) -> dict[str, str]:
    for step, interval in _STEPS:
        if span / step <= HISTOGRAM_BARS:
            return interval
    return _STEPS[-1][1]


def _bucket_agg(column: dict[str, Any], columns: dict[str, Any], span: timedelta) -> dict[str, Any]:
    op, field, params = column["operationType"], column["sourceField"], column["params"]
    if op == "terms":
        by = params["orderBy"]["columnId"]
        key = "_count" if columns[by]["operationType"] == "count" else by
        return {
            "terms": {
                "field": field,
                "size": params["size"],
                "order": {key: params["orderDirection"]},
            }
        }
    if op == "date_histogram":
        assert params["interval"] == "auto"
        return {"date_histogram": {"field": field, **_auto_interval(span), "min_doc_count": 0}}
    raise AssertionError(f"no translation for {op}")


def layer_request(
    layer: dict[str, Any], span: timedelta = timedelta(days=30)
) -> tuple[dict[str, Any], list[str]]:
    """The aggregations of one Lens layer and the names of its bucket levels, outermost first;
    ``span``, the dashboard's time range, sets the interval of an "auto" date histogram."""
    columns = layer["columns"]
    order = layer["columnOrder"]
    buckets = [c for c in order if columns[c]["isBucketed"]]
    inner = {
        c: _metric_agg(columns[c])
        for c in order
        if not columns[c]["isBucketed"] and columns[c]["operationType"] != "count"
    }
    for name in reversed(buckets):
        spec = _bucket_agg(columns[name], columns, span)
        if inner:
            spec["aggs"] = inner
        inner = {name: spec}
    return inner, buckets


def _span(start: str, end: str) -> timedelta:
    def moment(value: str) -> datetime:
        return datetime.now(UTC) if value == "now" else datetime.fromisoformat(value)

    return moment(end) - moment(start)


def time_filter(start: str, end: str) -> dict[str, Any]:
    """The range filter Kibana adds for the dashboard's time picker."""
    return {
        "bool": {
            "filter": [
                {
                    "range": {
                        TIME_FIELD: {
                            "gte": start,
                            "lte": end,
                            "format": "strict_date_optional_time",
                        }
                    }
                }
            ]
        }
    }


@pytest.fixture(scope="module")
def indexed(stack: Any) -> Iterator[tuple[Elasticsearch, ElasticsearchSettings]]:
    prefix = f"t{uuid.uuid4().hex[:10]}-articles"
    settings = ElasticsearchSettings(url=stack.es_url, index_prefix=prefix)
    es = index_directly(settings, fresh(articles()))
    yield es, settings
    es.indices.delete(index=f"{prefix}-*")
    es.indices.delete_index_template(name=f"{prefix}-template")
    es.close()


def _values(field: str, key: Any) -> bool:
    """What a facet's bucket keys look like on this data (a wrong field would fail these)."""
    checks = {
        "topics": lambda k: re.fullmatch(r"[a-z_]+", k),
        "countries": lambda k: re.fullmatch(r"[A-Z]{2}", k),
        "dyads": lambda k: re.fullmatch(r"[A-Z]{2}-[A-Z]{2}", k) and k[:2] < k[3:],
        "lang": lambda k: k in {"fr", "en", "de"},
        "persons": lambda k: k == k.strip() and any(c.isupper() for c in k),  # display names
        "organizations": lambda k: len(k) > 1,
        "title.raw": lambda k: len(k) > 5,
    }
    return bool(checks[field](key))


@pytest.mark.parametrize("lens", LENSES, ids=lambda o: o["id"])
def test_each_lens_panel_shows_data_in_the_range_the_import_stores(
    indexed: tuple[Elasticsearch, ElasticsearchSettings], lens: dict[str, Any]
) -> None:
    es, settings = indexed
    found, (start, end) = range_from_index(settings, NOW)
    assert found.status is RangeStatus.FOUND
    (layer,) = lens["attributes"]["state"]["datasourceStates"]["formBased"]["layers"].values()
    columns = layer["columns"]
    aggs, buckets = layer_request(layer, _span(start, end))
    resp = es.search(index=settings.index_prefix, size=0, query=time_filter(start, end), aggs=aggs)
    assert resp["hits"]["total"]["value"] > 0, "no article inside the dashboard's range"
    if not buckets:  # a metric panel: its values over the whole range
        for name, agg in resp["aggregations"].items():
            values = agg["values"]
            assert all(v is not None for v in values.values()), (name, values)
        return
    top = resp["aggregations"][buckets[0]]["buckets"]
    assert top, f"{lens['attributes']['title']}: no buckets"
    outer = columns[buckets[0]]
    if outer["operationType"] == "terms":
        assert len(top) <= outer["params"]["size"]
        by = outer["params"]["orderBy"]["columnId"]
        ranks = [b["doc_count"] if by not in b else b[by]["value"] for b in top]
        assert ranks == sorted(ranks, reverse=True)
        assert all(_values(outer["sourceField"], b["key"]) for b in top)
    leaves = top
    if len(buckets) > 1:
        leaves = [s for b in top for s in b[buckets[1]]["buckets"] if s["doc_count"]]
        assert leaves, f"{lens['attributes']['title']}: no second-level buckets"
    for name in (c for c in columns if c not in buckets and c in aggs_names(aggs)):
        assert any(_metric_present(leaf[name]) for leaf in leaves), name


def aggs_names(aggs: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for name, spec in aggs.items():
        names.add(name)
        names |= aggs_names(spec.get("aggs", {}))
    return names


def _metric_present(value: dict[str, Any]) -> bool:
    if "hits" in value:
        return bool(value["hits"]["hits"])
    if "values" in value:
        return all(v is not None for v in value["values"].values())
    return value.get("value") is not None


def test_the_recent_articles_table_lists_the_newest_titles_first(
    indexed: tuple[Elasticsearch, ElasticsearchSettings],
) -> None:
    es, settings = indexed
    (lens,) = (o for o in LENSES if o["id"] == "dw-recent-articles")
    (layer,) = lens["attributes"]["state"]["datasourceStates"]["formBased"]["layers"].values()
    aggs, (rows,) = layer_request(layer)
    resp = es.search(index=settings.index_prefix, size=0, aggs=aggs)
    table = resp["aggregations"][rows]["buckets"]
    newest = es.search(index=settings.index_prefix, size=1, sort=[{TIME_FIELD: "desc"}])
    assert table[0]["key"] == newest["hits"]["hits"][0]["_source"]["title"]


# --------------------------------------------------------------------------- the stored range


def test_the_stored_range_covers_every_indexed_article(
    indexed: tuple[Elasticsearch, ElasticsearchSettings],
) -> None:
    es, settings = indexed
    dates = sorted(a.published for a in articles())
    found = published_range(es, settings.index_prefix)
    assert found.status is RangeStatus.FOUND and found.first and found.last
    assert found.first.isoformat().startswith(dates[0][:10])
    assert found.last.isoformat().startswith(dates[-1][:10])
    start, end = dashboard_range(found, NOW)
    assert (start, end) != LIVE  # the bundled articles are years old
    assert start[:10] <= dates[0][:10] and end[:10] > dates[-1][:10]
    total = es.count(index=settings.index_prefix)["count"]
    inside = es.count(index=settings.index_prefix, query=time_filter(start, end))["count"]
    assert inside == total == len(dates)
    # What the file's own range showed on these articles before: nothing.
    assert es.count(index=settings.index_prefix, query=time_filter("now-30d", "now"))["count"] == 0


def test_a_live_index_keeps_the_last_30_days() -> None:
    recent = PublishedRange(
        RangeStatus.FOUND, datetime(2026, 11, 10, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC)
    )
    assert dashboard_range(recent, NOW) == LIVE
    # Older articles and new ones still arriving: from the oldest day, open-ended.
    long = PublishedRange(
        RangeStatus.FOUND, datetime(2024, 3, 5, 17, tzinfo=UTC), datetime(2026, 11, 29, tzinfo=UTC)
    )
    assert dashboard_range(long, NOW) == ("2024-03-05T00:00:00.000Z", "now")
    # A closed set (the demo): up to the day after the newest article.
    closed = PublishedRange(
        RangeStatus.FOUND, datetime(2014, 1, 2, tzinfo=UTC), datetime(2025, 6, 7, 9, tzinfo=UTC)
    )
    assert dashboard_range(closed, NOW) == ("2014-01-02T00:00:00.000Z", "2025-06-08T00:00:00.000Z")
    for status in (RangeStatus.NO_INDEX, RangeStatus.EMPTY, RangeStatus.UNREACHABLE):
        assert dashboard_range(PublishedRange(status), NOW) == LIVE


def test_no_index_and_no_server_leave_the_stored_range(stack: Any) -> None:
    missing = ElasticsearchSettings(url=stack.es_url, index_prefix=f"t{uuid.uuid4().hex[:10]}-none")
    found, time_range = range_from_index(missing, NOW)
    assert found.status is RangeStatus.NO_INDEX and time_range == LIVE
    started = datetime.now(UTC)
    down = ElasticsearchSettings(url="http://127.0.0.1:9", index_prefix="diplowire-articles")
    found, time_range = range_from_index(down, NOW)
    assert found.status is RangeStatus.UNREACHABLE and time_range == LIVE
    assert (datetime.now(UTC) - started).total_seconds() < 5
