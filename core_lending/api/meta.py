"""Health, readiness, version, branches and the OpenAPI document."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app
from sqlalchemy.exc import SQLAlchemyError

from ..errors import StoreError
from ..store import list_branches_view, require_current
from .operations import Api, services
from .problems import problem
from .schemas import BranchOut, HealthOut, VersionOut

__all__ = ["register"]


def register(api: Api) -> Blueprint:
    bp = Blueprint("meta", __name__)

    @api.route(bp, "/healthz", "GET", response=HealthOut, auth=False, tag="meta", summary="Liveness")
    def healthz() -> Any:
        return {"status": "ok"}

    @bp.get("/readyz")
    def readyz() -> Response:
        svc = services()
        try:
            require_current(svc.rt.db.engine)
        except (StoreError, SQLAlchemyError) as exc:
            return problem(503, "not-ready", "Not ready", str(exc).splitlines()[0])
        return Response(HealthOut(status="ready").model_dump_json(), mimetype="application/json")

    @api.route(bp, "/version", "GET", response=VersionOut, auth=False, tag="meta",
               summary="Version, track and the faults in force")
    def version() -> Any:
        s = services().rt.settings
        return {"version": s.version, "track": s.track, "faults": s.faults.as_dict()}

    @api.route(bp, "/v1/branches", "GET", response=BranchOut, many=True, auth=False, tag="meta",
               summary="The county branches (names in Chinese), pilots marked")
    def branches() -> Any:
        svc = services()
        if not svc.branches:  # reference data: cached once seeded
            with svc.rt.db.read() as s:
                svc.branches = list_branches_view(s)
        return svc.branches

    @bp.get("/openapi.json")
    def openapi() -> Response:
        return Response(current_app.extensions["lending_openapi"], mimetype="application/json")

    return bp
