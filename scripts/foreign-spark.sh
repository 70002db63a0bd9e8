#!/usr/bin/env bash
# A Spark that is not Kindling's: a SPARK_HOME assembled from Spark's own published jars (Maven Central)
# of another 3.5 patch release (cluster-configs/foreign-spark/pom.xml: 3.5.1; Kindling compiles against
# 3.5.5), holding no Kindling class. Its bin/spark-submit does what Spark's bin/spark-submit and
# bin/spark-class do: Spark's launcher library (org.apache.spark.launcher.Main) builds the java command
# from $SPARK_HOME/jars, --driver-java-options and --driver-memory, and the script runs it.
#   scripts/foreign-spark.sh <dir>    assembles <dir> once (later calls reuse it while the pom is unchanged) and prints it
# Used by scripts/test.sh: the local cluster's Spark daemons run from it (KINDLING_SPARK_HOME) and the
# launcher submits the cluster jar (-Pcluster-provided) through its spark-submit.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
home=${1:?usage: scripts/foreign-spark.sh <dir>}
say() { echo "foreign-spark: $*" >&2; }

pom=$root/cluster-configs/foreign-spark/pom.xml
wanted=$(sha1sum "$pom" | cut -c1-40)
# reassembled when the pom changed since (the digest of the pom it was made from is kept beside RELEASE)
if [[ ! -f "$home/RELEASE" || "$(cat "$home/POM.sha1" 2>/dev/null)" != "$wanted" ]]; then
  mkdir -p "$home"
  home=$(cd "$home" && pwd)
  rm -rf "$home/jars.partial"
  say "assembling a Spark distribution from Spark's published jars into $home (mvn dependency:copy-dependencies)..."
  mvn -q -B -Dstyle.color=never -f "$pom" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$home/jars.partial" >&2
  rm -rf "$home/jars"
  mv "$home/jars.partial" "$home/jars"
  mkdir -p "$home/bin" "$home/conf"
  cp "$root/cluster-configs/spark/log4j2.properties" "$home/conf/"
  cat > "$home/bin/spark-submit" <<'SH'
#!/usr/bin/env bash
# Spark's bin/spark-submit, as Spark's bin/spark-class runs it: the launcher library prints the command.
set -euo pipefail
export SPARK_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export SPARK_SCALA_VERSION=2.12  # the launcher asks for it; a distribution's scripts export it too
# the launcher prints its messages, an empty line, then the command NUL-separated; we add its exit code
cmd=()
delim=$'\n'
started=no
while IFS= read -d "$delim" -r arg; do
  if [[ $started == yes ]]; then
    cmd+=("$arg")
  elif [[ -z $arg ]]; then
    delim='' started=yes
  else
    echo "$arg"
  fi
done < <(
  java -Xmx128m -cp "$SPARK_HOME/jars/*" org.apache.spark.launcher.Main org.apache.spark.deploy.SparkSubmit "$@"
  printf '%d\0' $?)
[[ $started == yes && ${#cmd[@]} -gt 0 ]] || exit 1  # the launcher failed and said why above
rc=${cmd[${#cmd[@]}-1]}
unset 'cmd[${#cmd[@]}-1]'
[[ $rc == 0 ]] || exit "$rc"
exec "${cmd[@]}"
SH
  chmod +x "$home/bin/spark-submit"
  version=$(basename "$(ls "$home"/jars/spark-core_2.12-*.jar)" .jar)
  echo "Spark ${version#spark-core_2.12-} assembled from Spark's published Maven artifacts by Kindling's scripts/foreign-spark.sh" > "$home/RELEASE"
  echo "$wanted" > "$home/POM.sha1"
  say "$(cat "$home/RELEASE"): $(ls "$home/jars" | wc -l) jars, $(du -sm "$home/jars" | cut -f1) MB"
fi
cd "$home" && pwd
