"""Tests for lib/training/scripts/promotion_gate.py.

The gate is driven end to end against an in-process HTTP stand-in for the
MLflow REST API (model-versions/search, runs/get, registered-models/alias GET
and POST) that keeps model versions, runs and aliases in memory and records
every request, so assertions can check both exit codes and server-side state.
"""

import base64
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "lib" / "training" / "scripts"
SCRIPT = SCRIPTS / "promotion_gate.py"

# The modules import each other by plain name, as they do in the pod (python puts the script's directory on sys.path).
sys.path.insert(0, str(SCRIPTS))
import gate_checks  # noqa: E402
import promotion_gate as gate  # noqa: E402

MODEL = "churn"
API = "/api/2.0/mlflow/"


# --------------------------------------------------------------------------
# MLflow stand-in
# --------------------------------------------------------------------------


class FakeMlflow:
    """In-memory MLflow registry + tracking state with documented REST shapes."""

    def __init__(self):
        self.versions = []  # model version dicts, as MLflow returns them
        self.runs = {}  # run_id -> list of {"key","value","timestamp","step"}
        self.aliases = {}  # (name, alias) -> version string
        self.requests = []  # dicts: method, path, query, headers, body
        self.fail = {}  # (method, endpoint) -> list of statuses to answer first
        self.always_fail = {}  # (method, endpoint) -> status
        self.page_size = None  # force small pages to exercise pagination
        self.alias_missing_style = "invalid_parameter"  # or "not_found"
        self.lock = threading.Lock()

    # -- state helpers ---------------------------------------------------------

    def add_version(self, version, run_id, name=MODEL):
        self.versions.append(
            {
                "name": name,
                "version": str(version),
                "creation_timestamp": 1700000000000 + int(version),
                "last_updated_timestamp": 1700000000000 + int(version),
                "current_stage": "None",
                "description": "",
                "source": "models:/m-%s" % run_id,
                "run_id": run_id,
                "status": "READY",
            }
        )

    def add_run(self, run_id, **metrics):
        self.runs[run_id] = [
            {"key": k, "value": v, "timestamp": 1700000000000, "step": 0}
            for k, v in metrics.items()
        ]

    def posts(self):
        return [r for r in self.requests if r["method"] == "POST"]

    def calls(self, method, endpoint):
        return [
            r for r in self.requests
            if r["method"] == method and r["path"] == API + endpoint
        ]

    # -- request handling -----------------------------------------------------

    def handle(self, method, path, query, headers, body):
        with self.lock:
            self.requests.append(
                {"method": method, "path": path, "query": query, "headers": headers, "body": body}
            )
            if not path.startswith(API):
                return 404, {"error_code": "ENDPOINT_NOT_FOUND", "message": path}
            endpoint = path[len(API):]
            key = (method, endpoint)
            if key in self.always_fail:
                return self.always_fail[key], {"error_code": "INTERNAL_ERROR", "message": "boom"}
            if self.fail.get(key):
                status = self.fail[key].pop(0)
                return status, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "busy"}
            if key == ("GET", "model-versions/search"):
                return self._search(query)
            if key == ("GET", "runs/get"):
                return self._get_run(query)
            if key == ("GET", "registered-models/alias"):
                return self._get_alias(query)
            if key == ("POST", "registered-models/alias"):
                return self._set_alias(body)
            return 404, {"error_code": "ENDPOINT_NOT_FOUND", "message": path}

    def _search(self, query):
        flt = query.get("filter", [""])[0]
        prefix = "name='"
        if not (flt.startswith(prefix) and flt.endswith("'")):
            return 400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "bad filter %r" % flt}
        name = flt[len(prefix):-1]
        matched = [v for v in self.versions if v["name"] == name]
        if query.get("order_by") == ["version_number DESC"]:
            matched.sort(key=lambda v: int(v["version"]), reverse=True)
        elif "order_by" in query:
            return 400, {"error_code": "INVALID_PARAMETER_VALUE", "message": "bad order_by"}
        size = int(query.get("max_results", ["10000"])[0])
        if self.page_size:
            size = min(size, self.page_size)
        offset = int(query.get("page_token", ["0"])[0])
        page = matched[offset:offset + size]
        resp = {"model_versions": [dict(v, aliases=self._aliases_of(v)) for v in page]}
        if offset + size < len(matched):
            resp["next_page_token"] = str(offset + size)
        return 200, resp

    def _aliases_of(self, mv):
        return [a for (n, a), ver in self.aliases.items() if n == mv["name"] and ver == mv["version"]]

    def _get_run(self, query):
        run_id = query.get("run_id", [""])[0]
        if run_id not in self.runs:
            return 404, {
                "error_code": "RESOURCE_DOES_NOT_EXIST",
                "message": "Run '%s' not found" % run_id,
            }
        return 200, {
            "run": {
                "info": {
                    "run_id": run_id,
                    "run_uuid": run_id,
                    "experiment_id": "1",
                    "status": "FINISHED",
                    "lifecycle_stage": "active",
                },
                "data": {"metrics": self.runs[run_id], "params": [], "tags": []},
            }
        }

    def _get_alias(self, query):
        name = query.get("name", [""])[0]
        alias = query.get("alias", [""])[0]
        ver = self.aliases.get((name, alias))
        if ver is None:
            if self.alias_missing_style == "not_found":
                return 404, {
                    "error_code": "RESOURCE_DOES_NOT_EXIST",
                    "message": "Registered model alias %s not found." % alias,
                }
            # What MLflow's SQL and file stores really answer.
            return 400, {
                "error_code": "INVALID_PARAMETER_VALUE",
                "message": "Registered model alias %s not found." % alias,
            }
        mv = next(v for v in self.versions if v["name"] == name and v["version"] == ver)
        return 200, {"model_version": dict(mv, aliases=self._aliases_of(mv))}

    def _set_alias(self, body):
        try:
            req = json.loads(body)
        except ValueError:
            return 400, {"error_code": "MALFORMED_REQUEST", "message": "not json"}
        name, alias, ver = req.get("name"), req.get("alias"), req.get("version")
        if not any(v["name"] == name and v["version"] == ver for v in self.versions):
            return 404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no such version"}
        self.aliases[(name, alias)] = ver
        return 200, {}


