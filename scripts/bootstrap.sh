#!/usr/bin/env bash
# Sourced by the entry scripts: makes sure the locked Python environment exists and activates it.
#
# Environments and downloads live outside the clone, under $AKHBAR_CACHE (default ~/.cache/akhbar):
#   uv/              uv's download cache (torch and its CUDA wheels are large: download them once)
#   venv-<hash>/     one environment per uv.lock content, so a fresh clone with the same lock reuses it
# A fresh machine needs only python3 >= 3.11 with pip and access to PyPI.
# Safe to source from an interactive shell: it does not change the caller's shell options.

AKHBAR_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export AKHBAR_CACHE="${AKHBAR_CACHE:-$HOME/.cache/akhbar}"
UV_VERSION="0.13.8"  # pinned so the lock file is read the same way everywhere

_akhbar_setup() (
set -euo pipefail
mkdir -p "$AKHBAR_CACHE"
uv_bin="$AKHBAR_CACHE/tools/uv-$UV_VERSION/bin/uv"
if [ ! -x "$uv_bin" ]; then
    echo "akhbar: installing uv $UV_VERSION into $AKHBAR_CACHE/tools" >&2
    python3 -m pip install --quiet --disable-pip-version-check --target "$AKHBAR_CACHE/tools/uv-$UV_VERSION/lib" "uv==$UV_VERSION" >&2
    mkdir -p "$(dirname "$uv_bin")"
    ln -sf "$AKHBAR_CACHE/tools/uv-$UV_VERSION/lib/bin/uv" "$uv_bin"
fi

if [ ! -d "$UV_PROJECT_ENVIRONMENT" ]; then
    echo "akhbar: creating the Python environment $UV_PROJECT_ENVIRONMENT (first run downloads ~4 GB, torch with CUDA wheels)" >&2
fi
# Exactly what uv.lock says, every extra (processor, train) included; when nothing changed this takes well
# under a second.
# --compile-bytecode: the environment is shared by every clone, and this workplace sets
# PYTHONDONTWRITEBYTECODE=1, so without .pyc files every process (each CLI call, each spawned processor and
# sink in the tests) compiled faust, aiokafka, pydantic and elasticsearch from source: importing the pipeline
# took 1.9 s instead of 0.8, `akhbar search` 1.4 s instead of 0.5. Compiling once costs ~20 s on first setup.
"$uv_bin" sync --frozen --all-extras --project "$AKHBAR_ROOT" --quiet --compile-bytecode >&2
)

AKHBAR_UV="$AKHBAR_CACHE/tools/uv-$UV_VERSION/bin/uv"
lock_hash="$(sha256sum "$AKHBAR_ROOT/uv.lock" | cut -c1-16)"
export UV_CACHE_DIR="$AKHBAR_CACHE/uv"
export UV_PROJECT_ENVIRONMENT="$AKHBAR_CACHE/venv-$lock_hash"
export UV_PYTHON_DOWNLOADS=never
_akhbar_setup || { echo "akhbar: setting up the Python environment failed" >&2; return 1 2>/dev/null || exit 1; }
export PATH="$(dirname "$AKHBAR_UV"):$PATH"
export PATH="$UV_PROJECT_ENVIRONMENT/bin:$PATH"
export VIRTUAL_ENV="$UV_PROJECT_ENVIRONMENT"
