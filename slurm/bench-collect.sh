#!/usr/bin/env bash
# Collect the result lines of slurm/bench.sbatch into a scaling table.
#
#   bash slurm/bench-collect.sh alc-bench-<array job id>.jsonl [MORE.jsonl...]
#   # or chained after the array:
#   A=$(sbatch --parsable slurm/bench.sbatch)
#   sbatch --dependency=afterany:$A --wrap "bash slurm/bench-collect.sh alc-bench-$A.jsonl"
#
# Prints one row per line sorted by rank count (np, wall s, session s,
# strategies/s, speed-up against the smallest np) and checks that every
# session COMPLETED and that every rank count produced the same portfolio
# (portfolio_sha256).  Exit status: 0 when all is well, 1 otherwise (a failed
# session, differing portfolios, a malformed line, no lines).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: bench-collect.sh RESULTS.jsonl..." >&2; exit 2; }
exec python3 - "$@" <<'PY'
import json, sys
rows, bad = [], 0
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        for no, text in enumerate(f, 1):
            if not text.strip():
                continue
            try:
                rows.append(json.loads(text))
            except ValueError as e:
                print(f"{path}:{no}: not a JSON line: {e}", file=sys.stderr)
                bad += 1
if not rows:
    print("bench-collect: no result lines", file=sys.stderr)
    sys.exit(1)
rows.sort(key=lambda r: (r["np"], r["task"]))
base = rows[0]["wall_s"]
print(f"{'np':>4} {'strategies':>10} {'wall s':>8} {'session s':>9} {'strat/s':>9} {'speed-up':>8}  status")
for r in rows:
    ss = "-" if r.get("session_s") is None else f"{r['session_s']:.3f}"
    print(f"{r['np']:>4} {r['strategies']:>10} {r['wall_s']:>8.3f} {ss:>9} "
          f"{r['strategies_per_s']:>9.1f} {base / r['wall_s']:>8.2f}  {r['status']} (exit {r['exit']})")
    if r["status"] != "COMPLETED" or r["exit"] != 0:
        print(f"bench-collect: np {r['np']}: session {r['status']}, exit {r['exit']}", file=sys.stderr)
        bad += 1
hashes = {r["portfolio_sha256"] for r in rows}
if len(hashes) != 1:
    print(f"bench-collect: {len(hashes)} different portfolios across rank counts", file=sys.stderr)
    bad += 1
else:
    print(f"portfolio identical for every np ({next(iter(hashes))[:16]}...)")
sys.exit(1 if bad else 0)
PY
