#!/usr/bin/env bash
# Session analysis end to end: real sessions under mpirun, then
# `alchemiser inspect`, `alchemiser diff` and src/analysis/alchemiser_analysis.py
# on the files they wrote (docs/analysis.md).
#
#   analysis_tests.sh CASE ALCHEMISER MPIEXEC SOURCE_DIR WORKDIR
#
# CASE: inspect | failed | partial | badfiles | diff | plots | valgrind
# Prints "N passed, N failed" and exits non-zero on any failure.
set -u
CASE=$1 ALC=$2 MPIEXEC=$3 SRC=$4 T=$5
MARKET=$SRC/tests/conformance/market
CONF=$SRC/tests/conformance/strategies
PY=/usr/bin/python3
SCRIPT=$SRC/src/analysis/alchemiser_analysis.py
. "$SRC/tests/lib.sh" # environment, assertions, run, fault_run...
alc_workdir "$T"
# py DESCRIPTION ARGS... <<'PY' ... PY : a python check, fails on any exception
py() {
    local what=$1; shift
    if "$PY" - "$@" >py.out 2>&1; then ok; else bad "$what"; cat py.out; fi
}

# 12 conformance strategies, equal allocations, batches of 3: job NAME AS_OF OUTDIR [EXTRA]
mkdir -p s
cp "$CONF"/c00[0-9].clj "$CONF"/c01[01].clj s/
job() {
    ls s/*.clj | awk -v market="$MARKET" -v as_of="$2" -v out="$3" -v extra="${4:-}" '
        { f[NR] = $0 }
        END {
            printf "{\"market\": \"%s\", \"as_of\": \"%s\", \"batch_size\": 3, \"output_dir\": \"%s\",%s\n \"strategies\": [\n", market, as_of, out, extra
            for (i = 1; i <= NR; i++)
                printf "  {\"file\": \"%s\", \"allocation\": %.17g}%s\n", f[i], 1.0 / NR, i < NR ? "," : ""
            printf "]}\n"
        }' >"$1"
}
one() { ls "$1"/$2 2>/dev/null | head -1; } # one DIR GLOB
inspect() { # inspect PREFIX ARGS...: stdout/stderr to PREFIX.out/.err, status in $rc
    local pre=$1; shift
    timeout 60 "$ALC" inspect "$@" >"$pre.out" 2>"$pre.err"
    rc=$?
}
valid_json() { "$PY" -m json.tool "$1" >/dev/null; }

completed_session() { # completed_session AS_OF DIR -> $h5 $portfolio
    job "job-$1.json" "$1" "$2"
    run 2 "run-$1" "job-$1.json"
    expect_rc 0 "run $1"
    h5=$(one "$2" '*.h5')
    portfolio=${h5%.h5}.portfolio.json
    check "session file for $1" test -s "$h5" -a -s "$portfolio"
}

case_inspect() {
    completed_session 2025-12-31 out
    inspect text "$h5"
    expect_rc 0 "inspect"
    has text.out "Status    COMPLETED"
    has text.out "File      $h5 (complete)"
    has text.out "As of     2025-12-31"
    has text.out "Progress  4 of 4 batches, 12 strategies"
    has text.out "Failures: none"
    has text.out "batches_received"
    check "no HDF5 noise on stderr" test ! -s text.err
    inspect json "$h5" --json
    expect_rc 0 "inspect --json"
    check "inspect --json is valid JSON (python3 -m json.tool)" valid_json json.out
    # every field against portfolio.json and the snapshot itself (h5py)
    py "inspect --json agrees with portfolio.json and the snapshot" json.out "$portfolio" "$h5" text.out <<'PY'
import json, sys, h5py
j = json.load(open(sys.argv[1]))
p = json.load(open(sys.argv[2]))
f = h5py.File(sys.argv[3], "r")
text = open(sys.argv[4]).read()
a = lambda k: f.attrs[k].decode() if isinstance(f.attrs[k], bytes) else f.attrs[k]
assert j["partial"] is False and j["complete"] is True
assert j["session_id"] == p["session"]["session_id"] == a("session_id")
assert j["correlation_id"] == p["session"]["correlation_id"]
assert j["status"] == p["status"] == "COMPLETED"
assert j["as_of"] == p["as_of"] == "2025-12-31"
assert j["job"]["sha256"] == p["session"]["job_sha256"]
assert j["times"]["created"] == p["session"]["created"] == a("created")
assert j["times"]["finished"] == p["session"]["finished"] == a("finished")
assert j["times"]["deadline"] == a("deadline")
assert 0 < j["times"]["duration_seconds"] < 60
assert j["config"]["n_ranks"] == p["session"]["n_ranks"] == 2
assert j["config"]["batch_size"] == 3 and j["config"]["scheduling"] == "dynamic"
assert j["expected_batches"] == j["completed_batches"] == 4 == p["session"]["n_batches"]
assert j["n_strategies"] == p["n_strategies"] == 12
# the portfolio: same tickers, bit-identical weights (both printed with %.17g)
assert j["portfolio"]["weights"] == p["portfolio"], (j["portfolio"]["weights"], p["portfolio"])
assert j["portfolio"]["total"] == p["total"]
assert j["portfolio"]["oldest_data_date"] == p["oldest_data_date"]
for t, w in p["portfolio"].items():
    line = "  %-10s %10.6f%%" % (t, w * 100)
    assert line in text, line
# strategies in job order, statuses as in portfolio.json
assert [s["file"] for s in j["strategies"]] == list(p["strategies"])
for s in j["strategies"]:
    ps = p["strategies"][s["file"]]
    assert s["status"] == ps["status"] == "ok" and s["allocation"] == ps["allocation"]
    assert s["last_bar_date"] == ps["last_bar_date"] and s["rank"] in (0, 1)  # rank 0 evaluates too
assert j["failures"] == []
# batches against /batches/config, /batches/<id> and /metrics/batches
cfg = f["batches/config"][()]
mb = {r["batch_id"].decode(): r for r in f["metrics/batches"][()]}
assert [b["batch_id"] for b in j["batches"]] == [x.decode() for x in cfg["batch_id"]]
for b in j["batches"]:
    g = f["batches"][b["batch_id"]]
    t = g["timings"][()][0]
    assert b["status"] == "ok" and b["recorded"] and b["n_strategies"] == 3
    assert b["rank"] == int(g.attrs["rank"]) == int(t["rank"])
    assert b["attempts"] == int(mb[b["batch_id"]]["attempts"]) == 1
    assert b["start"] == float(t["start"]) and b["end"] == float(t["end"])
    assert b["duration_seconds"] == float(t["end"]) - float(t["start"])
    assert b["eval_ms"] == float(g.attrs["eval_ms"])
    assert b["result_bytes"] == int(mb[b["batch_id"]]["result_bytes"])
    assert len(b["files"]) == 3 and all(x.startswith("s/c0") for x in b["files"])
# metrics
counters = {r["name"].decode(): r["value"] for r in f["metrics/counters"][()]}
assert {k: v["value"] for k, v in j["metrics"]["counters"].items()} == counters
assert j["metrics"]["counters"]["batches_received"]["value"] == 4
ranks = f["metrics/ranks"][()]
assert [r["rank"] for r in j["metrics"]["ranks"]] == [int(x) for x in ranks["rank"]] == [0, 1]
assert sum(r["strategies"] for r in j["metrics"]["ranks"]) == 12
assert [r["bytes_sent"] for r in j["metrics"]["ranks"]] == [int(x) for x in ranks["bytes_sent"]]
print("ok")
PY
    # usage errors
    inspect noarg
    expect_rc 2 "inspect without a file"
    has noarg.err "which snapshot?"
    inspect badopt "$h5" --bogus
    expect_rc 2 "inspect --bogus"
    has badopt.err "unknown option '--bogus'"
    inspect two "$h5" "$h5"
    expect_rc 2 "inspect with two files"
}

case_failed() {
    # an injected fault on batch 2, no retry: the session FAILS
    job fault.json 2025-12-31 fault ' "max_retries": 0,'
    fault_run 2 fault 'error:*:2' fault.json
    expect_rc 1 "faulted session"
    h5=$(one fault '*.h5')
    check "a final snapshot for the failed session" test -s "$h5"
    inspect text "$h5"
    expect_rc 0 "inspect of a FAILED session"
    has text.out "Status    FAILED (BatchFailed)"
    has text.out "Portfolio: none (session FAILED)"
    has text.out "batch-2-of-4 failed after 1 attempt(s): injected fault (ALC_FAULT=error)"
    has text.out "session: BatchFailed: "
    inspect json "$h5" --json
    check "valid JSON" valid_json json.out
    py "failed session in JSON" json.out "$h5" <<'PY'
import json, sys, h5py
j = json.load(open(sys.argv[1]))
f = h5py.File(sys.argv[2], "r")
a = lambda k: f.attrs[k].decode() if isinstance(f.attrs[k], bytes) else f.attrs[k]
assert j["status"] == "FAILED" == a("status") and j["error_type"] == "BatchFailed"
assert j["error"] == a("error") and "batch-2-of-4" in j["error"]
b = {x["batch_id"]: x for x in j["batches"]}
assert b["batch-2-of-4"]["status"] == "failed"
assert b["batch-2-of-4"]["error"] == "injected fault (ALC_FAULT=error)"
assert all(b[k]["status"] == "ok" for k in b if k != "batch-2-of-4")
assert j["portfolio"] == {"total": 0, "n_tickers": 0, "oldest_data_date": None,
                          "oldest_data_strategy": None, "weights": {}}, j["portfolio"]
assert j["metrics"]["counters"]["batches_failed"]["value"] == 1
print("ok")
PY
    # a strategy that fails (ticker missing from the market): named with its error
    printf '(defsymphony "x" {} (weight-equal [(asset "SPY") (asset "NOPE")]))\n' >s/zz_missing.clj
    job ticker.json 2025-12-31 ticker ' "max_retries": 1,'
    run 2 ticker ticker.json
    expect_rc 1 "session with a missing ticker"
    h5=$(one ticker '*.h5')
    inspect t2 "$h5"
    expect_rc 0 "inspect"
    has t2.out "Failures: 1 strategies failed, 0 without a result"
    has t2.out "s/zz_missing.clj (batch-5-of-5) failed: CheckError: s/zz_missing.clj:1:57: ticker NOPE is not in the market"
    has t2.out "batch-5-of-5 failed after 2 attempt(s)"
    inspect j2 "$h5" --json
    py "failures list in JSON" j2.out <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
assert [x["file"] for x in j["failures"]] == ["s/zz_missing.clj"], j["failures"]
assert j["failures"][0]["status"] == "failed" and "NOPE" in j["failures"][0]["error"]
assert j["batches"][-1]["attempts"] == 2 and j["batches"][-1]["n_failed"] == 1
print("ok")
PY
    # a worker that hangs on batch 3: TIMEOUT at the 2 s deadline
    rm s/zz_missing.clj
    job hang.json 2025-12-31 hang ' "timeout_seconds": 2,'
    fault_run 2 hang 'hang:1:3' hang.json
    expect_rc 3 "hung session"
    h5=$(one hang '*.h5')
    inspect t3 "$h5"
    expect_rc 0 "inspect of a TIMEOUT session"
    has t3.out "Status    TIMEOUT (Timeout)"
    has t3.out "Portfolio: none (session TIMEOUT)"
    has t3.out "batch-3-of-4     running     -        1"
    has t3.out "batch-3-of-4: no result (running, 1 attempt(s))"
    # rank 1 already held batch 4 as well (dynamic mode hands a worker the
    # next batch while it evaluates one: docs/session.md, Scheduling)
    has t3.out "batch-4-of-4: no result (running, 1 attempt(s))"
    has t3.out "Failures: 0 strategies failed, 6 without a result"
}

case_partial() {
    # a worker that dies on batch 3 kills the job: a .partial snapshot is left
    job die.json 2025-12-31 die
    fault_run 2 die 'die:1:3' die.json
    check "the killed session fails" test "$rc" -ne 0
    local partial
    partial=$(one die '*.h5.partial')
    check "a .partial snapshot" test -n "$partial"
    inspect text "$partial"
    expect_rc 0 "inspect of a .partial"
    has text.out "INCOMPLETE: a .partial snapshot, the session is still running or died (status PENDING); 2 of 4 batches recorded"
    has text.out "Portfolio: none (the session has not finished)"
    has text.out "Metrics: none (written when the session ends)"
    has text.out "batch-3-of-4: no result recorded yet"
    has text.out "Failures: 0 strategies failed, 6 without a result"
    check "no HDF5 noise on stderr" test ! -s text.err
    inspect json "$partial" --json
    check "valid JSON" valid_json json.out
    py "partial snapshot in JSON" json.out "$partial" <<'PY'
import json, sys, h5py
j = json.load(open(sys.argv[1]))
f = h5py.File(sys.argv[2], "r")
assert j["partial"] is True and j["complete"] is False and j["status"] == "PENDING"
assert j["portfolio"] is None and j["metrics"] is None and j["times"]["finished"] is None
groups = sorted(k for k in f["batches"] if k != "config")
assert [b["batch_id"] for b in j["batches"] if b["recorded"]] == groups == ["batch-1-of-4", "batch-2-of-4"]
for b in j["batches"]:
    if b["recorded"]:
        s = f["batches"][b["batch_id"]]["signals"][()]
        assert b["status"] == "ok" and b["rank"] == 1 and b["n_strategies"] == len(s) == 3
    else:
        assert b["status"] == "missing" and b["rank"] is None and b["start"] is None
        assert b["attempts"] is None
# strategies rebuilt from /job/strategies and the recorded signals
st = [s["status"] for s in j["strategies"]]
assert st == ["ok"] * 6 + ["missing"] * 6, st
assert len(j["failures"]) == 6
print("ok")
PY
    # diff refuses it, even with --force
    timeout 60 "$ALC" diff "$partial" "$partial" --force >d.out 2>d.err
    rc=$?
    expect_rc 1 "diff of a .partial"
    has d.err "no consolidated portfolio (a .partial snapshot, status PENDING)"

    # the .partial of a session still running (rank 0 holds it open for
    # writing): a worker hangs on batch 3; inspect it, then stop that mpirun
    job live.json 2025-12-31 live ' "timeout_seconds": 100,'
    ALC_FAULT='hang:1:3' mpiexec_start live 120 --oversubscribe -np 2 -x ALC_FAULT "$ALC" run live.json
    local waited=0 recorded=-1
    while [ "$waited" -lt 300 ]; do # up to 30 s for batches 1 and 2
        partial=$(one live '*.h5.partial')
        if [ -n "$partial" ]; then
            "$ALC" inspect "$partial" --json >live.json.out 2>/dev/null &&
                recorded=$("$PY" -c 'import json,sys; print(sum(b["recorded"] for b in json.load(open(sys.argv[1]))["batches"]))' live.json.out)
            [ "$recorded" = 2 ] && break
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    inspect livetext "$partial"
    check "a running session's .partial is readable, 2 batches recorded (got $recorded)" test "$recorded" = 2
    expect_rc 0 "inspect of a running session"
    has livetext.out "Status    PENDING"
    kill "$mpiexec_pid" 2>/dev/null
    mpiexec_finish live
    has livetext.out "batch-3-of-4     missing"
}

case_badfiles() {
    completed_session 2025-12-31 out
    inspect missing nope.h5
    expect_rc 1 "missing file"
    has missing.err "alchemiser inspect: nope.h5: cannot open: No such file or directory"
    printf 'hello\n' >text.h5
    inspect text text.h5
    expect_rc 1 "text file"
    has text.err "alchemiser inspect: text.h5: not an HDF5 file"
    mkdir -p folder
    inspect folder folder
    expect_rc 1 "folder"
    has folder.err "is a folder, not a session snapshot"
    "$ALC" data synth --out market.h5 --tickers SPY,QQQ >/dev/null 2>&1
    inspect market market.h5
    expect_rc 1 "market file"
    has market.err "market.h5: not a session snapshot (format 'alchemiser-market')"
    "$PY" - "$h5" <<'PY'
import shutil, sys, h5py
with h5py.File("empty.h5", "w") as f:
    f.create_dataset("x", data=[1, 2, 3])
shutil.copy(sys.argv[1], "v99.h5")
with h5py.File("v99.h5", "r+") as f:
    f.attrs["schema_version"] = 99
shutil.copy(sys.argv[1], "noid.h5")
with h5py.File("noid.h5", "r+") as f:
    del f.attrs["session_id"]
shutil.copy(sys.argv[1], "nocol.h5")
with h5py.File("nocol.h5", "r+") as f:   # a /portfolio table without its weight column
    t = f["portfolio"][()]
    del f["portfolio"]
    f.create_dataset("portfolio", data=t[["ticker"]])
PY
    inspect empty empty.h5
    expect_rc 1 "HDF5 without schema_version"
    has empty.err "empty.h5: not an alchemiser session snapshot (no schema_version attribute)"
    inspect v99 v99.h5
    expect_rc 1 "schema_version 99"
    has v99.err "v99.h5: session snapshot schema_version 99, this build reads 1"
    inspect noid noid.h5
    expect_rc 1 "no session_id"
    has noid.err "noid.h5: not an alchemiser session snapshot (no session_id or /batches/config)"
    inspect nocol nocol.h5
    expect_rc 1 "missing column"
    has nocol.err "nocol.h5: table /portfolio has no numeric column 'weight'"
    # a backtest result is recognised and pointed to the script
    timeout 120 "$MPIEXEC" --oversubscribe -np 1 "$ALC" backtest job-2025-12-31.json --from 2025-10-01 \
        --out bt --no-progress >bt.out 2>bt.err
    rc=$?
    expect_rc 0 "backtest"
    inspect bt "$(one bt '*.h5')"
    expect_rc 1 "backtest file"
    has bt.err "a backtest result file, not a session snapshot"
    for f in missing text folder market empty v99 noid nocol bt; do
        hasnt "$f.err" "HDF5-DIAG"
        check "$f: one line on stderr" test "$(wc -l <"$f.err")" -eq 1
    done
    timeout 60 "$ALC" diff "$h5" text.h5 >d.out 2>d.err
    rc=$?
    expect_rc 1 "diff with a bad file"
    has d.err "alchemiser diff: text.h5: not an HDF5 file"
}

case_diff() {
    completed_session 2024-03-28 a
    local ha=$h5 pa=$portfolio
    completed_session 2025-06-30 b
    local hb=$h5 pb=$portfolio
    timeout 60 "$ALC" diff "$ha" "$hb" --json >diff.json 2>diff.err
    rc=$?
    expect_rc 0 "diff --json"
    check "diff --json is valid JSON" valid_json diff.json
    timeout 60 "$ALC" diff "$ha" "$hb" >diff.txt 2>&1
    rc=$?
    expect_rc 0 "diff"
    py "diff = B - A of the two portfolio.json files" diff.json "$pa" "$pb" diff.txt <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
A = json.load(open(sys.argv[2]))["portfolio"]
B = json.load(open(sys.argv[3]))["portfolio"]
text = open(sys.argv[4]).read()
ch = {c["ticker"]: c for c in d["changes"]}
assert set(ch) == set(A) | set(B)
for t, c in ch.items():
    a, b = A.get(t, 0.0), B.get(t, 0.0)
    assert c["a"] == a and c["b"] == b and c["change"] == b - a, (t, c, a, b)
    kind = "added" if t not in A else "removed" if t not in B else "changed" if a != b else "unchanged"
    assert c["kind"] == kind, (t, c)
    line = "  %-10s %10.6f%% %10.6f%% %+11.6f%%" % (t, a * 100, b * 100, (b - a) * 100)
    assert line in text, line
    if kind != "changed":
        assert (line + "  " + kind) in text, line
kinds = [c["kind"] for c in d["changes"]]
for k in ("added", "removed", "changed", "unchanged"):
    assert d[k] == kinds.count(k), k
assert d["added"] > 0 and d["removed"] > 0 and d["changed"] > 0, d
# largest |change| first, then by ticker
keys = [(-abs(c["change"]), c["ticker"]) for c in d["changes"]]
assert keys == sorted(keys)
turnover = sum(abs(B.get(t, 0.0) - A.get(t, 0.0)) for t in sorted(ch)) / 2
assert abs(d["turnover"] - turnover) < 1e-15, (d["turnover"], turnover)
assert "Turnover (one-way, sum |change| / 2): %.6f%%" % (turnover * 100) in text
assert d["a"]["as_of"] == "2024-03-28" and d["b"]["as_of"] == "2025-06-30"
assert d["a"]["n_tickers"] == len(A) and d["b"]["n_tickers"] == len(B)
print("ok", len(ch), "tickers, turnover", turnover)
PY
    # A against itself: nothing to do
    timeout 60 "$ALC" diff "$ha" "$ha" --json >same.json 2>&1
    py "a session against itself" same.json <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["turnover"] == 0 and d["changed"] == d["added"] == d["removed"] == 0 and d["unchanged"] > 0
print("ok")
PY
    # a FAILED session is refused unless --force
    job fault.json 2025-12-31 fault ' "max_retries": 0,'
    fault_run 2 fault 'error:*:1' fault.json
    expect_rc 1 "faulted session"
    local hf
    hf=$(one fault '*.h5')
    timeout 60 "$ALC" diff "$ha" "$hf" >f.out 2>f.err
    rc=$?
    expect_rc 1 "diff with a FAILED session"
    has f.err "is FAILED, not COMPLETED (--force compares it anyway)"
    timeout 60 "$ALC" diff "$ha" "$hf" --force --json >force.json 2>force.err
    rc=$?
    expect_rc 0 "diff --force"
    py "--force against an empty portfolio: everything removed" force.json "$pa" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
A = json.load(open(sys.argv[2]))["portfolio"]
assert d["b"]["status"] == "FAILED" and d["removed"] == len(A) == len(d["changes"])
assert all(c["change"] == -A[c["ticker"]] for c in d["changes"])
print("ok")
PY
    timeout 60 "$ALC" diff "$ha" >u.out 2>u.err
    rc=$?
    expect_rc 2 "diff with one file"
    has u.err "needs two snapshots"
}

# pngs_ok FILE...: each is a PNG (magic bytes), > 10 kB, at least 400x200
# pixels with more than 16 distinct colours (one python for all: imports are slow)
pngs_ok() {
    "$PY" - "$@" <<'PY'
import sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.image as mpimg
import numpy as np
bad = 0
for p in sys.argv[1:]:
    try:
        with open(p, "rb") as f:
            data = f.read()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG: %r" % data[:8]
        assert len(data) > 10_000, "only %d bytes" % len(data)
        img = mpimg.imread(p)
        assert img.ndim == 3 and img.shape[0] >= 200 and img.shape[1] >= 400, img.shape
        px = np.ascontiguousarray((img * 255).astype(np.uint8).reshape(-1, img.shape[2]))
        colours = len(np.unique(px.view(np.dtype((np.void, px.shape[1])))))
        assert colours > 16, "%d colours" % colours
        print("ok", p, len(data), "bytes", img.shape, colours, "colours")
    except (AssertionError, OSError, ValueError) as e:
        bad += 1
        print("FAIL", p, e)
sys.exit(1 if bad else 0)
PY
}

case_plots() {
    "$PY" -c 'import h5py, pandas, matplotlib' ||
        { bad "python3-h5py, python3-pandas and python3-matplotlib are needed (src/scripts/install-deps.sh)"; return; }
    mkdir -p sessions
    completed_session 2024-03-28 sessions
    completed_session 2025-06-30 sessions
    job fault.json 2025-12-31 sessions ' "max_retries": 0,'
    fault_run 2 fault 'error:*:2' fault.json
    expect_rc 1 "faulted session"
    job die.json 2025-12-31 sessions
    fault_run 2 die 'die:1:3' die.json
    check "a .partial among the sessions" test -n "$(one sessions '*.h5.partial')"
    check "four snapshots" test "$(ls sessions/*.h5 sessions/*.h5.partial | wc -l)" -eq 4
    timeout 120 "$PY" "$SCRIPT" session sessions --png-dir png >script.out 2>script.err
    rc=$?
    expect_rc 0 "analysis script on a folder of sessions"
    cat script.err
    local id pngs=()
    for f in sessions/*.h5 sessions/*.h5.partial; do
        id=$(basename "$f")
        id=${id%%.h5*}
        pngs+=("png/$id-timeline.png" "png/$id-allocation.png" "png/$id-batch-durations.png")
    done
    pngs+=(png/portfolio-over-time.png)
    check "13 non-trivial PNGs: per session timeline, allocation, batch durations; portfolio over time" \
        pngs_ok "${pngs[@]}"
    check "13 PNGs listed" test "$(grep -c '^wrote png/' script.out)" -eq 13
    has script.out "PENDING  as of 2025-12-31"
    # the DataFrames the plots come from match the files
    py "loaded DataFrames" "$SRC/src/analysis" sessions <<'PY'
import glob, json, sys
sys.path.insert(0, sys.argv[1])
import alchemiser_analysis as aa
many = aa.load_sessions([sys.argv[2]])
s = many["sessions"]
assert len(s) == 4 and sorted(s["status"]) == ["COMPLETED"] * 2 + ["FAILED", "PENDING"], list(s["status"])
assert s["partial"].sum() == 1
wide = aa.portfolio_by_date(many)
assert [d.strftime("%Y-%m-%d") for d in wide.index] == ["2024-03-28", "2025-06-30"]
for pj in glob.glob(sys.argv[2] + "/*.portfolio.json"):
    p = json.load(open(pj))
    if p["status"] != "COMPLETED":
        continue
    row = wide.loc[p["as_of"]]
    assert {t: w for t, w in row.items() if w} == p["portfolio"], p["as_of"]
b = many["batches"]
assert len(b) == 4 * 4 and set(b[b.recorded]["rank"]) <= {0, 1}  # rank 0 evaluates too (dynamic)
assert (b[b.recorded]["end"] >= b[b.recorded]["start"]).all()
print("ok")
PY
    # a single file works too, and a bad path is an error
    timeout 120 "$PY" "$SCRIPT" session "$h5" --png-dir one >one.out 2>&1
    rc=$?
    expect_rc 0 "script on one session"
    check "three PNGs for one session" test "$(ls one/*.png | wc -l)" -eq 3
    timeout 120 "$PY" "$SCRIPT" session nope.h5 --png-dir x >nope.out 2>&1
    rc=$?
    check "script on a missing file fails" test "$rc" -ne 0
    # a real backtest file: equity curves and drawdowns
    timeout 120 "$MPIEXEC" --oversubscribe -np 2 "$ALC" backtest job-2025-06-30.json --from 2024-01-01 \
        --out bt --no-progress >bt.out 2>bt.err
    rc=$?
    expect_rc 0 "backtest"
    local bt stem
    bt=$(one bt '*.h5')
    stem=$(basename "$bt" .h5)
    timeout 120 "$PY" "$SCRIPT" backtest "$bt" --png-dir btpng >bts.out 2>bts.err
    rc=$?
    expect_rc 0 "analysis script on a backtest"
    cat bts.err
    check "backtest PNGs: equity, drawdown, weights" \
        pngs_ok "btpng/$stem-equity.png" "btpng/$stem-drawdown.png" "btpng/$stem-weights.png"
    has bts.out "PORTFOLIO"
    py "backtest DataFrames" "$SRC/src/analysis" "$bt" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import alchemiser_analysis as aa
bt = aa.load_backtest(sys.argv[2])
d = bt["daily"]
assert set(d["strategy"]) >= {"PORTFOLIO"} and d["strategy"].nunique() == 13
port = d[d.strategy == "PORTFOLIO"]
s = bt["summary"].set_index("name").loc["PORTFOLIO"]
assert np.isclose(-port["drawdown"].min(), s["max_drawdown"], rtol=1e-12, atol=1e-15)
assert np.isclose(port["equity"].iloc[-1] - 1, s["total_return"], rtol=1e-12)
print("ok")
PY
}

case_valgrind() {
    # no leak and no memory error in inspect and diff, on every kind of file
    if ! command -v valgrind >/dev/null; then
        echo "valgrind not installed: skipped"
        exit 77
    fi
    completed_session 2025-12-31 a
    local ha=$h5
    job fault.json 2025-12-31 fault ' "max_retries": 0,'
    fault_run 2 fault 'error:*:2' fault.json
    local hf partial
    hf=$(one fault '*.h5')
    job die.json 2025-12-31 die
    fault_run 2 die 'die:1:3' die.json
    partial=$(one die '*.h5.partial')
    printf 'hello\n' >text.h5
    local vg="valgrind -q --num-callers=30 --leak-check=full --show-leak-kinds=definite,indirect,possible
        --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99"
    local n=0 want args
    while read -r want args; do
        n=$((n + 1))
        timeout 120 $vg "$ALC" $args >"vg-$n.out" 2>"vg-$n.err"
        rc=$?
        expect_rc "$want" "valgrind alchemiser $args"
        hasnt "vg-$n.err" "=="
    done <<EOF
0 inspect $ha
0 inspect $ha --json
0 inspect $hf --json
0 inspect $partial
1 inspect text.h5
1 inspect nope.h5
0 diff $ha $ha --json
1 diff $ha $hf
0 diff $ha $hf --force
1 diff $ha $partial
EOF
}

"case_$CASE"
alc_summary
