#!/usr/bin/env bash
# Usage: run.sh [MLWATCH_SERVER_FLAGS...]
# The add-on's entry point: turns the add-on options into MLWATCH_* settings and becomes
# `mlwatch-server --host 0.0.0.0 --port 8780`; extra flags follow, so they win (tests, debugging).
# MLWATCH_OPTIONS_FILE (default /data/options.json, written by the Supervisor) and MLWATCH_VENV
# (default /opt/mlwatch, see install.sh) say where things are.
set -euo pipefail

options=${MLWATCH_OPTIONS_FILE:-/data/options.json}
venv=${MLWATCH_VENV:-/opt/mlwatch}

# The venv's own Python reads the options: the image needs no jq or bashio for this, and the
# same script runs outside the image. One NAME=value per line; a value may hold no line break.
read_options='
import json, sys
NAMES = ("api_key", "model", "device", "threads", "workers", "queue", "timeout", "log_level")
try:
    with open(sys.argv[1], encoding="utf-8") as f:
        options = json.load(f)
except (OSError, ValueError) as err:
    sys.exit(f"run.sh: cannot read the add-on options {sys.argv[1]}: {err}")
if not isinstance(options, dict):
    sys.exit(f"run.sh: {sys.argv[1]} holds no JSON object")
# A keyless server answers only its own container, and Home Assistant calls from another one.
if not str(options.get("api_key") or "").strip():
    sys.exit("run.sh: set api_key in the add-on configuration (and the same key in mlwatch)")
for name, value in options.items():
    if name not in NAMES:
        print(f"run.sh: ignoring unknown option {name!r}", file=sys.stderr)
    elif value is not None:
        value = str(value)
        if "\n" in value or "\r" in value or "\0" in value:
            sys.exit(f"run.sh: option {name!r} holds a line break")
        print(f"MLWATCH_{name.upper()}={value}")
'
settings=$("$venv/bin/python" -c "$read_options" "$options")
while IFS= read -r setting; do
  if [[ -n $setting ]]; then export "${setting?}"; fi
done <<<"$settings"
# Leaves time to finish requests in flight within the add-on's stop timeout (config.yaml).
export MLWATCH_SHUTDOWN_TIMEOUT=${MLWATCH_SHUTDOWN_TIMEOUT:-10}

echo "run.sh: starting mlwatch-server (device ${MLWATCH_DEVICE:-auto})" >&2
exec "$venv/bin/mlwatch-server" --host 0.0.0.0 --port 8780 "$@"
