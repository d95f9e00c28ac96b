#!/usr/bin/env bash
# Install the Debian packages alchemiser needs, only those missing.
# Idempotent and quiet when everything is already there.
set -euo pipefail
packages=(build-essential cmake pkg-config openmpi-bin libopenmpi-dev libcjson-dev
          libhdf5-dev hdf5-tools libcunit1-dev valgrind)
# Extras for the analysis script and its tests (issue: HDF5 result analysis).
if [ "${ALC_WITH_PYTHON:-1}" = 1 ]; then
  packages+=(python3-h5py python3-pandas python3-matplotlib)
fi
# A one-node Slurm for the slurm_* tests (tests/slurm_tests.sh): in CI, or on
# request (tzdata: slurm/schedule.sh computes New York time).  Not by default:
# on a workstation the packages enable systemd units.
if [ "${CI:-}" = true ] || [ "${ALC_WITH_SLURM:-0}" = 1 ]; then
  packages+=(slurm-wlm munge tzdata)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
