#!/usr/bin/env bash
# Kindling's benchmark: scripts/bench/run.sh [--quick] [more options: --help]
# Kindling side by side with the seed's PyTorch programs (same model, batch and threads), with its own
# distribution modes, and against the machine's matmul peak; prints one table and writes
# bench/results.json and bench/throughput.svg. --quick finishes in under 15 minutes on 2 cores.
# Installs Debian's python3-torch and python3-torchvision (apt; the seed's cnn.py imports torchvision) when missing; builds the job jar when it is stale.
# Speed claims live here and in BENCHMARKS.md, never in tests: the machines are shared and noisy.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
py=/usr/bin/python3  # Debian's interpreter: python3-torch is installed for it, not for a venv's python

for a in "$@"; do [[ "$a" == -h || "$a" == --help ]] && exec "$py" "$root/scripts/bench/bench.py" --help; done

if ! "$py" -c 'import torch, torchvision, numpy' 2>/dev/null; then
  echo "bench: installing Debian's python3-torch (apt-get install python3-torch python3-torchvision python3-numpy libopenblas0-pthread)..." >&2
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo
  $sudo apt-get update -qq >&2
  # libopenblas0-pthread: without it libtorch falls back to the reference BLAS (~15x slower matmul)
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    python3-torch python3-torchvision python3-numpy libopenblas0-pthread >&2
fi
if [[ ! -d /usr/share/datasets/fashion-mnist ]]; then
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo
  $sudo apt-get install -y -qq dataset-fashion-mnist >&2 || { $sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq dataset-fashion-mnist >&2; }
fi
if ! command -v bible >/dev/null; then  # the gpt rows' corpus, for both sides
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo=sudo
  $sudo apt-get install -y -qq bible-kjv bible-kjv-text >&2 || { $sudo apt-get update -qq >&2 && $sudo apt-get install -y -qq bible-kjv bible-kjv-text >&2; }
fi
# the launcher builds the shaded jar when it is missing or older than the sources
"$root/scripts/kindling" --help >/dev/null
exec "$py" "$root/scripts/bench/bench.py" "$@"
