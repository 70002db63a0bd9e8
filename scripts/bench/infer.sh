#!/usr/bin/env bash
# Batch inference throughput: `infer` on Spark executors (--dist=shared, local[2] by default) against
# the single-JVM loop (--dist=local) over the same rows, alternating, REPS times each; prints a table
# of median rows/s and the ratio. Usage: scripts/bench/infer.sh <model.zip> <prepared dataset> [REPS]
# Speed claims live here, never in tests: the machines are shared and noisy.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
model=${1:?usage: scripts/bench/infer.sh <model.zip> <prepared dataset> [reps]}
data=${2:?usage: scripts/bench/infer.sh <model.zip> <prepared dataset> [reps]}
reps=${3:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
results="$tmp/results.tsv"
for ((r = 1; r <= reps; r++)); do
  for dist in shared local; do
    line=$("$root/scripts/kindling" infer --model-path="$model" --data="$data" --out="$tmp/out-$dist-$r" --dist="$dist" 2>"$tmp/log" | tail -n 1) \
      || { cat "$tmp/log" >&2; exit 1; }
    python3 -c 'import json,sys; m=json.loads(sys.argv[1]); print("%s\t%d\t%.3f\t%.1f" % (m["dist"], m["rows_out"], m["seconds"], m["rows_per_s"]))' "$line" >> "$results"
    echo "bench: rep $r $dist done" >&2
  done
done
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
by = {}
for dist, n, s, rate in rows:
    by.setdefault(dist, []).append((int(n), float(s), float(rate)))
print("%-8s %6s %5s %14s %14s %12s" % ("dist", "rows", "reps", "median rows/s", "spread rows/s", "median s"))
for dist in ("shared", "local"):
    v = by[dist]
    rates = [x[2] for x in v]
    print("%-8s %6d %5d %14.0f %14s %12.2f" % (dist, v[0][0], len(v), statistics.median(rates),
          "%.0f-%.0f" % (min(rates), max(rates)), statistics.median([x[1] for x in v])))
print("ratio shared/local (rows/s): %.2f" % (statistics.median([x[2] for x in by["shared"]]) / statistics.median([x[2] for x in by["local"]])))
PY
