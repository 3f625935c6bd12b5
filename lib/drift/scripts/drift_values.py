"""One rule for missing values and categorical values, whatever the format (CSV, Parquet, JSONL logs).

Missing: a null of the format (CSV empty field, Parquet null, JSON null), a NaN, or text that is one of
``NA_TEXT`` after trimming whitespace (pandas' default NA strings: "", "NA", "N/A", "NaN", "null",
"None", "<NA>", ...). JSON logs carry "NA" as a string where a CSV reference read by pandas has a
missing cell; both are missing here.

Categorical values are compared as canonical text:
* numbers, typed (Parquet, JSON) or as text ("3", "3.0", "3.00", "3e0"), become the shortest decimal
  text of their value: integral values as integers ("3"; pandas writes an int column with nulls as
  floats, 3 -> 3.0), others as Python's repr of the float ("2.5"). Only canonical decimals count as
  numbers: "007" (a code with leading zeros), "0x1F", "inf" stay text; an integer written as digits
  keeps every digit;
* booleans become "True" / "False"; nested JSON values (lists, objects) their JSON text with sorted keys;
* any other text is trimmed of surrounding whitespace and otherwise kept as is (case matters).
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd

NA_TEXT = frozenset([
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
])
_INTEGER = re.compile(r"^[+-]?(0|[1-9][0-9]*)$")
_DECIMAL = re.compile(r"^[+-]?(0|[1-9][0-9]*)?(\.[0-9]*)?([eE][+-]?[0-9]+)?$")
_EXACT_FLOAT_INT = 2 ** 53


def _number_text(x: float):
    if math.isnan(x):
        return None
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x.is_integer() and abs(x) < _EXACT_FLOAT_INT:
        return str(int(x))
    return repr(x)


def normalise_category(v):
    """Canonical text of one categorical value, or None when it is missing (see the module doc)."""
    if v is None:
        return None
    if isinstance(v, (list, dict)):
        return json.dumps(v, sort_keys=True)
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return _number_text(float(v))
    if not isinstance(v, str):
        try:
            if pd.isna(v):
                return None
        except (TypeError, ValueError):
            pass
        v = str(v)
    text = v.strip()
    if text in NA_TEXT:
        return None
    if _INTEGER.match(text):
        return str(int(text))
    if any(c.isdigit() for c in text) and _DECIMAL.match(text) and not text.lstrip("+-").startswith(("e", "E")):
        value = float(text)
        if math.isfinite(value):
            return _number_text(value)
    return text


def normalise_categories(values) -> np.ndarray:
    """normalise_category over an array, once per distinct value."""
    out = np.empty(len(values), dtype=object)
    cache = {}
    for i, v in enumerate(values):
        try:
            out[i] = cache[v]
        except KeyError:
            out[i] = cache[v] = normalise_category(v)
        except TypeError:  # unhashable: a nested JSON value
            out[i] = normalise_category(v)
    return out


def numeric_values(col: pd.Series):
    """(float64 array with NaN for missing, boolean array of values that are present but not numbers).

    Text in NA_TEXT is missing, as a CSV reader would read it, so a JSON log's "NA" is no error."""
    values = col.astype(object)
    text_na = values.map(lambda v: isinstance(v, str) and v.strip() in NA_TEXT).to_numpy(dtype=bool)
    coerced = pd.to_numeric(values.where(~text_na, None), errors="coerce")
    bad = values.notna().to_numpy() & ~text_na & coerced.isna().to_numpy()
    return coerced.to_numpy(dtype="float64", na_value=np.nan), bad
