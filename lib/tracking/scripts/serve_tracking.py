"""Runs the MLflow tracking server with the database URI from a mounted Secret, and restarts it when that changes.

The server container's entry point (`python serve_tracking.py mlflow server ...`). MLflow reads its
backend URI once, at start, so a rotated database password (RDS-managed rotation synced into the
Secret by External Secrets) would reach it only with a restart. kubelet refreshes a Secret mounted as
a volume (never an environment variable), so this wrapper:

1. reads the URI from the mounted file and gives it to the server as MLFLOW_BACKEND_STORE_URI, and,
   with built-in auth, rewrites the auth config's database_uri (the init container wrote it with the
   credentials of the pod's start; init containers do not run again when a container restarts);
2. runs the server as a child, forwarding SIGTERM/SIGINT to it;
3. polls the file; when the URI changes it waits a random jitter (so replicas do not restart at
   once), stops the server gracefully and exits 0: kubelet restarts the container (not the pod: no
   rescheduling, the volumes stay) and step 1 reads the new credentials.

Environment:
  MLOPS_BACKEND_STORE_URI_FILE   the mounted Secret key holding the SQLAlchemy URI (required)
  MLOPS_RELOAD_POLL_SECONDS      how often to read it (default 10)
  MLOPS_RELOAD_JITTER_SECONDS    most seconds to wait before restarting on a change (default 0)
  MLFLOW_AUTH_CONFIG_PATH        the auth config to update, when built-in auth is on

Exit codes: 0 stopped (by a signal or for new credentials), 2 configuration error, else the server's.
"""
import configparser
import os
import random
import signal
import subprocess
import sys
import time

from prepare_tracking import auth_database_uri, write_auth_config

STOP_GRACE_SECONDS = 20  # within the pod's termination grace period (30 s by default)


def read_uri(path: str) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read().strip()


def refresh_auth_config(path: str, uri: str) -> None:
    """Points the auth config's database_uri at `uri`'s server and credentials, keeping its database and the rest."""
    config = configparser.ConfigParser(interpolation=None)
    if not config.read(path):
        return  # no config (yet): nothing to refresh
    section = {key: value.replace("%%", "%") for key, value in config["mlflow"].items()}
    database = section["database_uri"].split("?", 1)[0].rsplit("/", 1)[-1]
    write_auth_config(
        path,
        auth_database_uri(uri, database),
        section["admin_username"],
        section["admin_password"],
        section["default_permission"],
    )


def stop(child: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    if child.poll() is None:
        child.send_signal(sig)
    try:
        return child.wait(STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        return child.wait()


def main(argv: list) -> int:
    path = os.environ.get("MLOPS_BACKEND_STORE_URI_FILE", "")
    if not argv or not path:
        print("usage: MLOPS_BACKEND_STORE_URI_FILE=<file> serve_tracking.py <server command...>", file=sys.stderr)
        return 2
    try:
        uri = read_uri(path)
    except OSError as err:
        print(f"cannot read the database URI file {path}: {err.strerror}", file=sys.stderr)
        return 2
    if not uri:
        print(f"the database URI file {path} is empty", file=sys.stderr)
        return 2
    poll = float(os.environ.get("MLOPS_RELOAD_POLL_SECONDS", "10"))
    jitter = float(os.environ.get("MLOPS_RELOAD_JITTER_SECONDS", "0"))
    auth_config = os.environ.get("MLFLOW_AUTH_CONFIG_PATH", "")
    if auth_config:
        refresh_auth_config(auth_config, uri)

    child = subprocess.Popen(argv, env={**os.environ, "MLFLOW_BACKEND_STORE_URI": uri})
    stopping = []

    def forward(signum, _frame):
        stopping.append(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)

    restart_at = None
    next_read = time.monotonic() + poll
    while True:
        if stopping:
            stop(child, stopping[0])
            return 0
        code = child.poll()
        if code is not None:
            return code
        now = time.monotonic()
        if restart_at is None and now >= next_read:
            next_read = now + poll
            try:
                current = read_uri(path)
            except OSError:
                current = uri  # mid-update or briefly missing: look again at the next poll
            if current and current != uri:
                delay = random.uniform(0, jitter)
                # Never the URI itself: it holds the password.
                print(f"the database credentials changed; restarting the server in {delay:.0f} s", file=sys.stderr, flush=True)
                restart_at = now + delay
        if restart_at is not None and now >= restart_at:
            stop(child)
            print("server stopped for new database credentials; the container restarts with them", file=sys.stderr, flush=True)
            return 0
        time.sleep(0.5)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
