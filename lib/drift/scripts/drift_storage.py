"""Storage for the drift check: local paths (the artifact volume) and s3://bucket/key via boto3."""

from __future__ import annotations

import os
import shutil
import tempfile

from drift_errors import EXIT_CONFIG, EXIT_MISSING_FILE, EXIT_UNREADABLE, DriftError

_s3_client = None


def set_s3_client(client) -> None:
    """Inject an S3 client (tests); None resets to the lazily created boto3 client."""
    global _s3_client
    _s3_client = client


def get_s3_client():
    global _s3_client
    if _s3_client is None:
        import boto3  # lazy: only needed for s3:// URIs

        endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("MLFLOW_S3_ENDPOINT_URL") or None
        _s3_client = boto3.client("s3", endpoint_url=endpoint)
    return _s3_client


def is_s3(uri: str) -> bool:
    return uri.startswith("s3://")


def split_s3(uri: str):
    rest = uri[len("s3://"):]
    bucket, _, key = rest.partition("/")
    if not bucket or not key:
        raise DriftError(EXIT_CONFIG, f"invalid S3 URI (need s3://bucket/key): {uri}")
    return bucket, key


def local_path(uri: str) -> str:
    return uri[len("file://"):] if uri.startswith("file://") else uri


def s3_not_found(exc) -> bool:
    code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
    return code in ("NoSuchKey", "404", "NotFound", "NoSuchBucket")


def uri_dirname(uri: str) -> str:
    if is_s3(uri):
        return uri.rsplit("/", 1)[0]
    return os.path.dirname(os.path.abspath(local_path(uri)))


def uri_join(base: str, name: str) -> str:
    return base.rstrip("/") + "/" + name if is_s3(base) else os.path.join(local_path(base), name)


class _Fetched:
    """A local file for a URI: the path itself, or a temp copy of an S3 object (removed on close)."""

    def __init__(self, path: str, temp: bool):
        self.path, self.temp = path, temp

    def close(self):
        if self.temp:
            try:
                os.unlink(self.path)
            except OSError:
                pass


def fetch(uri: str, what: str) -> _Fetched:
    """Make a data file available locally. Missing -> EXIT_MISSING_FILE."""
    if is_s3(uri):
        bucket, key = split_s3(uri)
        try:
            obj = get_s3_client().get_object(Bucket=bucket, Key=key)
        except Exception as exc:
            if s3_not_found(exc):
                raise DriftError(EXIT_MISSING_FILE, f"{what} data file not found: {uri}")
            raise DriftError(EXIT_UNREADABLE, f"{what} data file {uri} could not be read: {exc}")
        base = os.path.basename(key)
        suffix = base[base.index("."):] if "." in base else ""
        fd, tmp = tempfile.mkstemp(prefix="drift-", suffix=suffix)
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(obj["Body"], out, 1 << 20)  # streamed: no whole-object copy in memory
        return _Fetched(tmp, True)
    path = local_path(uri)
    if not os.path.isfile(path):
        raise DriftError(EXIT_MISSING_FILE, f"{what} data file not found: {path}")
    return _Fetched(path, False)


def read_text(uri: str):
    """Text of a small file (state), or None when it does not exist."""
    if is_s3(uri):
        bucket, key = split_s3(uri)
        try:
            return get_s3_client().get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
        except Exception as exc:
            if s3_not_found(exc):
                return None
            raise
    try:
        with open(local_path(uri), "r", encoding="utf-8") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def write_text(uri: str, text: str, content_type: str = "application/json") -> None:
    if is_s3(uri):
        bucket, key = split_s3(uri)
        get_s3_client().put_object(Bucket=bucket, Key=key, Body=text.encode("utf-8"), ContentType=content_type)
        return
    path = local_path(uri)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)  # atomic: readers never see a half-written report
