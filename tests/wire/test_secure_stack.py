"""Secure connections for real: a private broker with a SASL_SSL listener (SCRAM-SHA-512) and a
private Elasticsearch with security on and HTTPS, both trusting a CA made at test time.

The enricher and the indexer run as processes (``diplowire enrich`` / ``index``) through those
connections and their articles land in Elasticsearch; a wrong password, an API key that does
not exist, or a CA that did not sign the server's certificate each end the worker with exit 7
and one line naming the refusal, no traceback. No secret appears in their logs (text and
JSON), in their /metrics, or in those lines.

Elasticsearch's API keys cannot be *created* on the integration-test distribution: they live in
the ``.security`` index, whose mapping needs the ``analysis-common`` module that distribution
does not ship. The indexer authenticates with a file-realm user here; the API-key path is run
against the same node with a key it does not know (refused, 401).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from diplowire.wire.admin import ensure_topics
from diplowire.wire.article import encode
from diplowire.wire.security import EXIT_REFUSED, Refusal
from diplowire.wire.settings import ElasticsearchSettings, IndexSettings, KafkaSettings, load
from tests.support import es_count, wait_for
from tests.support.kafkanode import free_port
from tests.support.messages import hex_id, make_article, produce_values
from tests.support.securenodes import SCRAM_MECHANISM, SecureEsNode, SecureKafkaNode
from tests.support.tlscerts import make_ca
from tests.support.workers import start_cli, stop_worker

ARTICLES = 6
BOGUS_API_KEY = "ZGlwbG93aXJlLW5vLXN1Y2gta2V5OnNlY3JldC12YWx1ZS0xMjM0NQ=="


@dataclass(frozen=True)
class SecureStack:
    kafka: SecureKafkaNode
    es: SecureEsNode
    ca_file: Path
    stranger_ca_file: Path

    def env(self, prefix: str, **changes: str) -> dict[str, str]:
        """The workers' environment for this stack (``changes``: DIPLOWIRE_* overrides)."""
        base = {
            "DIPLOWIRE_KAFKA_BOOTSTRAP_SERVERS": self.kafka.secure_bootstrap,
            "DIPLOWIRE_KAFKA_TOPIC_PREFIX": prefix,
            "DIPLOWIRE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "DIPLOWIRE_KAFKA_SASL_MECHANISM": SCRAM_MECHANISM,
            "DIPLOWIRE_KAFKA_SASL_USERNAME": self.kafka.username,
            "DIPLOWIRE_KAFKA_SASL_PASSWORD": self.kafka.password,
            "DIPLOWIRE_KAFKA_SSL_CAFILE": str(self.ca_file),
            "DIPLOWIRE_ELASTICSEARCH_URL": self.es.url,
            "DIPLOWIRE_ELASTICSEARCH_USERNAME": self.es.username,
            "DIPLOWIRE_ELASTICSEARCH_PASSWORD": self.es.password,
            "DIPLOWIRE_ELASTICSEARCH_CA_CERTS": str(self.ca_file),
            "DIPLOWIRE_ELASTICSEARCH_INDEX_PREFIX": f"{prefix}-articles",
            "DIPLOWIRE_LOOP_BATCH_MAX_WAIT_MS": "100",
        }
        return {**base, **{f"DIPLOWIRE_{k.upper()}": v for k, v in changes.items()}}

    def settings(self, prefix: str) -> tuple[KafkaSettings, ElasticsearchSettings]:
        s = load(IndexSettings, env=self.env(prefix))
        return s.kafka, s.elasticsearch

    @property
    def secrets(self) -> list[str]:
        return [self.kafka.password, self.es.password, BOGUS_API_KEY]


@pytest.fixture(scope="module")
def secure(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureStack]:
    """Both private nodes, started side by side (each takes 30-90 s on a busy 2-core machine)."""
    ca, stranger = make_ca(), make_ca("a CA nobody here trusts")
    tmp = tmp_path_factory.mktemp("secure")
    ca_file, stranger_file = ca.write(tmp / "ca.pem"), stranger.write(tmp / "stranger.pem")
    kafka, es = SecureKafkaNode(ca), SecureEsNode(ca)
    errors: list[BaseException] = []

    def start(node: SecureKafkaNode | SecureEsNode) -> None:
        try:
            node.start(timeout=150)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(n,)) for n in (kafka, es)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            pytest.fail(f"the secured private nodes did not start: {errors[0]}", pytrace=False)
        yield SecureStack(kafka, es, ca_file, stranger_file)
    finally:
        kafka.destroy()
        es.destroy()