def _make_handler(state):
    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method):
            parsed = urllib.parse.urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8") if length else ""
            status, payload = state.handle(
                method,
                parsed.path,
                urllib.parse.parse_qs(parsed.query),
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
            data = json.dumps(payload).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):  # noqa: N802
            self._serve("GET")

        def do_POST(self):  # noqa: N802
            self._serve("POST")

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def mlflow():
    state = FakeMlflow()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.uri = "http://127.0.0.1:%d" % server.server_address[1]
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def env(mlflow, tmp_path):
    """A valid gate environment; the run id file does not exist by default."""
    return {
        "MLFLOW_TRACKING_URI": mlflow.uri,
        "GATE_MODEL_NAME": MODEL,
        "GATE_METRIC": "accuracy",
        "GATE_DIRECTION": "higher_is_better",
        "GATE_THRESHOLD": "0.9",
        "GATE_RUN_ID_FILE": str(tmp_path / "run_id"),
        "GATE_TIMEOUT_SECONDS": "2",
        "GATE_RETRY_BACKOFF_SECONDS": "0.01",
    }


def closed_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --------------------------------------------------------------------------
# Threshold
# --------------------------------------------------------------------------


def test_promotes_when_above_threshold(mlflow, env, capsys):
    mlflow.add_run("r1", accuracy=0.8)
    mlflow.add_version(1, "r1")
    mlflow.add_run("r2", accuracy=0.95)
    mlflow.add_version(2, "r2")

    assert gate.main([], env) == gate.EXIT_PROMOTED

    posts = mlflow.posts()
    assert len(posts) == 1
    assert posts[0]["path"] == API + "registered-models/alias"
    assert posts[0]["headers"]["content-type"] == "application/json"
    assert json.loads(posts[0]["body"]) == {"name": MODEL, "alias": "champion", "version": "2"}
    assert mlflow.aliases == {(MODEL, "champion"): "2"}
    search = mlflow.calls("GET", "model-versions/search")[0]
    assert search["query"]["filter"] == ["name='churn'"]
    assert mlflow.calls("GET", "runs/get")[0]["query"]["run_id"] == ["r2"]
    err = capsys.readouterr().err
    assert "PROMOTED: accuracy=0.95 >= threshold 0.9" in err
    assert "model churn v2" in err


def test_threshold_is_inclusive(mlflow, env):
    mlflow.add_run("r1", accuracy=0.9)
    mlflow.add_version(1, "r1")
    assert gate.main([], env) == gate.EXIT_PROMOTED
    assert mlflow.aliases[(MODEL, "champion")] == "1"


def test_rejects_below_threshold_and_leaves_alias(mlflow, env, capsys):
    mlflow.add_run("r1", accuracy=0.92)
    mlflow.add_version(1, "r1")
    mlflow.add_run("r7", accuracy=0.85)
    mlflow.add_version(7, "r7")
    mlflow.aliases[(MODEL, "champion")] = "1"

    assert gate.main([], env) == gate.EXIT_REJECTED

    assert mlflow.posts() == []
    assert mlflow.aliases == {(MODEL, "champion"): "1"}
    assert "REJECTED: accuracy=0.85 < threshold 0.9 (model churn v7)" in capsys.readouterr().err


