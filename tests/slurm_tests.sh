#!/usr/bin/env bash
# slurm/ scripts on a real one-node Slurm cluster on localhost.
#
#   slurm_tests.sh CASE ALCHEMISER MPIEXEC SOURCE_DIR WORKDIR
#
# CASE: calc     schedule.sh time arithmetic and the scrontab entry (no Slurm)
#       daily    daily.sbatch: COMPLETED, one MPI world of N ranks under srun,
#                portfolio identical to a plain mpirun, project-root discovery
#       fail     exit status follows the session: refused 2, FAILED 1,
#                TIMEOUT 3, missing job 5 -> FAILED Slurm jobs
#       bench    bench.sbatch array over np 1 2 3, result lines, bench-collect
#       schedule schedule.sh on the cluster: --first-now run, next run queued
#                with the right --begin, no duplicate chain
#
# Every case but calc brings a cluster up with slurm/ci/slurm-up.sh (munged,
# slurmctld, slurmd without systemd; 12 CPUs declared) and tears it down by
# PID on exit, also on failure (trap).  One cluster per machine at a time: a
# lock (flock on /tmp/alc-slurm-ci.lock) serialises concurrent runs, also from
# other build trees, and leftovers of an aborted run are stopped first.
#
# Where Slurm cannot be brought up (not root, packages missing and not
# installable) the case says so loudly and exits 77 (ctest: skipped), except
# when CI=true: there it must run, so it fails.
# Prints "N passed, N failed" and exits non-zero on any failure.
set -u
CASE=$1 ALC=$2 MPIEXEC=$3 T=$5
SRC=$(cd "$4" && pwd -P) || exit 1
MARKET=$SRC/tests/conformance/market
CONF=$SRC/tests/conformance/strategies
S=$SRC/slurm
BUILD=$(cd "$(dirname "$ALC")" && pwd -P)
export SLURM_CI_DIR=${ALC_SLURM_CI_DIR:-/tmp/alc-slurm-ci}
export SLURM_CONF=$SLURM_CI_DIR/slurm.conf
WAIT=${ALC_SLURM_WAIT:-120}   # bound for every sbatch --wait
. "$SRC/tests/lib.sh" # environment, assertions, strip_session, write_job...
alc_workdir "$T"
unset ALC_HOME ALC_BIN ALC_BUILD ALC_RESCHEDULE
unset ALC_SCHEDULE_AT ALC_SCHEDULE_TZ ALC_SCHEDULE_DAYS ALC_SCHEDULE_SBATCH ALC_SCHEDULE_NAME
# the submitting environment travels into the jobs: no stray Slurm settings
for v in $(env | sed -n 's/^\(SBATCH_[A-Z_]*\|SLURM_[A-Z_]*\)=.*/\1/p'); do
    case $v in SLURM_CONF | SLURM_CI_*) ;; *) unset "$v" ;; esac
done

# ---------------------------------------------------------------- the cluster
skip_or_fail() {
    echo "========================================================================"
    echo "SLURM NOT AVAILABLE: $*"
    if [ "${CI:-}" = true ]; then
        echo "CI=true: this test must run in CI, failing."
        echo "========================================================================"
        exit 1
    fi
    echo "slurm_$CASE SKIPPED (needs root and the Debian packages slurm-wlm munge)"
    echo "========================================================================"
    exit 77
}

cluster_down() { # keeps the daemons' logs in $T/slurm-log for a post-mortem
    [ -d "$SLURM_CI_DIR/log" ] && rm -rf "$T/slurm-log" && cp -r "$SLURM_CI_DIR/log" "$T/slurm-log"
    bash "$S/ci/slurm-down.sh" >>"$T/slurm-down.log" 2>&1 9>&-
}

cluster_up() {
    [ "$(id -u)" -eq 0 ] || skip_or_fail "not root (uid $(id -u)): cannot start munged, slurmctld, slurmd"
    if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
       ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
        command -v apt-get >/dev/null || skip_or_fail "slurm-wlm/munge not installed and no apt-get"
        echo "slurm-wlm or munge missing: installing them (src/scripts/install-deps.sh does so in CI)"
        export SLURM_CI_INSTALL=1
    fi
    # one cluster per machine: wait for any other run (other build trees too)
    exec 9>/tmp/alc-slurm-ci.lock
    flock -w 200 9 || { bad "could not get /tmp/alc-slurm-ci.lock in 200 s (another run holds it)"; exit 1; }
    cluster_down   # leftovers of an aborted run, by their recorded PIDs
    trap 'cluster_down; echo "$CASE: $pass passed, $fail failed (on signal)"; exit 1' INT TERM
    trap 'cluster_down' EXIT
    # 9>&-: the daemons must not inherit the lock, or an aborted run's
    # leftovers would hold it for ever
    if ! SLURM_CI_CPUS=12 SLURM_CI_MIN_JOB_AGE=5 bash "$S/ci/slurm-up.sh" >slurm-up.log 2>&1 9>&-; then
        cat slurm-up.log
        cluster_down
        skip_or_fail "slurm/ci/slurm-up.sh failed (log above)"
    fi
    cat slurm-up.log
}

