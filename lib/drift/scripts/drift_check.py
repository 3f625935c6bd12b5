#!/usr/bin/env python3
"""Data-drift check for one model: reference (training) data vs a recent production window.

Usage::

    python3 drift_check.py --config /etc/drift/config.json     # or env DRIFT_CONFIG

Mounted into the drift CronJob's pod from a ConfigMap together with its modules, flat files beside it
(python puts this file's directory on sys.path): standard library + numpy + pandas (+ scipy, pyarrow
and boto3 when importable; boto3 only for s3:// URIs).

    drift_errors   exit codes, DriftError          drift_config   config.json: defaults, validation
    drift_storage  local paths and s3:// URIs      drift_read     CSV/Parquet -> uniform sample
    drift_logs     inference-log directories       drift_stats    PSI, KS, chi-squared, verdict
    drift_metrics  Prometheus text, Pushgateway    drift_retrain  Job from the training CronJob
    drift_report   report/state files, summary     drift_check    this file: one run, the CLI
    drift_csv      CSV shape check and chunks      drift_values   missing and categorical values

Exit codes
----------
0  EXIT_OK             the check completed, whether or not drift was found
1  EXIT_INTERNAL       unexpected internal error (a bug; traceback on stderr)
2  EXIT_CONFIG         invalid config file or arguments
3  EXIT_MISSING_FILE   a data file (reference or current) or the inference-log directory does not exist
4  EXIT_COLUMN         a feature column is missing (inference logs: in every logged row), or a numeric
                       feature holds non-numeric values
5  EXIT_EMPTY          empty window: a side has no data row, no inference-log file is dated within
                       the window, or a feature has no usable (non-missing, finite) value in the
                       compared sample
6  EXIT_UNREADABLE     data unreadable: corrupt CSV/Parquet, a CSV row with more or fewer fields than
                       its header, unknown format, no Parquet engine, more
                       than half of the inference-log lines unparseable, S3 listing failed
7  EXIT_PUSH           pushing metrics to the Pushgateway failed (the report was still written)
8  EXIT_RETRAIN        the retraining trigger (Job from CronJob) failed (report written, metrics pushed)
9  EXIT_OUTPUT         the report or the state file could not be written
10 EXIT_INSUFFICIENT   insufficient data: a side has fewer than ``minRows`` rows (default 3 (bins - 1) /
                       psiThreshold, see drift_config). No verdict, neither "drift" nor "no drift": the
                       report says ``"status": "insufficient_data"``, ``mlops_drift_insufficient_data`` is
                       1 (0 after a judged run), and the consecutive-drift count is left as it was, so
                       it never counts toward retraining

On 3-6 the program never reports "no drift": it writes no report and, if a Pushgateway is
configured, replaces the model's metric group (HTTP PUT) with only
``mlops_drift_last_run_timestamp_seconds`` and ``mlops_drift_check_error{model,reason}`` (best
effort), so stale verdicts of an earlier run disappear. When both 7 and 8 happen, 8 is returned; a
failed push after an insufficient-data run returns 7.

The config keys are listed in drift_config, the decision rule in drift_stats, how data files are
read and sampled in drift_read, inference logs in drift_logs.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback

from drift_config import INFERENCE_LOG, load_config
from drift_errors import (ERROR_REASONS, EXIT_CONFIG, EXIT_EMPTY, EXIT_INSUFFICIENT, EXIT_INTERNAL, EXIT_OK, EXIT_OUTPUT,
                          EXIT_PUSH, EXIT_RETRAIN, DriftError)
from drift_logs import load_inference_log_sample
from drift_metrics import exposition, failure_samples, insufficient_samples, push_metrics, success_samples
from drift_read import load_sample, side_formats
from drift_report import load_state, report_targets, summary, utc
from drift_retrain import trigger_retrain
from drift_stats import DECISION_RULE, compare, sample_rngs, stats_backend
from drift_storage import write_text

THRESHOLD_KEYS = ("psiThreshold", "ksPValue", "ksStatistic", "chi2PValue", "cramersV", "driftShareThreshold", "bins",
                  "epsilon", "maxCategories", "minRows", "missingShareThreshold", "newCategoryShareThreshold")


def _load(cfg, started):
    """Both samples and their row counts; (ref_fmt, cur_fmt, ref_sample, ref_rows, cur_sample, cur_rows, cur_info)."""
    ref_rng, cur_rng = sample_rngs(cfg["seed"])
    ref_fmt, cur_fmt = side_formats(cfg)
    ref_sample, ref_rows = load_sample(cfg["reference"], ref_fmt, cfg["features"], cfg["sampleRows"], ref_rng, "reference")
    cur_info = {}
    if cur_fmt == INFERENCE_LOG:
        cur_sample, cur_rows, cur_info = load_inference_log_sample(cfg["current"], cfg, cur_rng, started)
    else:
        cur_sample, cur_rows = load_sample(cfg["current"], cur_fmt, cfg["features"], cfg["sampleRows"], cur_rng, "current")
    for side, rows, uri in (("reference", ref_rows, cfg["reference"]), ("current", cur_rows, cfg["current"])):
        if rows == 0:
            raise DriftError(EXIT_EMPTY, f"{side} window {uri} has 0 data rows")
    return ref_fmt, cur_fmt, ref_sample, ref_rows, cur_sample, cur_rows, cur_info


def _too_few_rows(cfg, ref_rows, cur_rows):
    """Why the window cannot be judged (fewer than minRows rows on a side), or None."""
    short = [f"{side} has {rows} rows" for side, rows in (("reference", ref_rows), ("current", cur_rows)) if rows < cfg["minRows"]]
    return f"{' and '.join(short)}, fewer than minRows {cfg['minRows']}" if short else None


def _retrain(cfg, consecutive, state, report_uri, now_fn):
    """Trigger retraining when the count is reached: (consecutive after it, report section, error or None)."""
    info = {"configured": cfg["retrain"] is not None, "triggered": False, "job": None, "error": None}
    if cfg["retrain"] is None:
        return consecutive, info, None
    info["afterConsecutiveRuns"] = cfg["retrain"]["afterConsecutiveRuns"]
    if consecutive < cfg["retrain"]["afterConsecutiveRuns"]:
        return consecutive, info, None
    try:
        job = trigger_retrain(cfg["retrain"], report_uri, now_fn())
    except DriftError as err:
        info["error"] = err.message
        return consecutive, info, err
    info.update(triggered=True, job=job)
    state["lastRetrainJob"] = job
    state["lastRetrainAt"] = utc(now_fn())
    return 0, info, None


def _push(cfg, samples, what):
    try:
        push_metrics(cfg["pushgatewayUrl"], cfg["pushJob"], cfg["model"], exposition(samples), cfg.get("namespace"))
        return None
    except DriftError as err:
        print(f"drift-check: {what}: {err.message}", file=sys.stderr)
        return err


def run(cfg, now_fn=time.time):
    """Run one check. Returns (exit_code, report or None)."""
    started = now_fn()
    model = cfg["model"]
    try:
        ref_fmt, cur_fmt, ref_sample, ref_rows, cur_sample, cur_rows, cur_info = _load(cfg, started)
        insufficient = _too_few_rows(cfg, ref_rows, cur_rows)
        result = None if insufficient else compare(ref_sample, cur_sample, cfg)
    except DriftError as err:
        if err.code in ERROR_REASONS and cfg.get("pushgatewayUrl"):
            _push(cfg, failure_samples(model, ERROR_REASONS[err.code], now_fn()), "warning")
        raise

    targets, state_uri = report_targets(cfg, started)
    state = load_state(state_uri)
    previous = int(state.get("consecutiveDriftRuns", 0))
    retrain_err = None
    if insufficient:  # no verdict: the count of drifted runs stays as it was, and nothing is triggered
        consecutive = previous
        retrain_info = {"configured": cfg["retrain"] is not None, "triggered": False, "job": None, "error": None}
        result = {"status": "insufficient_data", "insufficientData": insufficient, "features": [], "driftedFeatures": [],
                  "driftShare": None, "datasetDrift": None}
    else:
        consecutive = previous + 1 if result["datasetDrift"] else 0
        consecutive, retrain_info, retrain_err = _retrain(cfg, consecutive, state, targets[0], now_fn)
        result = {"status": "drift" if result["datasetDrift"] else "no_drift", **result}
    finished = now_fn()
    report = {
        "schemaVersion": 1,
        "model": model,
        "startedAt": utc(started),
        "finishedAt": utc(finished),
        "durationSeconds": round(finished - started, 3),
        "reference": {"uri": cfg["reference"], "format": ref_fmt, "rows": ref_rows, "rowsCompared": len(ref_sample)},
        "current": {"uri": cfg["current"], "format": cur_fmt, "rows": cur_rows, "rowsCompared": len(cur_sample), **cur_info},
        "sampling": {"sampleRows": cfg["sampleRows"], "seed": cfg["seed"], "method": "uniform without replacement (smallest random keys)"},
        "thresholds": {k: cfg[k] for k in THRESHOLD_KEYS},
        "decisionRule": DECISION_RULE,
        "statsBackend": stats_backend(),
        **result,
        "consecutiveDriftRuns": consecutive,
        "retrain": retrain_info,
        "statePath": state_uri,
        "reportUris": targets,
    }
    text = json.dumps(report, indent=2, sort_keys=False) + "\n"
    state.update(model=model, consecutiveDriftRuns=consecutive, lastRunAt=utc(finished), lastStatus=result["status"],
                 lastReport=targets[0])
    if not insufficient:
        state["lastDatasetDrift"] = result["datasetDrift"]
    try:
        for t in targets:
            write_text(t, text)
        write_text(state_uri, json.dumps(state, indent=2) + "\n")
    except Exception as exc:
        raise DriftError(EXIT_OUTPUT, f"could not write report/state ({targets[0]}, {state_uri}): {exc}")

    code = EXIT_INSUFFICIENT if insufficient else EXIT_OK
    if cfg["pushgatewayUrl"]:
        if insufficient:
            samples = insufficient_samples(model, len(ref_sample), len(cur_sample), consecutive, now_fn())
        else:
            samples = success_samples(model, result, len(ref_sample), len(cur_sample), consecutive, now_fn())
        if _push(cfg, samples, f"error (report written to {targets[0]})") is not None:
            code = EXIT_PUSH
    if retrain_err is not None:
        print(f"drift-check: error: {retrain_err.message}", file=sys.stderr)
        code = EXIT_RETRAIN
    return code, report


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Data-drift check (PSI, KS, chi-squared) for one model.")
    parser.add_argument("--config", default=os.environ.get("DRIFT_CONFIG"), help="config JSON path (env DRIFT_CONFIG)")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_OK if exc.code == 0 else EXIT_CONFIG
    if not args.config:
        print("drift-check: error: no config: pass --config PATH or set DRIFT_CONFIG", file=sys.stderr)
        return EXIT_CONFIG
    try:
        cfg = load_config(args.config)
        code, report = run(cfg)
    except DriftError as err:
        print(f"drift-check: error: {err.message}", file=sys.stderr)
        return err.code
    except Exception:
        traceback.print_exc()
        return EXIT_INTERNAL
    print(summary(report))
    return code


if __name__ == "__main__":
    sys.exit(main())
