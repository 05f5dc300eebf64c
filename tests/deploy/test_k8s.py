"""The Kubernetes manifests validate offline against the Kubernetes JSON schemas (strict: an
unknown or misspelt field fails), the base alone and each overlay rendered, and carry what an
operator relies on: probes on the metrics port, limits, a grace period longer than the drain,
disruption budgets that select real pods."""

from __future__ import annotations

from typing import Any

import kubernetes_validate
import pytest

from . import manifests as m

K8S_VERSION = "1.30.0"


def _validate(doc: dict[str, Any], where: str) -> None:
    try:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
    except kubernetes_validate.ValidationError as exc:
        pytest.fail(f"{where}: {doc['kind']}/{doc['metadata']['name']}: {exc.message}")


def test_the_schemas_refuse_a_misspelt_field() -> None:
    # The check below is only worth something if strict validation does refuse.
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "dta": {}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, K8S_VERSION, strict=True)


@pytest.mark.parametrize("path", m.base_files(), ids=lambda p: p.name)
def test_base_manifests_validate(path: Any) -> None:
    docs = m.load_all(path)
    assert docs
    for doc in docs:
        _validate(doc, str(path.relative_to(m.ROOT)))


@pytest.mark.parametrize("overlay", m.OVERLAYS)
def test_overlays_render_and_validate(overlay: str) -> None:
    patched = {m.ident(p) for f in m.overlay_patch_files(overlay) for p in m.load_all(f)}
    assert patched  # an overlay that patches nothing is a copy of the base
    docs = m.render(overlay)
    assert {m.ident(d) for d in docs} == {m.ident(d) for d in m.base_resources()}
    for doc in docs:
        _validate(doc, f"overlay {overlay}")
        assert doc["metadata"]["namespace"].startswith("diplowire")


def _deployments(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}


@pytest.mark.parametrize("overlay", [None, *m.OVERLAYS])
def test_deployments_have_probes_limits_and_a_grace_period(overlay: str | None) -> None:
    docs = m.base_resources() if overlay is None else m.render(overlay)
    deployments = _deployments(docs)
    stages = {m.subcommand(c["args"]) for d in deployments.values() for c in m.containers(d)}
    assert stages == {"poll", "enrich", "index"}
    for name, dep in deployments.items():
        spec = dep["spec"]["template"]["spec"]
        # The workers drain a batch on SIGTERM; Kubernetes' default 30 s would cut the
        # indexer's 30 s bulk timeout short.
        assert spec["terminationGracePeriodSeconds"] > 30, name
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        for c in m.containers(dep):
            # JSON log lines for the cluster's log collector (wire/logs.py).
            assert c["args"][:2] == ["--log-format", "json"], name
            ports = {p["name"]: p["containerPort"] for p in c["ports"]}
            assert ports == {"metrics": 9464}, name
            assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "metrics"}
            assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "metrics"}
            res = c["resources"]
            assert res["requests"]["memory"] and res["limits"]["memory"], name
            assert _mib(res["requests"]["memory"]) <= _mib(res["limits"]["memory"]), name
    enrich = m.containers(deployments["diplowire-enrich"])[0]["resources"]
    # Measured ~460 MB peak RSS per enrich process (bench/README.md): the request covers it.
    assert _mib(enrich["requests"]["memory"]) >= 460


def _mib(quantity: str) -> float:
    units = {"Mi": 1.0, "Gi": 1024.0, "M": 1e6 / 2**20, "G": 1e9 / 2**20}
    for unit, factor in units.items():
        if quantity.endswith(unit):
            return float(quantity[: -len(unit)]) * factor
    return float(quantity) / 2**20


def test_disruption_budgets_select_deployed_pods() -> None:
    docs = m.base_resources()
    pods = [d["spec"]["template"]["metadata"]["labels"] for d in _deployments(docs).values()]
    budgets = [d for d in docs if d["kind"] == "PodDisruptionBudget"]
    assert budgets
    for pdb in budgets:
        sel = pdb["spec"]["selector"]["matchLabels"]
        assert any(sel.items() <= labels.items() for labels in pods), pdb["metadata"]["name"]


def test_prod_workers_trust_the_mounted_ca() -> None:
    """Every prod worker mounts the CA Secret where the TLS settings point (a setting naming a
    file the pod does not have would stop every worker at start-up)."""
    docs = m.render("prod")
    settings = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    paths = {settings["DIPLOWIRE_KAFKA_SSL_CAFILE"], settings["DIPLOWIRE_ELASTICSEARCH_CA_CERTS"]}
    deployments = [d for d in docs if d["kind"] == "Deployment"]
    assert {d["metadata"]["name"] for d in deployments} >= {
        "diplowire-poll",
        "diplowire-enrich",
        "diplowire-index",
    }
    for dep in deployments:
        spec = dep["spec"]["template"]["spec"]
        secrets = {v["name"]: v["secret"]["secretName"] for v in spec["volumes"] if "secret" in v}
        for c in m.containers(dep):
            mounts = [vm for vm in c["volumeMounts"] if secrets.get(vm["name"]) == "diplowire-ca"]
            assert mounts, f"{c['name']}: no CA mount"
            assert all(any(p.startswith(vm["mountPath"] + "/") for vm in mounts) for p in paths)
