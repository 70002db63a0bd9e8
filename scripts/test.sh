#!/usr/bin/env bash
# The test command (README; .ci/run calls it): unit and integration tests (Spark local[2], in-process
# HDFS), then the launcher as a user runs it: --help, a bad input, the scratch-mlp demo, the README's
# main command (Fashion-MNIST MLP, shared master on local[2]) with its accuracy checked, and a real
# local cluster (HDFS and Spark standalone processes) training across two executor JVMs over Aeron.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
say() { echo "test: [$((SECONDS / 60))m$((SECONDS % 60))s] $*" >&2; }  # elapsed: where the suite spends its time

if ! command -v mvn >/dev/null || ! java -version 2>&1 | grep -q '"17'; then
  say "installing OpenJDK 17 and Maven (apt-get)..."
  apt-get update -qq && apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
fi
if ! command -v curl >/dev/null || ! command -v ss >/dev/null || ! command -v pgrep >/dev/null; then
  say "installing curl, iproute2 and procps for the local cluster (apt-get)..."
  apt-get update -qq && apt-get install -y -qq curl iproute2 procps >/dev/null
fi
if [[ ! -d /usr/share/datasets/fashion-mnist ]]; then
  say "installing Debian's dataset-fashion-mnist for the demo (apt-get)..."
  apt-get install -y -qq dataset-fashion-mnist >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq dataset-fashion-mnist >/dev/null; }
fi

if [[ ! -x /usr/bin/chromium ]]; then
  say "installing Debian's chromium: the report test renders a run's report.html in a real browser (apt-get)..."
  apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
fi

say "mvn verify: build, unit and integration tests, shaded job jar"
suite_started=$(date +%s)  # the closing count reads only the test reports this run wrote
OMP_NUM_THREADS=1 SPARK_LOCAL_IP=127.0.0.1 mvn -B -ntp -Dstyle.color=never verify

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
say "launcher: --help on every command"
for c in prepare-data train evaluate demo; do
  scripts/kindling "$c" --help | head -n 1 | grep -q "usage: scripts/kindling $c" || { say "$c --help failed"; exit 1; }
done

say "launcher: an unknown key exits 2 with a suggestion and creates nothing"
set +e
err=$(scripts/kindling train --data="$tmp/none" --out="$tmp/run" --epoch=3 2>&1 >/dev/null); code=$?
set -e
[[ $code -eq 2 && "$err" == *"did you mean 'epochs'"* && ! -e "$tmp/run" ]] || { say "bad-input check failed (exit $code): $err"; exit 1; }

