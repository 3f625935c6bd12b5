"""Tests for lib/training/scripts/promotion_gate.py.

The gate is driven end to end against an in-process HTTP stand-in for the
MLflow REST API (model-versions/search, runs/get, registered-models/alias GET
and POST) that keeps model versions, runs and aliases in memory and records
every request, so assertions can check both exit codes and server-side state.
"""

import base64
import json
import pathlib
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
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

