"""Prometheus text format of the drift check's results, and the push to the Pushgateway (stdlib only)."""

from __future__ import annotations

import base64
import math
import time
import urllib.error
import urllib.parse
import urllib.request

from drift_errors import EXIT_PUSH, DriftError

HTTP_TIMEOUT = 10.0

HELP = {
    "mlops_drift_feature_psi": "Population stability index of the feature, current vs reference.",
    "mlops_drift_feature_ks_statistic": "Two-sample Kolmogorov-Smirnov statistic D (numeric features).",
    "mlops_drift_feature_p_value": "p-value of the feature's drift test (ks or chi2).",
    "mlops_drift_feature_drifted": "1 when the feature drifted by the configured rule, else 0.",
    "mlops_drift_detected": "1 when the dataset drifted (drifted share >= driftShareThreshold), else 0.",
    "mlops_drift_share": "Share of features that drifted.",
    "mlops_drift_rows_compared": "Rows compared from each side after sampling.",
    "mlops_drift_last_run_timestamp_seconds": "Unix time of the last drift check run (success or failure).",
    "mlops_drift_last_success_timestamp_seconds": "Unix time of the last completed drift check.",
    "mlops_drift_consecutive_drift_runs": "Consecutive completed runs that found dataset drift (reset on retrain).",
    "mlops_drift_check_error": "1 when the last drift check could not read or validate its data.",
    "mlops_drift_insufficient_data": "1 when the last drift check had fewer than minRows rows on a side (no verdict), else 0.",
    "mlops_drift_feature_missing_share": "Share of the feature's current sampled values that are missing or non-finite.",
    "mlops_drift_feature_new_category_share": "Share of the categorical feature's current values never seen in the reference.",
}


def escape_label(value) -> str:
    return str(value).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def fmt_value(v) -> str:
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


def exposition(samples) -> str:
    """samples: list of (metric, {label: value}, value) -> text format with HELP/TYPE once per metric."""
    lines, seen = [], set()
    for metric, labels, value in samples:
        if metric not in seen:
            seen.add(metric)
            lines.append(f"# HELP {metric} {HELP[metric]}")
            lines.append(f"# TYPE {metric} gauge")
        lab = ",".join(f'{k}="{escape_label(v)}"' for k, v in labels.items())
        lines.append(f"{metric}{{{lab}}} {fmt_value(value)}")
    return "\n".join(lines) + "\n"


def success_samples(model, result, rows_ref, rows_cur, consecutive, now):
    m = {"model": model}
    s = []
    for r in result["features"]:
        s.append(("mlops_drift_feature_psi", {**m, "feature": r["name"]}, r["psi"]))
    for r in result["features"]:
        if r["type"] == "numeric":
            s.append(("mlops_drift_feature_ks_statistic", {**m, "feature": r["name"]}, r["statistic"]))
    for r in result["features"]:
        s.append(("mlops_drift_feature_p_value", {**m, "feature": r["name"], "test": r["test"]}, r["pValue"]))
    for r in result["features"]:
        s.append(("mlops_drift_feature_missing_share", {**m, "feature": r["name"]}, r["missingShare"]["current"]))
    for r in result["features"]:
        if r["type"] == "categorical":
            s.append(("mlops_drift_feature_new_category_share", {**m, "feature": r["name"]}, r["newCategoryShare"]))
    for r in result["features"]:
        s.append(("mlops_drift_feature_drifted", {**m, "feature": r["name"]}, 1 if r["drifted"] else 0))
    s.append(("mlops_drift_detected", m, 1 if result["datasetDrift"] else 0))
    s.append(("mlops_drift_insufficient_data", m, 0))
    s.append(("mlops_drift_share", m, result["driftShare"]))
    s.append(("mlops_drift_rows_compared", {**m, "side": "reference"}, rows_ref))
    s.append(("mlops_drift_rows_compared", {**m, "side": "current"}, rows_cur))
    s.append(("mlops_drift_last_run_timestamp_seconds", m, now))
    s.append(("mlops_drift_last_success_timestamp_seconds", m, now))
    s.append(("mlops_drift_consecutive_drift_runs", m, consecutive))
    return s


def insufficient_samples(model, rows_ref, rows_cur, consecutive, now):
    """Too few rows to judge: no verdict (no mlops_drift_detected), the drift count as it was."""
    m = {"model": model}
    return [
        ("mlops_drift_insufficient_data", m, 1),
        ("mlops_drift_rows_compared", {**m, "side": "reference"}, rows_ref),
        ("mlops_drift_rows_compared", {**m, "side": "current"}, rows_cur),
        ("mlops_drift_last_run_timestamp_seconds", m, now),
        ("mlops_drift_consecutive_drift_runs", m, consecutive),
    ]


def failure_samples(model, reason, now):
    return [
        ("mlops_drift_last_run_timestamp_seconds", {"model": model}, now),
        ("mlops_drift_check_error", {"model": model, "reason": reason}, 1),
    ]


def _path_label(name, value) -> str:
    value = str(value)
    if value == "" or "/" in value:
        enc = base64.urlsafe_b64encode(value.encode("utf-8")).decode("ascii") or "="
        return f"{name}@base64/{enc}"
    return f"{name}/{urllib.parse.quote(value, safe='')}"


def push_url(base, job, model, namespace=None) -> str:
    group = _path_label("job", job) + (f"/{_path_label('namespace', namespace)}" if namespace else "")
    return f"{base.rstrip('/')}/metrics/{group}/{_path_label('model', model)}"


def push_metrics(base, job, model, body, namespace=None) -> None:
    """HTTP PUT (replaces the model's group). Raises DriftError(EXIT_PUSH) on failure."""
    url = push_url(base, job, model, namespace)
    req = urllib.request.Request(url, data=body.encode("utf-8"), method="PUT",
                                 headers={"Content-Type": "text/plain; version=0.0.4; charset=utf-8"})
    last = None
    for attempt in range(2):
        try:
            with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as resp:
                if 200 <= resp.status < 300:
                    return
                last = f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:300]
            raise DriftError(EXIT_PUSH, f"metrics push to {url} failed: HTTP {exc.code} {detail}")
        except Exception as exc:
            last = str(exc)
        if attempt == 0:
            time.sleep(0.5)
    raise DriftError(EXIT_PUSH, f"metrics push to {url} failed: {last}")
