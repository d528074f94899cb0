"""Propagation peer for tracekit's interoperability tests.

Reads requests from stdin, one per line, and answers each on stdout using
OpenTelemetry's Python propagators:

  inject FORMATS TRACE_ID SPAN_ID SAMPLED BAGGAGE
      -> "headers N" then N lines "key<TAB>value"
  extract FORMATS N, then N lines "key<TAB>value"
      -> "context VALID TRACE_ID SPAN_ID SAMPLED BAGGAGE"

FORMATS is a comma-separated list of tracecontext, baggage, b3, b3multi,
jaeger. BAGGAGE is "-" or URL-encoded "key=value" pairs joined by "&".
"""

import sys
import urllib.parse

from opentelemetry import baggage, context, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.b3 import B3MultiFormat, B3SingleFormat
from opentelemetry.propagators.jaeger import JaegerPropagator
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

FORMATS = {
    "tracecontext": TraceContextTextMapPropagator(),
    "baggage": W3CBaggagePropagator(),
    "b3": B3SingleFormat(),
    "b3multi": B3MultiFormat(),
    "jaeger": JaegerPropagator(),
}


def decode_baggage(text):
    if text == "-":
        return {}
    return dict(urllib.parse.parse_qsl(text, keep_blank_values=True))


def encode_baggage(items):
    return urllib.parse.urlencode(sorted(items.items()), quote_via=urllib.parse.quote) or "-"


def inject(formats, trace_id, span_id, sampled, items):
    span_context = SpanContext(
        trace_id=int(trace_id, 16),
        span_id=int(span_id, 16),
        is_remote=False,
        trace_flags=TraceFlags(1 if sampled == "1" else 0),
    )
    ctx = trace.set_span_in_context(NonRecordingSpan(span_context), context.Context())
    for key, value in decode_baggage(items).items():
        ctx = baggage.set_baggage(key, value, ctx)
    carrier = {}
    for name in formats.split(","):
        FORMATS[name].inject(carrier, context=ctx)
    print(f"headers {len(carrier)}")
    for key, value in carrier.items():
        print(f"{key}\t{value}")


def extract(formats, headers):
    ctx = context.Context()
    for name in formats.split(","):
        ctx = FORMATS[name].extract(headers, context=ctx)
    span_context = trace.get_current_span(ctx).get_span_context()
    items = {k: str(v) for k, v in baggage.get_all(ctx).items()}
    print(
        "context {} {:032x} {:016x} {} {}".format(
            1 if span_context.is_valid else 0,
            span_context.trace_id,
            span_context.span_id,
            1 if span_context.trace_flags.sampled else 0,
            encode_baggage(items),
        )
    )


def main():
    lines = iter(sys.stdin.read().splitlines())
    for line in lines:
        parts = line.split(" ")
        if parts[0] == "inject":
            inject(*parts[1:6])
        elif parts[0] == "extract":
            headers = {}
            for _ in range(int(parts[2])):
                key, value = next(lines).split("\t", 1)
                headers[key] = value
            extract(parts[1], headers)
        else:
            raise SystemExit(f"unknown request: {line!r}")


if __name__ == "__main__":
    main()
