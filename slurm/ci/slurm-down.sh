#!/usr/bin/env bash
# Stop the daemons started by slurm/ci/slurm-up.sh, by the PIDs it recorded
# (each checked against the daemon's name first, so that a recycled PID is
# never signalled), and remove its state.  Safe to run when nothing is up,
# and after an aborted run (it is also the clean-up at the start of a test).
#
# Adapted from the team's ops recipe (shared/ops/slurm-down.sh).
set -uo pipefail
SLURM_CI_DIR=${SLURM_CI_DIR:-/tmp/alc-slurm-ci}
export SLURM_CONF=$SLURM_CI_DIR/slurm.conf
if [ -s "$SLURM_CONF" ] && [ -s "$SLURM_CI_DIR/slurmctld.pid" ]; then
  timeout 10 scancel --user="$(id -un)" 2>/dev/null || true
fi
# running = exists and not a zombie (a container's PID 1 may reap the
# daemonised processes only every few seconds)
alive() { [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) \(.\).*/\1/' "/proc/$1/stat" 2>/dev/null)" != Z ]; }
for d in slurmd slurmctld munged; do
  f="$SLURM_CI_DIR/$d.pid"
  [ -s "$f" ] || continue
  pid=$(cat "$f")
  if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$d" ] && alive "$pid"; then
    kill -TERM "$pid"
    for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
    alive "$pid" && kill -KILL "$pid"
    echo "slurm-down: stopped $d ($pid)"
  fi
  rm -f "$f"
done
# slurmstepd processes that outlived slurmd (a job still running when a test
# was killed): only those whose environment names this cluster's SLURM_CONF
for p in /proc/[0-9]*; do
  [ "$(cat "$p/comm" 2>/dev/null)" = slurmstepd ] || continue
  { tr '\0' ' ' <"$p/environ"; } 2>/dev/null | grep -q "SLURM_CONF=$SLURM_CONF" || continue
  kill -KILL "${p#/proc/}" 2>/dev/null && echo "slurm-down: killed stray slurmstepd ${p#/proc/}"
done
rm -rf "$SLURM_CI_DIR"
echo "slurm-down: done"
