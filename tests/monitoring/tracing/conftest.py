from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, request
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from werkzeug.serving import make_server

from monitoring.tracing import SpanStore
from monitoring.tracing.exporter import StoreSpanExporter


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[SpanStore]:
    store = SpanStore.at_path(str(tmp_path / "spans.db"), prune_interval_s=0)
    yield store
    store.close()


def direct_provider(store: SpanStore, *, track: str = "stable", version: str = "1.0.0") -> TracerProvider:
    """A provider that writes synchronously to ``store`` (no batching), for store tests."""
    provider = TracerProvider(resource=Resource.create(
        {"service.name": "lending", "service.version": version, "lending.track": track}))
    provider.add_span_processor(SimpleSpanProcessor(StoreSpanExporter(store)))
    return provider


@pytest.fixture()
def echo_server() -> Iterator[str]:
    """A real HTTP server on loopback that answers with the headers it received."""
    app = Flask("echo")

    @app.get("/echo")
    def echo() -> dict:
        return {"traceparent": request.headers.get("traceparent")}

    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=5)