@pytest.mark.parametrize(
    "rmse, expected",
    [(3.1, gate.EXIT_PROMOTED), (3.2, gate.EXIT_PROMOTED), (3.3, gate.EXIT_REJECTED)],
)
def test_lower_is_better(mlflow, env, capsys, rmse, expected):
    env.update(GATE_METRIC="rmse", GATE_DIRECTION="lower_is_better", GATE_THRESHOLD="3.2")
    mlflow.add_run("r1", rmse=rmse)
    mlflow.add_version(1, "r1")

    assert gate.main([], env) == expected

    err = capsys.readouterr().err
    if expected == gate.EXIT_PROMOTED:
        assert mlflow.aliases == {(MODEL, "champion"): "1"}
        assert "rmse=%r <= threshold 3.2" % rmse in err
    else:
        assert mlflow.aliases == {}
        assert mlflow.posts() == []
        assert "REJECTED: rmse=3.3 > threshold 3.2 (model churn v1)" in err


def test_custom_alias(mlflow, env):
    env["GATE_ALIAS"] = "production"
    mlflow.add_run("r1", accuracy=0.99)
    mlflow.add_version(1, "r1")
    assert gate.main([], env) == gate.EXIT_PROMOTED
    assert mlflow.aliases == {(MODEL, "production"): "1"}
    assert mlflow.calls("GET", "registered-models/alias")[0]["query"]["alias"] == ["production"]


def test_dry_run_does_not_set_alias(mlflow, env, capsys):
    mlflow.add_run("r1", accuracy=0.99)
    mlflow.add_version(1, "r1")
    assert gate.main(["--dry-run"], env) == gate.EXIT_PROMOTED
    assert mlflow.posts() == []
    assert mlflow.aliases == {}
    assert "dry run" in capsys.readouterr().err


# --------------------------------------------------------------------------
# Champion comparison
# --------------------------------------------------------------------------


def _with_champion(mlflow, env, champion_metrics, candidate_accuracy):
    env["GATE_COMPARE_TO_CHAMPION"] = "true"
    mlflow.add_run("champ", **champion_metrics)
    mlflow.add_version(3, "champ")
    mlflow.aliases[(MODEL, "champion")] = "3"
    mlflow.add_run("cand", accuracy=candidate_accuracy)
    mlflow.add_version(4, "cand")


def test_champion_worse_than_candidate_promotes(mlflow, env, capsys):
    _with_champion(mlflow, env, {"accuracy": 0.93}, 0.95)
    assert gate.main([], env) == gate.EXIT_PROMOTED
    assert mlflow.aliases == {(MODEL, "champion"): "4"}
    assert json.loads(mlflow.posts()[0]["body"])["version"] == "4"
    assert ">= champion 0.93 (v3)" in capsys.readouterr().err


def test_champion_equal_to_candidate_promotes(mlflow, env):
    _with_champion(mlflow, env, {"accuracy": 0.95}, 0.95)
    assert gate.main([], env) == gate.EXIT_PROMOTED
    assert mlflow.aliases == {(MODEL, "champion"): "4"}


def test_champion_better_than_candidate_rejects(mlflow, env, capsys):
    _with_champion(mlflow, env, {"accuracy": 0.97}, 0.95)
    assert gate.main([], env) == gate.EXIT_REJECTED
    assert mlflow.posts() == []
    assert mlflow.aliases == {(MODEL, "champion"): "3"}
    assert "REJECTED: accuracy=0.95 < champion 0.97 (v3) (model churn v4)" in capsys.readouterr().err


def test_champion_comparison_off_by_default(mlflow, env):
    _with_champion(mlflow, env, {"accuracy": 0.97}, 0.95)
    del env["GATE_COMPARE_TO_CHAMPION"]
    assert gate.main([], env) == gate.EXIT_PROMOTED
    assert mlflow.aliases == {(MODEL, "champion"): "4"}
    assert mlflow.calls("GET", "runs/get")[0]["query"]["run_id"] == ["cand"]
    assert len(mlflow.calls("GET", "runs/get")) == 1  # champion run never fetched


def test_champion_lacking_metric_compares_to_threshold_only(mlflow, env, capsys):
    _with_champion(mlflow, env, {"f1": 0.99}, 0.95)
    assert gate.main([], env) == gate.EXIT_PROMOTED
    assert mlflow.aliases == {(MODEL, "champion"): "4"}
    err = capsys.readouterr().err
    assert "champion v3" in err and "no usable metric 'accuracy'" in err


def test_champion_lacking_metric_still_applies_threshold(mlflow, env):
    _with_champion(mlflow, env, {"f1": 0.99}, 0.85)
    assert gate.main([], env) == gate.EXIT_REJECTED
    assert mlflow.aliases == {(MODEL, "champion"): "3"}


