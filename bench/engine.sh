#!/usr/bin/env bash
# Engine benchmark: parse throughput and evaluation time per strategy-date
# for the project's strategies, the conformance suite, and generated
# strategies of 10 kB .. 5 MB (with and without filters over groups).
# Usage: bash bench/engine.sh [BUILD_DIR] [OUT.json]
# Prints a table; writes all raw JSON records to OUT.json (default
# bench/results/engine.json).
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build}
OUT=${2:-bench/results/engine.json}
mkdir -p "$(dirname "$OUT")" data
[ -s data/market.h5 ] || "$B/alchemiser" data synth --out data/market.h5 >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for size in 10000 100000 1000000 2000000 5000000; do
  "$B/bench/gen_strategies" --size $size --seed 7 --quiet --out "$tmp/plain_$size.clj"
  "$B/bench/gen_strategies" --size $size --seed 7 --groups --quiet --out "$tmp/groups_$size.clj"
done
{
  echo '{"machine": {"cores": '"$(nproc)"', "cpu": "'"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"'", "commit": "'"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"'"},'
  echo '"project": '; "$B/bench/bench_engine" --market data/market.h5 --dates 20 strategies; echo ','
  echo '"conformance": '; "$B/bench/bench_engine" --market tests/conformance/market --date "$(paste -sd, tests/conformance/dates.txt)" tests/conformance/strategies; echo ','
  echo '"generated": '; "$B/bench/bench_engine" --market data/market.h5 --dates 10 --min-time 1 "$tmp"/plain_*.clj "$tmp"/groups_*.clj
  echo '}'
} > "$OUT"
python3 - "$OUT" <<'PY'
import json, sys, os
d = json.load(open(sys.argv[1]))
print(f"machine: {d['machine']['cores']} cores, {d['machine']['cpu']}, commit {d['machine']['commit']}")
def table(title, rec, name=lambda f: os.path.basename(f)):
    print(f"\n{title}")
    print(f"{'strategy':36s} {'bytes':>9s} {'nodes':>8s} {'parse MB/s':>10s} {'eval ms mean':>12s} {'min':>8s} {'max':>8s}")
    for s in rec['strategies']:
        print(f"{name(s['file']):36s} {s['bytes']:9d} {s['nodes']:8d} {s['parse_mb_s']:10.1f} {s['eval_ms_mean']:12.3f} {s['eval_ms_min']:8.3f} {s['eval_ms_max']:8.3f}")
    t = rec['total']
    print(f"total: {t['files']} files, {t['strategy_dates']} strategy-dates, {t['eval_ms_per_strategy_date']:.4f} ms per strategy-date, parse {t['parse_mb_s']:.1f} MB/s")
table("project strategies (20 most recent dates)", d['project'])
c = d['conformance']['total']
print(f"\nconformance suite: {c['files']} strategies x 12 dates: {c['eval_ms_per_strategy_date']:.4f} ms per strategy-date")
table("generated strategies (10 most recent dates)", d['generated'])
PY
