"""The poller state's SQLite text: its schema and the statements that read and write many keys
at once (ingest.state's store builds on them)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS feeds (url TEXT PRIMARY KEY, state BLOB NOT NULL, items BLOB)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seen (
    id TEXT PRIMARY KEY, feed TEXT NOT NULL, hash TEXT NOT NULL, version INTEGER NOT NULL,
    last_seen REAL NOT NULL, title_key TEXT NOT NULL, gone_at REAL NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS guids (guid TEXT PRIMARY KEY, id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS seen_by_feed ON seen (feed);
CREATE INDEX IF NOT EXISTS guids_by_id ON guids (id);
"""

KEYS_PER_QUERY = 400
"""Keys bound in one ``IN (...)``: few enough for any SQLite build's limit on bound variables."""
_ROWS_PER_STATEMENT = 500


def chunks(keys: list[str]) -> Iterable[list[str]]:
    for i in range(0, len(keys), KEYS_PER_QUERY):
        yield keys[i : i + KEYS_PER_QUERY]


def upsert(db: sqlite3.Connection, table: str, rows: list[tuple[Any, ...]], conflict: str) -> None:
    """An ``INSERT`` of many rows, 500 to a statement: ``sqlite3`` releases the GIL around every
    statement step, and a step per row made the poller's thread wait for the GIL (held by the
    parsing threads) thousands of times per save."""
    if not rows:
        return
    marks = "(" + ",".join("?" * len(rows[0])) + ")"
    for i in range(0, len(rows), _ROWS_PER_STATEMENT):
        chunk = rows[i : i + _ROWS_PER_STATEMENT]
        sql = f"INSERT INTO {table} VALUES " + ",".join([marks] * len(chunk)) + " " + conflict
        db.execute(sql, [v for row in chunk for v in row])


def delete(db: sqlite3.Connection, head: str, keys: Iterable[str]) -> None:
    for chunk in chunks(list(keys)):
        db.execute(f"{head} ({','.join('?' * len(chunk))})", chunk)
