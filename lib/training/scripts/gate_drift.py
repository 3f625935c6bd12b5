"""Is drift detected for the model? The drift check's last verdict, read from the Pushgateway.

The drift check (lib/drift/scripts/drift_check.py) pushes ``mlops_drift_detected{model, namespace}``
(1 drift, 0 none) to the Pushgateway after every judged run, and replaces the group without it when a
run could not judge (an error, insufficient data). The gate reads the gateway's ``/metrics`` text: it
needs no access to the artifact store where the reports are, and it sees exactly what the drift alert
sees. No series for (model, namespace): no verdict yet, which does not block. The gateway unreachable:
an error, so the gate fails closed rather than promote unchecked.
"""

import logging
import re
import urllib.error
import urllib.request

from gate_errors import GateError

log = logging.getLogger("promotion_gate")

METRIC = "mlops_drift_detected"
_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)(?:\s+\S+)?$")
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')


def _unescape(value):
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def _labels(text):
    labels, pos = {}, 0
    while pos < len(text):
        m = _LABEL.match(text, pos)
        if not m:
            raise GateError("drift metrics: cannot parse labels {%s}" % text)
        labels[m.group(1)] = _unescape(m.group(2))
        pos = m.end()
    return labels


def drift_detected(text, model, namespace):
    """Values of mlops_drift_detected{model=model, namespace=namespace} in a Prometheus text exposition."""
    values = []
    for line in text.splitlines():
        if not line.startswith(METRIC):
            continue
        m = _SAMPLE.match(line.strip())
        if not m or m.group("name") != METRIC:
            continue
        labels = _labels(m.group("labels") or "")
        if labels.get("model") == model and labels.get("namespace") == namespace:
            values.append(float(m.group("value")))
    return values


def fetch_metrics(base_url, timeout):
    url = base_url + "/metrics"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "text/plain"}), timeout=timeout) as resp:
            return resp.read().decode("utf-8", "replace")
    except (urllib.error.URLError, OSError) as exc:
        raise GateError("drift metrics at %s could not be read (%s); promotion is blocked until they can"
                        % (url, getattr(exc, "reason", None) or exc))


def drift_blocks(block, timeout):
    """A rejection message when drift is detected for the model, else None (logging why not)."""
    values = drift_detected(fetch_metrics(block.metrics_url, timeout), block.model, block.namespace)
    where = "model %s in namespace %s" % (block.model, block.namespace)
    if any(v == 1 for v in values):
        return "drift is detected for %s (%s = 1)" % (where, METRIC)
    if not values:
        log.info("drift: no drift verdict for %s at %s (no check has judged it yet); not blocking", where, block.metrics_url)
    else:
        log.info("drift: no drift detected for %s", where)
    return None
