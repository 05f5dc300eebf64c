"""``diplowire config show``: the effective settings of a service, secrets masked, and where
each value came from."""

from __future__ import annotations

import argparse
import json
from typing import Any

from diplowire.wire.settings import (
    EnrichSettings,
    IndexSettings,
    PollSettings,
    SettingsError,
    SubscribeSettings,
    describe,
    load,
)

SERVICES: dict[str, type[Any]] = {
    "poll": PollSettings,
    "enrich": EnrichSettings,
    "index": IndexSettings,
    "subscribe": SubscribeSettings,
}


def register(sub: Any) -> None:
    s = sub.add_parser("config", help="show a service's effective settings and their sources")
    s.add_argument(
        "action",
        choices=["show"],
        help="show: each setting's effective value (secrets masked) and where it came from",
    )
    s.add_argument(
        "--service",
        choices=sorted(SERVICES),
        help=f"one of {', '.join(sorted(SERVICES))} (default: every service)",
    )
    s.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a setting as a flag would (e.g. kafka.topic_prefix=x), shown as 'flag'",
    )
    s.add_argument("--json", action="store_true", help="one JSON object per setting")
    s.set_defaults(func=cmd_config)


def effective(
    service: str, file: str | None, overrides: dict[str, Any], env: Any = None
) -> list[tuple[str, str, str]]:
    """(name, value with secrets masked, origin) of every setting of ``service``."""
    origins: dict[str, str] = {}
    settings = load(SERVICES[service], file=file, env=env, overrides=overrides, origins=origins)
    rows = []
    # describe() is what the workers log at start-up: the same masking, one place.
    for line in describe(settings):
        name, _, value = line.partition(" = ")
        rows.append((name, value, origins[name]))
    return rows


def _overrides(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise SettingsError(f"--set {pair!r}: expected NAME=VALUE")
        out[name.strip()] = value
    return out


def cmd_config(args: argparse.Namespace) -> int:
    overrides = _overrides(args.set)
    for service in [args.service] if args.service else sorted(SERVICES):
        rows = effective(service, args.config, overrides)
        known = {name for name, _, _ in rows}
        unknown = sorted(set(overrides) - known)
        if unknown and args.service:
            raise SettingsError(f"unknown settings {unknown} for {service}")
        for name, value, origin in rows:
            if args.json:
                print(
                    json.dumps({"service": service, "name": name, "value": value, "source": origin})
                )
            else:
                print(f"{service:<10} {name:<40} {value:<40} ({origin})")
    return 0
