#!/usr/bin/env bash
# MPI signal session, end to end under a real mpirun.
#
#   session_tests.sh CASE ALCHEMISER MPIEXEC SOURCE_DIR WORKDIR
#
# CASE: determinism | hundred | thousand | errors | timeout | daily | faults | valgrind
# Prints "N passed, N failed" and exits non-zero on any failure.
#
# Portfolio files are compared without their line 2, the "session" line,
# which is the only part that changes between runs of the same job (ids,
# times, rank count, batch size): everything else, weights printed with
# %.17g included, must be byte-identical (docs/session.md).
set -u
CASE=$1 ALC=$2 MPIEXEC=$3 SRC=$4 T=$5
MARKET=$SRC/tests/conformance/market
CONF=$SRC/tests/conformance/strategies
. "$SRC/tests/lib.sh" # environment, assertions, run, strip_session, write_job, gen_strategies...
alc_workdir "$T"
rankrow() { # rankrow H5 RANK -> rank,batches,strategies,eval_ms,bytes_sent,max_rss_kb
    h5dump -d /metrics/ranks "$1" | tr -d ' \n' | grep -o "($2):{[^}]*}" | sed 's/.*{//; s/}//'
}
fge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 >= b + 0) }'; } # float a >= b

case_determinism() {
    # 120 conformance strategies (c046 and c119 fail at 2025-12-31 by design),
    # unequal allocations so that sums are not trivially exact.
    mkdir -p s
    for f in "$CONF"/c0*.clj "$CONF"/c1[01]*.clj "$CONF"/c12[01].clj; do
        case $f in *c046.clj | *c119.clj) continue ;; esac
        cp "$f" s/
    done
    check "120 strategies copied" test "$(ls s | wc -l)" -eq 120
    ls s/*.clj | awk -v market="$MARKET" '{ f[NR] = $0 } END {
        for (i = 1; i <= NR; i++) { w[i] = (i % 7) + 1; s += w[i] }
        printf "{\n  \"market\": \"%s\",\n  \"as_of\": \"2025-12-31\",\n  \"strategies\": [\n", market
        for (i = 1; i <= NR; i++)
            printf "    {\"file\": \"%s\", \"allocation\": %.17g}%s\n", f[i], w[i] / s, i < NR ? "," : ""
        printf "  ]\n}\n"
    }' >job.json
    local ref=""
    for np in 1 2 3 4; do
        for bs in 1 3 10; do
            run "$np" "run-$np-$bs" job.json --batch-size "$bs" --out "o-$np-$bs"
            expect_rc 0 "run-$np-$bs"
            session_files "o-$np-$bs"
            strip_session "$portfolio" >"p-$np-$bs.json"
            if [ -z "$ref" ]; then
                ref=p-$np-$bs.json
                has "$ref" '"status": "COMPLETED"'
            else
                check "np=$np batch=$bs portfolio identical to $ref" cmp -s "$ref" "p-$np-$bs.json"
            fi
        done
    done
    for np in 2 3; do
        run "$np" "static-$np" job.json --batch-size 3 --scheduling static --out "s-$np"
        expect_rc 0 "static-$np"
        session_files "s-$np"
        check "static np=$np: scheduling recorded" test "$(h5attr "$h5" scheduling)" = static
        strip_session "$portfolio" >"ps-$np.json"
        check "static np=$np identical to dynamic" cmp -s "$ref" "ps-$np.json"
    done
    # the stdout table and output paths
    has run-2-3.out "COMPLETED"
    has run-2-3.out "TOTAL"
    has run-2-3.out "Portfolio: o-2-3/sess-"
}

case_hundred() {
    gen_strategies 100
    write_job job.json ' "batch_size": 10, "output_dir": "out",' s/g*.clj
    run 3 run job.json
    expect_rc 0 run
    session_files out
    check "status COMPLETED" test "$(h5attr "$h5" status)" = COMPLETED
    check "expected_batches 10" test "$(h5attr "$h5" expected_batches)" = 10
    check "completed_batches 10" test "$(h5attr "$h5" completed_batches)" = 10
    check "100 strategy results" test "$(h5rows "$h5" /strategies)" = 100
    check "100 ok" test "$(h5dump -d /strategies "$h5" | grep -c '^ *"ok",$')" = 100
    local groups total=0
    groups=$(h5dump -n "$h5" | grep -c ' group *\/batches\/batch-[0-9]*-of-10$')
    check "10 batch groups" test "$groups" = 10
    for i in $(seq 1 10); do
        total=$((total + $(h5rows "$h5" "/batches/batch-$i-of-10/signals")))
    done
    check "100 signals over the batch groups (none lost)" test "$total" = 100
    # /job/strategies sha256: each file's hash, computed where it was evaluated
    h5dump -d /job/strategies "$h5" | grep -o '"[0-9a-f]\{64\}"' | tr -d '"' >hashes.txt
    sha256sum s/g*.clj | cut -c1-64 >want.txt
    check "/job/strategies holds every strategy's sha256, in job order" cmp -s hashes.txt want.txt
    check "10 requested events" test "$(nevents "$events" StrategyBatchRequested)" = 10
    check "10 partial events" test "$(nevents "$events" PartialSignalGenerated)" = 10
    check "1 aggregation event" test "$(nevents "$events" AggregationCompleted)" = 1
    # dynamic order: the largest batch first (bytes of its strategy files),
    # ties in index order
    local b sizes=""
    for b in 0 1 2 3 4 5 6 7 8 9; do
        sizes="$sizes$(stat -c %s $(printf "s/g%04d.clj " $(seq $((b * 10)) $((b * 10 + 9)))) |
            awk -v b=$((b + 1)) '{ n += $1 } END { print n, b }')
"
    done
    printf "%s" "$sizes" | sort -k1,1nr -k2,2n | cut -d' ' -f2 >order-want.txt
    grep '"event_type":"StrategyBatchRequested"' "$events" |
        sed 's/.*"batch_number":\([0-9]*\).*/\1/' >order-got.txt
    check "batches requested largest first" cmp -s order-want.txt order-got.txt
    check "that order is not the index order (so the check above can fail)" \
        test "$(tr '\n' ' ' <order-want.txt)" != "1 2 3 4 5 6 7 8 9 10 "
    check "1 signal event" test "$(nevents "$events" SignalGenerated)" = 1
    check "batches_received 10" test "$(counter "$h5" batches_received)" = 10
    check "duplicates 0" test "$(counter "$h5" duplicates_ignored)" = 0
    check "portfolio table" test "$(h5rows "$h5" /portfolio)" -gt 0
    check "/attribution ticker: a fixed-length string" \
        test "$(h5dump -H -d /attribution "$h5" | grep -c 'STRSIZE [0-9]')" = 1
    check "/attribution: one row per strategy and ticker held" \
        test "$(h5rows "$h5" /attribution)" = "$(h5dump -d /strategies "$h5" | tr -d ' \n' | grep -o ',"ok","",[^,]*,"[^"]*",[0-9]*,[0-9]*' | awk -F, '{ n += $NF } END { print n }')"
    has "$portfolio" '"status": "COMPLETED"'
    # every event line carries the envelope
    check "event envelope" test "$(grep -c '"event_id":"evt-.*"schema_version":1,"timestamp":".*"session_id":"sess-.*"correlation_id":"corr-.*"causation_id":".*"payload":{' "$events")" = 22
    # phase durations (docs/session.md) add up
    local k
    for k in job_seconds market_seconds setup_seconds dispatch_seconds snapshot_batches_seconds \
        stop_seconds aggregate_seconds output_seconds total_seconds; do
        check "counter $k" test -n "$(counter "$h5" $k)"
    done
    check "dispatch > 0" fge "$(counter "$h5" dispatch_seconds)" 0.000001
    check "total >= setup + dispatch" fge "$(counter "$h5" total_seconds)" \
        "$(awk -v a="$(counter "$h5" setup_seconds)" -v b="$(counter "$h5" dispatch_seconds)" 'BEGIN { print a + b }')"
    check "dispatch >= snapshot_batches" fge "$(counter "$h5" dispatch_seconds)" "$(counter "$h5" snapshot_batches_seconds)"
    check "setup >= job + market" fge "$(counter "$h5" setup_seconds)" \
        "$(awk -v a="$(counter "$h5" job_seconds)" -v b="$(counter "$h5" market_seconds)" 'BEGIN { print a + b }')"
    # per-rank peak memory, and rank 0 evaluates too in dynamic mode
    local r row batches=0
    for r in 0 1 2; do
        row=$(rankrow "$h5" $r)
        check "rank $r row" test -n "$row"
        batches=$((batches + $(echo "$row" | cut -d, -f2)))
        if [ "$(echo "$row" | cut -d, -f2)" -gt 0 ] || [ "$r" = 0 ]; then
            check "rank $r peak memory reported" test "$(echo "$row" | cut -d, -f6)" -gt 1000
        fi
    done
    check "the ranks did 10 batches" test "$batches" = 10
    check "rank 0 evaluated batches (dynamic)" test "$(rankrow "$h5" 0 | cut -d, -f2)" -ge 1
    strip_session "$portfolio" >dynamic.json
    run 3 static job.json --scheduling static --out static
    expect_rc 0 static
    session_files static
    check "static: rank 0 only coordinates" test "$(rankrow "$h5" 0 | cut -d, -f2)" = 0
    check "static: same portfolio" cmp -s dynamic.json <(strip_session "$portfolio")
}

case_thousand() {
    gen_strategies 1000
    write_job job.json ' "batch_size": 10, "output_dir": "out",' s/g*.clj
    run 4 run job.json
    expect_rc 0 run
    session_files out
    check "status COMPLETED" test "$(h5attr "$h5" status)" = COMPLETED
    check "completed_batches 100" test "$(h5attr "$h5" completed_batches)" = 100
    check "1000 strategy results" test "$(h5rows "$h5" /strategies)" = 1000
    check "1000 ok" test "$(h5dump -d /strategies "$h5" | grep -c '^ *"ok",$')" = 1000
    check "100 partial events" test "$(nevents "$events" PartialSignalGenerated)" = 100
}

case_errors() {
    mkdir -p s
    cp "$CONF/c000.clj" "$CONF/c001.clj" s/
    printf '(defsymphony "x" {} (weight-equal [(asset "SPY") (asset "NOPE")]))\n' >s/missing_ticker.clj
    # a valid strategy outside the job's folder, reachable through a symbolic link
    rm -rf "$T.outside" && mkdir -p "$T.outside" && cp "$CONF/c002.clj" "$T.outside/evil.clj"
    ln -s "$T.outside/evil.clj" s/link.clj

    # refusals before any session: exit 2, clear message, no files
    printf '{"market": "%s", "output_dir": "out", "strategies": [{"file": "s/c000.clj", "allocation": 0.5}, {"file": "s/c001.clj", "allocation": 0.4}]}\n' "$MARKET" >sum.json
    run 2 sum sum.json
    expect_rc 2 sum
    has sum.err "allocations sum to 0.90000000000000002, not 1"
    printf '{"market": "%s", "output_dir": "out", "strategies": [{"file": "s/nope.clj", "allocation": 1}]}\n' "$MARKET" >missing.json
    run 2 missing missing.json
    expect_rc 2 missing
    has missing.err "strategy file 's/nope.clj' not found"
    printf '{"market": "%s", "output_dir": "out", "strategies": [{"file": "../../etc/passwd", "allocation": 1}]}\n' "$MARKET" >escape.json
    run 2 escape escape.json
    expect_rc 2 escape
    has escape.err "escapes the job folder"
    printf '{"market": "%s", "output_dir": "out", "strategies": [{"file": "s/link.clj", "allocation": 1}]}\n' "$MARKET" >link.json
    run 1 link link.json
    expect_rc 2 link
    has link.err "outside the job folder"
    printf '{"market": "%s", "output_dir": "out", "strategies": [{"file": "/etc/passwd", "allocation": 1}]}\n' "$MARKET" >abs.json
    run 2 abs abs.json
    expect_rc 2 abs
    has abs.err "is absolute"
    check "no session for refused jobs" test ! -e out

    # a ticker missing from the market: a FAILED session, readable snapshot
    for np in 1 3; do
        printf '{"market": "%s", "output_dir": "f%s", "batch_size": 1, "strategies": [{"file": "s/c000.clj", "allocation": 0.25}, {"file": "s/missing_ticker.clj", "allocation": 0.5}, {"file": "s/c001.clj", "allocation": 0.25}]}\n' "$MARKET" "$np" >ticker.json
        run "$np" "ticker-$np" ticker.json
        expect_rc 1 "ticker-$np"
        has "ticker-$np.out" "FAILED"
        has "ticker-$np.err" "NOPE"
        session_files "f$np"
        check "np=$np h5dump reads the failed snapshot" h5dump "$h5" >/dev/null
        check "np=$np status FAILED" test "$(h5attr "$h5" status)" = FAILED
        check "np=$np error_type BatchFailed" test "$(h5attr "$h5" error_type)" = BatchFailed
        check "np=$np the good batches are recorded" test "$(h5dump -n "$h5" | grep -c ' group *\/batches\/batch-')" = 3
        check "np=$np retried twice" test "$(counter "$h5" retries)" = 2
        has "$events" '"event_type":"WorkflowFailed"'
        has "$events" '"failed_batches":[{"batch_id":"batch-2-of-3","attempts":3,"dsl_files":["s/missing_ticker.clj"]'
        has "$events" 'NOPE'
        has "$portfolio" '"status": "FAILED"'
        check "np=$np no consolidated signal event" test "$(nevents "$events" SignalGenerated)" = 0
    done
}

case_timeout() {
    gen_strategies 40
    write_job job.json ' "batch_size": 1, "timeout_seconds": 0.001, "output_dir": "out",' s/g*.clj
    run 2 run job.json
    expect_rc 3 run
    has run.out "TIMEOUT"
    session_files out
    check "status TIMEOUT" test "$(h5attr "$h5" status)" = TIMEOUT
    check "h5dump reads it" h5dump "$h5" >/dev/null
    has "$events" '"event_type":"WorkflowFailed"'
    has "$events" '"missing_batches":["batch-'
    has "$portfolio" '"status": "TIMEOUT"'
}

case_daily() {
    # jobs/daily.json must list every file of strategies/, and run.
    mkdir -p jobs data
    cp "$SRC/jobs/daily.json" jobs/
    cp -r "$SRC/strategies" .
    for f in strategies/*.clj; do
        has jobs/daily.json "\"../$f\""
    done
    check "daily.json lists exactly strategies/*.clj" \
        test "$(grep -c '"file":' jobs/daily.json)" -eq "$(ls strategies/*.clj | wc -l)"
    "$ALC" data synth --out data/market.h5 >/dev/null 2>&1
    check "synthetic market" test -s data/market.h5
    run 2 daily jobs/daily.json
    expect_rc 0 daily
    session_files out
    has daily.out "COMPLETED"
    check "status COMPLETED" test "$(h5attr "$h5" status)" = COMPLETED
}

case_faults() {
    gen_strategies 60
    write_job job.json ' "batch_size": 6, "output_dir": "out",' s/g*.clj
    run 3 clean job.json --out clean
    expect_rc 0 clean
    session_files clean
    strip_session "$portfolio" >clean.json
    # a duplicate result is ignored, counted, and changes nothing
    for sch in static dynamic; do
        fault_run 3 "dup-$sch" 'duplicate:*:2' job.json --scheduling "$sch" --out "dup-$sch"
        expect_rc 0 "dup-$sch"
        session_files "dup-$sch"
        check "$sch: one duplicate ignored" test "$(counter "$h5" duplicates_ignored)" = 1
        check "$sch: duplicate changes nothing" cmp -s clean.json <(strip_session "$portfolio")
        has "dup-$sch.err" "ignoring a duplicate result for batch-2-of-10"
    done
    # a failed batch is retried on another worker (static: rank 1 owns batches
    # 1, 3, ...; dynamic: whichever rank gets batch 2 first fails it)
    for sch in static dynamic; do
        local spec='error:1:*'
        [ "$sch" = dynamic ] && spec='error:*:2'
        fault_run 3 "err-$sch" "$spec" job.json --scheduling "$sch" --out "err-$sch"
        expect_rc 0 "err-$sch"
        session_files "err-$sch"
        check "$sch: retried" test "$(counter "$h5" retries)" -ge 1
        check "$sch: same portfolio after retries" cmp -s clean.json <(strip_session "$portfolio")
        check "$sch: two partial events for a retried batch" \
            test "$(nevents "$events" PartialSignalGenerated)" -gt 10
    done
    # a worker that hangs: TIMEOUT at the deadline, and mpirun exits
    sed 's/"batch_size": 6,/"batch_size": 6, "timeout_seconds": 2,/' job.json >hang.json
    local t0=$SECONDS
    fault_run 3 hang 'hang:1:3' hang.json --scheduling static --out hang
    check "hang: mpirun exits soon after the deadline" test $((SECONDS - t0)) -lt 30
    expect_rc 3 hang
    has hang.out "TIMEOUT"
    session_files hang
    check "hang: status TIMEOUT" test "$(h5attr "$h5" status)" = TIMEOUT
    has "$events" '"missing_batches":["batch-3-of-10"'
    # a worker that dies kills the job: the .partial snapshot keeps what was done
    fault_run 3 die 'die:1:3' job.json --scheduling static --out die
    check "die: mpirun fails" test "$rc" -ne 0
    local partial
    partial=$(ls die/*.h5.partial 2>/dev/null | head -1)
    check "die: a .partial snapshot, no final one" test -n "$partial" -a "$(ls die/*.h5 2>/dev/null | wc -l)" -eq 0
    check "die: h5dump reads it" h5dump -a /status "$partial" >/dev/null
    check "die: status shows the run did not finish" test "$(h5attr "$partial" status)" = PENDING
    check "die: batch 1 was kept" test "$(h5rows "$partial" /batches/batch-1-of-10/signals)" = 6
    # the hashes of the recorded batches only (6 strategies each)
    local kept hashes
    kept=$(h5dump -n "$partial" | grep -c ' group *\/batches\/batch-[0-9]*-of-10$')
    hashes=$(h5dump -d /job/strategies "$partial" | grep -c '"[0-9a-f]\{64\}"')
    check "die: the .partial has the sha256 of the recorded batches' strategies" test "$hashes" = $((kept * 6))
    check "die: batch 1's hashes" cmp -s <(h5dump -d /job/strategies "$partial" | grep -o '"[0-9a-f]\{64\}"' | head -6 | tr -d '"') \
        <(sha256sum s/g000[0-5].clj | cut -c1-64)
}

case_valgrind() {
    # No leak and no memory error in our code on rank 0 (N=1 and N=2) and on
    # a worker, for a completed and a failed session; Open MPI's own noise is
    # suppressed (tests/valgrind-openmpi.supp).
    local vg
    alc_valgrind_mpi
    gen_strategies 30
    printf '(defsymphony "x" {} (asset "NOPE"))\n' >s/bad.clj
    write_job good.json ' "batch_size": 4, "output_dir": "out",' s/g*.clj
    write_job failed.json ' "batch_size": 4, "max_retries": 1, "output_dir": "out",' s/g000*.clj s/bad.clj
    for np in 1 2; do
        mpiexec_watched "vg-$np" 120 --oversubscribe -np "$np" $vg "$ALC" run good.json
        expect_rc 0 "vg-$np"
        mpiexec_watched "vgf-$np" 120 --oversubscribe -np "$np" $vg "$ALC" run failed.json --scheduling static
        expect_rc 1 "vgf-$np"
    done
}

"case_$CASE"
alc_summary
