#!/usr/bin/env bash
# Collect the result lines of slurm/bench.sbatch into a scaling table.
#
#   bash slurm/bench-collect.sh alc-bench-<array job id>.jsonl [MORE.jsonl...]
#   # or chained after the array:
#   A=$(sbatch --parsable slurm/bench.sbatch)
#   sbatch --dependency=afterany:$A --wrap "bash slurm/bench-collect.sh alc-bench-$A.jsonl"
#
# Prints one row per line sorted by rank count (np, wall s, session s,
# strategies/s, speed-up of wall time against the smallest np) and checks
# that every session COMPLETED and that every rank count produced the same
# portfolio (portfolio_sha256).  Exit status: 0 when all is well, 1 otherwise
# (a failed session, differing portfolios, a line without the fields, no
# lines), 2 usage.  Only awk and sort: it reads the one-line format that
# bench.sbatch writes (fields in that order), not arbitrary JSON.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: bench-collect.sh RESULTS.jsonl..." >&2; exit 2; }
cat -- "$@" | awk '
function num(key,   m) {   # numeric field, or "" when absent/null
    if (match($0, "\"" key "\": [-0-9.eE+]+")) { m = substr($0, RSTART, RLENGTH); sub(/^[^:]*: /, "", m); return m }
    return ""
}
function str(key,   m) {   # string field, or "" when absent/null
    if (match($0, "\"" key "\": \"[^\"]*\"")) { m = substr($0, RSTART, RLENGTH); sub(/^[^:]*: "/, "", m); sub(/"$/, "", m); return m }
    return ""
}
NF == 0 { next }
{
    np = num("np"); wall = num("wall_s")
    if (np == "" || wall == "" || wall <= 0 || num("strategies") == "") {
        printf "bench-collect: line %d: not a bench.sbatch result line\n", NR > "/dev/stderr"; bad++; next
    }
    ss = num("session_s"); st = str("status"); rc = num("exit")
    printf "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", np, num("task"), num("strategies"), wall,
        ss == "" ? "-" : ss, num("strategies_per_s"), st == "" ? "none" : st, rc
    if (st != "COMPLETED" || rc != 0) {
        printf "bench-collect: np %d: session %s, exit %s\n", np, st == "" ? "without a portfolio" : st, rc > "/dev/stderr"; bad++
    }
    h = str("portfolio_sha256"); if (!(h in seen)) { seen[h] = 1; nh++ }
    rows++
}
END {
    if (rows == 0) { print "bench-collect: no result lines" > "/dev/stderr"; bad++ }
    else if (nh != 1) { printf "bench-collect: %d different portfolios across rank counts\n", nh > "/dev/stderr"; bad++ }
    printf "#STATUS\t%d\t%s\n", bad, nh == 1 ? h : ""
}' | sort -t "$(printf '\t')" -k1,1n -k2,2n | awk -F '\t' '
$1 == "#STATUS" { bad = $2; hash = $3; next }
{
    if (!n++) {
        base = $4
        printf "%4s %10s %8s %9s %9s %8s  %s\n", "np", "strategies", "wall s", "session s", "strat/s", "speed-up", "status"
    }
    printf "%4d %10d %8.3f %9s %9.1f %8.2f  %s (exit %s)\n", $1, $3, $4, $5, $6, base / $4, $7, $8
}
END {
    if (hash != "") printf "portfolio identical for every np (%s...)\n", substr(hash, 1, 16)
    exit bad ? 1 : 0
}'
