#!/usr/bin/env python3
"""Data-drift check for one model: reference (training) data vs a recent production window.

Usage::

    python3 drift_check.py --config /etc/drift/config.json     # or env DRIFT_CONFIG

This file is mounted into the drift CronJob's pod from a ConfigMap, so it is one
self-contained module: standard library + numpy + pandas (+ scipy, pyarrow and
boto3 when importable; boto3 only for s3:// URIs).

Exit codes
----------
0  EXIT_OK             the check completed, whether or not drift was found
1  EXIT_INTERNAL       unexpected internal error (a bug; traceback on stderr)
2  EXIT_CONFIG         invalid config file or arguments
3  EXIT_MISSING_FILE   a data file (reference or current) or the inference-log directory does not exist
4  EXIT_COLUMN         a feature column is missing (inference logs: in every logged row), or a numeric
                       feature holds non-numeric values
5  EXIT_EMPTY          empty window: a data file has fewer than ``minRows`` rows (default 1), no
                       inference-log file is dated within the window, or a feature has no usable
                       (non-missing, finite) value in the compared sample
6  EXIT_UNREADABLE     data unreadable: corrupt CSV/Parquet, unknown format, no Parquet engine, more
                       than half of the inference-log lines unparseable, S3 listing failed
7  EXIT_PUSH           pushing metrics to the Pushgateway failed (the report was still written)
8  EXIT_RETRAIN        the retraining trigger (Job from CronJob) failed (report written, metrics pushed)
9  EXIT_OUTPUT         the report or the state file could not be written

On 3-6 the program never reports "no drift": it writes no report and, if a Pushgateway is
configured, replaces the model's metric group (HTTP PUT) with only
``mlops_drift_last_run_timestamp_seconds`` and ``mlops_drift_check_error{model,reason}`` (best
effort), so stale verdicts of an earlier run disappear. When both 7 and 8 happen, 8 is returned.

Config (JSON, camelCase)
------------------------
model (str, required), reference (URI of a file, required), current (URI, required),
format ("csv" | "parquet" | "inference-log" | "auto"; the format of current; auto = a URI ending in "/"
  -> inference-log, else by extension: .csv/.csv.gz/.tsv -> csv, .parquet/.pq -> parquet; reference is
  always a CSV/Parquet file, by extension unless format is csv or parquet),
windowDays (7; int 1..3660) and variants (null = all; non-empty list of str): inference-log only
  (setting them for a file is a config error),
features (required, list of {"name": str, "type": "numeric" | "categorical"}),
psiThreshold (0.1), ksPValue (0.05), ksStatistic (0.1), chi2PValue (0.05), cramersV (0.1),
driftShareThreshold (0.3), sampleRows (5000), seed (42), bins (10), epsilon (1e-4),
maxCategories (50), minRows (1), reportUri, statePath, pushgatewayUrl, pushJob ("mlops-drift"),
namespace (the model's Kubernetes namespace; added to the Pushgateway grouping key, so every pushed
  series carries it and models of the same name in two namespaces do not overwrite each other),
retrain ({"afterConsecutiveRuns": int >= 1, "cronJob": str, "namespace": str (default: the pod's)}).
Unknown keys are rejected (a typo must not silently fall back to a default).

Decision rule (documented in every report)
------------------------------------------
* numeric feature drifts when  PSI >= psiThreshold
      OR (KS p-value < ksPValue AND KS statistic >= ksStatistic).
* categorical feature drifts when  PSI >= psiThreshold
      OR (chi-squared p-value < chi2PValue AND Cramér's V >= cramersV).
  The p-value alone is not enough: with thousands of rows a test rejects for differences too small
  to matter, so a minimum effect size (KS D, Cramér's V; 0.1 = "small" effect) is required too.
* the dataset drifts when (drifted features / features) >= driftShareThreshold.

PSI = sum_i (c_i - r_i) * ln(c_i / r_i), with r_i, c_i the reference/current shares of bin i, each
floored at ``epsilon`` (no renormalisation). Numeric bins: interior edges at the reference quantiles
1/bins .. (bins-1)/bins, deduplicated, bins right-closed, outer bins open-ended (-inf, e1] .. (ek, inf).
Categorical bins: the ``maxCategories`` most frequent reference categories, one "__other__" bucket for
the remaining reference categories, and one "__unseen__" bucket for current values never seen in the
reference (reference share 0 -> epsilon, so a new category shows up in PSI and chi-squared; their names
are listed in the report). Categorical values are compared as strings.

CSV: only the feature columns are parsed (usecols); as a consequence pandas does not flag a row that has
more fields than the header (it does flag unterminated quotes, bad encoding, broken compression).

Inference logs (format "inference-log"): current is a directory (local path or s3://bucket/prefix/)
written by the serving wrapper (lib/serving/scripts/serve_model.py): ``date=YYYY-MM-DD/*.jsonl``, one
JSON object per line ``{timestamp, model, variant, request, response}``, request being the MLflow
scoring request body. Read: the partitions dated from the UTC date of (now - windowDays days) through
today (UTC), i.e. every day overlapping the last windowDays x 24 h (records are not filtered by their
timestamp), files in name order; on S3 one paginated list_objects_v2 per day. Lines whose ``variant``
is not in ``variants`` are skipped. Each request becomes rows: ``dataframe_split`` {columns, data[,
index]} -> one row per data entry (index ignored); ``dataframe_records`` -> each record;
``instances`` / ``inputs`` as a list of objects -> each object, as an object of equal-length lists
(columnar) -> one row per position. Other lines (not JSON, no request, tensors, CSV bodies) are
skipped and counted as unparseable; more than half of the lines -> exit 6. Only the feature columns
are kept (a feature absent from a row is missing there); nested values are compared as JSON text.
The report's ``current`` adds window, variants, partitionsInWindow, filesRead, linesRead,
linesUnparseable and linesOtherVariant. Reports default to the log directory itself (outside the
partitions) when reportUri is not set.

Missing values: empty / NA cells and non-finite numbers are dropped per feature (their share is
reported but is not part of the verdict).

Sampling: rows are sampled uniformly without replacement, at most ``sampleRows`` per side, while the
file (or the inference-log lines, expanded into rows) is streamed in chunks (each row gets a key from numpy ``default_rng``; the rows with the smallest
keys are kept), so memory and compute stay flat as the data grows. Reference and current use two
independent streams spawned from ``SeedSequence(seed)``; the sample does not depend on chunk size.
"""

