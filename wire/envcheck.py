"""A misspelt ``DIPLOWIRE_*`` variable is ignored by the settings loader: say so, once.

Valid names are every setting of every service (``DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS``...), read
from the settings dataclasses themselves so that a new field is known without a list to keep,
plus the few variables read outside them (:data:`OTHER_NAMES`).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import typing
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from diplowire.errors import closest
from diplowire.wire.settings import (
    ENV_PREFIX,
    EnrichSettings,
    IndexSettings,
    PollSettings,
    SubscribeSettings,
)

log = logging.getLogger("diplowire.settings")

OTHER_NAMES = frozenset(
    {
        "DIPLOWIRE_CONFIG",  # wire/settings.py: the settings file
        "DIPLOWIRE_LOG_FORMAT",  # diplowire/cli.py
        "DIPLOWIRE_STACK_DIR",  # devstack/config.py: the local stack
        "DIPLOWIRE_CACHE_DIR",
        "DIPLOWIRE_STACK_TIMEOUT",
        "DIPLOWIRE_ES_PORT",
        "DIPLOWIRE_KAFKA_PORT",
        "DIPLOWIRE_KAFKA_CONTROLLER_PORT",
        "DIPLOWIRE_SUPERVISED",  # enrich/cli.py: set by `enrich --processes N` for its children
        "DIPLOWIRE_BASE_IMAGE",  # deploy/local/podman-setup.sh: the image build's base
        "DIPLOWIRE_BUILD_CA",  # tests/support/podman.py: the image build's CA bundle
    }
)
OTHER_PREFIXES = ("DIPLOWIRE_SOAK_", "DIPLOWIRE_FAULT_")
"""The test suites' own knobs (tests/fault)."""

SERVICES: tuple[type[Any], ...] = (PollSettings, EnrichSettings, IndexSettings, SubscribeSettings)


def _names(cls: type[Any], prefix: str) -> Iterator[str]:
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        name = prefix + f.name.upper()
        if dataclasses.is_dataclass(hints[f.name]):
            yield from _names(hints[f.name], name + "_")
        else:
            yield name


@cache
def known_names() -> frozenset[str]:
    names = set(OTHER_NAMES)
    for cls in SERVICES:
        names.update(_names(cls, ENV_PREFIX))
    return frozenset(names)


def unknown(env: Mapping[str, str]) -> list[tuple[str, str | None]]:
    """``DIPLOWIRE_*`` variables no setting reads, each with the closest valid name (or None)."""
    known = known_names()
    # Compared without the prefix every name shares, which would make any two look alike.
    tails = {k[len(ENV_PREFIX) :]: k for k in known}
    out = []
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX) or name in known or name.startswith(OTHER_PREFIXES):
            continue
        near = closest(name[len(ENV_PREFIX) :], tails)
        out.append((name, tails[near] if near else None))
    return out


def warn_unknown(env: Mapping[str, str] | None = None) -> list[tuple[str, str | None]]:
    """Log one warning per unknown variable; returns them (for tests)."""
    found = unknown(os.environ if env is None else env)
    for name, guess in found:
        hint = f"did you mean {guess}?" if guess else "no setting has this name"
        log.warning("ignoring environment variable %s: %s", name, hint)
    return found
