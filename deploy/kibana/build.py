"""Generate ``diplomatic-desk.ndjson``: the Diplomatic desk's saved objects in Kibana 8.19's format.

Written as code so that the panels stay consistent (one data view id, one field list, ids that do
not change between runs) and so the tests can check every field against ``index.mapping``.
Standard library only: the test runs a copy of this file and compares its output.

The objects are shaped as Kibana 8.x exports them (``POST /api/saved_objects/_export``), following
these files of the elastic/kibana repository:

* a data view (``index-pattern``) and a saved search as in Kibana's own sample data,
  ``src/platform/plugins/shared/home/server/services/sample_data/data_sets/ecommerce/
  saved_objects.ts`` (``coreMigrationVersion`` 8.8.0, ``typeMigrationVersion``, ``managed``);
* Lens visualisations (``type: lens``, ``state.datasourceStates.formBased.layers``, one
  ``indexpattern-datasource-layer-<layer>`` reference per layer) as in the Lens panels of that file
  and in ``x-pack/platform/plugins/shared/lens/server/migrations/saved_object_migrations.ts``,
  whose last migration is 8.9.0 (pie ``primaryGroups``/``metrics`` from 8.5/8.6);
* the dashboard's attributes as in the ``dashboardAttributesSchema`` of
  ``src/platform/plugins/shared/dashboard/server/dashboard_saved_object/schema/v1/v1.ts``
  (unknown attributes are refused) and its ``panelsJSON`` as the ``SavedDashboardPanel`` type of
  ``.../schema/v2/types.ts``: by-reference panels carry ``panelRefName`` and the reference is
  named ``<panelIndex>:panel_<panelIndex>``; no per-panel ``version`` since 8.11.

``typeMigrationVersion`` values are those of objects exported by Kibana 8.14 and later; 8.19
knows them all, so it imports the objects without running a migration that transforms them
(newer model versions of ``dashboard`` and ``search`` only add mappings or schemas). A value above
the running Kibana's would be refused, hence no guessing ahead.

Regenerate after an edit: ``.venv/bin/python deploy/kibana/build.py``.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

OUT = Path(__file__).with_name("diplomatic-desk.ndjson")
DATA_VIEW = "diplowire-articles"
"""Id of the data view and its default title (the alias; ``kibana import`` follows the prefix)."""
INDEX_REF = "kibanaSavedObjectMeta.searchSourceJSON.index"
CORE_VERSION = "8.8.0"
TYPE_VERSION = {
    "index-pattern": "8.0.0",
    "search": "10.2.0",
    "lens": "8.9.0",
    "dashboard": "10.2.0",
}
RECORDS = "___records___"
"""Lens's pseudo-field of a document count."""
_NS = uuid.UUID("5b0b3a0e-6f8e-4a57-9d55-2f2b8f6f1c11")


def _uid(*parts: str) -> str:
    """A UUID like those Kibana writes, but stable across runs (the file is compared in a test)."""
    return str(uuid.uuid5(_NS, "/".join(parts)))


def _obj(
    kind: str, oid: str, attributes: dict[str, Any], refs: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "attributes": attributes,
        "coreMigrationVersion": CORE_VERSION,
        "id": oid,
        "managed": False,
        "references": refs,
        "type": kind,
        "typeMigrationVersion": TYPE_VERSION[kind],
    }


# --------------------------------------------------------------------------- data view, searches


def data_view() -> dict[str, Any]:
    duration = {
        "id": "duration",
        "params": {"inputFormat": "milliseconds", "outputFormat": "humanizePrecise"},
    }
    labels = {
        "published": "Published",
        "freshness_ms": "Freshness (fetched → indexed)",
        "title.raw": "Title",
        "persons": "Person",
        "organizations": "Organisation",
        "countries": "Country",
        "dyads": "Dyad",
        "topics": "Topic",
        "source.name": "Source",
        "source.feed_url": "Feed",
        "lang": "Language",
    }
    return _obj(
        "index-pattern",
        DATA_VIEW,
        {
            "fieldAttrs": json.dumps({f: {"customLabel": label} for f, label in labels.items()}),
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
            # Kibana reads the field list from Elasticsearch; nothing to store.
            "fields": "[]",
            "name": "diplowire articles",
            "runtimeFieldMap": "{}",
            "sourceFilters": "[]",
            "timeFieldName": "published",
            "title": DATA_VIEW,
            "typeMeta": "{}",
        },
        [],
    )


