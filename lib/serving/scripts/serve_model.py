"""Serves a model from the MLflow registry, with request metrics and optional inference logs.

Runs in the MLflow image (``python serve_model.py``), mounted from a ConfigMap by
``ModelDeployment``. It builds the very app ``mlflow models serve`` runs
(``mlflow.pyfunc.scoring_server.init``: ``/invocations``, ``/ping``, ``/health``,
``/version``) and wraps it in a small ASGI middleware that

* records ``http_request_duration_seconds`` (histogram) and ``http_requests_total``
  (counter) with labels ``method``, ``handler`` and ``status`` -- the names of
  prometheus-fastapi-instrumentator, which the platform's alert rules and dashboards read;
* serves them on ``GET /metrics``;
* when ``MLOPS_INFERENCE_LOG_URI`` is set, appends every successful ``/invocations``
  request and response to JSON-lines files under that URI (see ``InferenceLogSink``).

With an alias URI (``models:/<name>@<alias>``) the served version follows the alias:
``AliasFollower`` resolves it every ``MLOPS_MODEL_POLL_SECONDS`` and, when it points at
another version, loads that version and swaps it in between requests (no restart, no
failed request); ``mlops_served_model_version`` (gauge) is the version being served. While
the alias does not exist yet (no model promoted), every path but ``/metrics`` answers 503
and the pod keeps waiting instead of crash-looping.

Nothing is installed at start: mlflow, uvicorn, fastapi and prometheus_client are in
the image, and the model's own libraries must be too (``--env-manager local``).

Environment:
  MLOPS_MODEL_URI                       models:/<name>@<alias> or models:/<name>/<version> (required)
  MLOPS_MODEL_POLL_SECONDS              seconds between alias checks (default 30; 0: resolve once)
  MLOPS_PORT                            port to listen on (default 8080)
  MLFLOW_MODELS_WORKERS                 uvicorn worker processes (default 1)
  MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT seconds per request (read by MLflow's app)
  MLOPS_MODEL_NAME, MLOPS_MODEL_VARIANT written into inference-log records
  MLOPS_INFERENCE_LOG_URI               artifact URI for inference logs (optional)
  MLOPS_INFERENCE_LOG_FLUSH_RECORDS     records per file (default 500)
  MLOPS_INFERENCE_LOG_FLUSH_SECONDS     longest time a record waits for upload (default 60)
"""

import atexit
import datetime
import json
import os
import socket
import sys
import tempfile
import threading
import time
import uuid

METRICS_PATH = "/metrics"
# Probes would otherwise dominate the request rate of an idle model and dilute its error ratio.
UNRECORDED_PATHS = {METRICS_PATH, "/ping", "/health"}
# Anything else is "other", so random paths cannot blow up the series count.
KNOWN_HANDLERS = {"/invocations", "/version"}
# prometheus-fastapi-instrumentator's default buckets.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)


