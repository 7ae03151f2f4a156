"""Webhooks and notifications of a rollout: generic JSON, DingTalk and WeCom.

A ``pre-rollout`` hook is a gate: any answer other than 2xx (or a timeout) keeps the
rollout from starting. The other events are notifications: failures are reported in
the rollout history and never change its course.
"""

from __future__ import annotations

from release.webhook.payload import Notification, payload_for
from release.webhook.sender import Delivery, WebhookSender

__all__ = ["Delivery", "Notification", "WebhookSender", "payload_for"]
