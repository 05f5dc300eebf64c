"""Feed lists: YAML or OPML in, the same :class:`Feed` records out (and OPML back out)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin
from xml.etree.ElementTree import Element, SubElement, tostring

import defusedxml.ElementTree as SafeET
import yaml


class FeedListError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Feed:
    url: str
    name: str
    lang: str | None = None
    interval_s: int | None = None
    full_text: bool = False


def load_feeds(path: str | Path, *, base_url: str | None = None) -> list[Feed]:
    """Read a feed list; relative URLs are resolved against ``base_url`` (the demo's server)."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise FeedListError(f"cannot read feed list {p}: {exc.strerror}") from exc
    feeds = _from_opml(raw, p) if p.suffix.lower() in {".opml", ".xml"} else _from_yaml(raw, p)
    if base_url:
        feeds = [
            Feed(urljoin(base_url, f.url), f.name, f.lang, f.interval_s, f.full_text) for f in feeds
        ]
    bad = [f.url for f in feeds if not f.url.startswith(("http://", "https://"))]
    if bad:
        # A list written for a server (the demo's) has relative URLs: say how to resolve them.
        relative = not base_url and "://" not in bad[0]
        hint = " (a relative URL: give --base-url to resolve it)" if relative else ""
        raise FeedListError(f"{p}: not an http(s) URL: {bad[0]}{hint}")
    seen: set[str] = set()
    unique = []
    for f in feeds:
        if f.url not in seen:
            seen.add(f.url)
            unique.append(f)
    return unique


def _from_yaml(raw: bytes, p: Path) -> list[Feed]:
    try:
        doc = yaml.safe_load(raw) or {}
    except yaml.YAMLError as exc:
        raise FeedListError(f"{p}: invalid YAML: {exc}") from exc
    items = doc.get("feeds") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        raise FeedListError(f"{p}: expected a list under 'feeds'")
    feeds = []
    for i, item in enumerate(items):
        if isinstance(item, str):
            item = {"url": item}
        if not isinstance(item, dict) or not item.get("url"):
            raise FeedListError(f"{p}: feed #{i + 1} has no url")
        interval = item.get("interval")
        feeds.append(
            Feed(
                url=str(item["url"]).strip(),
                name=str(item.get("name") or item["url"]),
                lang=item.get("lang"),
                interval_s=int(interval) if interval else None,
                full_text=bool(item.get("full_text", False)),
            )
        )
    return feeds


def _from_opml(raw: bytes, p: Path) -> list[Feed]:
    try:
        root = SafeET.fromstring(raw)
    except Exception as exc:  # defusedxml raises its own classes for hostile documents
        raise FeedListError(f"{p}: invalid OPML: {exc}") from exc
    feeds = []
    for outline in root.iter("outline"):
        url = outline.get("xmlUrl")
        if not url:
            continue
        interval = outline.get("interval")
        feeds.append(
            Feed(
                url=url.strip(),
                name=outline.get("title") or outline.get("text") or url,
                lang=outline.get("language"),
                interval_s=int(interval) if interval and interval.isdigit() else None,
                full_text=outline.get("fullText") == "true",
            )
        )
    return feeds


def to_opml(feeds: list[Feed], title: str = "diplowire feeds") -> str:
    root = Element("opml", version="2.0")
    head = SubElement(root, "head")
    SubElement(head, "title").text = title
    body = SubElement(root, "body")
    for f in feeds:
        attrs = {"type": "rss", "text": f.name, "title": f.name, "xmlUrl": f.url}
        if f.lang:
            attrs["language"] = f.lang
        if f.interval_s:
            attrs["interval"] = str(f.interval_s)
        if f.full_text:
            attrs["fullText"] = "true"
        SubElement(body, "outline", attrs)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode") + "\n"
