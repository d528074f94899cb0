"""The Python original's own stack as a peer: a FastAPI app instrumented by
OpenTelemetry (its FastAPI and requests instrumentations), whose route
/relay calls another URL with `requests`.

It serves on an ephemeral loopback port, prints the port on stdout, and
keeps its finished spans in the SDK's in-memory exporter; GET /spans
returns them as JSON (ids as hex) for the Rust test to compare.
"""

import socket
import sys

import requests
import uvicorn
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
RequestsInstrumentor().instrument()

app = FastAPI()


@app.get("/relay")
def relay(target: str):
    """Calls `target` (the Rust server) and answers with its body."""
    # No proxy: the target is on loopback.
    session = requests.Session()
    session.trust_env = False
    return {"relayed": session.get(target, timeout=10).text}


@app.get("/spans")
def spans():
    """Every finished span: what the SDK's in-memory exporter holds."""

    def hex_id(value, width):
        return format(value, "0%dx" % width)

    return [
        {
            "name": span.name,
            "kind": span.kind.name,
            "trace_id": hex_id(span.context.trace_id, 32),
            "span_id": hex_id(span.context.span_id, 16),
            "parent_id": hex_id(span.parent.span_id, 16) if span.parent else None,
            "parent_is_remote": bool(span.parent and span.parent.is_remote),
            "attributes": {key: str(value) for key, value in (span.attributes or {}).items()},
        }
        for span in exporter.get_finished_spans()
    ]


FastAPIInstrumentor.instrument_app(app, excluded_urls="spans")


def main():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    # Listening before the port is announced: a connection made before
    # uvicorn has started waits in the backlog instead of being refused.
    listener.listen(128)
    print(listener.getsockname()[1], flush=True)
    config = uvicorn.Config(app, log_level="warning")
    uvicorn.Server(config).run(sockets=[listener])


if __name__ == "__main__":
    sys.exit(main())
