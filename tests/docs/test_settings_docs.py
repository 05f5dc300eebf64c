"""The settings tables in README.md and docs/*.md say what the code does.

Derived from the settings dataclasses, so a new field without a row, a row for a field that no
longer exists, or a default changed on one side only fails here. The defaults compared are the
ones ``load()`` gives a service (what a worker really runs with), not the class defaults.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from diplowire.wire.settings import (
    EnrichSettings,
    IndexSettings,
    PollSettings,
    SubscribeSettings,
    load,
)

ROOT = Path(__file__).resolve().parents[2]
SERVICES: dict[str, type] = {
    "poll": PollSettings,
    "enrich": EnrichSettings,
    "index": IndexSettings,
    "subscribe": SubscribeSettings,
}
# Words a table writes for an empty string or an empty list.
EMPTY = {"—", "none", "empty", "system CAs", "none: public addresses only"}
UNITS = {"MB": 1_000_000, "s": 1, "days": 86_400}


def leaves(obj: Any, prefix: str = "") -> dict[str, Any]:
    """``{"loop.batch_max_records": 64, ...}`` for a settings instance."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        if dataclasses.is_dataclass(value):
            out.update(leaves(value, f"{prefix}{f.name}."))
        else:
            out[prefix + f.name] = value
    return out


def effective_defaults() -> dict[str, dict[str, Any]]:
    """Setting name -> {service: the default that service loads}."""
    found: dict[str, dict[str, Any]] = {}
    for service, cls in SERVICES.items():
        for name, value in leaves(load(cls, env={})).items():
            found.setdefault(name, {})[service] = value
    return found


@dataclasses.dataclass(frozen=True)
class Row:
    where: str
    names: tuple[str, ...]
    defaults: dict[str | None, list[str]]
    """Default texts per service named in the cell (None: every service)."""
    env: str


def _outside_code(text: str, fn: Any) -> str:
    """Apply ``fn`` to the text outside backticks only (a default may hold parentheses)."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(p if p.startswith("`") else fn(p) for p in parts)


def _strip_comments(cell: str) -> str:
    def drop(part: str) -> str:
        while True:
            shorter = re.sub(r"\s*\([^()`]*\)", "", part)
            if shorter == part:
                return part
            part = shorter

    # A comment may wrap code: "— (`SCRAM-SHA-512` or `PLAIN`)": drop those whole first.
    cell = re.sub(r"\s*\((?:[^()`]|`[^`]*`)*\)(?=\s*(?:/|,|;|$))", "", cell)
    return _outside_code(cell, drop).strip()


def _split(cell: str) -> list[str]:
    sep = " / " if " / " in cell else ", "
    return [part.strip() for part in cell.split(sep)]


def table_rows(path: Path, header: str, default_col: int, env_col: int | None = None) -> list[Row]:
    lines = path.read_text(encoding="utf-8").splitlines()
    start = lines.index(header)
    rows: list[Row] = []
    for number, line in enumerate(lines[start + 2 :], start + 3):
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        names = re.findall(r"`([^`]+)`", cells[0])
        prefix = names[0].rsplit(".", 1)[0] + "." if "." in names[0] else ""
        full = tuple(n if "." in n or not prefix else prefix + n for n in names)
        cell = _strip_comments(cells[default_col])
        per_service: dict[str | None, list[str]] = {}
        if re.match(r"^(poll|enrich|index|subscribe) ", cell):
            for part in cell.split("; "):
                service, _, values = part.partition(" ")
                per_service[service] = _split(values)
        else:
            per_service[None] = _split(cell)
        env = cells[env_col] if env_col is not None else ""
        rows.append(Row(f"{path.name}:{number}", full, per_service, env))
    return rows


def matches(text: str, value: Any, name: str) -> bool:
    text = text.strip()
    if text.startswith("`") and text.endswith("`"):
        return isinstance(value, str) and value == text[1:-1]
    if text in EMPTY:
        return value in ("", ())
    if text in ("true", "false"):
        return isinstance(value, bool) and value == (text == "true")
    number = re.fullmatch(r"(\d+(?:\.\d+)?)(?: (MB|s|days))?", text)
    if number and isinstance(value, int | float) and not isinstance(value, bool):
        scale = UNITS.get(number.group(2) or "", 1)
        if number.group(2) == "days" and name.endswith("_ms"):
            scale *= 1000
        return float(number.group(1)) * scale == float(value)
    return str(value) == text


def check(rows: list[Row], defaults: dict[str, dict[str, Any]]) -> list[str]:
    problems: list[str] = []
    for row in rows:
        for i, name in enumerate(row.names):
            if name not in defaults:
                problems.append(f"{row.where}: `{name}` is not a setting of any service")
                continue
            for service, texts in row.defaults.items():
                if len(texts) not in (1, len(row.names)):
                    problems.append(
                        f"{row.where}: {len(texts)} defaults for {len(row.names)} names"
                    )
                    break
                text = texts[i] if len(texts) > 1 else texts[0]
                wanted = defaults[name] if service is None else {service: defaults[name][service]}
                for svc, value in wanted.items():
                    if not matches(text, value, name):
                        problems.append(
                            f"{row.where}: `{name}` default says {text!r}, {svc} loads {value!r}"
                        )
            env = "DIPLOWIRE_" + name.upper().replace(".", "_")
            if row.env and "…" not in row.env and row.env.strip("`") != env:
                problems.append(f"{row.where}: `{name}` is {env} in the environment, not {row.env}")
    return problems


def test_readme_settings_table_lists_every_setting_with_its_default() -> None:
    defaults = effective_defaults()
    rows = table_rows(ROOT / "README.md", "| setting | default | used by |", 1)
    listed = {name for row in rows for name in row.names}
    missing = sorted(set(defaults) - listed)
    assert not missing, f"README.md settings table lacks rows for: {missing}"
    assert check(rows, defaults) == []


@pytest.mark.parametrize(
    ("page", "header", "default_col", "env_col"),
    [
        ("docs/ingest.md", "| setting | default | meaning |", 1, None),
        ("docs/index.md", "| setting | environment | default |", 2, 1),
        ("docs/workers.md", "| setting | default | kafka-python default | effect |", 1, None),
    ],
)
def test_settings_tables_in_docs_name_real_settings_and_defaults(
    page: str, header: str, default_col: int, env_col: int | None
) -> None:
    rows = table_rows(ROOT / page, header, default_col, env_col)
    assert rows, f"no settings table under {header!r} in {page}"
    assert check(rows, effective_defaults()) == []


def test_ingest_page_lists_every_poll_setting() -> None:
    """docs/ingest.md is the poller's page: each of its own settings has a row there."""
    rows = table_rows(ROOT / "docs/ingest.md", "| setting | default | meaning |", 1)
    listed = {name for row in rows for name in row.names}
    own = {n for n in leaves(PollSettings()) if not n.startswith(("kafka.", "observe."))}
    assert sorted(own - listed) == []


def test_the_checker_catches_a_wrong_default_and_a_stale_row(tmp_path: Path) -> None:
    page = tmp_path / "p.md"
    page.write_text(
        "| setting | default |\n|---|---|\n"
        "| `loop.batch_max_records` / `batch_max_wait_ms` | enrich 64 / 500; index 64 / 300 |\n"
        "| `max_seen_items` | 5 |\n"
        "| `max_feed_bytes` | 10 MB |\n",
        encoding="utf-8",
    )
    problems = check(table_rows(page, "| setting | default |", 1), effective_defaults())
    assert problems == [
        "p.md:3: `loop.batch_max_records` default says '64', index loads 500",
        "p.md:4: `max_seen_items` is not a setting of any service",
    ]
