"""The promotion gate's configuration, read from environment variables (see promotion_gate.py)."""

import collections
import json
import math
import re
import urllib.parse

from gate_errors import ConfigError

HIGHER_IS_BETTER = "higher_is_better"
LOWER_IS_BETTER = "lower_is_better"
DIRECTIONS = (HIGHER_IS_BETTER, LOWER_IS_BETTER)

DEFAULT_ALIAS = "champion"
DEFAULT_RUN_ID_FILE = "/mlops/run/run_id"
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_RETRY_ATTEMPTS = 3
DEFAULT_RETRY_BACKOFF_SECONDS = 1.0

# One metric threshold: the candidate run's `metric` must be >= (higher_is_better) or <= threshold.
Condition = collections.namedtuple("Condition", "metric direction threshold")
# Block promotion while the drift check's last verdict for (model, namespace) is drift.
DriftBlock = collections.namedtuple("DriftBlock", "metrics_url model namespace")
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


class Config:
    """Validated gate configuration."""

    def __init__(
        self,
        tracking_uri,
        model_name,
        metric,
        direction,
        threshold,
        compare_to_champion=False,
        alias=DEFAULT_ALIAS,
        run_id_file=DEFAULT_RUN_ID_FILE,
        timeout=DEFAULT_TIMEOUT_SECONDS,
        retry_attempts=DEFAULT_RETRY_ATTEMPTS,
        retry_backoff=DEFAULT_RETRY_BACKOFF_SECONDS,
        username=None,
        password=None,
        token=None,
        insecure_tls=False,
        server_cert_path=None,
        conditions=None,
        drift_block=None,
    ):
        self.tracking_uri = tracking_uri
        self.model_name = model_name
        self.metric = metric
        self.direction = direction
        self.threshold = threshold
        self.compare_to_champion = compare_to_champion
        self.alias = alias
        self.run_id_file = run_id_file
        self.timeout = timeout
        self.retry_attempts = retry_attempts
        self.retry_backoff = retry_backoff
        self.username = username
        self.password = password
        self.token = token
        self.insecure_tls = insecure_tls
        self.server_cert_path = server_cert_path
        # Every condition must hold; the first is metric/direction/threshold (compareToChampion uses it).
        self.conditions = conditions or [Condition(metric, direction, threshold)]
        self.drift_block = drift_block


def _get(env, key):
    value = env.get(key)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _required(env, key):
    value = _get(env, key)
    if value is None:
        raise ConfigError("%s is required but not set" % key)
    return value


def _parse_bool(env, key, default):
    raw = env.get(key)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return default if value == "" else False
    raise ConfigError("%s must be true or false, got %r" % (key, raw))


def _parse_float(env, key, default=None, positive=False):
    raw = _get(env, key)
    if raw is None:
        if default is None:
            raise ConfigError("%s is required but not set" % key)
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError("%s must be a number, got %r" % (key, raw))
    if math.isnan(value) or math.isinf(value):
        raise ConfigError("%s must be a finite number, got %r" % (key, raw))
    if positive and value <= 0:
        raise ConfigError("%s must be > 0, got %r" % (key, raw))
    return value


