#!/usr/bin/env bash
# Queue the daily session for its next run time with `sbatch --begin`:
# by default the next weekday (Mon-Fri) 09:35 America/New_York, whatever the
# time zone of the cluster (scrontab has no time-zone field; see
# slurm/README.md).  The queued job re-runs this script when it starts
# (ALC_RESCHEDULE=1), so the chain continues day after day, also after a
# failed session.
#
#   bash slurm/schedule.sh [--print] [--first-now] [--force] [--now EPOCH]
#                          [--at HH:MM] [--tz ZONE] [--days "1 2 3 4 5"]
#                          [JOB.json] [-- SBATCH OPTIONS...]
#   bash slurm/schedule.sh --due | --run-if-due [--now EPOCH] [--at ..] [--tz ..] [JOB.json]
#
#   --print       only print the next run time and the sbatch command
#   --first-now   submit the first run to start at once (no --begin); the
#                 chain then continues at the schedule (handy to try it)
#   --force       submit even if a run is already pending (see below)
#   --now EPOCH   compute from this time instead of the clock (tests)
#   --due         exit 0 when a run is due now: today is a run day and the
#                 schedule time passed less than ALC_SCHEDULE_SLACK seconds
#                 ago (default 1800), else exit 1; submits nothing
#   --run-if-due  when due, run slurm/daily.sbatch JOB.json in this process
#                 (inside an allocation: the scrontab entry of a cluster that
#                 does not run in the schedule's zone), else exit 0 quietly
#   --at, --tz, --days   the schedule: time of day, IANA zone, ISO weekdays
#                 (1 = Monday .. 7 = Sunday); defaults 09:35,
#                 America/New_York, "1 2 3 4 5"
#   JOB.json      default jobs/daily.json (as slurm/daily.sbatch takes it)
#   SBATCH OPTIONS are passed to sbatch on every run of the chain (e.g.
#                 --partition=compute --account=quant --ntasks=16); they are
#                 kept, space-separated, in ALC_SCHEDULE_SBATCH, so they
#                 must not contain spaces themselves.
#
# The settings travel to the queued job in its environment (ALC_HOME,
# ALC_RESCHEDULE=1, ALC_SCHEDULE_AT/TZ/DAYS/SBATCH/NAME): do not pass
# --export=NONE.  A run already pending under the same job name
# (ALC_SCHEDULE_NAME, default alc-daily) for this user is not duplicated
# unless --force: running the script twice does not start two chains.
# Stop the chain with `scancel --name=alc-daily --state=PENDING`.
#
# The begin time is computed as an instant (epoch seconds) in the schedule's
# zone, DST included, then written in the local time of this process, which
# is how sbatch reads --begin, so the cluster's own zone does not matter.
# Exit status: 0 queued (or already pending, or --print), 1 sbatch failed
# (--due: 1 not due), 2 usage error; --run-if-due: the session's when due.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd -P)
root=${ALC_HOME:-$(cd "$here/.." && pwd -P)}
print=0 first_now=0 force=0 now=""
at=${ALC_SCHEDULE_AT:-09:35}
tz=${ALC_SCHEDULE_TZ:-America/New_York}
days=${ALC_SCHEDULE_DAYS:-1 2 3 4 5}
name=${ALC_SCHEDULE_NAME:-alc-daily}
job=""
mode=submit
usage() { sed -n '9,31p' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case $1 in
    --print) print=1; shift ;;
    --first-now) first_now=1; shift ;;
    --force) force=1; shift ;;
    --due) mode=due; shift ;;
    --run-if-due) mode=run; shift ;;
    --now) now=${2:?}; shift 2 ;;
    --at) at=${2:?}; shift 2 ;;
    --tz) tz=${2:?}; shift 2 ;;
    --days) days=${2:?}; shift 2 ;;
    --) shift; break ;;
    -h | --help) usage ;;
    -*) echo "schedule.sh: unknown option '$1'" >&2; usage ;;
    *) [ -z "$job" ] || usage; job=$1; shift ;;
    esac
