#!/usr/bin/env bash
# README command 2: install what is missing, build with warnings as errors (preset ci), and
# run the whole test suite. Exits non-zero when any test fails.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
echo "test: configuring and building (preset ci, build/ci)"
cmake --preset ci >/dev/null
cmake --build --preset ci --parallel "$(nproc)"
echo "test: running the suite"
ctest --preset ci --parallel "$(nproc)" --timeout 600
