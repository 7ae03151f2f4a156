"""Several processes writing one SQLite span store at once (gunicorn workers do)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from monitoring.tracing import SpanStore

WRITER = textwrap.dedent("""
    import sys
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from monitoring.tracing import SpanStore
    from monitoring.tracing.exporter import StoreSpanExporter

    store = SpanStore.at_path(sys.argv[1], prune_interval_s=0)
    provider = TracerProvider()
    exporter = StoreSpanExporter(store)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("w")
    for i in range(int(sys.argv[2])):
        with tracer.start_as_current_span("credit.score"):
            pass
    print("done")
""")


def test_concurrent_writer_processes_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "spans.db"
    writers, per_writer = 3, 100
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(per_writer)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(writers)
    ]
    try:
        outputs = [p.communicate(timeout=120) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(timeout=5)
    for (out, err), p in zip(outputs, procs):
        assert p.returncode == 0 and out.strip() == "done", err[-2000:]
        assert "dropped" not in err, err[-2000:]
    store = SpanStore.at_path(str(path))
    try:
        assert store.count() == writers * per_writer
        assert len(store.traces(limit=1000)) == writers * per_writer  # one span per trace
    finally:
        store.close()
