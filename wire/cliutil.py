"""Small helpers shared by the stages' command-line modules."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from diplowire.wire.settings import describe, load

log = logging.getLogger("diplowire")


def settings_from_args(cls: type[Any], args: argparse.Namespace, **overrides: Any) -> Any:
    """The service's settings: defaults < ``--config`` file < ``DIPLOWIRE_*`` < CLI flags."""
    settings = load(cls, file=args.config, overrides=overrides)
    for line in describe(settings):
        log.debug("setting %s", line)
    return settings
