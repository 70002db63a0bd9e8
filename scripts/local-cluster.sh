#!/usr/bin/env bash
# A real local cluster on one host, from Maven jars only: HDFS (a NameNode and a DataNode process) and
# Spark standalone (a Master and SPARK_WORKERS Workers, whose executors are JVMs of their own).
#   scripts/local-cluster.sh up [--yarn] | down | status | put <local file or dir>... <hdfs dir>
# --yarn adds a YARN ResourceManager and NodeManager (Hadoop's daemons from the same Maven jars as HDFS).
# `up` writes the cluster's client settings to $KINDLING_CLUSTER_DIR/hadoop-conf (HADOOP_CONF_DIR for
# `--master=yarn` and any Hadoop client).
# KINDLING_SPARK_HOME=<a Spark distribution> runs Spark's daemons from its jars instead of Kindling's jar
# (scripts/foreign-spark.sh assembles one); jobs are then submitted with the cluster jar through its spark-submit.
# Ports, directories and sizes come from cluster-configs/cluster.env (override any in the environment).
# `up` is idempotent; `down` stops only the processes `up` started (by their recorded PIDs), then
# removes the Aeron directories the cluster's JVMs left in /dev/shm.
set -euo pipefail
KINDLING_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../cluster-configs/cluster.env
source "$KINDLING_ROOT/cluster-configs/cluster.env"
H=$KINDLING_CLUSTER_HOST
D=$KINDLING_CLUSTER_DIR
pids=$D/pids
say() { echo "local-cluster: $*" >&2; }
die() { say "$*"; exit 1; }

jar() { ls "$KINDLING_ROOT"/spark-jobs/target/kindling-spark-jobs-*-all.jar 2>/dev/null | head -n 1; }

ensure_build() {
  if [[ -z "$(jar)" || ! -f "$KINDLING_ROOT/spark-jobs/target/hdfs.classpath" || ! -f "$KINDLING_ROOT/spark-jobs/target/yarn.classpath" ]]; then
    say "building the job jar (mvn -q -DskipTests package)..."
    (cd "$KINDLING_ROOT" && mvn -q -B -Dstyle.color=never -DskipTests package) >&2
  fi
}

alive() { [[ -f "$pids/$1.pid" ]] && kill -0 "$(cat "$pids/$1.pid")" 2>/dev/null; }

port_free() { [[ -z "$(ss -Hltn "sport = :$1" 2>/dev/null)" ]]; }

wait_for() { # <what> <command...>
  local what=$1; shift
  local deadline=$((SECONDS + KINDLING_CLUSTER_WAIT))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || die "$what not ready after ${KINDLING_CLUSTER_WAIT}s; see $D/logs"
    sleep 0.5
  done
}

start() { # <name> <env assignments...> -- <java args...>: starts a daemon in the background, records its PID
  local name=$1; shift
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  env "${envs[@]}" java "$@" > "$D/logs/$name.log" 2>&1 &
  echo $! > "$pids/$name.pid"
}

# The JSON is read whole before it is searched: `curl | grep -q` under pipefail fails when grep stops
# reading at its first match while curl is still writing (SIGPIPE), which made a ready HDFS look down.
hdfs_ready() {
  local state info
  state=$(curl -sf "http://$H:$HDFS_NAMENODE_HTTP_PORT/jmx?qry=Hadoop:service=NameNode,name=FSNamesystemState") &&
    info=$(curl -sf "http://$H:$HDFS_NAMENODE_HTTP_PORT/jmx?qry=Hadoop:service=NameNode,name=NameNodeInfo") &&
    [[ $state == *'"NumLiveDataNodes" : 1'* && $info == *'"Safemode" : ""'* ]]
}

spark_ready() {
  local json
  json=$(curl -sf "http://$H:$SPARK_MASTER_UI_PORT/json/") && [[ $(tr -d ' \n' <<<"$json") == *"\"aliveworkers\":$SPARK_WORKERS,"* ]]
}

