#!/usr/bin/env bash
# Kindling's scaling bench: scripts/bench/scaling.sh [--quick] [more options: --help]
# The all-reduce among N = 1, 2, 4, 8 Spark standalone workers, each in its own Linux network namespace
# behind a veth link shaped with tc (10 and 1 Gbit/s), the compute of one worker's step, a cost model
# fitted to both and its projection to 8, 64 and 512 hosts. Prints the tables and writes bench/scaling.json.
# --quick takes about 11 minutes on 2 cores (N = 8 on one link; 15.5 with both). Needs root (ip netns, tc) and a kernel with veth,
# bridge and the tbf qdisc; makes the bridge kscale0 and namespaces kscale-w1.. and removes them at the end.
# --overlap-ab [--links=1gbit]: instead, the seed GPT trained one epoch on 2 executors, --overlap off and on
# (about 10 minutes; bench/overlap.json).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
py=/usr/bin/python3

for a in "$@"; do
  [[ "$a" == -h || "$a" == --help ]] && exec "$py" "$root/scripts/bench/scaling.py" --help
  [[ "$a" == --from-results=* ]] && exec "$py" "$root/scripts/bench/scaling.py" "$@"  # refits only: no root, no network
done
[[ $(id -u) -eq 0 ]] || { echo "scaling: needs root (network namespaces and tc); run it with sudo" >&2; exit 2; }
for tool in ip tc; do
  command -v $tool >/dev/null || { echo "scaling: $tool not found: apt-get install iproute2" >&2; exit 2; }
done
"$py" -c 'import numpy' 2>/dev/null || {
  echo "scaling: installing Debian's python3-numpy (the model's fit)..." >&2
  apt-get install -y -qq python3-numpy >&2 || { apt-get update -qq >&2 && apt-get install -y -qq python3-numpy >&2; }
}
command -v bible >/dev/null || apt-get install -y -qq bible-kjv bible-kjv-text >&2  # the compute rows' corpus
# the launcher builds the shaded jar when it is missing or older than the sources
"$root/scripts/kindling" --help >/dev/null
exec "$py" "$root/scripts/bench/scaling.py" "$@"
