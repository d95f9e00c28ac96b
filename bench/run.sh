#!/usr/bin/env bash
# The benchmark driver (bench/README.md): engine, session matrix, strong and
# weak scaling, backtest; prints tables and writes bench/results/<mode>-<UTC>.json.
#   bash bench/run.sh [--quick | --full] [--build DIR] [--repeat N] [--sections LIST] [--out FILE]
#   bash bench/run.sh --compare A.json B.json
# Needs a built tree (bash src/scripts/build.sh), mpirun and Python 3 with h5py
# (python3-h5py).
set -euo pipefail
cd "$(dirname "$0")/.."
py=
for p in "${PYTHON:-}" python3 /usr/bin/python3; do
  if [ -n "$p" ] && command -v "$p" >/dev/null 2>&1 && "$p" -c 'import h5py' 2>/dev/null; then
    py=$p
    break
  fi
done
if [ -z "$py" ]; then
  echo "bench/run.sh: needs Python 3 with h5py (apt-get install python3-h5py)" >&2
  exit 2
fi
exec "$py" bench/run.py "$@"
