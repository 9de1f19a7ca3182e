#!/usr/bin/env bash
# Runs a command with its processes limited to a fraction of this machine's CPUs, to see how
# a slower machine behaves on a fast one (e.g. the twin test at 60%):
#   scripts/cpu-limit.sh 0.6 ctest --test-dir build/ci -R "twin privileged"
# A cgroup of its own gets the quota (cgroup v2 cpu.max where v2 has the cpu controller, else
# v1 cpu.cfs_quota_us), the command runs in it, and the group is removed afterwards. Root.
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 FRACTION COMMAND [ARGS...]   (FRACTION of all CPUs, e.g. 0.6)" >&2
  exit 2
fi
fraction=$1
shift
if [ "$(id -u)" -ne 0 ]; then
  echo "cpu-limit: must run as root (it creates a cgroup); hint: sudo $0 $fraction $*" >&2
  exit 2
fi
period=100000
quota=$(awk -v f="$fraction" -v n="$(nproc)" -v p="$period" 'BEGIN { q = int(f * n * p); if (f <= 0 || q < 1000) exit 1; print q }') || {
  echo "cpu-limit: FRACTION must be a positive number, e.g. 0.6 (got \"$fraction\")" >&2
  exit 2
}
name="meshtwin-cpu-limit-$$"
v2=""
for root in /sys/fs/cgroup /sys/fs/cgroup/unified; do
  if [ -f "$root/cgroup.controllers" ] && grep -qw cpu "$root/cgroup.controllers"; then v2=$root; break; fi
done
if [ -n "$v2" ]; then
  grep -qw cpu "$v2/cgroup.subtree_control" || echo +cpu > "$v2/cgroup.subtree_control"
  dir="$v2/$name"
  mkdir "$dir"
  echo "$quota $period" > "$dir/cpu.max"
elif [ -f /sys/fs/cgroup/cpu/cpu.cfs_quota_us ]; then
  dir="/sys/fs/cgroup/cpu/$name"
  mkdir "$dir"
  echo "$period" > "$dir/cpu.cfs_period_us"
  echo "$quota" > "$dir/cpu.cfs_quota_us"
else
  echo "cpu-limit: no cgroup with the cpu controller on this machine (cgroup v2 cpu.max or v1 cpu)" >&2
  exit 2
fi
cleanup() {
  # Processes the command left behind go back to the root group, then the group goes.
  if [ -f "$dir/cgroup.procs" ]; then
    while read -r pid; do echo "$pid" > "$(dirname "$dir")/cgroup.procs" 2>/dev/null || true; done < "$dir/cgroup.procs"
  fi
  rmdir "$dir" 2>/dev/null || true
}
trap cleanup EXIT
echo "cpu-limit: $(awk -v q="$quota" -v p="$period" 'BEGIN { printf "%.2f", q / p }') of $(nproc) CPUs ($dir)" >&2
set +e
( echo "$BASHPID" > "$dir/cgroup.procs"; exec "$@" )
rc=$?
exit $rc