up() {
  local with_yarn=no
  [[ "${1:-}" == --yarn ]] && with_yarn=yes
  if alive namenode && alive master; then
    say "already running (hdfs://$H:$HDFS_NAMENODE_PORT, spark://$H:$SPARK_MASTER_PORT); 'down' stops it"
    return 0
  fi
  alive namenode || alive datanode || alive master && die "partly running; run 'down' first"
  ensure_build
  local ports=("$HDFS_NAMENODE_PORT" "$HDFS_NAMENODE_HTTP_PORT" "$HDFS_DATANODE_PORT" "$HDFS_DATANODE_HTTP_PORT"
    "$HDFS_DATANODE_IPC_PORT" "$SPARK_MASTER_PORT" "$SPARK_MASTER_UI_PORT")
  for ((i = 1; i <= SPARK_WORKERS; i++)); do ports+=($((SPARK_WORKER_UI_PORT_BASE + i))); done
  [[ $with_yarn == yes ]] && ports+=("$YARN_RM_PORT" "$YARN_RM_SCHEDULER_PORT" "$YARN_RM_TRACKER_PORT" "$YARN_RM_ADMIN_PORT"
    "$YARN_RM_WEBAPP_PORT" "$YARN_NM_PORT" "$YARN_NM_LOCALIZER_PORT" "$YARN_NM_WEBAPP_PORT")
  for p in "${ports[@]}"; do
    port_free "$p" || die "port $p on $H is in use ($(ss -Hltnp "sport = :$p" | head -n 1)); change it in cluster-configs/cluster.env or stop its owner"
  done
  mkdir -p "$D/logs" "$pids" "$D/spark-home/jars" "$D/hdfs"
  touch "$D/started"
  write_hadoop_conf
  local java_home
  java_home=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")
  local app_jar mini
  app_jar=$(jar)
  mini=$(cat "$KINDLING_ROOT/spark-jobs/target/hdfs.classpath")
  [[ -f "$mini" ]] || die "HDFS server jar $mini missing; run mvn -DskipTests package"
  local hj=(-Xmx512m -XX:+UseSerialGC -Dkindling.host="$H" -Dkindling.hdfs.port="$HDFS_NAMENODE_PORT"
    -Dkindling.hdfs.http.port="$HDFS_NAMENODE_HTTP_PORT" -Dkindling.dn.port="$HDFS_DATANODE_PORT"
    -Dkindling.dn.http.port="$HDFS_DATANODE_HTTP_PORT" -Dkindling.dn.ipc.port="$HDFS_DATANODE_IPC_PORT"
    -Dkindling.hdfs.base="$D/hdfs" -Dlog4j2.configurationFile="$KINDLING_ROOT/cluster-configs/spark/log4j2.properties"
    -cp "$KINDLING_ROOT/cluster-configs/hadoop:$mini:$app_jar")
  if [[ ! -d "$D/hdfs/name" ]]; then
    say "formatting HDFS at $D/hdfs"
    java "${hj[@]}" org.apache.hadoop.hdfs.server.namenode.NameNode -format -force -nonInteractive > "$D/logs/format.log" 2>&1 ||
      die "HDFS format failed; see $D/logs/format.log"
  fi
  say "starting HDFS (NameNode $H:$HDFS_NAMENODE_PORT, DataNode)"
  start namenode -- "${hj[@]}" org.apache.hadoop.hdfs.server.namenode.NameNode
  start datanode -- "${hj[@]}" org.apache.hadoop.hdfs.server.datanode.DataNode

  # Spark authentication is on: one secret per cluster, readable only by its owner
  [[ -f "$D/secret" ]] || (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$D/secret")
  local secret
  secret=$(cat "$D/secret")
  cat > "$D/spark-defaults.conf" <<CONF
# Written by scripts/local-cluster.sh up; read by scripts/kindling for --master=spark://$H:$SPARK_MASTER_PORT
spark.authenticate true
spark.authenticate.secret $secret
spark.executor.memory $SPARK_EXECUTOR_MEMORY
spark.executor.cores $SPARK_WORKER_CORES
spark.cores.max $((SPARK_WORKERS * SPARK_WORKER_CORES))
spark.executorEnv.SPARK_SCALA_VERSION 2.12
spark.executorEnv.OMP_NUM_THREADS 1
spark.hadoop.fs.defaultFS hdfs://$H:$HDFS_NAMENODE_PORT
spark.executor.extraJavaOptions -Dlog4j2.configurationFile=$KINDLING_ROOT/cluster-configs/spark/log4j2.properties
spark.task.reaper.enabled true
spark.task.reaper.killTimeout 60s
CONF
  chmod 600 "$D/spark-defaults.conf"
  # Spark's daemons: from Kindling's jar (executors get it as SPARK_DIST_CLASSPATH), or from a Spark
  # distribution's jars when KINDLING_SPARK_HOME names one (executors get only Spark's jars and what is submitted)
  local spark_cp="$app_jar" spark_home="$D/spark-home" dist_cp="$app_jar"
  if [[ -n "${KINDLING_SPARK_HOME:-}" ]]; then
    [[ -d "$KINDLING_SPARK_HOME/jars" ]] || die "KINDLING_SPARK_HOME=$KINDLING_SPARK_HOME has no jars/ directory: not a Spark distribution"
    spark_cp="$KINDLING_SPARK_HOME/jars/*" spark_home=$KINDLING_SPARK_HOME dist_cp=""
    say "Spark from $KINDLING_SPARK_HOME ($(cat "$KINDLING_SPARK_HOME/RELEASE" 2>/dev/null || echo "no RELEASE file"))"
  fi
  local sj=(-Xmx256m -XX:+UseSerialGC -Dspark.port.maxRetries=0 -Dspark.authenticate=true -Dspark.authenticate.secret="$secret"
    -Dlog4j2.configurationFile="$KINDLING_ROOT/cluster-configs/spark/log4j2.properties" -cp "$KINDLING_ROOT/cluster-configs/spark:$spark_cp")
  say "starting Spark Master spark://$H:$SPARK_MASTER_PORT and $SPARK_WORKERS Workers"
  start master SPARK_LOCAL_IP="$H" -- "${sj[@]}" org.apache.spark.deploy.master.Master --host "$H" --port "$SPARK_MASTER_PORT" --webui-port "$SPARK_MASTER_UI_PORT"
  wait_for "Spark Master" curl -sf "http://$H:$SPARK_MASTER_UI_PORT/json/"
  for ((i = 1; i <= SPARK_WORKERS; i++)); do
    start "worker-$i" SPARK_HOME="$spark_home" SPARK_SCALA_VERSION=2.12 SPARK_LOCAL_IP="$H" SPARK_DIST_CLASSPATH="$dist_cp" \
      OMP_NUM_THREADS=1 KINDLING_AERON_PORT=$((AERON_WORKER_PORT_BASE + i)) -- \
      "${sj[@]}" -Dspark.worker.cleanup.enabled=true -Dspark.worker.cleanup.appDataTtl="$SPARK_WORKER_APP_TTL_S" \
      org.apache.spark.deploy.worker.Worker --host "$H" --cores "$SPARK_WORKER_CORES" --memory "$SPARK_WORKER_MEMORY" \
      --webui-port $((SPARK_WORKER_UI_PORT_BASE + i)) --work-dir "$D/worker-$i" "spark://$H:$SPARK_MASTER_PORT"
  done
  wait_for "HDFS" hdfs_ready
  wait_for "Spark Workers" spark_ready
  if [[ $with_yarn == yes ]]; then
    say "starting YARN (ResourceManager $H:$YARN_RM_PORT, a NodeManager of ${YARN_NM_MEMORY_MB} MB and $YARN_NM_VCORES vcores)"
    # Hadoop's minicluster jar holds the daemons; target/yarn.classpath adds BouncyCastle (the RM's) and Hadoop's
    # client jars. The daemons' web apps look for webapps/<name> on the classpath, which no Maven jar of
    # these carries: empty ones serve their REST APIs (the readiness check) and plain pages. The module
    # opens are every Kindling JVM's (the web apps' Guice generates classes); so is the collector (jvm.flags).
    mkdir -p "$D/yarn/classpath/webapps/cluster" "$D/yarn/classpath/webapps/node" "$D/yarn/classpath/webapps/static"
    touch "$D/yarn/classpath/webapps/cluster/.keep" "$D/yarn/classpath/webapps/node/.keep" "$D/yarn/classpath/webapps/static/.keep"
    # shellcheck disable=SC2046
    local yj=(-Xmx512m $(cat "$KINDLING_ROOT/spark-jobs/target/jvm.flags")
      -Dlog4j2.configurationFile="$KINDLING_ROOT/cluster-configs/spark/log4j2.properties"
      -cp "$D/hadoop-conf:$D/yarn/classpath:$mini:$(cat "$KINDLING_ROOT/spark-jobs/target/yarn.classpath"):$app_jar")
    # what scripts/kindling passes to spark-submit for --master=yarn: executors as many and as large as the standalone ones
    cat > "$D/spark-yarn.conf" <<CONF
# Written by scripts/local-cluster.sh up --yarn; read by scripts/kindling for --master=yarn
spark.executor.instances $SPARK_WORKERS
spark.executor.cores $SPARK_WORKER_CORES
spark.executor.memory $SPARK_EXECUTOR_MEMORY
spark.yarn.am.memory 512m
spark.executorEnv.OMP_NUM_THREADS 1
spark.executor.extraJavaOptions -Dlog4j2.configurationFile=$KINDLING_ROOT/cluster-configs/spark/log4j2.properties
CONF
    start resourcemanager -- "${yj[@]}" org.apache.hadoop.yarn.server.resourcemanager.ResourceManager
    start nodemanager JAVA_HOME="$java_home" -- "${yj[@]}" org.apache.hadoop.yarn.server.nodemanager.NodeManager
    wait_for "YARN" yarn_ready
  fi
  say "up: hdfs://$H:$HDFS_NAMENODE_PORT  spark://$H:$SPARK_MASTER_PORT (UI http://$H:$SPARK_MASTER_UI_PORT)$(
    [[ $with_yarn == yes ]] && echo "  yarn (UI http://$H:$YARN_RM_WEBAPP_PORT)")  HADOOP_CONF_DIR=$D/hadoop-conf  logs $D/logs"
}

