"""config.json of the drift check: defaults and validation (camelCase keys).

model (str, required), reference (URI of a file, required), current (URI, required),
format ("csv" | "parquet" | "inference-log" | "auto"; the format of current; auto = a URI ending in "/"
  -> inference-log, else by extension: .csv/.csv.gz/.tsv -> csv, .parquet/.pq -> parquet; reference is
  always a CSV/Parquet file, by extension unless format is csv or parquet),
windowDays (7; int 1..3660) and variants (null = all; non-empty list of str): inference-log only
  (setting them for a file is a config error),
features (required, list of {"name": str, "type": "numeric" | "categorical"}),
psiThreshold (0.1), ksPValue (0.05), ksStatistic (0.1), chi2PValue (0.05), cramersV (0.1),
driftShareThreshold (0.3), sampleRows (5000), seed (42), bins (10), epsilon (1e-4),
maxCategories (50), minRows (derived, see min_rows_default), missingShareThreshold (0.1),
newCategoryShareThreshold (0.01), reportUri, statePath, pushgatewayUrl, pushJob ("mlops-drift"),
namespace (the model's Kubernetes namespace; added to the Pushgateway grouping key, so every pushed
  series carries it and models of the same name in two namespaces do not overwrite each other),
retrain ({"afterConsecutiveRuns": int >= 1, "cronJob": str, "namespace": str (default: the pod's)}).
Unknown keys are rejected (a typo must not silently fall back to a default).
"""

from __future__ import annotations

import json
import math
import re
import urllib.parse

from drift_errors import EXIT_CONFIG, DriftError

DEFAULTS = {
    "format": "auto",
    "psiThreshold": 0.1,
    "ksPValue": 0.05,
    "ksStatistic": 0.1,
    "chi2PValue": 0.05,
    "cramersV": 0.1,
    "driftShareThreshold": 0.3,
    "sampleRows": 5000,
    "seed": 42,
    "bins": 10,
    "epsilon": 1e-4,
    "maxCategories": 50,
    "minRows": None,  # derived: min_rows_default()
    "missingShareThreshold": 0.1,
    "newCategoryShareThreshold": 0.01,
    "reportUri": None,
    "statePath": None,
    "pushgatewayUrl": None,
    "pushJob": "mlops-drift",
    "namespace": None,
    "retrain": None,
    "windowDays": 7,
    "variants": None,
}
INFERENCE_LOG = "inference-log"
FORMATS = ("csv", "parquet", INFERENCE_LOG, "auto")
# Keys that only mean something for an inference-log current side.
INFERENCE_LOG_KEYS = ("windowDays", "variants")
REQUIRED = ("model", "reference", "current", "features")
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _num(cfg, key, lo=None, hi=None, lo_open=False, hi_open=False, integer=False):
    v = cfg[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)) or (integer and not isinstance(v, int)):
        raise DriftError(EXIT_CONFIG, f"config: {key} must be {'an integer' if integer else 'a number'}, got {v!r}")
    if isinstance(v, float) and not math.isfinite(v):
        raise DriftError(EXIT_CONFIG, f"config: {key} must be finite, got {v!r}")
    if lo is not None and (v <= lo if lo_open else v < lo):
        raise DriftError(EXIT_CONFIG, f"config: {key} must be {'>' if lo_open else '>='} {lo}, got {v!r}")
    if hi is not None and (v >= hi if hi_open else v > hi):
        raise DriftError(EXIT_CONFIG, f"config: {key} must be {'<' if hi_open else '<='} {hi}, got {v!r}")
    return v


def _str(cfg, key, optional=False):
    v = cfg.get(key)
    if v is None and optional:
        return None
    if not isinstance(v, str) or not v.strip():
        raise DriftError(EXIT_CONFIG, f"config: {key} must be a non-empty string, got {v!r}")
    return v


def min_rows_default(bins: int, psi_threshold: float) -> int:
    """Fewest rows a side needs before its PSI means anything: 3 (bins - 1) / psiThreshold.

    PSI of two samples of one distribution is biased upwards by about (bins - 1) (1/n_ref + 1/n_cur)
    (n PSI is about chi-squared with bins - 1 degrees of freedom). At this many rows that bias is a third
    of the threshold, and unchanged data crosses the threshold in about 0.3 % of the checks of a feature
    (10 bins, threshold 0.1: 270 rows); at 100 rows it did in about 1 in 3, at 10 rows always.
    """
    return math.ceil(round(3 * (bins - 1) / psi_threshold, 6))


