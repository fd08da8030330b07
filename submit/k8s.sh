#!/usr/bin/env bash
# Submit a Sparkformer command to Kubernetes in cluster mode (the driver runs in a pod):
#   submit/k8s.sh [--master k8s://https://HOST:PORT] [--namespace NS] [--service-account SA] [--image IMAGE]
#                 [--num-executors N] [--executor-cores N] [--executor-memory M] [--driver-memory M]
#                 [--conf key=value]... COMMAND [sparkformer options]...
# Environment instead of flags: K8S_MASTER, K8S_NAMESPACE (default), K8S_SERVICE_ACCOUNT (spark),
# SPARKFORMER_IMAGE, NUM_EXECUTORS, EXECUTOR_CORES, EXECUTOR_MEMORY, DRIVER_MEMORY. The image
# (submit/k8s/Dockerfile) holds the app jar at local:///opt/sparkformer/sparkformer-app.jar and the
# shipped configs under /opt/sparkformer/conf/. Pod templates: submit/k8s/*-pod-template.yaml
# (DRIVER_POD_TEMPLATE, EXECUTOR_POD_TEMPLATE). A local --config file is shipped with --files, which on
# Kubernetes needs SPARKFORMER_UPLOAD_PATH (spark.kubernetes.file.upload.path: an hdfs:// or s3a:// dir).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_spark_submit
spark_defaults
master="${K8S_MASTER:-}" ; namespace="${K8S_NAMESPACE:-default}" ; account="${K8S_SERVICE_ACCOUNT:-spark}"
image="${SPARKFORMER_IMAGE:-}" ; opts=()
[ -n "${NUM_EXECUTORS:-}" ] && opts+=(--num-executors "$NUM_EXECUTORS")
[ -n "${EXECUTOR_CORES:-}" ] && opts+=(--executor-cores "$EXECUTOR_CORES")
[ -n "${EXECUTOR_MEMORY:-}" ] && opts+=(--executor-memory "$EXECUTOR_MEMORY")
[ -n "${DRIVER_MEMORY:-}" ] && opts+=(--driver-memory "$DRIVER_MEMORY")
while [ $# -gt 0 ]; do
  case "$1" in
    --master|--namespace|--service-account|--image) [ $# -ge 2 ] || die "$1 needs a value" ;;&
    --master)          master="$2"; shift 2 ;;
    --namespace)       namespace="$2"; shift 2 ;;
    --service-account) account="$2"; shift 2 ;;
    --image)           image="$2"; shift 2 ;;
    --num-executors|--executor-cores|--executor-memory|--driver-memory|--conf|--name)
      [ $# -ge 2 ] || die "$1 needs a value"; opts+=("$1" "$2"); shift 2 ;;
    *) break ;;
  esac
done
case "$master" in k8s://*) ;; *) die "--master (or K8S_MASTER) must be k8s://https://API-SERVER:PORT, got '$master'" ;; esac
[ -n "$image" ] || die "--image (or SPARKFORMER_IMAGE) is required: an image built from submit/k8s/Dockerfile"
[ $# -gt 0 ] || die "usage: k8s.sh [kubernetes options] COMMAND [sparkformer options]   (COMMAND: train, prepare, evaluate)"
driver_template="${DRIVER_POD_TEMPLATE:-$root/submit/k8s/driver-pod-template.yaml}"
executor_template="${EXECUTOR_POD_TEMPLATE:-$root/submit/k8s/executor-pod-template.yaml}"
[ -f "$driver_template" ] && [ -f "$executor_template" ] || die "pod template $driver_template or $executor_template is missing"
derive_memory "$@"
ship_config cluster "$@"
if [ ${#files[@]} -gt 0 ]; then
  [ -n "${SPARKFORMER_UPLOAD_PATH:-}" ] || die "--config ${files[1]} is a local file: set SPARKFORMER_UPLOAD_PATH (an hdfs:// or s3a:// directory) to ship it, or name a config in the image (/opt/sparkformer/conf/...)"
  opts+=(--conf "spark.kubernetes.file.upload.path=$SPARKFORMER_UPLOAD_PATH")
fi

exec "$SPARK_HOME/bin/spark-submit" --master "$master" --deploy-mode cluster --class io.sparkformer.job.Main \
  "${defaults[@]}" \
  --conf "spark.kubernetes.namespace=$namespace" \
  --conf "spark.kubernetes.container.image=$image" \
  --conf "spark.kubernetes.authenticate.driver.serviceAccountName=$account" \
  --conf "spark.kubernetes.authenticate.executor.serviceAccountName=$account" \
  --conf "spark.kubernetes.driver.podTemplateFile=$driver_template" \
  --conf "spark.kubernetes.executor.podTemplateFile=$executor_template" \
  --conf "spark.kubernetes.driver.podTemplateContainerName=sparkformer-driver" \
  --conf "spark.kubernetes.executor.podTemplateContainerName=sparkformer-executor" \
  ${opts[@]+"${opts[@]}"} ${files[@]+"${files[@]}"} \
  "${SPARKFORMER_IMAGE_JAR:-local:///opt/sparkformer/sparkformer-app.jar}" "${args[@]}"
