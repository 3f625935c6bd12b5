"""Statistics of the drift check: PSI, KS and chi-squared per feature, and the dataset verdict.

Decision rule (documented in every report)
------------------------------------------
* numeric feature drifts when  PSI >= psiThreshold
      OR (KS p-value < ksPValue AND KS statistic >= ksStatistic).
* categorical feature drifts when  PSI >= psiThreshold
      OR (chi-squared p-value < chi2PValue AND Cramér's V >= cramersV).
  The p-value alone is not enough: with thousands of rows a test rejects for differences too small
  to matter, so a minimum effect size (KS D, Cramér's V; 0.1 = "small" effect) is required too.
* any feature also drifts when its missing share (missing or non-finite values, of the sampled rows)
  exceeds the reference's by missingShareThreshold or more (default 0.1), and a categorical one when the
  share of its current values never seen in the reference sample is newCategoryShareThreshold or more
  (default 0.01: PSI alone misses a new category below about 2 %).
* the dataset drifts when (drifted features / features) >= driftShareThreshold.

PSI = sum_i (c_i - r_i) * ln(c_i / r_i), with r_i, c_i the reference/current shares of bin i, each
floored at ``epsilon`` (no renormalisation). Numeric bins: interior edges at the reference quantiles
1/bins .. (bins-1)/bins, deduplicated, bins right-closed, outer bins open-ended (-inf, e1] .. (ek, inf).
Categorical bins: the ``maxCategories`` most frequent reference categories, one "__other__" bucket for
the remaining reference categories, and one "__unseen__" bucket for current values never seen in the
reference (reference share 0 -> epsilon, so a new category shows up in PSI and chi-squared; their names
are listed in the report). Categorical values are compared as canonical text (drift_values).

Without scipy a numpy/math fallback is used (and reported).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd

from drift_errors import EXIT_EMPTY, DriftError

try:  # scipy is optional: a numpy/math fallback is used (and reported) without it.
    import scipy
    from scipy import stats as _scipy_stats
except Exception:  # pragma: no cover - depends on the image
    scipy = None
    _scipy_stats = None

OTHER_BUCKET = "__other__"
UNSEEN_BUCKET = "__unseen__"

DECISION_RULE = (
    "numeric: PSI >= psiThreshold OR (KS p < ksPValue AND KS D >= ksStatistic); "
    "categorical: PSI >= psiThreshold OR (chi2 p < chi2PValue AND Cramer's V >= cramersV); "
    "any: current missing share - reference missing share >= missingShareThreshold; "
    "categorical: new-category share >= newCategoryShareThreshold; "
    "dataset: drifted share >= driftShareThreshold"
)


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
    new_share = float(unseen.sum() / len(cur)) if len(cur) else 0.0
    return labels, np.array(rc), np.array(cc), new_categories, new_share


def evaluate_feature(name, ftype, ref_values, cur_values, cfg, missing_share=None):
    """Scores and verdict for one feature (NA / non-finite already dropped by the caller, which passes the
    missing shares {"reference", "current"} of the sampled rows)."""
    out = {"name": name, "type": ftype, "valuesCompared": {"reference": int(len(ref_values)), "current": int(len(cur_values))}}
    by_new = False
    if ftype == "numeric":
        psi, edges, rc, cc = numeric_psi(ref_values, cur_values, cfg["bins"], cfg["epsilon"])
        d, p, method = ks_2samp(ref_values, cur_values)
        by_psi = psi >= cfg["psiThreshold"]
        by_test = p < cfg["ksPValue"] and d >= cfg["ksStatistic"]
        out.update(psi=psi, test="ks", testMethod=method, statistic=d, pValue=p, effectSize=d,
                   binEdges=[float(e) for e in edges], binCounts={"reference": rc.tolist(), "current": cc.tolist()})
    else:
        labels, rc, cc, new_categories, new_share = category_buckets(ref_values, cur_values, cfg["maxCategories"])
        by_new = new_share >= cfg["newCategoryShareThreshold"]
        psi = psi_from_counts(rc, cc, cfg["epsilon"])
        chi2, p, dof, method = chi2_contingency(np.vstack([rc, cc]))
        n = rc.sum() + cc.sum()
        v = math.sqrt(chi2 / n) if n and dof > 0 else 0.0  # Cramér's V for a 2 x k table: min(r,k)-1 = 1
        by_psi = psi >= cfg["psiThreshold"]
        by_test = p < cfg["chi2PValue"] and v >= cfg["cramersV"]
        out.update(psi=psi, test="chi2", testMethod=method, statistic=chi2, dof=dof, pValue=p, effectSize=v,
                   categories=labels, binCounts={"reference": rc.tolist(), "current": cc.tolist()},
                   newCategories=new_categories, newCategoryShare=new_share)
    missing_share = missing_share or {"reference": 0.0, "current": 0.0}
    out["missingShare"] = missing_share
    by_missing = missing_share["current"] - missing_share["reference"] >= cfg["missingShareThreshold"]
    rules = (("psi", by_psi), (out["test"], by_test), ("new_categories", by_new), ("missing_share", by_missing))
    out["driftedBy"] = [r for r, hit in rules if hit]
    out["drifted"] = bool(out["driftedBy"])
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
        missing = {"reference": float(1 - len(ref) / len(ref_sample)), "current": float(1 - len(cur) / len(cur_sample))}
        results.append(evaluate_feature(name, ftype, ref, cur, cfg, missing))
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
