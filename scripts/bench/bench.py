"""Kindling's benchmark (scripts/bench/run.sh calls this; standard library only, torch runs in its own
process through torch_steps.py). Prints one table and writes bench/results.json and
bench/throughput.svg. Every comparison runs both sides in this one invocation, alternating, several
repetitions; the table gives medians, spreads (min-max) and ratios. Nothing here is a stored result.

Sections (--sections, default all):
  peer    each rows.ROWS entry: Kindling's local training loop vs the seed's PyTorch loop on the project's
          own PyTorch implementation of the seed's model (peer/), same model, batch and threads; training
          steps/s after warm-up; ratio Kindling/PyTorch
  eff     fp32 matmul peak through ND4J and through torch on the same threads, and each peer row's
          achieved GFLOP/s (counted FLOPs x steps/s) as a fraction of its own side's peak; plus the
          seed's matmul-peak measurement (peer/matmul_peak.py, 2 threads)
  memory  peak resident memory (the kernel's high-water mark) of one training process per peer row, each side,
          with its baseline (interpreter or JVM and libraries before a model) and Kindling's Java heap peak and
          ND4J off-heap bytes; plus rows.MEMORY_ROWS beside the rows they vary: the seed GPT at batch 64, the GPT
          and the LSTM classifier with --precision=bf16 and fp16 (PyTorch: CPU autocast bf16, or fp32 for fp16)
  dist    rows with dist=True: `train` with --dist local, shared and averaging (local[2]) for equal
          epochs: samples/s, test accuracy, bytes sent vs dense fp32, driver and encode overhead/step
  decode  shard decoding: DL4J's DataSet.load vs Kindling's ShardDecoder on the same bytes (the
          before/after of the speed work); with --baseline-jar also `train --dist local` and the
          training step of the --baseline-rows with that older jar vs this one, alternating
  generate  sampling from the demo GPT (the gpt preset's sizes, random weights), one thread each: Kindling's
          Sampler through its key/value cache (what `generate` runs) and through the whole window per
          token, vs the seed's PyTorch sampling loop (peer/models.generate); new tokens/s, per --gen-cases
"""
import argparse
import datetime
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import rows as rowspec  # noqa: E402

PY = "/usr/bin/python3"  # Debian's interpreter, where python3-torch lives


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


def human_bytes(n):
    for unit, size in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if n >= size:
            return f"{n / size:.3g}{unit}"
    return f"{n:.0f}"


def spread(v):
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v), "values": v}


def rel_spread(s):
    return (s["max"] - s["min"]) / s["median"] if s["median"] else float("nan")


def in_turn(rep, sides):
    """The sides of repetition `rep` in running order: as given in even repetitions, reversed in odd ones, so
    neither side always runs first."""
    return sides if rep % 2 == 0 else sides[::-1]


def step_bench_class(jar):
    """StepBench's name in a job jar: dev.kindling.spark.bench since 7da792c, dev.kindling.spark.job before (a --baseline-jar)."""
    import zipfile
    with zipfile.ZipFile(jar) as z:
        names = set(z.namelist())
    return "dev.kindling.spark.bench.StepBench" if "dev/kindling/spark/bench/StepBench.class" in names else "dev.kindling.spark.job.StepBench"


class Env:
    def __init__(self, a):
        self.a = a
        self.work = os.path.abspath(a.work)
        os.makedirs(self.work, exist_ok=True)
        jars = [f for f in os.listdir(os.path.join(ROOT, "spark-jobs", "target"))
                if re.fullmatch(r"kindling-spark-jobs-.*-all\.jar", f)]
        if not jars:
            raise SystemExit("bench: no job jar; run scripts/bench/run.sh (it builds it)")
        self.jar = os.path.join(ROOT, "spark-jobs", "target", jars[0])
        self.flags = open(os.path.join(ROOT, "spark-jobs", "target", "jvm.flags")).read().split()
        self.seq = 0

    def run(self, cmd, env_extra, what, timeout, every_line=False):
        """Runs cmd (its stderr to a numbered log) and returns its last JSON line, or with every_line all of them."""
        self.seq += 1
        logf = os.path.join(self.work, "logs", f"{self.seq:03d}-{what}.log")
        os.makedirs(os.path.dirname(logf), exist_ok=True)
        env = {**os.environ, "SPARK_LOCAL_IP": "127.0.0.1", **env_extra}
        t0 = time.time()
        with open(logf, "w") as err:
            p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=err, env=env, text=True, timeout=timeout)
        if p.returncode != 0:
            tail = open(logf).read()[-3000:]
            raise SystemExit(f"bench: {what} failed (exit {p.returncode}); log {logf}:\n{tail}")
        last = [l for l in p.stdout.splitlines() if l.startswith("{")]
        if not last:
            raise SystemExit(f"bench: {what} printed no JSON line; log {logf}")
        log(f"{what}: {time.time() - t0:.0f}s")
        return [json.loads(l) for l in last] if every_line else json.loads(last[-1])

    def java(self, mode, args, threads, what, jar=None, timeout=900, jvm_extra=(), jvm_without=(), args_extra=()):
        """StepBench in its own JVM: the jar's flags (less jvm_without), then jvm_extra; args_extra after args."""
        jar = jar or self.jar
        flags = [f for f in self.flags if f not in jvm_without]
        cmd = ["java", "-Xmx3g", *flags, *jvm_extra, "-cp", jar, step_bench_class(jar), mode, *args, *args_extra]
        return self.run(cmd, {"OMP_NUM_THREADS": str(threads)}, what, timeout)

    def kindling(self, args, what, jar=None, flags=None, timeout=1800):
        """The launcher's command line, for this jar or an older one (--baseline-jar)."""
        jar = jar or self.jar
        cmd = ["java", "-Xmx4g", *(flags or self.flags), "-cp", jar, "org.apache.spark.deploy.SparkSubmit",
               "--master", "local[2]", "--deploy-mode", "client",
               "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
               "--conf", "spark.ui.enabled=false", "--class", "dev.kindling.spark.job.Kindling", jar, *args]
        return self.run(cmd, {"OMP_NUM_THREADS": "1"}, what, timeout)

    def torch(self, mode, args, threads, what, timeout=900):
        cmd = [PY, os.path.join(HERE, "torch_steps.py"), mode, *args, "--threads", str(threads)]
        return self.run(cmd, {}, what, timeout)

    def dataset(self, row):
        out = os.path.join(self.work, "data", row.data_name())
        if not os.path.exists(os.path.join(out, "manifest.json")):
            log(f"preparing {row.data_name()} at {out}")
            self.kindling(["prepare-data", f"--dataset={row.dataset}", f"--out={out}", *flags(row.prepare)],
                          f"prepare-{row.data_name()}")
        return out


def flags(d):
    return [f"--{k}={v}" for k, v in d.items()]


def row_steps(row, a):
    """(warm-up, timed) steps of a row: its own counts (scaled in full mode) or the run's."""
    return (a.warmup, a.steps) if row.steps is None else (row.steps[0] * a.step_scale, row.steps[1] * a.step_scale)


