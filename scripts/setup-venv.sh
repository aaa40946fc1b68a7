#!/usr/bin/env bash
# Creates the virtual environment of the pretrained-model examples and tests
# (python/requirements-models.txt) at $1 (default .venv): Debian's python3
# with its system packages (NumPy, PyTorch) visible, plus the pinned packages.
# Idempotent: a stamp holding the requirements' hash skips a second install.
# Without the package index the examples' tests are skipped, not failed.
set -euo pipefail
venv=${1:-.venv}
root=$(cd "$(dirname "$0")/.." && pwd)
reqs="$root/python/requirements-models.txt"
stamp="$venv/.modc-requirements"
want=$(sha256sum "$reqs" | cut -d' ' -f1)
if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
echo "setup: creating $venv with $(grep -v '^#' "$reqs" | tr '\n' ' ')"
rm -rf "$venv"
/usr/bin/python3 -m venv --system-site-packages "$venv"
if "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$reqs"; then
  echo "$want" > "$stamp"
else
  echo "setup: warning: could not install $reqs; the pretrained-model tests will be skipped" >&2
fi
