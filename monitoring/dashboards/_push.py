"""Push dashboards to Grafana over its HTTP API with grafana-client.

A folder is found by uid or title, created when missing; each dashboard is posted
with ``overwrite`` so a second push updates it in place (same uid) instead of failing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from ._errors import GrafanaPushError
from ._export import Board

__all__ = ["PushResult", "push_dashboards"]


@dataclass(frozen=True, slots=True)
class PushResult:
    uid: str
    title: str
    folder_uid: str
    status: str
    version: int | None
    url: str | None


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", title.lower()).strip("-")[:40] or "lendops"


def _default_api(url: str, token: str | None, timeout: float) -> Any:
    from grafana_client import GrafanaApi

    return GrafanaApi.from_url(url, credential=token, timeout=timeout)


def _call(url: str, operation: str, fn: Callable[[], Any]) -> Any:
    from grafana_client.client import GrafanaException

    try:
        return fn()
    except GrafanaException as exc:
        raise GrafanaPushError(url=url, operation=operation, status=exc.status_code, reason=exc.message) from exc
    except OSError as exc:  # niquests' connection errors are OSErrors
        raise GrafanaPushError(url=url, operation=operation, status=None, reason=str(exc)) from exc


def _ensure_folder(api: Any, url: str, title: str, uid: str | None) -> str:
    wanted = uid or _slug(title)
    folders = _call(url, "list folders", api.folder.get_all_folders) or []
    for folder in folders:
        if folder.get("uid") == wanted or folder.get("title") == title:
            return str(folder["uid"])
    created = _call(url, f"create folder {title!r}", lambda: api.folder.create_folder(title, uid=wanted))
    return str(created.get("uid") or wanted)


def push_dashboards(
    boards: Sequence[Board],
    *,
    url: str,
    token: str | None,
    folder: str = "lendops",
    folder_uid: str | None = None,
    message: str = "lendops dashboards push",
    timeout: float = 10.0,
    api_factory: Callable[[str, str | None, float], Any] = _default_api,
) -> list[PushResult]:
    """Create or update ``boards`` in ``folder`` (created when missing).

    >>> push_dashboards(build_dashboards(), url="https://grafana.example", token=t)  # doctest: +SKIP
    """
    api = api_factory(url, token, timeout)
    target = _ensure_folder(api, url, folder, folder_uid)
    results = []
    for board in boards:
        # Grafana matches on uid; a numeric id from another instance would be refused.
        model = {k: v for k, v in board.model.items() if k != "id"}
        body = {"dashboard": model, "folderUid": target, "overwrite": True, "message": message}
        answer = _call(url, f"save dashboard {board.uid}", partial(api.dashboard.update_dashboard, body)) or {}
        results.append(PushResult(
            uid=str(answer.get("uid") or board.uid), title=board.title, folder_uid=target,
            status=str(answer.get("status", "")), version=answer.get("version"), url=answer.get("url"),
        ))
    return results