# The cluster's client settings with literal addresses, for any Hadoop or Spark client (HADOOP_CONF_DIR),
# and the YARN daemons' own settings (they read the same files).
write_hadoop_conf() {
  mkdir -p "$D/hadoop-conf" "$D/yarn/local" "$D/yarn/logs"
  cat > "$D/hadoop-conf/core-site.xml" <<XML
<?xml version="1.0"?>
<!-- written by scripts/local-cluster.sh up -->
<configuration>
  <property><name>fs.defaultFS</name><value>hdfs://$H:$HDFS_NAMENODE_PORT</value></property>
</configuration>
XML
  # a client closing a file polls the NameNode until the DataNode has reported the last block, first after
  # 400 ms (Hadoop's default); on this one-host cluster the report takes milliseconds, and at 400 ms a put of
  # 450 small files took 117 s (10 ms: ~40 ms a file)
  cat > "$D/hadoop-conf/hdfs-site.xml" <<XML
<?xml version="1.0"?>
<!-- written by scripts/local-cluster.sh up -->
<configuration>
  <property><name>dfs.client.block.write.locateFollowingBlock.initial.delay.ms</name><value>10</value></property>
</configuration>
XML
  cat > "$D/hadoop-conf/yarn-site.xml" <<XML
<?xml version="1.0"?>
<!-- written by scripts/local-cluster.sh up from cluster-configs/cluster.env -->
<configuration>
  <property><name>yarn.resourcemanager.hostname</name><value>$H</value></property>
  <property><name>yarn.resourcemanager.address</name><value>$H:$YARN_RM_PORT</value></property>
  <property><name>yarn.resourcemanager.scheduler.address</name><value>$H:$YARN_RM_SCHEDULER_PORT</value></property>
  <property><name>yarn.resourcemanager.resource-tracker.address</name><value>$H:$YARN_RM_TRACKER_PORT</value></property>
  <property><name>yarn.resourcemanager.admin.address</name><value>$H:$YARN_RM_ADMIN_PORT</value></property>
  <property><name>yarn.resourcemanager.webapp.address</name><value>$H:$YARN_RM_WEBAPP_PORT</value></property>
  <property><name>yarn.resourcemanager.scheduler.class</name><value>org.apache.hadoop.yarn.server.resourcemanager.scheduler.fifo.FifoScheduler</value></property>
  <property><name>yarn.nodemanager.hostname</name><value>$H</value></property>
  <property><name>yarn.nodemanager.address</name><value>$H:$YARN_NM_PORT</value></property>
  <property><name>yarn.nodemanager.localizer.address</name><value>$H:$YARN_NM_LOCALIZER_PORT</value></property>
  <property><name>yarn.nodemanager.webapp.address</name><value>$H:$YARN_NM_WEBAPP_PORT</value></property>
  <property><name>yarn.nodemanager.local-dirs</name><value>$D/yarn/local</value></property>
  <property><name>yarn.nodemanager.log-dirs</name><value>$D/yarn/logs</value></property>
  <property><name>yarn.nodemanager.resource.memory-mb</name><value>$YARN_NM_MEMORY_MB</value></property>
  <property><name>yarn.nodemanager.resource.cpu-vcores</name><value>$YARN_NM_VCORES</value></property>
  <property><name>yarn.scheduler.minimum-allocation-mb</name><value>256</value></property>
  <property><name>yarn.scheduler.maximum-allocation-mb</name><value>$YARN_NM_MEMORY_MB</value></property>
  <property><name>yarn.nodemanager.pmem-check-enabled</name><value>false</value></property>
  <property><name>yarn.nodemanager.vmem-check-enabled</name><value>false</value></property>
  <!-- a nearly full disk would mark the only node unhealthy and nothing would run -->
  <property><name>yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage</name><value>99.5</value></property>
  <property><name>yarn.nodemanager.env-whitelist</name><value>JAVA_HOME,HADOOP_COMMON_HOME,HADOOP_HDFS_HOME,HADOOP_CONF_DIR,HADOOP_YARN_HOME,PATH,LANG,TZ</value></property>
</configuration>
XML
}

