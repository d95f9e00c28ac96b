#!/usr/bin/env bash
# alchemiser backtest scenarios under a real mpirun.
#   backtest_tests.sh CASE ALCHEMISER MPIEXEC SOURCE_DIR WORK_DIR
set -euo pipefail
case_name=$1 alc=$2 mpiexec=$3 src=$4 work=$5
rm -rf "$work"
mkdir -p "$work"
. "$src/tests/lib.sh" # the test environment (Open MPI settings); its own run/fail below
fail() { echo "FAIL: $*" >&2; exit 1; }
run() { local np=$1; shift; "$mpiexec" --oversubscribe -np "$np" "$alc" backtest --strategies "$src/tests/conformance/strategies" "$@"; }

# A job over 12 conformance strategies (some fail on early dates, one always
# fails) and the conformance market, with paths made absolute.
conf="$src/tests/conformance"
mkjob() {
  local files=("$@") n=${#@} i=0
  {
    echo '{"market": "'"$conf"'/market", "output_dir": "'"$work"'/out", "strategies": ['
    for f in "${files[@]}"; do
      i=$((i + 1))
      alloc=$(/usr/bin/python3 -c "n=$n; print(repr(1.0/n) if $i < n else repr(1.0 - (n-1)*(1.0/n)))")
      echo "  {\"file\": \"$f\", \"allocation\": $alloc}$([ $i -lt $n ] && echo ,)"
    done
    echo ']}'
  } > "$work/job.json"
}
mkjob c000.clj c013.clj c046.clj c060.clj c101.clj c119.clj c146.clj c150.clj c151.clj c156.clj c001.clj c002.clj
strip() { tail -n +2 "$1"; }   # the first line holds timings, ranks and paths

case $case_name in
determinism)
  # identical metrics for np 1, 2, 3 and task sizes 7 days / automatic
  run 1 "$work/job.json" --from 2019-03-01 --to 2020-06-30 --json --no-progress > "$work/np1.json"
  run 2 "$work/job.json" --from 2019-03-01 --to 2020-06-30 --json --no-progress > "$work/np2.json"
  run 3 "$work/job.json" --from 2019-03-01 --to 2020-06-30 --json --no-progress --chunk 7 > "$work/np3.json"
  for f in np2 np3; do
    cmp <(strip "$work/np1.json") <(strip "$work/$f.json") || fail "np1 and $f summaries differ"
  done
  /usr/bin/python3 - "$work/np1.json" <<'PY' || fail "summary content"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["days"] > 300, d["days"]
assert len(d["strategies"]) == 12
failed = {s["file"].split("/")[-1]: s["failed_days"] for s in d["strategies"]}
assert failed["c046.clj"] == d["days"], failed   # inverse volatility with window 1 always fails
assert failed["c000.clj"] == 0, failed
assert d["portfolio"]["days"] == d["days"]
print("ok:", d["days"], "days,", sum(failed.values()), "failed strategy-days")
PY
  ;;
file)
  # the HDF5 result: complete, readable, with every table
  run 2 "$work/job.json" --from 2024-01-01 --to 2024-12-31 --no-progress > "$work/out.txt"
  grep -q '^PORTFOLIO' "$work/out.txt" || fail "no PORTFOLIO row in the summary"
  h5=$(sed -n 's/^Result: //p' "$work/out.txt")
  [ -s "$h5" ] || fail "no result file"
  ls "$work/out" | grep -q '\.tmp$' && fail "a temporary file was left behind"
  h5dump -H "$h5" > /dev/null || fail "h5dump cannot read $h5"
  /usr/bin/python3 - "$h5" <<'PY' || fail "result file content"
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert f.attrs["format"] == "alchemiser-backtest"
days = int(f.attrs["days"])
s = f["summary"][:]
assert len(s) == 13 and s["strategy"][-1] == b"PORTFOLIO", s["strategy"]
for g in list(f["strategies"].values()) + [f["portfolio"]]:
    d = g["daily"][:]
    assert len(d) == days
    eq = np.cumprod(1 + d["return"])
    assert np.allclose(eq, d["equity"], rtol=1e-12), "equity is the compounded returns"
