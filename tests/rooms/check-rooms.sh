#!/usr/bin/env bash
# The map's rule for the pure rooms: nothing under sim/ or models/ includes a header of the data
# plane, the testbed, bpf, twin, cli or gui, and no CMake target of theirs links one.
# usage: check-rooms.sh SOURCE_ROOT LINKS_FILE
#   LINKS_FILE: one line per target of sim/ and models/, "TARGET: LIB;LIB;...", written by CMake.
# Prints each violation as FILE:LINE or TARGET, and exits 1 when there is one.
set -u
root=$1 links=$2
forbidden='dataplane|testbed|bpf|twin|cli|gui'
status=0
for room in sim models; do
  [ -d "$root/$room" ] || continue
  while IFS= read -r hit; do
    echo "${hit#"$root"/}: includes from a room sim/ and models/ may not depend on" >&2
    status=1
  done < <(grep -rnE --include='*.cpp' --include='*.hpp' --include='*.h' \
             "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]([^>\"]*/)?(meshtwin/($forbidden)/|($forbidden)/|(cli|twin|testbed)\.hpp)" \
             "$root/$room")
done
if [ ! -s "$links" ]; then
  echo "$links: no link lists (CMake writes them at configure time)" >&2
  exit 1
fi
while IFS= read -r line; do
  target=${line%%:*}
  libs=${line#*:}
  IFS=';' read -ra items <<< "$libs"
  for lib in "${items[@]}"; do
    lib=$(echo "$lib" | sed -E 's/^[[:space:]]+|[[:space:]]+$//g; s/^\$<LINK_ONLY:(.*)>$/\1/')
    if [[ "$lib" =~ ^meshtwin(::|_)($forbidden|dataplane_[a-z_]+|proxy|ca)$ ]]; then
      echo "target $target links $lib, which sim/ and models/ may not depend on" >&2
      status=1
    fi
  done
done < "$links"
[ $status -eq 0 ] && echo "rooms: sim/ and models/ include and link nothing of dataplane, testbed, bpf, twin, cli or gui"
exit $status
