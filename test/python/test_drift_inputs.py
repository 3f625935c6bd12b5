"""Tests for the drift check on the inputs an independent check found it misjudged (issue 11, part 4):
small windows, categorical values written differently by CSV, Parquet and JSONL, rows with the wrong
number of fields, and features that go missing or gain new categories.

Each test uses the data that exposed the problem. Run:
/usr/bin/python3 -m pytest test/python/test_drift_inputs.py -q -p no:cacheprovider
"""

import json
import math
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "lib" / "drift" / "scripts"))  # the modules import each other by plain name
import drift_check  # noqa: E402
import drift_config  # noqa: E402
import drift_errors  # noqa: E402
import drift_read  # noqa: E402
import drift_values  # noqa: E402

IN_CI = os.environ.get("CI") == "true"
FEATURES = [
    {"name": "age", "type": "numeric"},
    {"name": "income", "type": "numeric"},
    {"name": "country", "type": "categorical"},
]


def frame(n, seed, age_mean=40.0, countries=("de", "fr", "us", "uk"), probs=None):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "age": rng.normal(age_mean, 10.0, n),
        "income": rng.lognormal(10.0, 0.5, n),
        "country": rng.choice(list(countries), n, p=probs),
    })


def run(tmp_path, capsys=None, **overrides):
    cfg = {"model": "churn", "reference": str(tmp_path / "ref.csv"), "current": str(tmp_path / "cur.csv"), "features": FEATURES}
    cfg.update(overrides)
    path = tmp_path / "config.json"
    path.write_text(json.dumps({k: v for k, v in cfg.items() if v is not None}))
    code = drift_check.main(["--config", str(path)])
    return code, (capsys.readouterr() if capsys else None)


def report(tmp_path):
    return json.loads((tmp_path / "drift-report-latest.json").read_text())


class Gateway:
    """Records the Pushgateway PUTs. A stand-in for prometheus-pushgateway, which test_drift_check.py runs for
    real; here only the pushed text matters and the tests must also run where Debian's gateway is missing."""

    def __init__(self):
        self.bodies = []
        gw = self

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self):  # noqa: N802
                gw.bodies.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def samples(self):
        """{(metric, frozenset(labels)): value} of the last push."""
        out = {}
        for line in self.bodies[-1].splitlines():
            if not line or line.startswith("#"):
                continue
            name_labels, value = line.rsplit(" ", 1)
            name, _, labels = name_labels.partition("{")
            pairs = frozenset(tuple(p.split("=", 1)) for p in labels.rstrip("}").replace('"', "").split(",") if p)
            out[(name, pairs)] = float(value)
        return out

    def value(self, metric, **labels):
        want = {(k, str(v)) for k, v in labels.items()}
        found = [v for (m, ls), v in self.samples().items() if m == metric and want <= ls]
        return found[0] if len(found) == 1 else found


@pytest.fixture
def gateway():
    gw = Gateway()
    yield gw
    gw.server.shutdown()
    gw.server.server_close()


# ------------------------------------------------------------------------------------------------
# Small windows: PSI's small-sample bias, about (bins - 1) / n, reads as drift on unchanged data
# ------------------------------------------------------------------------------------------------


def test_default_min_rows_follows_psi_small_sample_bias():
    cfg = drift_config.validate_config({"model": "m", "reference": "r.csv", "current": "c.csv", "features": FEATURES})
    # 3 (bins - 1) / psiThreshold: unchanged data's expected PSI is a third of the threshold
    assert cfg["minRows"] == 270
    cfg = drift_config.validate_config({"model": "m", "reference": "r.csv", "current": "c.csv", "features": FEATURES,
                                        "bins": 5, "psiThreshold": 0.2})
    assert cfg["minRows"] == 60
    with pytest.raises(drift_errors.DriftError, match="minRows"):
        drift_config.validate_config({"model": "m", "reference": "r.csv", "current": "c.csv", "features": FEATURES,
                                      "minRows": 6000, "sampleRows": 5000})


