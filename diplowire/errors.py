"""What went wrong, in words a person can act on: one table of error kinds and exit codes.

Every command ends a failure it can name with one or two lines on stderr (what is wrong, then
what to do) and the exit code of its kind, instead of a traceback. Code that knows the context
(which URL, which index, which file) raises :class:`UserError`; :func:`explain` turns the library
errors that reach ``diplowire.cli.main`` without one (a Kafka or Elasticsearch timeout) into a
:class:`UserError` too. Nothing heavy is imported here: ``--help`` must stay fast.
"""

from __future__ import annotations

import difflib
import enum
import re
import sys
from collections.abc import Iterable
from typing import TextIO


class ErrorKind(enum.Enum):
    """A class of failure and its exit code (the README's "Errors and exit codes" table)."""

    FAILED = 1
    """The command ran and reports a failure (a check that does not hold, documents not copied)."""
    USAGE = 2
    """Bad arguments, settings, filters or feed list: fix the command line or the config."""
    PARTIAL = 3
    """``poll --once``: a feed failed or its articles were not published."""
    STOPPED = 4
    """A worker stopped on an error it cannot heal by waiting (see docs/workers.md)."""
    CONNECTION = 5
    """A server is not there: connection refused, unreachable, or no answer in time."""
    STARTUP_TIMEOUT = 6
    """A worker gave up waiting for Kafka or Elasticsearch after ``startup_timeout_s``."""
    REFUSED = 7
    """A server refused the credentials, or its certificate was refused (wire/security.py)."""
    NOT_FOUND = 8
    """What the command reads does not exist yet: no index or alias (nothing indexed)."""
    PROTOCOL = 9
    """Something answered, but it is not Elasticsearch: a wrong URL or port."""
    INTERRUPTED = 130
    """Ctrl-C outside a worker's orderly stop."""

    @property
    def exit_code(self) -> int:
        return int(self.value)


class UserError(Exception):
    """A failure with its kind, a one-line message and a one-line hint (what to do)."""

    def __init__(self, kind: ErrorKind, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.hint = hint

    def lines(self, command: str) -> list[str]:
        """At most two lines: ``diplowire <command>: <message>`` and the hint, indented."""
        head = f"diplowire {command}: {self.message}" if command else f"diplowire: {self.message}"
        lines = [head, f"  {self.hint}"] if self.hint else [head]
        return [mask_userinfo(line) for line in lines]

    def report(self, command: str, out: TextIO | None = None) -> int:
        """Print :meth:`lines` on stderr; the exit code of the kind."""
        print("\n".join(self.lines(command)), file=out or sys.stderr)
        return self.kind.exit_code


_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@/\s]*@", re.I)


def mask_userinfo(text: str) -> str:
    """A password written into a URL (``https://user:pass@host``) shown as ``***``."""
    return _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)


def closest(value: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The valid value nearest to a misspelt one (difflib's ratio), or None if none is close."""
    options = list(choices)
    hit = difflib.get_close_matches(value, options, n=1, cutoff=cutoff)
    if hit:
        return hit[0]
    # Case and separators differ more often than letters: compare folded forms too.
    folded = {o.casefold().replace("-", "_"): o for o in options}
    hit = difflib.get_close_matches(value.casefold().replace("-", "_"), folded, n=1, cutoff=cutoff)
    return folded[hit[0]] if hit else None


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """`` (did you mean X?)`` or an empty string."""
    hit = closest(value, choices)
    return f" (did you mean {hit}?)" if hit else ""


def explain(exc: BaseException) -> UserError | None:
    """The :class:`UserError` for an error that reached the command line without one, or None
    (then ``main`` has its own line for it, or it is a bug and the traceback is the output)."""
    if isinstance(exc, UserError):
        return exc
    return _library_error(exc)


def _library_error(exc: BaseException) -> UserError | None:
    from elastic_transport import ConnectionError as ESConnectionError
    from elastic_transport import ConnectionTimeout
    from kafka.errors import KafkaConnectionError, KafkaTimeoutError

    if isinstance(exc, ConnectionTimeout):
        return UserError(
            ErrorKind.CONNECTION,
            f"Elasticsearch did not answer in time: {_short(exc)}",
            "check elasticsearch.url (DIPLOWIRE_ELASTICSEARCH_URL) and the server's health",
        )
    if isinstance(exc, ESConnectionError):
        return UserError(
            ErrorKind.CONNECTION,
            "cannot connect to Elasticsearch",
            "start it (`diplowire stack up`) "
            "or set elasticsearch.url (DIPLOWIRE_ELASTICSEARCH_URL)",
        )
    if isinstance(exc, KafkaConnectionError | KafkaTimeoutError):
        return UserError(
            ErrorKind.CONNECTION,
            f"Kafka did not answer: {_short(exc)}",
            "start it (`diplowire stack up`) or set kafka.bootstrap_servers "
            "(DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS)",
        )
    return None


def _short(exc: BaseException) -> str:
    """``Type: message`` on one line, without the repetitions some libraries add."""
    name = type(exc).__name__
    text = " ".join(str(exc).split())
    while text.startswith(f"{name}: "):
        text = text[len(name) + 2 :]
    return f"{name}: {text}"[:300] if text else name
