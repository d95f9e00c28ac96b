#!/usr/bin/env bash
# Build the libFuzzer targets with clang (-fsanitize=fuzzer,address,undefined)
# into build-fuzz/ and fuzz each target for SECONDS (default 60), one after
# the other, from a corpus seeded with the project's own files.
#
#   bash tests/fuzz/run.sh [SECONDS] [TARGET...]     TARGET: dsl job csv (default all)
#
# Corpora grow in build-fuzz/corpus/<target>; crash/leak/timeout inputs land
# in build-fuzz/artifacts/<target>/ (copy them into tests/fuzz/regressions/<target>/
# once fixed: ctest replays those with the regular build).  Logs:
# build-fuzz/logs/<target>.log.  Needs clang and its runtime (installed here
# when missing).  One libFuzzer process per target, in the foreground (that
# is one core; -jobs/-workers would only fork the same single worker and log
# to ./fuzz-0.log), under nice.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(dsl job csv)

if ! command -v clang >/dev/null; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q --no-install-recommends clang >/dev/null
fi
rt=$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)
if [ ! -f "$rt" ]; then
  v=$(clang -dumpversion | cut -d. -f1)
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get install -y -q --no-install-recommends "libclang-rt-$v-dev" >/dev/null || true
fi

B=build-fuzz
CC=clang cmake -S . -B $B -DCMAKE_BUILD_TYPE=Release -DALC_SANITIZE=ON -DALC_FUZZ=ON \
  -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" >/dev/null
cmake --build $B -j 2 --target "${targets[@]/#/fuzz_}" >/dev/null

seed() { # target -> seed folders
  case $1 in
    dsl) echo strategies tests/conformance/strategies tests/fuzz/seeds/dsl tests/fuzz/regressions/dsl ;;
    job) echo jobs tests/fuzz/seeds/job tests/fuzz/regressions/job ;;
    csv) echo tests/conformance/market tests/fuzz/seeds/csv tests/fuzz/regressions/csv ;;
  esac
}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
for t in "${targets[@]}"; do
  mkdir -p $B/corpus/$t $B/artifacts/$t $B/logs
  dict=()
  [ -f tests/fuzz/$t.dict ] && dict=(-dict=tests/fuzz/$t.dict)
  # shellcheck disable=SC2046
  nice -n 10 $B/tests/fuzz_$t $B/corpus/$t $(seed $t) "${dict[@]}" \
    -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix=$B/artifacts/$t/ \
    >$B/logs/$t.log 2>&1 || { echo "fuzz_$t: finding, see $B/logs/$t.log and $B/artifacts/$t/"; exit 1; }
  { grep -E '^#[0-9]+' $B/logs/$t.log | tail -1
    grep -E '^stat::|Done [0-9]+ runs' $B/logs/$t.log; } | sed "s/^/fuzz_$t: /" || true
done