from __future__ import annotations

import argparse
import base64
import datetime as _dt
import json
import math
import os
import re
import shutil
import ssl
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import warnings

import numpy as np
import pandas as pd

try:  # scipy is optional: a numpy/math fallback is used (and reported) without it.
    import scipy
    from scipy import stats as _scipy_stats
except Exception:  # pragma: no cover - depends on the image
    scipy = None
    _scipy_stats = None

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_CONFIG = 2
EXIT_MISSING_FILE = 3
EXIT_COLUMN = 4
EXIT_EMPTY = 5
EXIT_UNREADABLE = 6
EXIT_PUSH = 7
EXIT_RETRAIN = 8
EXIT_OUTPUT = 9

ERROR_REASONS = {
    EXIT_MISSING_FILE: "missing_file",
    EXIT_COLUMN: "missing_or_invalid_column",
    EXIT_EMPTY: "empty_window",
    EXIT_UNREADABLE: "unreadable_data",
}

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
    "minRows": 1,
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
CHUNK_ROWS = 100_000
OTHER_BUCKET = "__other__"
UNSEEN_BUCKET = "__unseen__"
DEFAULT_SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
HTTP_TIMEOUT = 10.0
DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

DECISION_RULE = (
    "numeric: PSI >= psiThreshold OR (KS p < ksPValue AND KS D >= ksStatistic); "
    "categorical: PSI >= psiThreshold OR (chi2 p < chi2PValue AND Cramer's V >= cramersV); "
    "dataset: drifted share >= driftShareThreshold"
)


