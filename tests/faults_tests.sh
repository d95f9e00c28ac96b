#!/usr/bin/env bash
# Faults end to end under a real mpirun: resume (after FAILED, TIMEOUT, a
# dead worker, of a COMPLETED session, refusals), rerun, the
# on_strategy_failure policy, sessions list / prune.
#
#   faults_tests.sh CASE ALCHEMISER MPIEXEC SOURCE_DIR WORKDIR
#
# CASE: resume_failed | resume_timeout | resume_dead | rerun | policy | sessions | valgrind
# Prints "N passed, N failed" and exits non-zero on any failure.  Portfolio
# files are compared without their line 2 (the "session" line), like
# tests/session_tests.sh: a resumed session must give exactly the bytes of
# an uninterrupted run.
set -u
CASE=$1 ALC=$2 MPIEXEC=$3 SRC=$4 T=$5
MARKET=$SRC/tests/conformance/market
. "$SRC/tests/lib.sh" # environment, assertions, mpi, fault, session_files, write_job...
alc_workdir "$T"
export ALC_FAULT= # set: mpi passes it to every rank (-x ALC_FAULT)

h5has() { h5dump -H -g "$2" "$1" >/dev/null 2>&1 || h5dump -H -d "$2" "$1" >/dev/null 2>&1; }
history_statuses() { h5dump -d /history/runs "$1" | grep -o '"\(PENDING\|AGGREGATING\|COMPLETED\|FAILED\|TIMEOUT\)"' | tr -d '"' | tr '\n' ' '; }
event_field() { # event_field FILE TYPE FIELD -> first value of "FIELD":"..." on lines of TYPE
    grep "\"event_type\":\"$2\"" "$1" | head -1 | grep -o "\"$3\":\"[^\"]*\"" | head -1 | cut -d'"' -f4
}
same_bytes() { cmp -s "$1" <(strip_session "$2"); }

