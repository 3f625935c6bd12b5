"""Reading CSV and Parquet data files into a uniform sample of the feature columns.

CSV files are read by drift_csv (which also rejects rows with the wrong number of fields).

Missing values (drift_values has the rule, the same for every format) and non-finite numbers are
dropped per feature; their share is reported and pushed, and a rise over the reference's share is drift
(drift_stats).

Sampling: rows are sampled uniformly without replacement, at most ``sampleRows`` per side, while the
file (or the inference-log lines, expanded into rows) is streamed in chunks (each row gets a key from
numpy ``default_rng``; the rows with the smallest keys are kept), so memory and compute stay flat as the
data grows. Reference and current use two independent streams spawned from ``SeedSequence(seed)``; the
sample does not depend on chunk size.
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from drift_config import INFERENCE_LOG
from drift_errors import EXIT_COLUMN, EXIT_CONFIG, EXIT_UNREADABLE, DriftError
from drift_csv import csv_chunks
from drift_storage import fetch
from drift_values import normalise_categories, numeric_values

CHUNK_ROWS = 100_000


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
    itself must be numeric. CSV / inference logs: the first value that is not a number (nor missing,
    see drift_values) is reported with its row (``where(pos)`` names it; default: the data row number)."""
    for f in features:
        if f["type"] != "numeric":
            continue
        col = chunk[f["name"]]
        if pd.api.types.is_numeric_dtype(col.dtype) and not isinstance(col.dtype, pd.CategoricalDtype):
            continue
        if typed:
            raise DriftError(EXIT_COLUMN, f"numeric feature {f['name']!r} in {uri} has non-numeric type {col.dtype}")
        _, bad = numeric_values(col)
        if bad.any():
            pos = int(np.flatnonzero(bad)[0])
            row = where(pos) if where else f"data row {offset + pos + 1}"
            raise DriftError(EXIT_COLUMN, f"numeric feature {f['name']!r} in {uri} holds non-numeric value {col.iloc[pos]!r} ({row})")


def _normalise(frame, features):
    """Small sampled frame -> numeric features float64, categorical features canonical text (None = missing)."""
    out = {}
    for f in features:
        col = frame[f["name"]]
        if f["type"] == "numeric":
            if not pd.api.types.is_numeric_dtype(col.dtype) or isinstance(col.dtype, pd.CategoricalDtype):
                out[f["name"]] = numeric_values(col)[0]
            else:
                out[f["name"]] = col.to_numpy(dtype="float64", na_value=np.nan)
        else:
            out[f["name"]] = normalise_categories(col.astype(object).to_numpy())
    return pd.DataFrame(out)


def sample_stream(chunks, features, uri, sample_rows, rng, typed, where=None):
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
    """Stream a CSV/Parquet file and keep a uniform sample (see ``sample_stream``). Returns (sample, total_rows)."""
    fmt = detect_format(uri, fmt)
    if fmt == INFERENCE_LOG:
        raise DriftError(EXIT_CONFIG, f"{what}: {uri} is an inference-log directory; only current can be one")
    fetched = fetch(uri, what)
    try:
        if fmt == "csv":
            chunks = csv_chunks(fetched.path, features, uri, chunk_rows, what, _check_columns)
        else:
            chunks = _parquet_chunks(fetched.path, features, uri, chunk_rows)
        return sample_stream(chunks, features, uri, sample_rows, rng, fmt == "parquet")
    finally:
        fetched.close()
