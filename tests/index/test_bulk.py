"""``bulk_index`` (index/bulk.py) on real Elasticsearch: per-item results, a request refused as a
whole split until its culprits are found, and the classification of each result."""

from __future__ import annotations

from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig
from elasticsearch import ApiError, Elasticsearch

from diplowire.index.bulk import ItemKind, ItemResult, _request_error, bulk_index
from diplowire.index.migrate import ensure_index
from diplowire.wire.settings import ElasticsearchSettings
from tests.index.helpers import LONG_ID


def test_bulk_index_reports_request_level_refusals_per_item(
    es_settings: ElasticsearchSettings,
) -> None:
    """The same split as seen by ``index migrate`` and any other caller of bulk_index."""
    es = Elasticsearch(es_settings.url)
    alias = ensure_index(es, es_settings.index_prefix)
    actions = []
    for i in range(9):
        meta = {"_index": alias, "_id": LONG_ID if i == 4 else f"{i:032x}", "version": 1}
        actions.append(({**meta, "version_type": "external_gte"}, {"id": f"{i:032x}"}))
    results = bulk_index(es, actions, require_alias=True)
    kinds = [r.kind for r in results]
    assert kinds == [ItemKind.WRITTEN] * 4 + [ItemKind.REQUEST_REFUSED] + [ItemKind.WRITTEN] * 4
    assert results[4].status == 400 and results[4].request_level
    assert results[4].reason.startswith("action_request_validation_exception: ")
    # Sent again, the refused one is refused again and the others are replays, not retried.
    again = bulk_index(es, actions, require_alias=True)
    assert [r.kind for r in again] == kinds
    es.close()


def test_a_413_without_a_json_body_still_names_its_refusal() -> None:
    """Elasticsearch's 413 (a body over http.max_content_length) may come as plain text."""
    meta = ApiResponseMeta(
        status=413,
        http_version="1.1",
        headers=HttpHeaders(),
        duration=0.0,
        node=NodeConfig("http", "127.0.0.1", 9200),
    )
    exc = ApiError("Request Entity Too Large", meta=meta, body="")
    err = _request_error(exc)
    assert err["type"] == "http_413" and "Too Large" in err["reason"]
    assert ItemResult(413, err, request_level=True).kind is ItemKind.REQUEST_REFUSED
    # The same status on an item of a bulk that went through is the document's own refusal.
    assert ItemResult(413, err).kind is ItemKind.REFUSED
    assert ItemResult(429).kind is ItemKind.RETRY
    assert ItemResult(404, {"type": "index_not_found_exception"}).kind is ItemKind.RETRY
    assert ItemResult(409).kind is ItemKind.STALE
