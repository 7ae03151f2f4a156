"""``POST /v1/telemetry/client``: client-side measurements into Prometheus metrics."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request
from pydantic import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from monitoring.probe import ClientMetrics

from .model import MAX_BODY_BYTES, MAX_EVENTS, ClientEvent, TelemetryBatch
from .routes import RouteResolver

__all__ = ["telemetry_blueprint", "UNKNOWN_TRACK"]

# Label for events that got no response, so no track header.
UNKNOWN_TRACK = "unknown"
_MAX_ERRORS_SHOWN = 10
_PROBLEMS = "https://lendops.dev/problems/"


def _problem(status: int, slug: str, title: str, detail: str, **extra: Any) -> Response:
    body = {"type": _PROBLEMS + slug, "title": title, "status": status, "detail": detail, **extra}
    return Response(json.dumps(body, separators=(",", ":")), status=status,
                    mimetype="application/problem+json")


def _event_errors(index: int, exc: ValidationError) -> list[dict[str, Any]]:
    # Inputs are never echoed back: a confused client might have put anything there.
    return [
        {"index": index, "field": ".".join(str(p) for p in e["loc"]) or "event", "message": e["msg"]}
        for e in exc.errors(include_input=False, include_url=False, include_context=False)
    ]


def telemetry_blueprint(
    authenticate: Callable[[], Response | None],
    *,
    recorder: ClientMetrics,
    max_events: int = MAX_EVENTS,
    max_body_bytes: int = MAX_BODY_BYTES,
    url_prefix: str = "/v1/telemetry",
    name: str = "lendops_telemetry",
) -> Blueprint:
    """The intake endpoint. ``authenticate`` is the service's check: it runs first, in
    the request context; it may raise (the app's error handlers answer) or return a
    Response to send instead; None lets the request through.

    Answers 202 ``{"accepted": n, "rejected": m, "errors": [...]}`` when at least one event
    was valid; problem+json 400 (not JSON), 413 (body or batch too large), 415 (not
    JSON content), 422 (no valid event) otherwise.
    """
    bp = Blueprint(name, __name__, url_prefix=url_prefix)
    resolvers: dict[int, RouteResolver] = {}

    def resolver() -> RouteResolver:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        found = resolvers.get(id(app))
        if found is None:
            found = resolvers[id(app)] = RouteResolver(app.url_map)
        return found

    @bp.before_request
    def _guard() -> Response | None:
        answer = authenticate()
        if answer is not None:
            return answer
        # The service caps bodies for its own API; a full batch legitimately needs more.
        request.max_content_length = max_body_bytes
        return None

    @bp.post("/client")
    def ingest() -> Response:
        if request.content_length is not None and request.content_length > max_body_bytes:
            return _too_large(f"the body is {request.content_length} bytes; at most {max_body_bytes}")
        if not request.is_json:
            recorder.batch("rejected")
            return _problem(415, "unsupported-media-type", "Unsupported media type",
                            "send Content-Type: application/json")
        try:
            raw = request.get_data(cache=False)
        except RequestEntityTooLarge:
            return _too_large(f"the body exceeds {max_body_bytes} bytes")
        try:
            document = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            recorder.batch("rejected")
            return _problem(400, "malformed-json", "Malformed JSON", "the request body is not valid JSON")
        try:
            batch = TelemetryBatch.model_validate(document)
        except ValidationError as exc:
            recorder.batch("rejected")
            return _problem(422, "invalid-telemetry", "Invalid telemetry batch",
                            'the body must be {"events": [ ... ]} with at least one event',
                            errors=_event_errors(-1, exc)[:_MAX_ERRORS_SHOWN])
        if len(batch.events) > max_events:
            recorder.events("rejected", len(batch.events))
            return _too_large(f"{len(batch.events)} events in one batch; at most {max_events}")

        accepted: list[ClientEvent] = []
        errors: list[dict[str, Any]] = []
        for index, item in enumerate(batch.events):
            try:
                accepted.append(ClientEvent.model_validate(item))
            except ValidationError as exc:
                errors.extend(_event_errors(index, exc))
        rejected = len(batch.events) - len(accepted)
        recorder.events("rejected", rejected)
        if not accepted:
            recorder.batch("rejected")
            return _problem(422, "invalid-telemetry", "Invalid telemetry batch",
                            f"none of the {rejected} events is valid", errors=errors[:_MAX_ERRORS_SHOWN])
        routes = resolver()
        for event in accepted:
            recorder.request(
                route=routes.resolve(event.route, event.method),
                outcome=event.outcome,
                served_by=event.track or UNKNOWN_TRACK,
                seconds=event.duration_ms / 1000.0,
            )
        recorder.events("accepted", len(accepted))
        recorder.batch("accepted")
        body = {"accepted": len(accepted), "rejected": rejected, "errors": errors[:_MAX_ERRORS_SHOWN]}
        return Response(json.dumps(body, separators=(",", ":")), status=202, mimetype="application/json")

    def _too_large(detail: str) -> Response:
        recorder.batch("rejected")
        return _problem(413, "telemetry-too-large", "Telemetry batch too large", detail)

    return bp