check_accuracy() { # <metrics json line> <minimum>
  python3 - "$1" "$2" <<'PY'
import json, sys
m = json.loads(sys.argv[1])
a = m["final"]["accuracy"]
print("test: %s on %s: test accuracy %.4f" % (m["model"], m["dataset"], a), file=sys.stderr)
sys.exit(0 if a >= float(sys.argv[2]) else 1)
PY
}
say "launcher: demo --model=scratch-mlp"
check_accuracy "$(scripts/kindling demo --model=scratch-mlp --out="$tmp/scratch" 2>"$tmp/scratch.log" | tail -n 1)" 0.97
say "launcher: the README's main command, demo (Fashion-MNIST MLP, Kindling's all-reduce master, local[2])"
start=$SECONDS
check_accuracy "$(scripts/kindling demo --out="$tmp/demo" 2>"$tmp/demo.log" | tail -n 1)" 0.84 || { tail -n 30 "$tmp/demo.log" >&2; exit 1; }
say "demo took $((SECONDS - start)) s"
say "launcher: the demo's run has its events and report; report rebuilds the page"
run=$(ls -d "$tmp"/demo/run-*[0-9] | tail -n 1)
[[ -s $run/events.jsonl && -s $run/report.html ]] || { say "no events.jsonl or report.html in $run"; exit 1; }
scripts/kindling report --runs="$run" >/dev/null 2>"$tmp/report.log" || { tail -n 20 "$tmp/report.log" >&2; exit 1; }
say "cluster: a Spark that is not ours: a distribution of another 3.5 patch assembled from Spark's published jars"
# cached per machine (a fresh CI machine downloads its ~250 MB once); the launcher then builds and submits the
# cluster jar (-Pcluster-provided) through its bin/spark-submit, and the local cluster's Spark daemons run from it
export KINDLING_SPARK_HOME
KINDLING_SPARK_HOME=$(scripts/foreign-spark.sh "${XDG_CACHE_HOME:-$HOME/.cache}/kindling/spark-dist")
say "cluster: $(cat "$KINDLING_SPARK_HOME/RELEASE")"
grep -q "3.5.5" "$KINDLING_SPARK_HOME/RELEASE" && { say "the foreign Spark must not be the release Kindling compiles against"; exit 1; }
say "cluster: HDFS + Spark standalone (2 executor JVMs) + YARN; DL4J's legacy threshold master over Aeron from HDFS"
export KINDLING_CLUSTER_DIR="$tmp/cluster"
KINDLING_ROOT=$root
source "$root/cluster-configs/cluster.env"
master="spark://$KINDLING_CLUSTER_HOST:$SPARK_MASTER_PORT"
hdfs="hdfs://$KINDLING_CLUSTER_HOST:$HDFS_NAMENODE_PORT"
cluster_down() { scripts/local-cluster.sh down || true; }
trap 'cluster_down; rm -rf "$tmp"' EXIT
scripts/local-cluster.sh up --yarn
say "cluster: building the cluster jar (mvn -DskipTests -Pcluster-provided package)"
mvn -q -B -Dstyle.color=never -DskipTests -Pcluster-provided package
cluster_jar=$(ls spark-jobs/target/kindling-spark-jobs-*-cluster.jar | head -n 1)
say "cluster: $(basename "$cluster_jar"): $(du -m "$cluster_jar" | cut -f1) MB"
python3 - "$cluster_jar" <<'PY' || { say "the cluster jar carries Spark, Scala or Hadoop classes: they are the cluster's"; exit 1; }
import sys, zipfile
names = set(zipfile.ZipFile(sys.argv[1]).namelist())
sys.exit(1 if names & {"org/apache/spark/SparkContext.class", "scala/Option.class", "scala/reflect/api/Trees.class", "org/apache/hadoop/fs/FileSystem.class"} else 0)
PY
scripts/local-cluster.sh up 2>&1 | grep -q "already running" || { say "second 'up' did not say already running"; exit 1; }
scripts/kindling prepare-data --dataset=seed-sum --out="$hdfs/datasets/seed-sum" 2>"$tmp/cluster-prep.log" >/dev/null
trained=$(scripts/kindling train --model=mlp --master="$master" --dist=shared --encoding=threshold --epochs=6 --timeout-minutes=5 \
  --aeron-port="$AERON_DRIVER_PORT" --data="$hdfs/datasets/seed-sum" --out="$hdfs/runs/shared" 2>"$tmp/cluster-train.log" | tail -n 1) \
  || { tail -n 30 "$tmp/cluster-train.log" >&2; exit 1; }
check_accuracy "$trained" 0.9
python3 - "$trained" <<'PY'
import json, sys
m = json.loads(sys.argv[1])
c, t = m["comm"], m["telemetry"]
print("test: cluster: Aeron sent %d bytes, dense fp32 %d (compression %.1fx); %d steps from %d worker threads, median step %.1f ms"
      % (c["bytes_sent"], c["dense_bytes"], c["compression"], t["steps"], t["worker_threads"], t["median_step_ms"]), file=sys.stderr)
sys.exit(0 if c["bytes_sent"] > 0 and c["compression"] > 1 and t["steps"] == m["steps"] else 1)
PY
say "cluster: Kindling's dense all-reduce (the default encoding) between the 2 executor JVMs over Aeron IPC (one host), from HDFS"
dense=$(scripts/kindling train --model=mlp --master="$master" --dist=shared --epochs=6 --timeout-minutes=5 \
  --data="$hdfs/datasets/seed-sum" --out="$hdfs/runs/dense" 2>"$tmp/cluster-dense.log" | tail -n 1) \
  || { tail -n 30 "$tmp/cluster-dense.log" >&2; exit 1; }
check_accuracy "$dense" 0.9
python3 - "$dense" <<'PY'
import json, sys
m = json.loads(sys.argv[1])
c = m["comm"]
offered = c["dense_bytes"] / c["allreduce_bytes"]
print("test: cluster dense: %s; the all-reduce offered %d bytes, dense fp32 %d (%.2fx); UDP sent %d; %.1f s in the all-reduce"
      % (c["transport"], c["allreduce_bytes"], c["dense_bytes"], offered, c["bytes_sent"], c["allreduce_s"]), file=sys.stderr)
