"""The promotion gate's configuration, read from environment variables (see promotion_gate.py)."""

import math
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
    metric = _required(env, "GATE_METRIC")

    direction = _required(env, "GATE_DIRECTION").lower()
    if direction not in DIRECTIONS:
        raise ConfigError(
            "GATE_DIRECTION must be one of %s, got %r"
            % (", ".join(DIRECTIONS), env.get("GATE_DIRECTION"))
        )

    threshold = _parse_float(env, "GATE_THRESHOLD")

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
    )
