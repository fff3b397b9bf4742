"""A local OTLP/HTTP trace sink, so the benchmark runs with tracing exported as production
does (the services' BatchSpanProcessor and OTLP exporter cost CPU: that is measured).

    python -m bench.otlp_sink PORT

Accepts POST /v1/traces (protobuf, as opentelemetry-exporter-otlp-proto-http sends it),
answers 200 with an empty ExportTraceServiceResponse, and counts requests, bytes and
spans per service and per span name (decoded with opentelemetry-proto; a body that does not decode is counted, not
refused). GET /stats gives the counters as JSON, per service.name. It keeps nothing else.
Its own CPU is measured as the "otlp sink" process and not counted against the services.
"""

import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

try:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
        ExportTraceServiceResponse,
    )
except ImportError:  # counted without decoding
    ExportTraceServiceRequest = ExportTraceServiceResponse = None  # type: ignore[misc, assignment]  # protobuf is optional

_lock = threading.Lock()
STATS: dict[str, Any] = {"requests": 0, "bytes": 0, "spans": 0, "undecoded": 0, "by_service": {}, "by_name": {}}
EMPTY = ExportTraceServiceResponse().SerializeToString() if ExportTraceServiceResponse else b""


def _count(body: bytes) -> None:
    spans: dict[str, int] = {}
    names: dict[str, int] = {}
    decoded = False
    if ExportTraceServiceRequest is not None:
        try:
            request = ExportTraceServiceRequest.FromString(body)
            for rs in request.resource_spans:
                name = next((a.value.string_value for a in rs.resource.attributes if a.key == "service.name"), "?")
                spans[name] = spans.get(name, 0) + sum(len(ss.spans) for ss in rs.scope_spans)
                for ss in rs.scope_spans:
                    for span in ss.spans:
                        key = f"{name}: {span.name}"
                        names[key] = names.get(key, 0) + 1
            decoded = True
        except Exception:
            pass
    with _lock:
        STATS["requests"] += 1
        STATS["bytes"] += len(body)
        STATS["undecoded"] += not decoded
        for name, n in spans.items():
            STATS["spans"] += n
            STATS["by_service"][name] = STATS["by_service"].get(name, 0) + n
        for key, n in names.items():
            STATS["by_name"][key] = STATS["by_name"].get(key, 0) + n


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.rstrip("/") == "/v1/traces":
            _count(body)
            self._answer(200, EMPTY, "application/x-protobuf")
        else:
            self._answer(404, b"", "text/plain")

    def do_GET(self) -> None:
        with _lock:
            body = json.dumps(STATS).encode()
        self._answer(200 if self.path == "/stats" else 404, body, "application/json")

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def stats(port: int) -> dict[str, Any]:
    """The sink's counters (empty when it is not answering)."""
    try:
        counters: dict[str, Any] = httpx.get(f"http://127.0.0.1:{port}/stats", timeout=5).json()
        return counters
    except httpx.HTTPError:
        return {}


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