# reference: an uninterrupted run of JOB (np 3) -> ref.json
reference() {
    mpi 3 ref run "$1" --out ref
    expect_rc 0 ref
    session_files ref
    strip_session "$portfolio" >ref.json
    has ref.json '"status": "COMPLETED"'
}
sums() { sha256sum "$@" | cut -c1-64 | tr '\n' ' '; }
# refused_after_edit STRATEGY SNAPSHOT OUTDIR CHECK: with one line added to
# the strategy file, resume must refuse the session and touch no file of
# OUTDIR; the strategy is restored afterwards
refused_after_edit() {
    cp "$1" edited.orig
    echo ';; edited' >>"$1"
    local before
    before=$(sums "$3"/*)
    mpi 2 changed resume "$2"
    expect_rc 2 changed
    has changed.err "strategy $1 changed since the session was created"
    check "$4" test "$before" = "$(sums "$3"/*)"
    cp edited.orig "$1"
}

case_resume_failed() {
    gen_strategies 60
    write_job job.json ' "batch_size": 6, "max_retries": 0,' s/g*.clj
    reference job.json
    # a batch fails (fault injected on the first run only, no retries left)
    fault 3 first 'error:*:2' run job.json --out out
    expect_rc 1 first
    session_files out
    local first_id=$id
    check "first run FAILED" test "$(h5attr "$h5" status)" = FAILED
    has "$events" '"failed_batches":[{"batch_id":"batch-2-of-10"'
    # resume it with another rank count and no fault
    mpi 2 resume resume "$h5"
    expect_rc 0 resume
    has resume.err "resuming session $first_id (FAILED): 9 of 10 batches reused, 1 to run"
    session_files out
    check "resume keeps the session id" test "$id" = "$first_id"
    check "status COMPLETED" test "$(h5attr "$h5" status)" = COMPLETED
    check "byte-identical to the uninterrupted run" same_bytes ref.json "$portfolio"
    check "only the failed batch ran again" test "$(counter "$h5" batches_requested)" = 1
    check "resume_count 1" test "$(h5attr "$h5" resume_count)" = 1
    check "completed_batches 10" test "$(h5attr "$h5" completed_batches)" = 10
    check "history: FAILED then COMPLETED" test "$(history_statuses "$h5")" = "FAILED COMPLETED "
    check "the failed attempt kept in /history/run-1" \
        h5has "$h5" /history/run-1/batches/batch-2-of-10
    check "the first run's tables kept in /history/run-1" h5has "$h5" /history/run-1/metrics
    check "batch-2 accepted again" test "$(h5attr "$h5" batches/batch-2-of-10/status)" = ok
    check "rank 0 or 1 did the resumed batch" grep -qx "[01]" <<<"$(h5attr "$h5" batches/batch-2-of-10/rank)"
    check "10 signals tables" test "$(h5dump -n "$h5" | grep -c '^ *dataset */batches/batch-[0-9]*-of-10/signals$')" = 10
    # events: appended, caused by the resume
    check "one SessionResumed" test "$(nevents "$events" SessionResumed)" = 1
    check "11 batch requests in all" test "$(nevents "$events" StrategyBatchRequested)" = 11
    check "one WorkflowFailed (the first run), one SignalGenerated" \
        test "$(nevents "$events" WorkflowFailed)$(nevents "$events" SignalGenerated)" = 11
    has "$events" '"rerun_batches":["batch-2-of-10"]'
    local resumed_id failed_id
    resumed_id=$(event_field "$events" SessionResumed event_id)
    failed_id=$(event_field "$events" WorkflowFailed event_id)
    check "SessionResumed caused by the WorkflowFailed" \
        test "$(event_field "$events" SessionResumed causation_id)" = "$failed_id"
    check "the new request caused by SessionResumed" test "$(grep '"event_type":"StrategyBatchRequested"' "$events" | tail -1 | grep -c "\"causation_id\":\"$resumed_id\"")" = 1
    check "the session's events keep its session id" test "$(grep -vc "\"session_id\":\"$first_id\"" "$events")" = 0
    has "$portfolio" '"resume_count": 1'

    # a COMPLETED session is left unchanged
    local before after
    before=$(sums out/*)
    mpi 2 again resume "$h5"
    expect_rc 0 again
    has again.out "session $first_id is COMPLETED: nothing to resume, left unchanged"
    after=$(sums out/*)
    check "COMPLETED session unchanged" test "$before" = "$after"
    mpi 1 again1 resume "ref/$(basename "$(ls ref/*.h5)")"
    expect_rc 0 again1
    has again1.out "is COMPLETED: nothing to resume"

    # refusals: a strategy or the market changed since the session
    mkdir -p m && cp "$MARKET"/*.csv m/
    sed "s#\"market\": \"$MARKET\"#\"market\": \"m\"#" job.json >mjob.json
    fault 2 f2 'error:*:2' run mjob.json --out out2
    expect_rc 1 f2
    session_files out2
    local h5b=$h5
    refused_after_edit s/g0003.clj "$h5b" out2 "refused resume leaves the session alone"
    before=$(sums out2/*)
    awk -F, 'NR == 2 { $5 = $5 + 1 } { print }' OFS=, m/SPY.csv >m/SPY.tmp && mv m/SPY.tmp m/SPY.csv
    mpi 2 market resume "$h5b"
    expect_rc 2 market
    has market.err "the market changed since session"
    check "refused resume leaves the session alone" test "$before" = "$(sums out2/*)"
    mpi 1 notsnap resume job.json
    expect_rc 2 notsnap
    has notsnap.err "<session>.h5 or <session>.h5.partial"
}

case_resume_timeout() {
    gen_strategies 60
    write_job job.json ' "batch_size": 6, "timeout_seconds": 10,' s/g*.clj
    reference job.json
    # rank 1 hangs on batch 3: its batches 3, 5, 7, 9 are missing at the deadline
    fault 3 hang 'hang:1:3' run job.json --scheduling static --out out
    expect_rc 3 hang
    session_files out
    local first_id=$id
    check "first run TIMEOUT" test "$(h5attr "$h5" status)" = TIMEOUT
    has "$events" '"missing_batches":["batch-3-of-10","batch-5-of-10","batch-7-of-10","batch-9-of-10"]'
    # resume it with rank 1 hanging again: 4 batches dealt round robin over
    # ranks 1 and 2, rank 1's two (3 and 7) are missing again: TIMEOUT again
    fault 3 resume1 'hang:1:*' resume "$h5"
    expect_rc 3 resume1
    has resume1.err "(TIMEOUT): 6 of 10 batches reused, 4 to run"
    session_files out
    check "same session" test "$id" = "$first_id"
    check "second run TIMEOUT" test "$(h5attr "$h5" status)" = TIMEOUT
    check "8 batches now" test "$(h5attr "$h5" completed_batches)" = 8
    check "history: TIMEOUT TIMEOUT" test "$(history_statuses "$h5")" = "TIMEOUT TIMEOUT "
    has "$events" '"missing_batches":["batch-3-of-10","batch-7-of-10"]'
    # resume again, static (round robin over the 2 missing batches), 4 ranks
    mpi 4 resume resume "$h5"
    expect_rc 0 resume
    has resume.err "(TIMEOUT): 8 of 10 batches reused, 2 to run"
    session_files out
    check "same session" test "$id" = "$first_id"
    check "status COMPLETED" test "$(h5attr "$h5" status)" = COMPLETED
    check "byte-identical to the uninterrupted run" same_bytes ref.json "$portfolio"
    check "only the 2 missing batches ran" test "$(counter "$h5" batches_requested)" = 2
    check "scheduling static" test "$(h5attr "$h5" scheduling)" = static
    check "resume_count 2" test "$(h5attr "$h5" resume_count)" = 2
    check "history: TIMEOUT TIMEOUT COMPLETED" \
        test "$(history_statuses "$h5")" = "TIMEOUT TIMEOUT COMPLETED "
    check "history: evaluated 6, 2, 2" test "$(h5dump -d /history/runs "$h5" | tr -d ' \n' | grep -o '"static",[0-9]*,[0-9]*' | tr '\n' ' ')" = '"static",6,0 "static",2,6 "static",2,8 '
    check "each run's tables kept" h5has "$h5" /history/run-2/metrics
    has "$events" '"rerun_batches":["batch-3-of-10","batch-7-of-10"]'
    check "16 batch requests in all (10 scattered, 4, 2 resumed)" test "$(nevents "$events" StrategyBatchRequested)" = 16
    check "two SessionResumed" test "$(nevents "$events" SessionResumed)" = 2
    check "n_ranks of the last run" test "$(h5attr "$h5" n_ranks)" = 4
}

case_resume_dead() {
    gen_strategies 60
    write_job job.json ' "batch_size": 6, "timeout_seconds": 10,' s/g*.clj
    reference job.json
    # rank 1 dies on batch 3: the whole job dies, the .partial stays
    fault 3 die 'die:1:3' run job.json --scheduling static --out out
    check "die: mpirun fails" test "$rc" -ne 0
    local partial
    partial=$(ls out/*.h5.partial 2>/dev/null | head -1)
    check "a .partial snapshot" test -n "$partial"
    check "status PENDING" test "$(h5attr "$partial" status)" = PENDING
    local done_before
    done_before=$(h5attr "$partial" completed_batches)
    check "batch 1 was kept" test "$(h5attr "$partial" batches/batch-1-of-10/status)" = ok

    # before its deadline the run might still be alive: refused, untouched
    local before
    before=$(sums out/*)
    mpi 2 early resume "$partial"
    expect_rc 2 early
    has early.err "may still be running"
    check "early resume leaves the files alone" test "$before" = "$(sums out/*)"
    # sessions list: not stale before its deadline, stale after
    "$ALC" sessions list out >list1.out 2>list1.err
    rc=$?
    expect_rc 0 list1
    has list1.out "PENDING"
    check "not stale before the deadline" test "$(grep -cE ' PENDING .* yes +' list1.out)" = 0
    local deadline
    deadline=$(h5attr "$partial" deadline)
    while [ "$(date -u +%s)" -le "$(( $(date -u -d "$deadline" +%s) + 1 ))" ]; do sleep 0.5; done
    "$ALC" sessions list out --grace 1s >list2.out 2>&1
    rc=$?
    expect_rc 0 list2
    check "stale after the deadline" test "$(grep -cE " PENDING .* yes +$(basename "$partial")\$" list2.out)" = 1
    "$ALC" sessions list out --grace 1s --json >list3.out 2>&1
    has list3.out '"partial":true'
    has list3.out '"stale":true'
    has list3.out '"status":"PENDING"'
    "$ALC" sessions list out --json >list4.out 2>&1
    has list4.out '"stale":false'

    # the .partial holds the sha256 of the recorded batches' strategies only
    # (each is hashed where it is evaluated); one of them changed: refused
    check "hashes of the recorded batches" test "$(h5dump -d /job/strategies "$partial" | grep -c '"[0-9a-f]\{64\}"')" = $((done_before * 6))
    refused_after_edit s/g0000.clj "$partial" out "refused resume leaves the files alone"
    # batch 9 (s/g0048..53, rank 1's after batch 3) was never evaluated: a
    # change to it mixes nothing, the resume evaluates (and hashes) it now
    check "batch 9 was not recorded" test -z "$(h5attr "$partial" batches/batch-9-of-10/status 2>/dev/null)"
    echo ';; edited after the crash' >>s/g0050.clj

    # resume the dead session's .partial
    mpi 2 resume resume "$partial"
    expect_rc 0 resume
    has resume.err "(PENDING, interrupted): $done_before of 10 batches reused"
    session_files out
    check "same session" test "$id.h5.partial" = "$(basename "$partial")"
    check "status COMPLETED" test "$(h5attr "$h5" status)" = COMPLETED
    check "byte-identical to the uninterrupted run" same_bytes ref.json "$portfolio"
    check "every strategy's sha256 recorded, the resumed batches' too" cmp -s \
        <(h5dump -d /job/strategies "$h5" | grep -o '"[0-9a-f]\{64\}"' | tr -d '"') <(sha256sum s/g*.clj | cut -c1-64)
    check "only the missing batches ran" \
        test "$(counter "$h5" batches_requested)" = "$((10 - done_before))"
    check "history: the interrupted run, then COMPLETED" \
        test "$(history_statuses "$h5")" = "PENDING COMPLETED "
    check "the interrupted run is marked" test "$(h5dump -d /history/runs "$h5" | grep -c '"Interrupted"')" = 1
    has "$events" '"interrupted":true'
    "$ALC" sessions list out >list5.out 2>&1
    check "listed COMPLETED, not stale" test "$(grep -cE ' COMPLETED .* - +[^ ]*\.h5$' list5.out)" = 1
}

case_rerun() {
    gen_strategies 30
    write_job job.json ' "batch_size": 5, "max_retries": 0,' s/g*.clj
    reference job.json
    fault 2 first 'error:*:3' run job.json --out out
    expect_rc 1 first
    session_files out
    local old_id=$id old_h5=$h5 old_corr before
    old_corr=$(h5attr "$h5" correlation_id)
    before=$(sums out/*)
    mpi 3 rerun rerun "$old_h5" --out new
    expect_rc 0 rerun
    session_files new
    check "a new session id" test "$id" != "$old_id"
    check "rerun_of links to the old session" test "$(h5attr "$h5" rerun_of)" = "$old_id"
    check "same correlation id" test "$(h5attr "$h5" correlation_id)" = "$old_corr"
    check "status COMPLETED" test "$(h5attr "$h5" status)" = COMPLETED
    check "every batch ran again" test "$(counter "$h5" batches_requested)" = 6
    check "byte-identical to the uninterrupted run" same_bytes ref.json "$portfolio"
    check "one SessionRerun event" test "$(nevents "$events" SessionRerun)" = 1
    has "$events" "\"rerun_of\":\"$old_id\""
    has "$events" "\"correlation_id\":\"$old_corr\""
    has "$portfolio" "\"rerun_of\": \"$old_id\""
    check "the old session is unchanged" test "$before" = "$(sums out/*)"
    check "batch size of the old session" test "$(h5attr "$h5" batch_size)" = 5
    # default folder: the old session's; another batch size
    mpi 2 rerun2 rerun "$old_h5" --batch-size 7
    expect_rc 0 rerun2
    check "the rerun lands next to the old session" test "$(ls out/*.h5 | wc -l)" = 2
    local new2
    new2=$(ls out/*.portfolio.json | grep -v "$old_id")
    check "batch size 7: identical" same_bytes ref.json "$new2"
}

case_policy() {
    gen_strategies 20
    printf '(defsymphony "bad" {} (weight-equal [(asset "SPY") (asset "NOPE")]))\n' >s/bad1.clj
    printf '(defsymphony "bad too" {} (asset "NOPE2"))\n' >s/bad2.clj
    local files
    files=$(ls s/g*.clj | sed -n '1,3p'; echo s/bad1.clj; ls s/g*.clj | sed -n '4,15p'; echo s/bad2.clj; ls s/g*.clj | sed -n '16,20p')
    # shellcheck disable=SC2086
    write_job skip.json ' "batch_size": 4, "max_retries": 0, "on_strategy_failure": "skip",' $files
    # shellcheck disable=SC2086
    write_job fail.json ' "batch_size": 4, "max_retries": 0, "on_strategy_failure": "fail",' $files
    write_job good.json ' "batch_size": 4,' s/g*.clj
    local refp=""
    for cfg in "1 4 dynamic" "3 4 dynamic" "2 1 static" "4 10 dynamic"; do
        set -- $cfg
        mpi "$1" "skip-$1-$2" run skip.json --batch-size "$2" --scheduling "$3" --out "skip-$1-$2"
        expect_rc 0 "skip-$1-$2"
        session_files "skip-$1-$2"
        if [ -z "$refp" ]; then
            refp=skip.ref
            strip_session "$portfolio" >"$refp"
            has "$portfolio" '"status": "COMPLETED"'
            has "$portfolio" '"degraded": true'
            has "$portfolio" '"on_strategy_failure": "skip"'
            has "$portfolio" '"s/bad1.clj": {"allocation": 0.045454545454545456, "status": "dropped"'
            has "$portfolio" '"s/bad2.clj": "'
            check "the dropped reasons name the tickers" test "$(grep -c 'NOPE' "$portfolio")" -ge 2
            check "snapshot: degraded" test "$(h5attr "$h5" degraded)" = 1
            check "snapshot: 2 dropped" test "$(h5attr "$h5" dropped_strategies)" = 2
            check "snapshot: /dropped has 2 rows" test "$(h5rows "$h5" /dropped)" = 2
            check "snapshot: /strategies says dropped" test "$(h5dump -d /strategies "$h5" | grep -c '"dropped"')" = 2
            check "one WorkflowDegraded" test "$(nevents "$events" WorkflowDegraded)" = 1
            has "$events" '"dropped_count":2'
            has "$events" '"file":"s/bad1.clj"'
            check "no WorkflowFailed" test "$(nevents "$events" WorkflowFailed)" = 0
            check "AggregationCompleted caused by WorkflowDegraded" test \
                "$(event_field "$events" AggregationCompleted causation_id)" = "$(event_field "$events" WorkflowDegraded event_id)"
            has "skip-$1-$2.out" "DEGRADED: 2 of 22 strategies dropped"
        else
            check "skip np=$1 batch=$2 $3: bitwise identical" same_bytes "$refp" "$portfolio"
        fi
    done
    # renormalised: the same weights as a job of the good strategies alone
    mpi 2 good run good.json --out good
    expect_rc 0 good
    session_files good
    check "renormalised weights match the good-only job (1e-12)" awk '
        FNR == 1 { f++ }
        /^  "portfolio": \{/ { in_p = 1; next }
        in_p && /^  \}/ { in_p = 0 }
        in_p { gsub(/[",]/, ""); w[f, $1] = $2; t[$1] = 1 }
        /"total":/ { gsub(/,/, ""); tot[f] = $2 }
        END {
            n = 0
            for (k in t) { d = w[1, k] - w[2, k]; if (d < 0) d = -d; if (d > 1e-12) exit 1; n++ }
            d = tot[1] - 1; if (d < 0) d = -d
            exit !(n > 0 && d < 1e-12)
        }' "$refp" "$portfolio"
    # fail (explicit; the default is tested by session_errors)
    mpi 3 fail run fail.json --out fail
    expect_rc 1 fail
    session_files fail
    check "fail: FAILED" test "$(h5attr "$h5" status)" = FAILED
    has "$portfolio" '"degraded": false'
    check "fail: WorkflowFailed, no WorkflowDegraded" \
        test "$(nevents "$events" WorkflowFailed)$(nevents "$events" WorkflowDegraded)" = 10
    # skip with every strategy failing: FAILED
    write_job allbad.json ' "max_retries": 0, "on_strategy_failure": "skip",' s/bad1.clj s/bad2.clj
    mpi 2 allbad run allbad.json --out allbad
    expect_rc 1 allbad
    session_files allbad
    check "all failed: FAILED" test "$(h5attr "$h5" status)" = FAILED
    check "all failed: AllStrategiesFailed" test "$(h5attr "$h5" error_type)" = AllStrategiesFailed
    check "all failed: WorkflowFailed" test "$(nevents "$events" WorkflowFailed)" = 1
    has "$events" '"failed_batches":[{"batch_id":"batch-1-of-1","attempts":1,"dsl_files":["s/bad1.clj","s/bad2.clj"]'
    has "$portfolio" '"s/bad1.clj": {"allocation": 0.5, "status": "failed"'
    has "$portfolio" '"dropped": {}'
    # a bad value is refused before any session
    write_job badpol.json ' "on_strategy_failure": "ignore",' s/g0000.clj
    mpi 2 badpol run badpol.json --out badpol
    expect_rc 2 badpol
    has badpol.err '"on_strategy_failure" must be "fail" or "skip"'
    check "no session for a refused job" test ! -e badpol
}

case_sessions() {
    gen_strategies 4
    write_job job.json ' "batch_size": 2,' s/g*.clj
    mpi 1 a run job.json --out p
    expect_rc 0 a
    sleep 1.1 # another creation second: another session id
    mpi 1 b run job.json --out p
    expect_rc 0 b
    local ids
    ids=$(ls p/*.h5 | sed 's#.*/##; s#\.h5$##')
    local old new
    old=$(echo "$ids" | sed -n 1p)
    new=$(echo "$ids" | sed -n 2p)
    check "two sessions" test -n "$old" -a -n "$new"
    # things that are not session outputs, some of them old
    echo notes >p/notes.txt
    cp "$SRC/tests/conformance/market/SPY.csv" p/SPY.csv
    echo 'not hdf5' >p/sess-20200101T000000Z-00000000.h5
    echo '{}' >"p/$old.portfolio.json.bak"
    mkdir -p p/sub && touch "p/sub/$old.h5"
    touch -d '3 days ago' p/"$old".* p/notes.txt p/SPY.csv p/sess-20200101T000000Z-00000000.h5 \
        "p/$old.portfolio.json.bak" "p/sub/$old.h5"
    touch -d '30 hours ago' p/"$new".events.jsonl
    "$ALC" sessions list p >list.out 2>list.err
    rc=$?
    expect_rc 1 list # the fake snapshot cannot be read
    has list.out "$old"
    has list.out "$new"
    has list.out "UNREADABLE"
    check "two COMPLETED sessions listed" test "$(grep -c ' COMPLETED ' list.out)" = 2
    has list.out "2/2"
    # dry run: says what, removes nothing
    local before
    before=$(ls -R p | sha256sum)
    "$ALC" sessions prune p --older-than 2d --dry-run >dry.out 2>dry.err
    rc=$?
    expect_rc 1 dry # the fake snapshot is reported and left alone
    has dry.out "would remove p/$old.h5"
    has dry.out "would remove p/$old.events.jsonl"
    has dry.out "would remove p/$old.portfolio.json"
    has dry.out "would prune 1 session(s), 3 file(s)"
    has dry.err "sess-20200101T000000Z-00000000.h5 is not the snapshot of session"
    check "dry run removes nothing" test "$before" = "$(ls -R p | sha256sum)"
    "$ALC" sessions prune p --older-than 48h >prune.out 2>prune.err
    rc=$?
    expect_rc 1 prune
    has prune.out "removed p/$old.h5"
    has prune.out "pruned 1 session(s), 3 file(s)"
    check "the old session's files are gone" test "$(ls p/"$old".* 2>/dev/null | grep -vc '\.bak$')" = 0
    check "the new session stays (its snapshot is recent)" test -e "p/$new.h5" -a -e "p/$new.events.jsonl" -a -e "p/$new.portfolio.json"
    check "other files stay" test -e p/notes.txt -a -e p/SPY.csv -a -e p/sess-20200101T000000Z-00000000.h5 -a -e "p/$old.portfolio.json.bak" -a -e "p/sub/$old.h5"
    # units and usage
    "$ALC" sessions prune p --older-than 1d >/dev/null 2>&1
    check "1d keeps the new session" test -e "p/$new.h5"
    "$ALC" sessions prune p --older-than 24x >bad.out 2>bad.err
    rc=$?
    expect_rc 2 bad
    has bad.err "bad --older-than '24x'"
    "$ALC" sessions prune p >bad2.out 2>bad2.err
    rc=$?
    expect_rc 2 bad2
    has bad2.err "--older-than DURATION is required"
    rm p/sess-20200101T000000Z-00000000.h5
    "$ALC" sessions prune p --older-than 10m >p10.out 2>&1
    rc=$?
    expect_rc 0 p10
    check "10m: a session with a recent file is kept" test -e "p/$new.h5"
    "$ALC" sessions list p --json >json.out 2>&1
    has json.out "\"session_id\":\"$new\""
    has json.out '"status":"COMPLETED"'
    has json.out '"stale":false'
}

