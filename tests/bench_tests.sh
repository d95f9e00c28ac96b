#!/usr/bin/env bash
# bench/run.sh --smoke: 100- and 200-strategy sessions at np 1, 2 and 4
# through the real driver; checks its exit status and its JSON result.
# Usage: bench_tests.sh BUILD_DIR SRC_DIR TMP_DIR
set -u
B=$1 SRC=$2 T=$3
rm -rf "$T" && mkdir -p "$T"
py=
for p in python3 /usr/bin/python3; do
    command -v "$p" >/dev/null 2>&1 && "$p" -c 'import h5py' 2>/dev/null && { py=$p; break; }
done
if [ -z "$py" ]; then
    echo "no Python 3 with h5py (python3-h5py): skipped"
    exit 77
fi
"$B/alchemiser" data synth --out "$T/market.h5" >/dev/null || { echo "FAIL: synth"; exit 1; }
timeout 170 bash "$SRC/bench/run.sh" --smoke --build "$B" --market "$T/market.h5" \
    --sections session,scaling --out "$T/result.json" >"$T/out.txt" 2>"$T/err.txt"
rc=$?
cat "$T/out.txt"
if [ "$rc" -ne 0 ]; then
    echo "FAIL: bench/run.sh --smoke exited $rc"
    tail -20 "$T/err.txt"
    exit 1
fi
"$py" - "$T/result.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
fails = []
def check(what, ok):
    print(("ok: " if ok else "FAIL: ") + what)
    if not ok:
        fails.append(what)
m = d["machine"]
for k in ("cores", "cpu", "memory_gib", "mpi", "compiler", "c_flags", "build_type", "commit", "date_utc"):
    check(f"machine.{k} present", k in m and m[k] not in (None, ""))
rows = d["session"]["rows"]
check("3 session configurations", len(rows) == 3)
for r in rows:
    name = f"{r['strategies']} np {r['np']} {r['scheduling']}"
    check(f"{name}: no failure", r.get("failures") == 0 and "total_seconds" in r)
    if "total_seconds" not in r:
        continue
    check(f"{name}: wall >= total > 0", r["wall_s"] >= r["total_seconds"] > 0)
    check(f"{name}: phases within the total",
          r["job_seconds"] + r["market_seconds"] + r["dispatch_seconds"] + r["aggregate_seconds"]
          <= r["total_seconds"] + 1e-6)
    check(f"{name}: evaluation measured", r["evaluation_s"] > 0)
    check(f"{name}: one peak memory per rank", len(r["max_rss_mib_per_rank"]) == r["np"]
          and r["max_rss_mib_per_rank"][0] > 1)
    check(f"{name}: every strategy evaluated once", sum(r["strategies_per_rank"]) == r["strategies"])
dyn = [r for r in rows if r["np"] == 2 and r["scheduling"] == "dynamic"][0]
sta = [r for r in rows if r["np"] == 2 and r["scheduling"] == "static"][0]
check("np 2 dynamic: rank 0 evaluated strategies too", dyn["strategies_per_rank"][0] > 0)
check("np 2 static: rank 0 only coordinates", sta["strategies_per_rank"][0] == 0)
check("portfolios identical across configurations", d["portfolios_identical"] and all(d["portfolios_identical"].values()))
st = d["scaling"]["strong"]["rows"]
check("strong scaling np 1, 2, 4", [r["np"] for r in st] == [1, 2, 4] and not any(r.get("error") for r in st))
check("strong scaling: np 1 efficiency is 1", abs(st[0]["efficiency_wall_s"] - 1.0) < 1e-9)
wk = d["scaling"]["weak"]["rows"]
check("weak scaling: 50 strategies per rank", [r["strategies"] for r in wk] == [50, 100, 200])
check("targets computed", "efficiency_np2" in d["targets"])
print(f"bench driver: {len(fails)} failed")
sys.exit(1 if fails else 0)
PY
