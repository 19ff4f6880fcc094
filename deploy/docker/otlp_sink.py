"""A stand-in for the OpenTelemetry Collector of components/otel-collector: receives OTLP/gRPC
traces and metrics and writes one JSON line per span and per metric to a file. deploy/docker/smoke
--otel runs it where the overlay's otel-collector would be, then reads what the servers sent.

    python3 deploy/docker/otlp_sink.py --listen 127.0.0.1:4317 --out spans.jsonl
"""

import argparse
import json
import signal
import threading
from concurrent import futures

import grpc
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


def service_name(resource):
    for attribute in resource.attributes:
        if attribute.key == "service.name":
            return attribute.value.string_value
    return ""


class Sink(trace_service_pb2_grpc.TraceServiceServicer, metrics_service_pb2_grpc.MetricsServiceServicer):
    def __init__(self, out):
        self.out = out
        self.lock = threading.Lock()

    def write(self, records):
        with self.lock, open(self.out, "a", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record) + "\n")

    def Export(self, request, context):  # noqa: N802 (gRPC method name)
        if isinstance(request, trace_service_pb2.ExportTraceServiceRequest):
            self.write(
                {
                    "kind": "span",
                    "service": service_name(resources.resource),
                    "trace_id": span.trace_id.hex(),
                    "parent": span.parent_span_id.hex(),
                    "name": span.name,
                }
                for resources in request.resource_spans
                for scopes in resources.scope_spans
                for span in scopes.spans
            )
            return trace_service_pb2.ExportTraceServiceResponse()
        self.write(
            {"kind": "metric", "service": service_name(resources.resource), "name": metric.name}
            for resources in request.resource_metrics
            for scopes in resources.scope_metrics
            for metric in scopes.metrics
        )
        return metrics_service_pb2.ExportMetricsServiceResponse()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--listen", default="127.0.0.1:4317")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    sink = Sink(args.out)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(sink, server)
    metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(sink, server)
    server.add_insecure_port(args.listen)
    server.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop(grace=2).wait()


if __name__ == "__main__":
    main()