# start NAME ARGS...: a timeout-bounded `sbatch --wait ARGS` in the background
# (the jobs of a case run side by side: the node declares 12 CPUs);
# finish NAME: wait for it, job id in $jid, sbatch's status in $rc.
# submit ARGS...: both at once, as NAME "sbatch".
declare -A sbatch_pid
start() {
    local name=$1; shift
    timeout "$WAIT" sbatch --wait "$@" >"$name.sbatch.out" 2>"$name.sbatch.err" 9>&- &
    sbatch_pid[$name]=$!
}
finish() {
    wait "${sbatch_pid[$1]}"
    rc=$?
    jid=$(sed -n 's/^Submitted batch job \([0-9]*\).*/\1/p' "$1.sbatch.out")
    [ "$rc" -ne 124 ] || bad "$1: sbatch --wait still waiting after $WAIT s"
    [ -n "$jid" ] || { bad "$1: no job id from sbatch"; cat "$1.sbatch.err"; }
}
submit() { start sbatch "$@"; finish sbatch; }
# job_state ID: JobState of a finished job (an array: its last task) from the completion
# log (it outlives the job records that MinJobAge purges)
job_state() {
    local log=$SLURM_CI_DIR/log/jobcomp.log
    for _ in $(seq 50); do   # the log line may trail sbatch's return slightly
        if grep -q "^JobId=$1 " "$log" 2>/dev/null; then break; fi
        sleep 0.1
    done
    sed -n "s/^JobId=$1 .* JobState=\([A-Z_]*\) .*/\1/p" "$log" | tail -n 1
}
job_exit() { sed -n "s/^JobId=$1 .* ExitCode=\([0-9:]*\) .*/\1/p" "$SLURM_CI_DIR/log/jobcomp.log" | tail -n 1; }
expect_job() { # expect_job WHAT STATE EXITCODE : the job $jid and sbatch's $rc
    local want_rc=${3%%:*}
    check "$1: sbatch --wait exit $rc, want $want_rc" test "$rc" -eq "$want_rc"
    local st ec
    st=$(job_state "$jid") ec=$(job_exit "$jid")
    check "$1: job $jid state '$st', want $2" test "$st" = "$2"
    check "$1: job $jid ExitCode '$ec', want $3" test "$ec" = "$3"
}

