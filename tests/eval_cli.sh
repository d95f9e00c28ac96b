#!/bin/sh
# End-to-end checks of `alchemiser eval` and `alchemiser check` (issue 2):
# the JSON line shape, a failing strategy not stopping the others, exit
# statuses, static checks, missing tickers, hostile nesting.
# Usage: eval_cli.sh ALCHEMISER TMPDIR.  Prints "N passed, N failed".
ALC=$1
T=$2
pass=0
fail=0
rm -rf "$T" && mkdir -p "$T" || exit 1

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect() { # expect STATUS CMD...: stdout in $T/out, stderr in $T/err
    want=$1; shift
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    if [ "$got" -eq "$want" ]; then ok; else bad "exit $got (want $want): $*"; cat "$T/err"; fi
}
has() { if grep -qF -- "$2" "$1"; then ok; else bad "'$2' not in $1:"; cat "$1"; fi; }

M=$T/m.h5
"$ALC" data synth --out "$M" --from 2024-01-01 --to 2024-12-31 >/dev/null || bad "synth"
cd "$T" || exit 1
printf '(defsymphony "Good" {}\n  (weight-equal [(asset "SPY") (asset "TLT")]))\n' >good.clj
printf '(defsymphony "Syntax" {}\n  (asset "SPY")\n' >syntax.clj
printf '(defsymphony "Unknown" {}\n  (frobnicate "SPY"))\n' >unknown.clj
printf '(defsymphony "Arity" {}\n  (if (> (rsi "SPY" {:window 10}) 70)))\n' >arity.clj
printf '(defsymphony "NoData" {}\n  (weight-equal [(asset "SPY") (asset "NOPE")]))\n' >nodata.clj
printf '(defsymphony "NoData2" {}\n  (if (> (rsi "NOPE" {:window 10}) 50) [(asset "SPY")] [(asset "TLT")]))\n' >nodata2.clj
python3 -c "print('(' * 100000 + ')' * 100000)" >deep.clj

# check: syntax, unknown operator, arity; tickers only with --market
expect 1 "$ALC" check good.clj syntax.clj unknown.clj arity.clj
has "$T/out" "good.clj: ok"
has "$T/out" "syntax.clj:1:1: Missing closing ')'"
has "$T/out" "unknown.clj:2:3: Unknown DSL function 'frobnicate'"
has "$T/out" "arity.clj:2:3: if needs a condition and a then branch"
expect 0 "$ALC" check good.clj nodata.clj
expect 1 "$ALC" check --market "$M" good.clj nodata.clj
has "$T/out" "nodata.clj:2:39: ticker NOPE is not in the market"
expect 1 "$ALC" check deep.clj
has "$T/out" "deep.clj:1:302: Nesting too deep"

# eval --json: one line per (strategy, date), the issue's keys, errors do
# not stop the others, exit 1 when any failed
expect 1 "$ALC" eval --market "$M" --date 2024-12-31,2024-06-28 --json \
    good.clj syntax.clj nodata.clj nodata2.clj deep.clj good.clj
python3 - "$T/out" <<'PY' && ok || bad "eval --json lines"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert len(lines) == 12, len(lines)
for l in lines:
    for k in ("strategy", "date", "allocation", "error", "eval_ms"):
        assert k in l, (k, l)
    assert isinstance(l["eval_ms"], (int, float)) and l["eval_ms"] >= 0
    assert (l["error"] is None) == (l["allocation"] is not None), l
files = [l["strategy"] for l in lines]
assert files == [f for f in ["good.clj", "syntax.clj", "nodata.clj", "nodata2.clj", "deep.clj", "good.clj"] for _ in (0, 1)], files
assert [l["date"] for l in lines[:2]] == ["2024-12-31", "2024-06-28"]
good = lines[0]
assert good["allocation"] == {"SPY": 0.5, "TLT": 0.5} and good["error"] is None, good
assert lines[-1]["allocation"] == {"SPY": 0.5, "TLT": 0.5}
err = {l["strategy"]: l["error"] for l in lines if l["error"]}
assert err["syntax.clj"].startswith("syntax.clj:1:1: Missing closing"), err
assert "nodata.clj" in err["nodata.clj"] and "NOPE" in err["nodata.clj"], err
assert err["nodata2.clj"].startswith("nodata2.clj:2:10:") and "NOPE" in err["nodata2.clj"], err
assert "Nesting too deep" in err["deep.clj"], err
PY
expect 0 "$ALC" eval --market "$M" --date 2024-12-31 --json good.clj good.clj
[ "$(wc -l <"$T/out")" -eq 2 ] && ok || bad "two lines expected"
expect 0 "$ALC" eval --market "$M" good.clj
has "$T/out" "good.clj @ 2024-12-31"
expect 2 "$ALC" eval good.clj
expect 1 "$ALC" eval --market "$T/none.h5" good.clj

echo "eval_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
