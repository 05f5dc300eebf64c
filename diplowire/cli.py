"""The ``diplowire`` command: one entry point for the stack, the workers and the tools.

Building the parser imports every stage's ``register`` module, so those modules import nothing
heavy at the top (kafka, elasticsearch, spaCy, prometheus_client load inside the commands):
``diplowire --help`` stays fast, and ``tests/test_cli.py`` checks that nothing heavy is loaded.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys

from diplowire import ops
from diplowire.enrich import cli as enrich_cli
from diplowire.errors import UserError
from diplowire.index import cli as index_cli
from diplowire.ingest import cli as ingest_cli
from diplowire.ingest.feeds import FeedListError
from diplowire.wire.settings import SettingsError

log = logging.getLogger("diplowire")

# Not __doc__: help text is plain text, and the docstring is written for the code's readers.
DESCRIPTION = "One entry point for the local stack, the pipeline's workers and the tools."


class _VersionAction(argparse.Action):
    """``--version``: the installed distribution's version, read only when asked for."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help=str(kwargs.get("help", "")))

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(f"diplowire {version()}")
        parser.exit()


def version() -> str:
    """The version pip installed (pyproject.toml's), not a second copy kept in the code."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("diplowire")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown (not installed)"


def _setup_logging(verbose: bool, log_format: str | None = None) -> None:
    from diplowire.wire.logs import formatter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(log_format or os.environ.get("DIPLOWIRE_LOG_FORMAT", "text")))
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, handlers=[handler])
    # The Kafka client is chatty at INFO about every connection.
    logging.getLogger("kafka").setLevel(logging.WARNING)
    # ...but a consumer group's joins, assignments and revocations are rare and are what an
    # operator needs to see when work moves between workers.
    logging.getLogger("kafka.coordinator").setLevel(logging.INFO)
    logging.getLogger("elastic_transport").setLevel(logging.WARNING)
    from diplowire.wire.startup import install_outage_filter

    # ...and logs every failed reconnection at WARNING/ERROR: an outage must stay readable.
    install_outage_filter(verbose=verbose)
    if not verbose:
        from diplowire.wire.kafka_compat import quiet_slow_task_warnings

        # kafka-python's warnings about its own event loop's slow steps (a busy machine).
        quiet_slow_task_warnings()
    from diplowire.wire.security import install_redacting_filter

    # Passwords and API keys never reach the log, whoever formats them (wire/security.py).
    install_redacting_filter()


def cmd_stack(args: argparse.Namespace) -> int:
    from diplowire import devstack as stack

    # `down` prints nothing to format: --json is for up and status.
    as_json = args.json and args.action != "down"
    return stack.main([args.action, *(["--json"] if as_json else [])])


def cmd_run(args: argparse.Namespace) -> int:
    from diplowire.run import run_local

    return run_local(args)


def cmd_schema(args: argparse.Namespace) -> int:
    from diplowire.wire.article import json_schema

    print(json.dumps(json_schema(args.kind), indent=2, ensure_ascii=False))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="diplowire", description=DESCRIPTION)
    p.add_argument("--version", action=_VersionAction, help="print the version and exit")
    p.add_argument("--config", help="YAML settings file (also DIPLOWIRE_CONFIG)")
    p.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    p.add_argument(
        "--log-format",
        choices=["text", "json"],
        help="log lines as text (default) or json, one JSON object a line "
        "(also DIPLOWIRE_LOG_FORMAT)",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("stack", help="start/stop the local Kafka + Elasticsearch")
    s.add_argument(
        "action",
        choices=["up", "down", "status"],
        help="up: download if needed, start both and wait until they answer; "
        "down: stop the servers this stack started; "
        "status: each one's state (exit 0 only if both are up)",
    )
    s.add_argument("--json", action="store_true", help="up, status: one JSON object, not a table")
    s.set_defaults(func=cmd_stack)

    # Each stage owns its subcommands; this module only assembles them.
    ingest_cli.register(sub)
    enrich_cli.register(sub)
    index_cli.register(sub)
    # Operator commands: topics, lag, deadletters, config.
    ops.register(sub)

    s = sub.add_parser("schema", help="print the JSON Schema of a message kind")
    s.add_argument(
        "kind",
        choices=["raw", "enriched"],
        help="raw: an article as the poller publishes it; enriched: with the enricher's facts",
    )
    s.set_defaults(func=cmd_schema)

    s = sub.add_parser("run", help="the whole pipeline locally on the bundled sample feeds")
    s.add_argument("--feeds", help="feed list instead of the bundled sample feeds")
    s.add_argument("--no-stack", action="store_true", help="do not start the local stack")
    s.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for indexing")
    s.add_argument("--state-dir", default=None, help="poller state directory")
    s.set_defaults(func=cmd_run)
    return p


def _reader_gone() -> int:
    """Exit 0 when the reader of our output went away (`| head`): it got what it wanted. stdout
    goes to /dev/null so that the interpreter's last flush stays quiet."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except BrokenPipeError:
        # --version and --help print while the arguments are parsed.
        if not _stdout_closed():
            raise
        return _reader_gone()
    try:
        _setup_logging(args.verbose, args.log_format)
    except ValueError as exc:  # a bad DIPLOWIRE_LOG_FORMAT
        print(f"diplowire: bad settings: {exc}", file=sys.stderr)
        return 2
    from diplowire.wire.envcheck import warn_unknown

    # A misspelt DIPLOWIRE_* variable is otherwise silently ignored: name it and its fix.
    warn_unknown()
    try:
        return int(args.func(args))
    except SettingsError as exc:
        print(f"diplowire: bad settings: {exc}", file=sys.stderr)
        return 2
    except FeedListError as exc:
        print(f"diplowire {args.command}: {exc}", file=sys.stderr)
        return 2
    except UserError as exc:
        # Raised where the context is known (URL, index, file): its lines say what to do.
        return exc.report(args.command)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if isinstance(exc, BrokenPipeError) and _stdout_closed():
            # No server is missing (a BrokenPipeError is a ConnectionError: it would say exit 5).
            return _reader_gone()
        from diplowire.errors import explain
        from diplowire.wire.loop import WorkerStopped
        from diplowire.wire.security import EXIT_REFUSED, redact, refusal_of
        from diplowire.wire.startup import EXIT_STARTUP_TIMEOUT, StartupStopped, StartupTimeout

        refused = refusal_of(exc)
        if refused is not None:
            # Wrong credentials or CA: no traceback, one line that names neither secret.
            print(f"diplowire {args.command}: {refused}", file=sys.stderr)
            return EXIT_REFUSED
        explained = explain(exc)
        if explained is not None:
            # A timeout or refused connection of the Kafka or Elasticsearch client: one line
            # and a hint, not the library's repr (diplowire/errors.py).
            return explained.report(args.command)
        if isinstance(exc, StartupTimeout):
            print(f"diplowire {args.command}: gave up waiting: {exc}", file=sys.stderr)
            return EXIT_STARTUP_TIMEOUT
        if isinstance(exc, StartupStopped):
            return 0  # SIGTERM before the worker started: a clean stop
        if isinstance(exc, WorkerStopped):
            print(f"diplowire {args.command}: stopped: {exc}", file=sys.stderr)
            return 4
        if _is_connection_error(exc):
            line = redact(f"{exc.__class__.__name__}: {exc}")
            print(f"diplowire {args.command}: {line}", file=sys.stderr)
            return 5
        raise


def _stdout_closed() -> bool:
    """True when stdout is a pipe whose reader has closed it (poll says POLLERR)."""
    import select

    try:
        poller = select.poll()
        poller.register(sys.stdout.fileno(), select.POLLOUT)
        return any(event & select.POLLERR for _, event in poller.poll(0))
    except (OSError, ValueError, AttributeError):  # no fileno (a test's StringIO), no poll
        return False


def _is_connection_error(exc: Exception) -> bool:
    from elastic_transport import ConnectionError as ESConnectionError
    from kafka.errors import KafkaTimeoutError

    return isinstance(exc, KafkaTimeoutError | ESConnectionError | ConnectionError)


if __name__ == "__main__":
    sys.exit(main())