small_job() { # 40 conformance strategies, batches of 3
    mkdir -p s
    cp "$CONF"/c00*.clj "$CONF"/c0[1-3]*.clj s/
    write_job job.json ' "as_of": "2025-12-31", "batch_size": 3, "output_dir": "out",' s/*.clj
}
mpirun_ref() { # the same job under a plain mpirun: ref.json
    timeout 120 "$MPIEXEC" --oversubscribe -np 2 "$ALC" run job.json --out ref >ref.out 2>ref.err 9>&-
    check "plain mpirun COMPLETED" test $? -eq 0
    strip_session "$(ls ref/*.portfolio.json | head -1)" >ref.json
}
one_session() { # one_session DIR: exactly one finished session there; sets $portfolio
    check "one snapshot in $1" test "$(ls "$1"/*.h5 2>/dev/null | wc -l)" -eq 1
    check "no .partial in $1" test "$(ls "$1"/*.partial 2>/dev/null | wc -l)" -eq 0
    portfolio=$(ls "$1"/*.portfolio.json 2>/dev/null | head -1)
    check "a portfolio in $1" test -s "$portfolio"
}

# ------------------------------------------------------------------------ cases
case_calc() {
    if [ ! -f /usr/share/zoneinfo/America/New_York ] || [ ! -f /usr/share/zoneinfo/Asia/Tokyo ]; then
        echo "========================================================================"
        echo "NO TIME ZONE DATA (/usr/share/zoneinfo): schedule.sh cannot compute New York time"
        [ "${CI:-}" = true ] && { echo "CI=true: failing (install-deps.sh installs tzdata in CI)"; exit 1; }
        echo "slurm_calc SKIPPED (needs the Debian package tzdata)"
        echo "========================================================================"
        exit 77
    fi
    # schedule.sh --print/--due at fixed instants: weekdays, weekend, DST
    next_at() { bash "$S/schedule.sh" --print --now "$(date -d "$1" +%s)" | sed -n 's/^next run: \(.*\) = .*/\1/p'; }
    check "Fri after the run -> Mon (DST starts Sun 8 Mar)" test "$(next_at '2026-03-06 15:00 UTC')" = "Mon 2026-03-09 09:35 EDT"
    check "Sat -> Mon" test "$(next_at '2026-03-07 10:00 UTC')" = "Mon 2026-03-09 09:35 EDT"
    check "a minute before -> same day" test "$(next_at '2026-03-09 13:34 UTC')" = "Mon 2026-03-09 09:35 EDT"
    check "at the time -> next day" test "$(next_at '2026-03-09 13:35 UTC')" = "Tue 2026-03-10 09:35 EDT"
    check "Fri before DST ends -> Mon EST" test "$(next_at '2026-10-30 23:59 UTC')" = "Mon 2026-11-02 09:35 EST"
    check "winter morning" test "$(next_at '2026-12-01 07:00 UTC')" = "Tue 2026-12-01 09:35 EST"
    # the --begin value is that instant in the submitter's local time
    local b
    b=$(TZ=Asia/Tokyo bash "$S/schedule.sh" --print --now "$(date -d '2026-12-01 07:00 UTC' +%s)" | sed -n 's/.*--begin=\([^ ]*\).*/\1/p')
    check "--begin in local time (Tokyo: 23:35), got '$b'" test "$b" = 2026-12-01T23:35:00
    due() { bash "$S/schedule.sh" --due --now "$(date -d "$1" +%s)"; }
    check "due 13:35 UTC in summer" due '2026-03-09 13:35 UTC'
    check "not due 14:35 UTC in summer" test "$(due '2026-03-09 14:35 UTC'; echo $?)" = 1
    check "due 14:35 UTC in winter" due '2026-12-01 14:35 UTC'
    check "not due 13:35 UTC in winter" test "$(due '2026-12-01 13:35 UTC'; echo $?)" = 1
    check "not due on Saturday" test "$(due '2026-03-07 14:40 UTC'; echo $?)" = 1
    bash "$S/schedule.sh" --run-if-due --now "$(date -d '2026-12-01 13:35 UTC' +%s)" >notdue.out
    check "--run-if-due when not due exits 0" test $? -eq 0
    has notdue.out "not due"
    bash "$S/schedule.sh" --print --at 25:00 >/dev/null 2>bad.err
    check "--at 25:00 refused (2)" test $? -eq 2
    bash "$S/schedule.sh" --print --tz Mars/Olympus >/dev/null 2>bad.err
    check "unknown zone refused (2)" test $? -eq 2
    # the scrontab file: entry (A) 09:35 on weekdays, entry (B) at both UTC
    # offsets through --run-if-due, each with its #SCRON options
    local f=$S/daily.scrontab
    check "scrontab (A): 35 9 * * 1-5 daily.sbatch" \
        grep -Eq '^35 9 \* \* 1-5 ALC_HOME=[^ ]+ [^ ]+/slurm/daily\.sbatch [^ ]+/jobs/daily\.json$' "$f"
    check "scrontab (B): 35 13,14 * * 1-5 schedule.sh --run-if-due" \
        grep -Eq '^#35 13,14 \* \* 1-5 ALC_HOME=[^ ]+ [^ ]+/slurm/schedule\.sh --run-if-due ' "$f"
    check "scrontab: exactly one active entry" test "$(grep -cv '^#\|^$' "$f")" = 1
    check "scrontab: #SCRON --ntasks" grep -q '^#SCRON --ntasks=' "$f"
    check "scrontab: no % in a command line (cron would split it)" \
        test "$(grep -Ev '^#SCRON|^##SCRON' "$f" | grep -E '^#?[0-9]' | grep -c %)" = 0
    for x in daily.sbatch bench.sbatch schedule.sh bench-collect.sh ci/slurm-up.sh ci/slurm-down.sh; do
        check "slurm/$x executable" test -x "$S/$x"
        check "slurm/$x parses (bash -n)" bash -n "$S/$x"
    done
}