class DriftError(Exception):
    """A failure with its exit code."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# --------------------------------------------------------------------------------------------
# Config
# --------------------------------------------------------------------------------------------


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
    _num(cfg, "minRows", lo=1, integer=True)
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


# --------------------------------------------------------------------------------------------
# Storage: local paths (the artifact volume) and s3://bucket/key via boto3
# --------------------------------------------------------------------------------------------

_s3_client = None


def set_s3_client(client) -> None:
    """Inject an S3 client (tests); None resets to the lazily created boto3 client."""
    global _s3_client
    _s3_client = client


def get_s3_client():
    global _s3_client
    if _s3_client is None:
        import boto3  # lazy: only needed for s3:// URIs

        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("MLFLOW_S3_ENDPOINT_URL") or None
        _s3_client = boto3.client("s3", endpoint_url=endpoint)
    return _s3_client


def is_s3(uri: str) -> bool:
    return uri.startswith("s3://")


def split_s3(uri: str):
    rest = uri[len("s3://"):]
    bucket, _, key = rest.partition("/")
    if not bucket or not key:
        raise DriftError(EXIT_CONFIG, f"invalid S3 URI (need s3://bucket/key): {uri}")
    return bucket, key


def local_path(uri: str) -> str:
    return uri[len("file://"):] if uri.startswith("file://") else uri


def _s3_not_found(exc) -> bool:
    code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
    return code in ("NoSuchKey", "404", "NotFound", "NoSuchBucket")


def uri_dirname(uri: str) -> str:
    if is_s3(uri):
        return uri.rsplit("/", 1)[0]
    return os.path.dirname(os.path.abspath(local_path(uri)))


def uri_join(base: str, name: str) -> str:
    return base.rstrip("/") + "/" + name if is_s3(base) else os.path.join(local_path(base), name)


class _Fetched:
    """A local file for a URI: the path itself, or a temp copy of an S3 object (removed on close)."""

    def __init__(self, path: str, temp: bool):
        self.path, self.temp = path, temp

    def close(self):
        if self.temp:
            try:
                os.unlink(self.path)
            except OSError:
                pass


def fetch(uri: str, what: str) -> _Fetched:
    """Make a data file available locally. Missing -> EXIT_MISSING_FILE."""
    if is_s3(uri):
        bucket, key = split_s3(uri)
        try:
            obj = get_s3_client().get_object(Bucket=bucket, Key=key)
        except Exception as exc:
            if _s3_not_found(exc):
                raise DriftError(EXIT_MISSING_FILE, f"{what} data file not found: {uri}")
            raise DriftError(EXIT_UNREADABLE, f"{what} data file {uri} could not be read: {exc}")
        base = os.path.basename(key)
        suffix = base[base.index("."):] if "." in base else ""
        fd, tmp = tempfile.mkstemp(prefix="drift-", suffix=suffix)
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(obj["Body"], out, 1 << 20)  # streamed: no whole-object copy in memory
        return _Fetched(tmp, True)
    path = local_path(uri)
    if not os.path.isfile(path):
        raise DriftError(EXIT_MISSING_FILE, f"{what} data file not found: {path}")
    return _Fetched(path, False)


def read_text(uri: str):
    """Text of a small file (state), or None when it does not exist."""
    if is_s3(uri):
        bucket, key = split_s3(uri)
        try:
            return get_s3_client().get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        except Exception as exc:
            if _s3_not_found(exc):
                return None
            raise
    try:
        with open(local_path(uri), "r", encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def write_text(uri: str, text: str, content_type: str = "application/json") -> None:
    if is_s3(uri):
        bucket, key = split_s3(uri)
        get_s3_client().put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType=content_type)
        return
    path = local_path(uri)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)  # atomic: readers never see a half-written report


# --------------------------------------------------------------------------------------------
# Reading + sampling
# --------------------------------------------------------------------------------------------


def detect_format(uri: str, fmt: str) -> str:
    if fmt != "auto":
        return fmt
    if uri.endswith("/"):
        return INFERENCE_LOG
    name = uri.lower()
    for ext in (".gz", ".bz2", ".zst", ".xz", ".zip"):
        if name.endswith(".csv" + ext) or name.endswith(".tsv" + ext):
            name = name[: -len(ext)]
    if name.endswith(".csv") or name.endswith(".tsv"):
        return "csv"
    if name.endswith(".parquet") or name.endswith(".pq"):
        return "parquet"
    raise DriftError(EXIT_UNREADABLE, f"cannot tell the format of {uri} from its extension; set format to csv or parquet "
                                      "(or end a directory of inference logs with '/')")


def side_formats(cfg):
    """(reference format, current format): format applies to current; reference is always a CSV/Parquet file."""
    ref_fmt = "auto" if cfg["format"] == INFERENCE_LOG else cfg["format"]
    return detect_format(cfg["reference"], ref_fmt), detect_format(cfg["current"], cfg["format"])


def parquet_engine():
    for mod in ("pyarrow", "fastparquet"):
        try:
            __import__(mod)
            return mod
        except Exception:
            continue
    return None


def _csv_chunks(path, features, uri, chunk_rows):
    sep = "\t" if re.search(r"\.tsv(\.[a-z0-9]+)?$", uri.lower()) else ","
    try:
        header = pd.read_csv(path, nrows=0, sep=sep).columns
    except pd.errors.EmptyDataError:
        raise DriftError(EXIT_EMPTY, f"data file is empty (no header): {uri}")
    except Exception as exc:
        raise DriftError(EXIT_UNREADABLE, f"data file {uri} is not readable as CSV: {exc}")
    _check_columns(header, features, uri)
    names = [f["name"] for f in features]
    dtype = {f["name"]: "category" for f in features if f["type"] == "categorical"}
    try:
        reader = pd.read_csv(path, sep=sep, usecols=names, dtype=dtype, chunksize=chunk_rows)
        with reader:
            for chunk in reader:
                yield chunk
    except DriftError:
        raise
    except Exception as exc:
        raise DriftError(EXIT_UNREADABLE, f"data file {uri} is not readable as CSV: {exc}")


def _parquet_chunks(path, features, uri, chunk_rows):
    engine = parquet_engine()
    if engine is None:
        raise DriftError(EXIT_UNREADABLE, f"cannot read {uri}: no Parquet engine (pyarrow or fastparquet) is importable")
    names = [f["name"] for f in features]
    if engine == "pyarrow":
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
            cols = pf.schema_arrow.names
        except Exception as exc:
            raise DriftError(EXIT_UNREADABLE, f"data file {uri} is not readable as Parquet: {exc}")
        _check_columns(cols, features, uri)
        try:
            for batch in pf.iter_batches(batch_size=chunk_rows, columns=names):
                yield batch.to_pandas()
        except Exception as exc:
            raise DriftError(EXIT_UNREADABLE, f"data file {uri} is not readable as Parquet: {exc}")
        return
    try:  # fastparquet: one frame of the needed columns
        import fastparquet

        cols = fastparquet.ParquetFile(path).columns
        _check_columns(cols, features, uri)
        frame = pd.read_parquet(path, columns=names, engine="fastparquet")
    except DriftError:
        raise
    except Exception as exc:
        raise DriftError(EXIT_UNREADABLE, f"data file {uri} is not readable as Parquet: {exc}")
    yield frame


def _check_columns(columns, features, uri):
    cols = set(map(str, columns))
    missing = [f["name"] for f in features if f["name"] not in cols]
    if missing:
        raise DriftError(EXIT_COLUMN, f"feature column(s) {missing} missing in {uri} (columns: {sorted(cols)[:30]})")


def _check_types(chunk, features, uri, offset, typed, where=None):
    """Numeric features must hold numbers. typed=True (Parquet: the file has a schema): the column type
    itself must be numeric. CSV / inference logs: the first value that is not a number is reported with
    its row (``where(pos)`` names it; default: the data row number)."""
    for f in features:
        if f["type"] != "numeric":
            continue
        col = chunk[f["name"]]
        if pd.api.types.is_numeric_dtype(col.dtype) and not isinstance(col.dtype, pd.CategoricalDtype):
            continue
        if typed:
            raise DriftError(EXIT_COLUMN, f"numeric feature {f['name']!r} in {uri} has non-numeric type {col.dtype}")
        values = col.astype(object)
        coerced = pd.to_numeric(values, errors="coerce")
        bad = values.notna() & coerced.isna()
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            row = where(pos) if where else f"data row {offset + pos + 1}"
            raise DriftError(EXIT_COLUMN, f"numeric feature {f['name']!r} in {uri} holds non-numeric value {values.iloc[pos]!r} ({row})")


def _normalise(frame, features):
    """Small sampled frame -> numeric features float64, categorical features object str (None = missing)."""
    out = {}
    for f in features:
        col = frame[f["name"]]
        if f["type"] == "numeric":
            if not pd.api.types.is_numeric_dtype(col.dtype) or isinstance(col.dtype, pd.CategoricalDtype):
                col = pd.to_numeric(col.astype(object), errors="coerce")
            out[f["name"]] = col.to_numpy(dtype="float64", na_value=np.nan)
        else:
            na = col.isna().to_numpy()
            out[f["name"]] = np.where(na, None, col.astype(str).to_numpy(dtype=object))
    return pd.DataFrame(out)


def _sample_stream(chunks, features, uri, sample_rows, rng, typed, where=None):
    """Keep a uniform sample without replacement of at most sample_rows rows of a stream of frames.

    Each row gets a key rng.random(); the sample is the rows with the smallest keys. Keys are drawn in
    row order, so the sample depends on the seed and the row order only, not on chunk sizes.
    ``where(pos)`` names row pos of the chunk just yielded, for type errors. Returns (sample, total_rows).
    """
    kept, kept_keys, total = None, np.empty(0), 0
    for chunk in chunks:
        _check_types(chunk, features, uri, total, typed, where)  # every row is type-checked, not only sampled ones
        n = len(chunk)
        total += n
        keys = rng.random(n)
        if len(kept_keys) + n > sample_rows:
            # k-th smallest key over kept + chunk; keep only rows at or below it
            cutoff = np.partition(np.concatenate([kept_keys, keys]), sample_rows - 1)[sample_rows - 1]
            take = keys <= cutoff
            if kept is not None:
                keep_old = kept_keys <= cutoff
                kept, kept_keys = kept[keep_old].reset_index(drop=True), kept_keys[keep_old]
        else:
            take = np.ones(n, dtype=bool)
        if not take.any():
            continue
        part = _normalise(chunk[take], features)
        kept = part if kept is None else pd.concat([kept, part], ignore_index=True)
        kept_keys = np.concatenate([kept_keys, keys[take]])
    if kept is None:
        kept = _normalise(pd.DataFrame({f["name"]: [] for f in features}), features)
    return kept, total


def load_sample(uri, fmt, features, sample_rows, rng, what, chunk_rows=CHUNK_ROWS):
    """Stream a CSV/Parquet file and keep a uniform sample (see ``_sample_stream``). Returns (sample, total_rows)."""
    fmt = detect_format(uri, fmt)
    if fmt == INFERENCE_LOG:
        raise DriftError(EXIT_CONFIG, f"{what}: {uri} is an inference-log directory; only current can be one")
    fetched = fetch(uri, what)
    try:
        chunks = _csv_chunks if fmt == "csv" else _parquet_chunks
        return _sample_stream(chunks(fetched.path, features, uri, chunk_rows), features, uri, sample_rows, rng, fmt == "parquet")
    finally:
        fetched.close()


# --------------------------------------------------------------------------------------------
# Inference logs: <dir>/date=YYYY-MM-DD/*.jsonl written by the serving wrapper (serve_model.py)
# --------------------------------------------------------------------------------------------

PARTITION = re.compile(r"^date=(\d{4}-\d{2}-\d{2})$")
MAX_UNPARSEABLE_SHARE = 0.5


def window_dates(now, window_days):
    """UTC dates of every day that overlaps the last window_days x 24 h before now, oldest first."""
    end = _dt.datetime.fromtimestamp(now, tz=_dt.timezone.utc)
    first = (end - _dt.timedelta(days=window_days)).date()
    return [first + _dt.timedelta(days=i) for i in range((end.date() - first).days + 1)]


def _split_s3_dir(uri):
    rest = uri[len("s3://"):]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise DriftError(EXIT_CONFIG, f"invalid S3 URI (need s3://bucket/prefix/): {uri}")
    return bucket, (prefix.rstrip("/") + "/" if prefix.strip("/") else "")


def _s3_keys(client, bucket, prefix, max_keys=None):
    """Keys under prefix (list_objects_v2, following continuation tokens; with max_keys only the first page)."""
    token = None
    while True:
        kwargs = {"Bucket": bucket, "Prefix": prefix}
        if max_keys:
            kwargs["MaxKeys"] = max_keys
        if token:
            kwargs["ContinuationToken"] = token
        page = client.list_objects_v2(**kwargs)
        for obj in page.get("Contents") or []:
            yield obj["Key"]
        if max_keys or not page.get("IsTruncated"):
            return
        token = page.get("NextContinuationToken")
        if not token:
            return


def list_inference_logs(uri, dates):
    """(partitions found in the window, [file URI]) for the given dates; a missing directory -> EXIT_MISSING_FILE."""
    files, partitions = [], []
    if is_s3(uri):
        bucket, prefix = _split_s3_dir(uri)
        client = get_s3_client()
        try:
            if not any(True for _ in _s3_keys(client, bucket, prefix, max_keys=1)):
                raise DriftError(EXIT_MISSING_FILE, f"inference-log directory not found (no object under it): {uri}")
            for day in dates:
                part = f"{prefix}date={day.isoformat()}/"
                keys = sorted(k for k in _s3_keys(client, bucket, part) if k.endswith(".jsonl") and "/" not in k[len(part):])
                if keys:
                    partitions.append(day.isoformat())
                    files.extend(f"s3://{bucket}/{k}" for k in keys)
        except DriftError:
            raise
        except Exception as exc:
            if _s3_not_found(exc):
                raise DriftError(EXIT_MISSING_FILE, f"inference-log directory not found: {uri} ({exc})")
            raise DriftError(EXIT_UNREADABLE, f"inference-log directory {uri} could not be listed: {exc}")
        return partitions, files
    root = local_path(uri)
    if not os.path.isdir(root):
        raise DriftError(EXIT_MISSING_FILE, f"inference-log directory not found: {root}")
    wanted = {d.isoformat() for d in dates}
    for entry in sorted(os.listdir(root)):
        m = PARTITION.match(entry)
        part = os.path.join(root, entry)
        if not m or m.group(1) not in wanted or not os.path.isdir(part):
            continue
        names = sorted(n for n in os.listdir(part) if n.endswith(".jsonl") and os.path.isfile(os.path.join(part, n)))
        if names:
            partitions.append(m.group(1))
            files.extend(os.path.join(part, n) for n in names)
    return partitions, files


def request_rows(request):
    """Rows (dicts) of one MLflow scoring request, or None for a shape that is not tabular.

    dataframe_split {columns, data[, index]} -> one row per data entry; dataframe_records [{..}] -> each
    record; instances / inputs as a list of objects -> each object, or as an object of equal-length
    lists (columnar) -> one row per position. Anything else (tensors, CSV bodies, ...) -> None.
    """
    if not isinstance(request, dict):
        return None
    if "dataframe_split" in request:
        split = request["dataframe_split"]
        if not isinstance(split, dict):
            return None
        cols, data = split.get("columns"), split.get("data")
        if not isinstance(cols, list) or not isinstance(data, list):
            return None
        if not all(isinstance(r, list) and len(r) == len(cols) for r in data):
            return None
        return [dict(zip(map(str, cols), r)) for r in data]
    if "dataframe_records" in request:
        records = request["dataframe_records"]
        return records if isinstance(records, list) and all(isinstance(r, dict) for r in records) else None
    for key in ("instances", "inputs"):
        if key not in request:
            continue
        body = request[key]
        if isinstance(body, list) and all(isinstance(r, dict) for r in body):
            return body
        if isinstance(body, dict) and body and all(isinstance(v, list) for v in body.values()):
            lengths = {len(v) for v in body.values()}
            if len(lengths) == 1:
                names = [str(k) for k in body]
                return [dict(zip(names, vals)) for vals in zip(*body.values())]
        return None
    return None


def _scalar(v):
    # Nested values would break the type checks; as JSON text they fail a numeric check (exit 4) and
    # compare as one category.
    return json.dumps(v, sort_keys=True) if isinstance(v, (list, dict)) else v


class InferenceLogStream:
    """Expands the JSON lines of inference-log files into frames of the feature columns.

    Iterating yields DataFrames of at most chunk_rows rows; memory holds one line and one chunk.
    Counters (files, lines, unparseable, per-feature presence) are filled while iterating.
    """

    def __init__(self, files, features, variants, chunk_rows=CHUNK_ROWS):
        self.files = files
        self.names = [f["name"] for f in features]
        self.variants = set(variants) if variants else None
        self.chunk_rows = chunk_rows
        self.files_read = self.lines_read = self.lines_unparseable = self.lines_other_variant = self.rows = 0
        self.present = dict.fromkeys(self.names, False)
        self.origin = []  # (file index, line number) of each row of the chunk last yielded

    def where(self, pos):
        fi, line = self.origin[pos]
        return f"{self.files[fi]} line {line}"

    def _lines(self, fi, uri):
        fetched = fetch(uri, "current")
        try:
            with open(fetched.path, "rb") as fh:
                self.files_read += 1
                for number, raw in enumerate(fh, 1):
                    if raw.strip():
                        yield number, raw
        except OSError as exc:
            raise DriftError(EXIT_UNREADABLE, f"inference-log file {uri} could not be read: {exc}")
        finally:
            fetched.close()

    def __iter__(self):
        cols = {n: [] for n in self.names}
        origin = []
        for fi, uri in enumerate(self.files):
            for number, raw in self._lines(fi, uri):
                self.lines_read += 1
                try:
                    record = json.loads(raw)
                except ValueError:
                    record = None
                rows = request_rows(record.get("request")) if isinstance(record, dict) else None
                if rows is None:
                    self.lines_unparseable += 1
                    continue
                if self.variants is not None and record.get("variant") not in self.variants:
                    self.lines_other_variant += 1
                    continue
                for row in rows:
                    for n in self.names:
                        if n in row:
                            self.present[n] = True
                            cols[n].append(_scalar(row[n]))
                        else:
                            cols[n].append(None)
                    origin.append((fi, number))
                    if len(origin) >= self.chunk_rows:
                        yield self._frame(cols, origin)
                        cols, origin = {n: [] for n in self.names}, []
        if origin:
            yield self._frame(cols, origin)

    def _frame(self, cols, origin):
        self.rows += len(origin)
        self.origin = origin
        # object columns: pandas must not guess (e.g. "007" stays a string); _check_types coerces numerics
        return pd.DataFrame({n: pd.Series(v, dtype=object) for n, v in cols.items()})


def load_inference_log_sample(uri, cfg, rng, now, chunk_rows=CHUNK_ROWS):
    """Sample the rows of the inference logs in the window. Returns (sample, total_rows, info for the report)."""
    dates = window_dates(now, cfg["windowDays"])
    window = f"date={dates[0].isoformat()} .. date={dates[-1].isoformat()} (windowDays {cfg['windowDays']}, UTC)"
    partitions, files = list_inference_logs(uri, dates)
    if not files:
        raise DriftError(EXIT_EMPTY, f"empty window: no inference-log file (date=YYYY-MM-DD/*.jsonl) in {uri} for {window}")
    stream = InferenceLogStream(files, cfg["features"], cfg["variants"], chunk_rows)
    sample, total = _sample_stream(stream, cfg["features"], uri, cfg["sampleRows"], rng, False, stream.where)
    info = {
        "window": {"days": cfg["windowDays"], "from": dates[0].isoformat(), "to": dates[-1].isoformat()},
        "variants": cfg["variants"],
        "partitionsInWindow": partitions,
        "filesRead": stream.files_read,
        "linesRead": stream.lines_read,
        "linesUnparseable": stream.lines_unparseable,
        "linesOtherVariant": stream.lines_other_variant,
    }
    if stream.lines_read and stream.lines_unparseable / stream.lines_read > MAX_UNPARSEABLE_SHARE:
        raise DriftError(EXIT_UNREADABLE, f"{stream.lines_unparseable} of {stream.lines_read} lines of the inference logs in {uri} "
                                          f"({window}) are not JSON records with a tabular MLflow request")
    if total:
        missing = [n for n, seen in stream.present.items() if not seen]
        if missing:
            raise DriftError(EXIT_COLUMN, f"feature column(s) {missing} missing from all {total} logged rows in {uri} ({window})")
    return sample, total, info


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


def psi_from_counts(ref_counts, cur_counts, epsilon):
    ref_counts = np.asarray(ref_counts, dtype=float)
    cur_counts = np.asarray(cur_counts, dtype=float)
    r = np.maximum(ref_counts / ref_counts.sum(), epsilon)
    c = np.maximum(cur_counts / cur_counts.sum(), epsilon)
    return float(np.sum((c - r) * np.log(c / r)))


def numeric_bin_edges(ref, bins):
    """Interior edges at reference quantiles 1/bins..(bins-1)/bins, deduplicated."""
    qs = np.quantile(ref, np.linspace(0.0, 1.0, bins + 1)[1:-1])
    return np.unique(qs)


def numeric_psi(ref, cur, bins, epsilon):
    edges = numeric_bin_edges(ref, bins)
    # right-closed bins: (-inf, e1], (e1, e2], ..., (ek, inf)
    rc = np.bincount(np.searchsorted(edges, ref, side="left"), minlength=len(edges) + 1)
    cc = np.bincount(np.searchsorted(edges, cur, side="left"), minlength=len(edges) + 1)
    return psi_from_counts(rc, cc, epsilon), edges, rc, cc


def ks_statistic(a, b):
    a = np.sort(np.asarray(a, dtype=float))
    b = np.sort(np.asarray(b, dtype=float))
    allv = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, allv, side="right") / len(a)
    cdf_b = np.searchsorted(b, allv, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def kolmogorov_sf(lam):
    """P(K > lam) for the Kolmogorov distribution."""
    if lam < 1e-3:
        return 1.0
    if lam < 1.18:  # theta-function form converges faster for small lam
        y = math.exp(-(math.pi ** 2) / (8.0 * lam * lam))
        s = sum(y ** ((2 * j - 1) ** 2) for j in range(1, 8))
        return max(0.0, min(1.0, 1.0 - math.sqrt(2.0 * math.pi) / lam * s))
    s = 0.0
    for j in range(1, 101):
        term = 2.0 * (-1) ** (j - 1) * math.exp(-2.0 * j * j * lam * lam)
        s += term
        if abs(term) < 1e-16:
            break
    return max(0.0, min(1.0, s))


def ks_2samp_fallback(a, b):
    """Two-sample KS without scipy: exact D, asymptotic p with Stephens' small-sample correction."""
    d = ks_statistic(a, b)
    n, m = len(a), len(b)
    en = math.sqrt(n * m / (n + m))
    return d, kolmogorov_sf((en + 0.12 + 0.11 / en) * d)


