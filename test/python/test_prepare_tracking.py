"""Tests for lib/tracking/scripts/prepare_tracking.py (the tracking server's init
container) against a real, throwaway PostgreSQL from Debian.

MLflow is not installed here, so a fake `mlflow` package (SqlAlchemyStore creates
`alembic_version`, like MLflow does on a fresh database) and a fake `mlflow`
executable (records its argv) stand in for it. The script runs as a subprocess
with the environment the TrackingServer construct gives the init container.

Needs postgresql, python3-sqlalchemy and python3-psycopg2: skipped with the
reason when missing locally, failed when CI=true (.ci/run installs them).
"""

import configparser
import contextlib
import glob
import json
import os
import pathlib
import pwd
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from urllib.parse import quote

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "lib" / "tracking" / "scripts" / "prepare_tracking.py"
PYTHON = "/usr/bin/python3"
IN_CI = os.environ.get("CI") == "true"

# Like the in-cluster `mlflow` user / RDS master user: CREATEDB, owns its database, no superuser.
ROLE, ROLE_PASSWORD = "mlflow", "plain-Secret-1"
# RDS-managed passwords contain URL-special characters; the ESO template percent-escapes them.
SPECIAL_ROLE, SPECIAL_PASSWORD = "rdsadmin", "p%w@rd/x:y?#1"


def unavailable(reason):
    """Skip locally, fail in CI where .ci/run installs everything."""
    message = f"{reason}; install postgresql python3-sqlalchemy python3-psycopg2"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    warnings.warn(f"SKIPPED prepare_tracking tests: {message}")  # shown without -rs
    pytest.skip(message)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- fakes for MLflow --------------------------------------------------------------------

FAKE_STORE = '''
import json, os, time
import sqlalchemy


class SqlAlchemyStore:
    def __init__(self, db_uri, default_artifact_root):
        with open(os.environ["FAKE_MLFLOW_LOG"], "a") as log:
            log.write(json.dumps({"store": [db_uri, default_artifact_root], "pid": os.getpid()}) + "\\n")
        time.sleep(float(os.environ.get("FAKE_MLFLOW_STORE_SLEEP", "0")))
        engine = sqlalchemy.create_engine(db_uri)
        with engine.begin() as conn:
            # Plain CREATE TABLE: a second, unserialised initialisation fails like MLflow's would.
            conn.execute(sqlalchemy.text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
            conn.execute(sqlalchemy.text("INSERT INTO alembic_version VALUES ('fake-head')"))
        engine.dispose()
'''

FAKE_AUTH_STORE = '''
import json, os
import sqlalchemy


class SqlAlchemyStore:
    def init_db(self, db_uri):
        with open(os.environ["FAKE_MLFLOW_LOG"], "a") as log:
            log.write(json.dumps({"auth_store": db_uri, "pid": os.getpid()}) + "\\n")
        if os.environ.get("FAKE_MLFLOW_AUTH_FAIL"):
            raise RuntimeError("migration failed")
        engine = sqlalchemy.create_engine(db_uri)
        with engine.begin() as conn:
            conn.execute(sqlalchemy.text("CREATE TABLE IF NOT EXISTS users (id SERIAL PRIMARY KEY)"))
        engine.dispose()
'''

FAKE_CLI = f'''#!{PYTHON}
import json, os, sys
with open(os.environ["FAKE_MLFLOW_LOG"], "a") as log:
    log.write(json.dumps({{"cli": sys.argv[1:], "pid": os.getpid()}}) + "\\n")
sys.exit(int(os.environ.get("FAKE_MLFLOW_EXIT", "0")))
'''


