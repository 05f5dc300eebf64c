"""``diplowire search``: lemma-aware free text and facet filters over the indexed articles."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from diplowire.index.query import FilterError, Filters, es_query, lemmatize

if TYPE_CHECKING:
    # Only annotations name the client: `diplowire --help` builds this module's parser and must
    # not import elasticsearch (cmd_search gets its client from index.layout).
    from elasticsearch import Elasticsearch

# The heavy fields stay in Elasticsearch; --full brings them back.
LIGHT_EXCLUDES = ["text", "lemmas", "enrichment"]


@dataclass(frozen=True, slots=True)
class SearchResult:
    total: int
    total_is_exact: bool
    hits: list[dict[str, Any]]


def add_filter_args(p: argparse.ArgumentParser) -> None:
    """The filters shared by ``search`` and ``subscribe``; repeat a flag for alternatives."""
    p.add_argument("text", nargs="*", help="free text; matches word forms and their lemmas")
    p.add_argument("--country", action="append", default=[], help="ISO alpha-2 code, e.g. RU")
    p.add_argument("--dyad", action="append", default=[], help="country pair, e.g. RU-US")
    p.add_argument(
        "--person",
        action="append",
        default=[],
        help="person id or words of any of their names from a word's start, any language, "
        "case or accents (putin, Poutine, vladimir-putin)",
    )
    p.add_argument(
        "--org",
        "--organisation",
        action="append",
        default=[],
        help="organisation id or words of any of its names from a word's start (UN, onu, "
        "united nations)",
    )
    from diplowire.enrich.kb import TOPICS  # the enricher's taxonomy; plain data, no spaCy

    p.add_argument(
        "--topic", action="append", default=[], help=f"topic, one of: {', '.join(TOPICS)}"
    )
    p.add_argument("--lang", action="append", default=[], help="language code, e.g. fr")
    p.add_argument("--source", action="append", default=[], help="part of the source's name")
    p.add_argument("--since", help="published at or after: ISO 8601 or a duration ago (7d)")
    p.add_argument("--until", help="published before: ISO 8601 or a duration ago")
    p.add_argument(
        "--no-lemmas", action="store_true", help="match the word forms only, not their lemmas"
    )


def bounded_int(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer in [low, high], refused by argparse itself (usage, exit 2)
    rather than by the server later."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < low or (high is not None and value > high):
            allowed = f"from {low} to {high}" if high is not None else f"{low} or more"
            raise argparse.ArgumentTypeError(f"must be {allowed}, not {value}")
        return value

    return parse


MAX_LIMIT = 10_000
"""Elasticsearch's default ``index.max_result_window``: a larger page is refused by the server."""


def filters_from_args(args: argparse.Namespace, *, lemmas: bool = True) -> Filters:
    """The filters given on the command line; with the free text's lemmas unless ``lemmas`` is
    False (``search`` adds them only once Elasticsearch answered: lemmatising may be slow)."""
    f = Filters.build(
        text=" ".join(args.text),
        countries=args.country,
        dyads=args.dyad,
        persons=args.person,
        organizations=args.org,
        topics=args.topic,
        langs=args.lang,
        sources=args.source,
        since=args.since,
        until=args.until,
    )
    if lemmas and f.text and not args.no_lemmas:
        f = f.with_lemmas(lemmatize(f.text, f.langs))
    return f


def search(
    es: Elasticsearch,
    index: str,
    f: Filters,
    *,
    size: int = 20,
    sort: str = "auto",
    full: bool = False,
) -> SearchResult:
    """Run ``f`` against ``index``: by relevance when there is free text, else newest first."""
    by_relevance = sort == "relevance" or (sort == "auto" and bool(f.text))
    order: list[Any] = (
        ["_score", {"published": "desc"}] if by_relevance else [{"published": "desc"}, "_score"]
    )
    resp = es.search(
        index=index,
        query=es_query(f),
        size=size,
        sort=order,
        track_total_hits=10_000,
        source_excludes=[] if full else LIGHT_EXCLUDES,
    )
    total = resp["hits"]["total"]
    hits = [{**h["_source"], "_score": h.get("_score")} for h in resp["hits"]["hits"]]
    return SearchResult(int(total["value"]), total["relation"] == "eq", hits)