def peer(env, a, results):
    out = []
    for row in selected_rows(a):
        data = env.dataset(row)
        warmup, steps = row_steps(row, a)
        for threads in a.threads:
            j, t, jc, tc = [], [], [], []
            jr, tr = [], []
            for rep in range(a.reps):
                for side in in_turn(rep, ["java", "torch"]):
                    if side == "java":
                        r = env.java("steps", [f"--model={row.model}", f"--data={data}", *flags(row.train),
                                               f"--warmup={warmup}", "--settle-jit=true", f"--steps={steps}"], threads,
                                     f"peer-{row.name}-t{threads}-kindling-{rep}")
                        j.append(r["steps_per_s"])
                        jc.append(r["steps_per_cpu_s"])
                        jr.append(r)
                    else:
                        r = env.torch("steps", [row.name, "--warmup", str(warmup), "--steps", str(steps)], threads,
                                      f"peer-{row.name}-t{threads}-pytorch-{rep}")
                        t.append(r["steps_per_s"])
                        tc.append(r["steps_per_cpu_s"])
                        tr.append(r)
            out.append({"memory": memory_of(jr, tr),"row": row.name, "what": row.what, "threads": threads, "batch": jr[0]["batch"], "steps": steps,
                        "params": jr[0]["params"], "flops_per_step": jr[0]["flops_per_step"],
                        "kindling_steps_per_s": spread(j), "pytorch_steps_per_s": spread(t),
                        "ratio": statistics.median(j) / statistics.median(t),
                        "ratio_per_rep": spread([x / y for x, y in zip(j, t)]),
                        "kindling_steps_per_cpu_s": spread(jc), "pytorch_steps_per_cpu_s": spread(tc),
                        "cpu_ratio": statistics.median(jc) / statistics.median(tc),
                        "cpu_ratio_per_rep": spread([x / y for x, y in zip(jc, tc)]),
                        # Kindling warms up until the JIT settles (StepBench): steps actually run, and the
                        # compilation time that still fell into the timed steps
                        "kindling_warmup_steps": spread([r.get("warmup_steps", warmup) for r in jr]),
                        "kindling_jit_ms": spread([r.get("jit_ms", 0) for r in jr])})
    results["peer"] = out


def memory_of(java_runs, torch_runs):
    """Peak resident memory (VmHWM) and baselines of each side's training processes; Kindling's heap and off-heap."""
    def side(runs, keys):
        return {k: spread([r[k] for r in runs]) for k in keys if all(k in r for r in runs)}
    return {"kindling": side(java_runs, ("peak_rss_mb", "baseline_rss_mb", "heap_peak_mb", "heap_max_mb", "offheap_mb")),
            "pytorch": side(torch_runs, ("peak_rss_mb", "baseline_rss_mb"))}


def memory(env, a, results):
    """Memory per training worker of rows.MEMORY_ROWS (the seed GPT at batch 64, the GPT and the LSTM in bf16 and fp16)
    and of the rows they vary, unless the PEER section measured those: a few steps each side, once."""
    out = []
    in_peer = {p["row"] for p in results.get("peer", []) if p["threads"] == 1}
    bases = dict.fromkeys(r.base for r in rowspec.MEMORY_ROWS if r.base not in in_peer)  # measured in this run, once
    for row in [*(rowspec.by_name(b) for b in bases), *rowspec.MEMORY_ROWS]:
        data = env.dataset(row)
        j = env.java("steps", [f"--model={row.model}", f"--data={data}", *flags(row.train), "--warmup=1", "--steps=2"], 1,
                     f"memory-{row.name}-kindling")
        t = env.torch("steps", [row.name, "--warmup", "1", "--steps", "2"], 1, f"memory-{row.name}-pytorch")
        out.append({"row": row.name, "what": row.what, "batch": j["batch"], "params": j["params"], "memory": memory_of([j], [t])})
    results["memory"] = out


def efficiency(env, a, results):
    threads_list = a.threads
    out = []
    for threads in threads_list:
        nd, tp, ndc, tpc = [], [], [], []
        for rep in range(a.reps):
            r = env.java("matmul", [f"--sizes={a.sizes}", "--reps=3"], threads, f"matmul-nd4j-t{threads}-{rep}")
            nd.append(r["peak_gflops"])
            ndc.append(r["cpu_peak_gflops"])
            r = env.torch("matmul", ["--sizes", a.sizes, "--reps", "3"], threads, f"matmul-torch-t{threads}-{rep}")
            tp.append(r["peak_gflops"])
            tpc.append(r["cpu_peak_gflops"])
        peak = {"threads": threads, "sizes": a.sizes, "nd4j_gflops": spread(nd), "torch_gflops": spread(tp),
                "nd4j_gflops_per_cpu_s": spread(ndc), "torch_gflops_per_cpu_s": spread(tpc)}
        rows = []
        for p in results.get("peer", []):
            if p["threads"] != threads:
                continue
            # per CPU-second on both sides (steps and matmuls), so other jobs on the machine cancel out
            kg = p["flops_per_step"] * p["kindling_steps_per_cpu_s"]["median"] / 1e9
            tg = p["flops_per_step"] * p["pytorch_steps_per_cpu_s"]["median"] / 1e9
            rows.append({"row": p["row"], "flops_per_step": p["flops_per_step"], "kindling_gflops_per_cpu_s": kg,
                         "kindling_of_peak": kg / peak["nd4j_gflops_per_cpu_s"]["median"], "pytorch_gflops_per_cpu_s": tg,
                         "pytorch_of_peak": tg / peak["torch_gflops_per_cpu_s"]["median"]})
        peak["rows"] = rows
        out.append(peak)
    seed_peak = None
    p = subprocess.run([PY, "-m", "peer.matmul_peak"], cwd=HERE, capture_output=True, text=True, timeout=600)
    line = [l for l in p.stdout.splitlines() if l.startswith("RESULT ")]
    if p.returncode == 0 and line:
        seed_peak = dict(kv.split("=", 1) for kv in line[-1].split()[1:])
        log(f"peer/matmul_peak.py: {seed_peak.get('peak_gflops')} GFLOP/s on {seed_peak.get('threads')} threads")
    else:  # the table goes without this reference line rather than losing the section's other measurements
        log(f"peer/matmul_peak.py failed (exit {p.returncode}): {p.stderr[-2000:]}")
    results["efficiency"] = {"peaks": out, "seed_matmul_peak": seed_peak}


def free_udp_port():
    for _ in range(50):
        port = random.randint(41000, 49000)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise SystemExit("bench: no free UDP port in 41000-49000")


# name in the table -> train's flags; "shared" is DL4J's threshold encoding, "dense" Kindling's all-reduce, "topk" its sparse step sharing
DISTS = {"local": ["--dist=local"], "shared": ["--dist=shared", "--encoding=threshold"],
         # --host-ipc=false: UDP even between the JVMs (or threads) of one host, as between hosts
         "dense": ["--dist=shared", "--encoding=dense"], "dense-udp": ["--dist=shared", "--encoding=dense", "--transport=aeron", "--host-ipc=false"],
         # the same with the gradient all-reduced in buckets while backprop runs (50 KB buckets: the MLP's layers apart)
         "udp-overlap": ["--dist=shared", "--encoding=dense", "--transport=aeron", "--host-ipc=false", "--overlap=true", "--bucket-mb=0.05"],
         "topk": ["--dist=shared", "--encoding=topk"], "averaging": ["--dist=averaging"]}


