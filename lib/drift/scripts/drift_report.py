"""Where the drift check writes its report and state, the state it keeps between runs, and its summary line."""

from __future__ import annotations

import datetime as _dt
import json
import sys

from drift_errors import EXIT_OUTPUT, DriftError
from drift_storage import read_text, uri_dirname, uri_join

def utc(ts) -> str:
    return _dt.datetime.fromtimestamp(ts, tz=_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def report_targets(cfg, started):
    """(report URIs to write, state URI)."""
    stamp = _dt.datetime.fromtimestamp(started, tz=_dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    uri = cfg["reportUri"]
    if uri is None or uri.endswith("/"):
        # default: beside the current data file, or inside the inference-log directory (not in a partition)
        current = cfg["current"]
        directory = uri if uri is not None else (current if current.endswith("/") else uri_dirname(current))
        targets = [uri_join(directory, f"drift-report-{stamp}.json"), uri_join(directory, "drift-report-latest.json")]
        state_dir = directory
    else:
        targets = [uri]
        state_dir = uri_dirname(uri)
    return targets, cfg["statePath"] or uri_join(state_dir, "drift-state.json")


def load_state(uri):
    try:
        text = read_text(uri)
    except Exception as exc:
        raise DriftError(EXIT_OUTPUT, f"state file {uri} could not be read: {exc}")
    if not text:
        return {"consecutiveDriftRuns": 0, "lastRetrainJob": None}
    try:
        state = json.loads(text)
        int(state.get("consecutiveDriftRuns", 0))
    except (ValueError, TypeError, AttributeError):
        print(f"drift-check: warning: state file {uri} is corrupt; starting from 0", file=sys.stderr)
        return {"consecutiveDriftRuns": 0, "lastRetrainJob": None}
    return state


def summary(report) -> str:
    if report["status"] == "insufficient_data":
        return (f"drift-check model={report['model']}: INSUFFICIENT DATA, no verdict ({report['insufficientData']}); "
                f"consecutive drift runs {report['consecutiveDriftRuns']} (unchanged); report {report['reportUris'][0]}")
    n = len(report["features"])
    k = len(report["driftedFeatures"])
    verdict = "DRIFT detected" if report["datasetDrift"] else "no drift"
    line = (f"drift-check model={report['model']}: {verdict} ({k}/{n} features drifted, share {report['driftShare']:.2f}, "
            f"threshold {report['thresholds']['driftShareThreshold']})")
    if k:
        line += " [" + ", ".join(report["driftedFeatures"]) + "]"
    line += (f"; compared {report['reference']['rowsCompared']}/{report['reference']['rows']} reference and "
             f"{report['current']['rowsCompared']}/{report['current']['rows']} current rows; "
             f"consecutive drift runs {report['consecutiveDriftRuns']}")
    if report["retrain"]["triggered"]:
        line += f"; retraining job {report['retrain']['job']} created"
    return line + f"; report {report['reportUris'][0]}"
