#!/usr/bin/env python3
"""Model promotion gate for the cdktf-mlops training Job.

Runs as the last step of a training Job, after training logged an MLflow run
and registered a model version. It decides whether the new ("candidate")
model version is good enough and, if so, points a registered-model alias
(``champion`` by default) at it through the MLflow REST API (2.0 paths, which
MLflow 3.x still serves).

Standard library only, so it runs in any Python 3.9+ image.

Configuration (environment variables)
-------------------------------------
``MLFLOW_TRACKING_URI``        Required. http(s) URL of the MLflow tracking server.
``MLFLOW_TRACKING_USERNAME``   Optional. With ``MLFLOW_TRACKING_PASSWORD``: HTTP
``MLFLOW_TRACKING_PASSWORD``   basic auth, as MLflow's own clients do.
``MLFLOW_TRACKING_TOKEN``      Optional. Bearer token; used only when username and
                               password are not both set.
``MLFLOW_TRACKING_INSECURE_TLS``     Optional ``true``: do not verify TLS certificates.
``MLFLOW_TRACKING_SERVER_CERT_PATH`` Optional CA bundle used to verify the server.
``GATE_MODEL_NAME``            Required. Registered model name.
``GATE_METRIC``                Required. Run metric key to judge the candidate by.
``GATE_DIRECTION``             Required. ``higher_is_better`` (pass when
                               value >= threshold) or ``lower_is_better`` (pass
                               when value <= threshold).
``GATE_THRESHOLD``             Required. Float threshold.
``GATE_COMPARE_TO_CHAMPION``   ``true``/``false`` (default ``false``). When true and
                               the alias points at a version, the candidate must
                               also be at least as good as that version's run
                               metric (ties pass). If the champion's run lacks the
                               metric, this is logged and only the threshold
                               applies.
``GATE_ALIAS``                 Alias to set (default ``champion``).
``GATE_RUN_ID_FILE``           Default ``/mlops/run/run_id``. If the file exists and
                               is non-empty it holds the MLflow run id produced by
                               training; the candidate is the newest version of
                               the model whose ``run_id`` equals it. Otherwise the
                               candidate is the newest (highest numbered) version.
``GATE_TIMEOUT_SECONDS``       Per-request timeout in seconds (default 30).
``GATE_RETRY_ATTEMPTS``        Attempts per request (default 3). Only connection
                               errors, timeouts, HTTP 5xx and 429 are retried.
``GATE_RETRY_BACKOFF_SECONDS`` Initial backoff, doubled per retry (default 1).

Command line: ``--dry-run`` evaluates the gate and exits with the same code
but does not set the alias.

Exit codes
----------
``0`` (EXIT_PROMOTED)  promoted, or the candidate already holds the alias.
``1`` (EXIT_REJECTED)  rejected: worse than the threshold or than the champion.
``2`` (EXIT_ERROR)     error: bad or missing configuration, MLflow unreachable or
                       erroring, no model version found, or the candidate's run
                       lacks the metric.

One line per decision is logged to stderr, e.g.
``REJECTED: accuracy=0.85 < threshold 0.9 (model churn v7)``.
"""

import argparse
import base64
import http.client
import json
import logging
import math
import os
import socket
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

EXIT_PROMOTED = 0
EXIT_REJECTED = 1
EXIT_ERROR = 2

HIGHER_IS_BETTER = "higher_is_better"
LOWER_IS_BETTER = "lower_is_better"
DIRECTIONS = (HIGHER_IS_BETTER, LOWER_IS_BETTER)

DEFAULT_ALIAS = "champion"
DEFAULT_RUN_ID_FILE = "/mlops/run/run_id"
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_RETRY_ATTEMPTS = 3
DEFAULT_RETRY_BACKOFF_SECONDS = 1.0

# Page size for model-versions/search; all pages are read.
SEARCH_PAGE_SIZE = 1000
# Safety bound against a server that keeps returning a page token.
MAX_SEARCH_PAGES = 1000

RETRYABLE_STATUS = frozenset([429, 500, 502, 503, 504])

LOGGER_NAME = "promotion_gate"
log = logging.getLogger(LOGGER_NAME)

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


class GateError(Exception):
    """Any failure that should end the gate with EXIT_ERROR."""


class ConfigError(GateError):
    """Missing or invalid configuration."""


