"""A tiny MLflow REST client (2.0 paths, which MLflow 3.x still serves): the calls the gate needs."""

import base64
import http.client
import json
import logging
import socket
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request

from gate_errors import ConfigError, MlflowApiError

# Page size for model-versions/search; all pages are read.
SEARCH_PAGE_SIZE = 1000
# Safety bound against a server that keeps returning a page token.
MAX_SEARCH_PAGES = 1000

RETRYABLE_STATUS = frozenset([429, 500, 502, 503, 504])

log = logging.getLogger("promotion_gate")


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
