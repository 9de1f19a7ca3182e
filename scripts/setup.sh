#!/usr/bin/env bash
# README command 1: install what is missing, build everything, and run the main job on
# the shipped default scenario: check its plan, then simulate every phase of it. Safe to
# run again; later runs only rebuild what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
echo "setup: configuring and building (preset dev, build/dev)"
cmake --preset dev >/dev/null
cmake --build --preset dev --parallel "$(nproc)"

echo
echo "setup: meshtwin check scenarios/default.yaml"
# Findings are the point of the check: print them all and exit 0 here; CI gates use --fail-on.
./build/dev/cli/meshtwin check scenarios/default.yaml --fail-on never

echo
echo "setup: meshtwin simulate scenarios/default.yaml (report also in build/dev/default-report.json)"
# A failing gate (exit 1) is a result to read, not a failed set-up; bad input (2) still fails.
./build/dev/cli/meshtwin simulate scenarios/default.yaml --json build/dev/default-report.json || [ $? -eq 1 ]
