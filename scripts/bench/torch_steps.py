"""PyTorch's side of scripts/bench/run.sh (run with Debian's /usr/bin/python3 and python3-torch).

  torch_steps.py steps ROW --threads T --warmup W --steps S
      the seed's training loop (zero_grad, forward, loss, backward, clip_grad_norm_, step, loss.item())
      on the row's model and DataLoader (rows.py, built from peer/): W warm-up steps, then S timed steps
  torch_steps.py matmul --threads T --sizes 1024,2048 --reps R
      fp32 torch.mm GFLOP/s (median of R repetitions per size), as peer/matmul_peak.py measures, on T threads
  torch_steps.py generate --threads T --vocab V --width C --heads H --layers L --ff-width F --context P
                 --seq-len S --prompt N --new-tokens M --batch B --temperature X --top-k K --warmup W --min-seconds D
      the seed's sampling loop (peer/models.generate, context cropped to S tokens) on a randomly initialised
      GPT in eval mode: B random prompts of N tokens, M new tokens each; generations repeated for D
      seconds (a burst), W warm-up bursts before the timed one; new tokens per second

Prints one JSON line on stdout.
"""
import argparse
import contextlib
import json
import statistics
import time

# rows and the peer package come from this script's directory, which Python puts first on sys.path
from peer.threads import pin_threads  # imports no torch: the threads are pinned before torch loads


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["steps", "matmul", "generate"])
    ap.add_argument("row", nargs="?")
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--warmup", type=int, default=50)
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--sizes", default="1024,2048")
    ap.add_argument("--reps", type=int, default=3)
    for name, default in (("vocab", 73), ("width", 128), ("heads", 4), ("layers", 4), ("ff-width", 512), ("context", 512),
                          ("seq-len", 64), ("prompt", 16), ("new-tokens", 120), ("batch", 1), ("top-k", 10)):
        ap.add_argument(f"--{name}", type=int, default=default)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--temperature", type=float, default=1.0)
    ap.add_argument("--min-seconds", type=float, default=1.0)
    a = ap.parse_args()
    pin_threads(a.threads)
    import torch
    out = {"mode": a.mode, "threads": torch.get_num_threads(), "torch": torch.__version__}
    out.update({"steps": steps, "matmul": matmul, "generate": generate}[a.mode](a))
    print(json.dumps(out), flush=True)


def rss_mb(key):
    """A /proc/self/status line (VmRSS: now, VmHWM: the peak) in MB, as the Java side reads it."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key):
                return int(line.split()[1]) * 1024 / 1e6
    return -1.0


def steps(a):
    import torch
    import rows
    baseline_rss = rss_mb("VmRSS:")  # the interpreter and libtorch, before a model or data
    row = rows.by_name(a.row)
    side = row.torch()
    model, crit, opt = side.model, side.criterion, side.optimizer
    model.train()
    # a mixed-precision row: the forward under CPU autocast, as PyTorch's AMP runs it (gradients of fp32 parameters)
    autocast = (lambda: torch.autocast("cpu", dtype=getattr(torch, row.autocast))) if row.autocast else contextlib.nullcontext

    def batches():
        while True:
            for xb, yb in side.loader:
                yield xb, yb

    it = batches()
    loss_sum = 0.0
    n_samples = 0
    t0 = None
    for i in range(a.warmup + a.steps):
        if i == a.warmup:
            t0 = time.perf_counter()
            cpu0 = time.process_time()
            loss_sum, n_samples = 0.0, 0
        xb, yb = next(it)  # the DataLoader's batching and shuffling are part of the seed's loop
        opt.zero_grad()
        with autocast():
            loss = crit(model(xb), yb)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), side.clip_norm)
        opt.step()
        loss_sum += loss.item()
        n_samples += xb.shape[0]
    seconds = time.perf_counter() - t0
    cpu_seconds = time.process_time() - cpu0  # every thread of this process
    return {"row": row.name, "params": sum(p.numel() for p in model.parameters()), "steps": a.steps,
            "samples": n_samples, "seconds": seconds, "cpu_seconds": cpu_seconds,
            "steps_per_s": a.steps / seconds, "steps_per_cpu_s": a.steps / cpu_seconds,
            "samples_per_s": n_samples / seconds, "final_train_loss": loss_sum / a.steps,
            "peak_rss_mb": rss_mb("VmHWM:"), "baseline_rss_mb": baseline_rss}


def matmul(a):
    import torch
    torch.manual_seed(0)
    out = {}
    for n in [int(s) for s in a.sizes.split(",")]:
        x = torch.rand(n, n)
        y = torch.rand(n, n)
        c = torch.empty(n, n)
        torch.mm(x, y, out=c)  # warm-up
        iters = max(1, int(4e9 / (2.0 * n ** 3)))  # ~4 GFLOP per repetition, as the Java side
        g, g_cpu = [], []
        for _ in range(a.reps):
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(iters):
                torch.mm(x, y, out=c)
            t = (time.perf_counter() - t0) / iters
            cpu = (time.process_time() - c0) / iters
            g.append(2.0 * n ** 3 / t / 1e9)
            g_cpu.append(2.0 * n ** 3 / cpu / 1e9)
        out[f"gflops_n{n}"] = statistics.median(g)
        out[f"cpu_gflops_n{n}"] = statistics.median(g_cpu)
    out["peak_gflops"] = max(v for k, v in out.items() if k.startswith("gflops_"))
    out["cpu_peak_gflops"] = max(v for k, v in out.items() if k.startswith("cpu_gflops_"))
    return out


def generate(a):
    import torch
    from peer.models import GPT, generate as sample
    torch.manual_seed(42)
    model = GPT(a.vocab, a.width, a.heads, a.layers, a.ff_width, a.context, a.dropout).eval()  # the seed samples in eval mode
    prompts = torch.randint(a.vocab, (a.batch, a.prompt))  # any ids: the work does not depend on them

    def burst():
        """Generations until min_seconds have passed, at least one: short ones repeated for a readable time."""
        t0, calls = time.perf_counter(), 0
        while calls == 0 or time.perf_counter() - t0 < a.min_seconds:
            sample(model, prompts, a.new_tokens, a.seq_len, a.temperature, a.top_k or None)
            calls += 1
        return calls

    for _ in range(a.warmup):  # as many warm-up bursts as Kindling's least (torch has no JIT to settle)
        burst()
    t0, cpu0 = time.perf_counter(), time.process_time()
    calls = burst()
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - cpu0
    tokens = calls * a.batch * a.new_tokens
    return {"params": sum(p.numel() for p in model.parameters()), "batch": a.batch, "new_tokens": a.new_tokens,
            "calls": calls, "seconds": seconds, "cpu_seconds": cpu_seconds,
            "tokens_per_s": tokens / seconds, "tokens_per_cpu_s": tokens / cpu_seconds}


if __name__ == "__main__":
    main()
