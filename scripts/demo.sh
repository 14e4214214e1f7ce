#!/bin/bash
# demo.sh: installs dependencies, builds nettape and runs the default demo incident end to end (the README's first Quick start command).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)"
exec bash scenarios/demo.sh "${@:-window-scaling}"
