"""The Flask application factory."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request

from ..credit_center import CreditCenter
from ..disbursement import DisbursementWorker
from ..faults import Faults
from ..loan_book import LoanBook
from ..payment_rail import PaymentRail, SimulatedRail
from ..runtime import Clock, Runtime, utc_now
from ..settings import Settings
from ..store import Database
from . import customers, loans, meta
from .auth import Authenticator
from .observability import install_observability
from .openapi import build_openapi
from .operations import Api
from .problems import install_problem_handlers, problem

__all__ = ["create_app", "Services"]

log = logging.getLogger("core_lending.api")


@dataclass
class Services:
    """Per-app singletons, reachable from views as ``current_app.extensions["lending"]``."""

    rt: Runtime
    credit: CreditCenter
    loans: LoanBook
    auth: Authenticator
    worker: DisbursementWorker | None = None
    branches: list[dict[str, Any]] = field(default_factory=list)


def create_app(
    settings: Settings, *, db: Database | None = None, clock: Clock = utc_now, rng: random.Random | None = None,
    rail: PaymentRail | None = None, registry: Any = None, start_worker: bool | None = None,
) -> Flask:
    """Build the service. ``db``, ``clock``, ``rng``, ``rail`` and ``registry`` are the I/O seams."""
    from monitoring.probe import ServerProbe

    app = Flask("core_lending")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    rng = rng if rng is not None else random.Random(settings.random_seed)
    db = db if db is not None else Database(settings.db_url)

    probe = ServerProbe(version=settings.version, track=settings.track, registry=registry)
    # --- observability: owned by the monitoring helper (core_lending/api/observability.py) ---
    install_observability(app, settings, probe)
    # ------------------------------------------------------------------------------------------

    rt = Runtime(settings=settings, db=db, faults=Faults(settings.faults, rng=rng), metrics=probe.business,
                 clock=clock)
    svc = Services(rt=rt, credit=CreditCenter(rt), loans=LoanBook(rt), auth=Authenticator(db))
    app.extensions["lending"] = svc
    app.extensions["lending_probe"] = probe

    api = Api()
    for module in (meta, customers, loans):
        app.register_blueprint(module.register(api))
    app.extensions["lending_openapi"] = build_openapi(api.operations, version=settings.version)
    install_problem_handlers(app)

    @app.before_request
    def _inject_faults() -> Response | None:
        # Registered after the probe, so injected errors and latency are measured like real ones.
        if not request.path.startswith("/v1/") or request.path.startswith("/v1/telemetry/"):
            return None  # client telemetry is measurement, not the service under drill
        rt.faults.delay()
        if rt.faults.should_fail():
            return problem(500, "injected-fault", "Injected fault",
                           "a release drill fault answered this request; nothing was changed")
        return None

    @app.after_request
    def _identify(response: Response) -> Response:
        response.headers["X-Lending-Version"] = settings.version
        response.headers["X-Lending-Track"] = settings.track
        # Path and status only: bodies and query strings may carry personal data.
        log.info("%s %s %s", request.method, request.path, response.status_code)
        return response

    run_worker = settings.worker_enabled if start_worker is None else start_worker
    if run_worker:
        worker_rail = rail if rail is not None else SimulatedRail(
            delay_s=settings.payout_delay_ms / 1000, failure_rate=settings.payout_failure_rate,
            rng=random.Random(rng.random()))
        svc.worker = DisbursementWorker(rt, worker_rail)
        svc.worker.start()
    return app
