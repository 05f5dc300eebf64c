"""The outcome types are importable without Kafka, and the decode labels are the wire's."""

from __future__ import annotations

import subprocess
import sys

from diplowire.wire.outcomes import MessageError


def test_the_dead_letter_labels_of_decode_failures_are_the_ones_on_the_wire() -> None:
    # Subscribers and the fault suite filter dead letters on these dw-error strings.
    assert {k.name: str(k) for k in MessageError} == {
        "INVALID_JSON": "invalid_json",
        "SCHEMA_VIOLATION": "schema_violation",
        "UNSUPPORTED_VERSION": "unsupported_version",
        "OVERSIZED": "oversized",
        "EMPTY": "empty",
    }


def test_the_pure_stages_and_their_types_do_not_import_kafka() -> None:
    # A fresh interpreter: this one has kafka loaded by other tests already.
    code = (
        "import sys\n"
        "import diplowire.wire.outcomes, diplowire.wire.clock, diplowire.wire.article\n"
        "import diplowire.enrich.pipeline\n"
        "print(sorted(m for m in sys.modules if m == 'kafka' or m.startswith('kafka.')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stdout