# two workers each send half a gradient twice per round: one fp32 gradient per minibatch crosses the executors,
# plus one parameter all-reduce per epoch (13 rounds here) and message headers; both executors share this host's
# media driver, so all of it goes over IPC and next to nothing over UDP
sys.exit(0 if c["encoding"] == "dense" and c["transport"] == "aeron+ipc" and 0.8 < offered <= 1.0
         and c["bytes_sent"] < 0.05 * c["allreduce_bytes"] and c["foreign_frames"] == 0 else 1)
PY
say "cluster: the dense all-reduce by recursive halving (--transport=halving) between the 2 executor JVMs over UDP (--host-ipc=false)"
halving=$(scripts/kindling train --model=mlp --master="$master" --dist=shared --transport=halving --host-ipc=false --epochs=6 \
  --timeout-minutes=5 --data="$hdfs/datasets/seed-sum" --out="$hdfs/runs/halving" 2>"$tmp/cluster-halving.log" | tail -n 1) \
  || { tail -n 30 "$tmp/cluster-halving.log" >&2; exit 1; }
python3 - "$dense" "$halving" <<'PY'
import json, sys
dense, halving = (json.loads(a) for a in sys.argv[1:3])
c = halving["comm"]
print("test: cluster halving: %s, the all-reduce offered %d bytes, UDP sent %d; final loss %r (all-to-all over IPC: %r)"
      % (c["transport"], c["allreduce_bytes"], c["bytes_sent"], halving["final"]["loss"], dense["final"]["loss"]), file=sys.stderr)
# two workers: halving's one pair adds what the all-to-all adds, and IPC carries what UDP does, so the same steps
# give the same bits. Aeron's UDP counter adds what it resends when a receiver falls behind (a loaded machine:
# 0.15x seen once), so only its floor is checked
sys.exit(0 if c["transport"] == "halving" and c["bytes_sent"] >= 0.95 * c["allreduce_bytes"]
         and halving["final"]["loss"] == dense["final"]["loss"] else 1)
PY
say "cluster: Kindling's sparse step sharing (--encoding=topk) between the 2 executor JVMs, from HDFS"
# --host-ipc=false: the pairs cross UDP, as between hosts, so that Aeron's counter measures them
topk=$(scripts/kindling train --model=mlp --master="$master" --dist=shared --encoding=topk --topk-density=0.05 --host-ipc=false --epochs=6 \
  --timeout-minutes=5 --data="$hdfs/datasets/seed-sum" --out="$hdfs/runs/topk" 2>"$tmp/cluster-topk.log" | tail -n 1) \
  || { tail -n 30 "$tmp/cluster-topk.log" >&2; exit 1; }
check_accuracy "$topk" 0.9
python3 - "$topk" <<'PY'
import json, sys
m = json.loads(sys.argv[1])
c = m["comm"]
print("test: cluster topk: Aeron sent %d bytes, dense fp32 %d (compression %.1fx)" % (c["bytes_sent"], c["dense_bytes"], c["compression"]),
      file=sys.stderr)
# 5% of the entries at 8 bytes each: 10x fewer bytes than dense fp32, less the headers (measured 9.6x on local[2])
sys.exit(0 if c["encoding"] == "topk" and 5 < c["compression"] < 12 else 1)
PY
say "cluster: prepare-data --dataset=text on the executors from an HDFS glob, then a GPT trained from it"
mkdir -p "$tmp/corpus"
python3 - "$tmp/corpus" <<'PY'
import random, sys
lines = ["the lord is my shepherd; i shall not want.", "in the beginning god created the heaven and the earth.",
         "and god said, let there be light: and there was light.", "a river runs under the stone bridge."]
for f in range(3):
    r = random.Random(f)
    with open(f"{sys.argv[1]}/book-{f}.txt", "w") as out:
        out.write("\n".join(r.choice(lines) for _ in range(1500)) + "\n")
PY
scripts/local-cluster.sh put "$tmp/corpus/book-0.txt" "$tmp/corpus/book-1.txt" "$tmp/corpus/book-2.txt" /corpus 2>"$tmp/put.log" ||
  { tail -n 20 "$tmp/put.log" >&2; exit 1; }
