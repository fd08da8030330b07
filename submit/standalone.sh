#!/usr/bin/env bash
# Submit a Sparkformer command to a Spark standalone cluster with $SPARK_HOME/bin/spark-submit:
#   submit/standalone.sh [--master spark://HOST:7077] [--deploy-mode client|cluster] [--total-executor-cores N]
#                        [--executor-cores N] [--executor-memory M] [--driver-memory M]
#                        [--conf key=value]... COMMAND [sparkformer options]...
# Environment instead of flags: SPARK_MASTER (spark://HOST:7077), DEPLOY_MODE (default client),
# TOTAL_EXECUTOR_CORES, EXECUTOR_CORES, EXECUTOR_MEMORY, DRIVER_MEMORY. conf/spark-defaults.conf comes
# first as --conf flags, so flags given here win. Cluster mode runs the driver on a worker: the app jar
# (SPARKFORMER_JAR) and the --config file must then be at a URL or path every worker can read (e.g. hdfs://).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_spark_submit
jar="$(app_jar)"
spark_defaults
master="${SPARK_MASTER:-}" ; mode="${DEPLOY_MODE:-client}" ; opts=()
[ -n "${TOTAL_EXECUTOR_CORES:-}" ] && opts+=(--total-executor-cores "$TOTAL_EXECUTOR_CORES")
[ -n "${EXECUTOR_CORES:-}" ] && opts+=(--executor-cores "$EXECUTOR_CORES")
[ -n "${EXECUTOR_MEMORY:-}" ] && opts+=(--executor-memory "$EXECUTOR_MEMORY")
[ -n "${DRIVER_MEMORY:-}" ] && opts+=(--driver-memory "$DRIVER_MEMORY")
while [ $# -gt 0 ]; do
  case "$1" in
    --master)      [ $# -ge 2 ] || die "$1 needs a value"; master="$2"; shift 2 ;;
    --deploy-mode) [ $# -ge 2 ] || die "$1 needs a value"; mode="$2"; shift 2 ;;
    --total-executor-cores|--executor-cores|--executor-memory|--driver-memory|--conf|--name)
      [ $# -ge 2 ] || die "$1 needs a value"; opts+=("$1" "$2"); shift 2 ;;
    *) break ;;
  esac
done
case "$master" in spark://*) ;; *) die "--master (or SPARK_MASTER) must be spark://HOST:PORT, got '$master'" ;; esac
case "$mode" in client|cluster) ;; *) die "--deploy-mode must be client or cluster, got '$mode'" ;; esac
[ $# -gt 0 ] || die "usage: standalone.sh [standalone options] COMMAND [sparkformer options]   (COMMAND: train, prepare, evaluate)"
# In client mode the driver is this machine, so a local config is read where it is.
derive_memory "$@"
ship_config client "$@"

exec "$SPARK_HOME/bin/spark-submit" --master "$master" --deploy-mode "$mode" --class io.sparkformer.job.Main \
  "${defaults[@]}" ${opts[@]+"${opts[@]}"} "$jar" "${args[@]}"
