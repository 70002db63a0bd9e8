#!/usr/bin/env bash
# Kindling's benchmark: scripts/bench/run.sh [--quick] [more options: --help]
# Kindling side by side with PyTorch running the seed's architectures, training loops and GPT sampling loop (the
# project's own implementations in scripts/bench/peer/; same model, batch and threads), with its own
# distribution modes, and against the machine's matmul peak; prints one table and writes
# bench/results.json and bench/throughput.svg. --quick takes over 35 minutes on 2 cores (2026-12-05; PEER alone 13-14).
# Installs Debian's python3-torch (apt) when missing; builds the job jar when it is stale.
# Speed claims live here and in BENCHMARKS.md, never in tests: the machines are shared and noisy.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
py=/usr/bin/python3  # Debian's interpreter: python3-torch is installed for it, not for a venv's python

for a in "$@"; do [[ "$a" == -h || "$a" == --help ]] && exec "$py" "$root/scripts/bench/bench.py" --help; done

sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo
apt_install() { # <apt-get install arguments...>: installs, refreshing the package lists once if that fails
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2 ||
    { $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2; }
}
if ! "$py" -c 'import torch, numpy' 2>/dev/null; then
  echo "bench: installing Debian's python3-torch (apt-get install python3-torch python3-numpy libopenblas0-pthread)..." >&2
  # libopenblas0-pthread: without it libtorch falls back to the reference BLAS (~15x slower matmul)
  apt_install --no-install-recommends python3-torch python3-numpy libopenblas0-pthread
fi
[[ -d /usr/share/datasets/fashion-mnist ]] || apt_install dataset-fashion-mnist
command -v bible >/dev/null || apt_install bible-kjv bible-kjv-text  # the gpt rows' corpus, for both sides
# the launcher builds the shaded jar when it is missing or older than the sources
"$root/scripts/kindling" --help >/dev/null
exec "$py" "$root/scripts/bench/bench.py" "$@"