def test_compare_with_no_champion_yet(mlflow, env):
    env["GATE_COMPARE_TO_CHAMPION"] = "true"
    mlflow.add_run("r1", accuracy=0.91)
    mlflow.add_version(1, "r1")
    assert gate.main([], env) == gate.EXIT_PROMOTED
    assert mlflow.aliases == {(MODEL, "champion"): "1"}


def test_unset_alias_as_404_is_also_understood(mlflow, env):
    mlflow.alias_missing_style = "not_found"
    env["GATE_COMPARE_TO_CHAMPION"] = "true"
    mlflow.add_run("r1", accuracy=0.91)
    mlflow.add_version(1, "r1")
    assert gate.main([], env) == gate.EXIT_PROMOTED
    assert mlflow.aliases == {(MODEL, "champion"): "1"}


def test_nan_metric_is_rejected(mlflow, env, capsys):
    mlflow.add_run("r1", accuracy="NaN")  # how MLflow's JSON encodes a NaN double
    mlflow.add_version(1, "r1")
    assert gate.main([], env) == gate.EXIT_REJECTED
    assert mlflow.posts() == []
    assert "accuracy=nan is NaN" in capsys.readouterr().err


def test_candidate_already_champion_is_success_without_post(mlflow, env, capsys):
    mlflow.add_run("r1", accuracy=0.95)
    mlflow.add_version(1, "r1")
    mlflow.aliases[(MODEL, "champion")] = "1"
    assert gate.main([], env) == gate.EXIT_PROMOTED
    assert mlflow.posts() == []
    assert "already holds alias 'champion'" in capsys.readouterr().err


# --------------------------------------------------------------------------
# Candidate selection
# --------------------------------------------------------------------------


def test_run_id_file_selects_that_runs_version(mlflow, env, tmp_path):
    for v, run, acc in [(1, "r-a", 0.7), (2, "r-train", 0.95), (3, "r-b", 0.5)]:
        mlflow.add_run(run, accuracy=acc)
        mlflow.add_version(v, run)
    (tmp_path / "run_id").write_text("r-train\n")

    assert gate.main([], env) == gate.EXIT_PROMOTED

    assert mlflow.aliases == {(MODEL, "champion"): "2"}
    assert mlflow.calls("GET", "runs/get")[0]["query"]["run_id"] == ["r-train"]


def test_run_id_file_picks_newest_version_of_that_run(mlflow, env, tmp_path):
    mlflow.add_run("r-train", accuracy=0.95)
    mlflow.add_version(4, "r-train")
    mlflow.add_version(10, "r-train")
    mlflow.add_run("other", accuracy=0.99)
    mlflow.add_version(11, "other")
    (tmp_path / "run_id").write_text("r-train")

    assert gate.main([], env) == gate.EXIT_PROMOTED
    assert mlflow.aliases == {(MODEL, "champion"): "10"}  # numeric, not string, order


def test_run_id_without_matching_version_is_error(mlflow, env, tmp_path, capsys):
    mlflow.add_run("r1", accuracy=0.99)
    mlflow.add_version(1, "r1")
    (tmp_path / "run_id").write_text("missing-run")
    assert gate.main([], env) == gate.EXIT_ERROR
    assert mlflow.posts() == []
    assert "missing-run" in capsys.readouterr().err


def test_empty_run_id_file_falls_back_to_highest_version(mlflow, env, tmp_path):
    (tmp_path / "run_id").write_text("  \n")
    for v in (9, 10, 2):
        mlflow.add_run("r%d" % v, accuracy=0.9 + v / 1000)
        mlflow.add_version(v, "r%d" % v)
    assert gate.main([], env) == gate.EXIT_PROMOTED
    assert mlflow.aliases == {(MODEL, "champion"): "10"}


def test_all_search_pages_are_read(mlflow, env, tmp_path):
    mlflow.page_size = 2
    for v in range(1, 8):
        mlflow.add_run("r%d" % v, accuracy=0.95)
        mlflow.add_version(v, "r%d" % v)
    (tmp_path / "run_id").write_text("r1")  # the oldest version: on the last page
    assert gate.main([], env) == gate.EXIT_PROMOTED
    assert mlflow.aliases == {(MODEL, "champion"): "1"}
    searches = mlflow.calls("GET", "model-versions/search")
    assert len(searches) == 4
    assert "page_token" not in searches[0]["query"]
    assert searches[1]["query"]["page_token"] == ["2"]


def test_other_models_versions_are_ignored(mlflow, env):
    mlflow.add_run("r1", accuracy=0.95)
    mlflow.add_version(1, "r1")
    mlflow.add_run("x", accuracy=0.99)
    mlflow.add_version(5, "x", name="other-model")
    assert gate.main([], env) == gate.EXIT_PROMOTED
    assert mlflow.aliases == {(MODEL, "champion"): "1"}


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------