@pytest.mark.parametrize("rows", [10, 100])
def test_small_unchanged_window_is_insufficient_data_not_drift(tmp_path, capsys, gateway, rows):
    frame(5000, 1).to_csv(tmp_path / "ref.csv", index=False)
    (tmp_path / "drift-state.json").write_text(json.dumps({"consecutiveDriftRuns": 1}))
    for seed in range(5):  # the windows that reported drift 10 (10 rows) and 2 (100 rows) times in 5
        frame(rows, 100 + seed).to_csv(tmp_path / "cur.csv", index=False)
        code, out = run(tmp_path, capsys, pushgatewayUrl=gateway.url, retrain=None)
        assert code == drift_errors.EXIT_INSUFFICIENT == 10, out.err
        assert "INSUFFICIENT DATA" in out.out and "drift detected" not in out.out.lower()
        rep = report(tmp_path)
        assert rep["status"] == "insufficient_data" and rep["datasetDrift"] is None
        assert rep["current"]["rows"] == rows and rep["thresholds"]["minRows"] == 270
        # never counted toward retraining: the consecutive count is what it was
        assert json.loads((tmp_path / "drift-state.json").read_text())["consecutiveDriftRuns"] == 1
        assert rep["consecutiveDriftRuns"] == 1
        assert gateway.value("mlops_drift_insufficient_data", model="churn") == 1
        assert gateway.value("mlops_drift_detected", model="churn") == []  # no verdict at all
        assert gateway.value("mlops_drift_consecutive_drift_runs", model="churn") == 1


def test_insufficient_data_never_triggers_retraining(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("DRIFT_K8S_API", raising=False)
    frame(5000, 1).to_csv(tmp_path / "ref.csv", index=False)
    frame(50, 2, age_mean=80).to_csv(tmp_path / "cur.csv", index=False)  # shifted, but far too few rows to judge
    (tmp_path / "drift-state.json").write_text(json.dumps({"consecutiveDriftRuns": 5}))
    code, out = run(tmp_path, capsys, retrain={"afterConsecutiveRuns": 1, "cronJob": "churn-train"})
    assert code == drift_errors.EXIT_INSUFFICIENT  # not 8: no trigger was attempted
    assert report(tmp_path)["retrain"]["triggered"] is False


def test_a_window_at_the_default_minimum_of_unchanged_data_is_no_drift(tmp_path, capsys, gateway):
    frame(5000, 1).to_csv(tmp_path / "ref.csv", index=False)
    for seed in range(10):
        frame(270, 200 + seed).to_csv(tmp_path / "cur.csv", index=False)
        code, out = run(tmp_path, capsys, pushgatewayUrl=gateway.url)
        assert code == 0 and "no drift" in out.out, out.out
        assert report(tmp_path)["status"] == "no_drift"
        assert gateway.value("mlops_drift_insufficient_data", model="churn") == 0


def test_a_small_reference_is_insufficient_too(tmp_path, capsys):
    frame(100, 1).to_csv(tmp_path / "ref.csv", index=False)
    frame(5000, 2).to_csv(tmp_path / "cur.csv", index=False)
    code, out = run(tmp_path, capsys)
    assert code == drift_errors.EXIT_INSUFFICIENT and "reference" in out.out


# ------------------------------------------------------------------------------------------------
# Categories: one normalisation for CSV, Parquet and JSONL
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    (3, "3"), (3.0, "3"), ("3", "3"), ("3.0", "3"), (" 3.00 ", "3"), ("3e0", "3"), (np.int64(3), "3"),
    (np.float32(3.0), "3"), (-0.0, "0"), ("2.5", "2.5"), (2.5, "2.5"),
    ("007", "007"), ("1e400", "1e400"), ("inf", "inf"),  # not canonical decimals: kept as text
    (True, "True"), ("de", "de"), (" de ", "de"), ([1, 2], "[1, 2]"), ({"b": 1, "a": 2}, '{"a": 2, "b": 1}'),
    (None, None), (float("nan"), None), ("", None), ("  ", None), ("NA", None), ("null", None), ("NaN", None),
    ("N/A", None), ("<NA>", None), (pd.NA, None),
])
def test_category_normalisation(value, expected):
    assert drift_values.normalise_category(value) == expected


