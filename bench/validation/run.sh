#!/usr/bin/env bash
# Full validation of the simulator against the testbed (root): calibrate the embedded
# proxies on this machine, then validate the three topologies the calibration never saw
# (a chain, a fan-out, the default shop), each through its plan's four mesh modes (sidecar,
# mixed, ambient, ambient with waypoints) at two loads. Writes, under bench/results/:
#   embedded-profile.yaml                  the calibrated profile with its raw points
#   validation-<scenario>.json / .html     per scenario: every figure, predicted vs measured
#   validation.json / validation.html      all scenarios: one summary and links
# Usage: bench/validation/run.sh [BUILD_DIR]   (default build/ci). About 10 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/ci}
mt="$build/cli/meshtwin"
out=bench/results
[ -x "$mt" ] || { echo "run.sh: $mt not built (cmake --build $build --target meshtwin)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "run.sh: needs root (the testbed makes namespaces, cgroups, eBPF)" >&2; exit 2; }
mkdir -p "$out"

echo "== calibrate"
"$mt" calibrate -o "$out/embedded-profile.yaml"

# scenario file, loads (entry-rate multipliers), then its name in the results
runs=(
  "scenarios/validation/chain.yaml 1,2 chain"
  "scenarios/validation/fanout.yaml 1,2 fanout"
  "scenarios/default.yaml 0.25,0.5 shop"
)
status=0
for r in "${runs[@]}"; do
  read -r file loads name <<<"$r"
  echo "== validate $name ($file, loads $loads)"
  "$mt" validate "$file" --profile "$out/embedded-profile.yaml" --loads "$loads" --duration 10s --warmup 2s \
    --json "$out/validation-$name.json" --html "$out/validation-$name.html" || status=1
done

# One JSON and one page over the three.
{
  echo '{"schema": "meshtwin/validation-set/v1", "profile": "embedded-profile.yaml", "runs": ['
  sep=""
  for r in "${runs[@]}"; do
    read -r _ _ name <<<"$r"
    printf '%s{"name": "%s", "html": "validation-%s.html", "report": ' "$sep" "$name" "$name"
    cat "$out/validation-$name.json"
    printf '}'
    sep=","
  done
  echo ']}'
} >"$out/validation.json"
{
  echo '<!doctype html><html><head><meta charset="utf-8"><title>meshtwin validation</title></head><body>'
  echo '<h1>meshtwin validation</h1><p>Profile: <a href="embedded-profile.yaml">embedded-profile.yaml</a> (calibrated on this machine). Every figure: <a href="validation.json">validation.json</a>.</p><ul>'
  for r in "${runs[@]}"; do
    read -r file loads name <<<"$r"
    echo "<li><a href=\"validation-$name.html\">$name</a> ($file, loads $loads)</li>"
  done
  echo '</ul></body></html>'
} >"$out/validation.html"
echo "wrote $out/validation.json and $out/validation.html"
exit $status
