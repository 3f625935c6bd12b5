#!/usr/bin/env python3
"""Judges a model's canary on measured evidence and promotes or rolls back its challenger.

Runs as a CronJob next to a ``ModelDeployment`` whose canary serves ``models:/<name>@challenger``
(mounted from a ConfigMap by ``CanaryJudge``). Standard library only. One run:

1. Reads the aliases from the MLflow registry: ``@challenger`` (set by the training job's
   promotion gate) and ``@champion`` (served by the stable variant).
2. No challenger: nothing to judge (``idle``); the canary Deployment is scaled to zero.
   No champion yet (the first model): the challenger becomes champion at once (``promoted``).
3. Otherwise the canary is scaled up if it was at zero, and Prometheus is asked, over
   ``JUDGE_WINDOW``, for each variant's requests, 5xx ratio and p95 latency, and whether every
   canary pod served the challenger's version for the whole window (``mlops_served_model_version``).
   Too few canary requests, or another version served during the window: ``waiting``.
4. The canary passes when its error ratio is at most ``JUDGE_MAX_ERROR_RATIO`` and at most the
   stable variant's plus ``JUDGE_ERROR_RATIO_TOLERANCE``, and its p95 latency is at most
   ``JUDGE_MAX_LATENCY_P95_SECONDS`` and at most the stable one's times (1 +
   ``JUDGE_LATENCY_TOLERANCE``); the stable comparisons apply when the stable variant had
   ``JUDGE_MIN_REQUESTS`` requests too. Pass: ``@champion`` moves to the challenger's version and
   ``@challenger`` is removed (the stable pods follow the alias, see serve_model.py); fail:
   ``@challenger`` is removed (``rolled_back``). Either way the canary is scaled to zero.
5. Pushes ``mlops_canary_*`` to the Pushgateway (group ``job/<JUDGE_PUSH_JOB>/namespace/<ns>/model/<model>``):
   ``mlops_canary_outcome{outcome}`` (1 for this run's outcome, 0 for the others),
   ``mlops_canary_requests{variant}``, ``mlops_canary_error_ratio{variant}``,
   ``mlops_canary_latency_p95_seconds{variant}``, ``mlops_canary_challenger_version``,
   ``mlops_canary_last_run_timestamp_seconds``; on an error only the timestamp and
   ``mlops_canary_judge_error{reason}``.

Environment: MLFLOW_TRACKING_URI (+ MLFLOW_TRACKING_USERNAME/PASSWORD), JUDGE_REGISTERED_MODEL,
JUDGE_CHAMPION_ALIAS (champion), JUDGE_CHALLENGER_ALIAS (challenger), JUDGE_PROMETHEUS_URL,
JUDGE_NAMESPACE, JUDGE_MODEL (the ``model`` label), JUDGE_REQUESTS_METRIC (http_requests_total),
JUDGE_DURATION_METRIC (http_request_duration_seconds), JUDGE_STATUS_LABEL (status), JUDGE_WINDOW
(1h), JUDGE_MIN_REQUESTS (100), JUDGE_MAX_ERROR_RATIO (0.01), JUDGE_ERROR_RATIO_TOLERANCE (0.005),
JUDGE_MAX_LATENCY_P95_SECONDS (0.5), JUDGE_LATENCY_TOLERANCE (0.2), JUDGE_CANARY_DEPLOYMENT,
JUDGE_CANARY_REPLICAS (1), JUDGE_PUSHGATEWAY_URL (optional), JUDGE_PUSH_JOB (mlops-canary),
JUDGE_K8S_API (default: the in-cluster API server), JUDGE_SA_DIR (the service-account mount).

Exit codes: 0 judged (any outcome), 2 configuration error, 3 MLflow, Prometheus or Kubernetes error.
"""

import base64
import json
import math
import os
import re
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

EXIT_OK, EXIT_CONFIG, EXIT_SERVICE = 0, 2, 3
OUTCOMES = ("promoted", "rolled_back", "waiting", "idle")
SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
TIMEOUT = 30


class JudgeError(Exception):
    def __init__(self, code, reason, message):
        super().__init__(message)
        self.code, self.reason = code, reason


