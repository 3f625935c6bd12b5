"""Prepares the MLflow tracking database before the server starts.

Runs as the init container of the tracking server, in the MLflow image (which
has SQLAlchemy and psycopg2). Steps, all under one Postgres advisory lock so
that replicas starting together do not race:

1. When built-in auth is on, create the auth database if it is missing and
   write the auth config file (admin credentials come from a Secret via env).
   Its schema is migrated here too, so the server's workers do not race to do it.
2. Bring the tracking schema up to date: a fresh database is initialised by
   MLflow's own store; an existing one is migrated with `mlflow db upgrade`.

Environment:
  MLFLOW_BACKEND_STORE_URI   SQLAlchemy URI of the tracking database (required)
  MLOPS_AUTH_ENABLED         "true" to prepare basic auth
  MLOPS_AUTH_DATABASE        name of the auth database (default mlflow_auth)
  MLOPS_AUTH_CONFIG_PATH     where to write basic_auth.ini
  MLOPS_AUTH_DEFAULT_PERMISSION  READ | EDIT | MANAGE | NO_PERMISSIONS
  MLFLOW_ADMIN_USERNAME / MLFLOW_ADMIN_PASSWORD

Exit codes: 0 ready, 2 configuration error, 3 database error.
"""
import configparser
import os
import subprocess
import sys
from urllib.parse import unquote, urlsplit, urlunsplit

LOCK_ID = 7_270_007  # arbitrary, constant across releases
# What `mlflow server --serve-artifacts` uses when no --default-artifact-root is
# given. MLflow stores it (plus "/0") as the location of the Default experiment
# it creates on a fresh database, so it must be the server's root, not a local path.
DEFAULT_ARTIFACT_ROOT = "mlflow-artifacts:/"


def auth_database_uri(uri: str, database: str) -> str:
    """The same server and credentials as `uri`, with another database name."""
    parts = urlsplit(uri)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def redact(message: str, uri: str) -> str:
    """`message` without the URI or its password (driver errors may quote them)."""
    message = message.replace(uri, "<MLFLOW_BACKEND_STORE_URI>")
    try:
        secret = urlsplit(uri).password
    except ValueError:
        secret = None
    for value in {secret, unquote(secret or "")} - {None, ""}:
        message = message.replace(value, "<password>")
    return message


def write_auth_config(path: str, database_uri: str, username: str, password: str, default_permission: str) -> None:
    values = {
        "default_permission": default_permission,
        "database_uri": database_uri,
        "admin_username": username,
        "admin_password": password,
        "authorization_function": "mlflow.server.auth:authenticate_request_basic_auth",
    }
    # MLflow reads this file with ConfigParser's default (%-)interpolation, and
    # percent-escaped passwords put "%" into database_uri: double every "%".
    config = configparser.ConfigParser(interpolation=None)
    config["mlflow"] = {key: value.replace("%", "%%") for key, value in values.items()}
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to an existing file
    with os.fdopen(fd, "w") as handle:
        config.write(handle)


def main() -> int:
    uri = os.environ.get("MLFLOW_BACKEND_STORE_URI", "")
    if not uri:
        print("MLFLOW_BACKEND_STORE_URI is not set", file=sys.stderr)
        return 2
    auth = os.environ.get("MLOPS_AUTH_ENABLED", "false") == "true"
    username = os.environ.get("MLFLOW_ADMIN_USERNAME", "")
    password = os.environ.get("MLFLOW_ADMIN_PASSWORD", "")
    # Configuration errors first, before touching the database.
    if auth and (not username or not password):
        print("MLFLOW_ADMIN_USERNAME and MLFLOW_ADMIN_PASSWORD are required with auth", file=sys.stderr)
        return 2

    import sqlalchemy  # in the MLflow image

    try:
        # A database that drops packets must fail the init container in seconds, not hang it.
        connect_args = {"connect_timeout": 15} if uri.startswith("postgresql") else {}
        engine = sqlalchemy.create_engine(uri, isolation_level="AUTOCOMMIT", connect_args=connect_args)
    except (sqlalchemy.exc.ArgumentError, ImportError) as err:
        print(f"MLFLOW_BACKEND_STORE_URI is not usable: {err.__class__.__name__}: {redact(str(err), uri)}", file=sys.stderr)
        return 2
    try:
        with engine.connect() as conn:
            is_postgres = engine.dialect.name == "postgresql"
            if is_postgres:
                conn.execute(sqlalchemy.text("SELECT pg_advisory_lock(:id)"), {"id": LOCK_ID})
            if auth:
                database = os.environ.get("MLOPS_AUTH_DATABASE", "mlflow_auth")
                exists = conn.execute(
                    sqlalchemy.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": database}
                ).first() if is_postgres else True
                if not exists:
                    conn.execute(sqlalchemy.text('CREATE DATABASE "%s"' % database.replace('"', '')))
                    print(f"created auth database {database}")
                config_path = os.environ.get("MLOPS_AUTH_CONFIG_PATH", "/etc/mlflow-auth/basic_auth.ini")
                try:
                    write_auth_config(
                        config_path,
                        auth_database_uri(uri, database),
                        username,
                        password,
                        os.environ.get("MLOPS_AUTH_DEFAULT_PERMISSION", "READ"),
                    )
                except OSError as err:
                    print(f"cannot write the auth config {config_path}: {err.strerror}", file=sys.stderr)
                    return 2
                # The auth app migrates its database when each server worker starts; doing it once here,
                # under the lock, keeps workers and replicas from racing on a fresh database.
                from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore as AuthStore

                try:
                    AuthStore().init_db(auth_database_uri(uri, database))
                except Exception as err:  # MlflowException or a driver error, both without our password
                    print(f"auth database migration failed: {err.__class__.__name__}: {redact(str(err), uri)}", file=sys.stderr)
                    return 3
                print("auth database schema is up to date")
            fresh = not sqlalchemy.inspect(conn).has_table("alembic_version")
            if fresh:
                # MLflow creates and stamps the schema of an empty database itself.
                from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

                SqlAlchemyStore(uri, DEFAULT_ARTIFACT_ROOT)
                print("initialised a fresh tracking database")
            else:
                try:
                    subprocess.run(["mlflow", "db", "upgrade", uri], check=True)
                except OSError as err:  # no mlflow executable on PATH
                    print(f"cannot run mlflow db upgrade: {err.strerror}", file=sys.stderr)
                    return 3
                print("tracking database schema is up to date")
    except subprocess.CalledProcessError as err:
        print(f"mlflow db upgrade failed with exit code {err.returncode}", file=sys.stderr)
        return 3
    except sqlalchemy.exc.SQLAlchemyError as err:
        print(f"database error: {err.__class__.__name__}: {redact(str(err), uri)}", file=sys.stderr)
        return 3
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
