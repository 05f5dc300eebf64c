"""Security settings, client arguments and masking (wire/security.py): pure functions and the
``diplowire config show`` command. The real secured stack is in test_secure_stack.py."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from diplowire.wire import kafka_compat, security
from diplowire.wire.logs import formatter
from diplowire.wire.settings import (
    ElasticsearchSettings,
    IndexSettings,
    KafkaSettings,
    Secret,
    SettingsError,
    describe,
    load,
)

KAFKA_PW = "kafka-pw-Zx81tQ"
ES_PW = "es-pw-Q7d9Lk"
API_KEY = "YXBpLWtleS1pZDphcGkta2V5LXNlY3JldA=="
URL_PW = "url-pw-77Hh"


def _secure_env(ca: str = "/etc/diplowire/ca.pem") -> dict[str, str]:
    """Secure settings; ``ca`` must exist where a client is built (it is read then)."""
    return {
        "DIPLOWIRE_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "DIPLOWIRE_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "DIPLOWIRE_KAFKA_SASL_USERNAME": "alice",
        "DIPLOWIRE_KAFKA_SASL_PASSWORD": KAFKA_PW,
        "DIPLOWIRE_KAFKA_SSL_CAFILE": ca,
        "DIPLOWIRE_ELASTICSEARCH_URL": f"https://bob:{URL_PW}@es.example:9200",
        "DIPLOWIRE_ELASTICSEARCH_PASSWORD": ES_PW,
        "DIPLOWIRE_ELASTICSEARCH_API_KEY": API_KEY,
        "DIPLOWIRE_ELASTICSEARCH_CA_CERTS": ca,
    }


def test_kafka_client_config_carries_sasl_and_tls_settings(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("a CA")
    s = load(IndexSettings, env=_secure_env(str(ca)))
    cfg = s.kafka.client_config()
    assert cfg["security_protocol"] == "SASL_SSL"
    assert cfg["sasl_mechanism"] == "SCRAM-SHA-512"
    assert cfg["sasl_plain_username"] == "alice"
    assert cfg["sasl_plain_password"] == KAFKA_PW  # revealed to the client only
    assert cfg["ssl_cafile"] == str(ca)
    assert cfg["ssl_check_hostname"] is True
    plain = KafkaSettings().client_config()
    assert plain["security_protocol"] == "PLAINTEXT"
    assert not any(k.startswith(("sasl_", "ssl_")) for k in plain)


def test_es_client_kwargs_carry_the_ca_and_one_kind_of_credentials(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("a CA")
    s = load(IndexSettings, env=_secure_env(str(ca))).elasticsearch
    kw = s.client_kwargs()
    assert kw["api_key"] == API_KEY and "basic_auth" not in kw  # the key wins over a password
    assert kw["ca_certs"] == str(ca) and kw["verify_certs"] is True
    basic = ElasticsearchSettings(url="https://h:1", username="u", password=Secret(ES_PW))
    assert basic.client_kwargs()["basic_auth"] == ("u", ES_PW)
    off = ElasticsearchSettings(url="https://h:1", verify_certs=False).client_kwargs()
    assert off["verify_certs"] is False and off["ssl_show_warn"] is False
    assert "verify_certs" not in ElasticsearchSettings().client_kwargs()  # http: no TLS at all


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"security_protocol": "SASL_TLS"}, "security_protocol"),
        ({"security_protocol": "SASL_SSL", "sasl_mechanism": "GSSAPI"}, "sasl_mechanism"),
        (
            {"security_protocol": "SASL_SSL", "sasl_mechanism": "PLAIN", "sasl_username": ""},
            "sasl_username",
        ),
        ({"security_protocol": "SSL", "sasl_mechanism": "PLAIN"}, "has no SASL"),
    ],
)
def test_bad_kafka_security_settings_are_refused_at_load(
    changes: dict[str, str], needle: str
) -> None:
    env = {f"DIPLOWIRE_KAFKA_{k.upper()}": v for k, v in changes.items()}
    with pytest.raises(SettingsError, match=needle):
        load(IndexSettings, env=env)


def test_describe_masks_secrets_and_url_passwords() -> None:
    text = "\n".join(describe(load(IndexSettings, env=_secure_env())))
    for secret in (KAFKA_PW, ES_PW, API_KEY, URL_PW):
        assert secret not in text
    assert "elasticsearch.url = https://bob:***@es.example:9200" in text
    assert "kafka.sasl_password = ***" in text


def test_redact_removes_registered_secrets_and_url_passwords() -> None:
    security.register_secret("s3cr3t-value")
    assert security.redact("auth s3cr3t-value failed") == "auth *** failed"
    assert security.redact("GET https://u:pw1234@h/x") == "GET https://u:***@h/x"
    assert security.mask_url("https://u:p@h:1/x") == "https://u:***@h:1/x"
    assert security.mask_url("https://h:1/x") == "https://h:1/x"


@pytest.mark.parametrize("kind", ["text", "json"])
def test_log_records_lose_secrets_in_both_formats(kind: str) -> None:
    load(IndexSettings, env=_secure_env())  # registers the secrets it reads
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter(kind))
    handler.addFilter(security.RedactingFilter())
    logger = logging.getLogger("test.secure.redact")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("connecting with %s to %s", KAFKA_PW, f"https://x:{URL_PW}@h")
        try:
            raise RuntimeError(f"refused key {API_KEY}")
        except RuntimeError:
            logger.exception("failed with %s", ES_PW)
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    for secret in (KAFKA_PW, ES_PW, API_KEY, URL_PW):
        assert secret not in text
    assert "refused key ***" in text  # the traceback is kept, redacted
    if kind == "json":
        lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
        assert len(lines) == 2 and "exception" in lines[1]


def test_config_show_masks_every_secret_in_text_and_json() -> None:
    env = {**os.environ, **_secure_env()}
    for extra in ([], ["--json"]):
        proc = subprocess.run(
            [sys.executable, "-m", "diplowire.cli", "config", "show", "--service", "index", *extra],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        out = proc.stdout + proc.stderr
        for secret in (KAFKA_PW, ES_PW, API_KEY, URL_PW):
            assert secret not in out
        assert "https://bob:***@es.example:9200" in out
        assert "kafka.ssl_cafile" in out  # the new settings are listed


def test_compat_fix_for_refused_sasl_credentials_is_installed() -> None:
    """Pins the kafka_compat workaround that makes a refused password a typed error: the
    transport's read loop is replaced once, and the bootstrap watch starts empty."""
    from kafka.net import transport

    KafkaSettings().client_config()
    assert transport.KafkaTCPTransport._read_from_sock is kafka_compat._read_from_sock
    assert transport.KafkaSSLTransport._read_from_sock is kafka_compat._read_from_sock
    kafka_compat.last_auth_failure(clear=True)
    assert kafka_compat.last_auth_failure() is None