def ks_2samp(a, b):
    """(statistic, p-value, method)."""
    if _scipy_stats is not None:
        with warnings.catch_warnings():  # "exact calculation unsuccessful, switching to asymp" is expected with ties
            warnings.simplefilter("ignore", RuntimeWarning)
            res = _scipy_stats.ks_2samp(a, b)
        return float(res[0]), float(res[1]), "ks_2samp(scipy)"
    d, p = ks_2samp_fallback(a, b)
    return d, p, "ks_2samp(numpy asymptotic fallback)"


def _gammaincc(a, x):
    """Regularised upper incomplete gamma Q(a, x) (Numerical Recipes series / continued fraction)."""
    if x <= 0:
        return 1.0
    gln = math.lgamma(a)
    if x < a + 1.0:
        ap, s, d = a, 1.0 / a, 1.0 / a
        for _ in range(10000):
            ap += 1.0
            d *= x / ap
            s += d
            if abs(d) < abs(s) * 1e-15:
                break
        return max(0.0, 1.0 - s * math.exp(-x + a * math.log(x) - gln))
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return min(1.0, math.exp(-x + a * math.log(x) - gln) * h)


def chi2_contingency(table):
    """(chi2, p, dof, method) for a 2 x k contingency table of counts, no continuity correction."""
    table = np.asarray(table, dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return 0.0, 1.0, 0, "chi2_contingency"
    if _scipy_stats is not None:
        chi2, p, dof, _ = _scipy_stats.chi2_contingency(table, correction=False)
        return float(chi2), float(p), int(dof), "chi2_contingency(scipy)"
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    chi2 = float(np.sum((table - expected) ** 2 / expected))
    dof = (table.shape[0] - 1) * (table.shape[1] - 1)
    return chi2, _gammaincc(dof / 2.0, chi2 / 2.0), dof, "chi2_contingency(numpy fallback)"


def category_buckets(ref, cur, max_categories):
    """Counts over buckets: top reference categories, __other__, __unseen__ (see module doc)."""
    ref_vc = pd.Series(ref).value_counts()
    cur_vc = pd.Series(cur).value_counts()
    top = list(ref_vc.index[:max_categories])
    labels = list(top)
    rc = [int(ref_vc[c]) for c in top]
    cc = [int(cur_vc.get(c, 0)) for c in top]
    other_ref = set(ref_vc.index[max_categories:])
    if other_ref:
        labels.append(OTHER_BUCKET)
        rc.append(int(ref_vc.iloc[max_categories:].sum()))
        cc.append(int(sum(int(v) for k, v in cur_vc.items() if k in other_ref)))
    unseen = cur_vc[~cur_vc.index.isin(ref_vc.index)]
    if len(unseen):
        labels.append(UNSEEN_BUCKET)
        rc.append(0)
        cc.append(int(unseen.sum()))
    new_categories = [{"value": str(k), "count": int(v)} for k, v in unseen.iloc[:20].items()]
    return labels, np.array(rc), np.array(cc), new_categories


def evaluate_feature(name, ftype, ref_values, cur_values, cfg):
    """Scores and verdict for one feature (NA / non-finite already handled by caller)."""
    out = {"name": name, "type": ftype, "valuesCompared": {"reference": int(len(ref_values)), "current": int(len(cur_values))}}
    if ftype == "numeric":
        psi, edges, rc, cc = numeric_psi(ref_values, cur_values, cfg["bins"], cfg["epsilon"])
        d, p, method = ks_2samp(ref_values, cur_values)
        by_psi = psi >= cfg["psiThreshold"]
        by_test = p < cfg["ksPValue"] and d >= cfg["ksStatistic"]
        out.update(psi=psi, test="ks", testMethod=method, statistic=d, pValue=p, effectSize=d,
                   binEdges=[float(e) for e in edges], binCounts={"reference": rc.tolist(), "current": cc.tolist()})
    else:
        labels, rc, cc, new_categories = category_buckets(ref_values, cur_values, cfg["maxCategories"])
        psi = psi_from_counts(rc, cc, cfg["epsilon"])
        chi2, p, dof, method = chi2_contingency(np.vstack([rc, cc]))
        n = rc.sum() + cc.sum()
        v = math.sqrt(chi2 / n) if n and dof > 0 else 0.0  # Cramér's V for a 2 x k table: min(r,k)-1 = 1
        by_psi = psi >= cfg["psiThreshold"]
        by_test = p < cfg["chi2PValue"] and v >= cfg["cramersV"]
        out.update(psi=psi, test="chi2", testMethod=method, statistic=chi2, dof=dof, pValue=p, effectSize=v,
                   categories=labels, binCounts={"reference": rc.tolist(), "current": cc.tolist()},
                   newCategories=new_categories)
    out["drifted"] = bool(by_psi or by_test)
    out["driftedBy"] = [r for r, hit in (("psi", by_psi), (out["test"], by_test)) if hit]
    return out


def _usable(series, ftype):
    if ftype == "numeric":
        arr = series.to_numpy(dtype=float)
        return arr[np.isfinite(arr)]
    return series.dropna().to_numpy(dtype=object)


def compare(ref_sample, cur_sample, cfg):
    """Per-feature results + dataset verdict for two sampled frames."""
    results = []
    for f in cfg["features"]:
        name, ftype = f["name"], f["type"]
        ref = _usable(ref_sample[name], ftype)
        cur = _usable(cur_sample[name], ftype)
        for side, vals, frame in (("reference", ref, ref_sample), ("current", cur, cur_sample)):
            if len(vals) == 0:
                raise DriftError(EXIT_EMPTY, f"feature {name!r} has no usable value in the {side} sample ({len(frame)} rows, all missing)")
        res = evaluate_feature(name, ftype, ref, cur, cfg)
        res["missingShare"] = {
            "reference": float(1 - len(ref) / len(ref_sample)),
            "current": float(1 - len(cur) / len(cur_sample)),
        }
        results.append(res)
    drifted = [r["name"] for r in results if r["drifted"]]
    share = len(drifted) / len(results)
    return {
        "features": results,
        "driftedFeatures": drifted,
        "driftShare": share,
        "datasetDrift": bool(share >= cfg["driftShareThreshold"]),
    }


def sample_rngs(seed):
    ref_ss, cur_ss = np.random.SeedSequence(seed).spawn(2)
    return np.random.default_rng(ref_ss), np.random.default_rng(cur_ss)


def stats_backend():
    if _scipy_stats is not None:
        return f"scipy {scipy.__version__}"
    return "numpy fallback (scipy not importable): KS p-value asymptotic with Stephens correction, chi2 p-value via incomplete gamma"


# --------------------------------------------------------------------------------------------
# Prometheus text format + Pushgateway
# --------------------------------------------------------------------------------------------

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
        s.append(("mlops_drift_feature_drifted", {**m, "feature": r["name"]}, 1 if r["drifted"] else 0))
    s.append(("mlops_drift_detected", m, 1 if result["datasetDrift"] else 0))
    s.append(("mlops_drift_share", m, result["driftShare"]))
    s.append(("mlops_drift_rows_compared", {**m, "side": "reference"}, rows_ref))
    s.append(("mlops_drift_rows_compared", {**m, "side": "current"}, rows_cur))
    s.append(("mlops_drift_last_run_timestamp_seconds", m, now))
    s.append(("mlops_drift_last_success_timestamp_seconds", m, now))
    s.append(("mlops_drift_consecutive_drift_runs", m, consecutive))
    return s


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


# --------------------------------------------------------------------------------------------
# Retraining trigger: Job from CronJob through the Kubernetes API (stdlib only)
# --------------------------------------------------------------------------------------------


def _k8s_request(method, url, token, ctx, body=None):
    data = json.dumps(body).encode("utf-8") if body is not None else None
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT, context=ctx) as resp:
            return json.loads(resp.read().decode("utf-8") or "{}")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:500]
        raise DriftError(EXIT_RETRAIN, f"Kubernetes API {method} {url} failed: HTTP {exc.code} {detail}")
    except Exception as exc:
        raise DriftError(EXIT_RETRAIN, f"Kubernetes API {method} {url} failed: {exc}")


