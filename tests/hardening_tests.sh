#!/usr/bin/env bash
# Hardening, end to end through the alchemiser executable (docs/hardening.md).
#
#   hardening_tests.sh CASE ALCHEMISER MPIEXEC SOURCE_DIR WORKDIR
#
# CASE:
#   cli        hostile strategy, CSV and job files: exit status and
#              file:line:col messages; BOM/CRLF; the path rules of a job
#              (market folder symlinks, output folder relative to the job)
#   valgrind   valgrind memcheck, no leak and no invalid access in our code:
#              data synth/import/info, eval, check (no MPI), backtest under
#              mpirun -np 2 (`run` at np 1 and 2 is session_valgrind)
# Prints "N passed, N failed" and exits non-zero on any failure.
set -u
CASE=$1 ALC=$2 MPIEXEC=$3 SRC=$4 T=$5
CONF=$SRC/tests/conformance
pass=0
fail=0
rm -rf "$T" && mkdir -p "$T" || exit 1
cd "$T" || exit 1
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1} OMPI_MCA_odls_base_sigkill_timeout=0
export OMPI_MCA_btl_base_warn_component_unused=0
if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
unset ALC_LOG_LEVEL ALC_STRATEGIES_DIR

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
# expect STATUS CMD... : run with a timeout, output in out/err
expect() {
    local want=$1; shift
    timeout 300 "$@" >out 2>err
    local got=$?
    if [ "$got" -eq "$want" ]; then ok; else bad "exit $got (want $want): $*"; head -c 3000 err out; fi
}
has() { # has FILE TEXT
    if grep -qF -- "$2" "$1"; then ok; else bad "'$2' not in $1:"; head -c 3000 "$1"; echo; fi
}
hasnt() {
    if grep -qF -- "$2" "$1"; then bad "'$2' in $1"; else ok; fi
}

case_cli() {
    # --- strategies: limits and encodings, via check and eval
    mkdir -p s
    "$ALC" data synth --out m.h5 --from 2024-01-02 --to 2024-12-31 >/dev/null || bad "synth"
    python3 - <<'PY' || bad "generating files"
# root list at depth 0, 298 vectors, the asset list at 299, its atoms at 300
open("s/deep.clj", "w").write("(weight-equal " + "[" * 298 + "(asset \"SPY\")" + "]" * 298 + ")")
open("s/big.clj", "w").write("(asset \"SPY\")" + " " * (10 * 1024 * 1024))
open("s/longstr.clj", "w").write("(defsymphony\n \"" + "n" * 65537 + "\" {} (asset \"SPY\"))")
open("s/bom.clj", "wb").write(b"\xef\xbb\xbf(asset \"SPY\")\n")
open("s/crlf.clj", "wb").write(b"(defsymphony \"crlf\" {}\r\n  (weight-equal [(asset \"SPY\") (asset \"TLT\")]))\r\n")
open("s/lf.clj", "wb").write(b"(defsymphony \"crlf\" {}\n  (weight-equal [(asset \"SPY\") (asset \"TLT\")]))\n")
open("s/w0.clj", "w").write("(if (> (rsi \"SPY\" {:window 0}) 50)\n  (asset \"SPY\") (asset \"BIL\"))")
open("s/wbig.clj", "w").write("(if (= (cumulative-return \"SPY\" {:window 99999999999999999999}) 0) (asset \"SPY\") (asset \"BIL\"))")
open("s/num.clj", "w").write("(weight-specified " + "9" * 128 + " (asset \"SPY\"))")
PY
    # one more level: the atom `asset` at depth 301 is refused, at its position
    printf '(weight-equal %s(asset "SPY")%s)' "$(printf '[%.0s' $(seq 299))" "$(printf ']%.0s' $(seq 299))" >s/deep301.clj
    expect 0 "$ALC" check --market m.h5 s/deep.clj
    expect 1 "$ALC" check s/deep301.clj
    has out "s/deep301.clj:1:315: Nesting too deep: the limit is 300 levels"
    expect 1 "$ALC" check s/big.clj
    has out "s/big.clj: strategy file is larger than the 10 MiB limit"
    expect 1 "$ALC" check s/longstr.clj
    has out "s/longstr.clj:2:2: string literal of 65537 bytes; the limit is 65536"
    expect 1 "$ALC" check s/num.clj
    has out "s/num.clj:1:19: Number literal too long"
    expect 1 "$ALC" check s/bom.clj
    has out "s/bom.clj:1:1: Unexpected character: a UTF-8 byte order mark (BOM)"
    expect 0 "$ALC" eval --market m.h5 --date 2024-12-31 --json s/crlf.clj
    sed 's/"strategy": "[^"]*"//; s/"eval_ms": [0-9.]*//' out >crlf.out
    expect 0 "$ALC" eval --market m.h5 --date 2024-12-31 --json s/lf.clj
    sed 's/"strategy": "[^"]*"//; s/"eval_ms": [0-9.]*//' out >lf.out
    if cmp -s crlf.out lf.out; then ok; else bad "CRLF and LF strategies differ"; cat crlf.out lf.out; fi
    expect 1 "$ALC" eval --market m.h5 --date 2024-12-31 --json s/w0.clj
    has out "s/w0.clj:1:8: rsi: window must be positive"
    expect 0 "$ALC" eval --market m.h5 --date 2024-12-31 --json s/wbig.clj
    has out '"allocation": {"SPY": 1}'

    # --- CSV market folders: BOM + CRLF accepted, lone CR, NaN, symlinks out
    mkdir -p csv bad secret
    printf '\357\273\277date,open,high,low,close,volume\r\n2024-01-02,1,2,0.5,1.5,100\r\n2024-01-03,1.5,2,1,1.75,10\r\n' >csv/SPY.csv
    expect 0 "$ALC" data import csv m2.h5
    expect 0 "$ALC" data info m2.h5
    has out "SPY"
    printf 'date,open,high,low,close,volume\n2024-01-02,1,2,0.5,nan,100\n' >bad/SPY.csv
    expect 1 "$ALC" data import bad m3.h5
    has err "bad/SPY.csv:2:"
    has err "close is not a finite number"
    printf 'date,open,high,low,close,volume\r2024-01-02,1,2,0.5,1,100\n' >bad/SPY.csv
    expect 1 "$ALC" data import bad m3.h5
    has err "carriage return inside a line"
    printf 'date,open,high,low,close,volume\n2024-01-02,1,2,0.5,1,100\n' >secret/data.txt
    ln -s ../secret/data.txt csv/TLT.csv
    expect 1 "$ALC" data import csv m3.h5
    has err "outside the market folder"
    test ! -e m3.h5 && ok || bad "m3.h5 written after a failed import"
    # a FIFO or a device is no market (reading would block or never end)
    mkfifo fifo
    expect 1 "$ALC" eval --market fifo --date 2024-12-31 s/lf.clj
    has err "neither a regular file nor a folder"
    expect 1 "$ALC" eval --market /dev/zero --date 2024-12-31 s/lf.clj
    has err "neither a regular file nor a folder"

    # --- job files: BOM + CRLF accepted; duplicate key, NUL escape refused;
    # a CSV market folder with a symlink out; output folder relative to the job
    mkdir -p jobs/sub strategies
    cp s/lf.clj jobs/a.clj
    printf '\357\273\277{"market": "../m.h5",\r\n "output_dir": "sub/../out",\r\n "strategies": [{"file": "a.clj", "allocation": 1}]}\r\n' >jobs/bom.json
    expect 0 "$MPIEXEC" --oversubscribe -np 1 "$ALC" run jobs/bom.json
    has out "COMPLETED"
    if [ "$(ls jobs/out/*.portfolio.json 2>/dev/null | wc -l)" -eq 1 ]; then ok; else bad "no portfolio in jobs/out"; ls -R jobs; fi
    test ! -d out && ok || bad "output written outside the job's output folder"
    printf '{"market": "../m.h5", "market": "../csv", "strategies": [{"file": "a.clj", "allocation": 1}]}' >jobs/dup.json
    expect 2 "$MPIEXEC" --oversubscribe -np 1 "$ALC" run jobs/dup.json
    has err 'duplicate key "market"'
    printf '{"market": "../m.h5",\n "strategies": [{"file": "a.clj\\u0000/../../secret/data.txt", "allocation": 1}]}' >jobs/nul.json
    expect 2 "$MPIEXEC" --oversubscribe -np 1 "$ALC" run jobs/nul.json
    has err "jobs/nul.json:2:32:"
    has err "NUL character"
    printf '{"market": "../csv", "strategies": [{"file": "a.clj", "allocation": 1}]}' >jobs/csvlink.json
    expect 2 "$MPIEXEC" --oversubscribe -np 1 "$ALC" run jobs/csvlink.json
    has err "outside the market folder"
    hasnt out "COMPLETED"
}