def config(env):
    """The validated settings; raises JudgeError(EXIT_CONFIG) naming the variable."""

    def need(name):
        value = env.get(name, "")
        if not value:
            raise JudgeError(EXIT_CONFIG, "config", f"{name} is required")
        return value

    def number(name, default, minimum=0.0):
        raw = env.get(name, "")
        try:
            value = float(raw) if raw else default
        except ValueError:
            raise JudgeError(EXIT_CONFIG, "config", f"{name}: got {raw!r}; must be a number >= {minimum}") from None
        if not math.isfinite(value) or value < minimum:
            raise JudgeError(EXIT_CONFIG, "config", f"{name}: got {raw!r}; must be a finite number >= {minimum}")
        return value

    window = env.get("JUDGE_WINDOW", "1h")
    if not re.fullmatch(r"[1-9][0-9]*[smhd]", window):
        raise JudgeError(EXIT_CONFIG, "config", f"JUDGE_WINDOW: got {window!r}; must be a Prometheus duration such as 30m or 1h")
    return {
        "tracking": need("MLFLOW_TRACKING_URI").rstrip("/"),
        "registered": need("JUDGE_REGISTERED_MODEL"),
        "champion": env.get("JUDGE_CHAMPION_ALIAS", "champion"),
        "challenger": env.get("JUDGE_CHALLENGER_ALIAS", "challenger"),
        "prometheus": need("JUDGE_PROMETHEUS_URL").rstrip("/"),
        "namespace": need("JUDGE_NAMESPACE"),
        "model": need("JUDGE_MODEL"),
        "requests": env.get("JUDGE_REQUESTS_METRIC", "http_requests_total"),
        "duration": env.get("JUDGE_DURATION_METRIC", "http_request_duration_seconds").removesuffix("_bucket"),
        "status": env.get("JUDGE_STATUS_LABEL", "status"),
        "window": window,
        "min_requests": number("JUDGE_MIN_REQUESTS", 100, 1),
        "max_error_ratio": number("JUDGE_MAX_ERROR_RATIO", 0.01),
        "error_tolerance": number("JUDGE_ERROR_RATIO_TOLERANCE", 0.005),
        "max_latency": number("JUDGE_MAX_LATENCY_P95_SECONDS", 0.5),
        "latency_tolerance": number("JUDGE_LATENCY_TOLERANCE", 0.2),
        "deployment": need("JUDGE_CANARY_DEPLOYMENT"),
        "replicas": int(number("JUDGE_CANARY_REPLICAS", 1, 1)),
        "pushgateway": env.get("JUDGE_PUSHGATEWAY_URL", "").rstrip("/"),
        "push_job": env.get("JUDGE_PUSH_JOB", "mlops-canary"),
        "user": env.get("MLFLOW_TRACKING_USERNAME", ""),
        "password": env.get("MLFLOW_TRACKING_PASSWORD", ""),
        "k8s": env.get("JUDGE_K8S_API", ""),
        "sa_dir": env.get("JUDGE_SA_DIR", SA_DIR),
    }


def http(method, url, body=None, headers=None, context=None, what="request"):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT, context=context) as resp:
            text = resp.read().decode()
            return json.loads(text) if text.strip().startswith(("{", "[")) else text
    except urllib.error.HTTPError as err:
        detail = err.read().decode(errors="replace")[:300]
        raise JudgeError(EXIT_SERVICE, what, f"{what}: {method} {url.split('?')[0]} -> HTTP {err.code}: {detail}") from None
    except (urllib.error.URLError, OSError) as err:
        raise JudgeError(EXIT_SERVICE, what, f"{what}: {method} {url.split('?')[0]} failed: {err}") from None


