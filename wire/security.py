"""Secure connections: the one place that turns settings into Kafka and Elasticsearch client
arguments, the typed refusal a bad credential or an untrusted certificate becomes, and the
masking that keeps secrets out of logs, ``config show`` and error messages.

Every Kafka client of the project (workers, ``topics``, ``lag``, ``deadletters``) is built from
:func:`kafka_client_config`, every Elasticsearch client from :func:`es_client_kwargs`
(through ``KafkaSettings.client_config`` and ``ElasticsearchSettings.client_kwargs``).
"""

from __future__ import annotations

import enum
import logging
import re
import ssl
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from diplowire.wire.settings import ElasticsearchSettings, KafkaSettings

EXIT_REFUSED = 7
"""``diplowire`` exit code when a server refused our credentials or we refused its certificate:
waiting cannot heal either, so the worker stops at once with one line saying which."""

MASK = "***"
log = logging.getLogger(__name__)
_warned_unverified = threading.Event()


class SecurityProtocol(enum.StrEnum):
    PLAINTEXT = "PLAINTEXT"
    SSL = "SSL"
    SASL_PLAINTEXT = "SASL_PLAINTEXT"
    SASL_SSL = "SASL_SSL"

    @property
    def tls(self) -> bool:
        return self in (SecurityProtocol.SSL, SecurityProtocol.SASL_SSL)

    @property
    def sasl(self) -> bool:
        return self in (SecurityProtocol.SASL_PLAINTEXT, SecurityProtocol.SASL_SSL)


class SaslMechanism(enum.StrEnum):
    PLAIN = "PLAIN"
    SCRAM_SHA_256 = "SCRAM-SHA-256"
    SCRAM_SHA_512 = "SCRAM-SHA-512"


class Refusal(enum.StrEnum):
    """Why a secured connection failed, as a label (logs, exit messages, tests)."""

    KAFKA_AUTH = "kafka_auth"
    """The broker refused the SASL credentials."""
    KAFKA_FORBIDDEN = "kafka_forbidden"
    """The broker's ACLs refuse the user an operation (topic, group, cluster)."""
    KAFKA_TLS = "kafka_tls"
    """The broker's certificate is not trusted (wrong CA, wrong host) or TLS failed."""
    ES_AUTH = "es_auth"
    """Elasticsearch answered 401: wrong password or API key."""
    ES_FORBIDDEN = "es_forbidden"
    """Elasticsearch answered 403: the user or key lacks a privilege."""
    ES_TLS = "es_tls"
    """Elasticsearch's certificate is not trusted, or it does not speak HTTPS."""


class AccessRefused(Exception):
    """A server refused us, or we refused it: not an outage, so never waited on."""

    def __init__(self, refusal: Refusal, service: str, where: str, detail: str) -> None:
        self.refusal = refusal
        self.service = service
        self.where = mask_url(where)
        self.detail = redact(" ".join(detail.split()))[:300]
        at = f" at {self.where}" if self.where else ""
        super().__init__(f"{self.service}{at} refused ({refusal.value}): {self.detail}")


# --------------------------------------------------------------------------- settings checks


def check_kafka(protocol: str, mechanism: str, username: str) -> str | None:
    """What is wrong with these Kafka security settings, or None."""
    try:
        proto = SecurityProtocol(protocol.upper())
    except ValueError:
        return f"kafka.security_protocol {protocol!r}: one of {', '.join(SecurityProtocol)}"
    if proto.sasl:
        try:
            SaslMechanism(mechanism.upper())
        except ValueError:
            return (
                f"kafka.sasl_mechanism {mechanism!r}: with {proto.value} one of "
                f"{', '.join(SaslMechanism)}"
            )
        if not username:
            return f"kafka.sasl_username is required with {proto.value}"
    elif mechanism:
        return f"kafka.sasl_mechanism is set but kafka.security_protocol {proto.value} has no SASL"
    return None


# --------------------------------------------------------------------------- client arguments


def kafka_client_config(k: KafkaSettings) -> dict[str, Any]:
    """kafka-python keyword arguments shared by producers, consumers and admin clients."""
    from diplowire.wire.kafka_compat import watch_auth_failures

    # A refused password must fail as such, not as an outage retried for ever (kafka_compat).
    watch_auth_failures()
    proto = SecurityProtocol(k.security_protocol.upper())
    cfg: dict[str, Any] = {
        "bootstrap_servers": k.bootstrap_servers.split(","),
        "security_protocol": proto.value,
    }
    if proto.sasl:
        cfg["sasl_mechanism"] = SaslMechanism(k.sasl_mechanism.upper()).value
        # kafka-python names the SCRAM credentials sasl_plain_* too.
        cfg["sasl_plain_username"] = k.sasl_username
        cfg["sasl_plain_password"] = k.sasl_password.reveal()
    if proto.tls:
        _tls_clients[:] = [k]  # the one a bootstrap timeout is diagnosed with (refusal_of)
        for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            _readable(f"kafka.{name}", getattr(k, name))
        cfg["ssl_check_hostname"] = k.ssl_check_hostname
        if k.ssl_cafile:
            cfg["ssl_cafile"] = k.ssl_cafile
        if k.ssl_certfile:
            cfg["ssl_certfile"] = k.ssl_certfile
            cfg["ssl_keyfile"] = k.ssl_keyfile or None
            if k.ssl_key_password:
                cfg["ssl_password"] = k.ssl_key_password.reveal()
    return cfg