def load_config(env):
    """Build a Config from an environment mapping; raise ConfigError if invalid."""
    uri = _required(env, "MLFLOW_TRACKING_URI")
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(
            "MLFLOW_TRACKING_URI must be an http(s) URL, got %r" % uri
        )

    model_name = _required(env, "GATE_MODEL_NAME")
    conditions = _conditions(env)
    metric, direction, threshold = conditions[0]

    attempts_raw = _get(env, "GATE_RETRY_ATTEMPTS")
    if attempts_raw is None:
        attempts = DEFAULT_RETRY_ATTEMPTS
    else:
        try:
            attempts = int(attempts_raw)
        except ValueError:
            raise ConfigError(
                "GATE_RETRY_ATTEMPTS must be an integer, got %r" % attempts_raw
            )
        if attempts < 1:
            raise ConfigError("GATE_RETRY_ATTEMPTS must be >= 1, got %r" % attempts_raw)

    backoff = _parse_float(
        env, "GATE_RETRY_BACKOFF_SECONDS", DEFAULT_RETRY_BACKOFF_SECONDS
    )
    if backoff < 0:
        raise ConfigError("GATE_RETRY_BACKOFF_SECONDS must be >= 0")

    return Config(
        tracking_uri=uri.rstrip("/"),
        model_name=model_name,
        metric=metric,
        direction=direction,
        threshold=threshold,
        compare_to_champion=_parse_bool(env, "GATE_COMPARE_TO_CHAMPION", False),
        alias=_get(env, "GATE_ALIAS") or DEFAULT_ALIAS,
        run_id_file=_get(env, "GATE_RUN_ID_FILE") or DEFAULT_RUN_ID_FILE,
        timeout=_parse_float(
            env, "GATE_TIMEOUT_SECONDS", DEFAULT_TIMEOUT_SECONDS, positive=True
        ),
        retry_attempts=attempts,
        retry_backoff=backoff,
        username=_get(env, "MLFLOW_TRACKING_USERNAME"),
        password=env.get("MLFLOW_TRACKING_PASSWORD") or None,
        token=_get(env, "MLFLOW_TRACKING_TOKEN"),
        insecure_tls=_parse_bool(env, "MLFLOW_TRACKING_INSECURE_TLS", False),
        server_cert_path=_get(env, "MLFLOW_TRACKING_SERVER_CERT_PATH"),
        conditions=conditions,
        drift_block=_drift_block(env, model_name),
    )


def _direction(value, key):
    direction = value.lower() if isinstance(value, str) else value
    if direction not in DIRECTIONS:
        raise ConfigError("%s must be one of %s, got %r" % (key, ", ".join(DIRECTIONS), value))
    return direction


def _conditions(env):
    """GATE_METRIC/GATE_DIRECTION/GATE_THRESHOLD (the shorthand for one), then GATE_CONDITIONS (a JSON list of
    {"metric", "direction", "threshold"}); at least one in all."""
    conditions = []
    if _get(env, "GATE_METRIC") is not None or _get(env, "GATE_CONDITIONS") is None:
        metric = _required(env, "GATE_METRIC")
        direction = _direction(_required(env, "GATE_DIRECTION"), "GATE_DIRECTION")
        conditions.append(Condition(metric, direction, _parse_float(env, "GATE_THRESHOLD")))
    raw = _get(env, "GATE_CONDITIONS")
    if raw is None:
        return conditions
    try:
        items = json.loads(raw)
    except ValueError:
        items = None
    if not isinstance(items, list) or not items:
        raise ConfigError("GATE_CONDITIONS must be a JSON list of {metric, direction, threshold}, got %r" % raw)
    for i, item in enumerate(items):
        key = "GATE_CONDITIONS[%d]" % i
        if not isinstance(item, dict) or set(item) != {"metric", "direction", "threshold"}:
            raise ConfigError("%s must be an object with exactly metric, direction, threshold; got %r" % (key, item))
        metric, threshold = item["metric"], item["threshold"]
        if not isinstance(metric, str) or not metric.strip():
            raise ConfigError("%s.metric must name a run metric, got %r" % (key, metric))
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not math.isfinite(threshold):
            raise ConfigError("%s.threshold must be a finite number, got %r" % (key, threshold))
        conditions.append(Condition(metric, _direction(item["direction"], key + ".direction"), float(threshold)))
    return conditions


def _drift_block(env, model_name):
    """GATE_BLOCK_ON_DRIFT=true: GATE_DRIFT_METRICS_URL (the Pushgateway), GATE_DRIFT_NAMESPACE, and
    GATE_DRIFT_MODEL (default GATE_MODEL_NAME): the labels of the drift check's mlops_drift_detected."""
    if not _parse_bool(env, "GATE_BLOCK_ON_DRIFT", False):
        return None
    url = _required(env, "GATE_DRIFT_METRICS_URL")
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError("GATE_DRIFT_METRICS_URL must be an http(s) URL, got %r" % url)
    namespace = _required(env, "GATE_DRIFT_NAMESPACE")
    if not _NAME.match(namespace):
        raise ConfigError("GATE_DRIFT_NAMESPACE must be a Kubernetes namespace name, got %r" % namespace)
    return DriftBlock(url.rstrip("/"), _get(env, "GATE_DRIFT_MODEL") or model_name, namespace)
