"""A private Kafka broker with a SASL_SSL listener (SCRAM-SHA-512) and a private Elasticsearch
node with security on and HTTPS, for the secure-connection tests (tests/wire/test_secure*.py).

Both run from the shared stack's cached jars and distribution, with their own directories and
free ports; the shared stack (security off) is never touched. Certificates come from
tests/support/tlscerts.py, made at test time.

The broker also keeps a PLAINTEXT listener, used only between broker and controller and by the
readiness probe (the stack's own hand-rolled Metadata request cannot speak TLS); clients under
test are given only the SASL_SSL port.
"""

from __future__ import annotations

import json
import secrets
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from diplowire import devstack as stk
from tests.support.esnode import EsNode
from tests.support.kafkanode import KafkaNode, free_port
from tests.support.tlscerts import Ca, make_server_cert

SCRAM_MECHANISM = "SCRAM-SHA-512"


def _run(cmd: list[str], what: str, **kwargs: Any) -> str:
    proc = subprocess.run(
        cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False, **kwargs
    )
    if proc.returncode != 0:
        out = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-5:])
        raise RuntimeError(f"{what} failed (exit {proc.returncode}): {out}")
    return proc.stdout


class SecureKafkaNode(KafkaNode):
    """One KRaft node whose client listener is SASL_SSL with a SCRAM-SHA-512 user."""

    def __init__(self, ca: Ca, username: str = "diplowire", password: str | None = None) -> None:
        super().__init__()
        self.ca = ca
        self.username = username
        # Random per run: a leak found by the tests is a real leak, not a constant in the code.
        self.password = password or "kafka-" + secrets.token_urlsafe(18)
        self.secure_port = free_port()

    @property
    def secure_bootstrap(self) -> str:
        return f"127.0.0.1:{self.secure_port}"

    def _properties(self, keystore: Path) -> str:
        plain = self.cfg.kafka_port
        props = stk.kafka_properties(self.cfg)
        listeners = f"PLAINTEXT://127.0.0.1:{plain},SASL_SSL://127.0.0.1:{self.secure_port}"
        props = props.replace(f"listeners=PLAINTEXT://127.0.0.1:{plain}", f"listeners={listeners}")
        props = props.replace(
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
            "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,"
            "SASL_SSL:SASL_SSL",
        )
        if "SASL_SSL://" not in props or "SASL_SSL:SASL_SSL" not in props:
            raise RuntimeError("the stack's Kafka properties changed: update SecureKafkaNode")
        return props + "\n".join(
            [
                f"sasl.enabled.mechanisms={SCRAM_MECHANISM}",
                "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config="
                "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                "ssl.keystore.type=PEM",
                f"ssl.keystore.location={keystore}",
                "",
            ]
        )

    def start(self, timeout: float = 90.0) -> None:
        d = self.cfg.kafka_dir
        for sub in ("data", "logs"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        server = make_server_cert(self.ca)
        keystore = d / "server.pem"
        keystore.write_bytes(server.key_pem + server.cert_pem)
        keystore.chmod(0o600)
        props = d / "server.properties"
        props.write_text(self._properties(keystore))
        log4j = d / "log4j2.properties"
        log4j.write_text(
            "status = warn\nappender.file.type = File\nappender.file.name = file\n"
            f"appender.file.fileName = {d / 'logs' / 'server.log'}\n"
            "appender.file.layout.type = PatternLayout\n"
            "appender.file.layout.pattern = [%d] %p %m (%c)%n\n"
            "rootLogger.level = info\nrootLogger.appenderRef.file.ref = file\n"
        )
        home, _ = stk.pick_jdk(*stk.jdk_range_for_kafka(), env_vars=("JAVA_HOME",))
        java = str(home / "bin" / "java")
        classpath = f"{self.cfg.kafka_libs}/*"
        # SCRAM credentials written at format time: the broker knows the user from its first
        # start, no admin call over a listener that would itself need the credentials.
        _run(
            [
                java,
                "-cp",
                classpath,
                "kafka.tools.StorageTool",
                "format",
                "--cluster-id",
                "c2VjdXJlLWRpcGxvd2lyZQ",
                "--config",
                str(props),
                "--add-scram",
                f"{SCRAM_MECHANISM}=[name={self.username},password={self.password}]",
            ],
            "formatting the secure broker's storage",
        )
        cmd = [
            java,
            "-Xms256m",
            "-Xmx512m",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dkafka.logs.dir={d / 'logs'}",
            f"-Dlog4j2.configurationFile={log4j}",
            "-cp",
            classpath,
            "kafka.Kafka",
            str(props),
        ]
        self.proc = stk.spawn(self.cfg, stk.KAFKA, cmd, None)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"secure broker exited: {self.log_tail()}")
            if stk.kafka_metadata_ok(self.port, timeout=1.0):
                return
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"secure broker not ready after {timeout:.0f}s: {self.log_tail()}")


class SecureEsNode(EsNode):
    """A node with x-pack security on, HTTPS on its HTTP port, a file-realm superuser, and an
    API key made through that user."""

    def __init__(self, ca: Ca) -> None:
        super().__init__()
        self.ca = ca
        self.username = "diplowire-admin"
        self.password = "es-" + secrets.token_urlsafe(18)
        self.api_key = ""
        self.ca_file = self.dir / "ca.pem"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.http_port}"

    def _prepare(self) -> tuple[list[str], dict[str, str]]:
        home = self.cfg.es_home
        conf = self.dir / "config"
        if not conf.exists():
            # prepare_node copies the distribution's config only when there is none: add the
            # certificates to it first, so its chown covers them.
            shutil.copytree(home / "config", conf)
        server = make_server_cert(self.ca)
        (conf / "http.crt").write_bytes(server.cert_pem)
        (conf / "http.key").write_bytes(server.key_pem)
        self.ca.write(self.ca_file)
        cmd, env = super()._prepare()
        yml = conf / "elasticsearch.yml"
        text = yml.read_text()
        if "xpack.security.enabled: false\n" not in text:
            raise RuntimeError("prepare_node's settings changed: update SecureEsNode")
        yml.write_text(
            text.replace(
                "xpack.security.enabled: false\n",
                "xpack.security.enabled: true\n"
                "xpack.security.http.ssl.enabled: true\n"
                "xpack.security.http.ssl.certificate: http.crt\n"
                "xpack.security.http.ssl.key: http.key\n"
                "xpack.security.authc.api_key.enabled: true\n",
            )
        )
        # A file-realm superuser: the distribution's own tool writes config/users (bcrypt).
        run_kwargs: dict[str, Any] = {"env": env}
        if self.owner is not None:
            run_kwargs.update(user=self.owner[0], group=self.owner[1], extra_groups=[])
        _run(
            [
                str(home / "bin" / "elasticsearch-users"),
                "useradd",
                self.username,
                "-p",
                self.password,
                "-r",
                "superuser",
            ],
            "elasticsearch-users useradd",
            **run_kwargs,
        )
        return cmd, env

    def _request(self, method: str, path: str, body: Any = None, *, auth: str | None = None) -> Any:
        import base64
        import ssl

        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        req = urllib.request.Request(f"{self.url}{path}", method=method)
        token = auth or base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, data=data, timeout=10, context=ctx) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{method} {path}: {exc.code} {exc.read()[:500]!r}") from None

    def healthy(self) -> bool:
        if not self.ca_file.exists():
            return False
        try:
            self._request("GET", "/_cluster/health?wait_for_status=yellow&timeout=1s")
            return True
        except (OSError, ValueError):
            return False

    def start(self, timeout: float = 120.0) -> None:
        super().start(timeout)