@pytest.fixture(scope="session")
def fake_mlflow(tmp_path_factory):
    root = tmp_path_factory.mktemp("fake-mlflow")
    pkg = root / "site" / "mlflow" / "store" / "tracking"
    pkg.mkdir(parents=True)
    (root / "site" / "mlflow" / "server" / "auth").mkdir(parents=True)
    for init in ("mlflow", "mlflow/store", "mlflow/store/tracking", "mlflow/server", "mlflow/server/auth"):
        (root / "site" / init / "__init__.py").write_text("")
    (pkg / "sqlalchemy_store.py").write_text(FAKE_STORE)
    (root / "site" / "mlflow" / "server" / "auth" / "sqlalchemy_store.py").write_text(FAKE_AUTH_STORE)
    bin_dir = root / "bin"
    bin_dir.mkdir()
    cli = bin_dir / "mlflow"
    cli.write_text(FAKE_CLI)
    cli.chmod(0o755)
    return {"site": str(root / "site"), "bin": str(bin_dir)}


# --- a throwaway PostgreSQL ----------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres():
    try:
        import psycopg2  # noqa: F401
        import sqlalchemy  # noqa: F401
    except ImportError as err:
        unavailable(f"{PYTHON} lacks {err.name}")
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not bins:
        unavailable("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin")
    pg_bin = pathlib.Path(bins[-1]).parent
    as_pg = []
    if os.geteuid() == 0:  # initdb and postgres refuse to run as root
        try:
            pg_user = pwd.getpwnam("postgres")
        except KeyError:
            unavailable("running as root and there is no postgres system user")
        as_pg = ["runuser", "-u", "postgres", "--"]

    base = tempfile.mkdtemp(prefix="mlops-pg-")  # not under pytest's root-only tmp tree
    data, sockets, log = f"{base}/data", f"{base}/sock", f"{base}/postgres.log"
    os.mkdir(sockets)
    if as_pg:
        for path in (base, sockets):
            os.chown(path, pg_user.pw_uid, pg_user.pw_gid)
    port = free_port()
    pg_ctl = [*as_pg, str(pg_bin / "pg_ctl"), "-D", data]
    started = False
    try:
        subprocess.run(
            [*as_pg, str(pg_bin / "initdb"), "-D", data, "-U", "postgres", "-E", "UTF8", "--no-locale",
             "--auth-local=trust", "--auth-host=scram-sha-256", "--no-sync"],
            check=True, capture_output=True, timeout=60,
        )
        options = f"-c listen_addresses=127.0.0.1 -c port={port} -k {sockets} -c fsync=off"
        subprocess.run([*pg_ctl, "-l", log, "-o", options, "-w", "-t", "30", "start"],
                       check=True, capture_output=True, timeout=40)
        started = True
        deadline = time.monotonic() + 15
        while subprocess.run([str(pg_bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(port), "-t", "2"],
                             capture_output=True).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError("postgres did not become ready within 15 s")
            time.sleep(0.2)
        admin = AdminConnection(sockets, port)
        admin.run(f"CREATE ROLE {ROLE} LOGIN CREATEDB PASSWORD '{ROLE_PASSWORD}'")
        admin.run(f"CREATE ROLE {SPECIAL_ROLE} LOGIN CREATEDB PASSWORD '{SPECIAL_PASSWORD}'")
        yield {"port": port, "admin": admin}
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, RuntimeError) as err:
        output = getattr(err, "stderr", b"") or b""
        server_log = pathlib.Path(log).read_text() if os.path.exists(log) else ""
        pytest.fail(f"cannot start a throwaway postgres: {err}\n{output.decode(errors='replace')}\n{server_log}",
                    pytrace=False)
    finally:
        if started:
            subprocess.run([*pg_ctl, "-m", "immediate", "stop"], capture_output=True, timeout=30)
        shutil.rmtree(base, ignore_errors=True)


class AdminConnection:
    """Superuser access over the Unix socket (trust), for setup and assertions."""

    def __init__(self, sockets, port):
        self.sockets, self.port = sockets, port

    @contextlib.contextmanager
    def connect(self, dbname="postgres"):
        import psycopg2

        conn = psycopg2.connect(host=self.sockets, port=self.port, user="postgres", dbname=dbname)
        conn.autocommit = True
        try:
            yield conn.cursor()
        finally:
            conn.close()

    def run(self, sql, params=None, dbname="postgres"):
        with self.connect(dbname) as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else None


