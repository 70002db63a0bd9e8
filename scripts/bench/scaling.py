"""Kindling's scaling bench (scripts/bench/scaling.sh calls this as root): the all-reduce among N = 1, 2, 4, 8
Spark standalone workers, each in its own Linux network namespace, joined to one bridge by a veth link
shaped with tc (a token bucket on each direction: the worker's upload and download); a fitted cost model;
its projection to 8, 64 and 512 hosts on 10, 25 and 100 Gbit links.

What a 2-core host can show, and what it cannot:
  measured   per-step compute of one worker (StepBench steps, one thread), the all-reduce's time and bytes per
             call among N executor JVMs over real UDP between namespaces (ScalingBench: compute excluded, since
             N workers' compute would share 2 cores), Spark's barrier-stage launch and the connection time
  modelled   step time = compute + all-reduce (no overlap today); the model's CPU terms scaled by the
             contention max(1, m N / cores) here (m fitted) and by 1 on hosts of their own; the projection's links are
             the model's bandwidth term at the link's rate: nothing about 64 or 512 hosts is measured
  not here   netem (packet delay) is not in this kernel: links add no latency beyond the veth's own
"""
import argparse
import datetime
import glob
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import rows as rowspec  # noqa: E402
import scaling_model as model  # noqa: E402
from bench import Env, flags, log  # noqa: E402

SUBNET = "10.78.0"  # the bridge is .1 (Spark master and driver), worker i is .(10 + i)
BRIDGE = "kscale0"
MASTER_PORT, MASTER_UI_PORT = 39150, 39151
CORES = os.cpu_count()
RATES = {"10gbit": 10e9, "1gbit": 1e9}  # link rates the bench shapes (bits/s)
PROJECTED_HOSTS = (8, 64, 512)
PROJECTED_LINKS_GBIT = (10, 25, 100)
PEERS = ("Horovod: 90% scaling efficiency at 512 GPUs (ResNet-101, 25 Gbit RoCE, published)",
         "BigDL: near-linear scaling to 128 Spark nodes (published)")


def ns(i):
    return f"kscale-w{i}"


def addr(i):
    return f"{SUBNET}.{10 + i}"


def run(*cmd, check=True):
    p = subprocess.run(cmd, capture_output=True, text=True)
    if check and p.returncode != 0:
        raise SystemExit(f"scaling: {' '.join(cmd)} failed: {p.stderr.strip()}")
    return p


class Network:
    """A bridge in this namespace and one namespace per worker behind a veth pair."""

    def __init__(self, workers, mtu):
        self.workers, self.mtu = workers, mtu

    def up(self):
        self.down()  # what an interrupted run left
        run("ip", "link", "add", BRIDGE, "type", "bridge")
        run("ip", "addr", "add", f"{SUBNET}.1/24", "dev", BRIDGE)
        run("ip", "link", "set", BRIDGE, "up")
        for i in range(1, self.workers + 1):
            run("ip", "netns", "add", ns(i))
            run("ip", "link", "add", f"ksh{i}", "type", "veth", "peer", "name", f"ksn{i}")
            run("ip", "link", "set", f"ksn{i}", "netns", ns(i))
            run("ip", "link", "set", f"ksh{i}", "mtu", str(self.mtu), "master", BRIDGE, "up")
            run("ip", "netns", "exec", ns(i), "ip", "link", "set", f"ksn{i}", "mtu", str(self.mtu))
            run("ip", "netns", "exec", ns(i), "ip", "addr", "add", f"{addr(i)}/24", "dev", f"ksn{i}")
            run("ip", "netns", "exec", ns(i), "ip", "link", "set", f"ksn{i}", "up")
            run("ip", "netns", "exec", ns(i), "ip", "link", "set", "lo", "up")

    def shape(self, rate_bits):
        """Every worker's link at rate_bits/s each way (None: unshaped). A token bucket of 1 ms at the rate
        (at least 64 KiB), queueing at most 20 ms."""
        for i in range(1, self.workers + 1):
            for where in ([], ["ip", "netns", "exec", ns(i)]):
                dev = f"ksn{i}" if where else f"ksh{i}"
                run(*where, "tc", "qdisc", "del", "dev", dev, "root", check=False)
                if rate_bits:
                    burst = max(64 * 1024, int(rate_bits / 8 / 1000))
                    run(*where, "tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", f"{int(rate_bits)}bit",
                        "burst", str(burst), "latency", "20ms")

    def down(self):
        for i in range(1, max(8, self.workers) + 1):
            run("ip", "netns", "del", ns(i), check=False)
        run("ip", "link", "del", BRIDGE, check=False)