def test_candidate_missing_metric_is_error(mlflow, env, capsys):
    mlflow.add_run("r1", loss=0.1)
    mlflow.add_version(1, "r1")
    assert gate.main([], env) == gate.EXIT_ERROR
    assert mlflow.posts() == []
    assert "no metric 'accuracy'" in capsys.readouterr().err


def test_no_model_versions_is_error(mlflow, env, capsys):
    assert gate.main([], env) == gate.EXIT_ERROR
    assert mlflow.posts() == []
    assert "no model versions found" in capsys.readouterr().err


def test_mlflow_unreachable_is_error_quickly(env, capsys):
    env["MLFLOW_TRACKING_URI"] = "http://127.0.0.1:%d" % closed_port()
    env["GATE_TIMEOUT_SECONDS"] = "1"
    start = time.monotonic()
    assert gate.main([], env) == gate.EXIT_ERROR
    assert time.monotonic() - start < 3
    err = capsys.readouterr().err
    assert "unreachable" in err
    assert err.count("retrying") == 2  # 3 attempts


def test_http_500_is_retried_then_error(mlflow, env, capsys):
    mlflow.add_run("r1", accuracy=0.95)
    mlflow.add_version(1, "r1")
    mlflow.always_fail[("GET", "model-versions/search")] = 500
    assert gate.main([], env) == gate.EXIT_ERROR
    assert len(mlflow.calls("GET", "model-versions/search")) == 3
    assert mlflow.posts() == []
    assert "HTTP 500" in capsys.readouterr().err


def test_transient_503_and_429_are_retried_then_succeed(mlflow, env):
    mlflow.add_run("r1", accuracy=0.95)
    mlflow.add_version(1, "r1")
    mlflow.fail[("GET", "runs/get")] = [503]
    mlflow.fail[("POST", "registered-models/alias")] = [429]
    assert gate.main([], env) == gate.EXIT_PROMOTED
    assert len(mlflow.calls("GET", "runs/get")) == 2
    assert len(mlflow.posts()) == 2
    assert mlflow.aliases == {(MODEL, "champion"): "1"}


def test_client_errors_are_not_retried(mlflow, env):
    mlflow.add_run("r1", accuracy=0.95)
    mlflow.add_version(1, "r1")
    mlflow.always_fail[("GET", "model-versions/search")] = 403
    assert gate.main([], env) == gate.EXIT_ERROR
    assert len(mlflow.calls("GET", "model-versions/search")) == 1


def test_alias_lookup_failure_is_error_not_unset(mlflow, env):
    mlflow.add_run("r1", accuracy=0.95)
    mlflow.add_version(1, "r1")
    mlflow.always_fail[("GET", "registered-models/alias")] = 403
    assert gate.main([], env) == gate.EXIT_ERROR
    assert mlflow.posts() == []


def test_failed_alias_post_is_error(mlflow, env):
    mlflow.add_run("r1", accuracy=0.95)
    mlflow.add_version(1, "r1")
    mlflow.always_fail[("POST", "registered-models/alias")] = 500
    assert gate.main([], env) == gate.EXIT_ERROR
    assert len(mlflow.posts()) == 3


# --------------------------------------------------------------------------
# Authentication
# --------------------------------------------------------------------------


def test_basic_auth_header_sent(mlflow, env):
    env.update(MLFLOW_TRACKING_USERNAME="alice", MLFLOW_TRACKING_PASSWORD="s3cr:et")
    mlflow.add_run("r1", accuracy=0.95)
    mlflow.add_version(1, "r1")
    assert gate.main([], env) == gate.EXIT_PROMOTED
    expected = "Basic " + base64.b64encode(b"alice:s3cr:et").decode("ascii")
    assert mlflow.requests
    assert all(r["headers"].get("authorization") == expected for r in mlflow.requests)


def test_bearer_token_header_sent(mlflow, env):
    env["MLFLOW_TRACKING_TOKEN"] = "tok-123"
    mlflow.add_run("r1", accuracy=0.95)
    mlflow.add_version(1, "r1")
    assert gate.main([], env) == gate.EXIT_PROMOTED
    assert all(r["headers"].get("authorization") == "Bearer tok-123" for r in mlflow.requests)


def test_no_auth_header_by_default(mlflow, env):
    mlflow.add_run("r1", accuracy=0.95)
    mlflow.add_version(1, "r1")
    assert gate.main([], env) == gate.EXIT_PROMOTED
    assert all("authorization" not in r["headers"] for r in mlflow.requests)


# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, message",
    [
        ({"GATE_METRIC": None}, "GATE_METRIC is required"),
        ({"GATE_MODEL_NAME": None}, "GATE_MODEL_NAME is required"),
        ({"MLFLOW_TRACKING_URI": None}, "MLFLOW_TRACKING_URI is required"),
        ({"MLFLOW_TRACKING_URI": "file:///mlruns"}, "http(s) URL"),
        ({"GATE_DIRECTION": "up"}, "GATE_DIRECTION must be one of"),
        ({"GATE_DIRECTION": None}, "GATE_DIRECTION is required"),
        ({"GATE_THRESHOLD": "high"}, "GATE_THRESHOLD must be a number"),
        ({"GATE_THRESHOLD": None}, "GATE_THRESHOLD is required"),
        ({"GATE_THRESHOLD": "nan"}, "finite"),
        ({"GATE_COMPARE_TO_CHAMPION": "maybe"}, "GATE_COMPARE_TO_CHAMPION"),
        ({"GATE_TIMEOUT_SECONDS": "0"}, "GATE_TIMEOUT_SECONDS"),
        ({"GATE_RETRY_ATTEMPTS": "x"}, "GATE_RETRY_ATTEMPTS"),
    ],
)
def test_bad_config_is_error_without_contacting_mlflow(mlflow, env, capsys, change, message):
    mlflow.add_run("r1", accuracy=0.95)
    mlflow.add_version(1, "r1")
    for key, value in change.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    assert gate.main([], env) == gate.EXIT_ERROR
    assert mlflow.requests == []
    assert message in capsys.readouterr().err


def test_unknown_cli_argument_is_error(env):
    assert gate.main(["--bogus"], env) == gate.EXIT_ERROR


def test_runs_as_a_script(env):
    env.pop("GATE_METRIC")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == gate.EXIT_ERROR
    assert "GATE_METRIC is required" in proc.stderr


def test_exit_codes_are_distinct():
    assert (gate.EXIT_PROMOTED, gate.EXIT_REJECTED, gate.EXIT_ERROR) == (0, 1, 2)


# --------------------------------------------------------------------------
# Small functions
# --------------------------------------------------------------------------


def test_extract_metric_uses_latest_step_then_timestamp():
    run = {
        "data": {
            "metrics": [
                {"key": "accuracy", "value": 0.5, "timestamp": 10, "step": 3},
                {"key": "accuracy", "value": 0.9, "timestamp": 5, "step": 7},
                {"key": "accuracy", "value": 0.8, "timestamp": 1, "step": 7},
                {"key": "loss", "value": 0.1, "timestamp": 99, "step": 99},
            ]
        }
    }
    assert gate_checks.extract_metric(run, "accuracy") == 0.9
    assert gate_checks.extract_metric(run, "f1") is None
    assert gate_checks.extract_metric({"data": {}}, "accuracy") is None


def test_select_candidate_orders_numerically():
    versions = [{"version": "9", "run_id": "a"}, {"version": "10", "run_id": "b"}]
    assert gate_checks.select_candidate(versions)["version"] == "10"
    assert gate_checks.select_candidate(versions, "a")["version"] == "9"
    assert gate_checks.select_candidate(versions, "zzz") is None
    assert gate_checks.select_candidate([]) is None


def test_read_run_id(tmp_path):
    assert gate_checks.read_run_id(str(tmp_path / "absent")) is None
    (tmp_path / "f").write_text(" abc123 \n")
    assert gate_checks.read_run_id(str(tmp_path / "f")) == "abc123"


# --------------------------------------------------------------------------
# Only a READY version with a finite metric may be promoted (issue 11, part 4)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("status, text", [
    ("FAILED_REGISTRATION", "registration failed (status FAILED_REGISTRATION"),
    ("PENDING_REGISTRATION", "is still registering (status PENDING_REGISTRATION"),
    ("", "status '' is not READY"),
])
def test_only_a_ready_version_is_promoted(mlflow, env, capsys, status, text):
    mlflow.add_run("r1", accuracy=0.99)
    mlflow.add_version(1, "r1")
    mlflow.versions[-1]["status"] = status
    mlflow.versions[-1]["status_message"] = "artifact copy failed"
    assert gate.main([], env) == gate.EXIT_REJECTED  # was: promoted
    assert mlflow.posts() == [] and mlflow.aliases == {}
    err = capsys.readouterr().err
    assert "REJECTED: model churn v1 " + text in err


