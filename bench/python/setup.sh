#!/usr/bin/env bash
# Creates (or reuses) the Python baseline's virtualenv at <repo>/.bench-venv and installs
# bench/python/requirements.txt into it. Idempotent: pip runs only when the requirements
# changed since the last successful install (a stamp file holds their SHA-256).
# Prints the path of the virtualenv's python on stdout (everything else goes to stderr).
# PYTHON=/path/to/python3 picks the interpreter the virtualenv is created from.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/.bench-venv"
requirements="$here/requirements.txt"
stamp="$venv/.requirements.sha256"
python="${PYTHON:-python3}"

if [ ! -x "$venv/bin/python" ]; then
  echo "creating virtualenv $venv" >&2
  "$python" -m venv "$venv"
fi

want="$(sha256sum "$requirements" | cut -d' ' -f1)"
have="$(cat "$stamp" 2>/dev/null || true)"
if [ "$want" != "$have" ]; then
  echo "installing $requirements" >&2
  "$venv/bin/python" -m pip install --disable-pip-version-check --quiet --only-binary=:all: -r "$requirements" >&2
  echo "$want" > "$stamp"
else
  echo "requirements already installed in $venv" >&2
fi

echo "$venv/bin/python"