def job_name(cronjob, ts) -> str:
    suffix = f"-drift-{int(ts)}"
    return cronjob[: 63 - len(suffix)].rstrip("-.") + suffix


def build_job(cronjob_obj, name, report_uri=None) -> dict:
    """Job body as `kubectl create job NAME --from=cronjob/X` builds it, plus the drift label."""
    meta = cronjob_obj.get("metadata", {})
    template = cronjob_obj.get("spec", {}).get("jobTemplate", {})
    tmeta = template.get("metadata", {}) or {}
    annotations = {"cronjob.kubernetes.io/instantiate": "manual"}
    annotations.update(tmeta.get("annotations") or {})
    if report_uri:
        annotations["mlops.cdktf.io/drift-report"] = report_uri
    labels = dict(tmeta.get("labels") or {})
    labels["mlops.cdktf.io/triggered-by"] = "drift"
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": meta.get("namespace"),
            "labels": labels,
            "annotations": annotations,
            # As kubectl: controller true, no blockOwnerDeletion (that would need the cronjobs/finalizers permission).
            "ownerReferences": [{
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": meta.get("name"),
                "uid": meta.get("uid"),
                "controller": True,
            }],
        },
        "spec": template.get("spec", {}),
    }


def trigger_retrain(retrain, report_uri=None, now=None) -> str:
    """Create a Job from the configured CronJob; return the Job name. Raises DriftError(EXIT_RETRAIN)."""
    sa_dir = os.environ.get("DRIFT_SA_DIR", DEFAULT_SA_DIR)

    def sa_file(name):
        try:
            with open(os.path.join(sa_dir, name), "r", encoding="utf-8") as fh:
                return fh.read().strip()
        except OSError:
            return None

    base = os.environ.get("DRIFT_K8S_API")
    if not base:
        host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        if not host:
            raise DriftError(EXIT_RETRAIN, "retrain: not in a Kubernetes pod (KUBERNETES_SERVICE_HOST unset) and DRIFT_K8S_API not set")
        base = f"https://{host}:{port}" if ":" not in host else f"https://[{host}]:{port}"
    token = sa_file("token")
    if not token:
        raise DriftError(EXIT_RETRAIN, f"retrain: no service-account token in {sa_dir}/token")
    ns = retrain.get("namespace") or sa_file("namespace")
    if not ns:
        raise DriftError(EXIT_RETRAIN, f"retrain: no namespace configured and none in {sa_dir}/namespace")
    ctx = None
    if base.startswith("https://"):
        ca = os.path.join(sa_dir, "ca.crt")
        ctx = ssl.create_default_context(cafile=ca if os.path.isfile(ca) else None)
    cj = retrain["cronJob"]
    base = base.rstrip("/")
    cron = _k8s_request("GET", f"{base}/apis/batch/v1/namespaces/{ns}/cronjobs/{cj}", token, ctx)
    name = job_name(cj, now if now is not None else time.time())
    body = build_job(cron, name, report_uri)
    body["metadata"]["namespace"] = ns
    created = _k8s_request("POST", f"{base}/apis/batch/v1/namespaces/{ns}/jobs", token, ctx, body)
    return created.get("metadata", {}).get("name", name)


