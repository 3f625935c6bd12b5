"""Tests of the promotion gate's part-4 checks (issue 11): only a READY version with finite metrics, several
conditions, and blocking promotion while drift is detected.

Against the same in-process stand-in of MLflow's REST API as test_promotion_gate.py (its fixtures are
reused; real-MLflow tests live elsewhere), and the real prometheus-pushgateway for the drift block.
"""

import json
import os
import shutil
import subprocess
import urllib.request

import pytest

from test_promotion_gate import MODEL, _no_proxy, closed_port, env, gate, mlflow  # noqa: F401 (fixtures)
from real_pushgateway import wait_until_ready


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
        wait_until_ready(base, proc)
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
