#!/bin/bash
# test.sh: installs dependencies, builds nettape with ASan+UBSan and runs the whole ctest suite (the README's and CI's test command).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# A packager's build first: Release (-O3) with gcc, warnings as errors, so an optimiser-only warning fails here, not there.
if [[ -z ${NETTAPE_SKIP_RELEASE:-} ]]; then
	cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DNETTAPE_WERROR=ON -DCMAKE_C_COMPILER=gcc >/dev/null
	cmake --build build-release -j"$(nproc)" >/dev/null
	echo "test.sh: Release build (gcc -O3 -Werror) ok"
fi
BUILD=${BUILD:-build-test}
cmake -S . -B "$BUILD" -DNETTAPE_SANITIZE=ON -DNETTAPE_WERROR=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
# Kernel-backed tests must not silently skip under CI; a missing capability still skips with 77 and says why.
cd "$BUILD"
ctest --output-on-failure --timeout 900 "$@"