def test_int_column_written_as_floats_is_the_same_categories(tmp_path, capsys):
    # pandas writes an int column with nulls as floats: 3 -> 3.0. Compared as raw text this was PSI > 16.
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"age": rng.normal(40, 10, 4000), "plan": rng.choice([1, 2, 3], 4000)})
    cur = pd.DataFrame({"age": rng.normal(40, 10, 4000), "plan": rng.choice([1, 2, 3], 4000).astype(float)})
    cur.loc[::50, "plan"] = np.nan
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur.to_csv(tmp_path / "cur.csv", index=False)
    assert "3.0" in (tmp_path / "cur.csv").read_text()
    feats = [{"name": "age", "type": "numeric"}, {"name": "plan", "type": "categorical"}]
    code, out = run(tmp_path, capsys, features=feats)
    rep = report(tmp_path)
    plan = rep["features"][1]
    assert code == 0 and rep["datasetDrift"] is False, out.out
    assert plan["categories"] == ["1", "2", "3"] or sorted(plan["categories"]) == ["1", "2", "3"]
    assert plan["newCategories"] == [] and plan["psi"] < 0.01
    assert plan["missingShare"]["current"] == pytest.approx(0.02, abs=0.005)


def inference_log(tmp_path, records):
    day = pd.Timestamp.now(tz="UTC").strftime("%Y-%m-%d")
    part = tmp_path / "logs" / f"date={day}"
    part.mkdir(parents=True)
    with open(part / "pod-1.jsonl", "w") as fh:
        for i in range(0, len(records), 50):
            body = {"dataframe_records": records[i:i + 50]}
            fh.write(json.dumps({"timestamp": "t", "model": "churn", "variant": "stable", "request": body}) + "\n")
    return str(tmp_path / "logs") + "/"


def test_csv_reference_and_jsonl_logs_normalise_numbers_and_na_alike(tmp_path, capsys):
    rng = np.random.default_rng(3)
    plans = rng.choice(["1", "2", "3", "NA"], 3000, p=[0.3, 0.3, 0.3, 0.1])
    pd.DataFrame({"age": rng.normal(40, 10, 3000), "plan": plans}).to_csv(tmp_path / "ref.csv", index=False)
    assert ",NA\n" in (tmp_path / "ref.csv").read_text()
    # the logs carry JSON numbers (3, 3.0) and the string "NA" (which pandas reads as missing in the CSV)
    cur_plans = rng.choice([1, 2.0, 3, "NA"], 3000, p=[0.3, 0.3, 0.3, 0.1])
    records = [{"age": float(a), "plan": (p if p == "NA" else json.loads(p))}
               for a, p in zip(rng.normal(40, 10, 3000), cur_plans.astype(str))]
    feats = [{"name": "age", "type": "numeric"}, {"name": "plan", "type": "categorical"}]
    code, out = run(tmp_path, capsys, features=feats, current=inference_log(tmp_path, records), reportUri=str(tmp_path) + "/")
    rep = report(tmp_path)
    plan = rep["features"][1]
    assert code == 0 and rep["datasetDrift"] is False, out.out
    assert sorted(plan["categories"]) == ["1", "2", "3"] and plan["newCategories"] == []
    assert plan["missingShare"]["reference"] == pytest.approx(0.1, abs=0.02)
    assert plan["missingShare"]["current"] == pytest.approx(0.1, abs=0.02)


