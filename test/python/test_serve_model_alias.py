"""Tests for the alias following of lib/serving/scripts/serve_model.py (AliasFollower): a moved
alias is picked up without a restart, a failed load or an unreachable registry keeps the served
version, and a missing alias answers 503 instead of crashing. resolve/load are plain functions
here; test/loop/churn-loop.test.ts runs the same code against a real MLflow registry."""

import asyncio
import importlib.util
import json
import pathlib

import pytest

pytest.importorskip("prometheus_client")

ROOT = pathlib.Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("serve_model", ROOT / "lib" / "serving" / "scripts" / "serve_model.py")
serve = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(serve)


def app_answering(text):
    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": text.encode()})

    return app


def get(app, path="/invocations"):
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message):
        sent.append(message)

    asyncio.run(app({"type": "http", "path": path, "method": "POST", "headers": []}, receive, send))
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:]).decode()


class Registry:
    def __init__(self):
        self.version, self.loads, self.broken, self.down = None, [], set(), False

    def resolve(self):
        if self.down:
            raise ConnectionError("registry unreachable")
        return self.version

    def load(self, version):
        self.loads.append(version)
        if version in self.broken:
            raise OSError("artifact missing")
        return app_answering(f"version {version}")


def follower(reg, seen=None):
    return serve.AliasFollower(reg.resolve, reg.load, on_version=(seen.append if seen is not None else None), log=lambda _m: None)


def test_missing_alias_answers_503_and_waits():
    reg = Registry()
    f = follower(reg)
    assert f.poll() is False
    status, body = get(f)
    assert status == 503
    assert "alias does not exist" in json.loads(body)["error"]
    reg.version = "1"
    assert f.poll() is True
    assert get(f) == (200, "version 1")


def test_moved_alias_is_served_without_restart_and_reported():
    reg, seen = Registry(), []
    reg.version = "1"
    f = follower(reg, seen)
    f.poll()
    assert get(f) == (200, "version 1")
    assert f.poll() is False  # unchanged: no reload
    reg.version = "2"
    assert f.poll() is True
    assert get(f) == (200, "version 2")
    assert reg.loads == ["1", "2"]
    assert seen == ["1", "2"]


def test_failed_load_and_unreachable_registry_keep_the_served_version():
    reg = Registry()
    reg.version = "1"
    f = follower(reg)
    f.poll()
    reg.version, reg.broken = "2", {"2"}
    assert f.poll() is False
    assert get(f) == (200, "version 1")
    reg.down = True
    assert f.poll() is False
    assert get(f) == (200, "version 1")
    reg.down, reg.broken = False, set()
    assert f.poll() is True  # retried on the next poll
    assert get(f) == (200, "version 2")


def test_removed_alias_keeps_serving_the_last_version():
    reg = Registry()
    reg.version = "3"
    f = follower(reg)
    f.poll()
    reg.version = None
    assert f.poll() is False
    assert get(f) == (200, "version 3")


@pytest.mark.parametrize(
    "uri, expected",
    [
        ("models:/churn@champion", ("churn", "champion")),
        ("models:/team.churn@challenger", ("team.churn", "challenger")),
        ("models:/churn/3", None),
        ("runs:/abc/model", None),
    ],
)
def test_parse_alias_uri(uri, expected):
    assert serve.parse_alias_uri(uri) == expected


def test_lifespan_is_answered_without_a_model():
    f = follower(Registry())
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent = []

    async def receive():
        return next(messages)

    async def send(message):
        sent.append(message["type"])

    asyncio.run(f({"type": "lifespan"}, receive, send))
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


def test_lifespan_shutdown_flushes_before_the_app_shuts_down():
    # uvicorn re-raises SIGTERM after shutting down, so atexit never runs: the flush hangs on the lifespan.
    flushed = []
    wrapped = serve.MetricsMiddleware(follower(Registry()), registry=__import__("prometheus_client").CollectorRegistry(), on_shutdown=lambda: flushed.append(True))
    messages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    sent = []

    async def receive():
        return next(messages)

    async def send(message):
        sent.append((message["type"], len(flushed)))

    asyncio.run(wrapped({"type": "lifespan"}, receive, send))
    assert sent == [("lifespan.startup.complete", 0), ("lifespan.shutdown.complete", 1)]
