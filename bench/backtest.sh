#!/usr/bin/env bash
# Backtest throughput: the default job (the project's strategies) over five
# years at np 1 and np 2; prints strategy-days per second for each.
# Usage: bash bench/backtest.sh [BUILD_DIR] [FROM] [TO]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build} FROM=${2:-2021-01-01} TO=${3:-2025-12-31}
[ -s data/market.h5 ] || "$B/alchemiser" data synth --out data/market.h5 >/dev/null
export OMPI_MCA_pml=ob1
[ "$(id -u)" -eq 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for np in 1 2; do
  t0=$(date +%s.%N)
  mpirun --oversubscribe -np $np "$B/alchemiser" backtest jobs/daily.json --from "$FROM" --to "$TO" \
    --out "$out" --json --no-progress > "$out/np$np.json"
  t1=$(date +%s.%N)
  /usr/bin/python3 - "$out/np$np.json" "$np" "$t0" "$t1" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
n = len(d["strategies"]) * d["days"]
wall = float(sys.argv[4]) - float(sys.argv[3])
print(f"np {sys.argv[2]}: {len(d['strategies'])} strategies x {d['days']} days = {n} strategy-days; "
      f"evaluation {d['seconds']:.2f} s ({d['strategy_days_per_second']:.0f} strategy-days/s); wall {wall:.2f} s")
PY
done
cmp <(tail -n +2 "$out/np1.json") <(tail -n +2 "$out/np2.json") && echo "np 1 and np 2 results identical"