# --------------------------------------------------------------------------- output


def print_json(result: SearchResult, out: TextIO) -> None:
    body = {"total": result.total, "total_is_exact": result.total_is_exact, "hits": result.hits}
    out.write(json.dumps(body, ensure_ascii=False) + "\n")


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def print_table(result: SearchResult, out: TextIO, width: int | None = None) -> None:
    width = width or shutil.get_terminal_size((120, 24)).columns
    cols: list[tuple[str, int]] = [
        ("published", 16),
        ("lang", 4),
        ("source", 18),
        ("countries", 14),
        ("topics", 22),
    ]
    title_w = max(width - sum(w + 2 for _, w in cols), 30)
    header = "  ".join(f"{name:<{w}}" for name, w in cols) + "  title"
    lines = [header, "-" * min(width, len(header) + title_w - 5)]
    for hit in result.hits:
        cells = [
            (hit.get("published") or "")[:16].replace("T", " "),
            hit.get("lang") or "",
            (hit.get("source") or {}).get("name") or "",
            ",".join(hit.get("countries") or []),
            ",".join(hit.get("topics") or []),
        ]
        row = "  ".join(f"{_cut(c, w):<{w}}" for c, (_, w) in zip(cells, cols, strict=True))
        lines.append(f"{row}  {_cut(hit.get('title') or '', title_w)}")
    shown = len(result.hits)
    more = "" if result.total_is_exact else "+"
    lines.append(f"{shown} of {result.total}{more} matching articles")
    out.write("\n".join(lines) + "\n")


def run_search(
    es: Elasticsearch,
    index: str,
    f: Filters,
    *,
    as_json: bool,
    size: int,
    sort: str,
    full: bool,
    out: TextIO | None = None,
) -> SearchResult:
    result = search(es, index, f, size=size, sort=sort, full=full)
    stream = out or sys.stdout
    if as_json:
        print_json(result, stream)
    else:
        print_table(result, stream)
    return result


def register(sub: Any) -> None:
    s = sub.add_parser(
        "search",
        help="search indexed articles: free text (lemma-aware) and filters",
        description="Search the indexed articles. Repeated flags are alternatives (OR); "
        "different flags must all match (AND).",
    )
    add_filter_args(s)
    s.add_argument(
        "--limit",
        type=bounded_int(1, MAX_LIMIT),
        default=20,
        help=f"number of articles shown, 1 to {MAX_LIMIT} (default 20)",
    )
    s.add_argument(
        "--sort",
        choices=["auto", "relevance", "published"],
        default="auto",
        help="relevance: best match first; published: newest first; "
        "auto (default): relevance when there is free text, else published",
    )
    s.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    s.add_argument("--full", action="store_true", help="with text, lemmas and enrichment (JSON)")
    s.set_defaults(func=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    from diplowire.index.esclient import check, explained, interactive_client
    from diplowire.wire.cliutil import settings_from_args
    from diplowire.wire.settings import IndexSettings

    settings: IndexSettings = settings_from_args(IndexSettings, args)
    try:
        f = filters_from_args(args, lemmas=False)
    except FilterError as exc:
        print(f"diplowire search: {exc}", file=sys.stderr)
        return 2
    es = interactive_client(settings.elasticsearch)
    alias = settings.elasticsearch.index_prefix
    try:
        # A dead, silent or wrong server, or nothing indexed, is said before lemmatising.
        check(es, settings.elasticsearch, alias)
        if f.text and not args.no_lemmas:
            f = f.with_lemmas(lemmatize(f.text, f.langs))
        with explained(settings.elasticsearch, index=alias):
            run_search(
                es, alias, f, as_json=args.json, size=args.limit, sort=args.sort, full=args.full
            )
    finally:
        es.close()
    return 0
