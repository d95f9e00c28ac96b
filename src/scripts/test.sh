#!/usr/bin/env bash
# The README's test command: install what is missing, build, run the whole
# ctest suite.  Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash src/scripts/install-deps.sh
bash src/scripts/build.sh
cd build
ctest --output-on-failure -j 2