scripts/kindling prepare-data --dataset=text --master="$master" --source-path="$hdfs/corpus/book-*.txt" --tokenizer=bpe \
  --vocab-size=300 --seq-len=32 --batch-size=32 --out="$hdfs/datasets/books" >/dev/null 2>"$tmp/cluster-text.log" ||
  { tail -n 30 "$tmp/cluster-text.log" >&2; exit 1; }
grep -q "3 file(s), .* in 3 partitions" "$tmp/cluster-text.log" && grep -q "executors wrote [1-9][0-9]* train shards" "$tmp/cluster-text.log" ||
  { say "prepare-data did not split the 3 files into 3 partitions written by the executors"; tail -n 20 "$tmp/cluster-text.log" >&2; exit 1; }
gpt=$(scripts/kindling train --model=gpt --master="$master" --dist=shared --epochs=1 --timeout-minutes=5 --width=32 --heads=2 \
  --layers=1 --ff-width=64 --context=32 --lr=3e-3 --data="$hdfs/datasets/books" --out="$hdfs/runs/gpt-books" 2>"$tmp/cluster-gpt.log" |
  tail -n 1) || { tail -n 30 "$tmp/cluster-gpt.log" >&2; exit 1; }
python3 - "$gpt" <<'PY'
import json, sys
f = json.loads(sys.argv[1])["final"]
print("test: cluster: gpt on the prepared corpus: val loss %.3f against the unigram baseline %.3f" % (f["val_loss"], f["baseline_unigram_loss"]),
      file=sys.stderr)
sys.exit(0 if f["val_loss"] < 0.9 * f["baseline_unigram_loss"] else 1)
PY
say "cluster: a Parquet table written onto HDFS by a Spark job, prepared on the executors (--dataset=table), the MLP trained from it"
java $(cat spark-jobs/target/jvm.flags) -cp "$KINDLING_SPARK_HOME/jars/*" scripts/examples/ExampleTable.java "$hdfs/tables/example" 3000 3 \
  2>"$tmp/example-table.log" || { tail -n 30 "$tmp/example-table.log" >&2; exit 1; }
scripts/kindling prepare-data --dataset=table --master="$master" --source-path="$hdfs/tables/example" --features-column=features \
  --label-column=label --out="$hdfs/datasets/table" >/dev/null 2>"$tmp/cluster-table.log" || { tail -n 30 "$tmp/cluster-table.log" >&2; exit 1; }
grep -q "(3 file(s)): 6 features, 3 classes" "$tmp/cluster-table.log" ||
  { say "prepare-data did not read the 3 Parquet files as 6 features and 3 classes"; tail -n 20 "$tmp/cluster-table.log" >&2; exit 1; }
check_accuracy "$(scripts/kindling train --model=mlp --master="$master" --dist=shared --epochs=2 --timeout-minutes=5 \
  --data="$hdfs/datasets/table" --out="$hdfs/runs/mlp-table" 2>"$tmp/cluster-table-train.log" | tail -n 1)" 0.85
say "cluster: an image folder put on HDFS, decoded and resized on the executors (--dataset=images), the small CNN trained from it"
say "  with --overlap: its gradient (BatchNorm statistics included) all-reduced in buckets while backprop runs"
java scripts/examples/ExampleImages.java "$tmp/images" 150 && scripts/local-cluster.sh put "$tmp/images" / 2>"$tmp/put-images.log" ||
  { tail -n 20 "$tmp/put-images.log" >&2; exit 1; }
scripts/kindling prepare-data --dataset=images --master="$master" --source-path="$hdfs/images" --image-size=16 --batch-size=16 \
  --out="$hdfs/datasets/images" >/dev/null 2>"$tmp/cluster-images.log" || { tail -n 30 "$tmp/cluster-images.log" >&2; exit 1; }
grep -q "450 images in 3 classes" "$tmp/cluster-images.log" ||
  { say "prepare-data did not find 450 images in 3 classes"; tail -n 20 "$tmp/cluster-images.log" >&2; exit 1; }
cnn=$(scripts/kindling train --model=small-cnn --master="$master" --dist=shared --epochs=3 --timeout-minutes=5 --overlap=true \
  --bucket-mb=0.05 --data="$hdfs/datasets/images" --out="$hdfs/runs/cnn-images" 2>"$tmp/cluster-images-train.log" | tail -n 1) \
  || { tail -n 30 "$tmp/cluster-images-train.log" >&2; exit 1; }
