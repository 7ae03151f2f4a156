from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from release.kube.api import DEPLOYMENTS, ObjectApi
from release.kube.connection import connect, in_cluster
from release.kube.errors import KubeApiError, KubeConfigError

from .conftest import NS, Cluster, deployment


def _kubeconfig(path: Path, url: str) -> Path:
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "elsewhere",
        "clusters": [{"name": "emu", "cluster": {"server": url}},
                     {"name": "far", "cluster": {"server": "http://127.0.0.1:9"}}],
        "users": [{"name": "ops", "user": {"token": "t0ken"}}],
        "contexts": [{"name": "emu", "context": {"cluster": "emu", "user": "ops"}},
                     {"name": "elsewhere", "context": {"cluster": "far", "user": "ops"}}],
    }))
    return path


def test_a_kubeconfig_context_reaches_its_cluster_with_its_token(cluster: Cluster, tmp_path: Path) -> None:
    cluster.put(DEPLOYMENTS, deployment("lending", "stable"))
    api_client = connect(kubeconfig=str(_kubeconfig(tmp_path / "config", cluster.url)), context="emu")
    try:
        got = ObjectApi(api_client).get(DEPLOYMENTS, NS, "lending")
    finally:
        api_client.close()
    assert got["metadata"]["name"] == "lending"
    [req] = cluster.requests()
    assert req.headers["Authorization"] == "Bearer t0ken"


def test_the_current_context_is_used_when_none_is_named(cluster: Cluster, tmp_path: Path) -> None:
    api_client = connect(kubeconfig=str(_kubeconfig(tmp_path / "config", cluster.url)))
    try:
        with pytest.raises(KubeApiError) as err:
            ObjectApi(api_client, timeout=2).get(DEPLOYMENTS, NS, "lending")
    finally:
        api_client.close()
    assert err.value.status is None  # port 9: nobody answers
    assert cluster.requests() == []


def test_an_unknown_context_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(KubeConfigError, match="context 'nope'"):
        connect(kubeconfig=str(_kubeconfig(tmp_path / "config", "http://127.0.0.1:1")), context="nope")


def test_in_cluster_needs_both_the_env_and_a_token(tmp_path: Path) -> None:
    token = tmp_path / "token"
    assert not in_cluster({"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, str(token))
    token.write_text("x")
    assert in_cluster({"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, str(token))
    assert not in_cluster({}, str(token))


def test_forcing_in_cluster_outside_a_pod_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    with pytest.raises(KubeConfigError, match="in-cluster service account"):
        connect(use_in_cluster=True)