@pytest.mark.parametrize("direction, value", [
    ("higher_is_better", "Infinity"), ("lower_is_better", "-Infinity"),
    ("higher_is_better", "-Infinity"), ("lower_is_better", "Infinity"),
])
def test_an_infinite_metric_is_never_promoted(mlflow, env, capsys, direction, value):
    env.update(GATE_DIRECTION=direction)
    mlflow.add_run("r1", accuracy=value)  # MLflow's REST API encodes non-finite metrics as these strings
    mlflow.add_version(1, "r1")
    assert gate.main([], env) == gate.EXIT_REJECTED  # was: promoted for +Inf higher / -Inf lower
    assert mlflow.aliases == {}
    err = capsys.readouterr().err
    assert "REJECTED: accuracy=%s is infinite, not a finite number (model churn v1)" % ("inf" if value == "Infinity" else "-inf") in err
    assert "is NaN" not in err  # its own message: test_nan_metric_is_rejected has NaN's


# --------------------------------------------------------------------------
# Several conditions
# --------------------------------------------------------------------------

FAIRNESS = [{"metric": "fairness_disparity", "direction": "lower_is_better", "threshold": 0.1}]


def test_every_condition_must_hold(mlflow, env, capsys):
    env["GATE_CONDITIONS"] = json.dumps(FAIRNESS)
    mlflow.add_run("r1", accuracy=0.95, fairness_disparity=0.08)
    mlflow.add_version(1, "r1")
    assert gate.main([], env) == gate.EXIT_PROMOTED
    err = capsys.readouterr().err
    assert "accuracy=0.95 >= threshold 0.9" in err and "fairness_disparity=0.08 <= threshold 0.1" in err

    mlflow.add_run("r2", accuracy=0.97, fairness_disparity=0.15)
    mlflow.add_version(2, "r2")
    assert gate.main([], env) == gate.EXIT_REJECTED
    assert mlflow.aliases == {(MODEL, "champion"): "1"}
    assert "REJECTED: fairness_disparity=0.15 > threshold 0.1 (model churn v2)" in capsys.readouterr().err


def test_all_failing_conditions_are_named(mlflow, env, capsys):
    env["GATE_CONDITIONS"] = json.dumps(FAIRNESS)
    mlflow.add_run("r1", accuracy=0.5, fairness_disparity=0.3)
    mlflow.add_version(1, "r1")
    assert gate.main([], env) == gate.EXIT_REJECTED
    err = capsys.readouterr().err
    assert "REJECTED: accuracy=0.5 < threshold 0.9; fairness_disparity=0.3 > threshold 0.1 (model churn v1)" in err


def test_conditions_alone_without_the_single_metric(mlflow, env, capsys):
    for key in ("GATE_METRIC", "GATE_DIRECTION", "GATE_THRESHOLD"):
        del env[key]
    env["GATE_CONDITIONS"] = json.dumps([{"metric": "auc", "direction": "higher_is_better", "threshold": 0.8}] + FAIRNESS)
    mlflow.add_run("r1", auc=0.85, fairness_disparity=0.05)
    mlflow.add_version(1, "r1")
    assert gate.main([], env) == gate.EXIT_PROMOTED


def test_a_condition_metric_missing_from_the_run_is_an_error(mlflow, env, capsys):
    env["GATE_CONDITIONS"] = json.dumps(FAIRNESS)
    mlflow.add_run("r1", accuracy=0.95)
    mlflow.add_version(1, "r1")
    assert gate.main([], env) == gate.EXIT_ERROR
    assert "has no metric 'fairness_disparity'" in capsys.readouterr().err


@pytest.mark.parametrize("conditions, text", [
    ("not json", "GATE_CONDITIONS must be a JSON list"),
    ("{}", "GATE_CONDITIONS must be a JSON list"),
    ('[{"metric": "a", "direction": "up", "threshold": 1}]', "GATE_CONDITIONS[0].direction"),
    ('[{"metric": "", "direction": "higher_is_better", "threshold": 1}]', "GATE_CONDITIONS[0].metric"),
    ('[{"metric": "a", "direction": "higher_is_better", "threshold": "1"}]', "GATE_CONDITIONS[0].threshold"),
    ('[{"metric": "a", "direction": "higher_is_better", "threshold": 1, "x": 2}]', "GATE_CONDITIONS[0]"),
])
def test_bad_conditions_are_config_errors(env, capsys, conditions, text):
    env["GATE_CONDITIONS"] = conditions
    assert gate.main([], env) == gate.EXIT_ERROR
    assert text in capsys.readouterr().err


def test_no_condition_at_all_is_a_config_error(env, capsys):
    for key in ("GATE_METRIC", "GATE_DIRECTION", "GATE_THRESHOLD"):
        del env[key]
    assert gate.main([], env) == gate.EXIT_ERROR
    assert "GATE_METRIC" in capsys.readouterr().err


# --------------------------------------------------------------------------
# Block promotion while drift is detected (mlops_drift_detected on the Pushgateway)
# --------------------------------------------------------------------------

PUSHGATEWAY = shutil.which("prometheus-pushgateway") or "/usr/bin/prometheus-pushgateway"


