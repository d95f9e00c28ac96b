# tests/lib.sh: what the shell-driven tests share.  Sourced (bash), never
# run, by tests/session_tests.sh, faults_tests.sh, analysis_tests.sh,
# slurm_tests.sh, backtest_tests.sh and market_cli.sh:
#
#   . "$(dirname "$0")/lib.sh"
#
# Sourcing it sets the environment every test runs in (Open MPI settings,
# no stray ALC_* settings) and defines the helpers below; it runs nothing
# else.  The helpers use the caller's variables ALC (the alchemiser binary),
# MPIEXEC, MARKET (write_job), SRC (alc_valgrind_mpi) and CASE (alc_summary).

# ---- environment
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}
export OMPI_MCA_btl_base_warn_component_unused=0
# mpirun waits ~2 s (SIGTERM then SIGKILL) after a rank exits non-zero: the
# failure cases would spend most of their time there.
export OMPI_MCA_odls_base_sigkill_timeout=0
if [ "$(id -u)" -eq 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
unset ALC_LOG_LEVEL ALC_STRATEGIES_DIR ALC_FAULT

# alc_workdir DIR: DIR emptied (made if need be) and made the current folder
alc_workdir() {
    rm -rf "$1" && mkdir -p "$1" || exit 1
    cd "$1" || exit 1
}

# ---- assertions: counted in $pass and $fail; alc_summary reports them
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
check() { # check DESCRIPTION COMMAND...
    local what=$1; shift
    if "$@"; then ok; else bad "$what"; fi
}
has() { # has FILE TEXT
    if grep -qF -- "$2" "$1"; then ok; else bad "'$2' not in $1:"; head -c 3000 "$1"; echo; fi
}
hasnt() { # hasnt FILE TEXT
    if grep -qF -- "$2" "$1"; then bad "'$2' unexpectedly in $1"; head -c 3000 "$1"; echo; else ok; fi
}
# expect_rc WANT PREFIX: $rc is WANT; else PREFIX.err and PREFIX.out, where they exist, are shown
expect_rc() {
    if [ "$rc" -eq "$1" ]; then ok; else bad "$2: exit $rc, want $1"; cat "$2.err" "$2.out" 2>/dev/null; fi
}
# alc_summary: the last command of a test: "CASE: N passed, N failed", status 0 when none failed
alc_summary() {
    echo "$CASE: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
}

# ---- alchemiser under mpirun (120 s at most)
# mpi NP PREFIX COMMAND ARGS... : stdout/stderr to PREFIX.out/.err, status in $rc;
# ALC_FAULT, when set, is passed to every rank
mpi() {
    local np=$1 pre=$2; shift 2
    mpiexec_watched "$pre" 120 --oversubscribe -np "$np" ${ALC_FAULT+-x ALC_FAULT} "$ALC" "$@"
}
# mpiexec_watched PREFIX SECONDS MPIEXEC-ARGS... : mpiexec with those
# arguments, SECONDS at most, stdout/stderr to PREFIX.out/.err, status in $rc.
# Open MPI 4.1.4 / PMIx 4.2.2 (Debian 12) has two teardown bugs after an
# abort, seen about once in 10-20 aborts here: mpiexec segfaults in
# PMIx_server_finalize (exit 139, mpiexec_abort_crash below), or deadlocks
# there for good, every rank already dead and left unreaped.  A watchdog
# kills mpiexec, loudly, only in that second state: every child a zombie for
# 5 s in a row (a live mpiexec reaps its ranks within milliseconds).
mpiexec_watched() {
    mpiexec_start "$@"
    mpiexec_finish "$1"
}
# mpiexec_start PREFIX SECONDS MPIEXEC-ARGS... : the same in the background
# (its launcher's pid in $mpiexec_pid: kill it to stop mpiexec); then
# mpiexec_finish PREFIX waits for it and sets $rc
mpiexec_start() {
    local pre=$1 limit=$2; shift 2
    rm -f "$pre.mpiexec-hung"
    timeout "$limit" "$MPIEXEC" "$@" >"$pre.out" 2>"$pre.err" &
    mpiexec_pid=$!
    mpiexec_watchdog "$mpiexec_pid" "$pre.mpiexec-hung" >/dev/null 2>&1 &
    mpiexec_dog=$!
}
mpiexec_finish() {
    local pre=$1 code
    wait "$mpiexec_pid"
    rc=$?
    kill "$mpiexec_dog" 2>/dev/null
    wait "$mpiexec_dog" 2>/dev/null
    if [ -e "$pre.mpiexec-hung" ]; then
        code=$(rank0_abort_status "$pre.err")
        echo "NOTE: mpiexec deadlocked tearing down after its ranks had all exited (Open MPI bug); killed it (exit $rc)" >&2
        if [ -n "$code" ]; then
            echo "NOTE: taking the status rank 0 gave before its MPI_Abort: $code" >&2
            rc=$code
        fi
    fi
    mpiexec_abort_crash "$pre.err"
    [ "$rc" -eq 0 ] || mpiexec_wait_ranks
}
# mpiexec_wait_ranks: after a failed mpiexec its ranks may still be exiting
# (seen with the ASan build: a killed rank tears down its shadow memory
# before the kernel closes its files, so the snapshot is still locked and
# h5dump cannot open it): wait, 30 s at most, until no alchemiser process
# started in this folder is still alive (a zombie has closed its files)
mpiexec_wait_ranks() {
    local tries=0 p comm state busy
    while [ "$tries" -lt 300 ]; do
        busy=0
        for p in /proc/[0-9]*; do
            read -r comm <"$p/comm" 2>/dev/null || continue
            case "$comm" in alchemiser | memcheck-*) ;; *) continue ;; esac
            [ "$p/cwd" -ef "$PWD" ] || continue
            read -r _ _ state _ <"$p/stat" 2>/dev/null || continue
            [ "$state" = Z ] && continue
            busy=1
            break
        done
        [ "$busy" -eq 0 ] && return 0
        sleep 0.1
        tries=$((tries + 1))
    done
    bad "alchemiser ranks of a failed mpiexec still alive 30 s after it exited"
}
# mpiexec_watchdog PID MARKER: while PID (timeout, whose child is mpiexec)
# lives, watch mpiexec's children; in the deadlock state above, MARKER is
# written and mpiexec killed
mpiexec_watchdog() {
    local launcher=$1 marker=$2 zombie_seconds=0 mpiexec states
    while kill -0 "$launcher" 2>/dev/null; do
        sleep 1
        mpiexec=$(pgrep -P "$launcher" | head -1)
        [ -n "$mpiexec" ] || continue
        states=$(ps -o stat= --ppid "$mpiexec")
        if [ -n "$states" ] && ! grep -qv '^Z' <<<"$states"; then
            zombie_seconds=$((zombie_seconds + 1))
        else
            zombie_seconds=0
        fi
        if [ "$zombie_seconds" -ge 5 ]; then
            : >"$marker"
            kill -KILL "$mpiexec"
            return
        fi
    done
}
# Open MPI 4.1.4 / PMIx 4.2.2 (Debian 12): after an MPI_Abort, mpiexec itself
# now and then segfaults in PMIx_server_finalize while tearing down (exit 139),
# sometimes before it has printed its own MPI_ABORT message.  Rank 0 has said
# its status by then, in its own log line before the abort ("aborting the MPI
# job so that mpirun exits (status N)", src/cli/cmd_run.c).  Only that
# signature is mapped back to N, loudly; any other crash or status stays.
mpiexec_abort_crash() {
    [ "$rc" -eq 139 ] || return 0
    grep -q 'PMIx_server_finalize' "$1" || return 0
    local code
    code=$(rank0_abort_status "$1")
    [ -n "$code" ] || return 0
    echo "NOTE: mpiexec crashed in PMIx_server_finalize after rank 0's MPI_Abort($code) (Open MPI bug); taking status $code" >&2
    rc=$code
}
# rank0_abort_status FILE: N of rank 0's last "aborting the MPI job ... (status N)" line in FILE
rank0_abort_status() {
    sed -n 's/^\[alc r0 WARN\] aborting the MPI job so that mpirun exits (status \([0-9]*\))$/\1/p' "$1" | tail -1
}
# fault NP PREFIX SPEC COMMAND ARGS... : the same with a fault injected (ALC_FAULT=SPEC, worker.c)
fault() {
    local np=$1 pre=$2 spec=$3; shift 3
    ALC_FAULT=$spec mpi "$np" "$pre" "$@"
}
run() { mpi "$1" "$2" run "${@:3}"; }                    # run NP PREFIX ARGS...
fault_run() { fault "$1" "$2" "$3" run "${@:4}"; }       # fault_run NP PREFIX SPEC ARGS...

