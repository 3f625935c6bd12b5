"""Tests for lib/tracking/scripts/serve_tracking.py (the tracking server container's entry point).

The restart on rotated credentials with real MLflow and PostgreSQL is tested in
test/tracking/tracking-credential-rotation.test.ts; here the wrapper's own rules, with a small
python child in MLflow's place (what it does with its child does not depend on the child):
the auth config keeps everything but the credentials, configuration errors exit 2, a changed URI
file stops the child and exits 0, a signal is forwarded, the child's own exit code is kept.
"""

import configparser
import os
import pathlib
import signal
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "lib" / "tracking" / "scripts"
sys.path.insert(0, str(SCRIPTS))

import serve_tracking  # noqa: E402
from prepare_tracking import write_auth_config  # noqa: E402

OLD = "postgresql+psycopg2://mlflow:old%25pw@db:5432/mlflow?sslmode=require"
NEW = "postgresql+psycopg2://mlflow:new%25%3Apw@db:5432/mlflow?sslmode=require"
# The child records the URI it was given, then waits for a signal and exits 0 on SIGTERM.
CHILD = (
    "import os, pathlib, signal, sys, time\n"
    "pathlib.Path(sys.argv[1]).write_text(os.environ['MLFLOW_BACKEND_STORE_URI'])\n"
    "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))\n"
    "time.sleep(120)\n"
)


def test_refresh_auth_config_changes_only_the_credentials(tmp_path):
    path = tmp_path / "basic_auth.ini"
    write_auth_config(str(path), OLD.replace("/mlflow?", "/mlflow_auth?"), "admin", "a%dmin", "READ")
    serve_tracking.refresh_auth_config(str(path), NEW)
    config = configparser.ConfigParser()  # as MLflow reads it: %-interpolation on
    config.read(path)
    assert config["mlflow"]["database_uri"] == NEW.replace("/mlflow?", "/mlflow_auth?")
    assert config["mlflow"]["admin_password"] == "a%dmin"
    assert config["mlflow"]["default_permission"] == "READ"
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_refresh_auth_config_without_a_config_does_nothing(tmp_path):
    serve_tracking.refresh_auth_config(str(tmp_path / "missing.ini"), NEW)
    assert not (tmp_path / "missing.ini").exists()


def run(tmp_path, uri_file, *extra, env=None):
    return subprocess.Popen(
        [sys.executable, str(SCRIPTS / "serve_tracking.py"), sys.executable, "-c", CHILD, str(tmp_path / "seen"), *extra],
        env={"PATH": os.environ.get("PATH", ""), "MLOPS_BACKEND_STORE_URI_FILE": str(uri_file), "MLOPS_RELOAD_POLL_SECONDS": "0.2", **(env or {})},
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(path, seconds=20):
    deadline = time.monotonic() + seconds
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.exists()


def test_configuration_errors_exit_2(tmp_path):
    assert run(tmp_path, tmp_path / "absent").wait(20) == 2
    (tmp_path / "empty").write_text("\n")
    assert run(tmp_path, tmp_path / "empty").wait(20) == 2


def test_a_changed_uri_stops_the_server_and_exits_0_without_printing_it(tmp_path):
    uri_file = tmp_path / "uri"
    uri_file.write_text(OLD)
    proc = run(tmp_path, uri_file, env={"MLOPS_RELOAD_JITTER_SECONDS": "0.5"})
    wait_for(tmp_path / "seen")
    assert (tmp_path / "seen").read_text() == OLD
    time.sleep(0.5)
    assert proc.poll() is None  # the same URI: keeps running
    (tmp_path / "uri.new").write_text(NEW + "\n")
    os.replace(tmp_path / "uri.new", uri_file)
    assert proc.wait(20) == 0
    err = proc.stderr.read()
    assert "the database credentials changed" in err
    assert "new%25" not in err and "old%25" not in err


def test_signals_are_forwarded_and_the_child_exit_code_kept(tmp_path):
    uri_file = tmp_path / "uri"
    uri_file.write_text(OLD)
    proc = run(tmp_path, uri_file)
    wait_for(tmp_path / "seen")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(20) == 0

    failing = subprocess.run(
        [sys.executable, str(SCRIPTS / "serve_tracking.py"), sys.executable, "-c", "raise SystemExit(7)"],
        env={"MLOPS_BACKEND_STORE_URI_FILE": str(uri_file)},
        timeout=20,
    )
    assert failing.returncode == 7
