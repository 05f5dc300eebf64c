"""Log lines as JSON (``--log-format json`` or ``DIPLOWIRE_LOG_FORMAT=json``), one object a line.

Each line has ``time`` (ISO 8601 UTC), ``level``, ``logger`` and ``message``, plus ``stage``,
``article_id`` and ``error`` when the call passed them with ``extra=`` (the loop's dead-letter
line does), and ``exception`` when there is a traceback. The outage filter
(:class:`wire.startup.OutageLogFilter`) sits on the handler and rewrites the record before
formatting, so it works the same with either format.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
EXTRA_FIELDS = ("stage", "article_id", "error")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in EXTRA_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:  # a traceback a filter already rewrote (wire/security.py)
            line["exception"] = record.exc_text
        # default=str: a library's extra value that JSON cannot hold still makes a line.
        return json.dumps(line, ensure_ascii=False, default=str)


def formatter(kind: str) -> logging.Formatter:
    if kind not in FORMATS:
        raise ValueError(f"log format {kind!r}: expected one of {', '.join(FORMATS)}")
    return JsonFormatter() if kind == "json" else logging.Formatter(TEXT_FORMAT)
