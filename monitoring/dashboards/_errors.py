"""Exceptions of the dashboards package.

    DashboardError
     ├── DashboardBuildError   a dashboard definition cannot be turned into Grafana JSON
     └── GrafanaPushError      Grafana refused (or could not be reached for) a folder or dashboard
"""

from __future__ import annotations

__all__ = ["DashboardError", "DashboardBuildError", "GrafanaPushError"]


class DashboardError(Exception):
    """Base of every error the dashboards package raises."""


class DashboardBuildError(DashboardError):
    def __init__(self, *, dashboard: str, reason: str) -> None:
        self.dashboard = dashboard
        self.reason = reason
        super().__init__(f"dashboard {dashboard}: {reason}")


class GrafanaPushError(DashboardError):
    def __init__(self, *, url: str, operation: str, status: int | None, reason: str) -> None:
        self.url = url
        self.operation = operation
        self.status = status
        self.reason = reason
        code = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"grafana {url}: {operation} failed{code}: {reason}")
