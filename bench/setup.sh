#!/usr/bin/env bash
# Makes the Python venv the echo benchmark runs uvloop from:
#   ${CARGO_TARGET_DIR:-<workspace>/target}/weir-bench-venv
# echo-bench runs this script by itself when the venv is missing.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${CARGO_TARGET_DIR:-$root/target}/weir-bench-venv"
python="${PYTHON:-python3}"

if "$venv/bin/python" -c 'import uvloop' 2>/dev/null; then
    echo "setup.sh: uvloop already installed in $venv"
    exit 0
fi
echo "setup.sh: making $venv with $("$python" --version) and installing uvloop from PyPI"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check 'uvloop>=0.19,<1'
"$venv/bin/python" -c 'import uvloop; print("setup.sh: uvloop", uvloop.__version__, "in", "'"$venv"'")'