case_valgrind() {
    if ! command -v valgrind >/dev/null; then
        echo "valgrind not installed (src/scripts/install-deps.sh installs it)"
        exit 1
    fi
    local vg="valgrind -q --num-callers=50 --leak-check=full --show-leak-kinds=definite,indirect,possible
        --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99
        --suppressions=$SRC/tests/valgrind-openmpi.supp"
    [ -f /usr/share/openmpi/openmpi-valgrind.supp ] &&
        vg="$vg --suppressions=/usr/share/openmpi/openmpi-valgrind.supp"
    # no MPI: eval (success and failures), check, data import / info
    expect 0 $vg "$ALC" data synth --out synth.h5 --from 2024-01-02 --to 2025-12-31
    expect 0 $vg "$ALC" eval --market synth.h5 --date 2025-12-31 --json "$SRC"/strategies/*.clj
    expect 0 $vg "$ALC" eval --market "$CONF/market" --date 2025-12-31 --json "$CONF"/strategies/c00[0-4].clj
    expect 1 $vg "$ALC" eval --market "$CONF/market" --date 2025-12-31 --json "$CONF/strategies/c046.clj"
    printf '(asset "SPY"' >broken.clj
    expect 1 $vg "$ALC" check --market "$CONF/market" broken.clj "$SRC/strategies/spy_buy_and_hold.clj"
    expect 0 $vg "$ALC" data import "$CONF/market" m.h5
    expect 0 $vg "$ALC" data info m.h5
    # backtest over MPI: np 2 runs both the coordinator (which evaluates too)
    # and a worker; np 1 (the coordinator alone) would add 6 s
    printf '{"market": "%s/market", "output_dir": "bt", "strategies": [{"file": "c000.clj", "allocation": 0.5}, {"file": "c046.clj", "allocation": 0.5}]}\n' \
        "$CONF" >bt.json
    for np in 2; do
        expect 0 "$MPIEXEC" --oversubscribe -np "$np" $vg "$ALC" backtest --strategies "$CONF/strategies" bt.json \
            --from 2025-12-01 --to 2025-12-31 --no-progress
    done
}

"case_$CASE"
echo "$CASE: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
