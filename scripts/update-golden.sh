#!/usr/bin/env bash
# Regenerates the golden simulator reports the tests compare against. Run after a change to
# the model that is meant to change predictions, and say in the commit what moved and why.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${MESHTWIN:-build/dev/cli/meshtwin}
"$bin" simulate scenarios/default.yaml --duration 60s --seed 42 -o json > tests/scenarios/golden/default-60s-seed42.json || [ $? -eq 1 ]
echo "updated tests/scenarios/golden/default-60s-seed42.json"
# The scenarios `meshtwin import` writes for the shipped import inputs (and their reports).
for pair in "shop:tests/data/import/shop" "kubectl-dump:tests/data/import/kubectl-dump.json" \
            "isotope-online-shop:tests/data/import/isotope/online-shop.yaml"; do
  name=${pair%%:*} src=${pair#*:}
  "$bin" import "$src" -o "tests/scenarios/golden/import/$name.yaml" > /dev/null
  echo "updated tests/scenarios/golden/import/$name.yaml"
done
# What `meshtwin render` writes for every shipped scenario: each file of every wave's directory,
# in byte order of its path, after a "--- <path>" line.
mkdir -p tests/scenarios/golden/render
for s in default eks-1000 large-10000 validation/chain validation/fanout; do
  out="tests/scenarios/golden/render/${s//\//-}.txt"
  tmp=$(mktemp -d)
  "$bin" render "scenarios/$s.yaml" -o "$tmp" > /dev/null
  (cd "$tmp" && find . -type f | LC_ALL=C sort | while read -r f; do printf -- '--- %s\n' "${f#./}"; cat "$f"; done) > "$out"
  rm -rf "$tmp"
  echo "updated $out"
done
