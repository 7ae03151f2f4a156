"""Calling webhooks, each bounded by its timeout.

Every call runs on its own daemon thread and the caller waits at most the hook's
``timeoutSeconds``: a server that trickles bytes (which a socket timeout alone does not
stop) can hang only its own thread, never the rollout loop, and it returns nothing into
the rollout state but a :class:`Delivery` built by the caller.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import requests

from release.spec.model import WebhookSpec
from release.webhook.payload import Notification, payload_for

__all__ = ["Delivery", "WebhookSender"]


@dataclass(frozen=True)
class Delivery:
    name: str
    event: str
    ok: bool
    status: int | None = None
    error: str = ""
    elapsed: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "event": self.event,
            "ok": self.ok,
            "status": self.status,
            "error": self.error,
            "elapsed": round(self.elapsed, 3),
        }


def _check_body(resp: requests.Response) -> str:
    # DingTalk and WeCom answer 200 with {"errcode": N, "errmsg": ...} on failure.
    try:
        body = resp.json()
    except ValueError:
        return ""
    if isinstance(body, dict) and body.get("errcode") not in (None, 0):
        return f"errcode {body.get('errcode')}: {body.get('errmsg', '')}"
    return ""


class WebhookSender:
    def __init__(
        self,
        hooks: Sequence[WebhookSpec],
        *,
        session_factory: Callable[[], requests.Session] = requests.Session,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.hooks = tuple(hooks)
        self._session_factory = session_factory
        self._clock = clock

    def hooks_for(self, event: str) -> list[WebhookSpec]:
        return [h for h in self.hooks if event in h.on]

    def send(self, notification: Notification) -> list[Delivery]:
        """Call every hook subscribed to the event, in parallel; wait at most the
        largest timeout among them."""
        hooks = self.hooks_for(notification.event)
        if not hooks:
            return []
        results: dict[str, Delivery] = {}
        threads = []
        started = self._clock()
        for hook in hooks:
            thread = threading.Thread(
                target=self._call, args=(hook, notification, results), daemon=True,
                name=f"webhook-{hook.name}",
            )
            thread.start()
            threads.append((hook, thread))
        out = []
        for hook, thread in threads:
            remaining = hook.timeoutSeconds - (self._clock() - started)
            thread.join(max(0.0, remaining) + 0.05)
            got = results.get(hook.name)
            if got is None:
                got = Delivery(hook.name, notification.event, False,
                               error=f"timed out after {hook.timeoutSeconds:g}s",
                               elapsed=self._clock() - started)
            out.append(got)
        return out

    def _call(self, hook: WebhookSpec, notification: Notification, results: dict[str, Delivery]) -> None:
        began = self._clock()
        session = self._session_factory()
        try:
            resp = session.post(
                hook.url,
                json=payload_for(hook.kind, notification),
                headers=dict(hook.headers),
                timeout=hook.timeoutSeconds,
            )
            error = "" if 200 <= resp.status_code < 300 else f"HTTP {resp.status_code}: {resp.text[:200]}"
            error = error or _check_body(resp)
            results[hook.name] = Delivery(hook.name, notification.event, not error, resp.status_code,
                                          error, self._clock() - began)
        except requests.RequestException as exc:
            results[hook.name] = Delivery(hook.name, notification.event, False, None,
                                          f"{type(exc).__name__}: {exc}", self._clock() - began)
        finally:
            session.close()
