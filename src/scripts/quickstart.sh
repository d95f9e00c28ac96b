#!/usr/bin/env bash
# The README's main command: install what is missing, build, create the
# embedded default market (deterministic synthetic data, no network), and
# run the daily job on the project's strategies.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash src/scripts/install-deps.sh
bash src/scripts/build.sh >/dev/null
mkdir -p data
[ -s data/market.h5 ] || build/alchemiser data synth --out data/market.h5
export OMPI_MCA_pml=${OMPI_MCA_pml:-ob1}   # faster start-up on one node
if [ "$(id -u)" -eq 0 ]; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
exec mpirun --oversubscribe -np "${NP:-2}" build/alchemiser run jobs/daily.json "$@"
