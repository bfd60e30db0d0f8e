#!/usr/bin/env bash
# Usage: install.sh SDIST [VENV]
# The add-on image's install steps; the Dockerfile runs this file as it is, and so does
# tests/server/test_addon.py. Installs the mlwatch server from its sdist into a virtualenv at VENV
# (default /opt/mlwatch); pip brings aiohttp, ai-edge-litert, numpy and opencv-python-headless from
# PyPI. Then Coral's Edge TPU runtime, if apt can provide it (see below).
# MLWATCH_PYTHON: the interpreter that creates the venv (default python3, Debian's in the image).
set -euo pipefail

usage() { echo "usage: install.sh SDIST [VENV]" >&2; }
if [[ $# -lt 1 || $# -gt 2 ]]; then
  usage
  exit 2
fi
sdist=$1
venv=${2:-/opt/mlwatch}
python=${MLWATCH_PYTHON:-python3}
if [[ ! -f $sdist ]]; then
  # An unmatched dist/mlwatch-*.tar.gz arrives here literally: dist/ was not filled.
  echo "install.sh: no sdist at '$sdist'; run scripts/addon-context before building" >&2
  exit 2
fi

"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --disable-pip-version-check --quiet "$sdist"
"$venv/bin/mlwatch-server" --version

# Coral's libedgetpu is not packaged by Debian; it comes from Coral's own apt repository, which this
# build does not configure. Install it when the image's apt sources have it, else say what happens.
edgetpu=libedgetpu1-std # -std: the default clock; -max runs the Edge TPU hotter
candidate=""
if command -v apt-cache >/dev/null; then
  candidate=$(apt-cache policy "$edgetpu" 2>/dev/null | awk '$1 == "Candidate:" { print $2 }') || true
fi
if [[ -n $candidate && $candidate != "(none)" ]]; then
  apt-get install -y --no-install-recommends "$edgetpu"
  echo "install.sh: installed $edgetpu $candidate (Coral Edge TPU runtime)"
else
  echo "install.sh: NOTE: $edgetpu (Coral's Edge TPU runtime) is not available from this image's" \
    "apt sources, so it is not installed. The server runs on the CPU: with device 'auto'" \
    "/health reports \"device\": \"cpu\" and the reason in \"fallback_reason\"; device 'usb'" \
    "or 'pci' refuses to start. To use a Coral, add Coral's apt repository to the image" \
    "before this script runs."
fi
