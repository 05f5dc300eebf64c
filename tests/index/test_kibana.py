"""The Kibana saved objects: every field exists with a fitting type, and every panel's query runs
on real Elasticsearch against indexed articles and returns what the panel would show.

Kibana itself cannot run here, so each visualisation's ``visState`` is translated into the
aggregation Kibana would send, and each saved search's KQL into its query.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from diplowire.cli import main
from diplowire.index.kibana import DEFAULT_ASSETS
from diplowire.index.mapping import field_types
from diplowire.wire.settings import ElasticsearchSettings
from tests.index.helpers import articles, fresh, index_directly

ROOT = Path(__file__).resolve().parents[2]
AGGREGATABLE = {"keyword", "long", "integer", "float", "date", "boolean"}
NUMERIC = {"long", "integer", "float"}


def _objects() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DEFAULT_ASSETS.read_text().splitlines() if line.strip()]


def _by_type(kind: str) -> list[dict[str, Any]]:
    return [o for o in _objects() if o["type"] == kind]


def _vis_state(obj: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(obj["attributes"]["visState"]))


_KQL_TERM = re.compile(r'([\w.]+)\s*:\s*"([^"]*)"|([\w.]+)\s*(>=|<=|>|<)\s*([\d.]+)')


def _kql(query: str) -> tuple[list[str], dict[str, Any]]:
    """Fields and the ES query of the KQL subset the saved searches use (a and b, field op n)."""
    clauses: list[dict[str, Any]] = []
    fields: list[str] = []
    for part in re.split(r"\s+and\s+", query.strip()) if query.strip() else []:
        m = _KQL_TERM.fullmatch(part.strip())
        assert m, f"KQL outside the tested subset: {part!r}"
        if m.group(1):
            fields.append(m.group(1))
            clauses.append({"term": {m.group(1): m.group(2)}})
        else:
            op = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}[m.group(4)]
            fields.append(m.group(3))
            clauses.append({"range": {m.group(3): {op: float(m.group(5))}}})
    return fields, {"bool": {"filter": clauses}}


def _fields_used() -> list[tuple[str, str, str]]:
    """(object id, field, use) for every field reference in the saved objects."""
    used: list[tuple[str, str, str]] = []
    for obj in _objects():
        attrs = obj["attributes"]
        if obj["type"] == "index-pattern":
            used.append((obj["id"], attrs["timeFieldName"], "time"))
            for name in json.loads(attrs["fieldFormatMap"]):
                used.append((obj["id"], name, "numeric"))
            for name in json.loads(attrs["fieldAttrs"]):
                used.append((obj["id"], name, "any"))
        if obj["type"] == "search":
            used += [(obj["id"], c, "any") for c in attrs["columns"]]
            used += [(obj["id"], s[0], "sort") for s in attrs["sort"]]
        if "kibanaSavedObjectMeta" in attrs:
            source = json.loads(attrs["kibanaSavedObjectMeta"]["searchSourceJSON"])
            fields, _ = _kql(source.get("query", {}).get("query", ""))
            used += [(obj["id"], f, "filter") for f in fields]
        if obj["type"] == "visualization":
            for agg in _vis_state(obj)["aggs"]:
                field = agg["params"].get("field")
                if field:
                    use = {"terms": "terms", "date_histogram": "time"}.get(agg["type"], "numeric")
                    used.append((obj["id"], field, use))
    return used


def test_every_field_the_saved_objects_use_exists_with_a_fitting_type() -> None:
    types = field_types()
    used = _fields_used()
    assert len(used) > 30
    for oid, field, use in used:
        assert field in types, f"{oid} uses {field}, which the mapping lacks"
        kind = types[field]
        ok = {
            "time": kind == "date",
            "numeric": kind in NUMERIC,
            "terms": kind in AGGREGATABLE,
            "sort": kind in AGGREGATABLE,
            "filter": kind in AGGREGATABLE,
            "any": kind != "object",
        }[use]
        assert ok, f"{oid} uses {field} ({kind}) for {use}"


def test_objects_reference_each_other_consistently() -> None:
    objects = {(o["type"], o["id"]): o for o in _objects()}
    (view,) = _by_type("index-pattern")
    assert view["attributes"]["title"] == "diplowire-articles"  # the alias, not an index
    for obj in objects.values():
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in objects, (obj["id"], ref)
    (desk,) = _by_type("dashboard")
    assert desk["attributes"]["title"] == "Diplomatic desk"
    panels = json.loads(desk["attributes"]["panelsJSON"])
    names = {r["name"] for r in desk["references"]}
    assert {p["panelRefName"] for p in panels} == names
    titles = {
        _vis_state(objects[("visualization", r["id"])])["title"]
        for r in desk["references"]
        if r["type"] == "visualization"
    }
    for wanted in (
        "Articles over time by topic",
        "Top dyads",
        "Top persons with roles",
        "Top missions",
        "Languages and sources",
    ):
        assert wanted in titles
    assert any(t.startswith("Freshness") for t in titles)
    searches = {o["attributes"]["title"] for o in _by_type("search")}
    assert {"All talks involving RU", "Visa and travel stories"} <= searches


def test_the_ndjson_is_what_the_generator_writes(tmp_path: Path) -> None:
    script = ROOT / "deploy" / "kibana" / "build.py"
    copy = tmp_path / "build.py"
    copy.write_text(script.read_text())
    subprocess.run([sys.executable, str(copy)], check=True, capture_output=True)
    assert (tmp_path / "diplomatic-desk.ndjson").read_text() == DEFAULT_ASSETS.read_text()


# --------------------------------------------------------------------------- panels on real ES


def _es_aggs(aggs: list[dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """The nested aggregation Kibana builds from a visState: buckets in order, metrics inside."""
    metrics = {a["id"]: a for a in aggs if a["schema"] == "metric"}
    buckets = [a for a in aggs if a["schema"] != "metric"]
    inner: dict[str, Any] = {}
    for m in metrics.values():
        if m["type"] == "percentiles":
            inner[m["id"]] = {
                "percentiles": {"field": m["params"]["field"], "percents": m["params"]["percents"]}
            }
    names: list[str] = []
    for b in reversed(buckets):
        p = b["params"]
        if b["type"] == "terms":
            spec: dict[str, Any] = {
                "terms": {"field": p["field"], "size": p["size"], "order": {"_count": p["order"]}}
            }
        elif b["type"] == "date_histogram":
            spec = {
                "date_histogram": {
                    "field": p["field"],
                    "calendar_interval": "1d",
                    "min_doc_count": p["min_doc_count"],
                }
            }
        else:
            raise AssertionError(f"untested bucket aggregation {b['type']}")
        if inner:
            spec["aggs"] = inner
        inner = {b["id"]: spec}
        names.insert(0, b["id"])
    return inner, names


@pytest.fixture(scope="module")
def indexed(stack: Any) -> Iterator[tuple[Elasticsearch, str]]:
    import uuid

    prefix = f"t{uuid.uuid4().hex[:10]}-articles"
    settings = ElasticsearchSettings(url=stack.es_url, index_prefix=prefix)
    es = index_directly(settings, fresh(articles()))
    yield es, prefix
    es.indices.delete(index=f"{prefix}-*")
    es.indices.delete_index_template(name=f"{prefix}-template")
    es.close()


def _buckets(resp: Any, name: str) -> list[dict[str, Any]]:
    return list(resp["aggregations"][name]["buckets"])


CHECKS: dict[str, Any] = {
    "topics": lambda k: re.fullmatch(r"[a-z_]+", k),
    "dyads": lambda k: re.fullmatch(r"[A-Z]{2}-[A-Z]{2}", k) and k[:2] < k[3:],
    "person_labels": lambda k: re.fullmatch(r".+ \(.+\)", k) or " " in k,
    "missions": lambda k: len(k) > 3,
    "lang": lambda k: k in {"fr", "en", "de"},
    "source.name": lambda k: bool(k),
    "organization_types": lambda k: (
        k in {"foreign_ministry", "diplomatic_mission", "international_org", "other"}
    ),
    "organizations": lambda k: bool(k),
}


@pytest.mark.parametrize("vis", _by_type("visualization"), ids=lambda o: o["id"])
def test_each_panel_query_returns_what_the_panel_shows(
    indexed: tuple[Elasticsearch, str], vis: dict[str, Any]
) -> None:
    es, alias = indexed
    state = _vis_state(vis)
    aggs, names = _es_aggs(state["aggs"])
    if not names:  # a metric panel: one value over everything
        metric = next(a for a in state["aggs"] if a["type"] == "percentiles")
        resp = es.search(
            index=alias,
            size=0,
            aggs={
                "m": {
                    "percentiles": {
                        "field": metric["params"]["field"],
                        "percents": metric["params"]["percents"],
                    }
                }
            },
        )
        values = resp["aggregations"]["m"]["values"]
        p50, p95 = values["50.0"], values["95.0"]
        assert p50 is not None and 0 <= p50 <= p95 < 60_000, values
        return
    resp = es.search(index=alias, size=0, aggs=aggs)
    top = _buckets(resp, names[0])
    assert top, f"{state['title']}: no buckets"
    first = next(a for a in state["aggs"] if a["id"] == names[0])
    field = first["params"]["field"]
    if first["type"] == "terms":
        assert len(top) <= first["params"]["size"]
        counts = [b["doc_count"] for b in top]
        assert counts == sorted(counts, reverse=True)
        for b in top:
            assert CHECKS[field](b["key"]), (field, b["key"])
    if len(names) > 1:
        sub = [s for b in top for s in b[names[1]]["buckets"]]
        assert sub, f"{state['title']}: no second-level buckets"
        second = next(a for a in state["aggs"] if a["id"] == names[1])
        if second["type"] == "terms":
            assert all(CHECKS[second["params"]["field"]](s["key"]) for s in sub)
    metric = next((a for a in state["aggs"] if a["type"] == "percentiles"), None)
    if metric is not None:
        leaves = top if len(names) == 1 else [s for b in top for s in b[names[1]]["buckets"]]
        assert any(leaf[metric["id"]]["values"]["95.0"] is not None for leaf in leaves)


@pytest.mark.parametrize("saved", _by_type("search"), ids=lambda o: o["id"])
def test_each_saved_search_runs_and_finds_articles(
    indexed: tuple[Elasticsearch, str], saved: dict[str, Any]
) -> None:
    es, alias = indexed
    source = json.loads(saved["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
    _, query = _kql(source["query"]["query"])
    sort = [{f: d} for f, d in saved["attributes"]["sort"]]
    resp = es.search(
        index=alias, query=query, sort=sort, size=50, source_includes=saved["attributes"]["columns"]
    )
    hits = resp["hits"]["hits"]
    if saved["id"] == "dw-slow":
        assert hits == []  # freshly stamped fixture: nothing took 5 s
        return
    assert hits, saved["attributes"]["title"]
    if saved["id"] == "dw-talks-ru":
        assert all("RU" in h["_source"]["countries"] for h in hits)


# --------------------------------------------------------------------------- import command


def test_import_says_clearly_when_kibana_is_not_reachable(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["kibana", "import", "--url", "http://127.0.0.1:9"]) == 5
    err = capsys.readouterr().err
    assert "Kibana is not reachable at http://127.0.0.1:9" in err


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


def test_import_posts_the_ndjson_the_way_kibana_expects(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Request shape only (a local stand-in for Kibana's import endpoint)."""
    requests: list[dict[str, Any]] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("K", (_Kibana,), {"requests": requests}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("DIPLOWIRE_ELASTICSEARCH_INDEX_PREFIX", "desk-articles")
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        assert main(["kibana", "import", "--url", url, "--space", "diplo"]) == 0
    finally:
        server.shutdown()
    assert "imported 14 saved objects" in capsys.readouterr().out
    (req,) = requests
    assert req["path"] == "/s/diplo/api/saved_objects/_import?overwrite=true"
    assert req["headers"]["kbn-xsrf"]
    assert req["headers"]["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="file"; filename="diplomatic-desk.ndjson"' in req["body"]
    # The data view follows the configured alias.
    assert b'"title": "desk-articles"' in req["body"]