def test_parquet_normalises_categories_like_csv(tmp_path, capsys):
    if drift_read.parquet_engine() is None:
        # Not a failure in CI: Debian bookworm packages no Parquet engine; the pod image has pyarrow.
        pytest.skip("no Parquet engine (pyarrow/fastparquet) importable")
    rng = np.random.default_rng(4)
    plan = pd.array(rng.choice([1, 2, 3], 3000), dtype="Int64")
    plan[::20] = pd.NA
    pd.DataFrame({"age": rng.normal(40, 10, 3000), "plan": plan}).to_parquet(tmp_path / "ref.parquet", index=False)
    cur = pd.DataFrame({"age": rng.normal(40, 10, 3000), "plan": rng.choice(["1.0", "2", "3", "NA", ""], 3000, p=[.3, .3, .35, .03, .02])})
    cur.to_csv(tmp_path / "cur.csv", index=False)
    feats = [{"name": "age", "type": "numeric"}, {"name": "plan", "type": "categorical"}]
    code, out = run(tmp_path, capsys, features=feats, reference=str(tmp_path / "ref.parquet"))
    plan_res = report(tmp_path)["features"][1]
    assert code == 0 and sorted(plan_res["categories"]) == ["1", "2", "3"] and plan_res["newCategories"] == [], out.out
    assert plan_res["missingShare"]["reference"] == pytest.approx(0.05, abs=0.01)
    assert plan_res["missingShare"]["current"] == pytest.approx(0.05, abs=0.015)


# ------------------------------------------------------------------------------------------------
# Rows with the wrong number of fields are unreadable data
# ------------------------------------------------------------------------------------------------


def csv_text(df):
    return df.to_csv(index=False)


def test_every_second_row_cut_short_is_unreadable(tmp_path, capsys):
    frame(3000, 1).to_csv(tmp_path / "ref.csv", index=False)
    lines = csv_text(frame(3000, 2)).splitlines()
    lines = [lines[0]] + [ln.rsplit(",", 1)[0] if i % 2 else ln for i, ln in enumerate(lines[1:])]
    (tmp_path / "cur.csv").write_text("\n".join(lines) + "\n")
    code, out = run(tmp_path, capsys)  # was: "no drift", exit 0
    assert code == drift_errors.EXIT_UNREADABLE, out
    assert "line 3" in out.err and "2 fields" in out.err and "3" in out.err


def test_an_extra_leading_field_is_unreadable(tmp_path, capsys):
    frame(3000, 1).to_csv(tmp_path / "ref.csv", index=False)
    lines = csv_text(frame(3000, 2)).splitlines()
    (tmp_path / "cur.csv").write_text("\n".join([lines[0]] + ["7," + ln for ln in lines[1:]]) + "\n")
    code, out = run(tmp_path, capsys)  # was: a bogus drift that counted toward retraining
    assert code == drift_errors.EXIT_UNREADABLE and "4 fields" in out.err
    assert not (tmp_path / "drift-state.json").exists()


def test_a_file_whose_rows_are_all_short_is_unreadable(tmp_path, capsys):
    frame(3000, 1).to_csv(tmp_path / "ref.csv", index=False)
    lines = csv_text(frame(3000, 2)).splitlines()
    (tmp_path / "cur.csv").write_text("\n".join([lines[0]] + [ln.rsplit(",", 1)[0] for ln in lines[1:]]) + "\n")
    assert run(tmp_path, capsys)[0] == drift_errors.EXIT_UNREADABLE


def test_one_extra_field_in_the_reference_is_unreadable_too(tmp_path, capsys):
    lines = csv_text(frame(3000, 1)).splitlines()
    lines[1500] += ",surplus"
    (tmp_path / "ref.csv").write_text("\n".join(lines) + "\n")
    frame(3000, 2).to_csv(tmp_path / "cur.csv", index=False)
    code, out = run(tmp_path, capsys)
    assert code == drift_errors.EXIT_UNREADABLE and "line 1501" in out.err and "reference" in out.err


def test_quoted_separators_and_newlines_and_blank_lines_are_well_formed(tmp_path, capsys):
    ref = frame(3000, 1)
    ref.loc[::7, "country"] = 'de, "north"\nside'
    ref.to_csv(tmp_path / "ref.csv", index=False)
    cur = frame(3000, 2)
    cur.loc[::7, "country"] = 'de, "north"\nside'
    (tmp_path / "cur.csv").write_text(csv_text(cur) + "\n\n")
    code, out = run(tmp_path, capsys)
    assert code == 0 and report(tmp_path)["datasetDrift"] is False, out.err


