#!/usr/bin/env bash
# Installs every Debian package meshtwin needs (build, all rooms, tests, benches).
# Idempotent: does nothing and prints nothing when everything is already present.
set -euo pipefail

packages=(
  # build
  build-essential cmake ninja-build ccache pkg-config git python3
  # models
  libyaml-cpp-dev nlohmann-json3-dev libboost-dev libboost-graph-dev
  # CLI and logging
  libcli11-dev libspdlog-dev libfmt-dev
  # data plane
  libssl-dev libnghttp2-dev
  # data-plane tests and benches: an independent HBONE client (Python h2), h2load and curl as
  # independent HTTP clients, haproxy as the TLS-tunnel peer in bench/
  python3-h2 nghttp2-client curl haproxy
  # eBPF
  libbpf-dev bpftool clang llvm libelf-dev zlib1g-dev
  # fuzzing and sanitizers
  libclang-rt-14-dev libfuzzer-14-dev
  # GUI
  qt6-base-dev qt6-charts-dev libqt6opengl6-dev libgl-dev xvfb xauth
  # tests
  catch2 iproute2 iptables prometheus
  # JSON Schema validation of what meshtwin writes (import report; rendered objects)
  libvalijson-dev
  # benchmarks (ns-3 as a peer of the engine in bench/engine_hold)
  libns3-dev
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: must run as root (apt-get install); hint: sudo $0" >&2
  exit 2
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# The package lists may be missing on a fresh machine; update once, quietly.
apt-get update -qq
# prometheus would start a system service on install; the tests start their own.
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
