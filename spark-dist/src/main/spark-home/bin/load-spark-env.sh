#!/usr/bin/env bash
# As a Spark distribution's bin/load-spark-env.sh: conf/spark-env.sh if present, exported.
if [ -z "${SPARK_ENV_LOADED:-}" ]; then
  export SPARK_ENV_LOADED=1
  export SPARK_CONF_DIR="${SPARK_CONF_DIR:-$SPARK_HOME/conf}"
  if [ -f "$SPARK_CONF_DIR/spark-env.sh" ]; then
    set -a; . "$SPARK_CONF_DIR/spark-env.sh"; set +a
  fi
fi
