#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test (unit,
# integration over loopback gRPC, Python end-to-end).
#   --sanitize  build in build-asan with AddressSanitizer + UBSan instead,
#               and run every test but the two quality checks on the whole
#               Amazon Beauty file: unoptimised and instrumented they take
#               8 minutes each, and smaller tests that do run here cover
#               the same code (the normal build runs them too).
set -euo pipefail
cd "$(dirname "$0")/.."

build=build
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
ctest_args=()
if [ "${1:-}" = "--sanitize" ]; then
  build=build-asan
  flags=(-DCMAKE_BUILD_TYPE=Debug -DZHONGCAO_SANITIZE=ON)
  ctest_args=(-E "^(CovisitQuality|EvaluateEndToEnd)\.AmazonBeauty")
fi

tools/install-deps.sh
cmake -S . -B "$build" -G Ninja -DZHONGCAO_BUILD_TESTS=ON -DZHONGCAO_WERROR=ON "${flags[@]}" >/dev/null
cmake --build "$build"
export OMP_NUM_THREADS=1
ctest --test-dir "$build" --output-on-failure -j2 "${ctest_args[@]}"
