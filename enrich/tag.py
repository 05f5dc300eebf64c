"""``diplowire tag``: the enrichment step on JSON lines, without Kafka.

Input lines need ``id``, ``title`` and ``text`` (``lang`` optional, used as a hint); a line that
already is a full article message is taken as it is. Output lines are exactly what the enriched
topic carries.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from diplowire.enrich import nlp
from diplowire.enrich.pipeline import enrich_batch
from diplowire.ingest.normalize import fingerprint
from diplowire.wire.article import (
    SCHEMA_VERSION,
    Article,
    InvalidMessage,
    Source,
    Timestamps,
    decode,
    encode,
)
from diplowire.wire.clock import utc_now
from diplowire.wire.outcomes import MessageError, Poison

BATCH = 64


def article_from_json(line: bytes) -> Article:
    try:
        obj: Any = json.loads(line)
    except ValueError as exc:
        raise InvalidMessage(MessageError.INVALID_JSON, f"invalid JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise InvalidMessage(MessageError.SCHEMA_VIOLATION, "a line must hold a JSON object")
    if "schema_version" in obj:
        return decode(line)
    missing = [k for k in ("id", "title", "text") if not isinstance(obj.get(k), str)]
    if missing:
        raise InvalidMessage(
            MessageError.SCHEMA_VIOLATION, f"missing or non-string fields: {', '.join(missing)}"
        )
    now = utc_now()
    url = obj.get("url") or obj.get("source_url") or f"urn:diplowire:{obj['id']}"
    return Article(
        schema_version=SCHEMA_VERSION,
        id=obj["id"],
        version=1,
        url=url,
        canonical_url=url,
        title=obj["title"],
        text=obj["text"],
        published=obj.get("published") or now,
        published_from="published" if obj.get("published") else "fetched",
        source=Source(name=obj.get("source") or "stdin", feed_url="", lang_hint=obj.get("lang")),
        timestamps=Timestamps(fetched=now),
        fingerprint=fingerprint(obj["title"], obj["text"]),
    )


def _batches(stream: IO[bytes]) -> Iterator[list[tuple[int, bytes]]]:
    batch: list[tuple[int, bytes]] = []
    for n, line in enumerate(stream, 1):
        if line.strip():
            batch.append((n, line))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def tag_stream(
    inp: IO[bytes], out: IO[bytes], err: IO[str], models: nlp.Models | None = None
) -> int:
    """``models``: the pipelines to use (``diplowire tag`` builds them from its settings)."""
    bad = 0
    for batch in _batches(inp):
        articles: list[tuple[int, Article]] = []
        for n, line in batch:
            try:
                articles.append((n, article_from_json(line)))
            except InvalidMessage as exc:
                bad += 1
                err.write(f"line {n}: {exc}\n")
        results = enrich_batch([a for _, a in articles], models=models)
        for (n, _), res in zip(articles, results, strict=True):
            if isinstance(res, Poison):
                bad += 1
                err.write(f"line {n}: {res.error}: {res.cause}\n")
            else:
                out.write(encode(res) + b"\n")
        out.flush()
    return 1 if bad else 0