case_valgrind() {
    # No leak and no memory error in resume (reuse, nothing to do, refusal),
    # rerun, the skip policy and sessions list/prune (Open MPI's own
    # allocations suppressed like session_valgrind).
    local vg
    alc_valgrind_mpi
    vmpi() { # vmpi NP PREFIX ARGS...
        local np=$1 pre=$2; shift 2
        mpiexec_watched "$pre" 170 --oversubscribe -np "$np" -x ALC_FAULT $vg "$ALC" "$@"
    }
    gen_strategies 12
    printf '(defsymphony "x" {} (asset "NOPE"))\n' >s/bad.clj
    write_job job.json ' "batch_size": 3, "max_retries": 0,' s/g*.clj
    write_job skip.json ' "batch_size": 3, "max_retries": 0, "on_strategy_failure": "skip",' s/g000*.clj s/bad.clj
    fault 2 first 'error:*:2' run job.json --out out
    expect_rc 1 first
    session_files out
    vmpi 2 vresume resume "$h5"
    expect_rc 0 vresume
    vmpi 1 vdone resume "$h5"
    expect_rc 0 vdone
    vmpi 1 vrerun rerun "$h5" --out re
    expect_rc 0 vrerun
    fault 2 second 'error:*:1' run job.json --out out2
    expect_rc 1 second
    echo ';; edited' >>s/g0001.clj
    session_files out2
    vmpi 1 vrefused resume "$h5"
    expect_rc 2 vrefused
    has vrefused.err "changed since the session was created"
    vmpi 1 vskip run skip.json --out skip
    expect_rc 0 vskip
    $vg "$ALC" sessions list out >vlist.out 2>vlist.err
    rc=$?
    expect_rc 0 vlist
    touch -d '2 days ago' re/*
    $vg "$ALC" sessions prune re --older-than 1d >vprune.out 2>vprune.err
    rc=$?
    expect_rc 0 vprune
    has vprune.out "pruned 1 session(s), 3 file(s)"
}

"case_$CASE"
alc_summary
