#!/usr/bin/env python3
"""--overlap on and off, alternated: the all-reduce's wait per step (what backprop did not hide) for the Fashion MLP
and the seed GPT, 2 workers on local[2] over Aeron loopback, one epoch each, from the data run.sh prepared
(runs/bench/data). Prints one line per run; both sides must end with the same quality (the same bits).

    python3 scripts/bench/overlap_ab.py [reps=2] [transport=aeron]
"""
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, "runs", "bench", "data")
RUNS = [("mlp", ["--model=mlp", f"--data={DATA}/fashion-mnist", "--bucket-mb=0.01"]),
        ("gpt", ["--model=gpt", f"--data={DATA}/kjv-batch-size16-holdout-windows32-limit320-seq-len128-tokenizerchar", "--bucket-mb=4"])]


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    transport = sys.argv[2] if len(sys.argv) > 2 else "aeron"
    for rep in range(reps):
        for name, args in RUNS:
            for overlap in (["false", "true"] if rep % 2 == 0 else ["true", "false"]):
                out = os.path.join(ROOT, "runs", "overlap-ab", f"{name}-{overlap}-{rep}-{transport}")
                subprocess.run(["rm", "-rf", out], check=True)
                t0 = time.time()
                p = subprocess.run([os.path.join(ROOT, "scripts", "kindling"), "train", *args, "--dist=shared", "--encoding=dense",
                                    f"--transport={transport}", f"--overlap={overlap}", "--epochs=1", f"--out={out}"],
                                   capture_output=True, text=True, cwd=ROOT)
                if p.returncode != 0:
                    print(name, overlap, "FAILED", p.stderr[-2000:], flush=True)
                    continue
                m = json.loads(p.stdout.strip().splitlines()[-1])
                c = m["comm"]
                steps = c["ranks"][0]["steps"]
                own = max(r["compute_s"] for r in c["ranks"]) / steps * 1000
                quality = m["final"].get("accuracy", m["final"].get("loss"))
                print(f"{name:4} overlap={overlap:5} rep={rep} {transport}: {steps} steps; wait {c['allreduce_s'] / steps * 1000:7.1f} ms/step,"
                      f" calls {c['allreduce_calls_s'] / steps * 1000:7.1f} ms/step, own work {own:7.1f} ms/step, {c['buckets']} bucket(s)"
                      f" ({c['buckets_during_backprop']:.2f} launched during backprop), quality {quality:.4f}, wall {time.time() - t0:.0f} s",
                      flush=True)


if __name__ == "__main__":
    main()