def _run(env: dict[str, str], *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "diplowire.cli", *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _metrics(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
        return resp.read().decode()


def _assert_no_secret(text: str, secrets: list[str], where: str) -> None:
    for secret in secrets:
        assert secret not in text, f"a secret appears in {where}"


def test_enrich_and_index_carry_articles_over_sasl_ssl_and_https(
    secure: SecureStack, ns: str, tmp_path: Path
) -> None:
    kafka, es_settings = secure.settings(ns)
    ensure_topics(kafka)
    arts = [make_article(id=hex_id(f"{ns}-{i}"), title=f"Title {i}") for i in range(ARTICLES)]
    produce_values(kafka, kafka.topics.raw, [encode(a) for a in arts])

    enrich_port, index_port = free_port(), free_port()
    enrich_log, index_log = tmp_path / "enrich.log", tmp_path / "index.log"
    # One worker logs text, the other JSON: the secrets must stay out of both formats.
    enrich = start_cli(secure.env(ns, observe_port=str(enrich_port)), enrich_log, "-v", "enrich")
    index = start_cli(
        secure.env(ns, observe_port=str(index_port), log_format="json"), index_log, "-v", "index"
    )
    es = Elasticsearch(**es_settings.client_kwargs())
    try:
        alias = es_settings.index_prefix
        wait_for(lambda: es_count(es, alias) == ARTICLES, 150, "articles indexed over HTTPS")
        scraped = _metrics(enrich_port) + _metrics(index_port)
        assert "diplowire_" in scraped  # the workers' own metrics, not an empty page
    finally:
        for proc, log in ((enrich, enrich_log), (index, index_log)):
            if proc.poll() is None:
                stop_worker(proc, log)
        es.close()
    ids = {h["_id"] for h in es_search_all(es_settings, alias)}
    assert ids == {a.id for a in arts}
    logs = enrich_log.read_text() + index_log.read_text()
    assert '"level"' in index_log.read_text()  # the JSON format was on
    assert "***" in logs  # -v logs the settings, masked
    _assert_no_secret(logs, secure.secrets, "the workers' logs")
    _assert_no_secret(scraped, secure.secrets, "/metrics")


def es_search_all(es_settings: ElasticsearchSettings, alias: str) -> list[dict[str, object]]:
    es = Elasticsearch(**es_settings.client_kwargs())
    try:
        return list(es.search(index=alias, size=100)["hits"]["hits"])
    finally:
        es.close()


REFUSALS = {
    "kafka-password": ("enrich", {"kafka_sasl_password": "wrong-kafka-password-4711"}),
    "kafka-ca": ("enrich", {"kafka_ssl_cafile": "STRANGER"}),
    "es-password": ("index", {"elasticsearch_password": "wrong-es-password-4711"}),
    "es-api-key": ("index", {"elasticsearch_api_key": BOGUS_API_KEY}),
    "es-ca": ("index", {"elasticsearch_ca_certs": "STRANGER"}),
}
EXPECTED = {
    "kafka-password": Refusal.KAFKA_AUTH,
    "kafka-ca": Refusal.KAFKA_TLS,
    "es-password": Refusal.ES_AUTH,
    "es-api-key": Refusal.ES_AUTH,
    "es-ca": Refusal.ES_TLS,
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_refused_connection_is_one_typed_line(secure: SecureStack, ns: str, case: str) -> None:
    service, changes = REFUSALS[case]
    changes = {
        k: str(secure.stranger_ca_file) if v == "STRANGER" else v for k, v in changes.items()
    }
    # Not waited on: no startup timeout is set, so only the refusal itself can end the worker.
    started = time.monotonic()
    # Without -v, as an operator runs it (with -v the libraries' tracebacks are kept on purpose).
    proc = _run(secure.env(ns, **changes), service, timeout=120)
    took = time.monotonic() - started
    out = proc.stdout + proc.stderr
    assert proc.returncode == EXIT_REFUSED, f"exit {proc.returncode}:\n{out[-3000:]}"
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"diplowire {service}: ")
    assert f"({EXPECTED[case].value})" in last
    assert "Traceback" not in out
    wrong = [v for k, v in changes.items() if k.endswith(("password", "api_key"))]
    _assert_no_secret(out, [*secure.secrets, *wrong], "a refused worker's output")
    assert took < 60, f"the refusal took {took:.0f} s: was it waited on?"


def test_a_one_shot_command_names_an_untrusted_certificate(secure: SecureStack, ns: str) -> None:
    """``topics ensure`` has no start-up probe: kafka-python's bootstrap times out (~30 s), and
    a handshake with the same settings then says why (wire/security.py)."""
    env = secure.env(ns, kafka_ssl_cafile=str(secure.stranger_ca_file))
    proc = _run(env, "topics", "ensure", timeout=150)
    out = proc.stdout + proc.stderr
    assert proc.returncode == EXIT_REFUSED, f"exit {proc.returncode}:\n{out[-3000:]}"
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("diplowire topics: ") and f"({Refusal.KAFKA_TLS.value})" in last
    assert "Traceback" not in out
    _assert_no_secret(out, secure.secrets, "a refused command's output")
