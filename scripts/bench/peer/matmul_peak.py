"""The machine's fp32 matmul peak through torch on 2 threads, the seed's matmul_peak measurement.

Run from scripts/bench: `/usr/bin/python3 -m peer.matmul_peak`. Per size N: one warm-up product, then
3 repetitions of `iters` products; the median repetition's 2 N^3 / time. Ends with one line
`RESULT name=matmul_peak_fp32 threads=2 blas=... gflops_nN=... peak_gflops=... loadavg1=...` (bench.py
reads it). Also names the BLAS libtorch loaded: Debian's python3-torch calls whatever libblas.so.3 the
alternatives system selects, and the reference BLAS is ~15x slower than OpenBLAS.
"""
import os
import statistics
import time

from peer.threads import pin_threads

THREADS = 2  # the seed's setting
SIZES = ((1024, 8), (2048, 3), (4096, 1))  # (N, products per repetition): about 17-140 GFLOP per repetition


def blas_in_use():
    """The BLAS and LAPACK libraries mapped into this process, as <alternatives dir>/<file>."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() or "lapack" in line.lower()}
    except OSError:
        return "unknown"
    return ",".join(sorted("/".join(path.rsplit("/", 2)[-2:]) for path in libs))


def main():
    pin_threads(THREADS)
    import torch
    torch.manual_seed(0)
    gflops = {}
    for n, iters in SIZES:
        a, b = torch.randn(n, n), torch.randn(n, n)
        torch.mm(a, b)  # warm-up: thread pool start and first-touch of the output
        reps = []
        for _ in range(3):
            t0 = time.perf_counter()
            for _ in range(iters):
                torch.mm(a, b)
            reps.append(2 * n ** 3 * iters / (time.perf_counter() - t0) / 1e9)
        print(f"N={n}: GFLOP/s per repetition {[round(g, 1) for g in reps]}")
        gflops[f"gflops_n{n}"] = statistics.median(reps)
    blas = blas_in_use()
    print("BLAS libraries mapped:", blas)
    fields = {"name": "matmul_peak_fp32", "threads": torch.get_num_threads(), "blas": blas.replace(" ", "_"),
              **gflops, "peak_gflops": max(gflops.values()),
              "loadavg1": round(os.getloadavg()[0], 2)}  # other jobs on the machine lower the peak
    print("RESULT " + " ".join(f"{k}={v:.6g}" if isinstance(v, float) else f"{k}={v}" for k, v in fields.items()),
          flush=True)


if __name__ == "__main__":
    main()
