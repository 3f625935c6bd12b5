"""Tests for lib/serving/scripts/serve_model.py: the metrics middleware against a stub
ASGI app (no MLflow needed) and the inference-log sink with a fake uploader."""

import asyncio
import importlib.util
import json
import pathlib
import time

import pytest

prometheus_client = pytest.importorskip("prometheus_client")
from prometheus_client import CollectorRegistry  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "lib" / "serving" / "scripts" / "serve_model.py"
_spec = importlib.util.spec_from_file_location("serve_model", SCRIPT)
serve = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(serve)


def stub_app(status=200, body=b'{"predictions": [1]}', fail=False):
    async def app(scope, receive, send):
        await receive()
        if fail:
            raise RuntimeError("model crashed")
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return app


def call(app, path, method="POST", body=b"{}"):
    sent = []

    async def receive():
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": path, "method": method, "headers": []}
    asyncio.run(app(scope, receive, send))
    return sent


def sample(registry, name, labels):
    value = registry.get_sample_value(name, labels)
    return 0 if value is None else value


def test_counts_requests_by_status_and_handler():
    reg = CollectorRegistry()
    state = {"status": 200}

    async def app(scope, receive, send):
        await receive()
        await send({"type": "http.response.start", "status": state["status"], "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    wrapped = serve.MetricsMiddleware(app, registry=reg)
    call(wrapped, "/invocations")
    call(wrapped, "/invocations")
    state["status"] = 503
    call(wrapped, "/invocations")
    labels = {"method": "POST", "handler": "/invocations"}
    assert sample(reg, "http_requests_total", {**labels, "status": "200"}) == 2
    assert sample(reg, "http_requests_total", {**labels, "status": "503"}) == 1
    assert sample(reg, "http_request_duration_seconds_count", labels) == 3
    assert sample(reg, "http_request_duration_seconds_bucket", {**labels, "le": "+Inf"}) == 3


def test_exception_counts_as_500_and_propagates():
    reg = CollectorRegistry()
    app = serve.MetricsMiddleware(stub_app(fail=True), registry=reg)
    with pytest.raises(RuntimeError):
        call(app, "/invocations")
    assert sample(reg, "http_requests_total", {"method": "POST", "handler": "/invocations", "status": "500"}) == 1


def test_unknown_paths_share_one_handler_label_and_probes_are_not_recorded():
    reg = CollectorRegistry()
    app = serve.MetricsMiddleware(stub_app(404), registry=reg)
    call(app, "/a", method="GET")
    call(app, "/b", method="GET")
    call(app, "/health", method="GET")
    call(app, "/ping", method="GET")
    assert sample(reg, "http_requests_total", {"method": "GET", "handler": "other", "status": "404"}) == 2
    assert sample(reg, "http_requests_total", {"method": "GET", "handler": "/health", "status": "404"}) == 0


def test_serves_metrics_in_prometheus_text_format():
    reg = CollectorRegistry()
    app = serve.MetricsMiddleware(stub_app(200), registry=reg)
    call(app, "/invocations")
    sent = call(app, "/metrics", method="GET")
    assert sent[0]["status"] == 200
    assert dict(sent[0]["headers"])[b"content-type"].startswith(b"text/plain")
    text = sent[1]["body"].decode()
    assert 'http_requests_total{handler="/invocations",method="POST",status="200"} 1.0' in text
    assert "http_request_duration_seconds_bucket" in text


def test_successful_predictions_reach_the_log_sink_and_failures_do_not():
    reg = CollectorRegistry()
    seen = []
    app = serve.MetricsMiddleware(stub_app(200), registry=reg, on_prediction=lambda req, resp: seen.append((req, resp)))
    call(app, "/invocations", body=b'{"inputs": [[1, 2]]}')
    failing = serve.MetricsMiddleware(stub_app(400), registry=CollectorRegistry(), on_prediction=lambda *a: seen.append(a))
    call(failing, "/invocations")
    assert seen == [(b'{"inputs": [[1, 2]]}', b'{"predictions": [1]}')]


def test_sink_writes_json_lines_under_a_date_partition(tmp_path):
    uploads = []

    def upload(local, artifact_path):
        uploads.append((artifact_path, pathlib.Path(local).name, pathlib.Path(local).read_text()))

    now = [1_750_000_000.0]
    sink = serve.InferenceLogSink("s3://bucket/inference-logs/churn/", upload, model="churn", variant="canary", flush_records=1000, flush_seconds=60, clock=lambda: now[0])
    sink.add(b'{"inputs": [[1]]}', b'{"predictions": [0]}')
    sink.add(b"not json", b'{"predictions": [1]}')
    assert uploads == []  # neither threshold reached
    written = sink.flush()
    assert len(uploads) == 1
    artifact_path, name, text = uploads[0]
    assert artifact_path == "date=2025-06-15"
    assert written == f"{artifact_path}/{name}" and name.endswith(".jsonl")
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["request"] == {"inputs": [[1]]} and lines[0]["response"] == {"predictions": [0]}
    assert lines[1]["request"] == "not json"
    assert {l["model"] for l in lines} == {"churn"} and {l["variant"] for l in lines} == {"canary"}
    assert sink.flush() is None  # nothing left


def test_sink_flushes_when_the_oldest_record_is_too_old():
    done = []
    now = [1000.0]
    sink = serve.InferenceLogSink("file:///tmp/x", lambda local, path: done.append(path), flush_records=1000, flush_seconds=60, clock=lambda: now[0])
    sink.add(b"{}", b"{}")
    now[0] += 61
    sink.add(b"{}", b"{}")
    for _ in range(100):  # the upload runs on a background thread
        if done:
            break
        time.sleep(0.02)
    assert len(done) == 1


def test_main_refuses_to_start_without_a_model_uri(monkeypatch):
    monkeypatch.delenv("MLOPS_MODEL_URI", raising=False)
    assert serve.main() == 2