check_accuracy "$cnn" 0.8
python3 - "$cnn" <<'PY'
import json, sys
c = json.loads(sys.argv[1])["comm"]
print("test: cluster overlap: %d buckets, %.0f%% launched while backprop ran; %.1f s waited of %.1f s in all-reduce calls"
      % (c["buckets"], 100 * c["buckets_during_backprop"], c["allreduce_s"], c["allreduce_calls_s"]), file=sys.stderr)
sys.exit(0 if c["buckets"] > 1 and c["buckets_during_backprop"] > 0.5 else 1)
PY
joined=$(cat "$KINDLING_CLUSTER_DIR"/worker-*/app-*/*/stderr | grep -c "Adding UDP connection" || true)
say "cluster: executors opened $joined Aeron connections"
((joined >= 4)) || { say "expected each of 2 executors to connect to the driver and its peer over Aeron"; exit 1; }
check_accuracy "$(scripts/kindling evaluate --master="$master" --model-path="$hdfs/runs/shared/model.zip" \
  --data="$hdfs/datasets/seed-sum" 2>"$tmp/cluster-eval.log" | tail -n 1)" 0.9
# kill_executor_after <log> <line> <pid>: once the run's <log> has <line>, kill -9 worker-1's executor JVM,
# then wait for the run (pid) and fail the tests if it failed
kill_executor_after() {
  for _ in $(seq 1 900); do grep -q "$2" "$1" && break; sleep 0.2; done
  local victim
  victim=$(pgrep -P "$(cat "$KINDLING_CLUSTER_DIR/pids/worker-1.pid")" -f CoarseGrainedExecutorBackend | head -n 1 || true)
  [[ -n "$victim" ]] || { say "no executor of worker-1 to kill"; kill "$3"; exit 1; }
  kill -9 "$victim"
  wait "$3" || { tail -n 30 "$1" >&2; exit 1; }
}
say "cluster: executor loss under Kindling's master: kill -9 one executor JVM after epoch 1; the run must finish (--auto-resume)"
scripts/kindling train --model=mlp --master="$master" --dist=shared --epochs=6 --patience=0 --timeout-minutes=1 \
  --auto-resume=2 --peer-timeout-seconds=20 --data="$hdfs/datasets/seed-sum" --out="$hdfs/runs/dense-loss" \
  >"$tmp/dense-loss.out" 2>"$tmp/dense-loss.log" &
loss_pid=$!
kill_executor_after "$tmp/dense-loss.log" "epoch=1/6 train_loss" "$loss_pid"  # the epoch-end line, not a progress line
check_accuracy "$(tail -n 1 "$tmp/dense-loss.out")" 0.85
say "cluster: dense executor loss: auto-resumed $(tail -n 1 "$tmp/dense-loss.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["auto_resumes"])') time(s)"
say "cluster: driver loss: kill -9 the driver after epoch 2, resubmit with --resume; the run must continue and finish"
dargs=(train --model=mlp --master="$master" --dist=shared --epochs=4 --patience=0 --timeout-minutes=2
  --aeron-port="$AERON_DRIVER_PORT" --data="$hdfs/datasets/seed-sum" --out="$hdfs/runs/driver-loss")
scripts/kindling "${dargs[@]}" >/dev/null 2>"$tmp/driver-kill.log" &
driver_pid=$!  # the launcher execs the driver JVM
for _ in $(seq 1 900); do grep -q "epoch=2/4 train_loss" "$tmp/driver-kill.log" && break; sleep 0.2; done
grep -q "epoch=2/4 train_loss" "$tmp/driver-kill.log" || { say "the driver never finished epoch 2"; tail -n 30 "$tmp/driver-kill.log" >&2; exit 1; }
kill -9 "$driver_pid"
wait "$driver_pid" 2>/dev/null || true
for _ in $(seq 1 300); do  # its executors exit when the driver is gone; their Aeron ports must be free again
  left=$(for w in "$KINDLING_CLUSTER_DIR"/pids/worker-*.pid; do pgrep -P "$(cat "$w")" -f CoarseGrainedExecutorBackend; done || true)
  [[ -z "$left" ]] && break; sleep 0.2
done
resumed=$(scripts/kindling "${dargs[@]}" --resume="$hdfs/runs/driver-loss" 2>"$tmp/driver-resume.log" | tail -n 1) \
  || { tail -n 30 "$tmp/driver-resume.log" >&2; exit 1; }
check_accuracy "$resumed" 0.85
python3 -c 'import json,sys; sys.exit(0 if len(json.loads(sys.argv[1])["history"]) == 4 else 1)' "$resumed" ||
  { say "the resumed run's history is not the killed run's epochs and the rest of its 4"; exit 1; }
say "cluster: driver loss: $(grep -o "resuming from checkpoint e[0-9]*-s[0-9]*" "$tmp/driver-resume.log"); $(python3 -c \
  'import json,sys; print(len(json.loads(sys.argv[1])["history"]), "epochs in the history")' "$resumed")"
rows=$(scripts/kindling infer --master="$master" --model-path="$hdfs/runs/shared/model.zip" --data="$hdfs/datasets/seed-sum" \
  --out="$hdfs/predictions/seed-sum" 2>"$tmp/cluster-infer.log" | tail -n 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)["rows_out"])')
[[ "$rows" == 200 ]] || { say "infer on the cluster wrote $rows rows, expected 200"; exit 1; }
say "cluster: YARN: train --master=yarn (an ApplicationMaster and 2 executors of 2 task slots in YARN containers), the run published to HDFS"
# 4 workers, 2 per executor JVM: the hierarchical all-reduce (memory within each executor, Aeron between the two:
# over IPC, since both containers are on this host)
yarn_run=$(KINDLING_SPARK_CONF="--conf spark.executor.cores=2" scripts/kindling train --model=mlp --master=yarn --dist=shared --epochs=6 \
  --timeout-minutes=5 --data="$hdfs/datasets/seed-sum" --out="$hdfs/runs/yarn" 2>"$tmp/yarn.log" | tail -n 1) \
  || { tail -n 30 "$tmp/yarn.log" >&2; exit 1; }
check_accuracy "$yarn_run" 0.9
python3 - "$yarn_run" <<'PY' || { say "expected 4 workers and the hierarchical all-reduce on YARN"; exit 1; }
import json, sys
m = json.loads(sys.argv[1])
print("test: YARN: %d workers, all-reduce %s, the leaders exchanged %d bytes" % (m["workers"], m["comm"]["transport"],
      m["comm"]["allreduce_bytes"]), file=sys.stderr)
sys.exit(0 if m["workers"] == 4 and m["comm"]["transport"] == "hierarchical+ipc" and m["comm"]["allreduce_bytes"] > 0 else 1)
PY
app=$(grep -o "application_[0-9]*_[0-9]*" "$tmp/yarn.log" | head -n 1)
containers=$(find "$KINDLING_CLUSTER_DIR/yarn/logs/$app" -maxdepth 1 -name "container_*" 2>/dev/null | wc -l)
say "cluster: YARN application $app ran in $containers containers"
((containers >= 3)) || { say "expected the ApplicationMaster and 2 executors in YARN containers"; exit 1; }
scripts/local-cluster.sh down
left=$(pgrep -f "$KINDLING_CLUSTER_DIR" || true)
[[ -z "$left" ]] || { say "processes left after down: $left"; exit 1; }
jars=$(find "$KINDLING_CLUSTER_DIR"/worker-*/app-* -name '*.jar' 2>/dev/null | wc -l)
logs=$(find "$KINDLING_CLUSTER_DIR"/worker-*/app-* -name stderr 2>/dev/null | wc -l)
say "cluster: after down, the Workers' application directories hold $jars copied jars and $logs executor logs"
((jars == 0 && logs > 0)) || { say "expected down to delete the executors' copies of the job jar and keep their logs"; exit 1; }
trap 'rm -rf "$tmp"' EXIT
if compgen -G "/dev/shm/aeron-$(id -un)-*" >/dev/null; then
  say "note: Aeron directories remain in /dev/shm: $(ls -d /dev/shm/aeron-"$(id -un)"-* | wc -l)"
fi
# the plain closing line: JUnit tests from the surefire reports plus the launcher checks above
python3 - "$suite_started" <<'PY'
import glob, os, sys, xml.etree.ElementTree as ET
tests = failed = 0
for f in glob.glob("*/target/surefire-reports/TEST-*.xml"):
    if os.path.getmtime(f) < float(sys.argv[1]):
        continue  # left by an earlier run of a class that has moved or gone
    r = ET.parse(f).getroot()
    tests += int(r.get("tests")); failed += int(r.get("failures")) + int(r.get("errors"))
launcher_checks = 14
print("%d passed, %d failed" % (tests - failed + launcher_checks, failed))
PY