case_daily() {
    cluster_up
    small_job
    # 3 ranks under srun --mpi=pmix, submitted from outside the project;
    # extra arguments reach alchemiser run, ALC_HOME explicit; root discovery
    # without ALC_HOME/ALC_BIN (from `scontrol show job`'s Command=) when this
    # build is the project's own build/.  The three jobs run side by side.
    start three -n 3 --export=ALL,ALC_BIN="$ALC" "$S/daily.sbatch" job.json
    start static -n 2 --export=ALL,ALC_HOME="$SRC",ALC_BIN="$ALC" "$S/daily.sbatch" job.json --out out2 --scheduling static
    local own=0
    if [ "$(realpath "$SRC/build/alchemiser" 2>/dev/null)" = "$(realpath "$ALC")" ]; then
        own=1
        start found -n 2 "$S/daily.sbatch" job.json --out out3
    fi
    mpirun_ref

    finish three
    expect_job daily COMPLETED 0:0
    check "output file alc-daily-$jid.out" test -s "alc-daily-$jid.out"
    check "error file alc-daily-$jid.err" test -s "alc-daily-$jid.err"
    has "alc-daily-$jid.out" "COMPLETED"
    has "alc-daily-$jid.err" "session exit 0: COMPLETED"
    has "alc-daily-$jid.err" "on 3 tasks (srun --mpi=pmix), root $SRC"
    one_session out
    # one MPI world of 3 ranks, not 3 singleton sessions
    check "n_ranks 3 recorded" grep -q '^  "session": {.*"n_ranks": 3,' "$portfolio"
    has "$portfolio" '"status": "COMPLETED"'
    check "portfolio under Slurm identical to plain mpirun" cmp -s ref.json <(strip_session "$portfolio")

    finish static
    expect_job "daily static" COMPLETED 0:0
    one_session out2
    check "static recorded" grep -q '"scheduling": "static"' "$portfolio"
    check "static portfolio identical" cmp -s ref.json <(strip_session "$portfolio")

    if [ "$own" = 1 ]; then
        finish found
        expect_job "daily, root discovered" COMPLETED 0:0
        has "alc-daily-$jid.err" "root $SRC"
        one_session out3
        check "portfolio identical" cmp -s ref.json <(strip_session "$portfolio")
    else
        echo "note: $ALC is not $SRC/build/alchemiser: root discovery not exercised"
    fi
}

case_fail() {
    cluster_up
    small_job
    # allocations not summing to 1: refused, exit 2, no session
    sed 's/"allocation": [0-9.e-]*}$/"allocation": 0.5}/' job.json >sum.json
    start sum -n 2 --export=ALL,ALC_BIN="$ALC" "$S/daily.sbatch" sum.json --out sum
    # an injected batch failure without retries: FAILED, exit 1
    sed 's/"batch_size": 3,/"batch_size": 3, "max_retries": 0,/' job.json >noretry.json
    start failed -n 3 --export=ALL,ALC_BIN="$ALC",ALC_FAULT='error:*:2' "$S/daily.sbatch" noretry.json --out failed
    # a hung worker: the session ends TIMEOUT itself, exit 3, srun exits
    sed 's/"batch_size": 3,/"batch_size": 3, "timeout_seconds": 2,/' job.json >hang.json
    start hang -n 3 --export=ALL,ALC_BIN="$ALC",ALC_FAULT='hang:1:*' "$S/daily.sbatch" hang.json --out hang --scheduling static
    # no such job file: the script's own error, exit 5
    start nojob -n 1 --export=ALL,ALC_BIN="$ALC" "$S/daily.sbatch" nope.json

    finish sum
    expect_job "refused job" FAILED 2:0
    has "alc-daily-$jid.err" "allocations sum to"
    has "alc-daily-$jid.err" "session exit 2"
    check "no session for the refused job" test ! -e sum
    finish failed
    expect_job "failed session" FAILED 1:0
    one_session failed
    has "$portfolio" '"status": "FAILED"'
    has "alc-daily-$jid.err" "session exit 1: FAILED"
    finish hang
    expect_job "timed-out session" FAILED 3:0
    one_session hang
    has "$portfolio" '"status": "TIMEOUT"'
    finish nojob
    expect_job "missing job file" FAILED 5:0
    has "alc-daily-$jid.err" "job file 'nope.json' not found"
}

