"""OTLP peer for tracekit's exporter tests. With `--grpc`, an OTLP/gRPC
receiver on 127.0.0.1 (OpenTelemetry's generated service, on grpcio): it
prints its port, then one line per `Export` call, with the call's
metadata; `--fail-first N` answers the first N calls `UNAVAILABLE`, with
a `google.rpc.RetryInfo` asking for `--retry-delay-ms` milliseconds. With
`--serve`, an OTLP/HTTP
receiver on 127.0.0.1: it prints its port on the first line, then, for
each `POST /v1/traces`, decodes the body (protobuf, or JSON by its
content type, gzip unpacked), answers 200 and prints what it read on one
line; `--fail-first N` answers the first N requests 503 with
`Retry-After: 1`, and `--reject K` answers every accepted request with a
partial success refusing K spans. Without, it decodes an OTLP/protobuf
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
import gzip
import http.server
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


def parse(body, as_json):
    if as_json:
        request = ExportTraceServiceRequest()
        json_format.ParseDict(ids_to_base64(json.loads(body)), request)
        return request
    return ExportTraceServiceRequest.FromString(body)


def summary(request):
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
    return out


def int_flag(name, default):
    if name in sys.argv:
        return int(sys.argv[sys.argv.index(name) + 1])
    return default


HTTP_FAILURES = [int_flag("--fail-first", 0)]


class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        if HTTP_FAILURES[0] > 0:
            HTTP_FAILURES[0] -= 1
            self.send_response(503)
            self.send_header("retry-after", "1")
            self.send_header("content-length", "0")
            self.end_headers()
            return
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        as_json = self.headers.get("content-type") == "application/json"
        decoded = summary(parse(body, as_json))
        print(json.dumps({"path": self.path, "groups": decoded}), flush=True)
        answer = b""
        rejected = int_flag("--reject", 0)
        if rejected:
            from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
                ExportTracePartialSuccess,
                ExportTraceServiceResponse,
            )

            response = ExportTraceServiceResponse(
                partial_success=ExportTracePartialSuccess(
                    rejected_spans=rejected, error_message="too many attributes"
                )
            )
            if as_json:
                answer = json_format.MessageToJson(response).encode()
            else:
                answer = response.SerializeToString()
        self.send_response(200)
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


def serve_grpc():
    from concurrent import futures

    import grpc
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2_grpc
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceResponse,
    )

    from google.protobuf import any_pb2, duration_pb2
    from google.rpc import error_details_pb2, status_pb2

    def flag(name, default):
        if name in sys.argv:
            return int(sys.argv[sys.argv.index(name) + 1])
        return default

    failures = [flag("--fail-first", 0)]
    delay_ms = flag("--retry-delay-ms", 0)

    class Servicer(trace_service_pb2_grpc.TraceServiceServicer):
        def Export(self, request, context):
            if failures[0] > 0:
                failures[0] -= 1
                info = error_details_pb2.RetryInfo(
                    retry_delay=duration_pb2.Duration(nanos=delay_ms * 1_000_000)
                )
                detail = any_pb2.Any()
                detail.Pack(info)
                status = status_pb2.Status(
                    code=grpc.StatusCode.UNAVAILABLE.value[0],
                    message="warming up",
                    details=[detail],
                )
                context.set_trailing_metadata(
                    (("grpc-status-details-bin", status.SerializeToString()),)
                )
                context.abort(grpc.StatusCode.UNAVAILABLE, "warming up")
            metadata = {key: value for key, value in context.invocation_metadata()}
            line = {"path": "grpc", "groups": summary(request), "metadata": metadata}
            print(json.dumps(line), flush=True)
            return ExportTraceServiceResponse()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Servicer(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    server.wait_for_termination()


def main():
    if "--grpc" in sys.argv:
        serve_grpc()
    elif "--serve" in sys.argv:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        print(server.server_address[1], flush=True)
        server.serve_forever()
    else:
        body = sys.stdin.buffer.read()
        json.dump(summary(parse(body, "--json" in sys.argv)), sys.stdout)


main()
