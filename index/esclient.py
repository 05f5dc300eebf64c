"""Elasticsearch for the commands a person waits on (``search``, ``index status|migrate``).

The workers' client retries and waits (an outage heals); a person at a prompt wants one attempt
and a sentence. So these commands use :func:`interactive_client` (no retries, no retry-on-timeout,
elastic_transport's per-attempt warnings silenced unless ``-v``), call :func:`check` first (one
``HEAD /{index}`` bounded to :data:`PROBE_TIMEOUT_S`: a dead, silent or wrong server, or a missing
index, is found out before anything slow such as loading spaCy), and run their requests inside
:func:`explained`, which turns the client's exceptions into :class:`~diplowire.errors.UserError`
naming the URL and the index.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from elastic_transport import ConnectionError as TransportConnectionError
from elastic_transport import ConnectionTimeout, SerializationError
from elasticsearch import ApiError, Elasticsearch, UnsupportedProductError

from diplowire.errors import ErrorKind, UserError
from diplowire.wire.settings import ElasticsearchSettings

PROBE_TIMEOUT_S = 3.0
"""The first request's bound: a server that accepts connections and never answers is given up on
in this long (the issue's case hung 30 s, then retried)."""

_URL_HINT = "set elasticsearch.url (DIPLOWIRE_ELASTICSEARCH_URL) to an Elasticsearch 8 server"


def interactive_client(settings: ElasticsearchSettings) -> Elasticsearch:
    """A client that tries each request once: the person at the prompt is the retry policy."""
    if not logging.getLogger("diplowire").isEnabledFor(logging.DEBUG):
        # Its "node failed, putting on timeout" warnings repeat what the one error line says.
        logging.getLogger("elastic_transport").setLevel(logging.ERROR)
    return Elasticsearch(**settings.client_kwargs(), max_retries=0, retry_on_timeout=False)


def check(es: Elasticsearch, settings: ElasticsearchSettings, index: str | None = None) -> None:
    """Raise :class:`UserError` unless Elasticsearch answers within the probe bound and has
    ``index`` (an index or an alias; default: the configured alias)."""
    name = index or settings.index_prefix
    with explained(settings, index=name, timeout_s=PROBE_TIMEOUT_S):
        # HEAD /{name}: cheap, allowed to a reader, and Elasticsearch names itself in the answer.
        found = es.options(request_timeout=PROBE_TIMEOUT_S).indices.exists(index=name)
    if not found:
        raise nothing_indexed(settings, name)


@contextmanager
def explained(
    settings: ElasticsearchSettings, *, index: str | None = None, timeout_s: float | None = None
) -> Iterator[None]:
    """Re-raise the Elasticsearch client's errors as :class:`UserError` with what to do."""
    url = settings.url
    try:
        yield
    except ConnectionTimeout as exc:
        waited = timeout_s if timeout_s is not None else settings.request_timeout_s
        raise UserError(
            ErrorKind.CONNECTION,
            f"no answer from {url} within {waited:g} s",
            f"is Elasticsearch's HTTP port there and healthy? Otherwise {_URL_HINT}",
        ) from exc
    except TransportConnectionError as exc:
        raise UserError(
            ErrorKind.CONNECTION,
            f"cannot connect to Elasticsearch at {url} ({_reason(exc)})",
            f"start it (`diplowire stack up`) or {_URL_HINT}",
        ) from exc
    except (UnsupportedProductError, SerializationError) as exc:
        raise _not_elasticsearch(url, exc) from exc
    except ApiError as exc:
        raise _api_error(settings, exc, index) from exc


def _api_error(settings: ElasticsearchSettings, exc: ApiError, index: str | None) -> UserError:
    url = settings.url
    if exc.status_code in (401, 403):
        return UserError(
            ErrorKind.REFUSED,
            f"Elasticsearch at {url} refused the credentials (HTTP {exc.status_code})",
            "set elasticsearch.api_key, or elasticsearch.username and elasticsearch.password",
        )
    if exc.meta.headers.get("x-elastic-product", "") != "Elasticsearch":
        # Elasticsearch names itself on every answer, errors included (8.x): this is not it.
        # (A refused login is checked first: a proxy in front may answer it for Elasticsearch.)
        return _not_elasticsearch(url, exc)
    if exc.error == "index_not_found_exception":
        return nothing_indexed(settings, index or settings.index_prefix)
    return UserError(
        ErrorKind.FAILED,
        f"Elasticsearch at {url} refused the request (HTTP {exc.status_code}, {exc.error})",
    )


def nothing_indexed(settings: ElasticsearchSettings, name: str) -> UserError:
    return UserError(
        ErrorKind.NOT_FOUND,
        f"nothing indexed yet: no index or alias {name} at {settings.url}",
        "index articles first (`diplowire run` for the demo, or `diplowire index`), "
        "or set elasticsearch.index_prefix to the alias that holds them",
    )


def _not_elasticsearch(url: str, exc: Exception) -> UserError:
    status = getattr(getattr(exc, "meta", None), "status", None)
    answer = f"HTTP {status}" if status is not None else type(exc).__name__
    return UserError(
        ErrorKind.PROTOCOL,
        f"{url} answered, but it is not Elasticsearch ({answer})",
        _URL_HINT[0].upper() + _URL_HINT[1:],
    )


def _reason(exc: BaseException) -> str:
    """The socket error under the client's wrappers (``Connection refused``), else the type."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        if isinstance(cur, OSError) and cur.strerror:
            return cur.strerror
        cur = cur.__cause__ or cur.__context__
    errors = getattr(exc, "errors", ())
    for inner in errors:
        if isinstance(inner, BaseException) and inner is not exc:
            return _reason(inner)
    return type(exc).__name__
