"""Retraining trigger: a Job from the training CronJob through the Kubernetes API (stdlib only).

As `kubectl create job --from=cronjob/X`, with the pod's service-account token.
"""

from __future__ import annotations

import json
import os
import secrets
import ssl
import time
import urllib.error
import urllib.request

from drift_errors import EXIT_RETRAIN, DriftError

DEFAULT_SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount"
HTTP_TIMEOUT = 10.0
# POSTs of a Job; a 409 Conflict (the name exists) is retried with a new random suffix.
CREATE_ATTEMPTS = 3
NAME_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def _k8s_request(method, url, token, ctx, body=None):
    data = json.dumps(body).encode("utf-8") if body is not None else None
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT, context=ctx) as resp:
            return json.loads(resp.read().decode("utf-8") or "{}")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:500]
        err = DriftError(EXIT_RETRAIN, f"Kubernetes API {method} {url} failed: HTTP {exc.code} {detail}")
        err.status = exc.code
        raise err
    except Exception as exc:
        raise DriftError(EXIT_RETRAIN, f"Kubernetes API {method} {url} failed: {exc}")


def job_name(cronjob, ts) -> str:
    """<cronjob>-drift-<unix seconds>-<5 random [a-z0-9]>, at most 63 characters: two triggers in the same
    second (a manual run beside the scheduled one) get different names (36^5 = 60 million)."""
    rand = "".join(secrets.choice(NAME_ALPHABET) for _ in range(5))
    suffix = f"-drift-{int(ts)}-{rand}"
    return cronjob[: 63 - len(suffix)].rstrip("-.") + suffix


def build_job(cronjob_obj, name, report_uri=None) -> dict:
    """Job body as `kubectl create job NAME --from=cronjob/X` builds it, plus the drift label."""
    meta = cronjob_obj.get("metadata", {})
    template = cronjob_obj.get("spec", {}).get("jobTemplate", {})
    tmeta = template.get("metadata", {}) or {}
    annotations = {"cronjob.kubernetes.io/instantiate": "manual"}
    annotations.update(tmeta.get("annotations") or {})
    if report_uri:
        annotations["mlops.cdktf.io/drift-report"] = report_uri
    labels = dict(tmeta.get("labels") or {})
    labels["mlops.cdktf.io/triggered-by"] = "drift"
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": name,
            "namespace": meta.get("namespace"),
            "labels": labels,
            "annotations": annotations,
            # As kubectl: controller true, no blockOwnerDeletion (that would need the cronjobs/finalizers permission).
            "ownerReferences": [{
                "apiVersion": "batch/v1",
                "kind": "CronJob",
                "name": meta.get("name"),
                "uid": meta.get("uid"),
                "controller": True,
            }],
        },
        "spec": template.get("spec", {}),
    }


def trigger_retrain(retrain, report_uri=None, now=None) -> str:
    """Create a Job from the configured CronJob; return the Job name. Raises DriftError(EXIT_RETRAIN)."""
    sa_dir = os.environ.get("DRIFT_SA_DIR", DEFAULT_SA_DIR)

    def sa_file(name):
        try:
            with open(os.path.join(sa_dir, name), "r", encoding="utf-8") as fh:
                return fh.read().strip()
        except OSError:
            return None

    base = os.environ.get("DRIFT_K8S_API")
    if not base:
        host, port = os.environ.get("KUBERNETES_SERVICE_HOST"), os.environ.get("KUBERNETES_SERVICE_PORT", "443")
        if not host:
            raise DriftError(EXIT_RETRAIN, "retrain: not in a Kubernetes pod (KUBERNETES_SERVICE_HOST unset) and DRIFT_K8S_API not set")
        base = f"https://{host}:{port}" if ":" not in host else f"https://[{host}]:{port}"
    token = sa_file("token")
    if not token:
        raise DriftError(EXIT_RETRAIN, f"retrain: no service-account token in {sa_dir}/token")
    ns = retrain.get("namespace") or sa_file("namespace")
    if not ns:
        raise DriftError(EXIT_RETRAIN, f"retrain: no namespace configured and none in {sa_dir}/namespace")
    ctx = None
    if base.startswith("https://"):
        ca = os.path.join(sa_dir, "ca.crt")
        ctx = ssl.create_default_context(cafile=ca if os.path.isfile(ca) else None)
    cj = retrain["cronJob"]
    base = base.rstrip("/")
    cron = _k8s_request("GET", f"{base}/apis/batch/v1/namespaces/{ns}/cronjobs/{cj}", token, ctx)
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        name = job_name(cj, now if now is not None else time.time())
        body = build_job(cron, name, report_uri)
        body["metadata"]["namespace"] = ns
        try:
            created = _k8s_request("POST", f"{base}/apis/batch/v1/namespaces/{ns}/jobs", token, ctx, body)
        except DriftError as err:
            if getattr(err, "status", None) == 409 and attempt < CREATE_ATTEMPTS:
                continue  # the name is taken: the next attempt draws another
            raise
        return created.get("metadata", {}).get("name", name)
    raise AssertionError("unreachable")  # pragma: no cover
