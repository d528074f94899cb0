"""OTLP peer for tracekit's exporter tests: decodes an OTLP/protobuf
`ExportTraceServiceRequest` from stdin with OpenTelemetry's own generated
Python classes (with `--json`: OTLP/JSON, read by protobuf's
`json_format.Parse`, which refuses unknown field names, after the ids,
hex in OTLP/JSON, are turned into the base64 protobuf's JSON expects),
and writes what it read on stdout as JSON, for the Rust tests to compare
span by span:

  {"resource": {KEY: VALUE}, "scope": {"name", "version"},
   "spans": [{"trace_id", "span_id", "parent_span_id" (hex), "trace_state",
              "flags", "name", "kind", "start", "end",
              "attributes": {KEY: [TYPE, VALUE]},
              "events": [{"name", "time", "attributes"}],
              "links": [{"trace_id", "span_id", "trace_state", "flags"}],
              "status": {"code", "message"}}]}

TYPE is the name of the `AnyValue` field that is set (`string_value`,
`int_value`, ...); 64-bit integers are written as decimal strings.
"""

import base64
import json
import sys

from google.protobuf import json_format

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)


def value(any_value):
    kind = any_value.WhichOneof("value")
    raw = getattr(any_value, kind)
    if kind == "int_value":
        raw = str(raw)
    return [kind, raw]


def attributes(key_values):
    return {kv.key: value(kv.value) for kv in key_values}


def span(s):
    return {
        "trace_id": s.trace_id.hex(),
        "span_id": s.span_id.hex(),
        "parent_span_id": s.parent_span_id.hex(),
        "trace_state": s.trace_state,
        "flags": s.flags,
        "name": s.name,
        "kind": s.kind,
        "start": str(s.start_time_unix_nano),
        "end": str(s.end_time_unix_nano),
        "attributes": attributes(s.attributes),
        "events": [
            {
                "name": e.name,
                "time": str(e.time_unix_nano),
                "attributes": attributes(e.attributes),
            }
            for e in s.events
        ],
        "links": [
            {
                "trace_id": link.trace_id.hex(),
                "span_id": link.span_id.hex(),
                "trace_state": link.trace_state,
                "flags": link.flags,
            }
            for link in s.links
        ],
        "status": {"code": s.status.code, "message": s.status.message},
    }


ID_FIELDS = ("traceId", "spanId", "parentSpanId")


def ids_to_base64(value):
    """OTLP/JSON writes ids in hex; protobuf's JSON mapping reads base64."""
    if isinstance(value, dict):
        return {
            key: (
                base64.b64encode(bytes.fromhex(item)).decode()
                if key in ID_FIELDS
                else ids_to_base64(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [ids_to_base64(item) for item in value]
    return value


def read_request():
    body = sys.stdin.buffer.read()
    if "--json" in sys.argv:
        request = ExportTraceServiceRequest()
        json_format.ParseDict(ids_to_base64(json.loads(body)), request)
        return request
    return ExportTraceServiceRequest.FromString(body)


def main():
    request = read_request()
    out = []
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            out.append(
                {
                    "resource": attributes(resource_spans.resource.attributes),
                    "scope": {
                        "name": scope_spans.scope.name,
                        "version": scope_spans.scope.version,
                    },
                    "spans": [span(s) for s in scope_spans.spans],
                }
            )
    json.dump(out, sys.stdout)


main()
