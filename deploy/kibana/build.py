"""Generate ``diplomatic-desk.ndjson``: the Kibana 8.x saved objects of the Diplomatic desk.

Written as code so that the panels stay consistent (one data view id, one field list) and so the
tests can check every field against ``index.mapping``. Objects use Kibana's aggregation-based
visualisation format (``visState``), which Kibana 8.x still edits and migrates on import; their
``migrationVersion`` says which format they are in, so Kibana upgrades them itself.

Regenerate after an edit: ``.venv/bin/python deploy/kibana/build.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("diplomatic-desk.ndjson")
DATA_VIEW = "diplowire-articles"
"""Id of the data view and its default title (the alias; ``kibana import`` follows the prefix)."""
INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"
CORE_VERSION = "7.17.0"
MIGRATION = {
    "index-pattern": "7.11.0",
    "search": "7.9.3",
    "visualization": "7.17.0",
    "dashboard": "7.17.0",
}


def _obj(
    kind: str, oid: str, attributes: dict[str, Any], refs: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "attributes": attributes,
        "coreMigrationVersion": CORE_VERSION,
        "id": oid,
        "migrationVersion": {kind: MIGRATION[kind]},
        "references": refs,
        "type": kind,
    }


def _search_source(query: str = "", **extra: Any) -> dict[str, str]:
    source = {
        "query": {"query": query, "language": "kuery"},
        "filter": [],
        "indexRefName": INDEX_REF,
        **extra,
    }
    return {"searchSourceJSON": json.dumps(source, ensure_ascii=False)}


def _data_view_ref() -> list[dict[str, str]]:
    return [{"id": DATA_VIEW, "name": INDEX_REF, "type": "index-pattern"}]


def data_view() -> dict[str, Any]:
    duration = {
        "id": "duration",
        "params": {"inputFormat": "milliseconds", "outputFormat": "humanizePrecise"},
    }
    labels = {
        "published": "Published",
        "freshness_ms": "Freshness (fetched → indexed)",
        "person_labels": "Person (role, country)",
        "organization_labels": "Organisation (type)",
        "source.name": "Source",
        "source.feed_url": "Feed",
        "lang": "Language",
    }
    return _obj(
        "index-pattern",
        DATA_VIEW,
        {
            "title": DATA_VIEW,
            "name": "diplowire articles",
            "timeFieldName": "published",
            "fieldFormatMap": json.dumps(
                {
                    f: duration
                    for f in (
                        "freshness_ms",
                        "stage_ms.produce",
                        "stage_ms.enrich",
                        "stage_ms.index",
                    )
                }
            ),
            "fieldAttrs": json.dumps({f: {"customLabel": label} for f, label in labels.items()}),
            # Kibana reads the field list from Elasticsearch; nothing to store.
            "fields": "[]",
            "runtimeFieldMap": "{}",
        },
        [],
    )


SEARCH_COLUMNS = ["title", "source.name", "lang", "countries", "dyads", "person_labels", "topics"]


def saved_search(oid: str, title: str, query: str, description: str) -> dict[str, Any]:
    return _obj(
        "search",
        oid,
        {
            "title": title,
            "description": description,
            "columns": SEARCH_COLUMNS,
            "sort": [["published", "desc"]],
            "kibanaSavedObjectMeta": _search_source(query),
        },
        _data_view_ref(),
    )


def _count() -> dict[str, Any]:
    return {"id": "1", "enabled": True, "type": "count", "schema": "metric", "params": {}}


def _terms(aid: str, field: str, size: int, schema: str, label: str) -> dict[str, Any]:
    return {
        "id": aid,
        "enabled": True,
        "type": "terms",
        "schema": schema,
        "params": {
            "field": field,
            "size": size,
            "order": "desc",
            "orderBy": "1",
            "otherBucket": False,
            "missingBucket": False,
            "customLabel": label,
        },
    }


def _date_histogram(aid: str, field: str) -> dict[str, Any]:
    return {
        "id": aid,
        "enabled": True,
        "type": "date_histogram",
        "schema": "segment",
        "params": {
            "field": field,
            "useNormalizedEsInterval": True,
            "interval": "auto",
            "drop_partials": False,
            "min_doc_count": 1,
            "extended_bounds": {},
        },
    }


def _percentiles(aid: str, field: str, label: str) -> dict[str, Any]:
    return {
        "id": aid,
        "enabled": True,
        "type": "percentiles",
        "schema": "metric",
        "params": {"field": field, "percents": [50, 95], "customLabel": label},
    }


def _table_params() -> dict[str, Any]:
    return {
        "perPage": 10,
        "showPartialRows": False,
        "showMetricsAtAllLevels": False,
        "showTotal": False,
        "totalFunc": "sum",
        "percentageCol": "",
    }


def _xy_params(kind: str) -> dict[str, Any]:
    return {
        "type": kind,
        "addLegend": True,
        "addTooltip": True,
        "legendPosition": "right",
        "categoryAxes": [
            {
                "id": "CategoryAxis-1",
                "type": "category",
                "position": "bottom",
                "show": True,
                "labels": {"show": True, "truncate": 100},
                "scale": {"type": "linear"},
                "title": {},
            }
        ],
        "valueAxes": [
            {
                "id": "ValueAxis-1",
                "name": "LeftAxis-1",
                "type": "value",
                "position": "left",
                "show": True,
                "labels": {"show": True},
                "scale": {"type": "linear", "mode": "normal"},
                "title": {},
            }
        ],
        "seriesParams": [
            {
                "show": True,
                "type": "histogram" if kind == "histogram" else "line",
                "mode": "stacked" if kind == "histogram" else "normal",
                "valueAxis": "ValueAxis-1",
                "data": {"id": "1", "label": "Count"},
            }
        ],
        "times": [],
        "grid": {"categoryLines": False},
    }


def visualization(
    oid: str,
    title: str,
    vis_type: str,
    aggs: list[dict[str, Any]],
    params: dict[str, Any],
    description: str = "",
) -> dict[str, Any]:
    vis_state = {"title": title, "type": vis_type, "aggs": aggs, "params": params}
    return _obj(
        "visualization",
        oid,
        {
            "title": title,
            "description": description,
            "version": 1,
            "uiStateJSON": "{}",
            "visState": json.dumps(vis_state, ensure_ascii=False),
            "kibanaSavedObjectMeta": _search_source(),
        },
        _data_view_ref(),
    )


def visualizations() -> list[dict[str, Any]]:
    return [
        visualization(
            "dw-articles-by-topic",
            "Articles over time by topic",
            "histogram",
            [
                _count(),
                _date_histogram("2", "published"),
                _terms("3", "topics", 10, "group", "Topic"),
            ],
            _xy_params("histogram"),
        ),
        visualization(
            "dw-top-dyads",
            "Top dyads",
            "table",
            [_count(), _terms("2", "dyads", 15, "bucket", "Dyad")],
            _table_params(),
            "Country pairs acting together in a story (ISO codes, sorted).",
        ),
        visualization(
            "dw-top-persons",
            "Top persons with roles",
            "table",
            [_count(), _terms("2", "person_labels", 20, "bucket", "Person (role, country)")],
            _table_params(),
        ),
        visualization(
            "dw-top-missions",
            "Top missions",
            "table",
            [_count(), _terms("2", "missions", 15, "bucket", "Mission (country, name, city)")],
            _table_params(),
        ),
        visualization(
            "dw-orgs-by-type",
            "Organisations by type",
            "table",
            [
                _count(),
                _terms("2", "organization_types", 5, "bucket", "Type"),
                _terms("3", "organizations", 10, "bucket", "Organisation"),
            ],
            _table_params(),
        ),
        visualization(
            "dw-langs-sources",
            "Languages and sources",
            "table",
            [
                _count(),
                _terms("2", "lang", 10, "bucket", "Language"),
                _terms("3", "source.name", 20, "bucket", "Source"),
            ],
            _table_params(),
        ),
        visualization(
            "dw-freshness",
            "Freshness p50 / p95 (fetched → indexed)",
            "metric",
            [_percentiles("1", "freshness_ms", "Freshness")],
            {
                "addTooltip": True,
                "addLegend": False,
                "type": "metric",
                "metric": {
                    "percentageMode": False,
                    "useRanges": False,
                    "colorSchema": "Green to Red",
                    "metricColorMode": "None",
                    "colorsRange": [{"from": 0, "to": 10000}],
                    "labels": {"show": True},
                    "invertColors": False,
                    "style": {
                        "bgFill": "#000",
                        "bgColor": False,
                        "labelColor": False,
                        "subText": "",
                        "fontSize": 40,
                    },
                },
            },
        ),
        visualization(
            "dw-freshness-over-time",
            "Freshness over time (by fetch time)",
            "line",
            [
                _percentiles("1", "freshness_ms", "Freshness"),
                _date_histogram("2", "timestamps.fetched"),
            ],
            _xy_params("line"),
        ),
    ]


SEARCHES = [
    saved_search(
        "dw-talks-ru",
        "All talks involving RU",
        'countries : "RU" and topics : "talks_negotiations"',
        "Negotiations and talks in which Russia is mentioned.",
    ),
    saved_search(
        "dw-visas-travel",
        "Visa and travel stories",
        'topics : "visas_travel"',
        "Visa policy, consular services and travel restrictions.",
    ),
    saved_search(
        "dw-expulsions",
        "Expulsions of diplomats",
        'topics : "expulsions"',
        "Diplomats declared persona non grata or expelled.",
    ),
    saved_search(
        "dw-slow",
        "Slow articles (freshness over 5 s)",
        "freshness_ms > 5000",
        "Articles that took more than 5 s from fetch to index.",
    ),
]


def dashboard(panels: list[tuple[dict[str, Any], int, int, int, int]]) -> dict[str, Any]:
    panel_json = []
    refs = []
    for n, (obj, x, y, w, h) in enumerate(panels, 1):
        panel_json.append(
            {
                "version": "7.17.0",
                "type": obj["type"],
                "gridData": {"x": x, "y": y, "w": w, "h": h, "i": str(n)},
                "panelIndex": str(n),
                "embeddableConfig": {"enhancements": {}},
                "panelRefName": f"panel_{n}",
            }
        )
        refs.append({"id": obj["id"], "name": f"panel_{n}", "type": obj["type"]})
    return _obj(
        "dashboard",
        "dw-diplomatic-desk",
        {
            "title": "Diplomatic desk",
            "description": "What happened in diplomacy, who was involved, and how fresh it is.",
            "hits": 0,
            "panelsJSON": json.dumps(panel_json),
            "optionsJSON": json.dumps(
                {"useMargins": True, "syncColors": False, "hidePanelTitles": False}
            ),
            "timeRestore": True,
            "timeFrom": "now-30d",
            "timeTo": "now",
            "refreshInterval": {"pause": False, "value": 60000},
            "version": 1,
            "kibanaSavedObjectMeta": {
                "searchSourceJSON": json.dumps(
                    {"query": {"query": "", "language": "kuery"}, "filter": []}
                )
            },
        },
        refs,
    )


def objects() -> list[dict[str, Any]]:
    vis = {v["id"]: v for v in visualizations()}
    layout = [
        (vis["dw-articles-by-topic"], 0, 0, 32, 15),
        (vis["dw-freshness"], 32, 0, 16, 7),
        (vis["dw-freshness-over-time"], 32, 7, 16, 8),
        (vis["dw-top-dyads"], 0, 15, 16, 15),
        (vis["dw-top-persons"], 16, 15, 16, 15),
        (vis["dw-top-missions"], 32, 15, 16, 15),
        (vis["dw-langs-sources"], 0, 30, 24, 15),
        (vis["dw-orgs-by-type"], 24, 30, 24, 15),
        (SEARCHES[0], 0, 45, 48, 15),
    ]
    # Kibana imports referenced objects before their referrers when they come first.
    return [data_view(), *SEARCHES, *vis.values(), dashboard(layout)]


def main() -> None:
    lines = [json.dumps(o, ensure_ascii=False, sort_keys=True) for o in objects()]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} saved objects to {OUT}")


if __name__ == "__main__":
    main()
