#!/usr/bin/env bash
# Bring up a one-node Slurm "cluster" on localhost, without systemd, as root:
# munged, slurmctld and slurmd from Debian's packages (slurm-wlm, munge).
#
# Adapted from the team's ops recipe (shared/ops/slurm-up.sh, Debian 12,
# slurm-wlm 22.05.8, munge 0.5.15).  Changes: the configuration lives in
# $SLURM_CI_DIR/slurm.conf (exported as SLURM_CONF) instead of
# /etc/slurm/slurm.conf, so that a real Slurm configuration of the machine is
# never overwritten; daemons listen on their own ports; the PIDs are checked
# against the daemon names; missing packages are only installed when
# SLURM_CI_INSTALL=1.
#
# Usage (as root):
#   SLURM_CI_DIR=/tmp/alc-slurm SLURM_CI_CPUS=4 bash slurm/ci/slurm-up.sh
#   export SLURM_CONF=/tmp/alc-slurm/slurm.conf   # for sbatch, squeue, ...
#   ... sbatch --wait ...
#   SLURM_CI_DIR=/tmp/alc-slurm bash slurm/ci/slurm-down.sh
#
# SLURM_CI_CPUS (default: nproc) may exceed the real cores: the node declares
# that many CPUs (SlurmdParameters=config_overrides), so `sbatch -n 4` is
# schedulable on a 2-core machine.  A job asking for more CPUs than declared
# is not refused: it pends forever, so always bound `sbatch --wait` with
# `timeout`.  State, logs, PIDs and slurm.conf live in $SLURM_CI_DIR; every
# finished job is recorded in $SLURM_CI_DIR/log/jobcomp.log (JobState=,
# ExitCode=), which outlives MinJobAge (SLURM_CI_MIN_JOB_AGE, default 300 s;
# 5 or less makes `sbatch --wait` poll every 2 s instead of 2, 8, 32 s).
# Exit status: 0 when the node is idle and a job can run; 1 on any failure
# (with the daemon logs on stderr).
set -euo pipefail
SLURM_CI_DIR=${SLURM_CI_DIR:-/tmp/alc-slurm-ci}
SLURM_CI_CPUS=${SLURM_CI_CPUS:-$(nproc)}
SLURM_CI_PORT=${SLURM_CI_PORT:-6917}        # slurmctld; slurmd uses +1
# sbatch --wait polls every 2 s only while MinJobAge <= 5 (else 2, 8, 32 s)
SLURM_CI_MIN_JOB_AGE=${SLURM_CI_MIN_JOB_AGE:-300}
export SLURM_CONF=$SLURM_CI_DIR/slurm.conf
t0=$(date +%s%N)

die() {
  echo "slurm-up: $*" >&2
  for f in "$SLURM_CI_DIR"/log/*.log; do
    [ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
  done
  exit 1
}

[ "$(id -u)" -eq 0 ] || die "must run as root (daemons, munge key)"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
   ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
  [ "${SLURM_CI_INSTALL:-0}" = 1 ] || die "slurmctld/slurmd/munged/sbatch not installed (apt-get install slurm-wlm munge, or SLURM_CI_INSTALL=1)"
  echo "slurm-up: installing slurm-wlm munge from the Debian repositories" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null || die "apt-get update failed"
  apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null ||
    die "apt-get install slurm-wlm munge failed"
fi

mkdir -p "$SLURM_CI_DIR"/{state,spool,log}

# --- munge ------------------------------------------------------------------
# The package's postinst creates /etc/munge/munge.key; recreate it if missing.
if [ ! -s /etc/munge/munge.key ]; then
  mungekey --create --keyfile=/etc/munge/munge.key --force
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
  # not running (or a dead socket): start our own and record its PID
  rm -f /run/munge/munged.pid
  runuser -u munge -- /usr/sbin/munged --pid-file=/run/munge/munged.pid --force
  for _ in $(seq 50); do [ -s /run/munge/munged.pid ] && [ -S /run/munge/munge.socket.2 ] && break; sleep 0.1; done
  cp /run/munge/munged.pid "$SLURM_CI_DIR/munged.pid" || die "munged did not start"
fi
munge -n | unmunge >/dev/null || die "munge does not work"

# --- slurm.conf ---------------------------------------------------------------
# NodeName=localhost plus `slurmd -N localhost`, so that the node name does not
# depend on the machine's hostname.  SlurmUser=root avoids chown'ing state
# directories to the slurm user.  MpiDefault=pmix: only PMIx launches
# Debian's Open MPI under srun.
cat > "$SLURM_CONF" <<CONF
ClusterName=alcci
SlurmctldHost=localhost
SlurmctldPort=$SLURM_CI_PORT
SlurmdPort=$((SLURM_CI_PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=pmix
MailProg=/bin/true
SlurmdParameters=config_overrides
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
# start a job as soon as it is submitted (default: up to 3 s later)
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
StateSaveLocation=$SLURM_CI_DIR/state
SlurmdSpoolDir=$SLURM_CI_DIR/spool
SlurmctldPidFile=$SLURM_CI_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_CI_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_CI_DIR/log/slurmctld.log
SlurmdLogFile=$SLURM_CI_DIR/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=$SLURM_CI_MIN_JOB_AGE
JobCompType=jobcomp/filetxt
JobCompLoc=$SLURM_CI_DIR/log/jobcomp.log
KillWait=5
Waittime=0
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$SLURM_CI_CPUS RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
CONF

# --- daemons --------------------------------------------------------------------
# -i: ignore state from a previous run; -c: clear it.  Both daemonize.
/usr/sbin/slurmctld -i -c || die "slurmctld did not start"
up=0
for _ in $(seq 100); do
  if scontrol ping 2>/dev/null | grep -q 'is UP'; then up=1; break; fi
  sleep 0.1
done
[ "$up" = 1 ] || die "slurmctld does not answer"
/usr/sbin/slurmd -N localhost || die "slurmd did not start"
idle=0
for _ in $(seq 300); do
  st=$(sinfo -h -n localhost -o %t 2>/dev/null || true)
  case "$st" in idle | idle* | mix | alloc) idle=1; break ;; esac
  sleep 0.1
done
[ "$idle" = 1 ] || die "node localhost not idle (state '${st:-?}')"
t1=$(date +%s%N)
echo "slurm-up: node localhost idle with $SLURM_CI_CPUS CPUs in $(( (t1 - t0) / 1000000 )) ms; SLURM_CONF=$SLURM_CONF"
