"""Exceptions of the tracing package.

    TracingError
     ├── TracingConfigError   init_tracing was given settings that cannot work
     └── SpanStoreError       the span store could not be opened, written or read
"""

from __future__ import annotations

__all__ = ["TracingError", "TracingConfigError", "SpanStoreError"]


class TracingError(Exception):
    """Base of every error the tracing package raises."""


class TracingConfigError(TracingError):
    def __init__(self, *, setting: str, value: object, reason: str) -> None:
        self.setting = setting
        self.value = value
        self.reason = reason
        super().__init__(f"tracing setting {setting}={value!r}: {reason}")


class SpanStoreError(TracingError):
    def __init__(self, *, url: str, operation: str, reason: str) -> None:
        self.url = url
        self.operation = operation
        self.reason = reason
        super().__init__(f"span store {url} ({operation}): {reason}")