class Cluster:
    """A Spark standalone master on the bridge's address and one worker of `slots` cores per namespace."""

    def __init__(self, env, workers, work, slots=1):
        self.env, self.workers, self.work, self.slots = env, workers, work, slots
        self.procs = []

    def java(self, name, where, extra_env, args):
        os.makedirs(os.path.join(self.work, "logs"), exist_ok=True)
        log_file = open(os.path.join(self.work, "logs", f"{name}.log"), "w")
        env = dict(os.environ, **extra_env)
        cmd = [*where, "java", "-Xmx256m", "-XX:+UseSerialGC", "-Dspark.port.maxRetries=0",
               f"-Dlog4j2.configurationFile={ROOT}/cluster-configs/spark/log4j2.properties",
               "-cp", f"{ROOT}/cluster-configs/spark:{self.env.jar}", *args]
        self.procs.append(subprocess.Popen(cmd, stdout=log_file, stderr=subprocess.STDOUT, env=env, start_new_session=True))

    def alive_workers(self):
        try:
            with urllib.request.urlopen(f"http://{SUBNET}.1:{MASTER_UI_PORT}/json/", timeout=2) as r:
                return json.load(r).get("aliveworkers", 0)
        except OSError:
            return -1

    def up(self):
        self.java("master", [], {"SPARK_LOCAL_IP": f"{SUBNET}.1"},
                  ["org.apache.spark.deploy.master.Master", "--host", f"{SUBNET}.1", "--port", str(MASTER_PORT),
                   "--webui-port", str(MASTER_UI_PORT)])
        self.wait(lambda: self.alive_workers() >= 0, "the Spark master")
        home = os.path.join(self.work, "spark-home")
        os.makedirs(os.path.join(home, "jars"), exist_ok=True)
        for i in range(1, self.workers + 1):
            self.java(f"worker-{i}", ["ip", "netns", "exec", ns(i)],
                      {"SPARK_LOCAL_IP": addr(i), "SPARK_HOME": home, "SPARK_SCALA_VERSION": "2.12",
                       "SPARK_DIST_CLASSPATH": self.env.jar, "OMP_NUM_THREADS": "1"},
                      ["org.apache.spark.deploy.worker.Worker", "--host", addr(i), "--cores", str(self.slots), "--memory", "2g",
                       "--webui-port", "39152", "--work-dir", os.path.join(self.work, f"worker-{i}"),
                       f"spark://{SUBNET}.1:{MASTER_PORT}"])
        self.wait(lambda: self.alive_workers() == self.workers, f"{self.workers} Spark workers")

    def wait(self, ready, what, limit=120):
        deadline = time.time() + limit
        while not ready():
            if time.time() > deadline:
                raise SystemExit(f"scaling: {what} not ready after {limit} s; see {self.work}/logs")
            time.sleep(0.5)

    def down(self):
        for p in reversed(self.procs):
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        self.procs = []
        # every application's executors copied the 400 MB jar into their worker's directory (a run of the bench left
        # 15 GB at N = 8 and filled the disk): their logs stay
        for jar in glob.glob(os.path.join(self.work, "worker-*", "app-*", "*", "*.jar")):
            os.remove(jar)


