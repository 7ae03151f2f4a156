from __future__ import annotations

import pytest

from release.router import ConfigError, RouterConfig
from release.router.haproxy_config import HAProxyFiles, map_entries, render_config


def _cfg() -> RouterConfig:
    return RouterConfig.create(stable="http://127.0.0.1:1/", canary="http://localhost:2",
                               weight=5, cohort=["JH01"])


def test_create_normalises_urls() -> None:
    cfg = _cfg()
    assert cfg.stable == "http://127.0.0.1:1"
    assert cfg.canary == "http://localhost:2"
    assert cfg.to_json() == {"stable": "http://127.0.0.1:1", "canary": "http://localhost:2",
                             "weight": 5, "cohort": ["JH01"], "generation": 1}


def test_patch_is_all_or_nothing_and_bumps_generation() -> None:
    cfg = _cfg()
    new = cfg.patched({"weight": 25, "cohort": "A,B"})
    assert (new.weight, new.cohort, new.generation) == (25, frozenset({"A", "B"}), 2)
    assert new.stable == cfg.stable
    with pytest.raises(ConfigError) as err:
        cfg.patched({"weight": 30, "cohort": ["ok", "bad code; clear acl"]})
    assert err.value.field == "cohort"
    assert cfg.weight == 5


@pytest.mark.parametrize(
    ("patch", "field"),
    [({"weight": 101}, "weight"), ({"weight": True}, "weight"), ({"weight": "5"}, "weight"),
     ({"stable": "ftp://x:1"}, "stable"), ({"canary": "http://h:1/path"}, "canary"),
     ({"colour": "red"}, "colour")],
)
def test_invalid_patches_name_the_field(patch: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError) as err:
        _cfg().patched(patch)
    assert err.value.field == field


def test_haproxy_config_binds_loopback_and_maps_the_split(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg = _cfg()
    files = HAProxyFiles(config=tmp_path / "c", split_map=tmp_path / "m", socket=tmp_path / "s")
    text = render_config(cfg, listen=("127.0.0.1", 9000), files=files, workdir=tmp_path)
    assert "bind 127.0.0.1:9000" in text
    assert "server stable 127.0.0.1:1" in text
    assert "server canary 127.0.0.1:2" in text  # localhost resolved for HAProxy
    assert "crc32,mod(100)" in text
    assert map_entries(cfg) == [("weight", "5"), ("b.JH01", "1")]


def test_importing_the_router_api_loads_no_http_stack() -> None:
    # The controller imports RouterProcess on every command; aiohttp and prometheus
    # belong to the router process only.
    import subprocess
    import sys

    code = ("import sys, release.router, release.target; "
            "sys.exit(any(m in sys.modules for m in ('aiohttp', 'prometheus_client', 'requests')))")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
