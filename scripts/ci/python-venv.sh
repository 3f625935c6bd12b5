#!/usr/bin/env bash
# Builds the Python virtual environment of the tests that run real MLflow (or, by name, another
# pinned requirements file: `dvc-tests` for real DVC), from requirements/<name>.txt, under
# ~/.cache/cdktf-mlops/venv-<hash>, and prints the path of its python. The hash covers the requirements file and the interpreter's version, so a changed
# pin or a new python builds a new venv; a warm one is reused as is (seconds).
#
#   scripts/ci/python-venv.sh [name]               build if needed, print <venv>/bin/python
#   scripts/ci/python-venv.sh --print-path [name]  print the path only, build nothing (the tests use this)
# name: requirements/<name>.txt, default mlflow-tests.
#
# Interpreter: $MLOPS_VENV_BASE_PYTHON, else Debian's /usr/bin/python3, else python3 on PATH.
# Packages come from the package index pip is configured for; nothing else is downloaded.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
print_only=false
if [[ "${1:-}" == "--print-path" ]]; then print_only=true; shift; fi
requirements="$root/requirements/${1:-mlflow-tests}.txt"
[[ -f "$requirements" ]] || { echo "python-venv: no $requirements" >&2; exit 1; }
# What proves the venv works: the file's `# import-check:` line, else the MLflow tests' modules.
check="$(sed -n 's/^# import-check: //p' "$requirements")"
check="${check:-import mlflow, sklearn, pandas, pyarrow, psycopg2, prometheus_client}"
base="${MLOPS_VENV_BASE_PYTHON:-}"
if [[ -z "$base" ]]; then
  if [[ -x /usr/bin/python3 ]]; then base=/usr/bin/python3; else base="$(command -v python3)"; fi
fi
version="$("$base" -c 'import sys; print(sys.version)')"
hash="$( { cat "$requirements"; echo "$version"; } | sha256sum | cut -c1-16)"
venv="${XDG_CACHE_HOME:-$HOME/.cache}/cdktf-mlops/venv-$hash"
python="$venv/bin/python"

if $print_only; then
  echo "$python"
  exit 0
fi

# A venv is complete only once the marker is written: an interrupted build is rebuilt.
if [[ ! -f "$venv/.complete" ]]; then
  echo "python-venv: building $venv from $requirements (takes minutes)" >&2
  if ! "$base" -c 'import ensurepip' 2>/dev/null; then
    # Debian ships venv's pip bootstrap separately; .ci/run runs as root on a fresh machine.
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv >&2
    else
      echo "python-venv: $base cannot create a venv with pip; install python3-venv" >&2
      exit 1
    fi
  fi
  rm -rf "$venv"
  mkdir -p "$(dirname "$venv")"
  "$base" -m venv "$venv"
  "$python" -m pip install --quiet --no-input --disable-pip-version-check -r "$requirements" >&2
  "$python" -c "$check" >&2
  touch "$venv/.complete"
fi
echo "$python"
