#!/usr/bin/env bash
# Counts how often the shared master hangs or trains a silent epoch: N runs (default 50) of
# `train --dist=shared --master=local[2]` with --auto-resume=2 and a 1-minute watchdog, one after another.
# Prints one line per run (run, exit code, hung epoch?, silent epoch?, test accuracy, auto_resumes, seconds)
# and a summary. A hung or silent epoch is what failed (or went silently wrong) before --auto-resume;
# a non-zero exit is what still fails with it. Needs a quiet machine: under CPU starvation an epoch can
# simply outlast the watchdog.
#   scripts/bench/hang-count.sh [runs] [dataset source: seed-sum | fashion-mnist] [epochs]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
runs=${1:-50}
source=${2:-seed-sum}
epochs=${3:-4}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
limit=(); [[ "$source" == fashion-mnist ]] && limit=(--limit=12000)
"$root/scripts/kindling" prepare-data --dataset="$source" "${limit[@]}" --out="$work/data" >/dev/null 2>"$work/prep.log"
failed=0 hung=0 silent=0
for i in $(seq 1 "$runs"); do
  t0=$(date +%s)
  rc=0
  "$root/scripts/kindling" train --model=mlp --dist=shared --master='local[2]' --epochs="$epochs" --patience=0 \
    --timeout-minutes=1 --auto-resume=2 --aeron-port=$((46000 + i % 1000)) --data="$work/data" --out="$work/run-$i" \
    >"$work/out" 2>"$work/log" || rc=$?
  h=0; grep -q "did not finish in" "$work/log" && h=1
  s=0; grep -q "parameters did not change" "$work/log" && s=1
  result=$(tail -n 1 "$work/out" | python3 -c 'import json,sys
try: m=json.load(sys.stdin); print(m["final"]["accuracy"], m["auto_resumes"])
except Exception: print("nan -")')
  printf "%d\t%d\t%d\t%d\t%s\t%d\n" "$i" "$rc" "$h" "$s" "$result" $(( $(date +%s) - t0 ))
  (( rc != 0 )) && { failed=$((failed + 1)); cp "$work/log" "$root/hang-count-$i.log"; }
  hung=$((hung + h)); silent=$((silent + s))
  rm -rf "$work/run-$i" "$work/run-$i.partial"
done
echo "runs=$runs hung=$hung silent=$silent failed=$failed (logs of failed runs: $root/hang-count-*.log)"