# alc_valgrind_mpi: sets vg, the valgrind command of the MPI valgrind cases
# (leaks and errors fail with 99; Open MPI's own allocations suppressed:
# tests/valgrind-openmpi.supp); without valgrind the case is skipped (77)
alc_valgrind_mpi() {
    if ! command -v valgrind >/dev/null; then
        echo "valgrind not installed: skipped"
        exit 77
    fi
    vg="valgrind -q --num-callers=50 --leak-check=full --show-leak-kinds=definite,indirect,possible
        --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99
        --suppressions=$SRC/tests/valgrind-openmpi.supp"
    [ -f /usr/share/openmpi/openmpi-valgrind.supp ] &&
        vg="$vg --suppressions=/usr/share/openmpi/openmpi-valgrind.supp"
    return 0
}

# ---- session outputs
# Portfolio files are compared without their line 2, the "session" line,
# which is the only part that changes between runs of the same job (ids,
# times, rank count, batch size): everything else, weights printed with
# %.17g included, must be byte-identical (docs/session.md).
strip_session() { grep -v '^  "session": ' "$1"; }
h5attr() { h5dump -a "/$2" "$1" | sed -n 's/^ *(0): //p' | tr -d '"'; }             # h5attr H5 ATTR
h5rows() { h5dump -H -d "$2" "$1" | sed -n 's/.*SIMPLE { ( \([0-9]*\) ).*/\1/p'; } # h5rows H5 DATASET
counter() { # counter H5 NAME -> value of /metrics/counters row NAME
    h5dump -d /metrics/counters "$1" | tr -d ' \n' | grep -o "\"$2\",[^,]*" | cut -d, -f2
}
nevents() { grep -c "\"event_type\":\"$2\"" "$1"; } # nevents EVENTS TYPE
# session_files DIR: the single finished session in DIR; sets h5, events, portfolio, id
session_files() {
    local d=$1
    h5=$(ls "$d"/*.h5 2>/dev/null | head -1)
    events=${h5%.h5}.events.jsonl
    portfolio=${h5%.h5}.portfolio.json
    id=$(basename "${h5%.h5}")
    check "one snapshot in $d" test "$(ls "$d"/*.h5 2>/dev/null | wc -l)" -eq 1
    check "no .partial left in $d" test "$(ls "$d"/*.partial 2>/dev/null | wc -l)" -eq 0
}

# ---- jobs and strategies
# write_job OUT EXTRA FILE... : job JSON on $MARKET over FILES (relative to the
# job) with equal allocations; EXTRA: more members, e.g. ' "batch_size": 3,'
write_job() {
    local out=$1 extra=$2; shift 2
    awk -v extra="$extra" -v market="$MARKET" 'BEGIN {
        n = ARGC - 1
        printf "{\n  \"market\": \"%s\",%s\n  \"strategies\": [\n", market, extra
        for (i = 1; i <= n; i++)
            printf "    {\"file\": \"%s\", \"allocation\": %.17g}%s\n", ARGV[i], 1.0 / n, i < n ? "," : ""
        printf "  ]\n}\n"
    }' "$@" >"$out"
}
# gen_strategies N: N small generated strategies s/gNNNN.clj over the conformance tickers
gen_strategies() {
    mkdir -p s
    awk -v n="$1" 'BEGIN {
        split("AGG BIL BND BSV DBC EDC GLD IEF KMLM PSQ QLD QQQ SH SHY SLV SOXL SOXS SPXL SPXU SPY SQQQ SVXY TECL TECS TLT TMF TMV TQQQ UGL UPRO UUP UVXY VIXM XLE XLF XLK XLP XLU XLV", t, " ")
        for (i = 0; i < n; i++) {
            f = sprintf("s/g%04d.clj", i)
            a = t[i % 39 + 1]; b = t[(i * 7 + 3) % 39 + 1]; c = t[(i * 11 + 5) % 39 + 1]
            printf "(defsymphony \"generated %d\" {:rebalance-frequency :daily}\n", i > f
            printf "  (weight-equal [(if (> (rsi \"%s\" {:window %d}) 50)\n", a, 5 + i % 20 > f
            printf "    [(weight-equal [(asset \"%s\") (asset \"%s\")])]\n", b, c > f
            printf "    [(asset \"%s\")])]))\n", a > f
            close(f)
        }
    }'
}
