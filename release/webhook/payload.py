"""What a webhook receives (pure): generic JSON, DingTalk or WeCom markdown messages."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["Notification", "payload_for"]

_ICON = {"pre-rollout": "🚦", "step": "➡️", "post-rollout": "✅", "rollback": "⛔"}


@dataclass(frozen=True)
class Notification:
    event: str  # pre-rollout | step | post-rollout | rollback
    rollout: str
    phase: str
    message: str
    stable: str = ""
    canary: str = ""
    step: int = 0
    steps: int = 0
    weight: int = 0
    cohort: tuple[str, ...] = ()
    at: float = 0.0
    verdicts: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["cohort"] = list(self.cohort)
        return data


def _markdown(n: Notification) -> tuple[str, str]:
    title = f"{_ICON.get(n.event, '')} {n.rollout}: {n.event}".strip()
    lines = [
        f"### {title}",
        f"- **{n.message}**",
        f"- phase: {n.phase}, step {n.step + 1}/{n.steps}" if n.steps else f"- phase: {n.phase}",
        f"- canary {n.canary} vs stable {n.stable}: weight {n.weight}%"
        + (f", cohort {len(n.cohort)} branches" if n.cohort else ""),
    ]
    for v in n.verdicts[:8]:
        explanation = v.get("explanation") or ""
        lines.append(f"- `{v.get('metric')}` {v.get('decision')}: {explanation}".rstrip(": "))
    return title, "\n".join(lines)


def payload_for(kind: str, notification: Notification) -> dict[str, Any]:
    """The JSON body for a webhook of ``kind`` (generic | dingtalk | wecom)."""
    if kind == "generic":
        return notification.to_dict()
    title, text = _markdown(notification)
    if kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    if kind == "wecom":
        return {"msgtype": "markdown", "markdown": {"content": text}}
    raise ValueError(f"unknown webhook kind {kind!r}")
