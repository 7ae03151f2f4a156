"""The embedded span store: spans in SQLite (or any SQLAlchemy database), bounded by
age and count, queried by the web console.

Several processes (gunicorn workers, the console) may open the same SQLite file:
WAL lets readers run beside the writer, writers take the lock up front
(``BEGIN IMMEDIATE``) and wait for each other up to ``busy_timeout_ms``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Engine,
    Float,
    Index,
    MetaData,
    String,
    Table,
    Text,
    and_,
    create_engine,
    delete,
    event,
    exists,
    func,
    insert,
    select,
)
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from .errors import SpanStoreError
from .privacy import AttributeFilter

__all__ = ["SpanStore", "SpanRecord", "TraceSummary", "TRACK_ATTRIBUTE"]

TRACK_ATTRIBUTE = "lending.track"

_metadata = MetaData()
spans_table = Table(
    "trace_spans",
    _metadata,
    Column("trace_id", String(32), primary_key=True),
    Column("span_id", String(16), primary_key=True),
    Column("parent_span_id", String(16), nullable=True),
    Column("name", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("start_ns", BigInteger, nullable=False),
    Column("end_ns", BigInteger, nullable=False),
    # Display only (never money): the console sorts and filters on it.
    Column("duration_ms", Float, nullable=False),
    Column("status", String(8), nullable=False),
    Column("status_message", Text, nullable=True),
    Column("error", Boolean, nullable=False),
    Column("service", String(100), nullable=True),
    Column("version", String(100), nullable=True),
    Column("track", String(32), nullable=True),
    Column("route", String(200), nullable=True),
    Column("attributes", Text, nullable=False),
    Column("events", Text, nullable=False),
    Index("ix_trace_spans_start", "start_ns"),
    Index("ix_trace_spans_trace_route", "trace_id", "route"),
    Index("ix_trace_spans_error", "error", "trace_id"),
)


@dataclass(frozen=True, slots=True)
class SpanRecord:
    """One stored span, as the waterfall view needs it."""

    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str
    start_ns: int
    end_ns: int
    duration_ms: float
    status: str
    status_message: str | None
    error: bool
    service: str | None
    version: str | None
    track: str | None
    route: str | None
    attributes: dict[str, Any]
    events: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class TraceSummary:
    """One trace in a list: its root span, total span count and whether any span failed."""

    trace_id: str
    root_name: str
    route: str | None
    service: str | None
    version: str | None
    track: str | None
    start_ns: int
    duration_ms: float
    span_count: int
    error: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _json_value(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


_COLUMNS = tuple(c.name for c in spans_table.columns)


def _row(span: ReadableSpan, rules: AttributeFilter) -> tuple[Any, ...]:
    """One span as a row, in ``_COLUMNS`` order (a tuple: the export path is hot)."""
    ctx = span.context
    attrs = rules.clean(span.attributes)
    for key, value in attrs.items():
        if isinstance(value, tuple):
            attrs[key] = list(value)
    resource = span.resource.attributes if span.resource is not None else {}
    start = span.start_time or 0
    end = span.end_time or start
    status = span.status.status_code
    route = attrs.get("http.route")
    events = "[]" if not span.events else json.dumps(
        [{"name": e.name, "time_ns": e.timestamp,
          "attributes": {k: _json_value(v) for k, v in rules.clean(e.attributes).items()}}
         for e in span.events],
        default=str,
    )
    return (
        format(ctx.trace_id, "032x"),
        format(ctx.span_id, "016x"),
        format(span.parent.span_id, "016x") if span.parent is not None else None,
        span.name[:200],
        span.kind.name.lower(),
        start,
        end,
        (end - start) / 1e6,
        status.name.lower(),
        span.status.description,
        status is StatusCode.ERROR,
        resource.get("service.name"),
        resource.get("service.version"),
        resource.get(TRACK_ATTRIBUTE) or attrs.get(TRACK_ATTRIBUTE),
        str(route)[:200] if route is not None else None,
        json.dumps(attrs, default=str),
        events,
    )


def _insert_sql(dialect: Any) -> str | None:
    """Driver-level INSERT that ignores a span stored twice (a retry after a timeout);
    None where no such statement is known (then SQLAlchemy Core inserts)."""
    columns = ", ".join(_COLUMNS)
    if dialect.name == "sqlite" and dialect.paramstyle == "qmark":
        return f"INSERT OR IGNORE INTO trace_spans ({columns}) VALUES ({', '.join('?' * len(_COLUMNS))})"
    if dialect.name == "postgresql" and dialect.paramstyle in ("format", "pyformat"):
        return (f"INSERT INTO trace_spans ({columns}) VALUES ({', '.join(['%s'] * len(_COLUMNS))}) "
                "ON CONFLICT DO NOTHING")
    return None


def _record(row: Any) -> SpanRecord:
    m = row._mapping
    return SpanRecord(
        trace_id=m["trace_id"], span_id=m["span_id"], parent_span_id=m["parent_span_id"],
        name=m["name"], kind=m["kind"], start_ns=m["start_ns"], end_ns=m["end_ns"],
        duration_ms=m["duration_ms"], status=m["status"], status_message=m["status_message"],
        error=bool(m["error"]), service=m["service"], version=m["version"], track=m["track"],
        route=m["route"], attributes=json.loads(m["attributes"]), events=json.loads(m["events"]),
    )


def _sqlite_tuning(engine: Engine, *, busy_timeout_ms: int, immediate: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how transactions start.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that later needs the write lock fails with SQLITE_BUSY
        # at once instead of waiting; taking it up front makes busy_timeout apply.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class SpanStore:
    """Spans in a database, with the queries the console needs.

    >>> store = SpanStore("sqlite:///spans.db", max_spans=50_000)   # doctest: +SKIP
    >>> store.traces(route="/v1/credit/apply", error=True, limit=20)  # doctest: +SKIP
    """

    def __init__(
        self,
        url: str,
        *,
        max_age_s: float = 6 * 3600,
        max_spans: int = 200_000,
        prune_interval_s: float = 5.0,
        busy_timeout_ms: int = 10_000,
        clock_ns: Callable[[], int] = time.time_ns,
        attribute_filter: AttributeFilter | None = None,
    ) -> None:
        if max_spans < 1 or max_age_s <= 0:
            raise SpanStoreError(url=url, operation="open", reason="max_spans and max_age_s must be positive")
        self.url = url
        self.max_age_s = max_age_s
        self.max_spans = max_spans
        self.prune_interval_s = prune_interval_s
        self._clock_ns = clock_ns
        # Whoever writes, nothing personal is stored (the exporter path need not redact).
        self._rules = attribute_filter or AttributeFilter()
        self._last_prune_ns: int | None = None
        try:
            self._writer = create_engine(url)
            self._reader = create_engine(url)
        except (SQLAlchemyError, ValueError) as exc:
            raise SpanStoreError(url=url, operation="open", reason=str(exc)) from exc
        if self._writer.dialect.name == "sqlite":
            _sqlite_tuning(self._writer, busy_timeout_ms=busy_timeout_ms, immediate=True)
            _sqlite_tuning(self._reader, busy_timeout_ms=busy_timeout_ms, immediate=False)
        self._create_schema()
        self._insert_sql = _insert_sql(self._writer.dialect)

    @classmethod
    def at_path(cls, path: str, **kwargs: Any) -> SpanStore:
        return cls(f"sqlite:///{path}", **kwargs)

    def _create_schema(self) -> None:
        # Several workers may start at once; losing the create race is fine.
        for attempt in range(3):
            try:
                _metadata.create_all(self._writer, checkfirst=True)
                return
            except OperationalError as exc:
                if "already exists" not in str(exc) and attempt == 2:
                    raise SpanStoreError(url=self.url, operation="create", reason=str(exc)) from exc
                time.sleep(0.05 * (attempt + 1))

    # -- writing ---------------------------------------------------------------------

    def write(self, spans: Sequence[ReadableSpan]) -> int:
        """Store finished spans, personal attributes dropped; prune when due. Returns rows
        written."""
        rows = [_row(s, self._rules) for s in spans]
        if not rows:
            return 0
        try:
            with self._writer.begin() as conn:
                if self._insert_sql is not None:
                    # Driver level: SQLAlchemy's per-row parameter processing cost more
                    # than the rest of the export.
                    conn.exec_driver_sql(self._insert_sql, rows)
                else:
                    conn.execute(insert(spans_table), [dict(zip(_COLUMNS, r)) for r in rows])
                if self._prune_due():
                    self._prune(conn)
        except SQLAlchemyError as exc:
            raise SpanStoreError(url=self.url, operation="write", reason=str(exc)) from exc
        return len(rows)

    def _prune_due(self) -> bool:
        now = self._clock_ns()
        if self._last_prune_ns is None or now - self._last_prune_ns >= self.prune_interval_s * 1e9:
            self._last_prune_ns = now
            return True
        return False

    def prune(self) -> None:
        """Apply retention now: drop spans older than max_age_s, then the oldest beyond max_spans."""
        try:
            with self._writer.begin() as conn:
                self._prune(conn)
        except SQLAlchemyError as exc:
            raise SpanStoreError(url=self.url, operation="prune", reason=str(exc)) from exc

    def _prune(self, conn: Any) -> None:
        cutoff = self._clock_ns() - int(self.max_age_s * 1e9)
        conn.execute(delete(spans_table).where(spans_table.c.start_ns < cutoff))
        if conn.dialect.name == "sqlite":
            # rowids only grow, so their span bounds the row count from above in O(1):
            # most prunes end here instead of walking max_spans index entries.
            low, high = conn.exec_driver_sql("SELECT min(rowid), max(rowid) FROM trace_spans").one()
            if low is None or high - low + 1 <= self.max_spans:
                return
        # The newest max_spans spans survive (span ids are 64-bit random: unique enough);
        # ordering by the indexed start time alone avoids sorting the table.
        beyond = select(spans_table.c.span_id).order_by(spans_table.c.start_ns.desc()).offset(self.max_spans)
        conn.execute(delete(spans_table).where(spans_table.c.span_id.in_(beyond.scalar_subquery())))

    # -- reading ---------------------------------------------------------------------

    def traces(
        self,
        *,
        route: str | None = None,
        track: str | None = None,
        min_duration_ms: float | None = None,
        error: bool | None = None,
        limit: int = 50,
    ) -> list[TraceSummary]:
        """Newest traces first. A trace's root is its span whose parent is not stored
        (the client's span when the client exports here too, else the server's)."""
        s = spans_table
        root = s.alias("root")
        other = s.alias("other")
        in_trace = other.c.trace_id == root.c.trace_id
        query = select(root).where(
            ~exists().where(and_(in_trace, other.c.span_id == root.c.parent_span_id))
        )
        if route is not None:
            query = query.where(exists().where(and_(in_trace, other.c.route == route)))
        if track is not None:
            query = query.where(exists().where(and_(in_trace, other.c.track == track)))
        if min_duration_ms is not None:
            query = query.where(root.c.duration_ms >= min_duration_ms)
        if error is True:
            # Failed spans are rare: collect their traces through the index first.
            failed_traces = select(s.c.trace_id).where(s.c.error.is_(True))
            query = query.where(root.c.trace_id.in_(failed_traces))
        elif error is False:
            query = query.where(~exists().where(and_(in_trace, other.c.error.is_(True))))
        query = query.order_by(root.c.start_ns.desc()).limit(max(1, min(limit, 1000)))
        try:
            with self._reader.connect() as conn:
                roots = [_record(r) for r in conn.execute(query)]
                ids = list(dict.fromkeys(r.trace_id for r in roots))
                stats = {
                    row.trace_id: (row.n, bool(row.failed), row.route, row.track)
                    for row in conn.execute(
                        select(
                            s.c.trace_id, func.count().label("n"),
                            func.max(s.c.error.cast(BigInteger)).label("failed"),
                            func.min(s.c.route).label("route"), func.min(s.c.track).label("track"),
                        ).where(s.c.trace_id.in_(ids)).group_by(s.c.trace_id)
                    )
                } if ids else {}
        except SQLAlchemyError as exc:
            raise SpanStoreError(url=self.url, operation="query", reason=str(exc)) from exc
        out: list[TraceSummary] = []
        seen: set[str] = set()
        for r in roots:
            if r.trace_id in seen:
                continue
            seen.add(r.trace_id)
            count, failed, any_route, any_track = stats.get(r.trace_id, (1, r.error, r.route, r.track))
            out.append(TraceSummary(
                trace_id=r.trace_id, root_name=r.name, route=r.route or any_route,
                service=r.service, version=r.version, track=r.track or any_track,
                start_ns=r.start_ns, duration_ms=r.duration_ms, span_count=count, error=failed,
            ))
        return out

    def trace(self, trace_id: str) -> list[SpanRecord]:
        """Every stored span of one trace, in start order (empty when unknown)."""
        query = select(spans_table).where(spans_table.c.trace_id == trace_id.lower()).order_by(
            spans_table.c.start_ns, spans_table.c.span_id)
        try:
            with self._reader.connect() as conn:
                return [_record(r) for r in conn.execute(query)]
        except SQLAlchemyError as exc:
            raise SpanStoreError(url=self.url, operation="query", reason=str(exc)) from exc

    def count(self) -> int:
        try:
            with self._reader.connect() as conn:
                return int(conn.execute(select(func.count()).select_from(spans_table)).scalar_one())
        except SQLAlchemyError as exc:
            raise SpanStoreError(url=self.url, operation="query", reason=str(exc)) from exc

    def close(self) -> None:
        self._writer.dispose()
        self._reader.dispose()