case_bench() {
    cluster_up
    "$ALC" data synth --out market.h5 >/dev/null 2>&1
    check "synthetic market" test -s market.h5
    submit --array=0-2 --export=ALL,ALC_BUILD="$BUILD" "$S/bench.sbatch" \
        --nps "1 2 3" --strategies 60 --mix small --market market.h5 --results res/bench.jsonl
    expect_job "bench array" COMPLETED 0:0
    local r=res/bench.jsonl
    check "3 result lines" test "$(wc -l <"$r" 2>/dev/null)" = 3
    for np in 1 2 3; do
        check "np $np line" grep -Eq "^\{\"bench\": \"session_scaling\", \"array_job\": \"$jid\", \"task\": $((np - 1)), \"np\": $np, \"strategies\": 60, .*\"exit\": 0, \"status\": \"COMPLETED\", \"wall_s\": [0-9.]+, \"session_s\": [0-9.e-]+, \"strategies_per_s\": [0-9.]+, \"portfolio_sha256\": \"[0-9a-f]{64}\"" "$r"
        check "np $np: log files alc-bench-${jid}_$((np - 1)).{out,err}" test -f "alc-bench-${jid}_$((np - 1)).err"
    done
    check "one portfolio hash for every np" test "$(grep -o '"portfolio_sha256": "[0-9a-f]*"' "$r" | sort -u | wc -l)" = 1
    check "each array task a job of its own" test "$(grep -o '"slurm_job": "[0-9]*"' "$r" | sort -u | wc -l)" = 3
    bash "$S/bench-collect.sh" "$r" >collect.out 2>collect.err
    check "bench-collect exit 0" test $? -eq 0
    cat collect.out
    has collect.out "portfolio identical for every np"
    check "collect: 3 rows" test "$(grep -Ec '^ +[123] +60 ' collect.out)" = 3
    # bench-collect catches a differing portfolio
    sed '2s/"portfolio_sha256": "./"portfolio_sha256": "x/' "$r" >doctored.jsonl
    bash "$S/bench-collect.sh" doctored.jsonl >/dev/null 2>doctored.err
    check "bench-collect fails on differing portfolios" test $? -eq 1
    has doctored.err "different portfolios"
    # a rank count above the allocation is refused
    submit --array=0 -n 1 --export=ALL,ALC_BUILD="$BUILD" "$S/bench.sbatch" --nps 2 --strategies 10 \
        --market market.h5 --results res/over.jsonl
    check "np above the allocation: exit 5" test "$rc" -eq 5
    has "alc-bench-${jid}_0.err" "submit with --ntasks >= the largest"
}

case_schedule() {
    cluster_up
    small_job
    # the first run at once, the chain queues the next one at 09:35 New York
    ALC_BIN=$ALC bash "$S/schedule.sh" --first-now job.json -- -n 2 --output=sched-%j.out --error=sched-%j.err >first.out 2>&1 9>&-
    check "schedule.sh --first-now exit 0" test $? -eq 0
    cat first.out
    local first
    first=$(sed -n 's/^schedule.sh: job \([0-9]*\) starts now.*/\1/p' first.out)
    check "first job id" test -n "$first"
    local st="" t0=$SECONDS
    while [ $((SECONDS - t0)) -lt "$WAIT" ]; do
        st=$(grep "^JobId=$first " "$SLURM_CI_DIR/log/jobcomp.log" 2>/dev/null | sed -n 's/.* JobState=\([A-Z_]*\) .*/\1/p')
        [ -n "$st" ] && break
        sleep 0.5
    done
    check "first run COMPLETED (got '$st')" test "$st" = COMPLETED
    one_session out
    has "sched-$first.err" "session exit 0: COMPLETED"
    local pend
    pend=$(squeue -h --name=alc-daily -t PENDING -o %i)
    check "the next run is queued (got '$pend')" test -n "$pend" -a "$(echo "$pend" | wc -l)" = 1
    local want got reason
    want=$(bash "$S/schedule.sh" --print | sed -n 's/.*--begin=\([^ ]*\).*/\1/p')
    got=$(scontrol show job -o "$pend" | sed -n 's/.* EligibleTime=\([^ ]*\).*/\1/p')
    reason=$(squeue -h -j "$pend" -o %r)
    check "next run begins at $want (got '$got')" test "$got" = "$want"
    check "pending for BeginTime (got '$reason')" test "$reason" = BeginTime
    check "next run keeps the options (-n 2)" test "$(squeue -h -j "$pend" -o %D:%C)" = 1:2
    check "next run is daily.sbatch on the job" \
        test "$(scontrol show job -o "$pend" | sed -n 's/.* Command=\([^ ]*\).*/\1/p')" = "$S/daily.sbatch"
    # no second chain
    bash "$S/schedule.sh" job.json >again.out 2>&1 9>&-
    has again.out "already pending as job $pend"
    check "still one pending run" test "$(squeue -h --name=alc-daily -t PENDING | wc -l)" = 1
    scancel "$pend"
}

"case_$CASE"
alc_summary