def spark_submit(env, workers, main_class, executor_memory, driver_memory, slots=1):
    """SparkSubmit's command line for an application of `main_class` on `workers` executors (one per namespace) of `slots` task slots."""
    return ["java", f"-Xmx{driver_memory}", *env.flags, "-cp", env.jar, "org.apache.spark.deploy.SparkSubmit",
            "--master", f"spark://{SUBNET}.1:{MASTER_PORT}", "--deploy-mode", "client",
            "--conf", f"spark.driver.host={SUBNET}.1", "--conf", f"spark.driver.bindAddress={SUBNET}.1",
            "--conf", "spark.ui.enabled=false", "--conf", f"spark.executor.memory={executor_memory}", "--conf", f"spark.executor.cores={slots}",
            "--conf", f"spark.cores.max={workers * slots}", "--conf", "spark.executorEnv.OMP_NUM_THREADS=1",
            # local: the executors read the jar where it is (one filesystem) instead of fetching 400 MB over the shaped links
            "--class", main_class, "local:" + env.jar]


def submit(env, workers, a, label):
    """One ScalingBench application on `workers` executors (one per namespace): its JSON lines."""
    cmd = [*spark_submit(env, workers, "dev.kindling.spark.bench.ScalingBench", "1g", "1g", a.slots),
           f"--workers={workers * a.slots}", f"--slots={a.slots}", f"--floats={','.join(str(f) for f in a.floats)}", f"--wires={a.wires}",
           f"--topk-density={a.topk_density}", "--halving=true", f"--warmup={a.warmup}", f"--rewarm={a.rewarm}", f"--calls={a.calls}", f"--host-ipc={a.host_ipc}",
           f"--label={label}"]
    lines = env.run(cmd, {"SPARK_LOCAL_IP": f"{SUBNET}.1"}, f"allreduce-n{workers}-{label}", 1200, every_line=True)
    with open(os.path.join(env.work, "lines.jsonl"), "a") as f:  # kept if a later step fails
        f.writelines(json.dumps(l) + "\n" for l in lines)
    return lines


def train_overlap(env, a, link):
    """--overlap-ab: the compute rows trained for one epoch on the 2 executors (one per namespace, the link shaped),
    the whole gradient after backprop against --overlap, alternated: the all-reduce's wait per step (what backprop
    did not hide), the calls' own time, and the loss (the same bits both ways)."""
    out = []
    for rep in range(a.reps):
        for row in compute_rows()[:a.overlap_rows]:
            for overlap in (["false", "true"] if rep % 2 == 0 else ["true", "false"]):
                run_dir = os.path.join(a.work, "overlap-ab", f"{row.name}-{link}-{overlap}-{rep}")
                subprocess.run(["rm", "-rf", run_dir, run_dir + ".partial"], check=True)
                cmd = [*spark_submit(env, 2, "dev.kindling.spark.job.Kindling", "1800m", "3g"),
                       "train", f"--model={row.model}", f"--data={env.dataset(row)}", *flags(row.train),
                       f"--master=spark://{SUBNET}.1:{MASTER_PORT}", "--dist=shared", "--encoding=dense", "--transport=aeron",
                       f"--overlap={overlap}", "--bucket-mb=4", "--epochs=1", "--patience=0", f"--out={run_dir}"]
                m = env.run(cmd, {"SPARK_LOCAL_IP": f"{SUBNET}.1", "OMP_NUM_THREADS": "1"}, f"overlap-{row.name}-{link}-{overlap}-{rep}", 1200)
                c = m["comm"]
                steps = c["ranks"][0]["steps"]
                line = {"row": row.name, "link": link, "overlap": overlap == "true", "rep": rep, "steps": steps,
                        "wait_ms": c["allreduce_s"] / steps * 1000, "calls_ms": c["allreduce_calls_s"] / steps * 1000,
                        "own_ms": max(r["compute_s"] for r in c["ranks"]) / steps * 1000, "buckets": c["buckets"],
                        "during_backprop": c["buckets_during_backprop"], "val_loss": m["final"].get("val_loss", m["final"].get("loss")),
                        "hosts": sorted({r["host"] for r in c["ranks"]})}
                log(json.dumps(line))
                out.append(line)
    return out