yarn_ready() {
  curl -sf "http://$H:$YARN_RM_WEBAPP_PORT/ws/v1/cluster/metrics" | tr -d ' \n' | grep -q '"activeNodes":1,'
}

down() {
  local any=no
  for f in "$pids"/*.pid; do
    [[ -f "$f" ]] || continue
    local pid name
    pid=$(cat "$f"); name=$(basename "$f" .pid)
    if kill -0 "$pid" 2>/dev/null; then
      any=yes
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      kill -0 "$pid" 2>/dev/null && { say "$name ($pid) ignored TERM; killing"; kill -9 "$pid" 2>/dev/null || true; }
    fi
    rm -f "$f"
  done
  # executors are children of the Workers and stop with them; wait for any that linger
  for _ in $(seq 1 40); do pgrep -f "CoarseGrainedExecutorBackend.*$D" >/dev/null || break; sleep 0.25; done
  pkill -9 -f "CoarseGrainedExecutorBackend.*$D" 2>/dev/null || true
  if [[ -f "$D/started" ]]; then
    find /dev/shm -maxdepth 1 -name "aeron-$(id -un)-*" -newer "$D/started" -exec rm -rf {} + 2>/dev/null || true
    rm -f "$D/started"
  fi
  # Kindling's all-reduce directories carry their JVM's pid: remove those whose process is gone (kill -9 leaves them)
  for d in /dev/shm/aeron-kindling-allreduce-*; do
    [[ -d "$d" ]] || continue
    local owner=${d#/dev/shm/aeron-kindling-allreduce-}
    kill -0 "${owner%%-*}" 2>/dev/null || rm -rf "$d"
  done
  # each application's executors copied the job jar (400 MB) into their Worker's directory; their logs stay
  find "$D" -mindepth 4 -maxdepth 4 -path "$D/worker-*/app-*/*/*.jar" -delete 2>/dev/null || true
  [[ $any == yes ]] && say "down" || say "not running"
}

fs_shell() { # <FsShell arguments...>: Hadoop's own file system shell against the cluster's HDFS
  java -Xmx256m -Dlog4j2.configurationFile="$KINDLING_ROOT/cluster-configs/spark/log4j2.properties" \
    -cp "$D/hadoop-conf:$(cat "$KINDLING_ROOT/spark-jobs/target/hdfs.classpath"):$(jar)" \
    org.apache.hadoop.fs.FsShell -fs "hdfs://$H:$HDFS_NAMENODE_PORT" "$@" >&2
}

put() { # <local file or dir>... <hdfs dir>: copies onto the cluster's HDFS (FsShell -mkdir -p, then -put -f)
  (($# >= 2)) || die "usage: scripts/local-cluster.sh put <local file or dir>... <hdfs dir>"
  hdfs_ready || die "HDFS is not running; run scripts/local-cluster.sh up"
  local dest=${*: -1}
  fs_shell -mkdir -p "$dest" && fs_shell -put -f "${@:1:$#-1}" "$dest" || die "put into hdfs://$H:$HDFS_NAMENODE_PORT$dest failed"
}

status() {
  local rc=0
  for name in namenode datanode master $(for ((i = 1; i <= SPARK_WORKERS; i++)); do echo "worker-$i"; done); do
    if alive "$name"; then echo "$name: running (pid $(cat "$pids/$name.pid"))"; else echo "$name: stopped"; rc=3; fi
  done
  hdfs_ready && echo "hdfs: hdfs://$H:$HDFS_NAMENODE_PORT ready" || echo "hdfs: not ready"
  spark_ready && echo "spark: spark://$H:$SPARK_MASTER_PORT with $SPARK_WORKERS workers" || echo "spark: not ready"
  return $rc
}

case "${1:-}" in
  up) up "${2:-}" ;;
  down) down ;;
  status) status ;;
  put) shift; put "$@" ;;
  *) echo "usage: scripts/local-cluster.sh up [--yarn] | down | status | put <local>... <hdfs dir>   (settings: cluster-configs/cluster.env)" >&2; exit 2 ;;
esac
