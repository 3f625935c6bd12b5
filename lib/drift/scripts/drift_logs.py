"""Inference logs: <dir>/date=YYYY-MM-DD/*.jsonl written by the serving wrapper (serve_model.py).

Format "inference-log": current is a directory (local path or s3://bucket/prefix/) written by the
serving wrapper (lib/serving/scripts/serve_model.py): ``date=YYYY-MM-DD/*.jsonl``, one JSON object per
line ``{timestamp, model, variant, request, response}``, request being the MLflow scoring request body.
Read: the partitions dated from the UTC date of (now - windowDays days) through today (UTC), i.e. every
day overlapping the last windowDays x 24 h (records are not filtered by their timestamp), files in name
order; on S3 one paginated list_objects_v2 per day. Lines whose ``variant`` is not in ``variants`` are
skipped. Each request becomes rows: ``dataframe_split`` {columns, data[, index]} -> one row per data
entry (index ignored); ``dataframe_records`` -> each record; ``instances`` / ``inputs`` as a list of
objects -> each object, as an object of equal-length lists (columnar) -> one row per position. Other
lines (not JSON, no request, tensors, CSV bodies) are skipped and counted as unparseable; more than half
of the lines -> exit 6. Only the feature columns are kept (a feature absent from a row is missing
there); nested values are compared as JSON text. The report's ``current`` adds window, variants,
partitionsInWindow, filesRead, linesRead, linesUnparseable and linesOtherVariant. Reports default to the
log directory itself (outside the partitions) when reportUri is not set.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re

import pandas as pd

from drift_errors import EXIT_COLUMN, EXIT_CONFIG, EXIT_EMPTY, EXIT_MISSING_FILE, EXIT_UNREADABLE, DriftError
from drift_read import CHUNK_ROWS, sample_stream
from drift_storage import fetch, get_s3_client, is_s3, local_path, s3_not_found

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
            if s3_not_found(exc):
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
    sample, total = sample_stream(stream, cfg["features"], uri, cfg["sampleRows"], rng, False, stream.where)
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