# --------------------------------------------------------------------------------------------
# Orchestration
# --------------------------------------------------------------------------------------------


def _utc(ts) -> str:
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


def run(cfg, now_fn=time.time):
    """Run one check. Returns (exit_code, report or None)."""
    started = now_fn()
    model = cfg["model"]
    try:
        ref_rng, cur_rng = sample_rngs(cfg["seed"])
        ref_fmt, cur_fmt = side_formats(cfg)
        ref_sample, ref_rows = load_sample(cfg["reference"], ref_fmt, cfg["features"], cfg["sampleRows"], ref_rng, "reference")
        cur_info = {}
        if cur_fmt == INFERENCE_LOG:
            cur_sample, cur_rows, cur_info = load_inference_log_sample(cfg["current"], cfg, cur_rng, started)
        else:
            cur_sample, cur_rows = load_sample(cfg["current"], cur_fmt, cfg["features"], cfg["sampleRows"], cur_rng, "current")
        for side, rows, uri in (("reference", ref_rows, cfg["reference"]), ("current", cur_rows, cfg["current"])):
            if rows < cfg["minRows"]:
                raise DriftError(EXIT_EMPTY, f"{side} window {uri} has {rows} data rows (minRows {cfg['minRows']})")
        result = compare(ref_sample, cur_sample, cfg)
    except DriftError as err:
        if err.code in ERROR_REASONS and cfg.get("pushgatewayUrl"):
            try:
                push_metrics(cfg["pushgatewayUrl"], cfg["pushJob"], model,
                             exposition(failure_samples(model, ERROR_REASONS[err.code], now_fn())), cfg.get("namespace"))
            except DriftError as perr:
                print(f"drift-check: warning: {perr.message}", file=sys.stderr)
        raise

    targets, state_uri = report_targets(cfg, started)
    state = load_state(state_uri)
    consecutive = int(state.get("consecutiveDriftRuns", 0)) + 1 if result["datasetDrift"] else 0
    retrain_info = {"configured": cfg["retrain"] is not None, "triggered": False, "job": None, "error": None}
    retrain_err = None
    if cfg["retrain"] is not None:
        retrain_info["afterConsecutiveRuns"] = cfg["retrain"]["afterConsecutiveRuns"]
        if consecutive >= cfg["retrain"]["afterConsecutiveRuns"]:
            try:
                job = trigger_retrain(cfg["retrain"], targets[0], now_fn())
                retrain_info.update(triggered=True, job=job)
                state["lastRetrainJob"] = job
                state["lastRetrainAt"] = _utc(now_fn())
                consecutive = 0
            except DriftError as err:
                retrain_err = err
                retrain_info["error"] = err.message
    finished = now_fn()
    report = {
        "schemaVersion": 1,
        "model": model,
        "startedAt": _utc(started),
        "finishedAt": _utc(finished),
        "durationSeconds": round(finished - started, 3),
        "reference": {"uri": cfg["reference"], "format": ref_fmt, "rows": ref_rows, "rowsCompared": len(ref_sample)},
        "current": {"uri": cfg["current"], "format": cur_fmt, "rows": cur_rows, "rowsCompared": len(cur_sample), **cur_info},
        "sampling": {"sampleRows": cfg["sampleRows"], "seed": cfg["seed"], "method": "uniform without replacement (smallest random keys)"},
        "thresholds": {k: cfg[k] for k in ("psiThreshold", "ksPValue", "ksStatistic", "chi2PValue", "cramersV",
                                           "driftShareThreshold", "bins", "epsilon", "maxCategories", "minRows")},
        "decisionRule": DECISION_RULE,
        "statsBackend": stats_backend(),
        **result,
        "consecutiveDriftRuns": consecutive,
        "retrain": retrain_info,
        "statePath": state_uri,
        "reportUris": targets,
    }
    text = json.dumps(report, indent=2, sort_keys=False) + "\n"
    state.update(model=model, consecutiveDriftRuns=consecutive, lastRunAt=_utc(finished),
                 lastDatasetDrift=result["datasetDrift"], lastReport=targets[0])
    try:
        for t in targets:
            write_text(t, text)
        write_text(state_uri, json.dumps(state, indent=2) + "\n")
    except Exception as exc:
        raise DriftError(EXIT_OUTPUT, f"could not write report/state ({targets[0]}, {state_uri}): {exc}")

    code = EXIT_OK
    if cfg["pushgatewayUrl"]:
        body = exposition(success_samples(model, result, len(ref_sample), len(cur_sample), consecutive, now_fn()))
        try:
            push_metrics(cfg["pushgatewayUrl"], cfg["pushJob"], model, body, cfg.get("namespace"))
        except DriftError as err:
            print(f"drift-check: error: {err.message} (report written to {targets[0]})", file=sys.stderr)
            code = EXIT_PUSH
    if retrain_err is not None:
        print(f"drift-check: error: {retrain_err.message}", file=sys.stderr)
        code = EXIT_RETRAIN
    return code, report


def summary(report) -> str:
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