def dist(env, a, results):
    out = []
    for row in [r for r in selected_rows(a) if r.dist]:
        data = env.dataset(row)
        epochs = row.dist_epochs or a.epochs
        runs = {d: [] for d in DISTS}
        for rep in range(a.dist_reps):
            for d in runs:
                run_dir = os.path.join(env.work, "runs", f"{row.name}-{d}-{rep}")
                shutil.rmtree(run_dir, ignore_errors=True)
                shutil.rmtree(run_dir + ".partial", ignore_errors=True)
                extra = [f"--aeron-port={free_udp_port()}"] if d != "local" else []
                m = env.kindling(["train", f"--model={row.model}", f"--data={data}", f"--out={run_dir}", *DISTS[d],
                                  f"--epochs={epochs}", "--patience=0", *flags(row.train), *extra], f"dist-{row.name}-{d}-{rep}")
                runs[d].append(m)
        summary = {"row": row.name, "epochs": epochs, "dists": {}}
        local_update = statistics.median([r["telemetry"]["median_update_ms"] for r in runs["local"] if r.get("telemetry")] or [float("nan")])
        for d, ms in runs.items():
            fit_s = [sum(h["seconds"] for h in m["history"]) for m in ms]
            row_d = {"workers": ms[0]["workers"], "steps": ms[0]["steps"],
                     "samples_per_s": spread([m["samples_per_s"] for m in ms]),
                     "test_accuracy": spread([m["final"]["accuracy"] for m in ms])}
            tel = [m.get("telemetry") for m in ms if m.get("telemetry")]
            if tel:
                step_ms = statistics.median([t["median_step_ms"] for t in tel])
                upd_ms = statistics.median([t["median_update_ms"] for t in tel])
                # wall time each worker spends per step (epochs incl. validation) minus its own step time
                per_step = statistics.median([fs * m["workers"] / m["steps"] * 1000 for fs, m in zip(fit_s, ms)])
                row_d.update({"median_step_ms": step_ms, "median_update_ms": upd_ms,
                              "wall_ms_per_step_per_worker": per_step,
                              "driver_overhead_ms_per_step": per_step - step_ms,
                              "encode_overhead_ms_per_step": upd_ms - local_update})
            comm = [m.get("comm") for m in ms if m.get("comm")]
            if comm:
                row_d["bytes_sent"] = statistics.median([c["bytes_sent"] for c in comm])
                row_d["dense_bytes"] = statistics.median([c["dense_bytes"] for c in comm])
                # the training thread's wait per step: the communication backprop did not hide
                exposed = [c["allreduce_s"] / (len(m["history"]) * c["ranks"][0]["steps"]) * 1000
                           for m, c in zip(ms, comm) if "allreduce_s" in c and c.get("ranks")]
                if exposed:
                    row_d["exposed_ms_per_step"] = spread(exposed)
                ratios = [c["compression"] for c in comm if c["compression"]]
                if ratios:  # null when nothing crossed between JVMs: local[N] keeps every worker in one JVM
                    row_d["compression"] = spread(ratios)
            summary["dists"][d] = row_d
        loc = summary["dists"]["local"]["samples_per_s"]["median"]
        for d in [d for d in DISTS if d != "local"]:
            summary["dists"][d]["samples_per_s_vs_local"] = summary["dists"][d]["samples_per_s"]["median"] / loc
        out.append(summary)
    results["dist"] = out
    # the dense encoding's communication alone, for the seed-size GPT's gradient (4,882,688 floats)
    # over Aeron UDP loopback and through memory, alternated
    # and in the bf16 wire (half the bytes; rounding in Java on both transports)
    ar = {(t, w): [] for t in ("aeron", "memory") for w in ("fp32", "bf16")}
    for rep in range(a.dist_reps):
        for t, w in ar:
            ar[(t, w)].append(env.java("allreduce", ["--floats=4882688", "--workers=2", "--calls=10", f"--transport={t}", f"--wire={w}"], 1,
                                       f"allreduce-{t}-{w}-{rep}"))
    # 4 workers as 2 executors of 2 slots each: flat Aeron among all 4 against the hierarchical all-reduce (memory within
    # each simulated JVM, Aeron between the 2 leaders), alternated
    # and 4 workers as 4 executors of one slot: Aeron all-to-all against recursive halving and doubling (auto's pick from
    # 4 executors; the same bytes, log2 N peers instead of N - 1)
    four = {t: [] for t in ("aeron --jvms=1", "hierarchical --jvms=2", "aeron --jvms=4", "halving --jvms=4")}
    for rep in range(a.dist_reps):
        for t in four:
            four[t].append(env.java("allreduce", ["--floats=4882688", "--workers=4", "--calls=10", *f"--transport={t}".split()], 1,
                                    f"allreduce-4-{t.split()[0]}-{t.split('=')[-1]}-{rep}"))
    udp = ar[("aeron", "fp32")]
    results["allreduce"] = {"floats": udp[0]["floats"], "workers": udp[0]["workers"],
                            "ms_per_call": spread([r["ms_per_call"] for r in udp]),
                            "mb_per_s_per_worker": spread([r["mb_per_s_per_worker"] for r in udp]),
                            "memory_ms_per_call": spread([r["ms_per_call"] for r in ar[("memory", "fp32")]]),
                            "bf16_ms_per_call": spread([r["ms_per_call"] for r in ar[("aeron", "bf16")]]),
                            "memory_bf16_ms_per_call": spread([r["ms_per_call"] for r in ar[("memory", "bf16")]]),
                            "four_flat_ms_per_call": spread([r["ms_per_call"] for r in four["aeron --jvms=1"]]),
                            "four_hierarchical_ms_per_call": spread([r["ms_per_call"] for r in four["hierarchical --jvms=2"]]),
                            "four_alone_flat_ms_per_call": spread([r["ms_per_call"] for r in four["aeron --jvms=4"]]),
                            "four_halving_ms_per_call": spread([r["ms_per_call"] for r in four["halving --jvms=4"]])}