class MlflowApiError(GateError):
    """MLflow unreachable or answered with an error."""

    def __init__(self, message, status=None, error_code=None):
        super().__init__(message)
        self.status = status
        self.error_code = error_code


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


# --------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# MLflow REST client
# --------------------------------------------------------------------------


def _sleep(seconds):
    time.sleep(seconds)


class MlflowClient:
    """Tiny MLflow REST client: just the four calls the gate needs."""

    def __init__(self, config):
        self.base = config.tracking_uri
        self.timeout = config.timeout
        self.attempts = config.retry_attempts
        self.backoff = config.retry_backoff
        self.headers = {"Accept": "application/json", "User-Agent": "cdktf-mlops-promotion-gate"}
        if config.username and config.password:
            creds = "%s:%s" % (config.username, config.password)
            self.headers["Authorization"] = "Basic " + base64.b64encode(
                creds.encode("utf-8")
            ).decode("ascii")
        elif config.token:
            self.headers["Authorization"] = "Bearer " + config.token
        self.ssl_context = None
        if self.base.startswith("https://"):
            if config.insecure_tls:
                self.ssl_context = ssl._create_unverified_context()  # noqa: S323
            elif config.server_cert_path:
                self.ssl_context = ssl.create_default_context(
                    cafile=config.server_cert_path
                )

    def _url(self, path, params=None):
        url = "%s/api/2.0/mlflow/%s" % (self.base, path)
        if params:
            url += "?" + urllib.parse.urlencode(params)
        return url

    def request(self, method, path, params=None, body=None):
        """Send one request, retrying transient failures; return the JSON body."""
        url = self._url(path, params)
        data = None
        headers = dict(self.headers)
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        what = "%s %s" % (method, path)
        for attempt in range(1, self.attempts + 1):
            last = attempt == self.attempts
            req = urllib.request.Request(url, data=data, headers=headers, method=method)
            try:
                with urllib.request.urlopen(
                    req, timeout=self.timeout, context=self.ssl_context
                ) as resp:
                    raw = resp.read()
            except urllib.error.HTTPError as exc:
                status = exc.code
                try:
                    err_body = exc.read().decode("utf-8", "replace")
                except Exception:  # pragma: no cover - defensive
                    err_body = ""
                finally:
                    exc.close()
                error_code, message = _parse_error(err_body)
                if status in RETRYABLE_STATUS and not last:
                    self._wait(attempt, what, "HTTP %d" % status)
                    continue
                raise MlflowApiError(
                    "%s failed: HTTP %d %s%s"
                    % (
                        what,
                        status,
                        error_code or "",
                        (": " + message) if message else "",
                    ),
                    status=status,
                    error_code=error_code,
                )
            except (
                urllib.error.URLError,
                socket.timeout,
                ConnectionError,
                http.client.HTTPException,
                OSError,
            ) as exc:
                reason = getattr(exc, "reason", None) or exc
                if not last:
                    self._wait(attempt, what, str(reason))
                    continue
                raise MlflowApiError(
                    "MLflow unreachable at %s (%s failed after %d attempt(s): %s)"
                    % (self.base, what, self.attempts, reason)
                )
            if not raw.strip():
                return {}
            try:
                parsed = json.loads(raw.decode("utf-8"))
            except ValueError:
                raise MlflowApiError("%s returned a non-JSON response" % what)
            if not isinstance(parsed, dict):
                raise MlflowApiError("%s returned unexpected JSON" % what)
            return parsed
        raise MlflowApiError("%s failed" % what)  # pragma: no cover - loop always returns

    def _wait(self, attempt, what, reason):
        delay = self.backoff * (2 ** (attempt - 1))
        log.warning(
            "%s: %s; retrying in %.2fs (attempt %d/%d)",
            what, reason, delay, attempt + 1, self.attempts,
        )
        if delay > 0:
            _sleep(delay)

    # -- endpoints -----------------------------------------------------------

    def search_model_versions(self, name):
        """All versions of a registered model (every page)."""
        versions = []
        token = None
        for _ in range(MAX_SEARCH_PAGES):
            params = [
                ("filter", _name_filter(name)),
                ("max_results", str(SEARCH_PAGE_SIZE)),
                ("order_by", "version_number DESC"),
            ]
            if token:
                params.append(("page_token", token))
            resp = self.request("GET", "model-versions/search", params=params)
            page = resp.get("model_versions") or []
            # Guard against a server that ignores the name filter.
            versions.extend(v for v in page if v.get("name", name) == name)
            token = resp.get("next_page_token")
            if not token:
                return versions
        raise MlflowApiError("model-versions/search did not stop paginating")

    def get_run(self, run_id):
        resp = self.request("GET", "runs/get", params={"run_id": run_id})
        run = resp.get("run")
        if not isinstance(run, dict):
            raise MlflowApiError("runs/get for %s returned no run" % run_id)
        return run

    def get_model_version_by_alias(self, name, alias):
        """The version the alias points at, or None when the alias is unset."""
        try:
            resp = self.request(
                "GET", "registered-models/alias", params={"name": name, "alias": alias}
            )
        except MlflowApiError as exc:
            if _is_alias_missing(exc):
                return None
            raise
        mv = resp.get("model_version")
        return mv if isinstance(mv, dict) and mv.get("version") else None

    def set_alias(self, name, alias, version):
        self.request(
            "POST",
            "registered-models/alias",
            body={"name": name, "alias": alias, "version": str(version)},
        )


