#!/bin/bash
# test.sh: installs dependencies, builds nettape with ASan+UBSan and runs the whole ctest suite (the README's and CI's test command).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD=${BUILD:-build-test}
cmake -S . -B "$BUILD" -DNETTAPE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
# Kernel-backed tests must not silently skip under CI; a missing capability still skips with 77 and says why.
cd "$BUILD"
ctest --output-on-failure --timeout 900 "$@"
