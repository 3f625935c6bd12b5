#!/usr/bin/env python3
"""Benchmark of lib/drift/scripts/drift_check.py on a large window.

Generates a reference and a current dataset of --rows rows (default 1,000,000) x 20 features
(10 numeric, 10 categorical; 3 numeric and 2 categorical drifted in the current side) as CSV, and as
Parquet when a Parquet engine is importable, into a temp dir (generation is not timed). Then runs the
drift check as a subprocess with the default sampling (5000 rows per side), pinned to one core
(`taskset -c 0` when available; OMP/OPENBLAS/MKL_NUM_THREADS=1), and prints wall time and peak RSS
(resource.getrusage(RUSAGE_CHILDREN).ru_maxrss, taken in a small wrapper process) against the targets: 10 s and 500 MB.

    /usr/bin/python3 bench/drift_bench.py               # full size
    /usr/bin/python3 bench/drift_bench.py --rows 100000 # quick

Always exits 0 when the check itself succeeded; prints "OVER TARGET" when a figure exceeds its target.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "lib" / "drift" / "scripts" / "drift_check.py"
TARGET_SECONDS = 10.0
TARGET_MB = 500.0
N_NUMERIC = 10
N_CATEGORICAL = 10
DRIFTED = {"num_0", "num_1", "num_2", "cat_0", "cat_1"}


def make_frame(rows, seed, drift):
    rng = np.random.default_rng(seed)
    cols = {}
    for i in range(N_NUMERIC):
        name = f"num_{i}"
        shift = 0.5 if drift and name in DRIFTED else 0.0
        if i % 3 == 0:
            cols[name] = rng.normal(shift, 1.0, rows)
        elif i % 3 == 1:
            cols[name] = rng.lognormal(shift, 0.7, rows)
        else:
            cols[name] = rng.poisson(5 + 3 * shift, rows).astype(np.int64)
    for i in range(N_CATEGORICAL):
        name = f"cat_{i}"
        k = 3 + i * 2
        cats = np.array([f"c{i}_{j}" for j in range(k + (2 if drift and name in DRIFTED else 0))])
        p = np.ones(len(cats))
        p[:k] = np.linspace(2.0, 1.0, k)
        cols[name] = cats[rng.choice(len(cats), rows, p=p / p.sum())]
    df = pd.DataFrame(cols)
    # a little missing data, as in real windows
    df.loc[rng.random(rows) < 0.01, "num_3"] = np.nan
    return df


def parquet_engine():
    """The program's own check, so the bench writes Parquet exactly when the program can read it."""
    sys.path.insert(0, str(SCRIPT.parent))  # its modules import each other by plain name, as in the pod
    import drift_read

    return drift_read.parquet_engine()


# Runs in a fresh, small interpreter (no numpy/pandas loaded): a child's ru_maxrss also counts the
# pages it had before exec, so spawning the check straight from this (large) process would inflate it.
_MEASURE = r"""
import json, os, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
out, err = proc.communicate()
wall = time.perf_counter() - start
import resource
rss_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"code": proc.returncode, "wall": wall, "rss_kib": rss_kib, "out": out.decode(), "err": err.decode()}))
"""


def run_check(config_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    cmd = [sys.executable, str(SCRIPT), "--config", str(config_path)]
    if shutil.which("taskset"):
        cmd = ["taskset", "-c", "0"] + cmd
    res = subprocess.run([sys.executable, "-I", "-S", "-c", _MEASURE] + cmd, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"measurement wrapper failed: {res.stderr}")
    r = json.loads(res.stdout)
    return r["code"], r["wall"], r["rss_kib"] / 1024.0, r["out"], r["err"]  # Linux ru_maxrss is in KiB


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows in each of reference and current (default 1000000)")
    ap.add_argument("--keep", action="store_true", help="keep the temp dir")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="drift-bench-"))
    features = [{"name": f"num_{i}", "type": "numeric"} for i in range(N_NUMERIC)] + \
               [{"name": f"cat_{i}", "type": "categorical"} for i in range(N_CATEGORICAL)]
    try:
        t0 = time.perf_counter()
        ref, cur = make_frame(args.rows, 1, False), make_frame(args.rows, 2, True)
        formats = ["csv"]
        ref.to_csv(tmp / "ref.csv", index=False)
        cur.to_csv(tmp / "cur.csv", index=False)
        if parquet_engine():
            ref.to_parquet(tmp / "ref.parquet", index=False)
            cur.to_parquet(tmp / "cur.parquet", index=False)
            formats.append("parquet")
        del ref, cur
        print(f"generated {args.rows} rows x {len(features)} features per side in {time.perf_counter() - t0:.1f} s "
              f"(not timed); csv {os.path.getsize(tmp / 'cur.csv') / 1e6:.0f} MB per side")
        if "parquet" not in formats:
            print("parquet: skipped (no Parquet engine importable: pyarrow or fastparquet)")
        over = False
        for fmt in formats:
            cfg = {"model": "bench", "reference": str(tmp / f"ref.{fmt}"), "current": str(tmp / f"cur.{fmt}"),
                   "features": features, "reportUri": str(tmp / f"report-{fmt}.json")}
            (tmp / f"config-{fmt}.json").write_text(json.dumps(cfg))
            code, wall, peak, out, err = run_check(tmp / f"config-{fmt}.json")
            if code != 0:
                print(f"drift-check {fmt}: FAILED with exit code {code}\n{err}", file=sys.stderr)
                return 1
            report = json.loads((tmp / f"report-{fmt}.json").read_text())
            found = set(report["driftedFeatures"])
            flag = []
            if wall > TARGET_SECONDS or peak > TARGET_MB:
                over = True
                flag.append("OVER TARGET")
            if found != DRIFTED:
                flag.append(f"UNEXPECTED drifted set {sorted(found)} (expected {sorted(DRIFTED)})")
            print(f"drift-check {fmt} {args.rows}x{len(features)}: {wall:.1f} s ({wall / TARGET_SECONDS:.2f} of "
                  f"{TARGET_SECONDS:.0f} s target), peak {peak:.0f} MB ({peak / TARGET_MB:.2f} of {TARGET_MB:.0f} MB)"
                  f"; compared {report['reference']['rowsCompared']}+{report['current']['rowsCompared']} rows, "
                  f"{len(found)} drifted" + ("  " + "  ".join(flag) if flag else ""))
        if over:
            print("OVER TARGET: at least one figure exceeds its target")
        return 0
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
