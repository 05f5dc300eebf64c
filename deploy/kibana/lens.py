"""The Diplomatic desk's Lens visualisations: column specs, one form-based layer each, the charts.

A module of ``build.py`` (its docstring names the Kibana sources these follow); standard library
only.
"""

from __future__ import annotations

from typing import Any

from saved import DATA_VIEW, RECORDS, saved_object, uid

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
    layer = uid(oid, "layer")
    ids = {name: uid(oid, name) for name in columns}
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
    return saved_object(
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


def _top(
    oid: str, title: str, field: str, label: str, size: int, description: str = "", *, table: bool
) -> dict[str, Any]:
    """A facet's most frequent values and their counts: a table sorted by the count, or else a
    horizontal bar chart."""
    if table:
        vis_type, visualization = "lnsDatatable", _table(["value", "count"], sort_by="count")
    else:
        vis_type, visualization = "lnsXY", _xy("bar_horizontal", "value", ["count"])
    return lens(
        oid,
        title,
        vis_type,
        {"value": terms(field, label, size, "count"), "count": count()},
        visualization,
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
        _top("dw-top-countries", "Top countries", "countries", "Country", 15, table=False),
        _top(
            "dw-top-dyads",
            "Top dyads",
            "dyads",
            "Dyad",
            15,
            "Country pairs acting together in a story (ISO codes, sorted).",
            table=True,
        ),
        _top("dw-top-persons", "Top persons", "persons", "Person", 20, table=True),
        _top(
            "dw-top-organisations",
            "Top organisations",
            "organizations",
            "Organisation",
            15,
            table=True,
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