def _parse_error(text):
    try:
        body = json.loads(text)
    except ValueError:
        return None, text.strip()[:200]
    if not isinstance(body, dict):
        return None, text.strip()[:200]
    return body.get("error_code"), body.get("message")


def _is_alias_missing(exc):
    # Documented as RESOURCE_DOES_NOT_EXIST; MLflow's SQL and file stores
    # actually answer HTTP 400 INVALID_PARAMETER_VALUE
    # "Registered model alias <alias> not found." Accept both.
    if exc.error_code == "RESOURCE_DOES_NOT_EXIST" or exc.status == 404:
        return True
    if exc.error_code == "INVALID_PARAMETER_VALUE":
        text = str(exc).lower()
        return "alias" in text and "not found" in text
    return False


def _name_filter(name):
    if "'" not in name:
        return "name='%s'" % name
    if '"' not in name:
        return 'name="%s"' % name
    raise ConfigError("GATE_MODEL_NAME cannot contain both ' and \" quotes")


# --------------------------------------------------------------------------
# Gate logic
# --------------------------------------------------------------------------


def read_run_id(path):
    """The run id in ``path``, or None when the file is absent or empty."""
    try:
        with open(path, "r", encoding="utf-8") as fh:
            value = fh.read().strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise GateError("cannot read run id file %s: %s" % (path, exc))
    return value or None


def version_number(mv):
    try:
        return int(str(mv.get("version")))
    except (TypeError, ValueError):
        raise MlflowApiError("model version has a non-numeric version %r" % mv.get("version"))


def select_candidate(versions, run_id=None):
    """Newest version (highest number), restricted to ``run_id`` when given."""
    pool = versions
    if run_id is not None:
        pool = [v for v in versions if v.get("run_id") == run_id]
    if not pool:
        return None
    return max(pool, key=version_number)


def extract_metric(run, key):
    """Value of metric ``key`` in a runs/get ``run``; latest step then timestamp wins."""
    metrics = ((run or {}).get("data") or {}).get("metrics") or []
    best = None
    best_order = None
    for m in metrics:
        if m.get("key") != key or "value" not in m:
            continue
        order = (_as_int(m.get("step")), _as_int(m.get("timestamp")))
        if best is None or order >= best_order:
            best, best_order = m, order
    if best is None:
        return None
    try:
        return float(best["value"])  # MLflow encodes NaN/Infinity as strings
    except (TypeError, ValueError):
        raise MlflowApiError("metric %s has a non-numeric value %r" % (key, best["value"]))


def _as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def at_least_as_good(value, reference, direction):
    if direction == HIGHER_IS_BETTER:
        return value >= reference
    return value <= reference


def _fmt(x):
    return repr(float(x))


def _ops(direction):
    """(pass operator, fail operator) symbols for log lines."""
    return (">=", "<") if direction == HIGHER_IS_BETTER else ("<=", ">")


