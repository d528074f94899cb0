"""Sends one trace to an OTLP/HTTP endpoint with OpenTelemetry's own
Python SDK and exporter (protobuf over HTTP), and prints its trace id.

usage: view_sender.py ENDPOINT   (e.g. http://127.0.0.1:4318)
"""

import sys

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

endpoint = sys.argv[1]
provider = TracerProvider(resource=Resource.create({"service.name": "python-shop"}))
provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint + "/v1/traces")))
tracer = provider.get_tracer("view-peer")

with tracer.start_as_current_span("POST /orders", kind=SpanKind.SERVER) as root:
    root.set_attribute("http.route", "/orders")
    root.set_attribute("order.items", 3)
    with tracer.start_as_current_span("charge card", kind=SpanKind.CLIENT) as charge:
        charge.add_event("retry", {"attempt": 2})
        charge.set_status(Status(StatusCode.ERROR, "card declined"))
    trace_id = format(root.get_span_context().trace_id, "032x")

provider.force_flush()
provider.shutdown()
print(trace_id)