def overlap_table(lines):
    L = ["OVERLAP  one epoch on 2 executors in their own namespaces, Aeron between them (measured; medians of the runs)",
         f"{'row':<9}{'link':<8}{'overlap':<9}{'wait ms/step':>13}{'calls ms/step':>14}{'own ms/step':>12}{'val loss':>10}  runs"]
    for key in sorted({(l["row"], l["link"], l["overlap"]) for l in lines}):
        ls = [l for l in lines if (l["row"], l["link"], l["overlap"]) == key]
        med = lambda k: sorted(l[k] for l in ls)[len(ls) // 2]
        L.append(f"{key[0]:<9}{key[1]:<8}{'on' if key[2] else 'off':<9}{med('wait_ms'):>13.0f}{med('calls_ms'):>14.0f}{med('own_ms'):>12.0f}"
                 f"{med('val_loss'):>10.4f}  " + ", ".join(f"{l['wait_ms']:.0f}" for l in ls))
    L.append("wait: the training thread's time in the all-reduce per step (not hidden); calls: the all-reduce's own time; own: each"
             " worker's step without the wait. The GPT is one DL4J layer: its one bucket overlaps only the loss's second forward.")
    return "\n".join(L)


def compute_rows():
    """The models whose step the model projects: the seed GPT (batch 16) and a GPT of ~25M parameters (batch 8)."""
    gpt = rowspec.by_name("gpt")
    big = rowspec.Row("gpt-25m", "gpt", "kjv", dict(gpt.train, width="512", heads="8", layers="8", **{"ff-width": "2048"}),
                      None, "GPT 512x8 (8 heads, d_ff 2048) on KJV chars, batch 8 x 128 tokens",
                      prepare=dict(gpt.prepare, **{"batch-size": "8"}), steps=(1, 3))
    return [gpt, big]


def compute(env, a):
    """Seconds per training step of one worker (one thread), and the parameter count: what each all-reduce carries."""
    out = {}
    for row in compute_rows():
        warmup, steps = row.steps
        r = env.java("steps", [f"--model={row.model}", f"--data={env.dataset(row)}", *flags(row.train),
                               f"--warmup={warmup}", f"--steps={steps}"], 1, f"compute-{row.name}")
        out[row.name] = {"what": row.what, "params": r["params"], "step_s": 1.0 / r["steps_per_s"], "batch": r["batch"]}
    return out


def points(lines, density):
    """The measurements as the model's points."""
    out = []
    for m in lines:
        p = {"workers": m["workers"], "floats": m["floats"], "case": m["case"], "seconds": m["ms_median"] / 1000,
             "spread_ms": [m["ms_min"], m["ms_max"]], "bytes": m["bytes_per_worker_call"], "label": m["label"],
             "rate_bytes_s": RATES[m["label"]] / 8 if m["label"] in RATES else None,
             "launch_ms": m["launch_ms"], "open_ms": m["open_ms"], "aeron_log_mb": m["aeron_log_mb"]}
        if m["case"] == "topk":
            p["pairs"] = max(1, round(m["floats"] * density))
        else:
            p["wire_bytes"] = 4 if m["case"].endswith("fp32") else 2
        out.append(p)
    return out


CASES = ("dense-fp32", "dense-bf16", "topk", "halving-fp32", "halving-bf16")


def logs(cells):
    """The most Aeron log MB any worker had open: all-to-all (dense, topk) / halving."""
    by = [[p["aeron_log_mb"] for p in cells if p["case"].startswith("halving") == halving] for halving in (False, True)]
    return " / ".join(f"{max(b):.0f}" if b else "-" for b in by)


def measured_table(pts, params, m, held, cores):
    """One row per link, worker count and vector: each case's median ms (fastest-slowest call), the model's ms, and at
    the largest N what the model fitted without it predicts."""
    largest = max(p["workers"] for p in pts)
    held_by = {(p["label"], p["floats"], p["case"]): t for p, t in held}
    by = {(p["label"], p["workers"], p["floats"], p["case"]): p for p in pts}
    rows = ["| link | N | floats | " + " | ".join(f"{c} ms" for c in CASES) + " | model ms (" + ", ".join(CASES) + ") | "
            f"held out (fit N<{largest}) | fp32 MB sent/worker | Aeron logs MB/worker (all-to-all / halving) | launch s | connect s |",
            "| --- | --- | --- | " + " | ".join("---" for _ in CASES) + " | --- | --- | --- | --- | --- | --- |"]
    for label, n, floats in sorted({(p["label"], p["workers"], p["floats"]) for p in pts}, key=lambda x: (x[0], x[1], x[2])):
        cells = [by.get((label, n, floats, c)) for c in CASES]
        have = [p for p in cells if p]
        first = have[0]
        measured = " | ".join("" if p is None else f"{p['seconds'] * 1000:.0f} ({p['spread_ms'][0]:.0f}-{p['spread_ms'][1]:.0f})" for p in cells)
        modelled = " / ".join("" if p is None else f"{model.predict(params, m, p, cores) * 1000:.0f}" for p in cells)
        out = " / ".join(f"{held_by[(label, floats, c)] * 1000:.0f}" for c in CASES if (label, floats, c) in held_by) if n == largest else ""
        fp32 = by.get((label, n, floats, "dense-fp32"))
        rows.append(f"| {label} | {n} | {floats:,} | {measured} | {modelled} | {out} | {'' if fp32 is None else round(fp32['bytes'] / 1e6, 1)} | "
                    f"{logs(have)} | {first['launch_ms'] / 1000:.1f} | {max(p['open_ms'] for p in have) / 1000:.1f} |")
    return "\n".join(rows)


def projected_table(params, comp, density):
    """Per model, link and host count: each case's all-reduce and scaling efficiency (compute / (compute + all-reduce)),
    and the fp32 efficiency without the model's per-peer term (what a bandwidth-optimal all-reduce would give)."""
    rows = ["| model (step compute, 1 core, measured) | link | hosts | " + " | ".join(f"{c} ms" for c in CASES) + " | "
            + " | ".join(f"{c} efficiency" for c in CASES) + " | dense-fp32 efficiency without the per-peer term |",
            "| --- | --- | --- | " + " | ".join("---" for _ in CASES * 2) + " | --- |"]
    per_peer = model.TERMS.index("d")
    for name, c in comp.items():
        for gbit in PROJECTED_LINKS_GBIT:
            for hosts in PROJECTED_HOSTS:
                times = []
                for case in CASES:
                    p = {"workers": hosts, "floats": c["params"], "case": case, "rate_bytes_s": gbit * 1e9 / 8}
                    if case == "topk":
                        p["pairs"] = max(1, round(c["params"] * density))
                    else:
                        p["wire_bytes"] = 4 if case.endswith("fp32") else 2
                    times.append(model.predict(params, None, p, cores=None))  # one worker per host: no contention
                bound = times[0] - params[per_peer] * (hosts - 1)
                rows.append(f"| {name} {c['params'] / 1e6:.1f}M ({c['step_s']:.2f} s) | {gbit} Gbit | {hosts} | "
                            + " | ".join(f"{t * 1000:.0f}" for t in times) + " | "
                            + " | ".join(f"{c['step_s'] / (c['step_s'] + t):.0%}" for t in times)
                            + f" | {c['step_s'] / (c['step_s'] + bound):.0%} |")
    return "\n".join(rows)


def slots_table(lines, slots):
    """--slots > 1: per link, executor count and vector, each case's median ms (fastest-slowest) and what a worker sent."""
    by = {(m["label"], m["workers"], m["floats"], m["case"]): m for m in lines}
    rows = [f"MEASURED (executors of {slots} task slots in network namespaces: dense cases hierarchical, memory within an executor; compute excluded)",
            "| link | executors | workers | floats | " + " | ".join(f"{c} ms" for c in CASES) + " | sent per worker (" + ", ".join(CASES) + ") MB | Aeron logs MB |",
            "| --- | --- | --- | --- | " + " | ".join("---" for _ in CASES) + " | --- | --- |"]
    for label, n, floats in sorted({(m["label"], m["workers"], m["floats"]) for m in lines}):
        cells = [by.get((label, n, floats, c)) for c in CASES]
        rows.append(f"| {label} | {n // slots} | {n} | {floats:,} | "
                    + " | ".join("" if m is None else f"{m['ms_median']:.0f} ({m['ms_min']:.0f}-{m['ms_max']:.0f})" for m in cells)
                    + " | " + " / ".join("" if m is None else f"{m['bytes_per_worker_call'] / 1e6:.1f}" for m in cells)
                    + f" | {max(m['aeron_log_mb'] for m in cells if m):.0f} |")
    return "\n".join(rows)


def report(lines, compute, workers, density):
    """The model fitted to the measurements, its held-out check and the tables: a dict for scaling.json."""
    pts = points(lines, density)
    params, m = model.fit(pts, CORES)
    largest = max(workers)
    held_params, held_m, held = model.held_out(pts, CORES, largest)
    errors = sorted(abs(t - p["seconds"]) / p["seconds"] for p, t in held)
    text = ["MEASURED (this host: all-reduce among N executor JVMs in network namespaces, compute excluded)",
            measured_table(pts, params, m, held, CORES), "",
            "MODEL  T = a + r B/R + c (d D + g B + s P + h H + q N k)   (scaling_model.py; D peers: N-1, halving log2 N; c = max(1, m N / cores) here, 1 projected)",
            "  " + "  ".join(f"{t}={v:.3g}" for t, v in zip(model.TERMS, params)) + f"  m={m:.2f}",
            f"  held out: fitted on N < {largest} alone, it predicts the {len(held)} calls at N = {largest} within "
            f"{errors[len(errors) // 2]:.0%} (median), {errors[-1]:.0%} (worst)", "",
            "COMPUTE (measured: StepBench steps, one thread)",
            *[f"  {name}: {c['what']}: {c['params']:,} parameters, {c['step_s']:.2f} s/step" for name, c in compute.items()], "",
            "PROJECTED (the model, one worker per host, no overlap; nothing here is measured)",
            projected_table(params, compute, density), "",
            "PEERS (published, not run here)", *[f"  {p}" for p in PEERS]]
    return {"lines": lines, "model": dict(zip(model.TERMS, params.tolist()), m=m),
            "model_without_largest_n": dict(zip(model.TERMS, held_params.tolist()), m=held_m),
            "held_out_error": errors, "table": "\n".join(text)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="3 timed calls a case after 2 warm-up calls, 1 on the second vector (full: 7 after 3 and 2); one link at the largest N; about 11 min on 2 cores")
    ap.add_argument("--workers", default="1,2,4,8")
    ap.add_argument("--links", default="10gbit,1gbit", help="comma-separated, of " + ", ".join(RATES) + " and unshaped")
    ap.add_argument("--wires", default="fp32,bf16")
    ap.add_argument("--largest-links", default=None,
                    help="the links measured at the largest N (default: all of --links; --quick: the last, 1gbit): there N JVMs"
                         " share 2 cores and the CPU, not the link, bounds every call (N = 8, three runs: 1 Gbit took 0.61-1.68x"
                         " 10 Gbit's time case by case, in no consistent order), so a second link there costs --quick 4-5"
                         " minutes and shows nothing new")
    ap.add_argument("--slots", type=int, default=1,
                    help="task slots per executor: above 1 the dense cases run hierarchical (memory within an executor, its leader"
                         " all-to-all or halving) and only the measured table is printed (bench/scaling-slots<S>.json; the model"
                         " is fitted to one slot per executor)")
    ap.add_argument("--mtu", type=int, default=9000, help="the links' MTU: 9000 (jumbo frames, a cluster network's usual) or 1500")
    ap.add_argument("--topk-density", type=float, default=0.004)
    ap.add_argument("--host-ipc", default="true", choices=("true", "false"),
                    help="ScalingBench's --host-ipc: each executor also opens its host's shared media driver, as training does"
                         " (here every executor is alone in its network namespace, so none is shared)")
    ap.add_argument("--compute-from", default="", help="a scaling.json whose compute section to reuse")
    ap.add_argument("--from-results", default="", help="a scaling.json: refit the model and reprint its tables, measuring nothing")
    ap.add_argument("--overlap-ab", action="store_true",
                    help="instead of the all-reduce: train the seed GPT one epoch on 2 executors at each --links, --overlap off and on")
    ap.add_argument("--overlap-rows", type=int, default=1, help="--overlap-ab: 1 (seed GPT) or 2 (and the 25M GPT)")
    ap.add_argument("--overlap-reps", type=int, default=2)
    ap.add_argument("--work", default=os.path.join(ROOT, "runs", "scaling"))
    ap.add_argument("--out", default=os.path.join(ROOT, "bench"))
    a = ap.parse_args()
    # quick: 2 warm-up calls a case on the first vector (the first connects and compiles), 1 on the second (compiled by
    # then; the call pages in its new all-reduce's buffers): 8 JVMs at 1 Gbit spend ~9 s a call of 25.5M floats, so each
    # warm-up call there costs most of a minute over the cases
    a.calls, a.warmup, a.rewarm = (3, 2, 1) if a.quick else (7, 3, 2)
    workers = [int(n) for n in a.workers.split(",")]
    links = a.links.split(",")
    largest_links = (a.largest_links.split(",") if a.largest_links else links[-1:] if a.quick else links)
    unknown = sorted({l for l in links + largest_links if l not in RATES and l != "unshaped"})
    if unknown:
        raise SystemExit(f"scaling: --links or --largest-links {unknown}: expected {', '.join(RATES)} or unshaped")
    a.reps, a.work = 1, os.path.abspath(a.work)
    if a.from_results:
        saved = json.load(open(a.from_results))
        print(report(saved["lines"], saved["compute"], sorted({m["workers"] for m in saved["lines"]}), a.topk_density)["table"])
        return
    env = Env(a)
    t0 = time.time()
    if a.overlap_ab:
        overlap_ab(env, a, links, t0)
        return
    results = {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"), "cores": CORES,
               "mode": "quick" if a.quick else "full", "load_before": round(os.getloadavg()[0], 1)}
    if a.compute_from:
        results["compute"] = json.load(open(a.compute_from))["compute"]
    else:
        results["compute"] = compute(env, a)
    a.floats = [c["params"] for c in results["compute"].values()]
    lines = []
    net = Network(max(workers), a.mtu)
    try:
        net.up()
        for n in workers:
            cluster = Cluster(env, n, os.path.join(a.work, f"cluster-{n}"), a.slots)
            try:
                cluster.up()
                for link in (largest_links if n == max(workers) else links):
                    net.shape(RATES.get(link))
                    lines += submit(env, n, a, link)
            finally:
                cluster.down()
    finally:
        net.down()
    if a.slots > 1:
        results.update({"slots": a.slots, "lines": lines, "table": slots_table(lines, a.slots)})
    else:
        results.update(report(lines, results["compute"], workers, a.topk_density))
    results.update({"load_after": round(os.getloadavg()[0], 1), "wall_s": time.time() - t0})
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "scaling.json" if a.slots == 1 else f"scaling-slots{a.slots}.json")
    with open(path + ".tmp", "w") as f:
        json.dump(results, f, indent=1)
    os.replace(path + ".tmp", path)
    print(results["table"])
    log(f"wrote {path} ({time.time() - t0:.0f} s)")


def overlap_ab(env, a, links, t0):
    a.reps = a.overlap_reps
    net = Network(2, a.mtu)
    lines = []
    try:
        net.up()
        cluster = Cluster(env, 2, os.path.join(a.work, "cluster-overlap"))
        try:
            cluster.up()
            for link in links:
                net.shape(RATES.get(link))
                lines += train_overlap(env, a, link)
        finally:
            cluster.down()
    finally:
        net.down()
    table = overlap_table(lines)
    path = os.path.join(a.out, "overlap.json")
    os.makedirs(a.out, exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump({"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"), "lines": lines, "table": table}, f, indent=1)
    os.replace(path + ".tmp", path)
    print(table)
    log(f"wrote {path} ({time.time() - t0:.0f} s)")


if __name__ == "__main__":
    main()