def run_gate(config, client, dry_run=False):
    """Evaluate the gate and promote; return an exit code."""
    name, metric, alias = config.model_name, config.metric, config.alias
    ok_op, bad_op = _ops(config.direction)

    run_id = read_run_id(config.run_id_file)
    versions = client.search_model_versions(name)
    if not versions:
        log.error("ERROR: no model versions found for registered model %r", name)
        return EXIT_ERROR
    candidate = select_candidate(versions, run_id)
    if candidate is None:
        log.error(
            "ERROR: no version of model %r was produced by run %s (from %s)",
            name, run_id, config.run_id_file,
        )
        return EXIT_ERROR
    cand_v = version_number(candidate)
    where = "model %s v%d" % (name, cand_v)
    log.info(
        "candidate: %s (run %s, selected by %s)",
        where, candidate.get("run_id"),
        "run id file" if run_id else "highest version",
    )
    if candidate.get("status") not in (None, "", "READY"):
        log.warning("candidate %s has status %s", where, candidate.get("status"))

    cand_run_id = candidate.get("run_id")
    if not cand_run_id:
        log.error("ERROR: %s has no run_id, so metric %s cannot be read", where, metric)
        return EXIT_ERROR
    value = extract_metric(client.get_run(cand_run_id), metric)
    if value is None:
        log.error("ERROR: run %s of %s has no metric %r", cand_run_id, where, metric)
        return EXIT_ERROR
    shown = "%s=%s" % (metric, _fmt(value))

    champion = client.get_model_version_by_alias(name, alias)
    champ_v = version_number(champion) if champion else None
    if champ_v == cand_v:
        log.info("PROMOTED: %s already holds alias '%s' (%s); nothing to do", where, alias, shown)
        return EXIT_PROMOTED

    if math.isnan(value):
        log.info("REJECTED: %s is NaN (%s)", shown, where)
        return EXIT_REJECTED
    if not at_least_as_good(value, config.threshold, config.direction):
        log.info("REJECTED: %s %s threshold %s (%s)", shown, bad_op, _fmt(config.threshold), where)
        return EXIT_REJECTED
    reasons = ["%s threshold %s" % (ok_op, _fmt(config.threshold))]

    if config.compare_to_champion and champion is not None:
        champ_run = champion.get("run_id")
        champ_value = None
        if champ_run:
            try:
                champ_value = extract_metric(client.get_run(champ_run), metric)
            except MlflowApiError as exc:
                if exc.error_code != "RESOURCE_DOES_NOT_EXIST" and exc.status != 404:
                    raise
                log.warning("champion run %s not found: %s", champ_run, exc)
        if champ_value is None or math.isnan(champ_value):
            log.warning(
                "champion v%d (run %s) has no usable metric %r; comparing to threshold only",
                champ_v, champ_run, metric,
            )
            reasons.append("champion v%d has no %s" % (champ_v, metric))
        elif not at_least_as_good(value, champ_value, config.direction):
            log.info(
                "REJECTED: %s %s champion %s (v%d) (%s)",
                shown, bad_op, _fmt(champ_value), champ_v, where,
            )
            return EXIT_REJECTED
        else:
            reasons.append("%s champion %s (v%d)" % (ok_op, _fmt(champ_value), champ_v))
    elif champion is not None:
        reasons.append("replacing v%d" % champ_v)

    verdict = "%s %s" % (shown, " and ".join(reasons))
    if dry_run:
        log.info("PROMOTED (dry run, alias not set): %s (%s -> alias '%s')", verdict, where, alias)
        return EXIT_PROMOTED
    client.set_alias(name, alias, cand_v)
    log.info("PROMOTED: %s (%s -> alias '%s')", verdict, where, alias)
    return EXIT_PROMOTED


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def _parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="promotion_gate",
        description="Promote an MLflow model version by alias if it passes a metric gate. "
        "Configured through environment variables; see the module docstring.",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="evaluate the gate but do not set the alias"
    )
    return parser.parse_args(argv)


def main(argv=None, env=None):
    """Run the gate; return EXIT_PROMOTED, EXIT_REJECTED or EXIT_ERROR."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("promotion-gate %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    try:
        try:
            args = _parse_args(argv)
        except SystemExit as exc:
            return EXIT_PROMOTED if exc.code in (0, None) else EXIT_ERROR
        env = os.environ if env is None else env
        try:
            config = load_config(env)
            return run_gate(config, MlflowClient(config), dry_run=args.dry_run)
        except ConfigError as exc:
            log.error("ERROR: invalid configuration: %s", exc)
            return EXIT_ERROR
        except GateError as exc:
            log.error("ERROR: %s", exc)
            return EXIT_ERROR
        except Exception as exc:  # never crash with a traceback-only exit 1
            log.exception("ERROR: unexpected failure: %s", exc)
            return EXIT_ERROR
    finally:
        log.removeHandler(handler)


if __name__ == "__main__":
    sys.exit(main())
