"""How long the commands people type take: ``diplowire --help`` and a search with and without
lemmas, each a cold process, as a person runs them.

On the shared local stack, in an index of its own (prefix ``bench-search-<id>``, deleted
afterwards): the 107 enriched articles of ``tests/index/fixtures/enriched.jsonl`` are indexed
through the indexer's handler, then every case runs ``--runs`` times, the cases interleaved (run 1
of each, then run 2 of each...) so that the machine's load falls on all of them alike:

- ``help``: ``diplowire --help``;
- ``plain``: ``diplowire search ministres --no-lemmas``;
- ``lemmas``: ``diplowire search ministres`` (lemma-aware: the lemma tables answer);
- ``models`` (``--model-runs``, 0 to skip): ``diplowire search "l'ambassadeur"``, a query the
  tables cannot answer, so the spaCy models load (the cost the tables avoid);
- ``plain_de``, ``lemmas_de``, ``lemmas_de_lang``: ``diplowire search Botschaftern`` with
  ``--no-lemmas``, with lemmas (every language's: the de/es/it/pt/ru lookup tables, and the fr/en
  tables, which take a German word as itself), and with ``--lang de`` (the German table only).

Wall time is measured around the process; CPU time (user + system) from the kernel's accounting
of the finished child, which moves far less with other sessions' load on the 2 shared cores.
Targets (issue 13): ``lemmas`` within 1.5x of ``plain``, ``help`` under 0.5 s.

    .venv/bin/python bench/search_latency.py [--runs 15] [--model-runs 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from diplowire.index.layout import alias_name, template_name  # noqa: E402
from diplowire.wire.settings import ElasticsearchSettings  # noqa: E402
from tests.index.helpers import articles, index_directly  # noqa: E402

DIPLOWIRE = str(ROOT / ".venv" / "bin" / "diplowire")
CASES: dict[str, list[str]] = {
    "help": ["--help"],
    "plain": ["search", "ministres", "--no-lemmas"],
    "lemmas": ["search", "ministres"],
    "models": ["search", "l'ambassadeur"],
    # A language without a model (issue 15): lookup lemmas, and the fr/en tables' shortcut for a
    # word of another language.
    "plain_de": ["search", "Botschaftern", "--no-lemmas"],
    "lemmas_de": ["search", "Botschaftern"],
    "lemmas_de_lang": ["search", "--lang", "de", "Botschaftern"],
}


def run_once(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """(wall s, CPU s, stdout) of one cold ``diplowire`` process; fails loudly on an error."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    out = subprocess.run([DIPLOWIRE, *argv], env=env, capture_output=True, text=True, timeout=300)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode != 0:
        raise SystemExit(f"{argv} exited {out.returncode}: {out.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, out.stdout


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {"median": round(statistics.median(ordered), 3), "p90": round(p90, 3)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--model-runs", type=int, default=3)
    ap.add_argument(
        "--es", default=os.environ.get("DIPLOWIRE_ELASTICSEARCH_URL", "http://127.0.0.1:9200")
    )
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    prefix = f"bench-search-{uuid.uuid4().hex[:8]}"
    settings = ElasticsearchSettings(url=args.es, index_prefix=prefix)
    es = index_directly(settings, articles())
    env = {
        **os.environ,
        "DIPLOWIRE_ELASTICSEARCH_URL": args.es,
        "DIPLOWIRE_ELASTICSEARCH_INDEX_PREFIX": prefix,
    }
    load_before = os.getloadavg()[0]
    times: dict[str, dict[str, list[float]]] = {c: {"wall": [], "cpu": []} for c in CASES}
    found: dict[str, str] = {}
    try:
        for k in range(max(args.runs, args.model_runs)):
            for case, argv in CASES.items():
                if k >= (args.model_runs if case == "models" else args.runs):
                    continue
                wall, cpu, stdout = run_once(argv, env)
                times[case]["wall"].append(wall)
                times[case]["cpu"].append(cpu)
                found[case] = stdout.strip().splitlines()[-1] if stdout.strip() else ""
    finally:
        es.indices.delete(index=f"{alias_name(prefix)}*", ignore_unavailable=True)
        es.options(ignore_status=404).indices.delete_index_template(name=template_name(prefix))
        es.close()
    load_after = os.getloadavg()[0]

    report: dict[str, Any] = {
        "load_1min": [round(load_before, 2), round(load_after, 2)],
        "cases": {
            c: {
                "runs": len(t["wall"]),
                "wall_s": _stats(t["wall"]),
                "cpu_s": _stats(t["cpu"]),
                "last_line": found.get(c, ""),
            }
            for c, t in times.items()
            if t["wall"]
        },
    }
    med = {c: v["wall_s"]["median"] for c, v in report["cases"].items()}
    cpu = {c: v["cpu_s"]["median"] for c, v in report["cases"].items()}
    report["ratio_lemmas_plain"] = {
        "wall": round(med["lemmas"] / med["plain"], 3),
        "cpu": round(cpu["lemmas"] / cpu["plain"], 3),
    }
    for case in ("lemmas_de", "lemmas_de_lang"):
        report[f"ratio_{case}_plain"] = {
            "wall": round(med[case] / med["plain_de"], 3),
            "cpu": round(cpu[case] / cpu["plain_de"], 3),
        }
    if args.json:
        print(json.dumps(report))
        return
    print(f"1-min load average {report['load_1min'][0]} -> {report['load_1min'][1]}")
    print("| case | runs | wall median s | wall p90 s | CPU median s | CPU p90 s | last line |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for c, v in report["cases"].items():
        print(
            f"| {c} | {v['runs']} | {v['wall_s']['median']} | {v['wall_s']['p90']} | "
            f"{v['cpu_s']['median']} | {v['cpu_s']['p90']} | {v['last_line']} |"
        )
    r = report["ratio_lemmas_plain"]
    print(f"lemmas / plain: {r['wall']} (wall medians), {r['cpu']} (CPU medians)")
    for case in ("lemmas_de", "lemmas_de_lang"):
        r = report[f"ratio_{case}_plain"]
        print(f"{case} / plain_de: {r['wall']} (wall medians), {r['cpu']} (CPU medians)")


if __name__ == "__main__":
    main()
