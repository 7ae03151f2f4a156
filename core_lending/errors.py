"""The exception hierarchy of the lending service's adapters (everything but the domain).

::

    LendingError
    ├── ConfigError              (setting, value)      bad flag, env var or fault spec
    │   └── FaultSpecError       (item)
    ├── StoreError
    │   ├── DatabaseUnavailable  (url)                 cannot connect
    │   ├── MigrationsPending    (current, head)       `lendops db upgrade` not run
    │   └── UnknownBranch        (branch_code)
    └── ServiceError             (code, status)        a request the service refuses
        ├── Unauthenticated                            401 no or unknown token
        ├── Forbidden            (action)              403 role may not do this
        ├── NotFound             (resource, ident)     404 unknown, or another branch's
        ├── Conflict                                   409 state forbids it
        ├── IdempotencyKeyReused (key)                 422 same key, different body
        └── IdempotencyInProgress (key)                409 first request still running

Domain rules raise ``core_lending.domain.DomainError``; the API maps both trees to
problem+json.
"""

from __future__ import annotations


class LendingError(Exception):
    """Base of the service's own errors; ``str(err)`` is a message a user can act on."""


class ConfigError(LendingError, ValueError):
    def __init__(self, setting: str, value: object, message: str) -> None:
        super().__init__(message)
        self.setting = setting
        self.value = value


class FaultSpecError(ConfigError):
    def __init__(self, item: str, message: str) -> None:
        super().__init__("faults", item, f"bad fault spec item {item!r}: {message}")
        self.item = item


class StoreError(LendingError):
    pass


class DatabaseUnavailable(StoreError):
    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"database {url} is unreachable: {reason}")
        self.url = url


class MigrationsPending(StoreError):
    def __init__(self, current: str | None, head: str) -> None:
        super().__init__(
            f"database schema is at {current or 'nothing'}, code expects {head}: "
            "run `lendops db upgrade --db URL` first"
        )
        self.current = current
        self.head = head


class UnknownBranch(StoreError):
    def __init__(self, branch_code: str) -> None:
        super().__init__(f"unknown branch code {branch_code!r}: run `lendops seed --db URL` or check the code")
        self.branch_code = branch_code


class ServiceError(LendingError):
    """A refusal with a stable problem slug (``code``) and an HTTP status."""

    code = "service-error"
    title = "Request refused"
    status = 400

    def __init__(self, detail: str, *, code: str | None = None, **fields: object) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extra = fields

    def fields(self) -> dict[str, object]:
        return dict(self.extra)


class Unauthenticated(ServiceError):
    code, title, status = "unauthenticated", "Authentication required", 401


class Forbidden(ServiceError):
    code, title, status = "forbidden", "Not allowed for this token", 403


class NotFound(ServiceError):
    code, title, status = "not-found", "Not found", 404

    def __init__(self, resource: str, ident: object) -> None:
        super().__init__(f"no {resource} {ident} visible to this token", resource=resource)


class Conflict(ServiceError):
    code, title, status = "conflict", "Conflict with the current state", 409


class IdempotencyKeyReused(ServiceError):
    code, title, status = "idempotency-key-reused", "Idempotency-Key reused with a different request", 422


class IdempotencyInProgress(ServiceError):
    code, title, status = "idempotency-in-progress", "The first request with this Idempotency-Key is still running", 409