def es_client_kwargs(e: ElasticsearchSettings) -> dict[str, Any]:
    """``Elasticsearch(**kwargs)`` for these settings: TLS trust and one kind of credentials."""
    kw: dict[str, Any] = {"hosts": [e.url], "request_timeout": e.request_timeout_s}
    if e.api_key:
        kw["api_key"] = e.api_key.reveal()
    elif e.username:
        kw["basic_auth"] = (e.username, e.password.reveal())
    if urlsplit(e.url).scheme == "https":
        _readable("elasticsearch.ca_certs", e.ca_certs)
        if e.ca_certs:
            kw["ca_certs"] = e.ca_certs
        kw["verify_certs"] = e.verify_certs
        if not e.verify_certs:
            # Said once here; urllib3's warning on every request would flood the log.
            kw["ssl_show_warn"] = False
            if not _warned_unverified.is_set():
                _warned_unverified.set()
                log.warning(
                    "elasticsearch.verify_certs is false: the certificate of %s is not checked "
                    "(anyone on the path can read the credentials); set elasticsearch.ca_certs",
                    mask_url(e.url),
                )
    return kw


# --------------------------------------------------------------------------- refusals


def refusal_of(exc: BaseException, service: str = "", where: str = "") -> AccessRefused | None:
    """The :class:`AccessRefused` that ``exc`` (or an error it was raised from) stands for."""
    if hasattr(exc, "kind") and hasattr(exc, "hint"):
        return None  # a diplowire.errors.UserError: it already says what happened and what to do
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        found = _classify(cur, service, where)
        if found is not None:
            return found
        cur = cur.__cause__ or cur.__context__
    return None


def _classify(exc: BaseException, service: str, where: str) -> AccessRefused | None:
    if isinstance(exc, AccessRefused):
        return exc
    from elastic_transport import TlsError
    from elasticsearch import AuthenticationException, AuthorizationException
    from kafka import errors as kerr

    from diplowire.wire.kafka_compat import last_auth_failure

    if isinstance(exc, AuthenticationException):
        return AccessRefused(Refusal.ES_AUTH, service or "Elasticsearch", where, _es_reason(exc))
    if isinstance(exc, AuthorizationException):
        return AccessRefused(
            Refusal.ES_FORBIDDEN, service or "Elasticsearch", where, _es_reason(exc)
        )
    if isinstance(exc, TlsError):
        return AccessRefused(Refusal.ES_TLS, service or "Elasticsearch", where, _tls_reason(exc))
    if isinstance(exc, kerr.SaslAuthenticationFailedError | kerr.UnsupportedSaslMechanismError):
        return AccessRefused(Refusal.KAFKA_AUTH, service or "Kafka", where, _kafka_reason(exc))
    if isinstance(exc, kerr.KafkaTimeoutError):
        # A bootstrap that timed out because the broker kept refusing our credentials.
        failure = last_auth_failure(clear=True)
        if failure is not None:
            return AccessRefused(
                Refusal.KAFKA_AUTH, service or "Kafka", where, _kafka_reason(failure)
            )
        # ...or because it never trusted the broker's certificate: one handshake tells.
        return _diagnose_tls()
    if isinstance(exc, kerr.AuthorizationError):
        return AccessRefused(Refusal.KAFKA_FORBIDDEN, service or "Kafka", where, _kafka_reason(exc))
    return None


_tls_clients: list[KafkaSettings] = []


def _readable(setting: str, path: str) -> None:
    """A configured certificate or key file that cannot be read stops start-up (exit 2): the
    clients would otherwise report it as a connection failure, retried for ever."""
    if not path:
        return
    from diplowire.wire.settings import SettingsError

    try:
        with open(path, "rb"):
            pass
    except OSError as exc:
        raise SettingsError(f"{setting} {path!r}: {_os_reason(exc)}") from None


def _diagnose_tls() -> AccessRefused | None:
    """The TLS refusal behind a Kafka bootstrap timeout of this process's TLS client, if any.

    The one-shot commands (``topics``, ``lag``, ``deadletters``) build clients without the
    workers' start-up probe; when one times out, a handshake with the same settings says
    whether the certificate was the reason."""
    if not _tls_clients:
        return None
    try:
        check_kafka_tls(_tls_clients[0])
    except AccessRefused as refused:
        return refused
    except (OSError, ValueError):
        return None  # down or unreachable: the timeout it was
    return None