def test_refusal_of_finds_the_cause_and_ignores_outages() -> None:
    from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig, TlsError
    from elasticsearch import AuthenticationException, ConnectionError

    meta = ApiResponseMeta(
        status=401,
        http_version="1.1",
        headers=HttpHeaders(),
        duration=0.0,
        node=NodeConfig("https", "h", 1),
    )
    auth = AuthenticationException("x", meta, {"error": {"reason": "unable to authenticate"}})
    try:
        try:
            raise auth
        except AuthenticationException as exc:
            raise RuntimeError("wrapped") from exc
    except RuntimeError as outer:
        found = security.refusal_of(outer, "Elasticsearch", "https://u:pw99@h:1")
    assert found is not None and found.refusal is security.Refusal.ES_AUTH
    assert "pw99" not in str(found) and "unable to authenticate" in str(found)
    tls = security.refusal_of(TlsError("certificate verify failed: self-signed certificate"))
    assert tls is not None and tls.refusal is security.Refusal.ES_TLS
    assert security.refusal_of(ConnectionError("refused")) is None


def test_unverified_https_is_warned_about_once(caplog: pytest.LogCaptureFixture) -> None:
    security._warned_unverified.clear()
    off = ElasticsearchSettings(url=f"https://u:{URL_PW}@h:1", verify_certs=False)
    with caplog.at_level(logging.WARNING, logger="diplowire.wire.security"):
        off.client_kwargs()
        off.client_kwargs()
    warnings = [r.getMessage() for r in caplog.records if "verify_certs" in r.getMessage()]
    assert len(warnings) == 1
    assert URL_PW not in warnings[0] and "https://u:***@h:1" in warnings[0]


def test_an_unreadable_ca_file_is_a_settings_error_not_an_outage(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-ca.pem")
    with pytest.raises(SettingsError, match=r"kafka\.ssl_cafile"):
        KafkaSettings(security_protocol="SSL", ssl_cafile=missing).client_config()
    with pytest.raises(SettingsError, match=r"elasticsearch\.ca_certs"):
        ElasticsearchSettings(url="https://h:1", ca_certs=missing).client_kwargs()
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    with pytest.raises(SettingsError, match=r"kafka\.ssl_cafile"):
        security.check_kafka_tls(KafkaSettings(security_protocol="SSL", ssl_cafile=str(garbage)))
