"""The fault suite's own Kafka and Elasticsearch: it kills them, so it must not share them."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from diplowire import devstack as stk
from tests.fault.privstack import PrivateEs, PrivateKafka
from tests.support import Stack


@dataclass(frozen=True)
class PrivateStack:
    kafka: PrivateKafka
    es: PrivateEs


@pytest.fixture
def private_stack(stack: Stack) -> Iterator[PrivateStack]:
    del stack  # the shared stack downloaded Kafka's jars and unpacked Elasticsearch
    shared = stk.StackConfig.from_env()
    root = shared.es_base / f"fault-{uuid.uuid4().hex[:8]}"
    root.mkdir(parents=True)
    kafka, es = PrivateKafka(root, shared), PrivateEs(root, shared)
    keep = bool(os.environ.get("DIPLOWIRE_FAULT_KEEP"))
    failed: list[BaseException] = []

    def start_es() -> None:
        try:
            es.start()
        except BaseException as exc:
            failed.append(exc)

    # Elasticsearch takes longest to start: both at once.
    es_thread = threading.Thread(target=start_es, daemon=True)
    es_thread.start()
    try:
        kafka.start()
        es_thread.join()
        if failed:
            raise failed[0]
        yield PrivateStack(kafka, es)
    finally:
        es_thread.join()
        kafka.stop()
        es.destroy(keep_files=keep)
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
