from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from release.traffic import LocalRouterProvider, ProviderError, TrafficProvider, TrafficSplit
from tests.release.router.backend import Backend, free_port


def test_split_module_stays_pure() -> None:
    # The step engine imports the split; that must not drag an HTTP client in.
    code = ("import sys, release.traffic, release.traffic.split; "
            "sys.exit(1 if 'requests' in sys.modules or 'aiohttp' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def test_apply_and_current_round_trip(router) -> None:  # type: ignore[no-untyped-def]
    proc, stable, canary = router
    provider = LocalRouterProvider(proc.admin_url, session=requests.Session())
    assert isinstance(provider, TrafficProvider)
    assert provider.current() == TrafficSplit(weight=0)
    split = TrafficSplit(weight=35, cohort=frozenset({"JH01", "WN06"}))
    provider.apply(split)
    assert provider.current() == split
    assert LocalRouterProvider(proc.admin_url).current() == split  # held by the router
    r = requests.get(f"{proc.url}/", headers={"X-Branch-Code": "WN06"}, timeout=5)
    assert r.headers["X-Lending-Track"] == "canary"


def test_set_backends_repoints_the_router(router) -> None:  # type: ignore[no-untyped-def]
    proc, stable, canary = router
    provider = LocalRouterProvider(proc.admin_url)
    other = Backend("stable", name="stable-2")
    try:
        cfg = provider.set_backends(stable=other.url)
        assert cfg["stable"] == other.url and cfg["canary"] == canary.url
        r = requests.get(f"{proc.url}/", timeout=5)
        assert r.json()["name"] == "stable-2"
        assert provider.set_backends() == provider.config()
    finally:
        other.stop()


def test_router_refusal_is_a_provider_error(router) -> None:  # type: ignore[no-untyped-def]
    proc, _, _ = router
    provider = LocalRouterProvider(proc.admin_url)
    with pytest.raises(ProviderError) as err:
        provider.set_backends(canary="not a url")
    assert err.value.status == 422
    assert provider.current() == TrafficSplit(weight=0)


def test_unreachable_router_is_a_provider_error() -> None:
    provider = LocalRouterProvider(f"http://127.0.0.1:{free_port()}", timeout=2)
    with pytest.raises(ProviderError) as err:
        provider.apply(TrafficSplit(weight=10))
    assert err.value.provider == "local-router"


def test_switch_changes_backends_and_split_in_one_generation(router) -> None:  # type: ignore[no-untyped-def]
    proc, stable, canary = router
    provider = LocalRouterProvider(proc.admin_url)
    provider.apply(TrafficSplit(weight=100))
    before = provider.config()["generation"]
    cfg = provider.switch(TrafficSplit.stable_only(), stable=canary.url)
    assert cfg["generation"] == before + 1
    assert (cfg["stable"], cfg["weight"], cfg["cohort"]) == (canary.url, 0, [])
    assert requests.get(f"{proc.url}/", timeout=5).headers["X-Lending-Track"] == "canary"
