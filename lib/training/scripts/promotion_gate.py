#!/usr/bin/env python3
"""Model promotion gate for the cdktf-mlops training Job.

Runs as the last step of a training Job, after training logged an MLflow run
and registered a model version. It decides whether the new ("candidate")
model version is good enough and, if so, points a registered-model alias
(``champion`` by default) at it through the MLflow REST API (2.0 paths, which
MLflow 3.x still serves).

Standard library only, so it runs in any Python 3.9+ image. Mounted with its modules, flat files
beside it (python puts this file's directory on sys.path): ``gate_errors`` (exit codes, errors),
``gate_config`` (the environment below), ``gate_client`` (MLflow REST client), ``gate_checks`` (the
candidate, its checks, the promotion), ``gate_drift`` (the drift check's verdict); this file is the
command line.

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
``GATE_METRIC``                Run metric key to judge the candidate by (required
                               unless ``GATE_CONDITIONS`` is set).
``GATE_DIRECTION``             With GATE_METRIC: ``higher_is_better`` (pass when
                               value >= threshold) or ``lower_is_better`` (pass
                               when value <= threshold).
``GATE_THRESHOLD``             With GATE_METRIC: float threshold.
``GATE_CONDITIONS``            Optional JSON list of more conditions, each
                               ``{"metric", "direction", "threshold"}``, e.g.
                               ``[{"metric": "fairness_disparity", "direction":
                               "lower_is_better", "threshold": 0.1}]``. Every
                               condition must hold (GATE_METRIC's first; it is the
                               one compared with the champion).
``GATE_BLOCK_ON_DRIFT``        ``true``: reject while the drift check's last verdict
                               for the model is drift (``mlops_drift_detected`` =
                               1 on the Pushgateway; see gate_drift). Needs
``GATE_DRIFT_METRICS_URL``     the Pushgateway's base URL,
``GATE_DRIFT_NAMESPACE``       the model's namespace label, and optionally
``GATE_DRIFT_MODEL``           its model label (default GATE_MODEL_NAME).
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
``1`` (EXIT_REJECTED)  rejected: the version is not ``READY`` (FAILED_REGISTRATION,
                       PENDING_REGISTRATION), a metric is NaN or infinite, a
                       condition fails, it is worse than the champion, or drift
                       is detected for the model.
``2`` (EXIT_ERROR)     error: bad or missing configuration, MLflow (or, with
                       GATE_BLOCK_ON_DRIFT, the Pushgateway) unreachable or
                       erroring, no model version found, or the candidate's run
                       lacks a metric.

One line per decision is logged to stderr, e.g.
``REJECTED: accuracy=0.85 < threshold 0.9 (model churn v7)``.
"""

import argparse
import logging
import os
import sys

from gate_checks import run_gate
from gate_client import MlflowClient
from gate_config import load_config
from gate_errors import EXIT_ERROR, EXIT_PROMOTED, EXIT_REJECTED, ConfigError, GateError  # noqa: F401 (EXIT_REJECTED: part of the CLI's API)

LOGGER_NAME = "promotion_gate"
log = logging.getLogger(LOGGER_NAME)


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