def cluster(env, a, results):
    """The distribution row's shared master, with its encodings (DL4J's threshold, Kindling's dense and topk), on the
    real local cluster (scripts/local-cluster.sh: Spark standalone, two workers of one core whose executors
    are JVMs of their own), so that updates cross Aeron between JVMs and bytes sent against dense fp32
    (compression) are measured. The data is
    read from the local file system (every JVM is on this host). The section starts the cluster and stops it
    afterwards, unless it was already running."""
    row = [r for r in selected_rows(a) if r.dist][0]
    data = env.dataset(row)
    script = os.path.join(ROOT, "scripts", "local-cluster.sh")
    conf = subprocess.run(["bash", "-c", f'KINDLING_ROOT={ROOT}; source {ROOT}/cluster-configs/cluster.env; '
                           'echo "$KINDLING_CLUSTER_HOST $SPARK_MASTER_PORT $AERON_DRIVER_PORT $SPARK_WORKERS $KINDLING_CLUSTER_DIR"'],
                          capture_output=True, text=True, check=True).stdout.split()
    master, aeron, workers, cluster_dir = f"spark://{conf[0]}:{conf[1]}", conf[2], int(conf[3]), conf[4]
    was_up = subprocess.run([script, "status"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
    subprocess.run([script, "up"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    # dense: over Aeron IPC (both executors share this host's media driver, the default); dense-udp and topk over UDP
    # (--host-ipc=false), as between hosts, so that Aeron's counter measures what would cross a network
    runs = {"shared": [], "dense": [], "dense-udp": [], "topk": []}
    udp = {"topk": ["--host-ipc=false"]}
    allreduce = {"true": [], "false": []}
    try:
        for rep in range(a.dist_reps):
            for d in runs:
                run_dir = os.path.join(env.work, "runs", f"{row.name}-cluster-{d}-{rep}")
                shutil.rmtree(run_dir, ignore_errors=True)
                # file:// explicitly: with the cluster up, the launcher's Hadoop configuration makes a bare path HDFS
                runs[d].append(env.run([os.path.join(ROOT, "scripts", "kindling"), "train", f"--model={row.model}", f"--data=file://{data}",
                                        f"--out=file://{run_dir}", *DISTS[d], *udp.get(d, []), f"--master={master}", f"--aeron-port={aeron}",
                                        f"--epochs={row.dist_epochs or a.epochs}", "--patience=0", *flags(row.train)],
                                       {"OMP_NUM_THREADS": "1"}, f"cluster-{row.name}-{d}-{rep}", 1800))
            for ipc in allreduce:  # the all-reduce alone between the two executor JVMs, IPC against UDP, alternated
                allreduce[ipc].extend(env.run(
                    ["java", "-Xmx1g", *env.flags, "-cp", env.jar, "org.apache.spark.deploy.SparkSubmit", "--master", master,
                     "--deploy-mode", "client", "--properties-file", os.path.join(cluster_dir, "spark-defaults.conf"),
                     "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1", "--conf", "spark.ui.enabled=false",
                     "--conf", f"spark.cores.max={workers}", "--class", "dev.kindling.spark.bench.ScalingBench", env.jar,
                     f"--workers={workers}", "--floats=4882688", "--wires=fp32", "--topk-density=0", "--halving=true", "--warmup=2",
                     "--calls=10", f"--host-ipc={ipc}"], {"OMP_NUM_THREADS": "1"}, f"cluster-allreduce-ipc-{ipc}-{rep}", 600, every_line=True))
    finally:
        if not was_up:
            subprocess.run([script, "down"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    local = [s for s in results.get("dist", []) if s["row"] == row.name]
    c = {"row": row.name, "master": master, "executors": workers, "epochs": row.dist_epochs or a.epochs, "encodings": {}}
    for d, ms in runs.items():
        e = {"samples_per_s": spread([m["samples_per_s"] for m in ms]),
             "test_accuracy": spread([m["final"]["accuracy"] for m in ms]),
             "bytes_sent": statistics.median([m["comm"]["bytes_sent"] for m in ms]),
             "dense_bytes": statistics.median([m["comm"]["dense_bytes"] for m in ms]),
             "compression": spread([m["comm"]["compression"] for m in ms if m["comm"]["compression"]] or [float("nan")])}
        if local:
            e["samples_per_s_vs_local"] = e["samples_per_s"]["median"] / local[0]["dists"]["local"]["samples_per_s"]["median"]
        c["encodings"][d] = e
    c["allreduce_ms"] = {line["transport"]: spread([l["ms_median"] for l in lines if l["transport"] == line["transport"]])
                         for lines in allreduce.values() for line in lines}
    results["cluster"] = c


def decode(env, a, results):
    fashion = env.dataset(rowspec.by_name("mlp-fashion"))
    r = env.java("decode", [f"--data={fashion}", f"--shards={a.decode_shards}", f"--reps={a.reps}"], 1, "decode")
    d = {"shards": r["shards"], "rows": r["rows"], "bytes_per_shard": r["bytes_per_shard"],
         "dl4j_rows_per_s": spread(r["dl4j_rows_per_s"]), "kindling_rows_per_s": spread(r["kindling_rows_per_s"])}
    d["speedup"] = d["kindling_rows_per_s"]["median"] / d["dl4j_rows_per_s"]["median"]
    results["decode"] = d
    flag_ab(env, a, results)
    if a.baseline_jar:
        base_flags = os.path.join(os.path.dirname(a.baseline_jar), "jvm.flags")
        bflags = open(base_flags).read().split() if os.path.exists(base_flags) else env.flags
        row = [r for r in selected_rows(a) if r.dist][0]
        sides = {"before": [], "after": []}
        for rep in range(a.dist_reps):
            for which in ("before", "after"):
                run_dir = os.path.join(env.work, "runs", f"baseline-{which}-{rep}")
                shutil.rmtree(run_dir, ignore_errors=True)
                m = env.kindling(["train", f"--model={row.model}", f"--data={fashion}", f"--out={run_dir}", "--dist=local",
                                  f"--epochs={a.epochs}", "--patience=0", *flags(row.train)], f"baseline-{which}-{rep}",
                                 jar=a.baseline_jar if which == "before" else None,
                                 flags=bflags if which == "before" else None)
                sides[which].append({"samples_per_s": m["samples_per_s"], "wall_s": m["wall_s"]})
        results["before_after"] = {"baseline_jar": a.baseline_jar, "row": row.name, "epochs": a.epochs,
                                   "before_samples_per_s": spread([x["samples_per_s"] for x in sides["before"]]),
                                   "after_samples_per_s": spread([x["samples_per_s"] for x in sides["after"]]),
                                   "before_wall_s": spread([x["wall_s"] for x in sides["before"]]),
                                   "after_wall_s": spread([x["wall_s"] for x in sides["after"]])}
        code_ab(env, a, results)


def code_ab(env, a, results):
    """The peer rows' training step with the baseline jar and with this one: the speed work in code."""
    out = []
    for name in [n for n in a.baseline_rows.split(",") if n]:
        b, f, _, _ = ab_steps(env, a, rowspec.by_name(name), f"code-{name}", {"jar": a.baseline_jar}, {})
        out.append({"row": name, "before_steps_per_cpu_s": b, "after_steps_per_cpu_s": f,
                    "speedup": f["median"] / b["median"]})
    results["code_ab"] = out


def ab_steps(env, a, row, what, before, after):
    """The row's steps/CPU-s on one thread with env.java's keyword arguments `before` and `after`,
    alternating (before first in even repetitions): spreads of (before, after) steps/CPU-s and of their
    processes' peak resident MB."""
    data = env.dataset(row)
    warmup, steps = row_steps(row, a)
    sides = {"before": [], "after": []}
    rss = {"before": [], "after": []}
    for rep in range(a.reps):
        for which in in_turn(rep, ["before", "after"]):
            r = env.java("steps", [f"--model={row.model}", f"--data={data}", *flags(row.train), f"--warmup={warmup}",
                                   f"--steps={steps}"], 1, f"{what}-{which}-{rep}", **(before if which == "before" else after))
            sides[which].append(r["steps_per_cpu_s"])
            rss[which].append(r["peak_rss_mb"])
    return spread(sides["before"]), spread(sides["after"]), spread(rss["before"]), spread(rss["after"])


# Kindling's collector (dl-core's GarbageCollector.OPTIONS, in the jar's jvm.flags)
KINDLING_GC = ("-XX:+UseParallelGC", "-XX:MaxNewSize=64m")

# Speed work that is a JVM option: (key, bench row, what the option changes, before, after, the jar's flags
# the before side runs without). Same jar, alternating, one thread; steps/CPU-s.
FLAG_AB = [
    ("helpers", "small-cnn", "DL4J's layers -> oneDNN helpers",
     "-Dorg.eclipse.deeplearning4j.helpers.disable=true", "-Dorg.eclipse.deeplearning4j.helpers.disable=false", ()),
    ("javacpp_check", "mlp-seed", "JavaCPP memory check on each allocation -> off",
     "-Dorg.bytedeco.javacpp.maxphysicalbytes=8G", "-Dorg.bytedeco.javacpp.maxphysicalbytes=0", ()),
    ("collector", "lstm-classifier", "G1 (the JVM's default) -> Parallel with a young generation of at most 64 MB",
     "-XX:+UseG1GC", "-XX:+UseParallelGC", KINDLING_GC),
]


# Speed work that StepBench can undo by an argument (the code's before, kept in the jar): (key, bench row, what
# changed, StepBench's arguments for the before side). Alternating, one thread; steps/CPU-s.
ARG_AB = [
    ("mlp_trunk", "mlp-seed", "the hidden layers as five DL4J layers -> one MlpTrunk", ["--mlp-form=layers"]),
]


def flag_ab(env, a, results):
    """Each FLAG_AB row: the row's steps with the option's before and after values; each ARG_AB row: with and
    without its StepBench arguments."""
    sides = [(key, name, what, before, after, {"jvm_extra": [before], "jvm_without": without}, {"jvm_extra": [after]})
             for key, name, what, before, after, without in FLAG_AB]
    sides += [(key, name, what, " ".join(args), "", {"args_extra": args}, {}) for key, name, what, args in ARG_AB]
    for key, name, what, before, after, before_kw, after_kw in sides:
        row = rowspec.by_name(name)
        b, f, b_rss, f_rss = ab_steps(env, a, row, key, before_kw, after_kw)
        results[key] = {"row": row.name, "what": what, "before": before, "after": after,
                        "before_steps_per_cpu_s": b, "after_steps_per_cpu_s": f, "speedup": f["median"] / b["median"],
                        "before_peak_rss_mb": b_rss, "after_peak_rss_mb": f_rss}


# the demo GPT's preset (`scripts/kindling demo --model=gpt`) and its dataset's vocabulary: the KJV has 73
# distinct characters (docs/transformers.md); the model's sizes are read from the preset
DEMO_PRESET = os.path.join(ROOT, "cluster-configs", "jobs", "gpt.properties")
KJV_CHARS = 73
# the seed's sample in gpt.py: the 16-character prompt "In the beginning", temperature 1.0, top-k 10 (its
# 120 new tokens are the default --gen-cases' count)
SEED_SAMPLING = {"prompt": 16, "temperature": 1.0, "top-k": 10}


def demo_gpt():
    """The keys both sides of the GENERATE rows build their model from: the preset's sizes and dropout, the
    KJV's vocabulary, and its seq-len, the training window `generate` crops the context to."""
    preset = {}
    for line in open(DEMO_PRESET):
        key, eq, value = line.partition("=")
        if eq and not line.startswith("#"):
            preset[key.strip()] = value.strip()
    return {"vocab": KJV_CHARS, **{k: preset[k] for k in ("width", "heads", "layers", "ff-width", "context", "dropout", "seq-len")}}


def generate(env, a, results):
    """Sampling speed on one thread each, per --gen-cases entry (prompts x new tokens): Kindling's Sampler
    with the key/value cache and with the whole window per token (one StepBench process measures both),
    and the seed's PyTorch loop, alternating."""
    model = demo_gpt()
    out = []
    for batch, new in a.gen_cases:
        args = flags({**model, **SEED_SAMPLING, "batch": batch, "new-tokens": new, "warmup": a.gen_warmup,
                      "min-seconds": a.gen_seconds})
        cached, full, pytorch, cached_cpu, pytorch_cpu, jit_ms = [], [], [], [], [], []
        for rep in range(a.reps):
            for side in in_turn(rep, ["java", "torch"]):
                what = f"generate-{batch}x{new}-{'kindling' if side == 'java' else 'pytorch'}-{rep}"
                if side == "java":
                    r = env.java("generate", args, 1, what)
                    cached.append(r["cached"]["tokens_per_s"])
                    cached_cpu.append(r["cached"]["tokens_per_cpu_s"])
                    if "full_window" in r:  # one prompt only: more run one after another at the same rate
                        full.append(r["full_window"]["tokens_per_s"])
                    jit_ms.append(r["cached"]["jit_ms"])
                else:
                    r = env.torch("generate", args, 1, what)
                    pytorch.append(r["tokens_per_s"])
                    pytorch_cpu.append(r["tokens_per_cpu_s"])
        out.append({"batch": batch, "new_tokens": new, "model": model, "sampling": SEED_SAMPLING,
                    # tokens drawn once the context filled the window: the cache is rebuilt from the cropped window for each
                    "past_window": max(0, SEED_SAMPLING["prompt"] + new - int(model["seq-len"])),
                    "kindling_cached_tokens_per_s": spread(cached), "pytorch_tokens_per_s": spread(pytorch),
                    "cached_ratio": statistics.median(cached) / statistics.median(pytorch),
                    "cached_ratio_per_rep": spread([x / y for x, y in zip(cached, pytorch)]),
                    "kindling_cached_tokens_per_cpu_s": spread(cached_cpu), "pytorch_tokens_per_cpu_s": spread(pytorch_cpu),
                    "cached_cpu_ratio": statistics.median(cached_cpu) / statistics.median(pytorch_cpu),
                    # compilation that still fell into the cached path's timed burst (all compiler threads)
                    "kindling_cached_jit_ms": spread(jit_ms),
                    **({"kindling_full_window_tokens_per_s": spread(full),
                        "full_window_ratio": statistics.median(full) / statistics.median(pytorch)} if full else {})})
    results["generate"] = out


def gen_cases(text):
    """--gen-cases: comma-separated BxM, B prompts of M new tokens each."""
    return [tuple(int(n) for n in case.split("x")) for case in text.split(",") if case]


def selected_rows(a):
    return [rowspec.by_name(n) for n in a.rows] if a.rows else rowspec.ROWS


def machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass

    def cmd(c):
        try:
            p = subprocess.run(c, capture_output=True, text=True, timeout=60)
            return (p.stdout + p.stderr).strip()
        except (OSError, subprocess.TimeoutExpired):
            return "unavailable"

    torch_v = cmd([PY, "-c", "import torch, numpy; print(torch.__version__, numpy.__version__)"]).split()
    pom = open(os.path.join(ROOT, "pom.xml")).read()

    def prop(n):
        m = re.search(f"<{n}>([^<]+)</{n}>", pom)
        return m.group(1) if m else "?"

    return {"host": platform.node(), "cpu": cpu, "cores": os.cpu_count(), "kernel": platform.release(),
            "java": cmd(["java", "-version"]).splitlines()[0],
            "dl4j": prop("dl4j.version"), "dl4j_spark": prop("dl4j.spark.version"), "spark": prop("spark.version"),
            "python": platform.python_version(), "torch": torch_v[0] if torch_v else "?",
            "numpy": torch_v[1] if len(torch_v) > 1 else "?",
            "kindling_commit": cmd(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]),
            "kindling_dirty": bool(cmd(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]))}


# ---- output -------------------------------------------------------------------------------------------

def fmt_s(s, f="{:.1f}"):
    return f"{f.format(s['median'])} ({f.format(s['min'])}-{f.format(s['max'])})"


def table(results):
    L = []
    m = results["machine"]
    L.append(f"Kindling benchmark {results['date']} | {m['cpu']} | {m['cores']} cores | load avg "
             f"{results['load_before']} -> {results['load_after']} | {results['mode']} | {results['wall_s']:.0f}s")
    if results.get("resumed_from"):
        L.append(f"(sections before the interruption were measured from {results['resumed_from']})")
    L.append(f"java: {m['java']} | DL4J {m['dl4j']} | Spark {m['spark']} | torch {m['torch']} | commit {m['kindling_commit']}"
             + (" (dirty)" if m["kindling_dirty"] else ""))
    L.append("values: median (min-max) over repetitions; ratio = Kindling / PyTorch of the medians")
    if "peer" in results:
        L.append("")
        L.append("PEER  training steps after warm-up, same model, batch and threads: per wall second and per CPU-second;"
                 " Kindling's warm-up runs on until the JIT settles (warm-up = its steps, JIT ms = compilation in the timed steps)")
        L.append(f"{'row':<13}{'thr':>4}{'batch':>6}{'params':>9}  {'Kindling steps/s':>22}  {'PyTorch steps/s':>22}  {'ratio':>6}"
                 f"  {'Kindling steps/CPU-s':>22}  {'PyTorch steps/CPU-s':>22}  {'ratio':>6}  {'per-rep':>9}  {'warm-up':>7}  {'JIT ms':>6}")
        for p in results["peer"]:
            rr = p["cpu_ratio_per_rep"]
            L.append(f"{p['row']:<13}{p['threads']:>4}{p['batch']:>6}{p['params']:>9}  {fmt_s(p['kindling_steps_per_s']):>22}"
                     f"  {fmt_s(p['pytorch_steps_per_s']):>22}  {p['ratio']:>5.2f}x"
                     f"  {fmt_s(p['kindling_steps_per_cpu_s']):>22}  {fmt_s(p['pytorch_steps_per_cpu_s']):>22}  {p['cpu_ratio']:>5.2f}x"
                     f"  {rr['min']:.2f}-{rr['max']:.2f}  {p['kindling_warmup_steps']['median']:>7.0f}  {p['kindling_jit_ms']['median']:>6.0f}")
    if "efficiency" in results:
        L.append("")
        L.append("EFFICIENCY  counted FLOPs of a training step x steps per CPU-second, against each side's fp32 matmul peak"
                 " per CPU-second on the same threads")
        for pk in results["efficiency"]["peaks"]:
            L.append(f"peak, {pk['threads']} thread(s), N={pk['sizes']}: ND4J {fmt_s(pk['nd4j_gflops_per_cpu_s'])} GFLOP/CPU-s "
                     f"({fmt_s(pk['nd4j_gflops'])} GFLOP/s wall) | torch {fmt_s(pk['torch_gflops_per_cpu_s'])} GFLOP/CPU-s "
                     f"({fmt_s(pk['torch_gflops'])} wall)")
            for r in pk["rows"]:
                L.append(f"  {r['row']:<13} {r['flops_per_step'] / 1e6:8.1f} MFLOP/step  Kindling {r['kindling_gflops_per_cpu_s']:6.2f} "
                         f"= {100 * r['kindling_of_peak']:5.1f}% of ND4J peak | PyTorch {r['pytorch_gflops_per_cpu_s']:6.2f} "
                         f"= {100 * r['pytorch_of_peak']:5.1f}% of torch peak")
        sp = results["efficiency"].get("seed_matmul_peak")
        if sp:
            L.append(f"the seed's matmul-peak measurement (peer/matmul_peak.py): {float(sp['peak_gflops']):.1f} GFLOP/s"
                     f" on {sp['threads']} threads ({sp.get('blas', '?')})")
    if "peer" in results or "memory" in results:
        L.extend(memory_table(results.get("peer", []) + results.get("memory", [])))
    if "generate" in results:
        L.extend(generate_table(results["generate"]))
    if "dist" in results:
        L.append("")
        L.append("DISTRIBUTION  `train` for equal epochs on local[2] (local: one JVM, one thread)")
        L.append(f"{'row':<13}{'dist':<10}{'samples/s':>24}{'vs local':>9}{'test acc':>24}{'sent B':>8}{'compress':>10}"
                 f"{'step ms':>8}{'drv ms/st':>10}{'enc ms/st':>10}")
        for s in results["dist"]:
            for d, r in s["dists"].items():
                comp = f"{r['compression']['median']:.3g}x" if "compression" in r else "-"
                sent = human_bytes(r["bytes_sent"]) if "bytes_sent" in r else "-"
                vs = f"{r['samples_per_s_vs_local']:.2f}x" if "samples_per_s_vs_local" in r else "1.00x"
                L.append(f"{s['row'] + ' e' + str(s['epochs']):<13}{d:<10}{fmt_s(r['samples_per_s'], '{:.0f}'):>24}{vs:>9}"
                         f"{fmt_s(r['test_accuracy'], '{:.4f}'):>24}{sent:>8}{comp:>10}"
                         f"{r.get('median_step_ms', float('nan')):>8.2f}{r.get('driver_overhead_ms_per_step', float('nan')):>10.2f}"
                         f"{r.get('encode_overhead_ms_per_step', float('nan')):>10.2f}")
            exposed = {d: r["exposed_ms_per_step"] for d, r in s["dists"].items() if "exposed_ms_per_step" in r}
            if exposed:
                L.append(f"  {s['row']}: the all-reduce's wait per step (not hidden behind backprop): "
                         + ", ".join(f"{d} {fmt_s(e, '{:.2f}')} ms" for d, e in exposed.items()))
        if "allreduce" in results:
            r = results["allreduce"]
            L.append(f"dense all-reduce alone, {r['floats']} floats (the seed-size GPT's gradient) among {r['workers']} workers of one JVM"
                     f" over Aeron UDP loopback: {fmt_s(r['ms_per_call'], '{:.1f}')} ms per step,"
                     f" {fmt_s(r['mb_per_s_per_worker'], '{:.0f}')} MB/s sent per worker")
            if "memory_ms_per_call" in r:
                L.append(f"  the same through memory (--transport=memory, what auto picks on local[N]): {fmt_s(r['memory_ms_per_call'], '{:.1f}')}"
                         f" ms per step ({r['ms_per_call']['median'] / r['memory_ms_per_call']['median']:.1f}x faster)")
            if "bf16_ms_per_call" in r:
                L.append(f"  in bf16 (--wire=bf16, half the bytes): {fmt_s(r['bf16_ms_per_call'], '{:.1f}')} ms over UDP"
                         f" ({r['ms_per_call']['median'] / r['bf16_ms_per_call']['median']:.2f}x fp32's),"
                         f" {fmt_s(r['memory_bf16_ms_per_call'], '{:.1f}')} ms through memory"
                         f" ({r['memory_ms_per_call']['median'] / r['memory_bf16_ms_per_call']['median']:.2f}x)")
            if "four_flat_ms_per_call" in r:
                L.append(f"  4 workers as 2 JVMs of 2: flat over Aeron {fmt_s(r['four_flat_ms_per_call'], '{:.1f}')} ms, hierarchical"
                         f" (--transport=hierarchical, what auto picks for executors of several slots: memory within a JVM, Aeron between"
                         f" its leaders) {fmt_s(r['four_hierarchical_ms_per_call'], '{:.1f}')} ms"
                         f" ({r['four_flat_ms_per_call']['median'] / r['four_hierarchical_ms_per_call']['median']:.2f}x faster)")
            if "four_halving_ms_per_call" in r:
                L.append(f"  4 workers as 4 JVMs: all-to-all over Aeron {fmt_s(r['four_alone_flat_ms_per_call'], '{:.1f}')} ms, recursive halving"
                         f" (--transport=halving, what auto picks from 4 executors: the same bytes, log2 N peers) "
                         f"{fmt_s(r['four_halving_ms_per_call'], '{:.1f}')} ms"
                         f" ({r['four_alone_flat_ms_per_call']['median'] / r['four_halving_ms_per_call']['median']:.2f}x)")
        L.append("shared: DL4J's threshold encoding; dense: Kindling's all-reduce (--encoding=dense; on local[N] through memory, the"
                 " default --transport=auto); dense-udp: the same over Aeron UDP loopback (--transport=aeron --host-ipc=false); udp-overlap: dense-udp with --overlap (buckets all-reduced while backprop runs); topk: Kindling's sparse"
                 " step sharing (--encoding=topk, density 0.004, through memory here). On local[N] every worker lives in the driver JVM:"
                 " DL4J's encoded updates do not cross Aeron (bytes sent are control traffic at most; its compression needs executors in"
                 " separate JVMs, the cluster rows)")
    if "cluster" in results:
        c = results["cluster"]
        for d, e in c.get("encodings", {"shared": c}).items():  # results.json before the dense rows: one encoding
            vs = f" ({e['samples_per_s_vs_local']:.2f}x local)" if "samples_per_s_vs_local" in e else ""
            L.append(f"{c['row'] + ' e' + str(c['epochs'])} {d} on {c['master']} ({c['executors']} executor JVMs, 1 core each): "
                     f"samples/s {fmt_s(e['samples_per_s'], '{:.0f}')}{vs}, test acc {fmt_s(e['test_accuracy'], '{:.4f}')}, "
                     + (f"Aeron sent {e['bytes_sent']:.0f} B against dense fp32 {e['dense_bytes']:.0f} B = compression "
                        f"{fmt_s(e['compression'], '{:.1f}')}x" if e["bytes_sent"] else "nothing over UDP (IPC)"))
        if "allreduce_ms" in c:
            ms = c["allreduce_ms"]
            L.append("  dense: Aeron IPC between the executors (they share this host's media driver, --host-ipc, the default; nothing on"
                     " the network: compression n/a); dense-udp and topk: UDP between them (--host-ipc=false), as between hosts")
            L.append(f"  all-reduce alone between the {c['executors']} executor JVMs (ScalingBench, 4,882,688 floats, ms per call): "
                     + ", ".join(f"{t} {fmt_s(ms[t], '{:.1f}')}" for t in ("aeron", "aeron+ipc", "halving", "halving+ipc") if t in ms)
                     + (f" (IPC {ms['aeron']['median'] / ms['aeron+ipc']['median']:.1f}x faster)" if "aeron" in ms and "aeron+ipc" in ms else ""))
    if "decode" in results:
        d = results["decode"]
        L.append("")
        L.append("SPEED WORK  before/after")
        L.append(f"shard decode ({d['shards']} Fashion-MNIST shards of {d['bytes_per_shard']} bytes): DL4J DataSet.load "
                 f"{fmt_s(d['dl4j_rows_per_s'], '{:.0f}')} rows/s -> ShardDecoder {fmt_s(d['kindling_rows_per_s'], '{:.0f}')} rows/s "
                 f"= {d['speedup']:.1f}x")
        for key, *_ in FLAG_AB + ARG_AB:
            if key in results:
                h = results[key]
                L.append(f"{h['row']} steps/CPU-s, 1 thread, {h['what']}: {fmt_s(h['before_steps_per_cpu_s'], '{:.2f}')} -> "
                         f"{fmt_s(h['after_steps_per_cpu_s'], '{:.2f}')} = {h['speedup']:.2f}x"
                         + (f"; peak resident {fmt_s(h['before_peak_rss_mb'], '{:.0f}')} -> "
                            f"{fmt_s(h['after_peak_rss_mb'], '{:.0f}')} MB" if "before_peak_rss_mb" in h else ""))
        for c in results.get("code_ab", []):
            L.append(f"{c['row']} steps/CPU-s, 1 thread, baseline jar -> this jar: {fmt_s(c['before_steps_per_cpu_s'], '{:.2f}')} -> "
                     f"{fmt_s(c['after_steps_per_cpu_s'], '{:.2f}')} = {c['speedup']:.2f}x")
        if "before_after" in results:
            b = results["before_after"]
            L.append(f"train --dist=local {b['row']} {b['epochs']} epoch(s): samples/s {fmt_s(b['before_samples_per_s'], '{:.0f}')} "
                     f"(baseline jar) -> {fmt_s(b['after_samples_per_s'], '{:.0f}')}; wall s {fmt_s(b['before_wall_s'])} -> "
                     f"{fmt_s(b['after_wall_s'])}")
    return "\n".join(L)


def memory_table(rows):
    """The MEMORY lines: one per measured process pair (peer rows at 1 thread, then the memory section's)."""
    L = ["", "MEMORY  one training process per side, MB: peak resident set (VmHWM: what a container limit sees), the baseline"
             " before any model or data (JVM or interpreter and libraries), and the training's own = peak - baseline;"
             " Kindling's Java heap peak (of -Xmx3g) and ND4J's off-heap buffers at the end",
         f"{'row':<21}{'batch':>6}  {'Kindling peak':>14}{'baseline':>9}{'own':>7}{'heap':>7}{'off-heap':>9}"
         f"  {'PyTorch peak':>13}{'baseline':>9}{'own':>7}  {'peak ratio':>10}{'own ratio':>10}"]
    for r in rows:
        m = r.get("memory")
        if not m or "peak_rss_mb" not in m["kindling"] or r.get("threads", 1) != 1:
            continue
        k, t = m["kindling"], m["pytorch"]
        kp, kb, tp, tb = (x["median"] for x in (k["peak_rss_mb"], k["baseline_rss_mb"], t["peak_rss_mb"], t["baseline_rss_mb"]))
        L.append(f"{r['row']:<21}{r['batch']:>6}  {kp:>14.0f}{kb:>9.0f}{kp - kb:>7.0f}{k['heap_peak_mb']['median']:>7.0f}"
                 f"{k['offheap_mb']['median']:>9.0f}  {tp:>13.0f}{tb:>9.0f}{tp - tb:>7.0f}  {kp / tp:>9.2f}x{(kp - kb) / (tp - tb):>9.2f}x")
    return L


def generate_table(rows):
    """The GENERATE lines of the table."""
    m, smp = rows[0]["model"], rows[0]["sampling"]
    L = ["", f"GENERATE  new tokens/s sampling from the demo GPT (gpt preset: width {m['width']}, {m['heads']} heads, {m['layers']} layers,"
             f" ff {m['ff-width']}, vocab {m['vocab']}, random weights), prompts of {smp['prompt']} tokens, context cropped to"
             f" {m['seq-len']}, temperature {smp['temperature']}, top-k {smp['top-k']}, one thread each. Kindling: Sampler with the"
             " KV cache (what `generate` runs) and, for one prompt, the full-window path (whole padded window per token;"
             " it takes one prompt at a time); PyTorch: the seed's loop (whole cropped window per token, prompts batched). past = tokens drawn"
             " after the context filled the window (the cache is rebuilt for each); JIT ms = compilation in the cached path's"
             " timed burst",
         f"{'batch':>5}{'new':>5}{'past':>5}  {'Kindling cached tok/s':>22}  {'Kindling full tok/s':>22}  {'PyTorch tok/s':>22}"
         f"  {'cached':>6}  {'full':>6}  {'cached/CPU-s':>12}  {'per-rep':>9}  {'JIT ms':>6}"]
    for g in rows:
        rr = g["cached_ratio_per_rep"]
        full = fmt_s(g["kindling_full_window_tokens_per_s"], "{:.0f}") if "full_window_ratio" in g else "-"
        full_ratio = f"{g['full_window_ratio']:>5.2f}x" if "full_window_ratio" in g else "-"
        L.append(f"{g['batch']:>5}{g['new_tokens']:>5}{g['past_window']:>5}  {fmt_s(g['kindling_cached_tokens_per_s'], '{:.0f}'):>22}"
                 f"  {full:>22}  {fmt_s(g['pytorch_tokens_per_s'], '{:.0f}'):>22}"
                 f"  {g['cached_ratio']:>5.2f}x  {full_ratio:>6}  {g['cached_cpu_ratio']:>11.2f}x  {rr['min']:.2f}-{rr['max']:.2f}"
                 f"  {g['kindling_cached_jit_ms']['median']:>6.0f}")
    return L


def svg(results, path):
    """Grouped bars: training samples per CPU-second per architecture, Kindling and PyTorch (median, min-max whisker)."""
    peer = results.get("peer", [])
    if not peer:
        return
    W, H, left, top, bottom = 640, 320, 70, 40, 70
    groups = [(f"{p['row']} ({p['threads']}t)", p["kindling_steps_per_cpu_s"], p["pytorch_steps_per_cpu_s"], p["batch"])
              for p in peer]
    vmax = max(max(k["max"], t["max"]) * b for _, k, t, b in groups) * 1.1
    plot_w, plot_h = W - left - 20, H - top - bottom
    gw = plot_w / len(groups)
    bw = min(60, gw / 3)
    y = lambda v: top + plot_h - plot_h * v / vmax  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="11">',
           f'<text x="{W / 2}" y="18" text-anchor="middle" font-size="13">Training throughput (samples per CPU-second, median and min-max), '
           f'{results["date"][:10]}</text>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="black"/>',
           f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="black"/>']
    for i in range(5):
        v = vmax * i / 4
        out.append(f'<text x="{left - 5}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.0f}</text>')
        out.append(f'<line x1="{left}" y1="{y(v):.1f}" x2="{left + plot_w}" y2="{y(v):.1f}" stroke="#ddd"/>')
    colors = {"Kindling": "#d9480f", "PyTorch": "#1c7ed6"}
    for gi, (label, k, t, b) in enumerate(groups):
        x0 = left + gi * gw + (gw - 2 * bw) / 2
        for j, (name, s) in enumerate((("Kindling", k), ("PyTorch", t))):
            x = x0 + j * bw
            med, lo, hi = s["median"] * b, s["min"] * b, s["max"] * b
            out.append(f'<rect x="{x:.1f}" y="{y(med):.1f}" width="{bw - 4:.1f}" height="{top + plot_h - y(med):.1f}" '
                       f'fill="{colors[name]}"><title>{name} {label}: {med:.0f} samples per CPU-second</title></rect>')
            cx = x + (bw - 4) / 2
            out.append(f'<line x1="{cx:.1f}" y1="{y(lo):.1f}" x2="{cx:.1f}" y2="{y(hi):.1f}" stroke="black"/>')
            out.append(f'<text x="{cx:.1f}" y="{y(med) - 4:.1f}" text-anchor="middle" font-size="9">{med:.0f}</text>')
        out.append(f'<text x="{x0 + bw:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{label}</text>')
        ratio = k["median"] / t["median"]
        out.append(f'<text x="{x0 + bw:.1f}" y="{top + plot_h + 30}" text-anchor="middle" fill="#555">{ratio:.2f}x</text>')
    lx = left + 10
    for j, (name, c) in enumerate(colors.items()):
        out.append(f'<rect x="{lx + j * 90}" y="{H - 22}" width="12" height="12" fill="{c}"/>')
        out.append(f'<text x="{lx + j * 90 + 16}" y="{H - 12}">{name}</text>')
    out.append(f'<text x="{W - 10}" y="{H - 12}" text-anchor="end" fill="#555">ratio = Kindling / PyTorch</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer repetitions and steps, one epoch (over 35 min on 2 cores, 2026-12-05)")
    ap.add_argument("--sections", default="peer,eff,memory,dist,cluster,decode,generate",
                    help="comma-separated, of peer, eff, memory, dist, cluster, decode, generate (default: all)")
    ap.add_argument("--rows", default="", help="comma-separated row names (default: all of rows.ROWS)")
    ap.add_argument("--threads", default="", help="comma-separated thread counts (default 1; full mode 1,2)")
    ap.add_argument("--reps", type=int)
    ap.add_argument("--baseline-jar", default="", help="an older job jar for before/after rows: `train --dist=local` and "
                    "the training step of the --baseline-rows")
    ap.add_argument("--baseline-rows", default="mlp-fashion,lstm-classifier",
                    help="peer rows whose training step is compared with the baseline jar's")
    ap.add_argument("--gen-cases", default="1x48,1x120,4x48,4x120",
                    help="generate: comma-separated BxM, B prompts of M new tokens each (prompts are 16 tokens and the demo's"
                    " window 64: 48 new tokens stay inside it, the seed's 120 pass it)")
    ap.add_argument("--resume", action="store_true",
                    help="keep the sections an interrupted run saved in <out>/results.partial.json and run the rest")
    ap.add_argument("--work", default=os.path.join(ROOT, "runs", "bench"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench"))
    a = ap.parse_args()
    a.rows = [r for r in a.rows.split(",") if r]
    a.gen_cases = gen_cases(a.gen_cases)
    sections = set(a.sections.split(","))
    if a.quick:
        a.reps = a.reps or 3
        a.warmup, a.steps, a.epochs, a.dist_reps, a.sizes, a.decode_shards = 1000, 500, 1, 2, "1024,2048", 200
        a.step_scale = 1
        a.gen_warmup, a.gen_seconds = 2, 1.0  # warm-up generations (then on until the JIT settles), timed seconds
        a.threads = [int(t) for t in (a.threads or "1").split(",")]
    else:
        a.reps = a.reps or 5
        a.warmup, a.steps, a.epochs, a.dist_reps, a.sizes, a.decode_shards = 2000, 1000, 3, 3, "1024,2048,4096", 400
        a.step_scale = 2
        a.gen_warmup, a.gen_seconds = 4, 2.0
        a.threads = [int(t) for t in (a.threads or "1,2").split(",")]
    env = Env(a)
    t0 = time.time()
    results = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
               "mode": "quick" if a.quick else "full", "machine": machine(),
               "load_before": round(os.getloadavg()[0], 1),
               "settings": {"reps": a.reps, "warmup": a.warmup, "steps": a.steps, "epochs": a.epochs,
                            "dist_reps": a.dist_reps, "threads": a.threads, "matmul_sizes": a.sizes}}
    os.makedirs(a.out, exist_ok=True)
    partial = os.path.join(a.out, "results.partial.json")
    if a.resume and os.path.exists(partial):
        saved = json.load(open(partial))
        results.update({k: v for k, v in saved.items() if k in ("peer", "efficiency", "memory", "dist", "allreduce", "cluster", "decode", "before_after", "generate", *(f[0] for f in FLAG_AB + ARG_AB))})
        results["resumed_from"] = saved["date"]
        log(f"resuming {saved['date']}: keeping {', '.join(k for k in ('peer', 'efficiency', 'dist', 'cluster', 'decode', 'generate') if k in saved)}")
    for name, fn in (("peer", peer), ("eff", efficiency), ("memory", memory), ("dist", dist), ("cluster", cluster), ("decode", decode),
                     ("generate", generate)):
        key = {"eff": "efficiency"}.get(name, name)
        if name in sections and key not in results:
            fn(env, a, results)
            with open(os.path.join(a.out, "results.partial.json"), "w") as f:  # what a stopped run had
                json.dump(results, f, indent=1)
    results["load_after"] = round(os.getloadavg()[0], 1)
    results["wall_s"] = time.time() - t0
    results["table"] = table(results)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    if os.path.exists(os.path.join(a.out, "results.partial.json")):
        os.remove(os.path.join(a.out, "results.partial.json"))
    svg(results, os.path.join(a.out, "throughput.svg"))
    print(results["table"])
    log(f"wrote {os.path.join(a.out, 'results.json')} and throughput.svg")


if __name__ == "__main__":
    main()