@pytest.fixture
def pushgateway(tmp_path):
    """The real prometheus-pushgateway from Debian (skipped locally, failed in CI, when missing)."""
    if not os.access(PUSHGATEWAY, os.X_OK):
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but %s is not installed (Debian package prometheus-pushgateway)" % PUSHGATEWAY)
        pytest.skip("%s not installed (Debian package prometheus-pushgateway)" % PUSHGATEWAY)
    port = closed_port()
    base = "http://127.0.0.1:%d" % port
    proc = subprocess.Popen([PUSHGATEWAY, "--web.listen-address=127.0.0.1:%d" % port,
                             "--persistence.file=%s" % (tmp_path / "pushgateway.data")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while True:
            try:
                with urllib.request.urlopen(base + "/-/ready", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline or proc.poll() is not None:
                pytest.fail("pushgateway did not become ready within 10 s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)


def push_drift(base, model, namespace, detected):
    """Push as the drift check does: PUT of the model's group under job mlops-drift."""
    body = ("# TYPE mlops_drift_detected gauge\nmlops_drift_detected{model=\"%s\"} %d\n" % (model, detected)).encode()
    url = "%s/metrics/job/mlops-drift/namespace/%s/model/%s" % (base, namespace, model)
    req = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": "text/plain; version=0.0.4"})
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status in (200, 202)


@pytest.fixture
def drift_env(env, pushgateway):
    env.update(GATE_BLOCK_ON_DRIFT="true", GATE_DRIFT_METRICS_URL=pushgateway, GATE_DRIFT_MODEL="churn", GATE_DRIFT_NAMESPACE="mlops")
    return env


def test_drift_detected_blocks_promotion(mlflow, drift_env, pushgateway, capsys):
    push_drift(pushgateway, "churn", "mlops", 1)
    push_drift(pushgateway, "churn", "other-team", 0)  # same model name elsewhere: not ours
    mlflow.add_run("r1", accuracy=0.95)
    mlflow.add_version(1, "r1")
    assert gate.main([], drift_env) == gate.EXIT_REJECTED
    assert mlflow.aliases == {}
    err = capsys.readouterr().err
    assert "REJECTED: drift is detected for model churn in namespace mlops (mlops_drift_detected = 1)" in err


def test_no_drift_or_no_drift_check_yet_does_not_block(mlflow, drift_env, pushgateway, capsys):
    mlflow.add_run("r1", accuracy=0.95)
    mlflow.add_version(1, "r1")
    push_drift(pushgateway, "churn", "other-team", 1)  # another namespace's drift is not ours
    assert gate.main([], drift_env) == gate.EXIT_PROMOTED
    assert "no drift verdict for model churn in namespace mlops" in capsys.readouterr().err
    push_drift(pushgateway, "churn", "mlops", 0)
    mlflow.add_run("r2", accuracy=0.96)
    mlflow.add_version(2, "r2")
    assert gate.main([], drift_env) == gate.EXIT_PROMOTED
    assert mlflow.aliases == {(MODEL, "champion"): "2"}
    assert "no drift detected for model churn in namespace mlops" in capsys.readouterr().err


def test_unreachable_drift_metrics_is_an_error_not_a_promotion(mlflow, env, capsys):
    env.update(GATE_BLOCK_ON_DRIFT="true", GATE_DRIFT_METRICS_URL="http://127.0.0.1:%d" % closed_port(),
               GATE_DRIFT_MODEL="churn", GATE_DRIFT_NAMESPACE="mlops", GATE_RETRY_ATTEMPTS="1")
    mlflow.add_run("r1", accuracy=0.95)
    mlflow.add_version(1, "r1")
    assert gate.main([], env) == gate.EXIT_ERROR  # fails closed: the condition could not be checked
    assert mlflow.aliases == {}
    assert "drift metrics" in capsys.readouterr().err


def test_drift_metrics_parser_reads_labels_exactly():
    import gate_drift

    text = "\n".join([
        "# HELP mlops_drift_detected 1 when the dataset drifted",
        "# TYPE mlops_drift_detected gauge",
        'mlops_drift_detected{instance="",job="mlops-drift",model="churn",namespace="mlops"} 0',
        'mlops_drift_detected{job="mlops-drift",model="churn-v2",namespace="mlops"} 1',
        'mlops_drift_detected{job="mlops-drift",model="a\\"b,c=d",namespace="mlops"} 1',
        'mlops_drift_detected_total{model="churn",namespace="mlops"} 5',
        'push_time_seconds{job="mlops-drift",model="churn",namespace="mlops"} 1.7e+09',
    ])
    assert gate_drift.drift_detected(text, "churn", "mlops") == [0.0]
    assert gate_drift.drift_detected(text, 'a"b,c=d', "mlops") == [1.0]
    assert gate_drift.drift_detected(text, "churn", "other") == []
