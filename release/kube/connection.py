"""Build the ``ApiClient`` every adapter takes: in-cluster credentials when running in a
pod, else a kubeconfig (file and context). Adapters never build clients themselves, so
tests hand them a client pointed at a local API emulator."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .errors import KubeConfigError

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = ["connect", "in_cluster"]

SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"


def in_cluster(env: Mapping[str, str] | None = None, token_path: str = SERVICE_ACCOUNT_TOKEN) -> bool:
    """True inside a pod: the API server's address is in the environment and a service
    account token is mounted."""
    env = os.environ if env is None else env
    return bool(env.get("KUBERNETES_SERVICE_HOST")) and os.path.exists(token_path)


def connect(
    *, kubeconfig: str | None = None, context: str | None = None,
    use_in_cluster: bool | None = None,
) -> ApiClient:
    """An ``ApiClient`` for the cluster.

    use_in_cluster: True/False forces the source; None picks in-cluster credentials when
        running in a pod and no kubeconfig was named, else the kubeconfig
        (``$KUBECONFIG`` or ``~/.kube/config``), with ``context`` ("" or None: current).
    """
    try:
        from kubernetes import client, config
        from kubernetes.config.config_exception import ConfigException
    except ImportError as exc:  # the optional dependency is missing
        raise KubeConfigError("python", "install the 'kubernetes' extra: pip install 'lendops[kubernetes]'") from exc

    if use_in_cluster is None:
        use_in_cluster = kubeconfig is None and not context and in_cluster()
    if use_in_cluster:
        configuration = client.Configuration()
        try:
            config.load_incluster_config(client_configuration=configuration)
        except ConfigException as exc:
            raise KubeConfigError("the in-cluster service account", str(exc)) from exc
        return client.ApiClient(configuration)
    source = kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
    try:
        return config.new_client_from_config(
            config_file=kubeconfig, context=context or None, persist_config=False)
    except (ConfigException, OSError, TypeError) as exc:
        raise KubeConfigError(f"kubeconfig {source}" + (f" context {context!r}" if context else ""),
                              str(exc)) from exc
