"""Generate ``diplomatic-desk.ndjson``: the Diplomatic desk's saved objects in Kibana 8.19's format.

Written as code so that the panels stay consistent (one data view id, one field list, ids that do
not change between runs) and so the tests can check every field against ``index.mapping``.
Standard library only: the test runs a copy of these files and compares their output.

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

The code is in three files run as one script: ``saved.py`` (the envelope every object shares,
stable ids), ``lens.py`` (the Lens visualisations) and this one (data view, saved searches,
dashboard, the file). Regenerate after an edit: ``.venv/bin/python deploy/kibana/build.py``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lens import visualizations
from saved import DATA_VIEW, INDEX_REF, saved_object, uid

OUT = Path(__file__).with_name("diplomatic-desk.ndjson")


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
    return saved_object(
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
    return saved_object(
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


# --------------------------------------------------------------------------- dashboard


def dashboard(panels: list[tuple[dict[str, Any], int, int, int, int]]) -> dict[str, Any]:
    panel_json = []
    refs = []
    for obj, x, y, w, h in panels:
        index = uid("dw-diplomatic-desk", obj["id"])
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
    return saved_object(
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
