"""CSV and TSV data files: the shape check and the chunked read of the feature columns.

pandas parses only the feature columns (usecols), so it flags neither a row with more fields than the
header nor one with fewer (it fills those with missing values). A row cut short, or shifted by an extra
leading field, would then be read as valid data: a bogus verdict either way. So every line's field
count is checked first: any row whose count differs from the header's is unreadable data (exit 6).
Blank lines are skipped, as pandas does. Files without a quote character are counted with numpy over
the raw bytes; files with quotes with the csv module (quoted separators and line breaks are data).
"""

from __future__ import annotations

import bz2
import csv
import gzip
import io
import lzma
import zipfile

import numpy as np
import pandas as pd

from drift_errors import EXIT_EMPTY, EXIT_UNREADABLE, DriftError
from drift_values import NA_TEXT

BLOCK_BYTES = 1 << 22


def separator(uri: str) -> str:
    name = uri.lower()
    for ext in (".gz", ".bz2", ".zst", ".xz", ".zip"):
        if name.endswith(ext):
            name = name[: -len(ext)]
    return "\t" if name.endswith(".tsv") else ","


def _open_binary(path, uri):
    """The decompressed bytes of the file, chosen by extension as pandas does."""
    name = uri.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".bz2"):
        return bz2.open(path, "rb")
    if name.endswith(".xz"):
        return lzma.open(path, "rb")
    if name.endswith(".zip"):
        archive = zipfile.ZipFile(path)
        members = [n for n in archive.namelist() if not n.endswith("/")]
        if len(members) != 1:
            raise DriftError(EXIT_UNREADABLE, f"data file {uri} must be a ZIP archive of exactly one CSV file, has {len(members)}")
        return archive.open(members[0])
    if name.endswith(".zst"):
        import zstandard  # what pandas needs for .zst too

        return zstandard.ZstdDecompressor().stream_reader(open(path, "rb"), closefd=True)
    return open(path, "rb")


def _first_bad_line_fast(fh, sep: bytes, expected: int):
    """(line number, fields) of the first non-blank line without `expected` fields, None when all have
    them, or "quoted" when the file holds a quote character (then this count would be wrong)."""
    sep_code, line_base, carry = ord(sep), 0, b""
    while True:
        block = fh.read(BLOCK_BYTES)
        data = carry + block if block else carry + b"\n"
        if b'"' in data:
            return "quoted"
        arr = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(arr == 10)
        if len(ends):
            starts = np.concatenate(([0], ends[:-1] + 1))
            # separators per line: each segment [start, end] holds its newline, so none is empty
            per_line = np.add.reduceat((arr[: ends[-1] + 1] == sep_code).view(np.uint8), starts, dtype=np.int64)
            lengths = ends - starts
            blank = (lengths == 0) | ((lengths == 1) & (arr[starts] == 13))
            bad = np.flatnonzero(~blank & (per_line + 1 != expected))
            if len(bad):
                return line_base + int(bad[0]) + 1, int(per_line[bad[0]]) + 1
            line_base += len(ends)
            carry = data[int(ends[-1]) + 1:]
        else:
            carry = data
        if not block:
            return None


def _first_bad_line_quoted(fh, sep: str, expected: int):
    text = io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="")
    reader = csv.reader(text, delimiter=sep)
    for row in reader:
        if row and len(row) != expected:
            return reader.line_num, len(row)
    return None


def check_field_counts(path, uri, what, expected):
    """Raise DriftError(EXIT_UNREADABLE) naming the first row whose field count is not the header's."""
    sep = separator(uri)
    try:
        with _open_binary(path, uri) as fh:
            found = _first_bad_line_fast(fh, sep.encode(), expected)
        if found == "quoted":
            with _open_binary(path, uri) as fh:
                found = _first_bad_line_quoted(fh, sep, expected)
    except DriftError:
        raise
    except Exception as exc:
        raise DriftError(EXIT_UNREADABLE, f"{what} data file {uri} is not readable as CSV: {exc}")
    if found is not None:
        line, fields = found
        raise DriftError(EXIT_UNREADABLE, f"{what} data file {uri} is not well-formed CSV: line {line} has {fields} fields, "
                                          f"the header has {expected} (a row cut short or with an extra field)")


def csv_chunks(path, features, uri, chunk_rows, what, check_columns):
    """Frames of at most chunk_rows rows of the feature columns; categorical columns as raw text."""
    sep = separator(uri)
    try:
        header = pd.read_csv(path, nrows=0, sep=sep).columns
    except pd.errors.EmptyDataError:
        raise DriftError(EXIT_EMPTY, f"data file is empty (no header): {uri}")
    except Exception as exc:
        raise DriftError(EXIT_UNREADABLE, f"data file {uri} is not readable as CSV: {exc}")
    check_columns(header, features, uri)
    check_field_counts(path, uri, what, len(header))
    names = [f["name"] for f in features]
    # Categorical text is read verbatim (drift_values decides what is missing); numeric columns know
    # the same NA strings.
    dtype = {f["name"]: "category" for f in features if f["type"] == "categorical"}
    na_values = {f["name"]: sorted(NA_TEXT) for f in features if f["type"] == "numeric"}
    try:
        reader = pd.read_csv(path, sep=sep, usecols=names, dtype=dtype, chunksize=chunk_rows,
                             keep_default_na=False, na_values=na_values)
        with reader:
            for chunk in reader:
                yield chunk
    except DriftError:
        raise
    except Exception as exc:
        raise DriftError(EXIT_UNREADABLE, f"data file {uri} is not readable as CSV: {exc}")
