"""``diplowire index [run|migrate|status]``, ``diplowire search``, ``diplowire subscribe`` and
``diplowire kibana import``."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from diplowire.wire.cliutil import settings_from_args
from diplowire.wire.settings import IndexSettings

log = logging.getLogger("diplowire.index")


def register(sub: Any) -> None:
    from diplowire.index import search, subscribe

    s = sub.add_parser(
        "index",
        help="consume enriched articles into Elasticsearch; migrate or show the index",
        description="run (default): consume the enriched topic and bulk-write to Elasticsearch. "
        "migrate: move the alias to the current mapping version and copy every document. "
        "replay: rewind the stopped indexer's group to the start of the enriched topic (or "
        "--since), so the next run rebuilds the index from Kafka. "
        "status: the alias, its indices and their mapping versions and counts.",
    )
    s.add_argument(
        "action",
        nargs="?",
        choices=["run", "migrate", "replay", "status"],
        default="run",
        help="run (default): the indexer; migrate: to the current mapping; replay: rebuild "
        "from Kafka on the next run; status: the alias and its indices (details above)",
    )
    s.add_argument(
        "--delete-old", action="store_true", help="migrate: delete the old indices once copied"
    )
    s.add_argument("--since", help="replay: from this time (ISO 8601 or 7d ago), not the start")
    s.add_argument("--json", action="store_true", help="status: one JSON object instead of text")
    s.set_defaults(func=cmd_index)
    search.register(sub)
    subscribe.register(sub)

    k = sub.add_parser("kibana", help="Kibana saved objects (data view, searches, dashboard)")
    k.add_argument(
        "action",
        choices=["import"],
        help="import: load the saved objects into Kibana (replacing those with the same ids)",
    )
    k.add_argument("--file", type=Path, default=None, help="NDJSON file (default: bundled)")
    k.add_argument("--url", help="Kibana URL (default kibana.url, http://127.0.0.1:5601)")
    k.add_argument("--space", help="Kibana space (default: the default space)")
    k.add_argument(
        "--time-range",
        choices=["data", "stored"],
        default="data",
        help="data (default): the dashboard opens on the indexed articles' published dates when "
        "they are older than its last 30 days; stored: keep the file's range",
    )
    k.set_defaults(func=cmd_kibana)


def cmd_index(args: argparse.Namespace) -> int:
    settings: IndexSettings = settings_from_args(IndexSettings, args)
    if args.action == "migrate":
        return _migrate(settings, args.delete_old)
    if args.action == "status":
        return _status(settings, as_json=args.json)
    if args.action == "replay":
        return _replay(settings, args.since)
    from diplowire.index.worker import run_worker
    from diplowire.wire.loop import StopFlag, install_signal_handlers

    stop = StopFlag()
    install_signal_handlers(stop)
    counters: dict[str, int] = {}
    stats = run_worker(
        settings,
        stop,
        on_batch=lambda s: log.info(
            "%d consumed, %d indexed, %d dead letters (%s)",
            s.consumed,
            s.succeeded,
            s.dead_lettered,
            ", ".join(f"{k} {v}" for k, v in sorted(counters.items())),
        ),
        counters=counters,
    )
    log.info("stopped after draining: %s", stats)
    return 0


def _migrate(settings: IndexSettings, delete_old: bool) -> int:
    from diplowire.index.layout import client
    from diplowire.index.migrate import migrate

    es = client(settings.elasticsearch)
    try:
        report = migrate(
            es,
            settings.elasticsearch.index_prefix,
            delete_old=delete_old,
            progress=lambda r: log.info("copied %d (%d already newer)", r.copied, r.stale),
        )
    finally:
        es.close()
    print(f"alias {settings.elasticsearch.index_prefix} -> {report.target}")
    print(f"copied {report.copied} documents from {', '.join(report.sources) or 'nothing'}")
    if report.stale:
        print(f"{report.stale} documents were already newer in {report.target}")
    if report.removed_from_alias:
        print(f"removed from the alias: {', '.join(report.removed_from_alias)}")
    if report.deleted:
        print(f"deleted: {', '.join(report.deleted)}")
    if not report.ok:
        print(f"{len(report.failed)} documents not copied; old indices stay behind the alias:")
        for line in report.failed[:20]:
            print(f"  {line}")
        return 1
    return 0


def _replay(settings: IndexSettings, since: str | None) -> int:
    from datetime import datetime

    from diplowire.index.query import FilterError, parse_time
    from diplowire.index.worker import replay

    since_ms = None
    if since:
        try:
            iso = parse_time(since)
        except FilterError as exc:
            print(f"diplowire index replay: {exc}", file=sys.stderr)
            return 2
        since_ms = int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
    for partition, offset in sorted(replay(settings, since_ms).items()):
        print(f"{partition}: next read at offset {offset}")
    return 0


def _status(settings: IndexSettings, *, as_json: bool = False) -> int:
    import json

    from diplowire.errors import ErrorKind
    from diplowire.index.esclient import (
        PROBE_TIMEOUT_S,
        explained,
        interactive_client,
        nothing_indexed,
    )
    from diplowire.index.layout import alias_indices, index_version
    from diplowire.index.mapping import MAPPING_VERSION

    es = interactive_client(settings.elasticsearch)
    alias = settings.elasticsearch.index_prefix
    url = settings.elasticsearch.url
    indices = []
    try:
        with explained(settings.elasticsearch, index=alias):
            # The first request bounded like search's probe: an absent server is said at once.
            behind = alias_indices(es.options(request_timeout=PROBE_TIMEOUT_S), alias)
            for name, is_write in sorted(behind.items()):
                count = es.count(index=name)["count"]
                role = "write" if is_write else "read"
                indices.append(
                    {"name": name, "version": index_version(name), "role": role, "documents": count}
                )
    finally:
        es.close()
    if as_json:
        body = {"alias": alias, "url": url, "exists": bool(indices), "indices": indices}
        print(json.dumps({**body, "code_mapping_version": MAPPING_VERSION}))
        return 0 if indices else ErrorKind.NOT_FOUND.exit_code
    if not indices:
        raise nothing_indexed(settings.elasticsearch, alias)
    print(f"alias {alias} (this code writes mapping v{MAPPING_VERSION}):")
    for i in indices:
        print(f"  {i['name']:<40} v{i['version']}  {i['role']:<5}  {i['documents']} documents")
    return 0


def cmd_kibana(args: argparse.Namespace) -> int:
    from diplowire.index.kibana import DEFAULT_ASSETS, KibanaError, import_objects

    settings: IndexSettings = settings_from_args(
        IndexSettings, args, **{"kibana.url": args.url, "kibana.space": args.space}
    )
    path = args.file or DEFAULT_ASSETS
    time_range = None
    if args.time_range == "data":
        from diplowire.index.kibana_range import RangeStatus, range_from_index

        found, time_range = range_from_index(settings.elasticsearch)
        if found.status is not RangeStatus.FOUND:
            print(
                "diplowire kibana import: no published dates read from Elasticsearch at "
                f"{settings.elasticsearch.url} ({found.detail}); the dashboard keeps its last "
                "30 days",
                file=sys.stderr,
            )
    try:
        result = import_objects(
            settings.kibana,
            path,
            index_pattern=settings.elasticsearch.index_prefix,
            time_range=time_range,
        )
    except KibanaError as exc:
        print(f"diplowire kibana import: {exc}", file=sys.stderr)
        return 5
    if not result.success:
        print(
            f"diplowire kibana import: {len(result.errors)} objects refused "
            f"({result.success_count} imported):",
            file=sys.stderr,
        )
        for line in result.errors:
            print(f"  {line}", file=sys.stderr)
        return 1
    print(f"imported {result.success_count} saved objects from {path} into {settings.kibana.url}")
    if time_range:
        print(f"the dashboard opens on {time_range[0]} .. {time_range[1]}")
    return 0