SEARCH_COLUMNS = ["title", "source.name", "lang", "countries", "dyads", "persons", "topics"]


def saved_search(oid: str, title: str, query: str, description: str) -> dict[str, Any]:
    source = {
        "query": {"query": query, "language": "kuery"},
        "filter": [],
        "indexRefName": INDEX_REF,
    }
    return _obj(
        "search",
        oid,
        {
            "columns": SEARCH_COLUMNS,
            "description": description,
            "grid": {},
            "hideChart": False,
            "isTextBasedQuery": False,
            "kibanaSavedObjectMeta": {"searchSourceJSON": json.dumps(source, ensure_ascii=False)},
            "sort": [["published", "desc"]],
            "timeRestore": False,
            "title": title,
        },
        [{"id": DATA_VIEW, "name": INDEX_REF, "type": "index-pattern"}],
    )


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


# --------------------------------------------------------------------------- Lens columns


def count(label: str = "Articles") -> dict[str, Any]:
    return {
        "customLabel": True,
        "dataType": "number",
        "isBucketed": False,
        "label": label,
        "operationType": "count",
        "params": {"emptyAsNull": True},
        "scale": "ratio",
        "sourceField": RECORDS,
    }


def date_histogram(field: str, label: str) -> dict[str, Any]:
    return {
        "customLabel": True,
        "dataType": "date",
        "isBucketed": True,
        "label": label,
        "operationType": "date_histogram",
        # "auto": Kibana picks the bucket width from the time range (histogram:barTarget buckets).
        "params": {"dropPartials": False, "includeEmptyRows": True, "interval": "auto"},
        "scale": "interval",
        "sourceField": field,
    }


def terms(field: str, label: str, size: int, order_by: str) -> dict[str, Any]:
    """Top ``size`` values of ``field``, ordered by the column ``order_by`` (descending)."""
    return {
        "customLabel": True,
        "dataType": "string",
        "isBucketed": True,
        "label": label,
        "operationType": "terms",
        "params": {
            "missingBucket": False,
            "orderBy": {"columnId": order_by, "type": "column"},
            "orderDirection": "desc",
            "otherBucket": False,
            "parentFormat": {"id": "terms"},
            "size": size,
        },
        "scale": "ordinal",
        "sourceField": field,
    }


def percentile(field: str, label: str, pct: int) -> dict[str, Any]:
    return {
        "customLabel": True,
        "dataType": "number",
        "isBucketed": False,
        "label": label,
        "operationType": "percentile",
        "params": {"percentile": pct},
        "scale": "ratio",
        "sourceField": field,
    }


def maximum(field: str, label: str, data_type: str) -> dict[str, Any]:
    return {
        "customLabel": True,
        "dataType": data_type,
        "isBucketed": False,
        "label": label,
        "operationType": "max",
        "params": {"emptyAsNull": True},
        "scale": "ratio",
        "sourceField": field,
    }


def last_value(field: str, label: str, sort_field: str) -> dict[str, Any]:
    return {
        "customLabel": True,
        "dataType": "string",
        "isBucketed": False,
        "label": label,
        "operationType": "last_value",
        "params": {"showArrayValues": True, "sortField": sort_field},
        "scale": "ordinal",
        "sourceField": field,
    }


# --------------------------------------------------------------------------- Lens objects


def lens(
    oid: str,
    title: str,
    vis_type: str,
    columns: dict[str, dict[str, Any]],
    visualization: Any,
    description: str = "",
) -> dict[str, Any]:
    """One Lens object with one form-based layer on the data view.

    ``columns`` maps short names to column specs (in the layer's column order);
    ``visualization(layer_id, ids)`` builds the visualisation state from the column ids.
    """
    layer = _uid(oid, "layer")
    ids = {name: _uid(oid, name) for name in columns}
    state = {
        "adHocDataViews": {},
        "datasourceStates": {
            "formBased": {
                "layers": {
                    layer: {
                        "columnOrder": list(ids.values()),
                        "columns": {ids[n]: _resolve(c, ids) for n, c in columns.items()},
                        "ignoreGlobalFilters": False,
                        "incompleteColumns": {},
                        "sampling": 1,
                    }
                }
            },
            "indexpattern": {"layers": {}},
            "textBased": {"layers": {}},
        },
        "filters": [],
        "internalReferences": [],
        "query": {"language": "kuery", "query": ""},
        "visualization": visualization(layer, ids),
    }
    return _obj(
        "lens",
        oid,
        {
            "description": description,
            "state": state,
            "title": title,
            "visualizationType": vis_type,
        },
        [
            {
                "id": DATA_VIEW,
                "name": f"indexpattern-datasource-layer-{layer}",
                "type": "index-pattern",
            }
        ],
    )


