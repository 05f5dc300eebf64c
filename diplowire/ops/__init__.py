"""Operator commands: topics as code, consumer lag, dead letters, effective settings, rewind."""

from __future__ import annotations

from typing import Any


def register(sub: Any) -> None:
    from diplowire.ops import config, deadletters, lag, rewind, topics

    topics.register(sub)
    lag.register(sub)
    deadletters.register(sub)
    config.register(sub)
    rewind.register(sub)
