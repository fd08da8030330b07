#!/usr/bin/env bash
# Submit a Sparkformer command to YARN with $SPARK_HOME/bin/spark-submit:
#   submit/yarn.sh [--deploy-mode client|cluster] [--queue Q] [--num-executors N] [--executor-cores N]
#                  [--executor-memory M] [--driver-memory M] [--principal P --keytab FILE]
#                  [--conf key=value]... COMMAND [sparkformer options]...
# Environment instead of flags: DEPLOY_MODE (default cluster), YARN_QUEUE, NUM_EXECUTORS, EXECUTOR_CORES,
# EXECUTOR_MEMORY, DRIVER_MEMORY, PRINCIPAL + KEYTAB. Needs SPARK_HOME and HADOOP_CONF_DIR (or YARN_CONF_DIR).
# conf/spark-defaults.conf comes first as --conf flags, so flags given here win. A local --config file is
# shipped with --files. Kerberized HDFS: --principal/--keytab make Spark log in from the keytab and renew
# HDFS delegation tokens for runs longer than their lifetime.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_spark_submit
[ -n "${HADOOP_CONF_DIR:-}${YARN_CONF_DIR:-}" ] || die "set HADOOP_CONF_DIR (or YARN_CONF_DIR) to the cluster's Hadoop configuration"
jar="$(app_jar)"
spark_defaults

mode="${DEPLOY_MODE:-cluster}" ; opts=()
[ -n "${YARN_QUEUE:-}" ] && opts+=(--queue "$YARN_QUEUE")
[ -n "${NUM_EXECUTORS:-}" ] && opts+=(--num-executors "$NUM_EXECUTORS")
[ -n "${EXECUTOR_CORES:-}" ] && opts+=(--executor-cores "$EXECUTOR_CORES")
[ -n "${EXECUTOR_MEMORY:-}" ] && opts+=(--executor-memory "$EXECUTOR_MEMORY")
[ -n "${DRIVER_MEMORY:-}" ] && opts+=(--driver-memory "$DRIVER_MEMORY")
[ -n "${PRINCIPAL:-}" ] && opts+=(--principal "$PRINCIPAL" --keytab "${KEYTAB:?KEYTAB must be set with PRINCIPAL}")
while [ $# -gt 0 ]; do
  case "$1" in
    --deploy-mode) [ $# -ge 2 ] || die "$1 needs a value"; mode="$2"; shift 2 ;;
    --queue|--num-executors|--executor-cores|--executor-memory|--driver-memory|--principal|--keytab|--conf|--name)
      [ $# -ge 2 ] || die "$1 needs a value"; opts+=("$1" "$2"); shift 2 ;;
    *) break ;;
  esac
done
case "$mode" in client|cluster) ;; *) die "--deploy-mode must be client or cluster, got '$mode'" ;; esac
[ $# -gt 0 ] || die "usage: yarn.sh [yarn options] COMMAND [sparkformer options]   (COMMAND: train, prepare, evaluate)"
derive_memory "$@"
ship_config "$mode" "$@"

exec "$SPARK_HOME/bin/spark-submit" --master yarn --deploy-mode "$mode" --class io.sparkformer.job.Main \
  "${defaults[@]}" ${opts[@]+"${opts[@]}"} ${files[@]+"${files[@]}"} "$jar" "${args[@]}"
