"""``diplowire stack up|down|status``: argument parsing and the status table."""

from __future__ import annotations

import argparse
import json
import sys

from diplowire.devstack.config import (
    DEFAULT_TIMEOUT,
    ES_VERSION,
    KAFKA,
    KAFKA_VERSION,
    StackConfig,
    StackError,
)
from diplowire.devstack.lifecycle import ServiceStatus, down, status, up


def _print_status(statuses: dict[str, ServiceStatus]) -> None:
    for st in statuses.values():
        pid = f"pid {st.pid}" if st.pid else "-"
        version = KAFKA_VERSION if st.name == KAFKA else ES_VERSION
        extra = f"  ({st.detail})" if st.detail else ""
        print(f"{st.name:<14} {st.state:<10} {pid:<11} {st.address}  [{version}]{extra}")


def _print_json(statuses: dict[str, ServiceStatus]) -> None:
    services = [
        {
            "name": st.name,
            "state": st.state,
            "up": st.up,
            "pid": st.pid,
            "address": st.address,
            "version": KAFKA_VERSION if st.name == KAFKA else ES_VERSION,
            "detail": st.detail,
        }
        for st in statuses.values()
    ]
    print(json.dumps({"up": all(s.up for s in statuses.values()), "services": services}))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="diplowire stack",
        description="Local Apache Kafka (KRaft) and Elasticsearch on 127.0.0.1, no Docker.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="download if needed, start, and wait until both answer")
    p_up.add_argument(
        "--timeout",
        type=float,
        default=None,
        help=f"seconds to wait for readiness (default {DEFAULT_TIMEOUT:.0f}, "
        "or DIPLOWIRE_STACK_TIMEOUT)",
    )
    p_up.add_argument("--json", action="store_true", help="one JSON object, not a table")
    sub.add_parser("down", help="stop the servers this stack started")
    p_status = sub.add_parser("status", help="show each server's state; exit 0 only if both are up")
    p_status.add_argument("--json", action="store_true", help="one JSON object, not a table")
    args = parser.parse_args(argv)
    show = _print_json if getattr(args, "json", False) else _print_status
    try:
        cfg = StackConfig.from_env(timeout=getattr(args, "timeout", None))
        if args.command == "up":
            statuses = up(cfg)
            show(statuses)
            return 0 if all(s.up for s in statuses.values()) else 1
        if args.command == "down":
            down(cfg)
            return 0
        statuses = status(cfg)
        show(statuses)
        return 0 if all(s.up for s in statuses.values()) else 1
    except StackError as exc:
        print(f"diplowire stack: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("diplowire stack: interrupted", file=sys.stderr)
        return 130