@pytest.fixture
def database(postgres):
    """A fresh database owned by ROLE, plus a unique auth database name. Dropped afterwards."""
    name = "t_" + uuid.uuid4().hex[:10]
    admin = postgres["admin"]
    admin.run(f"CREATE DATABASE {name} OWNER {ROLE}")
    yield name
    admin.run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.run(f"DROP DATABASE IF EXISTS {name}_auth WITH (FORCE)")


def uri_for(postgres, dbname, user=ROLE, password=ROLE_PASSWORD, query=""):
    return (f"postgresql+psycopg2://{quote(user, safe='')}:{quote(password, safe='')}"
            f"@127.0.0.1:{postgres['port']}/{dbname}{query}")


def has_table(postgres, dbname, table):
    return postgres["admin"].run("SELECT to_regclass(%s) IS NOT NULL", (table,), dbname=dbname)[0][0]


def database_exists(postgres, dbname):
    return bool(postgres["admin"].run("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)))


# --- running the script --------------------------------------------------------------------


class Runner:
    def __init__(self, fake_mlflow, tmp_path):
        self.fake, self.tmp = fake_mlflow, tmp_path
        self.log = tmp_path / "mlflow-calls.jsonl"
        self.ini = tmp_path / "auth" / "basic_auth.ini"
        self.ini.parent.mkdir()

    def env(self, uri, auth=False, auth_database="mlflow_auth", admin=("admin", "admin-Pass-1"), **extra):
        # What TrackingServer gives the init container (HOME, the URI, the auth flag, and with auth
        # the database name, ini path, default permission and the admin Secret's keys).
        env = {
            "PATH": f"{self.fake['bin']}:/usr/local/bin:/usr/bin:/bin",
            "PYTHONPATH": self.fake["site"],
            "PYTHONDONTWRITEBYTECODE": "1",
            "HOME": str(self.tmp),
            "FAKE_MLFLOW_LOG": str(self.log),
            "MLOPS_AUTH_ENABLED": "true" if auth else "false",
        }
        if uri is not None:
            env["MLFLOW_BACKEND_STORE_URI"] = uri
        if auth:
            env.update(MLOPS_AUTH_DATABASE=auth_database, MLOPS_AUTH_CONFIG_PATH=str(self.ini),
                       MLOPS_AUTH_DEFAULT_PERMISSION="EDIT")
            if admin:
                env.update(MLFLOW_ADMIN_USERNAME=admin[0], MLFLOW_ADMIN_PASSWORD=admin[1])
        env.update(extra)
        return env

    def start(self, uri, **kwargs):
        return subprocess.Popen([PYTHON, str(SCRIPT)], env=self.env(uri, **kwargs), cwd=self.tmp,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(self, uri, **kwargs):
        proc = self.start(uri, **kwargs)
        out, err = proc.communicate(timeout=30)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)

    def calls(self, kind):
        if not self.log.exists():
            return []
        entries = [json.loads(line) for line in self.log.read_text().splitlines()]
        return [e[kind] for e in entries if kind in e]


@pytest.fixture
def runner(fake_mlflow, tmp_path):
    return Runner(fake_mlflow, tmp_path)


def ok(result):
    assert result.returncode == 0, f"exit {result.returncode}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    return result


def read_ini_as_mlflow_does(path):
    # mlflow.server.auth.config.read_auth_config: ConfigParser() with default interpolation.
    config = configparser.ConfigParser()
    config.read(path)
    return dict(config["mlflow"])


# --- tests ---------------------------------------------------------------------------------


def test_fresh_database_is_initialised_by_the_store_then_upgraded_on_the_next_run(postgres, database, runner):
    uri = uri_for(postgres, database)
    first = ok(runner.run(uri))
    assert has_table(postgres, database, "alembic_version")
    # The Default experiment's artifact location comes from this root: it must be the
    # server's proxied root, not a path inside the init container.
    assert runner.calls("store") == [[uri, "mlflow-artifacts:/"]]
    assert runner.calls("cli") == []
    assert "initialised a fresh tracking database" in first.stdout

    ok(runner.run(uri))
    assert runner.calls("cli") == [["db", "upgrade", uri]]
    assert len(runner.calls("store")) == 1


def test_auth_creates_the_database_once_and_writes_the_ini(postgres, database, runner):
    uri = uri_for(postgres, database)
    assert not database_exists(postgres, "mlflow_auth")
    try:
        first = ok(runner.run(uri, auth=True))
        assert database_exists(postgres, "mlflow_auth")
        assert "created auth database mlflow_auth" in first.stdout
        ini = read_ini_as_mlflow_does(runner.ini)
        assert ini == {
            "default_permission": "EDIT",
            "database_uri": uri_for(postgres, "mlflow_auth"),
            "admin_username": "admin",
            "admin_password": "admin-Pass-1",
            "authorization_function": "mlflow.server.auth:authenticate_request_basic_auth",
        }
        assert stat.S_IMODE(runner.ini.stat().st_mode) == 0o600
        # Owned by the connecting role, so MLflow's auth app can create its tables there.
        owner = postgres["admin"].run(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'mlflow_auth'")[0][0]
        assert owner == ROLE

        second = ok(runner.run(uri, auth=True))  # must not fail on "already exists"
        assert "created auth database" not in second.stdout
        assert runner.calls("cli") == [["db", "upgrade", uri]]
        # the auth schema is migrated by the init step (each run), not raced by the server's workers
        assert runner.calls("auth_store") == [uri_for(postgres, "mlflow_auth")] * 2
    finally:
        postgres["admin"].run("DROP DATABASE IF EXISTS mlflow_auth WITH (FORCE)")


def test_failing_auth_migration_exits_3(postgres, database, runner):
    uri = uri_for(postgres, database)
    try:
        result = runner.run(uri, auth=True, FAKE_MLFLOW_AUTH_FAIL="1")
        assert result.returncode == 3, result.stderr
        assert "auth database migration failed" in result.stderr and "Traceback" not in result.stderr
        assert runner.calls("store") == []  # stops before touching the tracking schema
    finally:
        postgres["admin"].run("DROP DATABASE IF EXISTS mlflow_auth WITH (FORCE)")


def test_special_characters_in_the_password_work_and_survive_the_ini(postgres, database, runner):
    postgres["admin"].run(f"ALTER DATABASE {database} OWNER TO {SPECIAL_ROLE}")
    uri = uri_for(postgres, database, SPECIAL_ROLE, SPECIAL_PASSWORD, "?sslmode=disable")
    assert "%25" in uri and "%40" in uri and "%2F" in uri
    admin = ("admin", "adm%in@/pw")
    ok(runner.run(uri, auth=True, auth_database=f"{database}_auth", admin=admin))
    assert has_table(postgres, database, "alembic_version")
    assert runner.calls("store") == [[uri, "mlflow-artifacts:/"]]

    ini = read_ini_as_mlflow_does(runner.ini)
    auth_uri = uri_for(postgres, f"{database}_auth", SPECIAL_ROLE, SPECIAL_PASSWORD, "?sslmode=disable")
    assert ini["database_uri"] == auth_uri
    assert ini["admin_password"] == admin[1]
    # The auth URI really logs in with the same credentials.
    import sqlalchemy

    engine = sqlalchemy.create_engine(auth_uri)
    try:
        with engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("SELECT current_database(), current_user")).one() == (
                f"{database}_auth", SPECIAL_ROLE)
    finally:
        engine.dispose()

    ok(runner.run(uri, auth=True, auth_database=f"{database}_auth", admin=admin))
    assert runner.calls("cli") == [["db", "upgrade", uri]]


def test_query_string_is_kept_in_the_auth_database_uri_and_a_stale_ini_is_replaced(postgres, database, runner):
    uri = uri_for(postgres, database, query="?sslmode=disable&application_name=prep")
    # A file left by an earlier attempt of the init container (the emptyDir survives restarts).
    runner.ini.write_text("stale")
    runner.ini.chmod(0o644)
    ok(runner.run(uri, auth=True, auth_database=f"{database}_auth"))
    assert stat.S_IMODE(runner.ini.stat().st_mode) == 0o600
    assert read_ini_as_mlflow_does(runner.ini)["database_uri"] == uri_for(
        postgres, f"{database}_auth", query="?sslmode=disable&application_name=prep")


def test_concurrent_runs_on_a_fresh_database_initialise_it_exactly_once(postgres, database, runner):
    uri = uri_for(postgres, database)
    procs = [runner.start(uri, auth=True, auth_database=f"{database}_auth", FAKE_MLFLOW_STORE_SLEEP="1")
             for _ in range(2)]
    results = [p.communicate(timeout=30) for p in procs]
    assert len(runner.calls("store")) == 1, f"store initialised {len(runner.calls('store'))} times: {results}"
    for proc, (out, err) in zip(procs, results):
        assert proc.returncode == 0, f"exit {proc.returncode}\nstdout: {out}\nstderr: {err}"
    assert runner.calls("cli") == [["db", "upgrade", uri]]
    assert sum("created auth database" in out for out, _ in results) == 1


def test_failing_db_upgrade_exits_3(postgres, database, runner):
    uri = uri_for(postgres, database)
    ok(runner.run(uri))
    result = runner.run(uri, FAKE_MLFLOW_EXIT="7")
    assert result.returncode == 3
    assert "mlflow db upgrade failed with exit code 7" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("case", ["wrong password", "unreachable server"])
def test_database_errors_exit_3_with_a_message_and_no_traceback(postgres, database, runner, case):
    if case == "wrong password":
        uri = uri_for(postgres, database, password="not-the-Password")
        expected = "password authentication failed"
    else:
        uri = uri_for(postgres, database).replace(f":{postgres['port']}/", f":{free_port()}/")
        expected = "Connection refused"
    result = runner.run(uri, auth=True, auth_database=f"{database}_auth")
    assert result.returncode == 3, result.stderr
    assert "database error: OperationalError" in result.stderr
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert "not-the-Password" not in result.stderr
    assert not runner.ini.exists()
    assert runner.calls("store") == [] and runner.calls("cli") == []


def test_auth_without_admin_credentials_exits_2_before_touching_the_database(runner):
    # An unreachable URI: the configuration error must win over the connection error.
    uri = f"postgresql+psycopg2://{ROLE}:x@127.0.0.1:{free_port()}/mlflow"
    for admin in (None, ("admin", ""), ("", "pw")):
        result = runner.run(uri, auth=True, admin=admin)
        assert result.returncode == 2, result.stderr
        assert "MLFLOW_ADMIN_USERNAME and MLFLOW_ADMIN_PASSWORD are required" in result.stderr
    assert not runner.ini.exists()


def test_missing_backend_store_uri_exits_2(runner):
    for uri in (None, ""):
        result = runner.run(uri)
        assert result.returncode == 2
        assert "MLFLOW_BACKEND_STORE_URI is not set" in result.stderr


def test_unparseable_uri_exits_2_without_echoing_the_password(postgres, runner):
    result = runner.run("postgresql+psycopg2//mlflow:Hunter2-Secret@db:5432/mlflow")
    assert result.returncode == 2, result.stderr
    assert "MLFLOW_BACKEND_STORE_URI is not usable" in result.stderr
    assert "Hunter2-Secret" not in result.stderr
    assert "Traceback" not in result.stderr


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider"]))