class Registry:
    """The MLflow registry's aliases, through its REST API."""

    def __init__(self, cfg):
        self.base, self.name = cfg["tracking"], cfg["registered"]
        self.headers = {}
        if cfg["user"] and cfg["password"]:
            token = base64.b64encode(f"{cfg['user']}:{cfg['password']}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"

    def alias(self, alias):
        """The version (str) the alias points at, or None."""
        query = urllib.parse.urlencode({"name": self.name, "alias": alias})
        try:
            got = http("GET", f"{self.base}/api/2.0/mlflow/registered-models/alias?{query}", headers=self.headers, what="mlflow")
        except JudgeError as err:
            if "RESOURCE_DOES_NOT_EXIST" in str(err) or "INVALID_PARAMETER_VALUE" in str(err):
                return None
            raise
        return str(got["model_version"]["version"])

    def set_alias(self, alias, version):
        http("POST", f"{self.base}/api/2.0/mlflow/registered-models/alias", {"name": self.name, "alias": alias, "version": version}, self.headers, what="mlflow")

    def delete_alias(self, alias):
        # MLflow reads a DELETE's parameters from its JSON body, not from the query string.
        http("DELETE", f"{self.base}/api/2.0/mlflow/registered-models/alias", {"name": self.name, "alias": alias}, self.headers, what="mlflow")


class Prometheus:
    def __init__(self, cfg):
        self.base = cfg["prometheus"]

    def by_variant(self, query):
        """{variant: value} of an instant query (NaN and missing variants left out)."""
        url = f"{self.base}/api/v1/query?{urllib.parse.urlencode({'query': query})}"
        got = http("GET", url, what="prometheus")
        if not isinstance(got, dict) or got.get("status") != "success":
            raise JudgeError(EXIT_SERVICE, "prometheus", f"prometheus: query failed: {got}")
        out = {}
        for sample in got["data"]["result"]:
            value = float(sample["value"][1])
            if math.isfinite(value):
                out[sample["metric"].get("variant", "")] = value
        return out


def evidence(cfg, prom):
    """Requests, error ratio and p95 latency per variant, and the versions the canary served."""
    sel = f'namespace="{cfg["namespace"]}",model="{cfg["model"]}"'
    w = cfg["window"]
    requests = prom.by_variant(f'sum by (variant) (increase({cfg["requests"]}{{{sel}}}[{w}]))')
    errors = prom.by_variant(f'sum by (variant) (increase({cfg["requests"]}{{{sel},{cfg["status"]}=~"5.."}}[{w}]))')
    p95 = prom.by_variant(f'histogram_quantile(0.95, sum by (variant, le) (rate({cfg["duration"]}_bucket{{{sel}}}[{w}])))')
    low = prom.by_variant(f'min by (variant) (min_over_time(mlops_served_model_version{{{sel},variant="canary"}}[{w}]))')
    high = prom.by_variant(f'max by (variant) (max_over_time(mlops_served_model_version{{{sel},variant="canary"}}[{w}]))')
    out = {}
    for variant in ("stable", "canary"):
        n = requests.get(variant, 0.0)
        out[variant] = {"requests": n, "error_ratio": (errors.get(variant, 0.0) / n) if n > 0 else None, "p95": p95.get(variant)}
    out["served"] = (low.get("canary"), high.get("canary"))
    return out


def decide(cfg, challenger, ev):
    """(outcome, reason) from the evidence: promoted, rolled_back or waiting."""
    canary, stable = ev["canary"], ev["stable"]
    low, high = ev["served"]
    if low is None or high is None or low != high or str(int(low)) != challenger:
        return "waiting", f"the canary has not served only version {challenger} for the whole {cfg['window']} (served {low}..{high})"
    if canary["requests"] < cfg["min_requests"]:
        return "waiting", f"the canary had {canary['requests']:.0f} requests in {cfg['window']}; at least {cfg['min_requests']:.0f} are needed"
    compare = stable["requests"] >= cfg["min_requests"]
    problems = []
    err = canary["error_ratio"] or 0.0
    if err > cfg["max_error_ratio"]:
        problems.append(f"error ratio {err:.4f} > objective {cfg['max_error_ratio']}")
    if compare and err > (stable["error_ratio"] or 0.0) + cfg["error_tolerance"]:
        problems.append(f"error ratio {err:.4f} > stable {stable['error_ratio'] or 0.0:.4f} + {cfg['error_tolerance']}")
    p95 = canary["p95"]
    if p95 is not None and p95 > cfg["max_latency"]:
        problems.append(f"p95 latency {p95:.3f}s > objective {cfg['max_latency']}s")
    if compare and p95 is not None and stable["p95"] is not None and p95 > stable["p95"] * (1 + cfg["latency_tolerance"]):
        problems.append(f"p95 latency {p95:.3f}s > stable {stable['p95']:.3f}s x {1 + cfg['latency_tolerance']}")
    if problems:
        return "rolled_back", "; ".join(problems)
    basis = "stable variant and objectives" if compare else f"objectives (stable had fewer than {cfg['min_requests']:.0f} requests)"
    return "promoted", f"{canary['requests']:.0f} requests, error ratio {err:.4f}, p95 {p95 if p95 is not None else float('nan'):.3f}s within the {basis}"


class Kubernetes:
    """Reads and sets the canary Deployment's replicas through the scale subresource."""

    def __init__(self, cfg):
        self.cfg, self.context, self.headers = cfg, None, {}
        base = cfg["k8s"]
        if not base:
            host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT", "443")
            if not host:
                raise JudgeError(EXIT_CONFIG, "config", "not in a Kubernetes pod (KUBERNETES_SERVICE_HOST unset) and JUDGE_K8S_API not set")
            base = f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"
            ca = os.path.join(cfg["sa_dir"], "ca.crt")
            self.context = ssl.create_default_context(cafile=ca if os.path.isfile(ca) else None)
        token_file = os.path.join(cfg["sa_dir"], "token")
        if os.path.isfile(token_file):
            with open(token_file, encoding="utf-8") as fh:
                self.headers["Authorization"] = f"Bearer {fh.read().strip()}"
        self.url = f"{base.rstrip('/')}/apis/apps/v1/namespaces/{cfg['namespace']}/deployments/{cfg['deployment']}/scale"

    def replicas(self):
        return int(http("GET", self.url, headers=self.headers, context=self.context, what="kubernetes").get("spec", {}).get("replicas", 0))

    def scale(self, replicas):
        headers = {**self.headers, "Content-Type": "application/merge-patch+json"}
        http("PATCH", self.url, {"spec": {"replicas": replicas}}, headers, self.context, what="kubernetes")


def push(cfg, samples):
    """Replaces the model's group on the Pushgateway with `samples` [(name, labels, value)]."""
    if not cfg["pushgateway"]:
        return
    lines = []
    for name, labels, value in samples:
        rendered = ",".join(f'{k}="{v}"' for k, v in labels.items())
        lines.append(f"{name}{{{rendered}}} {value}" if rendered else f"{name} {value}")
    group = "/".join(urllib.parse.quote(p, safe="") for p in ("job", cfg["push_job"], "namespace", cfg["namespace"], "model", cfg["model"]))
    http("PUT", f"{cfg['pushgateway']}/metrics/{group}", ("\n".join(lines) + "\n").encode(), {"Content-Type": "text/plain; version=0.0.4"}, what="pushgateway")


def judge(cfg, registry, prom, kube, now):
    """One run; returns (outcome, reason, samples to push)."""
    challenger = registry.alias(cfg["challenger"])
    champion = registry.alias(cfg["champion"])
    ev = None
    if challenger is None:
        outcome, reason = "idle", f"no @{cfg['challenger']} to judge"
    elif champion is None or champion == challenger:
        registry.set_alias(cfg["champion"], challenger)
        registry.delete_alias(cfg["challenger"])
        outcome, reason = "promoted", f"version {challenger} is the first @{cfg['champion']}" if champion is None else f"version {challenger} already is @{cfg['champion']}"
    elif kube.replicas() == 0:
        kube.scale(cfg["replicas"])
        outcome, reason = "waiting", f"scaled the canary up to serve version {challenger}"
    else:
        ev = evidence(cfg, prom)
        outcome, reason = decide(cfg, challenger, ev)
        if outcome == "promoted":
            registry.set_alias(cfg["champion"], challenger)
        if outcome in ("promoted", "rolled_back"):
            registry.delete_alias(cfg["challenger"])
    if outcome in ("idle", "promoted", "rolled_back") and kube.replicas() != 0:
        kube.scale(0)
    samples = [("mlops_canary_outcome", {"outcome": o}, 1 if o == outcome else 0) for o in OUTCOMES]
    samples.append(("mlops_canary_last_run_timestamp_seconds", {}, now))
    if challenger is not None:
        samples.append(("mlops_canary_challenger_version", {}, int(challenger)))
    for variant in ("stable", "canary") if ev else ():
        samples.append(("mlops_canary_requests", {"variant": variant}, ev[variant]["requests"]))
        if ev[variant]["error_ratio"] is not None:
            samples.append(("mlops_canary_error_ratio", {"variant": variant}, ev[variant]["error_ratio"]))
        if ev[variant]["p95"] is not None:
            samples.append(("mlops_canary_latency_p95_seconds", {"variant": variant}, ev[variant]["p95"]))
    return outcome, reason, samples


def main(env=None):
    env = os.environ if env is None else env
    try:
        cfg = config(env)
    except JudgeError as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return err.code
    now = time.time()
    try:
        outcome, reason, samples = judge(cfg, Registry(cfg), Prometheus(cfg), Kubernetes(cfg), now)
    except JudgeError as err:
        print(f"ERROR: {err}", file=sys.stderr)
        try:
            push(cfg, [("mlops_canary_last_run_timestamp_seconds", {}, now), ("mlops_canary_judge_error", {"reason": err.reason}, 1)])
        except JudgeError as push_err:
            print(f"ERROR: {push_err}", file=sys.stderr)
        return err.code
    print(f"{outcome.upper()}: {reason} (model {cfg['registered']})")
    try:
        push(cfg, samples)
    except JudgeError as err:
        print(f"ERROR: {err}", file=sys.stderr)
        return err.code
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