p = f["portfolio"]["daily"][:]
assert abs(p["equity"][-1] - 1 - s["total_return"][-1]) < 1e-12
w = f["portfolio"]["weights"][:]
for date in set(w["date"]):
    tot = w["weight"][w["date"] == date].sum()
    assert tot <= 1 + 1e-9, (date, tot)
print("ok:", days, "days,", len(w), "portfolio weights")
PY
  ;;
consistency)
  # the allocation of day D in the backtest equals `alchemiser eval` at D,
  # for every one of the 160 conformance strategies (errors included)
  all=()
  for f in "$conf"/strategies/c*.clj; do all+=("$(basename "$f")"); done
  [ "${#all[@]}" -eq 160 ] || fail "expected 160 conformance strategies, found ${#all[@]}"
  mkjob "${all[@]}"
  run 2 "$work/job.json" --from 2020-03-02 --to 2020-03-31 --no-progress > "$work/out.txt"
  h5=$(sed -n 's/^Result: //p' "$work/out.txt")
  files=$(/usr/bin/python3 -c "import json; print(' '.join('$conf/strategies/' + s['file'] for s in json.load(open('$work/job.json'))['strategies']))")
  "$alc" eval --market "$conf/market" --date 2020-03-02,2020-03-16,2020-03-31 --json $files > "$work/eval.jsonl" || true
  /usr/bin/python3 - "$h5" "$work/eval.jsonl" <<'PY' || fail "backtest and eval differ"
import sys, json, h5py
f = h5py.File(sys.argv[1], "r")
groups = {g.attrs["file"]: g for g in f["strategies"].values()}
cache = {}
def tables(name):
    if name not in cache:
        g = groups[name]
        daily = {r["date"].decode(): r for r in g["daily"][:]}
        weights = {}
        for r in g["weights"][:]:
            weights.setdefault(r["date"].decode(), {})[r["ticker"].decode()] = r["weight"]
        cache[name] = (daily, weights)
    return cache[name]
n = 0
for line in open(sys.argv[2]):
    e = json.loads(line)
    daily, weights = tables(e["strategy"].split("/")[-1])
    row = daily[e["date"]]
    if e["error"]:
        assert row["evaluated"] == 0, (e["strategy"], e["date"])
    else:
        assert row["evaluated"] == 1
        w = weights.get(e["date"], {})
        assert w == e["allocation"], (e["strategy"], e["date"], w, e["allocation"])
    n += 1
assert n == 480, n
print("ok: 480 (strategy, date) pairs equal,", sum(1 for l in open(sys.argv[2]) if json.loads(l)["error"]), "of them errors")
PY
  ;;
errors)
  # bad ranges and a bad job are refused with a clear message and exit != 0
  if run 1 "$work/job.json" --from 2030-01-01 --to 2030-12-31 --no-progress 2> "$work/err.txt"; then
    fail "a range without trading days was accepted"
  fi
  grep -q "no trading day" "$work/err.txt" || fail "unclear message: $(cat "$work/err.txt")"
  if run 2 "$work/job.json" --from 2020-02-01 --to 2020-01-01 2> "$work/err.txt"; then fail "reversed range accepted"; fi
  grep -q "invalid arguments" "$work/err.txt" || fail "unclear message: $(cat "$work/err.txt")"
  echo '{"market": "nowhere", "strategies": [{"file": "x.clj", "allocation": 1}]}' > "$work/bad.json"
  if run 2 "$work/bad.json" --no-progress 2> "$work/err.txt"; then fail "bad job accepted"; fi
  [ "$(grep -c 'alchemiser backtest' "$work/err.txt")" -ge 1 ] || fail "no message for a bad job"
  ;;
*)
  fail "unknown case $case_name"
  ;;
esac
echo "PASS: backtest $case_name"
