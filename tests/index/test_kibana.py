"""The Kibana saved objects: Kibana 8.19's format, every field in the mapping with a fitting type,
references that resolve, and the import command's request.

Kibana itself cannot run here. The structure is checked against what Kibana's sources declare
(deploy/kibana/build.py names the files): the dashboard attributes schema (unknown keys refused),
the saved dashboard panel type, and the Lens state as Kibana 8.x exports it. What each panel
returns on real Elasticsearch is tested in test_kibana_panels.py.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from diplowire.cli import main
from diplowire.index.kibana import DEFAULT_ASSETS
from diplowire.index.mapping import field_types
from diplowire.wire.settings import ElasticsearchSettings
from tests.index.helpers import articles, fresh, index_directly

ROOT = Path(__file__).resolve().parents[2]
RECORDS = "___records___"
AGGREGATABLE = {"keyword", "long", "integer", "float", "date", "boolean"}
NUMERIC = {"long", "integer", "float"}

# What Kibana 8.19 expects of each type (sources in deploy/kibana/build.py's docstring).
TYPE_MIGRATION = {
    "index-pattern": "8.0.0",
    "search": "10.2.0",
    "lens": "8.9.0",
    "dashboard": "10.2.0",
}
TOP_LEVEL = {
    "attributes",
    "coreMigrationVersion",
    "id",
    "managed",
    "references",
    "type",
    "typeMigrationVersion",
}
# dashboard_saved_object/schema/v1/v1.ts: `unknowns: 'forbid'`; only `title` is required.
DASHBOARD_ATTRIBUTES = {
    "title",
    "description",
    "kibanaSavedObjectMeta",
    "timeRestore",
    "timeFrom",
    "timeTo",
    "refreshInterval",
    "controlGroupInput",
    "panelsJSON",
    "optionsJSON",
    "hits",
    "version",
}
# SavedDashboardPanel (dashboard_saved_object/schema/v2/types.ts).
PANEL_REQUIRED = {"embeddableConfig", "type", "gridData", "panelIndex"}
PANEL_KEYS = PANEL_REQUIRED | {"version", "id", "panelRefName", "title"}
LENS_STATE = {
    "visualization",
    "query",
    "filters",
    "datasourceStates",
    "internalReferences",
    "adHocDataViews",
}
COLUMN_REQUIRED = {"label", "dataType", "operationType", "isBucketed", "scale"}
# operation -> (bucketed, field types it accepts); count is over Lens's ___records___.
OPERATIONS: dict[str, tuple[bool, set[str]]] = {
    "count": (False, set()),
    "terms": (True, AGGREGATABLE),
    "date_histogram": (True, {"date"}),
    "percentile": (False, NUMERIC),
    "max": (False, NUMERIC | {"date"}),
    "last_value": (False, AGGREGATABLE),
}


def _objects() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DEFAULT_ASSETS.read_text().splitlines() if line.strip()]


def _by_type(kind: str) -> list[dict[str, Any]]:
    return [o for o in _objects() if o["type"] == kind]


def _layers(lens: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return dict(lens["attributes"]["state"]["datasourceStates"]["formBased"]["layers"])


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return list(json.loads(dashboard["attributes"]["panelsJSON"]))


# --------------------------------------------------------------------------- format


def test_every_object_carries_the_8x_migration_fields() -> None:
    objects = _objects()
    assert {o["type"] for o in objects} == set(TYPE_MIGRATION)
    for obj in objects:
        assert set(obj) == TOP_LEVEL, obj["id"]  # no 7.x `migrationVersion`
        assert obj["coreMigrationVersion"] == "8.8.0"
        assert obj["typeMigrationVersion"] == TYPE_MIGRATION[obj["type"]]
        assert obj["managed"] is False
    assert not _by_type("visualization"), "legacy aggregation-based visualisations are gone"


def test_the_data_view_is_the_alias_with_its_time_field() -> None:
    (view,) = _by_type("index-pattern")
    attrs = view["attributes"]
    assert view["id"] == attrs["title"] == "diplowire-articles"  # the alias, not an index
    assert attrs["timeFieldName"] == "published"
    for key in ("fieldAttrs", "fieldFormatMap", "fields", "runtimeFieldMap", "typeMeta"):
        json.loads(attrs[key])  # stringified JSON, as Kibana stores them
    types = field_types()
    assert types[attrs["timeFieldName"]] == "date"
    for field in json.loads(attrs["fieldAttrs"]):
        assert field in types and types[field] != "object", field
    for field, fmt in json.loads(attrs["fieldFormatMap"]).items():
        assert fmt["id"] == "duration" and types[field] in NUMERIC, field


def _check_column(oid: str, column: dict[str, Any], types: dict[str, str]) -> None:
    assert set(column) >= COLUMN_REQUIRED, (oid, column)
    op = column["operationType"]
    assert op in OPERATIONS, f"{oid}: operation {op} not covered by the ES translation"
    bucketed, accepts = OPERATIONS[op]
    assert column["isBucketed"] is bucketed, (oid, op)
    field = column["sourceField"]
    if op == "count":
        assert field == RECORDS
        return
    assert field in types, f"{oid} uses {field}, which the mapping lacks"
    assert types[field] in accepts, f"{oid}: {op} on {field} ({types[field]})"
    if op == "last_value":
        assert types[column["params"]["sortField"]] == "date"


def _accessors(
    vis_type: str, vis: dict[str, Any], columns: dict[str, Any]
) -> tuple[set[str], set[str]]:
    """(bucket accessors, metric accessors) the visualisation state points at."""
    if vis_type == "lnsXY":
        (layer,) = vis["layers"]
        buckets = {
            layer["xAccessor"],
            *([layer["splitAccessor"]] if "splitAccessor" in layer else []),
        }
        return buckets, set(layer["accessors"])
    if vis_type == "lnsPie":
        (layer,) = vis["layers"]
        return set(layer["primaryGroups"]), set(layer["metrics"])
    if vis_type == "lnsMetric":
        return set(), {vis["metricAccessor"], vis.get("secondaryMetricAccessor")} - {None}
    if vis_type == "lnsDatatable":  # a table shows bucket and metric columns alike
        ids = {c["columnId"] for c in vis["columns"]}
        return {c for c in ids if columns[c]["isBucketed"]}, {
            c for c in ids if not columns[c]["isBucketed"]
        }
    raise AssertionError(f"visualisation {vis_type} not covered")


def test_each_lens_object_has_kibanas_structure_and_consistent_references() -> None:
    types = field_types()
    (view,) = _by_type("index-pattern")
    lenses = _by_type("lens")
    assert {lens["attributes"]["visualizationType"] for lens in lenses} == {
        "lnsXY",
        "lnsDatatable",
        "lnsMetric",
        "lnsPie",
    }
    for lens in lenses:
        oid, attrs = lens["id"], lens["attributes"]
        assert set(attrs) == {"title", "description", "visualizationType", "state"}, oid
        state = attrs["state"]
        assert set(state) == LENS_STATE, oid
        assert state["query"] == {"language": "kuery", "query": ""} and state["filters"] == []
        layers = _layers(lens)
        assert len(layers) == 1, oid
        ((layer_id, layer),) = layers.items()
        assert set(layer["columnOrder"]) == set(layer["columns"]), oid
        for column in layer["columns"].values():
            _check_column(oid, column, types)
            order = column.get("params", {}).get("orderBy")
            if order:
                assert order["columnId"] in layer["columns"], oid
        # One reference per layer, named as Kibana names it, to the bundled data view.
        assert lens["references"] == [
            {
                "id": view["id"],
                "name": f"indexpattern-datasource-layer-{layer_id}",
                "type": "index-pattern",
            }
        ], oid
        vis = state["visualization"]
        vis_layers = vis.get("layers", [vis])
        assert {v["layerId"] for v in vis_layers} == {layer_id}, oid
        columns = layer["columns"]
        buckets, metrics = _accessors(attrs["visualizationType"], vis, columns)
        # Every column is shown, bucket columns as axes/groups, metric columns as values.
        assert buckets | metrics == set(columns), oid
        assert all(columns[c]["isBucketed"] for c in buckets), oid
        assert not any(columns[c]["isBucketed"] for c in metrics), oid


def test_the_dashboard_matches_the_saved_dashboard_schema() -> None:
    objects = {(o["type"], o["id"]): o for o in _objects()}
    (desk,) = _by_type("dashboard")
    attrs = desk["attributes"]
    assert set(attrs) <= DASHBOARD_ATTRIBUTES and attrs["title"] == "Diplomatic desk"
    assert attrs["timeRestore"] is True
    panels = _panels(desk)
    refs = {r["name"]: r for r in desk["references"]}
    assert len(refs) == len(desk["references"]) == len(panels)
    cells: set[tuple[int, int]] = set()
    for panel in panels:
        assert PANEL_REQUIRED <= set(panel) <= PANEL_KEYS, panel
        grid = panel["gridData"]
        assert set(grid) == {"x", "y", "w", "h", "i"} and grid["i"] == panel["panelIndex"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 48 and grid["h"] > 0
        area = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not area & cells, f"panel {panel['panelIndex']} overlaps another"
        cells |= area
        # By reference: panel_<index>, and the reference named "<index>:panel_<index>".
        assert panel["panelRefName"] == f"panel_{panel['panelIndex']}"
        ref = refs[f"{panel['panelIndex']}:{panel['panelRefName']}"]
        assert ref["type"] == panel["type"]
        assert (ref["type"], ref["id"]) in objects, ref
    titles = {objects[(r["type"], r["id"])]["attributes"]["title"] for r in desk["references"]}
    for wanted in (
        "Articles over time by topic",
        "Top countries",
        "Top dyads",
        "Top persons",
        "Top organisations",
        "Topics",
        "Languages",
        "Recent articles",
        "All talks involving RU",
    ):
        assert wanted in titles


def test_every_reference_resolves_inside_the_file() -> None:
    objects = {(o["type"], o["id"]) for o in _objects()}
    for obj in _objects():
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in objects, (obj["id"], ref)


def test_saved_searches_use_mapped_fields() -> None:
    types = field_types()
    for saved in _by_type("search"):
        attrs = saved["attributes"]
        for column in attrs["columns"]:
            assert column in types and types[column] != "object", (saved["id"], column)
        for field, _direction in attrs["sort"]:
            assert types[field] in AGGREGATABLE


def test_the_ndjson_is_what_the_generator_writes(tmp_path: Path) -> None:
    # build.py imports its sibling modules (saved.py, lens.py): copy them all.
    sources = sorted((ROOT / "deploy" / "kibana").glob("*.py"))
    assert {s.name for s in sources} >= {"build.py", "saved.py", "lens.py"}
    for source in sources:
        (tmp_path / source.name).write_text(source.read_text())
    subprocess.run([sys.executable, str(tmp_path / "build.py")], check=True, capture_output=True)
    assert (tmp_path / "diplomatic-desk.ndjson").read_text() == DEFAULT_ASSETS.read_text()


# --------------------------------------------------------------------------- import command


def test_import_says_clearly_when_kibana_is_not_reachable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(["kibana", "import", "--url", "http://127.0.0.1:9", "--time-range", "stored"])
    assert code == 5
    assert "Kibana is not reachable at http://127.0.0.1:9" in capsys.readouterr().err


class _Kibana(BaseHTTPRequestHandler):
    requests: list[dict[str, Any]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.requests.append(
            {
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "body": body,
            }
        )
        lines = [x for x in body.split(b"\n") if x.startswith(b"{")]
        payload = {"success": True, "successCount": len(lines), "errors": []}
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def post_to_stand_in(argv: list[str]) -> tuple[int, list[dict[str, Any]]]:
    """Run ``diplowire kibana import`` against a local stand-in for Kibana's import endpoint."""
    requests: list[dict[str, Any]] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("K", (_Kibana,), {"requests": requests}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        code = main(["kibana", "import", "--url", url, *argv])
    finally:
        server.shutdown()
        server.server_close()
    return code, requests


def posted_objects(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(x) for x in request["body"].split(b"\n") if x.startswith(b"{")]


def test_import_posts_the_ndjson_the_way_kibana_expects(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Request shape only (a local stand-in for Kibana's import endpoint)."""
    monkeypatch.setenv("DIPLOWIRE_ELASTICSEARCH_INDEX_PREFIX", "desk-articles")
    code, requests = post_to_stand_in(["--space", "diplo", "--time-range", "stored"])
    assert code == 0
    assert f"imported {len(_objects())} saved objects" in capsys.readouterr().out
    (req,) = requests
    assert req["path"] == "/s/diplo/api/saved_objects/_import?overwrite=true"
    assert req["headers"]["kbn-xsrf"]
    assert req["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    assert f'name="file"; filename="{DEFAULT_ASSETS.name}"'.encode() in req["body"]
    sent = {o["id"]: o for o in posted_objects(req)}
    # The data view follows the configured alias; --time-range stored keeps the file's range.
    assert sent["diplowire-articles"]["attributes"]["title"] == "desk-articles"
    desk = sent["dw-diplomatic-desk"]["attributes"]
    assert (desk["timeFrom"], desk["timeTo"]) == ("now-30d", "now")


def test_import_opens_the_dashboard_on_the_indexed_articles_dates(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    es_settings: ElasticsearchSettings,
) -> None:
    """The bundled articles (2012-2025) lie outside the file's last 30 days: the import stores
    their published range instead, read from the real Elasticsearch."""
    arts = articles()
    index_directly(es_settings, fresh(arts)).close()
    monkeypatch.setenv("DIPLOWIRE_ELASTICSEARCH_URL", es_settings.url)
    monkeypatch.setenv("DIPLOWIRE_ELASTICSEARCH_INDEX_PREFIX", es_settings.index_prefix)
    code, (req,) = post_to_stand_in([])
    assert code == 0
    desk = {o["id"]: o for o in posted_objects(req)}["dw-diplomatic-desk"]["attributes"]
    dates = sorted(a.published for a in arts)
    newest = datetime.fromisoformat(dates[-1])
    assert desk["timeRestore"] is True
    assert desk["timeFrom"] == dates[0][:10] + "T00:00:00.000Z"
    assert desk["timeTo"] == (newest + timedelta(days=1)).strftime("%Y-%m-%dT00:00:00.000Z")
    assert f"opens on {desk['timeFrom']} .. {desk['timeTo']}" in capsys.readouterr().out


def test_import_keeps_the_stored_range_when_elasticsearch_is_not_there(
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DIPLOWIRE_ELASTICSEARCH_URL", "http://127.0.0.1:9")
    with caplog.at_level(logging.DEBUG, logger="elastic_transport"):
        code, (req,) = post_to_stand_in([])
    # One line of ours, not the transport's warning about the node.
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert code == 0  # the objects are imported all the same
    desk = {o["id"]: o for o in posted_objects(req)}["dw-diplomatic-desk"]["attributes"]
    assert (desk["timeFrom"], desk["timeTo"]) == ("now-30d", "now")
    err = capsys.readouterr().err
    assert "no published dates read from Elasticsearch at http://127.0.0.1:9" in err
    assert "keeps its last 30 days" in err