done
# SBATCH options: those given now, else those of the chain so far
if [ $# -gt 0 ]; then sbatch_opts=("$@"); else read -r -a sbatch_opts <<<"${ALC_SCHEDULE_SBATCH:-}"; fi
job=${job:-$root/jobs/daily.json}
[ "${job#/}" != "$job" ] || [ ! -f "$job" ] || job=$(pwd -P)/$job

[[ $at =~ ^([01][0-9]|2[0-3]):[0-5][0-9]$ ]] || { echo "schedule.sh: --at '$at' is not HH:MM" >&2; exit 2; }
[ -f "/usr/share/zoneinfo/$tz" ] || { echo "schedule.sh: unknown time zone '$tz' (no /usr/share/zoneinfo/$tz)" >&2; exit 2; }
for d in $days; do
    case $d in [1-7]) ;; *) echo "schedule.sh: --days '$days': weekdays are 1..7" >&2; exit 2 ;; esac
done
now=${now:-$(date +%s)}

# due now?  today's schedule instant in $tz, if today is a run day
if [ "$mode" != submit ]; then
    today=$(TZ=$tz date -d "@$now" +%F)
    wd=$(TZ=$tz date -d "$today 12:00" +%u)
    t=$(TZ=$tz date -d "$today $at" +%s)
    due=1
    case " $days " in *" $wd "*) [ "$now" -ge "$t" ] && [ "$now" -lt $((t + ${ALC_SCHEDULE_SLACK:-1800})) ] && due=0 ;; esac
    if [ "$mode" = due ]; then exit "$due"; fi
    if [ "$due" -ne 0 ]; then
        echo "schedule.sh: not due ($(TZ=$tz date -d "@$now" '+%a %F %H:%M %Z'); runs at $at $tz on days $days)"
        exit 0
    fi
    exec bash "$root/slurm/daily.sbatch" "$job"
fi

# next run: the first day from today on (in $tz) whose weekday is listed and
# whose $at is still ahead; days are stepped from noon so DST never skips one
today_noon=$(TZ=$tz date -d "$(TZ=$tz date -d "@$now" +%F) 12:00" +%s)
next=""
for i in 0 1 2 3 4 5 6 7; do
    day=$(TZ=$tz date -d "@$((today_noon + i * 86400))" +%F)
    wd=$(TZ=$tz date -d "$day 12:00" +%u)
    case " $days " in *" $wd "*) ;; *) continue ;; esac
    t=$(TZ=$tz date -d "$day $at" +%s)
    if [ "$t" -gt "$now" ]; then next=$t; break; fi
done
[ -n "$next" ] || { echo "schedule.sh: no run day in --days '$days'" >&2; exit 2; }
begin=$(date -d "@$next" +%Y-%m-%dT%H:%M:%S)   # local time, as sbatch reads it

cmd=(sbatch --parsable --job-name="$name")
[ "$first_now" = 1 ] || cmd+=(--begin="$begin")
cmd+=("${sbatch_opts[@]}" "$root/slurm/daily.sbatch" "$job")

if [ "$print" = 1 ]; then
    echo "next run: $(TZ=$tz date -d "@$next" '+%a %F %H:%M %Z') = $(date -d "@$next" '+%a %F %H:%M %Z') (epoch $next)"
    echo "command: ${cmd[*]}"
    exit 0
fi

if [ "$force" != 1 ]; then
    pending=$(squeue -h -u "$(id -un)" --name="$name" -t PENDING -o %i 2>/dev/null | head -n 1)
    if [ -n "$pending" ]; then
        echo "schedule.sh: $name already pending as job $pending; not queuing another (--force to)" >&2
        exit 0
    fi
fi

export ALC_HOME=$root ALC_RESCHEDULE=1 ALC_SCHEDULE_AT=$at ALC_SCHEDULE_TZ=$tz
export ALC_SCHEDULE_DAYS=$days ALC_SCHEDULE_NAME=$name ALC_SCHEDULE_SBATCH="${sbatch_opts[*]}"
id=$("${cmd[@]}") || { echo "schedule.sh: sbatch failed: ${cmd[*]}" >&2; exit 1; }
if [ "$first_now" = 1 ]; then
    echo "schedule.sh: job $id starts now; the chain continues at $(TZ=$tz date -d "@$next" '+%a %F %H:%M %Z')"
else
    echo "schedule.sh: job $id begins $(TZ=$tz date -d "@$next" '+%a %F %H:%M %Z') ($begin local)"
fi