def validate_config(raw) -> dict:
    """Return a config dict with defaults applied; raise DriftError(EXIT_CONFIG) with a clear message."""
    if not isinstance(raw, dict):
        raise DriftError(EXIT_CONFIG, "config: top level must be a JSON object")
    allowed = set(REQUIRED) | set(DEFAULTS)
    unknown = sorted(set(raw) - allowed)
    if unknown:
        raise DriftError(EXIT_CONFIG, f"config: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    missing = [k for k in REQUIRED if k not in raw]
    if missing:
        raise DriftError(EXIT_CONFIG, f"config: missing required key(s) {missing}")
    cfg = dict(DEFAULTS)
    cfg.update({k: v for k, v in raw.items() if v is not None or k in REQUIRED})
    for key in ("model", "reference", "current"):
        _str(cfg, key)
    if cfg["format"] not in FORMATS:
        raise DriftError(EXIT_CONFIG, f"config: format must be one of {list(FORMATS)}, got {cfg['format']!r}")
    if cfg["reference"].endswith("/"):
        raise DriftError(EXIT_CONFIG, f"config: reference must be a CSV or Parquet file, got the directory {cfg['reference']!r}")
    log_side = cfg["format"] == INFERENCE_LOG or (cfg["format"] == "auto" and cfg["current"].endswith("/"))
    if not log_side and cfg["current"].endswith("/"):
        raise DriftError(EXIT_CONFIG, f"config: current {cfg['current']!r} is a directory; with format {cfg['format']!r} it must be a "
                                      f"file (use format 'inference-log' or 'auto' for a directory of inference logs)")
    if not log_side:
        extra = [k for k in INFERENCE_LOG_KEYS if raw.get(k) is not None]
        if extra:
            raise DriftError(EXIT_CONFIG, f"config: {extra} only apply to format 'inference-log' (or 'auto' with a current "
                                          f"directory ending in '/'); current {cfg['current']!r} is read as a file")
    _num(cfg, "windowDays", lo=1, hi=3660, integer=True)
    variants = cfg["variants"]
    if variants is not None and (not isinstance(variants, list) or not variants
                                 or not all(isinstance(v, str) and v for v in variants)):
        raise DriftError(EXIT_CONFIG, f"config: variants must be a non-empty list of variant names, got {variants!r}")
    feats = cfg["features"]
    if not isinstance(feats, list) or not feats:
        raise DriftError(EXIT_CONFIG, "config: features must be a non-empty list of {name, type}")
    seen = set()
    for i, f in enumerate(feats):
        if not isinstance(f, dict) or set(f) - {"name", "type"}:
            raise DriftError(EXIT_CONFIG, f"config: features[{i}] must be an object with keys name, type; got {f!r}")
        name = f.get("name")
        if not isinstance(name, str) or not name:
            raise DriftError(EXIT_CONFIG, f"config: features[{i}].name must be a non-empty string")
        if f.get("type") not in ("numeric", "categorical"):
            raise DriftError(EXIT_CONFIG, f"config: features[{i}] ({name}).type must be 'numeric' or 'categorical', got {f.get('type')!r}")
        if name in seen:
            raise DriftError(EXIT_CONFIG, f"config: feature {name!r} listed twice")
        seen.add(name)
    _num(cfg, "psiThreshold", lo=0, lo_open=True)
    _num(cfg, "ksPValue", lo=0, hi=1, lo_open=True, hi_open=True)
    _num(cfg, "ksStatistic", lo=0, hi=1)
    _num(cfg, "chi2PValue", lo=0, hi=1, lo_open=True, hi_open=True)
    _num(cfg, "cramersV", lo=0, hi=1)
    _num(cfg, "driftShareThreshold", lo=0, hi=1, lo_open=True)
    _num(cfg, "sampleRows", lo=1, integer=True)
    _num(cfg, "seed", lo=0, integer=True)
    _num(cfg, "bins", lo=2, hi=1000, integer=True)
    _num(cfg, "epsilon", lo=0, hi=0.01, lo_open=True)
    _num(cfg, "maxCategories", lo=1, integer=True)
    if cfg["minRows"] is None:
        cfg["minRows"] = min_rows_default(cfg["bins"], cfg["psiThreshold"])
    _num(cfg, "minRows", lo=1, integer=True)
    if cfg["minRows"] > cfg["sampleRows"]:
        raise DriftError(EXIT_CONFIG, f"config: minRows ({cfg['minRows']}) must be at most sampleRows ({cfg['sampleRows']}): "
                                      "a window is judged on at most sampleRows rows")
    _num(cfg, "missingShareThreshold", lo=0, hi=1, lo_open=True)
    _num(cfg, "newCategoryShareThreshold", lo=0, hi=1, lo_open=True)
    for key in ("reportUri", "statePath"):
        _str(cfg, key, optional=True)
    _str(cfg, "pushJob")
    ns = _str(cfg, "namespace", optional=True)
    if ns is not None and not DNS1123.match(ns):
        raise DriftError(EXIT_CONFIG, f"config: namespace must be a Kubernetes namespace name, got {ns!r}")
    url = _str(cfg, "pushgatewayUrl", optional=True)
    if url is not None and urllib.parse.urlparse(url).scheme not in ("http", "https"):
        raise DriftError(EXIT_CONFIG, f"config: pushgatewayUrl must be an http(s) URL, got {url!r}")
    rt = cfg["retrain"]
    if rt is not None:
        if not isinstance(rt, dict):
            raise DriftError(EXIT_CONFIG, "config: retrain must be an object {afterConsecutiveRuns, cronJob, namespace}")
        extra = sorted(set(rt) - {"afterConsecutiveRuns", "cronJob", "namespace"})
        if extra:
            raise DriftError(EXIT_CONFIG, f"config: unknown key(s) in retrain: {extra}")
        if "afterConsecutiveRuns" not in rt or "cronJob" not in rt:
            raise DriftError(EXIT_CONFIG, "config: retrain needs afterConsecutiveRuns and cronJob")
        _num(rt, "afterConsecutiveRuns", lo=1, integer=True)
        name = _str(rt, "cronJob")
        if not DNS1123.match(name) or len(name) > 52:
            raise DriftError(EXIT_CONFIG, f"config: retrain.cronJob must be a Kubernetes CronJob name, got {name!r}")
        ns = _str(rt, "namespace", optional=True)
        if ns is not None and (not DNS1123.match(ns) or len(ns) > 63):
            raise DriftError(EXIT_CONFIG, f"config: retrain.namespace must be a Kubernetes namespace name, got {ns!r}")
    return cfg


def load_config(path: str) -> dict:
    try:
        with open(path, "r", encoding="utf-8") as fh:
            raw = json.load(fh)
    except FileNotFoundError:
        raise DriftError(EXIT_CONFIG, f"config file not found: {path}")
    except (OSError, ValueError) as exc:
        raise DriftError(EXIT_CONFIG, f"config file {path} is not valid JSON: {exc}")
    return validate_config(raw)
