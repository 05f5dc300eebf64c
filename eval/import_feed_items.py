"""Rebuild the labelled sets from the shared dev set and real feed items (by hand, not at run time).

Texts are copied verbatim (feed title + item description with its HTML removed); labels live in
``eval/data/feed_labels.json``. Usage::

    .venv/bin/python -m eval.import_feed_items --feeds ../shared/data/feeds \
        --shared-dev ../shared/data/diplomatic-dev.jsonl
"""

from __future__ import annotations

import argparse
import html
import json
import re
from itertools import combinations
from pathlib import Path

import feedparser

DATA = Path(__file__).parent / "data"

# From the feeds' SOURCES.md: where each real feed file was copied from.
FEED_SOURCES: dict[str, dict[str, str]] = {
    "franceinfo-monde.xml": {
        "repo": "PengCHEN2001/Flux-RSS-Topic-Modeling",
        "path": "corpus/France Info - Monde.xml",
        "commit": "df33e0d01538a1e45f26b279fac733bc9ee7b53f",
    },
    "liberation-une.xml": {
        "repo": "PengCHEN2001/Flux-RSS-Topic-Modeling",
        "path": "corpus/Libération - A la une.xml",
        "commit": "df33e0d01538a1e45f26b279fac733bc9ee7b53f",
    },
    "reuters-worldnews-2017.xml": {
        "repo": "arminreiter/FeedReader",
        "path": "FeedReader.Tests/Feeds/Rss20Reuters.xml",
        "commit": "bcf9e27fadb8adafad77b4f1990e2bcc2e9aab55",
    },
    "un-news-europe.xml": {
        "repo": "vexonius/FeedVerse",
        "path": "FeedVerse/Data/Networking/Services/FeedServiceMock.swift",
        "commit": "c8b15164b51d72d6a1830e561ef243b4c0c9a786",
    },
}


def dyads_of(actors: list[str]) -> list[str]:
    return sorted("-".join(sorted(pair)) for pair in combinations(set(actors), 2))


def clean_description(raw: str) -> str:
    # Reuters appends FeedBurner flare markup after the real text.
    raw = raw.split('<div class="feedflare">')[0]
    text = re.sub(r"<[^>]+>", "", raw)
    return re.sub(r"[ \t]+", " ", html.unescape(text)).strip()


def feed_item(feeds: Path, label: dict[str, object]) -> dict[str, object]:
    name = str(label["feed"])
    index = int(str(label["index"]))
    entry = feedparser.parse(str(feeds / name)).entries[index]
    gold = dict(label["gold"])  # type: ignore[call-overload]
    gold["dyads"] = dyads_of(list(gold["actors"]))
    return {
        "id": f"{name.removesuffix('.xml')}-{index}",
        "lang": label["lang"],
        "title": str(entry.title).strip(),
        "text": clean_description(str(entry.get("summary", ""))),
        "source_url": entry.link,
        "published": entry.get("published"),
        "provenance": {"feed": name, "item_index": index, **FEED_SOURCES[name]},
        "gold": gold,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--feeds", type=Path, required=True)
    ap.add_argument("--shared-dev", type=Path, required=True)
    args = ap.parse_args()
    labels = json.loads((DATA / "feed_labels.json").read_text())
    dev: list[dict[str, object]] = []
    for line in args.shared_dev.read_text().splitlines():
        item = json.loads(line)
        item["gold"]["actors"] = labels["dev_actors"][item["id"]]
        item["gold"]["dyads"] = dyads_of(item["gold"]["actors"])
        item["provenance"] = {"set": "shared/data/diplomatic-dev.jsonl"}
        dev.append(item)
    dev += [feed_item(args.feeds, lab) for lab in labels["dev"]]
    heldout = [feed_item(args.feeds, lab) for lab in labels["heldout"]]
    for name, items in (("diplomatic-dev.jsonl", dev), ("diplomatic-heldout.jsonl", heldout)):
        with (DATA / name).open("w") as fh:
            for item in items:
                fh.write(json.dumps(item, ensure_ascii=False) + "\n")
        print(f"{name}: {len(items)} items")


if __name__ == "__main__":
    main()