class MetricsMiddleware:
    """ASGI middleware recording request count and latency, and serving ``/metrics``."""

    def __init__(self, app, registry=None, on_prediction=None, on_shutdown=None):
        from prometheus_client import REGISTRY, Counter, Histogram

        self.app = app
        self.on_shutdown = on_shutdown
        self.registry = registry if registry is not None else REGISTRY
        self.on_prediction = on_prediction
        self.requests = Counter(
            "http_requests_total",
            "Requests by method, handler and status code.",
            ("method", "handler", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Request latency by method and handler.",
            ("method", "handler"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan" and self.on_shutdown is not None:
            # uvicorn re-raises SIGTERM after its graceful shutdown, so atexit handlers never run:
            # the lifespan shutdown is the last moment to flush buffered inference logs.
            async def receive_lifespan():
                message = await receive()
                if message["type"] == "lifespan.shutdown":
                    try:
                        self.on_shutdown()
                    except Exception as err:
                        print(f"shutdown: {err.__class__.__name__}: {err}", file=sys.stderr)
                return message

            await self.app(scope, receive_lifespan, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        method = scope.get("method", "GET")
        if path == METRICS_PATH and method == "GET":
            await self._serve_metrics(send)
            return
        if path in UNRECORDED_PATHS:
            await self.app(scope, receive, send)
            return

        handler = path if path in KNOWN_HANDLERS else "other"
        capture = self.on_prediction is not None and path == "/invocations"
        request_body, response_body = [], []
        status = {"code": 500}

        async def receive_wrapper():
            message = await receive()
            if capture and message["type"] == "http.request":
                request_body.append(message.get("body", b""))
            return message

        async def send_wrapper(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            elif capture and message["type"] == "http.response.body":
                response_body.append(message.get("body", b""))
            await send(message)

        start = time.perf_counter()
        try:
            await self.app(scope, receive_wrapper if capture else receive, send_wrapper)
        finally:
            self.latency.labels(method, handler).observe(time.perf_counter() - start)
            self.requests.labels(method, handler, str(status["code"])).inc()
        if capture and 200 <= status["code"] < 300:
            try:
                self.on_prediction(b"".join(request_body), b"".join(response_body))
            except Exception as err:  # logging must never fail a prediction
                print(f"inference log: dropped a record: {err}", file=sys.stderr)

    async def _serve_metrics(self, send):
        from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

        registry = self.registry
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            # Several uvicorn workers: sum the series every worker wrote to the shared directory.
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", CONTENT_TYPE_LATEST.encode())]})
        await send({"type": "http.response.body", "body": body})


def _decode(body):
    text = body.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


class InferenceLogSink:
    """Buffers request/response pairs and uploads them as JSON-lines files.

    Each file is ``<uri>/date=<YYYY-MM-DD>/<host>-<unix ms>-<random>.jsonl``; each line is
    ``{"timestamp", "model", "variant", "request", "response"}`` where request and response
    are the JSON bodies as sent (e.g. ``{"dataframe_split": ...}`` and ``{"predictions": [...]}``).
    The drift monitor reads these files.
    """

    def __init__(self, uri, upload, model="", variant="", flush_records=500, flush_seconds=60.0, clock=time.time):
        self.uri = uri.rstrip("/")
        self.upload = upload
        self.model = model
        self.variant = variant
        self.flush_records = flush_records
        self.flush_seconds = flush_seconds
        self.clock = clock
        self.lock = threading.Lock()
        self.records = []
        self.first_at = None

    @classmethod
    def from_env(cls):
        uri = os.environ.get("MLOPS_INFERENCE_LOG_URI")
        if not uri:
            return None
        from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

        repo = get_artifact_repository(uri)
        sink = cls(
            uri,
            upload=lambda local, artifact_path: repo.log_artifact(local, artifact_path),
            model=os.environ.get("MLOPS_MODEL_NAME", ""),
            variant=os.environ.get("MLOPS_MODEL_VARIANT", ""),
            flush_records=int(os.environ.get("MLOPS_INFERENCE_LOG_FLUSH_RECORDS", "500")),
            flush_seconds=float(os.environ.get("MLOPS_INFERENCE_LOG_FLUSH_SECONDS", "60")),
        )
        atexit.register(sink.flush)
        return sink

    def add(self, request_body, response_body):
        now = self.clock()
        record = {
            "timestamp": datetime.datetime.fromtimestamp(now, datetime.timezone.utc).isoformat(),
            "model": self.model,
            "variant": self.variant,
            "request": _decode(request_body),
            "response": _decode(response_body),
        }
        with self.lock:
            self.records.append(record)
            if self.first_at is None:
                self.first_at = now
            due = len(self.records) >= self.flush_records or now - self.first_at >= self.flush_seconds
        if due:
            # Upload off the request path; a slow object store must not slow predictions.
            threading.Thread(target=self.flush, daemon=True).start()

    def flush(self):
        with self.lock:
            records, self.records, first_at, self.first_at = self.records, [], self.first_at, None
        if not records:
            return None
        day = datetime.datetime.fromtimestamp(first_at, datetime.timezone.utc).strftime("%Y-%m-%d")
        name = f"{socket.gethostname()}-{int(first_at * 1000)}-{uuid.uuid4().hex[:8]}.jsonl"
        directory = tempfile.mkdtemp(prefix="inference-log-")
        local = os.path.join(directory, name)
        with open(local, "w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, default=str) + "\n")
        try:
            self.upload(local, f"date={day}")
        finally:
            os.remove(local)
            os.rmdir(directory)
        return f"date={day}/{name}"


def parse_alias_uri(uri):
    """(name, alias) of ``models:/<name>@<alias>``, else None (a version or other URI is served as is)."""
    if not uri.startswith("models:/") or "@" not in uri:
        return None
    name, _, alias = uri[len("models:/"):].rpartition("@")
    return (name, alias) if name and alias and "/" not in alias else None


class AliasFollower:
    """ASGI app serving the version a registered-model alias points at, following it as it moves.

    ``resolve()`` returns the alias's version (str) or None while the alias does not exist;
    ``load(version)`` returns the ASGI app serving that version. ``poll()`` (called by a
    background thread every ``poll_seconds``) loads a moved alias and swaps the app; requests in
    flight finish on the app they started on. A failed load keeps the version being served.
    """

    def __init__(self, resolve, load, on_version=None, log=None):
        self.resolve = resolve
        self.load = load
        self.on_version = on_version
        self.log = log or (lambda message: print(message, file=sys.stderr, flush=True))
        self.version = None
        self.app = None
        self.lock = threading.Lock()

    def poll(self):
        """Checks the alias once; returns True when another version is now served."""
        with self.lock:
            try:
                version = self.resolve()
            except Exception as err:  # registry unreachable: keep serving what we have
                self.log(f"model alias: cannot resolve ({err.__class__.__name__}: {err}); serving version {self.version}")
                return False
            if version is None or version == self.version:
                if version is None and self.version is None:
                    self.log("model alias: does not exist yet; waiting")
                return False
            try:
                app = self.load(version)
            except Exception as err:
                self.log(f"model alias: loading version {version} failed ({err.__class__.__name__}: {err}); serving version {self.version}")
                return False
            previous, self.app, self.version = self.version, app, version
            self.log(f"model alias: now serving version {version}" + (f" (was {previous})" if previous else ""))
            if self.on_version:
                self.on_version(version)
            return True

    def start(self, poll_seconds):
        """Polls in a daemon thread: every ``poll_seconds``, and every 5 s while nothing is served yet."""

        def loop():
            while True:
                time.sleep(min(poll_seconds, 5.0) if self.app is None else poll_seconds)
                self.poll()

        threading.Thread(target=loop, name="alias-follower", daemon=True).start()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        app = self.app
        if app is None:
            body = json.dumps({"error": "no model version to serve yet: the alias does not exist"}).encode()
            await send({"type": "http.response.start", "status": 503, "headers": [(b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": body})
            return
        await app(scope, receive, send)


def version_gauge(registry=None):
    """``mlops_served_model_version``: the registry version a pod serves (the canary judge reads it)."""
    from prometheus_client import REGISTRY, Gauge

    kwargs = {"multiprocess_mode": "liveall"} if os.environ.get("PROMETHEUS_MULTIPROC_DIR") else {}
    return Gauge("mlops_served_model_version", "Registered model version being served.", registry=registry if registry is not None else REGISTRY, **kwargs)


def create_app():
    """uvicorn factory: loads the model once per worker and wraps MLflow's scoring app."""
    from mlflow.pyfunc import scoring_server

    uri = os.environ["MLOPS_MODEL_URI"]
    sink = InferenceLogSink.from_env()
    on_prediction = sink.add if sink else None
    on_shutdown = sink.flush if sink else None
    alias = parse_alias_uri(uri)
    poll_seconds = float(os.environ.get("MLOPS_MODEL_POLL_SECONDS", "30"))
    if alias is None or poll_seconds <= 0:
        model = scoring_server.load_model_with_mlflow_config(uri)
        return MetricsMiddleware(scoring_server.init(model), on_prediction=on_prediction, on_shutdown=on_shutdown)

    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    name, alias_name = alias
    client = MlflowClient()

    def resolve():
        try:
            return str(client.get_model_version_by_alias(name, alias_name).version)
        except MlflowException as err:
            if getattr(err, "error_code", "") in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
                return None
            raise

    def load(version):
        return scoring_server.init(scoring_server.load_model_with_mlflow_config(f"models:/{name}/{version}"))

    gauge = version_gauge()
    follower = AliasFollower(resolve, load, on_version=lambda v: gauge.set(float(v)))
    follower.poll()
    follower.start(poll_seconds)
    return MetricsMiddleware(follower, on_prediction=on_prediction, on_shutdown=on_shutdown)


def main():
    if not os.environ.get("MLOPS_MODEL_URI"):
        print("MLOPS_MODEL_URI is not set (expected models:/<name>@<alias> or models:/<name>/<version>)", file=sys.stderr)
        return 2
    workers = int(os.environ.get("MLFLOW_MODELS_WORKERS", "1"))
    if workers > 1:
        directory = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", "/tmp/prometheus-multiproc")
        os.makedirs(directory, exist_ok=True)
    import uvicorn

    # Workers import the factory by name, so this file's directory must be importable.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    uvicorn.run(
        "serve_model:create_app",
        factory=True,
        host="0.0.0.0",
        port=int(os.environ.get("MLOPS_PORT", "8080")),
        workers=workers,
        proxy_headers=False,
        timeout_graceful_shutdown=20,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