def _resolve(column: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    """Terms columns name the column they are ordered by; swap the short name for its id."""
    order = column.get("params", {}).get("orderBy")
    if not order:
        return column
    params = {**column["params"], "orderBy": {**order, "columnId": ids[order["columnId"]]}}
    return {**column, "params": params}


def _xy(series: str, x: str, y: list[str], split: str | None = None) -> Any:
    def build(layer: str, ids: dict[str, str]) -> dict[str, Any]:
        data_layer: dict[str, Any] = {
            "accessors": [ids[a] for a in y],
            "layerId": layer,
            "layerType": "data",
            "position": "top",
            "seriesType": series,
            "showGridlines": False,
            "xAccessor": ids[x],
        }
        if split:
            data_layer["splitAccessor"] = ids[split]
        return {
            "axisTitlesVisibilitySettings": {"x": False, "yLeft": False, "yRight": True},
            "fittingFunction": "None",
            "gridlinesVisibilitySettings": {"x": True, "yLeft": True, "yRight": True},
            "layers": [data_layer],
            "legend": {"isVisible": split is not None, "position": "right"},
            "preferredSeriesType": series,
            "tickLabelsVisibilitySettings": {"x": True, "yLeft": True, "yRight": True},
            "valueLabels": "hide",
            "yLeftExtent": {"mode": "full"},
            "yRightExtent": {"mode": "full"},
        }

    return build


def _table(order: list[str], sort_by: str | None = None) -> Any:
    def build(layer: str, ids: dict[str, str]) -> dict[str, Any]:
        vis: dict[str, Any] = {
            "columns": [{"columnId": ids[c], "isTransposed": False} for c in order],
            "layerId": layer,
            "layerType": "data",
            "rowHeight": "single",
            "rowHeightLines": 1,
        }
        if sort_by:
            vis["sorting"] = {"columnId": ids[sort_by], "direction": "desc"}
        return vis

    return build


def _pie(group: str, metric: str) -> Any:
    def build(layer: str, ids: dict[str, str]) -> dict[str, Any]:
        return {
            "layers": [
                {
                    "categoryDisplay": "default",
                    "layerId": layer,
                    "layerType": "data",
                    "legendDisplay": "default",
                    "metrics": [ids[metric]],
                    "nestedLegend": False,
                    "numberDisplay": "percent",
                    "primaryGroups": [ids[group]],
                }
            ],
            "shape": "donut",
        }

    return build


def _metric(metric: str, secondary: str) -> Any:
    def build(layer: str, ids: dict[str, str]) -> dict[str, Any]:
        return {
            "layerId": layer,
            "layerType": "data",
            "metricAccessor": ids[metric],
            "secondaryMetricAccessor": ids[secondary],
        }

    return build


def _top(oid: str, title: str, field: str, label: str, size: int, description: str = "") -> Any:
    """A horizontal bar chart of a facet's most frequent values."""
    return lens(
        oid,
        title,
        "lnsXY",
        {"value": terms(field, label, size, "count"), "count": count()},
        _xy("bar_horizontal", "value", ["count"]),
        description,
    )


def _top_table(
    oid: str, title: str, field: str, label: str, size: int, description: str = ""
) -> Any:
    return lens(
        oid,
        title,
        "lnsDatatable",
        {"value": terms(field, label, size, "count"), "count": count()},
        _table(["value", "count"], sort_by="count"),
        description,
    )


def visualizations() -> list[dict[str, Any]]:
    return [
        lens(
            "dw-articles-over-time",
            "Articles over time by topic",
            "lnsXY",
            {
                "topic": terms("topics", "Topic", 5, "count"),
                "published": date_histogram("published", "Published"),
                "count": count(),
            },
            _xy("bar_stacked", "published", ["count"], split="topic"),
            "Articles per published date, stacked by their five most frequent topics.",
        ),
        lens(
            "dw-freshness",
            "Freshness p50 / p95 (fetched → indexed)",
            "lnsMetric",
            {
                "p50": percentile("freshness_ms", "Freshness p50", 50),
                "p95": percentile("freshness_ms", "Freshness p95", 95),
            },
            _metric("p50", "p95"),
        ),
        _top("dw-top-countries", "Top countries", "countries", "Country", 15),
        _top_table(
            "dw-top-dyads",
            "Top dyads",
            "dyads",
            "Dyad",
            15,
            "Country pairs acting together in a story (ISO codes, sorted).",
        ),
        _top_table("dw-top-persons", "Top persons", "persons", "Person", 20),
        _top_table(
            "dw-top-organisations", "Top organisations", "organizations", "Organisation", 15
        ),
        lens(
            "dw-topics",
            "Topics",
            "lnsPie",
            {"topic": terms("topics", "Topic", 12, "count"), "count": count()},
            _pie("topic", "count"),
        ),
        lens(
            "dw-languages",
            "Languages",
            "lnsPie",
            {"lang": terms("lang", "Language", 10, "count"), "count": count()},
            _pie("lang", "count"),
        ),
        lens(
            "dw-recent-articles",
            "Recent articles",
            "lnsDatatable",
            {
                "title": terms("title.raw", "Title", 25, "published"),
                "published": maximum("published", "Published", "date"),
                "source": last_value("source.name", "Source", "published"),
            },
            _table(["title", "published", "source"], sort_by="published"),
            "The 25 newest titles by published date, with their source.",
        ),
    ]


# --------------------------------------------------------------------------- dashboard


def dashboard(panels: list[tuple[dict[str, Any], int, int, int, int]]) -> dict[str, Any]:
    panel_json = []
    refs = []
    for obj, x, y, w, h in panels:
        index = _uid("dw-diplomatic-desk", obj["id"])
        panel_json.append(
            {
                "embeddableConfig": {"enhancements": {}},
                "gridData": {"h": h, "i": index, "w": w, "x": x, "y": y},
                "panelIndex": index,
                "panelRefName": f"panel_{index}",
                "type": obj["type"],
            }
        )
        refs.append({"id": obj["id"], "name": f"{index}:panel_{index}", "type": obj["type"]})
    return _obj(
        "dashboard",
        "dw-diplomatic-desk",
        {
            "description": "What happened in diplomacy, who was involved, and how fresh it is.",
            "kibanaSavedObjectMeta": {
                "searchSourceJSON": json.dumps(
                    {"filter": [], "query": {"language": "kuery", "query": ""}}
                )
            },
            "optionsJSON": json.dumps(
                {
                    "hidePanelTitles": False,
                    "syncColors": False,
                    "syncCursor": True,
                    "syncTooltips": False,
                    "useMargins": True,
                }
            ),
            "panelsJSON": json.dumps(panel_json),
            "refreshInterval": {"pause": False, "value": 60000},
            # The stored range suits a live desk; `diplowire kibana import` replaces it with the
            # indexed articles' published range when they are older (the bundled demo data).
            "timeFrom": "now-30d",
            "timeRestore": True,
            "timeTo": "now",
            "title": "Diplomatic desk",
            "version": 1,
        },
        refs,
    )


def objects() -> list[dict[str, Any]]:
    vis = {v["id"]: v for v in visualizations()}
    layout = [
        (vis["dw-articles-over-time"], 0, 0, 32, 15),
        (vis["dw-freshness"], 32, 0, 16, 6),
        (vis["dw-languages"], 32, 6, 16, 9),
        (vis["dw-top-countries"], 0, 15, 16, 15),
        (vis["dw-top-dyads"], 16, 15, 16, 15),
        (vis["dw-topics"], 32, 15, 16, 15),
        (vis["dw-top-persons"], 0, 30, 24, 15),
        (vis["dw-top-organisations"], 24, 30, 24, 15),
        (vis["dw-recent-articles"], 0, 45, 48, 15),
        (SEARCHES[0], 0, 60, 48, 15),
    ]
    # Kibana imports referenced objects before their referrers when they come first.
    return [data_view(), *SEARCHES, *vis.values(), dashboard(layout)]


def main() -> None:
    lines = [json.dumps(o, ensure_ascii=False, sort_keys=True) for o in objects()]
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} saved objects to {OUT}")


if __name__ == "__main__":
    main()
