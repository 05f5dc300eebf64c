"""Local Kafka + Elasticsearch stack for development and CI: ``diplowire stack up|down|status``.

There is no Docker and no internet on the machines this project runs on, only package
registries, so both servers come from Maven Central:

* Apache Kafka (KRaft, one combined broker+controller node) runs straight from the jars that
  ``mvn`` resolves from ``deploy/local/pom.xml``.
* Elasticsearch runs from the ``integ-test-zip`` distribution, the only ES distribution that
  Maven Central publishes (and only up to 8.19.x).

Downloads are cached under ``~/.cache/diplowire`` (``DIPLOWIRE_CACHE_DIR``); data, logs and pid
files live in ``<project>/.stack`` (``DIPLOWIRE_STACK_DIR``). Everything listens on 127.0.0.1.
Standard library only: this must work before (and without) the project's dependencies.

Modules: ``config`` (versions, ports, directories), ``procs`` (pid files, logs, ports, spawn and
stop), ``jdk``, ``fetch`` (Maven downloads), ``kafka``, ``elasticsearch`` (with its system
user), ``lifecycle`` (up, down, status) and ``cli``. The names below are the public API: the CLI,
``diplowire run`` and the tests' throwaway nodes (tests/support, tests/fault/privstack.py) use
them, so a private server runs from the same code as the shared one.
"""

from __future__ import annotations

from diplowire.devstack.cli import main
from diplowire.devstack.config import (
    DEFAULT_ES_URL,
    DEFAULT_KAFKA_BOOTSTRAP,
    DEFAULT_TIMEOUT,
    ES,
    ES_USER,
    ES_VERSION,
    HOST,
    KAFKA,
    KAFKA_HEAP,
    KAFKA_VERSION,
    SERVICES,
    StackConfig,
    StackError,
    es_port,
    es_url,
    kafka_bootstrap,
    kafka_controller_port,
    kafka_port,
    others_can_traverse,
)
from diplowire.devstack.elasticsearch import es_health, es_owner, es_yml
from diplowire.devstack.fetch import chown_tree
from diplowire.devstack.jdk import jdk_range_for_elasticsearch, jdk_range_for_kafka, pick_jdk
from diplowire.devstack.kafka import kafka_metadata_ok, kafka_properties, prepare_kafka
from diplowire.devstack.lifecycle import ServiceStatus, down, status, up
from diplowire.devstack.procs import alive, read_pid, service_pids, spawn, stop_pids, tail

__all__ = [
    "DEFAULT_ES_URL",
    "DEFAULT_KAFKA_BOOTSTRAP",
    "DEFAULT_TIMEOUT",
    "ES",
    "ES_USER",
    "ES_VERSION",
    "HOST",
    "KAFKA",
    "KAFKA_HEAP",
    "KAFKA_VERSION",
    "SERVICES",
    "ServiceStatus",
    "StackConfig",
    "StackError",
    "alive",
    "chown_tree",
    "down",
    "es_health",
    "es_owner",
    "es_port",
    "es_url",
    "es_yml",
    "jdk_range_for_elasticsearch",
    "jdk_range_for_kafka",
    "kafka_bootstrap",
    "kafka_controller_port",
    "kafka_metadata_ok",
    "kafka_port",
    "kafka_properties",
    "main",
    "others_can_traverse",
    "pick_jdk",
    "prepare_kafka",
    "read_pid",
    "service_pids",
    "spawn",
    "status",
    "stop_pids",
    "tail",
    "up",
]