def test_tsv_field_counts(tmp_path, capsys):
    frame(3000, 1).to_csv(tmp_path / "ref.tsv", index=False, sep="\t")
    lines = frame(3000, 2).to_csv(index=False, sep="\t").splitlines()
    lines[10] = lines[10].split("\t", 1)[1]
    (tmp_path / "cur.tsv").write_text("\n".join(lines) + "\n")
    code, out = run(tmp_path, capsys, reference=str(tmp_path / "ref.tsv"), current=str(tmp_path / "cur.tsv"))
    assert code == drift_errors.EXIT_UNREADABLE and "line 11" in out.err


# ------------------------------------------------------------------------------------------------
# Missing values and new categories: metrics and thresholds
# ------------------------------------------------------------------------------------------------


def test_half_missing_feature_is_drift_with_a_metric(tmp_path, capsys, gateway):
    frame(4000, 1).to_csv(tmp_path / "ref.csv", index=False)
    cur = frame(4000, 2)
    cur.loc[::2, "country"] = None  # 50 % missing; the rest has the reference's mix
    cur.to_csv(tmp_path / "cur.csv", index=False)
    code, out = run(tmp_path, capsys, pushgatewayUrl=gateway.url)  # was: exit 0, "no drift", no metric
    rep = report(tmp_path)
    country = rep["features"][2]
    assert country["drifted"] and "missing_share" in country["driftedBy"], country
    assert rep["driftedFeatures"] == ["country"] and rep["datasetDrift"] is True
    assert code == 0 and "DRIFT detected" in out.out
    assert gateway.value("mlops_drift_feature_missing_share", model="churn", feature="country") == pytest.approx(0.5)
    assert gateway.value("mlops_drift_feature_missing_share", model="churn", feature="age") == 0
    assert gateway.value("mlops_drift_feature_new_category_share", model="churn", feature="country") == 0


def test_missing_share_threshold_is_configurable(tmp_path, capsys):
    frame(4000, 1).to_csv(tmp_path / "ref.csv", index=False)
    cur = frame(4000, 2)
    cur.loc[::2, "country"] = None
    cur.to_csv(tmp_path / "cur.csv", index=False)
    run(tmp_path, capsys, missingShareThreshold=0.6)
    assert report(tmp_path)["features"][2]["drifted"] is False
    assert report(tmp_path)["thresholds"]["missingShareThreshold"] == 0.6


def test_small_new_category_is_drift_by_its_share(tmp_path, capsys, gateway):
    frame(5000, 1).to_csv(tmp_path / "ref.csv", index=False)
    # 1.5 % of a category never seen in training: PSI stays under 0.1, so this was only in the report
    cur = frame(5000, 2, countries=("de", "fr", "us", "uk", "xx"), probs=[0.24625] * 4 + [0.015])
    cur.to_csv(tmp_path / "cur.csv", index=False)
    code, out = run(tmp_path, capsys, pushgatewayUrl=gateway.url)
    country = report(tmp_path)["features"][2]
    assert country["psi"] < 0.1  # the old rule alone does not see it
    assert country["drifted"] and country["driftedBy"] == ["new_categories"], country
    share = gateway.value("mlops_drift_feature_new_category_share", model="churn", feature="country")
    assert share == pytest.approx(0.015, abs=0.005) and country["newCategoryShare"] == share
    run(tmp_path, capsys, newCategoryShareThreshold=0.05)
    assert report(tmp_path)["features"][2]["drifted"] is False


def test_share_thresholds_are_validated():
    base = {"model": "m", "reference": "r.csv", "current": "c.csv", "features": FEATURES}
    for key in ("missingShareThreshold", "newCategoryShareThreshold"):
        for bad in (0, 1.5, -0.1, "0.1", math.inf):
            with pytest.raises(drift_errors.DriftError, match=key):
                drift_config.validate_config({**base, key: bad})