def _os_reason(exc: BaseException) -> str:
    return str(getattr(exc, "strerror", None) or getattr(exc, "reason", None) or exc)


def _kafka_reason(exc: BaseException) -> str:
    """The broker's message without kafka-python's ``[Error 58] Name: Name:`` prefixes."""
    text = re.sub(r"^\[Error -?\d+\]\s*", "", str(exc))
    name = f"{type(exc).__name__}: "
    while text.startswith(name):
        text = text[len(name) :]
    return text or type(exc).__name__


def _es_reason(exc: Any) -> str:
    # The server's own reason names the user, never the password; the body can be long.
    try:
        return str(exc.body["error"]["reason"])
    except (KeyError, TypeError):
        # A HEAD request's answer has no body: the status is all there is.
        return f"HTTP {exc.status_code}"


def _tls_reason(exc: BaseException) -> str:
    text = str(exc)
    match = re.search(r"certificate verify failed: ([^(\]'\"]+)", text)
    if match:
        return f"certificate verify failed: {match.group(1).strip()}"
    return text


def check_kafka_tls(k: KafkaSettings, timeout_s: float = 3.0) -> None:
    """One TLS handshake with each bootstrap server, as kafka-python would make it.

    kafka-python treats a certificate it does not trust like a broker that is down, and retries
    for ever: a start-up would wait on a wrong CA without saying so. This check raises
    :class:`AccessRefused` (``kafka_tls``) instead. A server that does not answer at all raises
    ``OSError``: an outage, for the caller's waiting.
    """
    import socket

    proto = SecurityProtocol(k.security_protocol.upper())
    if not proto.tls:
        return
    from diplowire.wire.settings import SettingsError

    # An unreadable CA or key file is a setting to fix, not an outage to wait out (OSError).
    try:
        ctx = ssl.create_default_context(cafile=k.ssl_cafile or None)
    except (OSError, ValueError) as exc:
        raise SettingsError(f"kafka.ssl_cafile {k.ssl_cafile!r}: {_os_reason(exc)}") from None
    ctx.check_hostname = k.ssl_check_hostname
    if k.ssl_certfile:
        try:
            ctx.load_cert_chain(
                k.ssl_certfile, k.ssl_keyfile or None, k.ssl_key_password.reveal() or None
            )
        except (OSError, ValueError) as exc:
            raise SettingsError(
                f"kafka.ssl_certfile/ssl_keyfile {k.ssl_certfile!r}: {_os_reason(exc)}"
            ) from None
    for server in k.bootstrap_servers.split(","):
        host, _, port = server.strip().rpartition(":")
        host = host.strip("[]")
        with socket.create_connection((host, int(port)), timeout=timeout_s) as raw:
            try:
                with ctx.wrap_socket(raw, server_hostname=host):
                    pass
            except ssl.SSLCertVerificationError as exc:
                raise AccessRefused(
                    Refusal.KAFKA_TLS,
                    "Kafka",
                    server,
                    f"certificate verify failed: {exc.verify_message}",
                ) from None
            except ssl.SSLError as exc:
                raise AccessRefused(
                    Refusal.KAFKA_TLS, "Kafka", server, f"TLS handshake failed: {exc.reason}"
                ) from None


# --------------------------------------------------------------------------- masking

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
_USERINFO = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@"
)


def register_secret(value: str) -> None:
    """Remember ``value`` so :func:`redact` removes it from any text (logs, errors).

    Settings register every ``Secret`` they read and every password found in a URL, so a
    library that prints a credential in its own message cannot leak it either.
    """
    if len(value) >= 4:  # shorter ones would mask innocent text; none is that short in practice
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """``text`` with URL passwords and every registered secret replaced by ``***``."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{m['user']}:{MASK}@", text)
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def mask_url(url: str) -> str:
    """``url`` with the password of its user info masked (``https://u:***@host``)."""
    if "@" not in url or "://" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    netloc = f"{parts.username}:{MASK}@{host}" if parts.username else f":{MASK}@{host}"
    return urlunsplit(parts._replace(netloc=netloc))


def url_password(url: str) -> str:
    """The password in ``url``'s user info, or ``""``."""
    if "@" not in url or "://" not in url:
        return ""
    try:
        return urlsplit(url).password or ""
    except ValueError:
        return ""


class RedactingFilter(logging.Filter):
    """Removes secrets from every log record (message, arguments, traceback), installed on the
    handlers: the text and JSON formats both format the record this leaves."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_dw_redacted", False):
            return True
        record._dw_redacted = True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string is the logging module's to report
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            import traceback

            text = "".join(traceback.format_exception(*record.exc_info))
            if redact(text) != text:
                record.exc_text = redact(text).rstrip("\n")
                record.exc_info = None
        return True


def install_redacting_filter() -> RedactingFilter:
    """Adds one :class:`RedactingFilter` to every handler of the root logger."""
    flt = RedactingFilter()
    for handler in logging.getLogger().handlers:
        handler.addFilter(flt)
    return flt
