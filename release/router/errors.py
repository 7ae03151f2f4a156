"""Errors of the router package.

    RouterError
    ├── ConfigError        a config value or patch is invalid (field, value)
    ├── RouterStartError   the router process did not come up (log_tail)
    └── HAProxyError       the HAProxy runtime API refused a command (command, reply)
"""

from __future__ import annotations

__all__ = ["ConfigError", "HAProxyError", "RouterError", "RouterStartError"]


class RouterError(Exception):
    """Base of every error raised by ``release.router``."""


class ConfigError(RouterError):
    def __init__(self, field: str, value: object, reason: str) -> None:
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"invalid router config {field}={value!r}: {reason}")


class RouterStartError(RouterError):
    def __init__(self, message: str, *, log_tail: str = "") -> None:
        self.log_tail = log_tail
        detail = f"\n--- router log (last lines) ---\n{log_tail}" if log_tail else ""
        super().__init__(message + detail)


class HAProxyError(RouterError):
    def __init__(self, command: str, reply: str) -> None:
        self.command = command
        self.reply = reply
        super().__init__(f"HAProxy runtime API refused {command!r}: {reply.strip()}")
